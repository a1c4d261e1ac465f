// The player page /player/{id}: the scene video with gaze drawn at the shown frame, the seek bar
// with trim marks and timeline rows, Pupil/Neon Player's keys, annotation hotkeys and `e` to
// export the trim range. This module wires the parts together (see playback.js, timeline.js,
// overlay.js, keys.js, annotations_panel.js, export_panel.js, scene_cache.js).
import { AnnotationsPanel } from "./annotations_panel.js";
import { EYES_KEY, EyePictures } from "./eye_overlay.js";
import { ExportPanel } from "./export_panel.js";
import { PRESETS, RESERVED, SPEEDS, bindKeys, helpRows } from "./keys.js";
import { api, el, renderTopbar, showMessage } from "./layout.js";
import { Overlay } from "./overlay.js";
import { Playback } from "./playback.js";
import { SceneCache } from "./scene_cache.js";
import { Timeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const PRESET_KEY = "gazeport.player.arrows";

/** 83.2504 → "00:01:23.250". */
export function clockText(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3600000);
  const m = Math.floor((ms % 3600000) / 60000);
  const s = Math.floor((ms % 60000) / 1000);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

function wallText(ns) {
  if (!Number.isFinite(ns)) return "–";
  const d = new Date(ns / 1e6);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

let toastTimer = 0;
function notify(text, kind = "ok") {
  const toast = $("toast");
  toast.textContent = text;
  toast.className = `toast ${kind}`;
  toast.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    toast.hidden = true;
  }, kind === "error" ? 6000 : 2500);
}

class Player {
  constructor(rid, rec, cache) {
    this.rid = rid;
    this.base = `/api/recordings/${encodeURIComponent(rid)}`;
    this.rec = rec;
    this.cache = cache;
    this.times = cache.times;
    this.count = this.times.length;
    this.preset = window.localStorage.getItem(PRESET_KEY) === "neon" ? "neon" : "pupil";
    this.playback = new Playback($("video"), $("still"), this.times, (i) => `${this.base}/frames/${i}.jpg`);
    this.overlay = new Overlay($("overlay"), cache.size);
    this.timeline = new Timeline($("timeline"), this.times, {
      seek: (frame) => this.playback.seek(frame),
      scrub: (phase) => this._scrub(phase),
      trim: (start, end, phase) => this._dragTrim(start, end, phase),
    });
    this.timeline.setData({ fixations: cache.fixations, blinks: cache.blinks });
    this.annotations = new AnnotationsPanel($("annotations-panel"), rid, {
      frame: () => this.playback.frame,
      seek: (frame) => this.playback.seek(frame),
      setTrim: (which, frame) => this.setTrimAt(which, frame),
      changed: (items) => this.timeline.setData({ annotations: items }),
      notify,
    });
    this.exports = new ExportPanel($("export-panel"), rid, {
      trim: () => this.playback.trim,
      notify,
    });
    this.wasPlaying = false;
    this.eyes = null; // EyePictures once /eyes lists any
    this._wire();
  }

  async start() {
    await Promise.all([
      this._loadTrim(),
      this.annotations.load().catch((e) => notify(e.message, "error")),
      this._loadEyes().catch((e) => notify(e.message, "error")),
    ]);
    this.playback.seek(0);
    this.exports.mountJobs();
    this._prepareVideo();
  }

