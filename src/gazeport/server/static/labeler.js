// The labeler page (/labels/tasks/{id}): one task's frame with its gaze, fixation and boxes.
// Every change is an API call through the undo stack (labeler_history.js); the canvas
// (labeler_canvas.js) reports drawing, moving and resizing; keys are in labeler_keys.js.
import { api, el, formatDate, renderTopbar, showMessage } from "./layout.js";
import { LabelCanvas } from "./labeler_canvas.js";
import { createCommand, deleteCommand, editCommand, trackCommand } from "./labeler_commands.js";
import { History } from "./labeler_history.js";
import { KEY_HELP, actionFor } from "./labeler_keys.js";
import { renderBoxes, renderClasses, renderGaze, renderTrack } from "./labeler_panels.js";

const FILTERS = ["status", "label", "recording"];
const KEYFRAME_KEY = "gazeport.labeler.keyframe";
const $ = (id) => document.getElementById(id);

const S = {
  task: null,
  classes: [],
  current: null, // the class of the next box
  selected: null, // a box id, "suggested" or null
  suggestion: null,
  mode: "label",
  filters: new URLSearchParams(),
  keyframe: null,
  loading: false,
};

const history = new History(() => renderToolbar());
const canvas = new LabelCanvas($("canvas"), {
  onSelect: (key) => select(key),
  onCreate: (box) => createBox(box),
  onChange: (key, before, after) => changeGeometry(key, before, after),
  onPointer: (x, y) => {
    if (!S.task) return;
    const inside = x >= 0 && y >= 0 && x <= S.task.width && y <= S.task.height;
    $("hud").textContent = inside ? `${Math.round(x)}, ${Math.round(y)} px` : "";
  },
});

function taskUrl(id) {
  const q = new URLSearchParams(S.filters);
  if (S.mode === "review") q.set("mode", "review");
  const qs = q.toString();
  return `/labels/tasks/${id}${qs ? `?${qs}` : ""}`;
}

function apiFilters() {
  const q = new URLSearchParams();
  for (const f of FILTERS) if (S.filters.get(f)) q.set(f, S.filters.get(f));
  const qs = q.toString();
  return qs ? `?${qs}` : "";
}

async function run(work) {
  try {
    showMessage("");
    return await work();
  } catch (error) {
    showMessage(error.message);
    return undefined;
  }
}

// --- loading -----------------------------------------------------------------------------------

async function loadImage(id) {
  const url = `/api/labels/tasks/${id}/image.jpg`;
  const image = new Image();
  image.src = url;
  try {
    await image.decode();
  } catch {
    await api(url); // the server's sentence (recording moved, outside the served folder…)
    throw new Error(`The frame of task ${id} could not be shown.`);
  }
  return image;
}

async function load(id, push = true) {
  if (S.loading) return;
  S.loading = true;
  $("loading").hidden = false;
  await run(async () => {
    const [task, image] = await Promise.all([api(`/api/labels/tasks/${id}${apiFilters()}`), loadImage(id)]);
    S.task = task;
    S.selected = null;
    S.suggestion = null;
    history.clear();
    canvas.setTask(task, image);
    if (push) window.history.pushState({ id }, "", taskUrl(id));
    document.title = `Task ${id} · Labeler · gazeport`;
    render();
    loadReviews();
  });
  $("loading").hidden = true;
  S.loading = false;
}

async function refresh(selectId) {
  const task = await api(`/api/labels/tasks/${S.task.id}${apiFilters()}`);
  S.task = { ...task };
  canvas.task = { ...canvas.task, ...task };
  if (selectId !== undefined) S.selected = selectId;
  if (S.selected !== "suggested" && !task.boxes.some((b) => b.id === S.selected)) S.selected = null;
  render();
}

