// What the player fetches about a recording, fetched once and cached: every frame's time, the
// fixations and blinks of the whole recording (for the timeline rows), and gaze in windows of
// CHUNK_S seconds, fetched when the playhead comes near them and grouped by frame index.
import { api } from "./layout.js";

const CHUNK_S = 10;

export class SceneCache {
  constructor(rid) {
    this.base = `/api/recordings/${encodeURIComponent(rid)}`;
    this.gazeByFrame = new Map(); // frame index → {x: [], y: [], c: []}
    this.chunks = new Map(); // chunk number → Promise
    this.fixations = [];
    this.blinks = [];
    this.onGaze = () => {};
  }

  /** Frame times (Float64Array t_s, ns numbers for the wall clock) and the timeline's events. */
  async load(streams) {
    const has = new Set(streams || []);
    this.hasGaze = has.has("gaze");
    const optional = (name, wanted) => (wanted ? api(`${this.base}/${name}`).catch(() => null) : null);
    const [frames, fixations, blinks] = await Promise.all([
      api(`${this.base}/frames`),
      optional("fixations", has.has("fixations") || has.has("gaze")),
      optional("blinks", has.has("blinks") || has.has("pupil")),
    ]);
    this.times = Float64Array.from(frames.t_s, (t) => (t === null ? Number.NaN : t));
    this.timestampNs = frames.timestamp_ns;
    this.size = [frames.width, frames.height];
    this.fixations = rows(fixations, ["id", "start_s", "end_s", "start_frame", "end_frame", "x_px", "y_px"]);
    this.blinks = rows(blinks, ["start_s", "end_s", "start_frame", "end_frame"]);
    return frames;
  }

  /** Gaze of `frame`, or null while its window is being fetched. */
  gaze(frame) {
    const t = this.times[frame];
    if (!Number.isFinite(t)) return null;
    const chunk = Math.floor(t / CHUNK_S);
    this._fetch(chunk);
    this._fetch(chunk + 1); // the next window, before playback needs it
    if (!this.hasGaze) return EMPTY;
    return this.gazeByFrame.get(frame) || (this.chunks.get(chunk)?.done ? EMPTY : null);
  }

  _fetch(chunk) {
    if (chunk < 0 || this.chunks.has(chunk) || !this.hasGaze) return;
    const start = chunk * CHUNK_S;
    const entry = { done: false };
    this.chunks.set(chunk, entry);
    api(`${this.base}/gaze?start_s=${start}&end_s=${start + CHUNK_S}`)
      .then((g) => {
        for (let i = 0; i < g.count; i += 1) {
          const t = g.t_s[i];
          if (t !== null && (t < start || t >= start + CHUNK_S)) continue; // the next window's
          const f = g.frame_index[i];
          let at = this.gazeByFrame.get(f);
          if (!at) {
            at = { x: [], y: [], c: [] };
            this.gazeByFrame.set(f, at);
          }
          at.x.push(g.x_px[i]);
          at.y.push(g.y_px[i]);
          at.c.push(g.confidence[i]);
        }
        entry.done = true;
        this.onGaze();
      })
      .catch(() => {
        entry.done = true; // no gaze stream: draw nothing
      });
  }

  /** Fixations whose frames include `frame`. */
  fixationsAt(frame) {
    return this.fixations.filter((f) => f.start_frame <= frame && frame <= f.end_frame);
  }

  /** Index of the next (sign > 0) or previous fixation start from `frame`, or -1. */
  fixationFrom(frame, sign) {
    const list = this.fixations;
    if (sign > 0) {
      const next = list.find((f) => f.start_frame > frame);
      return next ? next.start_frame : -1;
    }
    for (let i = list.length - 1; i >= 0; i -= 1) {
      if (list[i].start_frame < frame) return list[i].start_frame;
    }
    return -1;
  }
}

const EMPTY = { x: [], y: [], c: [] };

function rows(columns, names) {
  if (!columns || !columns.count) return [];
  const out = [];
  for (let i = 0; i < columns.count; i += 1) {
    const row = {};
    for (const name of names) row[name] = columns[name] ? columns[name][i] : null;
    out.push(row);
  }
  return out;
}