  async _prepareVideo() {
    const note = $("stage-note");
    for (;;) {
      let status;
      try {
        status = await api(`${this.base}/video/status`);
      } catch (error) {
        note.textContent = error.message;
        note.hidden = false;
        return;
      }
      if (status.status === "ready") break;
      if (status.status === "failed") {
        note.textContent = `${status.error || "The browser video could not be prepared."} Frames are shown one by one.`;
        note.hidden = false;
        return;
      }
      note.textContent = `Preparing the browser video… ${Math.round(status.progress * 100)} %`;
      note.hidden = false;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const map = await api(`${this.base}/video/timestamps`);
    note.hidden = true;
    this.playback.attachVideo(`${this.base}/video`, map);
    document.body.dataset.video = "ready";
  }

  /** The Eyes toggle, shown when the recording has eye videos; remembered across pages. */
  async _loadEyes() {
    const { eyes } = await api(`${this.base}/eyes`);
    if (!eyes.length) return;
    this.eyes = new EyePictures(this.base, eyes, () => this._drawOverlay());
    this.overlay.under = (ctx, rect) => this.eyes.draw(ctx, rect);
    const box = $("show-eyes");
    box.checked = window.localStorage.getItem(EYES_KEY) === "on";
    $("eyes-toggle").hidden = false;
    box.addEventListener("change", () => {
      window.localStorage.setItem(EYES_KEY, box.checked ? "on" : "off");
      this.eyes.setEnabled(box.checked, this.playback.frame);
      box.blur();
    });
    if (box.checked) this.eyes.setEnabled(true, this.playback.frame);
  }

  async _loadTrim() {
    const trim = await api(`${this.base}/trim`);
    this._setTrim(trim.start_frame, trim.end_frame, trim.saved);
  }

  _setTrim(start, end, saved) {
    this.playback.setTrim(start, end);
    this.timeline.setTrim(start, end);
    const t = this.times;
    const text = `frames ${start} – ${end} · ${t[start].toFixed(3)} – ${t[end].toFixed(3)} s`;
    $("trim-text").textContent = text;
    $("export-range").textContent = `Trim range: ${text} (${end - start + 1} frames)`;
    if (saved !== undefined) $("trim-saved").textContent = saved ? "saved" : "whole recording";
  }

  /** Save the trim marks. Saves go to the server one at a time and the newest wins: marks set
   * while a save is in flight are sent after it, and a reply to an older save never moves marks
   * the user has set since (two quick `[` `]` presses used to end on the first reply). */
  _saveTrim(start, end) {
    this.trimWanted = { start, end };
    if (!this.trimSaving) this.trimSaving = this._sendTrims().finally(() => { this.trimSaving = null; });
    return this.trimSaving;
  }

  async _sendTrims() {
    while (this.trimWanted) {
      const wanted = this.trimWanted;
      this.trimWanted = null;
      try {
        const trim = wanted.reset
          ? await api(`${this.base}/trim`, { method: "DELETE" })
          : await api(`${this.base}/trim`, { method: "PUT", body: { start_frame: wanted.start, end_frame: wanted.end } });
        if (!this.trimWanted) this._setTrim(trim.start_frame, trim.end_frame, trim.saved);
      } catch (error) {
        notify(error.message, "error");
        if (!this.trimWanted) await this._loadTrim().catch(() => {});
      }
    }
  }

  _dragTrim(start, end, phase) {
    if (phase === "start") {
      this.wasPlaying = this.playback.playing;
      this.playback.pause();
      return;
    }
    const moved = start !== this.playback.trim.start ? start : end;
    this._setTrim(start, end);
    if (phase === "move") this.playback.seek(moved); // show the frame the mark is at (Neon)
    if (phase === "end") this._saveTrim(start, end);
  }

  _scrub(phase) {
    if (phase === "start") {
      this.wasPlaying = this.playback.playing;
      this.playback.pause();
    } else if (this.wasPlaying) {
      this.playback.play(); // Player resumes after a seek if it was playing
    }
  }

  /** Set the left or right trim mark at `frame` (default: the frame shown). */
  setTrimAt(which, frame = this.playback.frame) {
    const f = frame;
    let { start, end } = this.playback.trim;
    if (which === "start") {
      start = f;
      end = Math.max(end, f);
    } else {
      end = f;
      start = Math.min(start, f);
    }
    this._setTrim(start, end);
    this._saveTrim(start, end);
  }

  /** The backslash key: back to the whole recording (queued behind a save in flight, like the marks). */
  resetTrim() {
    this.trimWanted = { reset: true };
    if (!this.trimSaving) this.trimSaving = this._sendTrims().finally(() => { this.trimSaving = null; });
    return this.trimSaving;
  }

  changeSpeed(sign) {
    const i = SPEEDS.indexOf(this.playback.speed);
    const next = SPEEDS[Math.min(Math.max((i < 0 ? 2 : i) + sign, 0), SPEEDS.length - 1)];
    this.playback.setSpeed(next);
  }

  _render() {
    const f = this.playback.frame;
    const t = this.times[f];
    $("frame-readout").textContent = `${f} / ${this.count - 1}`;
    $("frame-readout").dataset.frame = String(f);
    $("time-readout").textContent = `${t.toFixed(3)} s`;
    $("time-readout").title = clockText(t);
    $("clock-readout").textContent = wallText(this.cache.timestampNs[f]);
    this.timeline.setFrame(f);
    if (this.eyes) this.eyes.want(f, this.playback.playing);
    this._drawOverlay();
  }

  _drawOverlay() {
    const f = this.playback.frame;
    this.overlay.draw(this.cache.gaze(f), this.cache.fixationsAt(f));
  }

  _wire() {
    const pb = this.playback;
    pb.addEventListener("frame", () => this._render());
    pb.addEventListener("state", (e) => {
      $("play").textContent = e.detail ? "❚❚" : "▶";
      document.body.dataset.playing = e.detail ? "yes" : "no";
    });
    pb.addEventListener("speed", (e) => {
      $("speed").value = String(e.detail);
    });
    pb.addEventListener("error", (e) => notify(`The video cannot play: ${e.detail.message}`, "error"));
    this.cache.onGaze = () => this._drawOverlay();
    new ResizeObserver(() => this._drawOverlay()).observe($("stage"));

    const speed = $("speed");
    for (const s of SPEEDS) speed.append(el("option", { value: String(s) }, `${s}×`));
    speed.value = "1";
    speed.addEventListener("change", () => {
      pb.setSpeed(Number(speed.value));
      speed.blur();
    });

    const acts = {
      toggle: () => pb.toggle(),
      prev: () => pb.step(-1),
      next: () => pb.step(1),
      back5: () => pb.jump(-5),
      fwd5: () => pb.jump(5),
      toStart: () => pb.seek(pb.trim.start),
      toEnd: () => pb.seek(pb.trim.end),
      trimStart: () => this.setTrimAt("start"),
      trimEnd: () => this.setTrimAt("end"),
      trimReset: () => this.resetTrim(),
    };
    document.addEventListener("click", (e) => {
      const button = e.target.closest("[data-act]");
      if (button && acts[button.dataset.act]) acts[button.dataset.act]();
      if (e.target.closest("button") && e.detail > 0) e.target.closest("button").blur(); // Space is ours
    });
    for (const id of ["show-gaze", "show-fixations"]) {
      $(id).addEventListener("change", (e) => {
        this.overlay.show[id === "show-gaze" ? "gaze" : "fixations"] = e.target.checked;
        this._drawOverlay();
        e.target.blur();
      });
    }

    bindKeys(
      {
        toggle: () => pb.toggle(),
        step: (sign) => pb.step(sign),
        jump: (s) => pb.jump(s),
        speed: (sign) => this.changeSpeed(sign),
        fixation: (sign) => {
          const f = this.cache.fixationFrom(pb.frame, sign);
          if (f >= 0) pb.seek(f);
        },
        toTrim: (which) => pb.seek(pb.trim[which]),
        setTrim: (which) => this.setTrimAt(which),
        resetTrim: () => this.resetTrim(),
        export: () => this.exports.run(),
        help: () => this.toggleHelp(),
        escape: () => this.toggleHelp(false),
        annotate: (label) => this.annotations.add(label),
      },
      {
        preset: () => this.preset,
        playing: () => pb.playing,
        definitions: () => this.annotations.definitions,
      },
    );
    $("help-button").addEventListener("click", () => this.toggleHelp());
    $("help-close").addEventListener("click", () => this.toggleHelp(false));
    $("help").addEventListener("click", (e) => {
      if (e.target === $("help")) this.toggleHelp(false);
    });
    const presets = $("presets");
    for (const [name, text] of Object.entries(PRESETS)) {
      const input = el("input", { type: "radio", name: "preset", value: name });
      input.checked = name === this.preset;
      input.addEventListener("change", () => {
        this.preset = name;
        window.localStorage.setItem(PRESET_KEY, name);
        this._helpRows();
      });
      const label = el("label", { class: "check" });
      label.append(input, el("span", {}, text));
      presets.append(label);
    }
  }

  _helpRows() {
    const body = $("help-rows");
    body.replaceChildren();
    for (const [keys, what] of helpRows(this.preset)) {
      body.append(el("tr", {}, el("td", {}, el("kbd", {}, keys)), el("td", {}, what)));
    }
    const hot = $("help-hotkeys");
    hot.replaceChildren();
    const defs = Object.entries(this.annotations.definitions);
    if (!defs.length) hot.append(el("tr", {}, el("td", { class: "p-sub" }, "None defined.")));
    for (const [label, key] of defs) {
      const what = RESERVED.has(key)
        ? `Add “${label}” (its key is a player key: click its chip instead)`
        : `Add “${label}” at this frame`;
      hot.append(el("tr", {}, el("td", {}, el("kbd", {}, key || "–")), el("td", {}, what)));
    }
  }

  toggleHelp(show) {
    const help = $("help");
    const open = show === undefined ? help.hidden : show;
    if (open) this._helpRows();
    else if (help.contains(document.activeElement)) document.activeElement.blur();
    help.hidden = !open;
  }
}

async function main() {
  renderTopbar();
  const rid = decodeURIComponent(window.location.pathname.split("/").pop());
  try {
    const rec = await api(`/api/recordings/${encodeURIComponent(rid)}`);
    document.title = `${rec.name} · Player · gazeport`;
    $("title").textContent = rec.name;
    $("rec-path").textContent = rec.path;
    $("kind").textContent = rec.kind_label;
    $("kind").classList.add(`kind-${rec.kind}`);
    if (rec.error) throw new Error(rec.error);
    if (!rec.frames || !rec.frames.count) throw new Error("This recording has no scene frames to play.");
    $("stage").style.aspectRatio = `${rec.frames.width} / ${rec.frames.height}`;
    const cache = new SceneCache(rid);
    await cache.load(rec.streams);
    const player = new Player(rid, rec, cache);
    window.gazeportPlayer = player; // for the browser tests and the console
    await player.start();
    document.body.dataset.ready = "yes";
  } catch (error) {
    showMessage(error.message);
  }
}

main();
