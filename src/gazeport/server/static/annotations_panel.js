// The annotations panel: the recording's label hotkeys (Pupil Player's annotation definitions,
// Neon Player's event types), a form to add one, and the list of annotations with edit and
// delete. Rows are numbered by their place in the time-sorted list, as the API names them.
import { api, el } from "./layout.js";
import { RESERVED } from "./keys.js";
import { labelColor } from "./timeline_style.js";

export class AnnotationsPanel {
  /**
   * root: the panel element; rid: the recording id; hooks: {frame() → current frame,
   * seek(frame), setTrim("start" | "end", frame) (Neon Player: an event as a trim mark),
   * changed(items), notify(text, kind)}.
   */
  constructor(root, rid, hooks) {
    this.root = root;
    this.base = `/api/recordings/${encodeURIComponent(rid)}/annotations`;
    this.hooks = hooks;
    this.definitions = {};
    this.editable = false;
    this.items = [];
    this.noun = "annotation";
    this.editing = null;
    this.defsBox = root.querySelector("[data-role=definitions]");
    this.form = root.querySelector("[data-role=definition-form]");
    this.list = root.querySelector("[data-role=list]");
    this.count = root.querySelector("[data-role=count]");
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this._addDefinition();
    });
  }

  async load() {
    const [defs, listing] = await Promise.all([api(`${this.base}/definitions`), api(this.base)]);
    this.definitions = defs.definitions;
    this.editable = defs.editable;
    this._renderDefinitions(); // first: the hotkeys take the first colours
    this._setItems(listing);
  }

  /** Add an annotation with `label` at the frame shown now (a hotkey or a chip). */
  async add(label) {
    const frame = this.hooks.frame();
    try {
      this._setItems(await api(this.base, { method: "POST", body: { label, frame } }));
      this.hooks.notify(`Added “${label}” at frame ${frame}.`, "ok");
    } catch (error) {
      this.hooks.notify(error.message, "error");
    }
  }

  _setItems(listing) {
    this.noun = listing.noun || "annotation";
    this.items = listing.items;
    this.count.textContent = String(listing.count);
    this._renderList();
    this.hooks.changed(this.items);
  }

  _renderDefinitions() {
    const box = this.defsBox;
    box.replaceChildren();
    const entries = Object.entries(this.definitions);
    if (!entries.length) box.append(el("p", { class: "p-empty" }, "No hotkeys yet."));
    for (const [label, key] of entries) {
      const chip = el("button", { type: "button", class: "chip", title: `Add “${label}” here (${key || "no key"})` });
      const dot = el("span", { class: "dot" });
      dot.style.background = labelColor(label);
      chip.append(dot, el("span", {}, label), el("kbd", {}, key || "–"));
      chip.addEventListener("click", () => this.add(label));
      box.append(chip);
    }
    this.form.hidden = !this.editable;
    const note = this.root.querySelector("[data-role=readonly-note]");
    if (note) note.hidden = this.editable;
  }

  async _addDefinition() {
    const label = this.form.elements.label.value.trim();
    const key = this.form.elements.hotkey.value;
    if (!label) return;
    if (key.length !== 1) {
      this.hooks.notify("A hotkey is one character.", "error");
      return;
    }
    if (RESERVED.has(key)) {
      this.hooks.notify(`“${key}” is a player key; pick another hotkey.`, "error");
      return;
    }
    try {
      const answer = await api(`${this.base}/definitions`, {
        method: "PATCH",
        body: { set: { [label]: key } },
      });
      this.definitions = answer.definitions;
      this.form.reset();
      this._renderDefinitions();
      this.hooks.notify(`Hotkey ${key} adds “${label}”.`, "ok");
    } catch (error) {
      this.hooks.notify(error.message, "error");
    }
  }

  _renderList() {
    const list = this.list;
    list.replaceChildren();
    if (!this.items.length) {
      list.append(el("li", { class: "p-empty" }, `No ${this.noun}s yet: press a hotkey.`));
      return;
    }
    this.items.forEach((item, index) => {
      list.append(this.editing === index ? this._editRow(item, index) : this._row(item, index));
    });
  }

  _row(item, index) {
    const li = el("li", { class: "ann", "data-index": String(index) });
    const dot = el("span", { class: "dot" });
    dot.style.background = labelColor(item.label);
    const go = el("button", { type: "button", class: "ann-main", title: "Go to this frame" });
    go.append(
      dot,
      el("span", { class: "ann-label" }, item.label),
      el("span", { class: "ann-when" }, `#${item.frame_index} · ${item.t_s.toFixed(3)} s`),
    );
    go.addEventListener("click", () => this.hooks.seek(item.frame_index));
    const edit = el("button", { type: "button", class: "icon", title: "Edit", "aria-label": "Edit" }, "✎");
    edit.addEventListener("click", () => {
      this.editing = index;
      this._renderList();
    });
    const del = el("button", { type: "button", class: "icon danger", title: "Delete", "aria-label": "Delete" }, "✕");
    del.addEventListener("click", () => this._delete(index));
    li.append(go, edit, del);
    return li;
  }

  _editRow(item, index) {
    const form = el("form", { class: "ann-edit" });
    const label = el("input", { type: "text", name: "label", value: item.label, "aria-label": "Label" });
    const frame = el("input", {
      type: "number", name: "frame", value: String(item.frame_index), min: "0", "aria-label": "Frame",
    });
    const here = el("button", { type: "button", class: "pbtn small", title: "Use the frame shown now" }, "here");
    here.addEventListener("click", () => {
      frame.value = String(this.hooks.frame());
    });
    const save = el("button", { type: "submit", class: "pbtn small primary" }, "Save");
    const cancel = el("button", { type: "button", class: "pbtn small" }, "Cancel");
    cancel.addEventListener("click", () => {
      this.editing = null;
      this._renderList();
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this._save(index, item, label.value.trim(), Number(frame.value));
    });
    const marks = el("div", { class: "ann-marks" });
    for (const [which, text] of [["start", "Left trim mark here"], ["end", "Right trim mark here"]]) {
      const b = el("button", { type: "button", class: "pbtn small", title: `Set the ${which === "start" ? "left" : "right"} trim mark at this ${this.noun}` }, text);
      b.addEventListener("click", () => this.hooks.setTrim(which, item.frame_index));
      marks.append(b);
    }
    form.append(label, frame, here, save, cancel, marks);
    const li = el("li", { class: "ann editing" });
    li.append(form);
    queueMicrotask(() => label.focus());
    return li;
  }

  async _save(index, item, label, frame) {
    const body = {};
    if (label && label !== item.label) body.label = label;
    if (Number.isInteger(frame) && frame !== item.frame_index) body.frame = frame;
    this.editing = null;
    if (!Object.keys(body).length) {
      this._renderList();
      return;
    }
    try {
      this._setItems(await api(`${this.base}/${index}`, { method: "PATCH", body }));
    } catch (error) {
      this._renderList();
      this.hooks.notify(error.message, "error");
    }
  }

  async _delete(index) {
    try {
      this._setItems(await api(`${this.base}/${index}`, { method: "DELETE" }));
    } catch (error) {
      this.hooks.notify(error.message, "error");
    }
  }
}
