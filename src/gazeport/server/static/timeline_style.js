// The timeline's look: its layout in CSS pixels, its colours, the colour of each annotation
// label, the ruler's tick labels and a rounded rectangle path (shared by timeline.js and the
// annotations panel, whose dots match the timeline's markers).

export const LABEL_W = 104;
export const PAD_R = 14;
export const RULER_H = 24;
export const TRIM_H = 24;
export const ROW_H = 22;
export const ROWS = ["Fixations", "Blinks", "Annotations"];
export const HANDLE_W = 10;
export const COLORS = {
  bg: "#121722",
  row: "#171d2a",
  rowAlt: "#1a2130",
  label: "#93a0b8",
  tick: "#3a4558",
  tickText: "#7d8aa3",
  trimFill: "rgba(62, 207, 142, 0.22)",
  trimLine: "#3ecf8e",
  handle: "#3ecf8e",
  handleHover: "#f5d142",
  outside: "rgba(6, 8, 12, 0.55)",
  fixation: "#f0b43c",
  blink: "#7aa2ff",
  playhead: "#ffffff",
  hover: "rgba(255, 255, 255, 0.25)",
};

const PALETTE = ["#4cd38a", "#ff7eb6", "#56c2ff", "#c792ea", "#ff9f43", "#2ee6d6", "#ffd166", "#a3e635"];

const COLOR_OF = new Map();

/** A colour per annotation label: the palette in the order labels are first seen (the
 * definitions are drawn first, so each hotkey gets its own colour), stable for the page. */
export function labelColor(label) {
  if (!COLOR_OF.has(label)) COLOR_OF.set(label, PALETTE[COLOR_OF.size % PALETTE.length]);
  return COLOR_OF.get(label);
}

/** 83.25 → "1:23.25" (minutes:seconds) for the ruler. */
export function tickText(t, step) {
  const m = Math.floor(t / 60);
  const s = t - m * 60;
  const digits = step < 1 ? (step < 0.1 ? 2 : 1) : 0;
  const sec = s.toFixed(digits).padStart(digits ? 3 + digits : 2, "0");
  return `${m}:${sec}`;
}

export function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}
