// The labeler's undoable commands: each issues the API call of a change and of its inverse.
// Box ids go through `history.resolve`, since undoing a delete gives the box a new id.
import { api } from "./layout.js";

export function boxesUrl(tid, id) {
  return `/api/labels/tasks/${tid}/boxes${id === undefined ? "" : `/${id}`}`;
}

export function createCommand(history, tid, body) {
  let first = null;
  return {
    async run() {
      const box = await api(boxesUrl(tid), { method: "POST", body });
      if (first === null) first = box.id;
      else history.alias(history.resolve(first), box.id);
      return box;
    },
    async revert() {
      await api(boxesUrl(tid, history.resolve(first)), { method: "DELETE" });
    },
  };
}

export function editCommand(history, tid, id, before, after) {
  return {
    run: () => api(boxesUrl(tid, history.resolve(id)), { method: "PATCH", body: after }),
    revert: () => api(boxesUrl(tid, history.resolve(id)), { method: "PATCH", body: before }),
  };
}

export function deleteCommand(history, tid, box) {
  const body = {
    label: box.label, x: box.x, y: box.y, w: box.w, h: box.h, confidence: box.confidence,
    tags: box.tags, source: box.source, author: box.author,
  };
  return {
    run: () => api(boxesUrl(tid, history.resolve(box.id)), { method: "DELETE" }),
    async revert() {
      const again = await api(boxesUrl(tid), { method: "POST", body });
      history.alias(history.resolve(box.id), again.id);
      return again;
    },
  };
}

/** Interpolate between two keyframes; undo deletes the boxes it made. */
export function trackCommand(body) {
  let made = [];
  return {
    async run() {
      const r = await api("/api/labels/tracks", { method: "POST", body });
      made = r.boxes;
      return r;
    },
    async revert() {
      for (const b of made) await api(boxesUrl(b.task_id, b.id), { method: "DELETE" });
    },
  };
}