async function loadReviews() {
  const list = $("reviews");
  const data = await api(`/api/labels/tasks/${S.task.id}/reviews`);
  list.replaceChildren(
    ...data.reviews
      .slice(-5)
      .reverse()
      .map((r) =>
        el(
          "li",
          {},
          el("span", { class: `badge status-${r.to_status}` }, r.to_status),
          el("span", { class: "subtle" }, ` ${r.who || "someone"} · ${formatDate(r.at)}`),
          ...(r.comment ? [el("div", { class: "lb-comment" }, r.comment)] : []),
        ),
      ),
  );
  if (!data.reviews.length) list.append(el("li", { class: "subtle" }, "No status changes yet."));
}

// --- rendering ---------------------------------------------------------------------------------

function render() {
  const t = S.task;
  $("title").textContent = `Task ${t.id}`;
  $("subtitle").textContent = `${t.recording} · frame ${t.frame_index} · ${t.width}×${t.height}`;
  const status = $("status");
  status.textContent = t.status;
  status.className = `badge status status-${t.status}`;
  const back = new URLSearchParams(S.filters);
  $("back").href = `/labels${back.toString() ? `?${back}` : ""}`;
  canvas.setClasses(S.classes);
  canvas.setBoxes(t.boxes, S.suggestion, S.selected, S.keyframe);
  const on = { select, chooseClass, acceptSelected, rejectSuggestion, deleteSelected };
  renderClasses(S, on);
  renderBoxes(S, on);
  renderGaze(S);
  renderTrack(S);
  renderToolbar();
}

function renderToolbar() {
  if (!S.task) return;
  $("undo").disabled = !history.canUndo;
  $("redo").disabled = !history.canRedo;
  $("prev").disabled = S.task.prev === null;
  $("next").disabled = S.task.next === null;
  const review = S.mode === "review";
  $("mode-label").setAttribute("aria-pressed", String(!review));
  $("mode-review").setAttribute("aria-pressed", String(review));
  $("label-actions").hidden = review;
  $("review-actions").hidden = !review;
  const only = FILTERS.map((f) => S.filters.get(f)).filter(Boolean);
  $("position").textContent = only.length ? only.join(" · ") : "";
}

// --- actions -----------------------------------------------------------------------------------

function select(key) {
  S.selected = key;
  if (key !== null && key !== "suggested") {
    const box = S.task.boxes.find((b) => b.id === key);
    if (box) S.current = box.label;
  }
  render();
}

async function perform(command, selectAfter) {
  await run(async () => {
    const result = await history.perform(command);
    await refresh(selectAfter === "result" && result ? result.id : selectAfter);
  });
}

function classOrWarn() {
  const name = S.current || (S.classes[0] && S.classes[0].name);
  if (!name) showMessage("The project has no classes yet; add one with gazeport labels classes --add.");
  return name;
}

async function createBox(box) {
  const label = classOrWarn();
  if (!label) return;
  S.current = label;
  await perform(createCommand(history, S.task.id, { label, ...rounded(box), source: "manual" }), "result");
}

function rounded(b) {
  const r = (v) => Math.round(v * 10) / 10;
  return { x: r(b.x), y: r(b.y), w: r(b.w), h: r(b.h) };
}

async function changeGeometry(key, before, after) {
  if (key === "suggested") {
    S.suggestion = { ...S.suggestion, ...rounded(after) };
    render();
    return;
  }
  await perform(editCommand(history, S.task.id, key, rounded(before), rounded(after)));
}

async function chooseClass(name) {
  S.current = name;
  const box = S.task.boxes.find((b) => b.id === S.selected);
  if (box && box.label !== name) {
    await perform(editCommand(history, S.task.id, box.id, { label: box.label }, { label: name }));
  } else {
    render();
  }
}

async function deleteSelected() {
  if (S.selected === "suggested") return rejectSuggestion();
  const box = S.task.boxes.find((b) => b.id === S.selected);
  if (!box) return undefined;
  S.selected = null;
  return perform(deleteCommand(history, S.task.id, box));
}

async function suggest() {
  await run(async () => {
    const s = await api(`/api/labels/tasks/${S.task.id}/suggest`, { method: "POST", body: {} });
    S.suggestion = { x: s.x, y: s.y, w: s.w, h: s.h, label: S.current || (S.classes[0] && S.classes[0].name), basis: s.basis };
    S.selected = "suggested";
    render();
  });
}

