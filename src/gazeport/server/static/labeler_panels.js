// The labeler's sidebar: the classes with their keys, the task's boxes (suggestion, imports to
// accept or reject, the selected box's details), the gaze facts and the track state. Drawn from
// the page state `S`; clicks call the page's handlers `on`.
import { el } from "./layout.js";
import { classColor, colorDot } from "./labeler_canvas.js";
import { classKey } from "./labeler_keys.js";

const $ = (id) => document.getElementById(id);

export function renderClasses(S, on) {
  const counts = new Map();
  for (const b of S.task.boxes) counts.set(b.label, (counts.get(b.label) || 0) + 1);
  $("classes").replaceChildren(
    ...S.classes.map((c, i) => {
      const li = el(
        "li",
        { class: "lb-class", "aria-selected": String(c.name === S.current), "data-class": c.name, title: "Click or press its key" },
        el("kbd", {}, classKey(c, i) || "·"),
        colorDot(classColor(c)),
        el("span", { class: "lb-class-name" }, c.name),
        el("span", { class: "lb-count" }, counts.get(c.name) ? String(counts.get(c.name)) : ""),
      );
      li.addEventListener("click", () => on.chooseClass(c.name));
      return li;
    }),
  );
}

function sourceBadge(b) {
  if (b.source === "import") {
    const conf = b.confidence === null ? "import" : b.confidence.toFixed(2);
    return el("span", { class: "badge src-import", title: `imported from ${b.author || "a model"}; Enter accepts, x rejects` }, conf);
  }
  if (b.source === "manual") return null;
  return el("span", { class: `badge src-${b.source}` }, b.source);
}

export function renderBoxes(S, on) {
  const items = [];
  if (S.suggestion) {
    const li = el(
      "li",
      { class: "lb-box suggestion", "aria-selected": String(S.selected === "suggested") },
      colorDot("#f5a524"),
      el("span", { class: "lb-box-name" }, `Suggestion · ${S.current || "no class"}`),
    );
    const accept = el("button", { class: "button tiny primary", type: "button", title: "Accept (Enter)" }, "✓");
    const reject = el("button", { class: "button tiny", type: "button", title: "Reject (x)" }, "✕");
    accept.addEventListener("click", (e) => { e.stopPropagation(); on.acceptSelected(true); });
    reject.addEventListener("click", (e) => { e.stopPropagation(); on.rejectSuggestion(); });
    li.append(accept, reject);
    li.addEventListener("click", () => on.select("suggested"));
    items.push(li);
  }
  for (const b of S.task.boxes) {
    const cls = S.classes.find((c) => c.name === b.label);
    const li = el(
      "li",
      { class: "lb-box", "aria-selected": String(S.selected === b.id), "data-box": String(b.id) },
      colorDot(classColor(cls)),
      el("span", { class: "lb-box-name" }, b.label),
    );
    if (b.tags.length) li.append(el("span", { class: "lb-tags", title: b.tags.join(", ") }, b.tags.join(", ")));
    const badge = sourceBadge(b);
    if (badge) li.append(badge);
    if (b.gaze_hits) li.append(el("span", { class: "lb-hits", title: "gaze samples inside" }, `◉ ${b.gaze_hits}`));
    if (b.source === "import" || b.source === "suggested") {
      const accept = el("button", { class: "button tiny primary", type: "button", title: "Accept (Enter)" }, "✓");
      const reject = el("button", { class: "button tiny", type: "button", title: "Reject (x)" }, "✕");
      accept.addEventListener("click", (e) => { e.stopPropagation(); on.select(b.id); on.acceptSelected(false); });
      reject.addEventListener("click", (e) => { e.stopPropagation(); on.select(b.id); on.deleteSelected(); });
      li.append(accept, reject);
    }
    li.addEventListener("click", () => on.select(b.id));
    items.push(li);
  }
  if (!items.length) items.push(el("li", { class: "lb-empty" }, "No boxes yet: drag on the frame to draw one."));
  $("boxes").replaceChildren(...items);
  $("box-count").textContent = S.task.boxes.length ? String(S.task.boxes.length) : "";
  const box = S.task.boxes.find((b) => b.id === S.selected);
  $("box-detail").hidden = !box;
  if (box) {
    $("box-geometry").textContent = `${box.x.toFixed(0)}, ${box.y.toFixed(0)} · ${box.w.toFixed(0)}×${box.h.toFixed(0)} px`;
    $("box-gaze").textContent = `${box.gaze_hits} sample${box.gaze_hits === 1 ? "" : "s"}${box.fixation_id ? ` · fixation ${box.fixation_id}` : ""}`;
    $("box-track-row").hidden = box.track_id === null;
    $("box-track").textContent = box.track_id === null ? "" : `${box.track_id} · ${box.source === "interpolated" ? "interpolated" : "keyframe"}`;
    if (document.activeElement !== $("box-tags")) $("box-tags").value = box.tags.join(", ");
  }
}

export function renderGaze(S) {
  const t = S.task;
  const f = t.fixation;
  const parts = [`${t.gaze.length} gaze sample${t.gaze.length === 1 ? "" : "s"} on this frame`];
  parts.push(f ? `fixation ${f.id} at ${f.x.toFixed(0)}, ${f.y.toFixed(0)} px` : "no fixation");
  $("gaze-info").textContent = parts.join(" · ");
  $("suggest").disabled = !f && !t.gaze.length;
}

export function renderTrack(S) {
  const k = S.keyframe;
  const here = S.task.boxes.find((b) => b.id === S.selected);
  const info = $("track-info");
  const usable = k && k.recording_id === S.task.recording_id && k.task_id !== S.task.id;
  $("interpolate").disabled = !(usable && here);
  if (k) {
    info.textContent = `Keyframe: ${k.label} on task ${k.task_id} (frame ${k.frame_index}). `;
    info.append(
      usable
        ? "Select this frame's box of the same object and press i."
        : k.task_id === S.task.id
          ? "Go to another frame of this recording to interpolate."
          : "It is on another recording.",
    );
  }
}

