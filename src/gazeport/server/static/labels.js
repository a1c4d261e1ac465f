// The task list (/labels): the project's progress, tasks filtered by status, class and
// recording, paged by the server, and the prediction import. A row opens the labeler with the
// same filters, so its previous/next walk this list.
import { api, el, formatDate, renderTopbar, showMessage } from "./layout.js";
import { assignColors, classColor, colorDot } from "./labeler_canvas.js";

const PAGE = 25;
const STATUSES = [["", "All"], ["draft", "Draft"], ["finished", "Finished"], ["reviewed", "Reviewed"]];
const $ = (id) => document.getElementById(id);
const state = { project: null, status: "", label: "", recording: "", offset: 0, page: null };

function filterQuery(extra = {}) {
  const q = new URLSearchParams();
  for (const key of ["status", "label", "recording"]) if (state[key]) q.set(key, state[key]);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

function labelerHref(id, extra = {}) {
  const q = filterQuery(extra).toString();
  return `/labels/tasks/${id}${q ? `?${q}` : ""}`;
}

function readUrl() {
  const q = new URLSearchParams(window.location.search);
  state.status = q.get("status") || "";
  state.label = q.get("label") || "";
  state.recording = q.get("recording") || "";
  state.offset = Math.max(0, Number(q.get("offset")) || 0);
}

function writeUrl() {
  const q = filterQuery(state.offset ? { offset: state.offset } : {}).toString();
  window.history.replaceState(null, "", `/labels${q ? `?${q}` : ""}`);
}

function renderSummary(p) {
  const done = p.counts.finished + p.counts.reviewed;
  const pct = (n) => (p.tasks ? (100 * n) / p.tasks : 0);
  const stat = (label, value, extra) => el("div", { class: "ls-stat" }, el("div", { class: "ls-label" }, label), el("div", { class: "ls-value" }, value), ...(extra ? [extra] : []));
  const finished = el("span", { class: "finished" });
  const reviewed = el("span", { class: "reviewed" });
  finished.style.width = `${pct(p.counts.finished)}%`;
  reviewed.style.width = `${pct(p.counts.reviewed)}%`;
  const bar = el("div", { class: "ls-progress" }, finished, reviewed);
  $("summary").replaceChildren(
    stat("Tasks", String(p.tasks)),
    stat("Labelled", `${done} / ${p.tasks}`, bar),
    stat("Reviewed", String(p.counts.reviewed)),
    stat("Boxes", String(p.boxes)),
  );
}

function renderFilters(p, counts) {
  const seg = $("status-filter");
  seg.replaceChildren(
    ...STATUSES.map(([value, text]) => {
      const n = value ? counts[value] : counts.draft + counts.finished + counts.reviewed;
      const b = el("button", { type: "button", class: "seg-btn", "aria-pressed": String(state.status === value), "data-status": value }, text, el("span", { class: "n" }, String(n)));
      b.addEventListener("click", () => { state.status = value; state.offset = 0; reload(); });
      return b;
    }),
  );
  const cls = $("class-filter");
  cls.replaceChildren(el("option", { value: "" }, "All classes"), ...p.classes.map((c) => el("option", { value: c.name }, c.name)));
  cls.value = state.label;
  const rec = $("recording-filter");
  rec.replaceChildren(el("option", { value: "" }, "All recordings"), ...p.recordings.map((r) => el("option", { value: r }, r)));
  rec.value = state.recording;
}

function renderClasses(p) {
  $("class-list").replaceChildren(
    ...p.classes.map((c, i) => {
      const name = el("input", { type: "text", value: c.name, "aria-label": `Rename ${c.name}`, title: "Edit and press Enter to rename" });
      name.addEventListener("keydown", (e) => {
        if (e.key !== "Enter") return;
        e.preventDefault();
        classChange(() => api(`/api/labels/classes/${c.id}`, { method: "PATCH", body: { name: name.value } }), `Renamed ${c.name} to ${name.value.trim()}.`);
      });
      return el("li", {}, el("kbd", {}, c.hotkey || (i < 9 ? String(i + 1) : "·")), colorDot(classColor(c)), name);
    }),
  );
  const options = () => p.classes.map((c) => el("option", { value: c.name }, c.name));
  $("merge-source").replaceChildren(...options());
  $("merge-target").replaceChildren(...options());
  if (p.classes.length > 1) $("merge-target").selectedIndex = 1;
}

async function classChange(work, done) {
  try {
    const result = await work();
    await reload();
    showMessage(typeof done === "function" ? done(result) : done, "info");
  } catch (error) {
    showMessage(error.message);
  }
}

function addClass(event) {
  event.preventDefault();
  const body = { name: $("class-name").value, hotkey: $("class-hotkey").value || null, color: $("class-color").value };
  classChange(async () => {
    await api("/api/labels/classes", { method: "POST", body });
    $("class-name").value = "";
    $("class-hotkey").value = "";
  }, `Added the class ${body.name.trim()}.`);
}

function mergeClasses(event) {
  event.preventDefault();
  const source = $("merge-source").value;
  const target = $("merge-target").value;
  classChange(
    () => api("/api/labels/classes/merge", { method: "POST", body: { sources: [source], target } }),
    (r) => `Merged ${source} into ${target}: ${r.moved} box${r.moved === 1 ? "" : "es"} moved.`,
  );
}

function row(t, classes) {
  const href = labelerHref(t.id);
  const tr = el("tr", { "data-id": String(t.id) });
  const img = el("img", { class: "ls-thumb", src: `/api/labels/tasks/${t.id}/image.jpg`, alt: "", loading: "lazy", width: "96", height: "72" });
  const chips = el("div", { class: "ls-chips" });
  const byLabel = new Map();
  for (const b of t.boxes) byLabel.set(b.label, (byLabel.get(b.label) || 0) + 1);
  for (const [label, n] of byLabel) {
    const c = classes.find((x) => x.name === label);
    chips.append(el("span", { class: "ls-chip" }, colorDot(classColor(c)), `${label} ${n}`));
  }
  if (!t.boxes.length) chips.append(el("span", { class: "subtle" }, "–"));
  tr.append(
    el("td", {}, img),
    el("td", {}, el("div", { class: "ls-task" }, el("a", { href }, `Task ${t.id}`), el("span", { class: "rec-path" }, `${t.recording} · frame ${t.frame_index}`))),
    el("td", {}, el("span", { class: `badge status-${t.status}` }, t.status)),
    el("td", {}, chips),
    el("td", { class: "num" }, t.fixation ? `#${t.fixation.id}` : "–"),
    el("td", {}, formatDate(t.updated)),
  );
  tr.addEventListener("click", (e) => { if (e.target.tagName !== "A") window.location.href = href; });
  return tr;
}

async function reload() {
  writeUrl();
  try {
    const [p, page] = await Promise.all([
      api("/api/labels/project"),
      api(`/api/labels/tasks?${filterQuery({ limit: PAGE, offset: state.offset })}`),
    ]);
    state.project = p;
    assignColors(p.classes);
    state.page = page;
    showMessage("");
    $("project").textContent = p.name;
    $("project-info").textContent = `${p.db} · ${p.classes.length} classes · ${p.recordings.length} recording${p.recordings.length === 1 ? "" : "s"}`;
    document.title = `${p.name} · Labels · gazeport`;
    renderSummary(p);
    renderFilters(p, page.counts);
    renderClasses(p);
    $("tasks").querySelector("tbody").replaceChildren(...page.items.map((t) => row(t, p.classes)));
    const empty = $("empty");
    empty.hidden = page.items.length > 0;
    empty.textContent = p.tasks ? "No task matches these filters." : "No tasks yet: sample frames with gazeport labels sample.";
    const first = page.items.length ? state.offset + 1 : 0;
    $("range").textContent = `${first}–${state.offset + page.items.length} of ${page.total}`;
    $("page-prev").disabled = state.offset === 0;
    $("page-next").disabled = !page.has_more;
    const start = page.items[0];
    $("start").href = start ? labelerHref(start.id) : "#";
    $("start").toggleAttribute("aria-disabled", !start);
    $("review").href = `/labels?status=finished`;
  } catch (error) {
    showMessage(error.message);
  }
}

async function firstFinished(event) {
  event.preventDefault();
  try {
    const q = new URLSearchParams({ status: "finished", limit: 1 });
    if (state.label) q.set("label", state.label);
    if (state.recording) q.set("recording", state.recording);
    const page = await api(`/api/labels/tasks?${q}`);
    if (!page.items.length) {
      showMessage("No finished task is waiting for review.", "info");
      return;
    }
    const keep = { ...state };
    state.status = "finished";
    const href = labelerHref(page.items[0].id, { mode: "review" });
    Object.assign(state, keep);
    window.location.href = href;
  } catch (error) {
    showMessage(error.message);
  }
}

async function upload(event) {
  event.preventDefault();
  const file = $("import-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  form.append("format", $("import-format").value);
  if ($("import-source").value.trim()) form.append("source", $("import-source").value.trim());
  try {
    const response = await fetch("/api/labels/import", { method: "POST", body: form });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || `The server answered ${response.status}.`);
    const unknown = Object.keys(data.unknown_classes);
    const notes = [`Imported ${data.imported} box${data.imported === 1 ? "" : "es"}.`];
    if (data.unmatched_images) notes.push(`${data.unmatched_images} image(s) matched no task.`);
    if (unknown.length) notes.push(`Unknown classes: ${unknown.join(", ")}.`);
    if (data.invalid_boxes) notes.push(`${data.invalid_boxes} invalid box(es) skipped.`);
    await reload();
    showMessage(notes.join(" "), "info");
    $("import").hidden = true;
  } catch (error) {
    showMessage(error.message);
  }
}

function noStore() {
  for (const id of ["summary", "import-toggle", "classes-toggle", "review", "start"]) $(id).hidden = true;
  document.querySelector(".ls-filters").hidden = true;
  document.querySelector(".ls-pager").hidden = true;
  $("tasks").hidden = true;
  const empty = $("empty");
  empty.hidden = false;
  empty.replaceChildren(
    el("strong", {}, "This server has no label store. "),
    "Start it with one: ",
    el("code", {}, "gazeport serve FOLDER --db study.sqlite"),
    " (make the store with ",
    el("code", {}, "gazeport labels init"),
    " and add frames with ",
    el("code", {}, "gazeport labels sample"),
    ").",
  );
}

async function main() {
  renderTopbar();
  readUrl();
  try {
    if (!(await api("/api/labels/available")).available) {
      noStore();
      return;
    }
  } catch (error) {
    showMessage(error.message);
    return;
  }
  $("class-filter").addEventListener("change", (e) => { state.label = e.target.value; state.offset = 0; reload(); });
  $("recording-filter").addEventListener("change", (e) => { state.recording = e.target.value; state.offset = 0; reload(); });
  $("page-prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); reload(); });
  $("page-next").addEventListener("click", () => { state.offset += PAGE; reload(); });
  $("import-toggle").addEventListener("click", () => { $("import").hidden = !$("import").hidden; });
  $("classes-toggle").addEventListener("click", () => { $("classes").hidden = !$("classes").hidden; });
  $("class-add").addEventListener("submit", addClass);
  $("class-merge").addEventListener("submit", mergeClasses);
  $("import").addEventListener("submit", upload);
  $("review").addEventListener("click", firstFinished);
  reload();
}

main();