function rejectSuggestion() {
  S.suggestion = null;
  if (S.selected === "suggested") S.selected = null;
  render();
}

async function acceptSelected(preferSuggestion) {
  const box = S.task.boxes.find((b) => b.id === S.selected);
  if (S.suggestion && (preferSuggestion || S.selected === "suggested" || !box)) {
    const label = classOrWarn();
    if (!label) return;
    const body = { label, ...rounded(S.suggestion), source: "manual" };
    S.suggestion = null;
    await perform(createCommand(history, S.task.id, body), "result");
    return;
  }
  if (box && pending(box)) {
    await perform(editCommand(history, S.task.id, box.id, { source: box.source }, { source: "manual" }));
    selectNext(1, pending);
  } else if (!box) {
    selectNext(1, pending); // nothing selected: show the first box waiting for a decision
  }
}

function pending(box) {
  return box.source === "import" || box.source === "suggested";
}

async function rejectSelected() {
  if (S.suggestion && (S.selected === "suggested" || S.selected === null)) return rejectSuggestion();
  const box = S.task.boxes.find((b) => b.id === S.selected);
  if (box && pending(box)) return deleteSelected();
  return undefined;
}

function selectNext(step, keep = () => true) {
  const keys = [...(S.suggestion ? ["suggested"] : []), ...S.task.boxes.filter(keep).map((b) => b.id)];
  if (!keys.length) return;
  const at = keys.indexOf(S.selected);
  const next = at === -1 ? (step > 0 ? 0 : keys.length - 1) : (at + step + keys.length) % keys.length;
  select(keys[next]);
}

function markKeyframe() {
  const box = S.task.boxes.find((b) => b.id === S.selected);
  if (!box) {
    showMessage("Select a box first to mark it as a keyframe.", "info");
    return;
  }
  S.keyframe = { task_id: S.task.id, box_id: box.id, recording_id: S.task.recording_id, frame_index: S.task.frame_index, label: box.label };
  localStorage.setItem(KEYFRAME_KEY, JSON.stringify(S.keyframe));
  showMessage(`Box ${box.label} of task ${S.task.id} is the keyframe; go to another frame and interpolate.`, "info");
  render();
}

async function interpolate() {
  const k = S.keyframe;
  const box = S.task.boxes.find((b) => b.id === S.selected);
  if (!k || !box || k.task_id === S.task.id) return;
  const body = { first: { task_id: k.task_id, box_id: k.box_id }, last: { task_id: S.task.id, box_id: box.id } };
  const command = trackCommand(body);
  await run(async () => {
    const r = await history.perform(command);
    showMessage(`Interpolated ${r.boxes.length} box${r.boxes.length === 1 ? "" : "es"} between the keyframes (track ${r.track_id}).`, "info");
    await refresh();
  });
}

async function setStatus(status, comment) {
  await run(async () => {
    const by = localStorage.getItem("gazeport.labeler.name") || null;
    await api(`/api/labels/tasks/${S.task.id}/status`, { method: "POST", body: { status, by, comment } });
    const after = await api(`/api/labels/tasks/${S.task.id}${apiFilters()}`);
    if (after.next !== null) await load(after.next);
    else {
      await refresh();
      loadReviews();
      showMessage(`Task ${S.task.id} is ${status}; it was the last task of this list.`, "info");
    }
  });
}

function finish() {
  if (S.mode === "review") return setStatus("reviewed");
  return setStatus("finished");
}

function rejectTask() {
  const comment = $("comment").value.trim();
  if (!comment) {
    showMessage("Write a comment saying what to fix, then reject.", "info");
    $("comment").focus();
    return undefined;
  }
  $("comment").value = "";
  return setStatus("draft", comment);
}

function setMode(mode) {
  S.mode = mode;
  window.history.replaceState({ id: S.task.id }, "", taskUrl(S.task.id));
  renderToolbar();
}

