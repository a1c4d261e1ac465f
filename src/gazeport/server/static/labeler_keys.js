// The labeler's keyboard map (web-player spec §4–5 and §10): CVAT's f/d and Label Studio's
// Ctrl+←/→ for the next/previous task, class hotkeys from the store (1–9 by position when a
// class has none), Del to delete, Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) to undo/redo.

export const KEY_HELP = [
  ["Drag", "draw a box · move · resize by its handles"],
  ["1–9 / hotkey", "class of the selected box (or the next one)"],
  ["Enter", "accept the suggestion or the selected import"],
  ["x", "reject the suggestion or the selected import"],
  ["g", "suggest a box at the fixation"],
  ["Del / Backspace", "delete the selected box"],
  ["Tab / Shift+Tab", "select the next / previous box"],
  ["Esc", "deselect, drop the suggestion"],
  ["k", "keyframe: mark the selected box for a track"],
  ["i", "interpolate from the marked keyframe"],
  ["f / → · d / ←", "next / previous task"],
  ["Ctrl+Enter", "finish the task (review: approve) and go on"],
  ["v", "gaze and fixation on / off"],
  ["Wheel · right-drag · 0", "zoom · pan · whole frame"],
  ["Ctrl+Z · Ctrl+Shift+Z", "undo · redo"],
];

/** The action for a key event, or null: {name, arg}. `classes` are the active classes. */
export function actionFor(e, classes) {
  const target = e.target;
  if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) {
    return e.key === "Escape" ? { name: "blur" } : null;
  }
  const ctrl = e.ctrlKey || e.metaKey;
  const key = e.key;
  if (ctrl) {
    if (key.toLowerCase() === "z") return { name: e.shiftKey ? "redo" : "undo" };
    if (key.toLowerCase() === "y") return { name: "redo" };
    if (key === "Enter") return { name: "finish" };
    if (key === "ArrowRight") return { name: "next" };
    if (key === "ArrowLeft") return { name: "prev" };
    return null;
  }
  if (e.altKey) return null;
  switch (key) {
    case "Delete":
    case "Backspace":
      return { name: "delete" };
    case "Enter":
      return { name: "accept" };
    case "Escape":
      return { name: "escape" };
    case "Tab":
      return { name: e.shiftKey ? "select-prev" : "select-next" };
    case "ArrowRight":
    case "f":
      return { name: "next" };
    case "ArrowLeft":
    case "d":
      return { name: "prev" };
    default:
      break;
  }
  const byHotkey = classes.find((c) => c.hotkey && c.hotkey === key);
  if (byHotkey) return { name: "class", arg: byHotkey.name };
  if (/^[1-9]$/.test(key)) {
    const cls = classes[Number(key) - 1];
    return cls ? { name: "class", arg: cls.name } : null;
  }
  const simple = { 0: "reset-zoom", g: "suggest", x: "reject", k: "keyframe", i: "interpolate", v: "toggle-gaze", "?": "help" };
  return simple[key] ? { name: simple[key] } : null;
}

/** The key to show next to a class: its hotkey, or its position 1–9. */
export function classKey(cls, index) {
  if (cls.hotkey) return cls.hotkey;
  return index < 9 ? String(index + 1) : "";
}