async function saveTags() {
  const box = S.task.boxes.find((b) => b.id === S.selected);
  if (!box) return;
  const tags = $("box-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
  if (tags.join(",") === box.tags.join(",")) return;
  await perform(editCommand(history, S.task.id, box.id, { tags: box.tags }, { tags }));
}

const ACTIONS = {
  undo: () => run(async () => { if (await history.undo()) await refresh(); }),
  redo: () => run(async () => { if (await history.redo()) await refresh(); }),
  next: () => S.task.next !== null && load(S.task.next),
  prev: () => S.task.prev !== null && load(S.task.prev),
  finish: () => finish(),
  delete: () => deleteSelected(),
  accept: () => acceptSelected(false),
  reject: () => rejectSelected(),
  escape: () => { S.suggestion = null; S.selected = null; render(); },
  "select-next": () => selectNext(1),
  "select-prev": () => selectNext(-1),
  class: (name) => chooseClass(name),
  suggest: () => suggest(),
  keyframe: () => markKeyframe(),
  interpolate: () => interpolate(),
  "toggle-gaze": () => { $("show-gaze").checked = !$("show-gaze").checked; toggleGaze(); },
  "reset-zoom": () => canvas.resetZoom(),
  help: () => { $("keys").parentElement.open = !$("keys").parentElement.open; },
  blur: () => document.activeElement.blur(),
};

function toggleGaze() {
  canvas.showGaze = $("show-gaze").checked;
  canvas.draw();
}

function wire() {
  document.addEventListener("keydown", (e) => {
    if (!S.task) return;
    const action = actionFor(e, S.classes);
    if (!action) return;
    e.preventDefault();
    ACTIONS[action.name](action.arg);
  });
  $("undo").addEventListener("click", () => ACTIONS.undo());
  $("redo").addEventListener("click", () => ACTIONS.redo());
  $("next").addEventListener("click", () => ACTIONS.next());
  $("prev").addEventListener("click", () => ACTIONS.prev());
  $("finish").addEventListener("click", () => finish());
  $("approve").addEventListener("click", () => finish());
  $("reject-task").addEventListener("click", () => rejectTask());
  $("mode-label").addEventListener("click", () => setMode("label"));
  $("mode-review").addEventListener("click", () => setMode("review"));
  $("suggest").addEventListener("click", () => suggest());
  $("keyframe").addEventListener("click", () => markKeyframe());
  $("interpolate").addEventListener("click", () => interpolate());
  $("show-gaze").addEventListener("change", () => toggleGaze());
  $("box-tags").addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    e.target.blur(); // back to the frame's keys; the change event saves the tags
  });
  $("canvas").addEventListener("pointerdown", () => {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  });
  $("box-tags").addEventListener("change", () => saveTags());
  window.addEventListener("popstate", (e) => { if (e.state && e.state.id) load(e.state.id, false); });
  $("keys").replaceChildren(...KEY_HELP.flatMap(([k, what]) => [el("dt", {}, k), el("dd", {}, what)]));
}

async function main() {
  renderTopbar();
  wire();
  const id = Number(window.location.pathname.split("/").pop());
  const query = new URLSearchParams(window.location.search);
  for (const f of FILTERS) if (query.get(f)) S.filters.set(f, query.get(f));
  S.mode = query.get("mode") === "review" ? "review" : "label";
  try {
    S.keyframe = JSON.parse(localStorage.getItem(KEYFRAME_KEY) || "null");
  } catch {
    S.keyframe = null;
  }
  const ok = await run(async () => (await api("/api/labels/available")).available);
  if (!ok) {
    if (ok === false) showMessage("This server has no label store; start gazeport serve with --db FILE.");
    return;
  }
  await run(async () => {
    const data = await api("/api/labels/classes");
    S.classes = data.classes;
    S.current = S.classes.length ? S.classes[0].name : null;
  });
  if (!Number.isInteger(id) || id < 1) {
    showMessage("This address names no task; open one from the task list.");
    return;
  }
  await load(id, false);
  window.history.replaceState({ id }, "", window.location.href);
}

main();
