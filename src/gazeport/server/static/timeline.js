// The seek bar and the timeline rows, on one canvas.
//
// From top to bottom: a ruler with the time ticks and the playhead's knob (drag anywhere on the
// rows to scrub), the trim row with the two trim handles, then one row each for fixations,
// blinks and annotations. The handles sit on their own row, so the playhead never hides them
// (Pupil Player issue #1150). Dragging a handle also shows the frame it is at (Neon Player).
// Positions are by time (t_s), so gaps in the recording keep their length.

const LABEL_W = 104;
const PAD_R = 14;
const RULER_H = 24;
const TRIM_H = 24;
const ROW_H = 22;
const ROWS = ["Fixations", "Blinks", "Annotations"];
const HANDLE_W = 10;
const COLORS = {
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

/** A stable colour per annotation label. */
export function labelColor(label) {
  let h = 0;
  for (const ch of label) h = (h * 31 + ch.codePointAt(0)) % 360;
  return `hsl(${(h * 137) % 360}, 70%, 62%)`;
}

/** 83.25 → "1:23.25" (minutes:seconds) for the ruler. */
function tickText(t, step) {
  const m = Math.floor(t / 60);
  const s = t - m * 60;
  const digits = step < 1 ? (step < 0.1 ? 2 : 1) : 0;
  const sec = s.toFixed(digits).padStart(digits ? 3 + digits : 2, "0");
  return `${m}:${sec}`;
}

export class Timeline {
  /**
   * canvas; times: Float64Array t_s per frame; handlers: {seek(frame), scrub(phase),
   * trim(start, end, phase)} with phase "start" | "move" | "end".
   */
  constructor(canvas, times, handlers) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.times = times;
    this.count = times.length;
    this.t0 = times[0] || 0;
    this.t1 = times[this.count - 1] || 1;
    if (this.t1 <= this.t0) this.t1 = this.t0 + 1;
    this.handlers = handlers;
    this.frame = 0;
    this.trim = { start: 0, end: Math.max(this.count - 1, 0) };
    this.data = { fixations: [], blinks: [], annotations: [] };
    this.drag = null;
    this.hoverX = null;
    this.hoverHandle = null;
    this.height = RULER_H + TRIM_H + ROWS.length * ROW_H + 6;
    canvas.style.height = `${this.height}px`;
    canvas.addEventListener("pointerdown", (e) => this._down(e));
    canvas.addEventListener("pointermove", (e) => this._move(e));
    canvas.addEventListener("pointerup", (e) => this._up(e));
    canvas.addEventListener("pointercancel", (e) => this._up(e));
    canvas.addEventListener("pointerleave", () => {
      this.hoverX = null;
      this.hoverHandle = null;
      this.draw();
    });
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  setData(data) {
    this.data = { ...this.data, ...data };
    this.draw();
  }

  setFrame(frame) {
    this.frame = frame;
    this.draw();
  }

  setTrim(start, end) {
    this.trim = { start, end };
    this.draw();
  }

  get width() {
    return this.canvas.getBoundingClientRect().width;
  }

  xOfTime(t) {
    const w = this.width - LABEL_W - PAD_R;
    return LABEL_W + ((t - this.t0) / (this.t1 - this.t0)) * w;
  }

  xOfFrame(frame) {
    return this.xOfTime(this.times[Math.min(Math.max(frame, 0), this.count - 1)]);
  }

  /** The frame nearest to x. */
  frameAtX(x) {
    const w = this.width - LABEL_W - PAD_R;
    const t = this.t0 + ((x - LABEL_W) / w) * (this.t1 - this.t0);
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && Math.abs(this.times[lo - 1] - t) <= Math.abs(this.times[lo] - t)) return lo - 1;
    return lo;
  }

  _point(e) {
    const box = this.canvas.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  }

  _handleAt(x, y) {
    if (y < RULER_H - 4 || y > RULER_H + TRIM_H + 2) return null;
    const ds = Math.abs(x - this.xOfFrame(this.trim.start));
    const de = Math.abs(x - this.xOfFrame(this.trim.end));
    const reach = HANDLE_W;
    if (Math.min(ds, de) > reach) return null;
    if (ds === de) return x < this.xOfFrame(this.trim.start) ? "start" : "end";
    return ds < de ? "start" : "end";
  }

  _down(e) {
    const { x, y } = this._point(e);
    if (x < LABEL_W - 6) return;
    this.canvas.setPointerCapture(e.pointerId);
    const handle = this._handleAt(x, y);
    if (handle) {
      this.drag = { kind: "trim", handle };
      this.handlers.trim(this.trim.start, this.trim.end, "start");
      this._dragTrim(x);
    } else {
      this.drag = { kind: "seek" };
      this.handlers.scrub("start");
      this.handlers.seek(this.frameAtX(x));
    }
  }

  _move(e) {
    const { x, y } = this._point(e);
    this.hoverX = x >= LABEL_W ? x : null;
    if (!this.drag) {
      this.hoverHandle = this._handleAt(x, y);
      this.canvas.style.cursor = this.hoverHandle ? "ew-resize" : x >= LABEL_W ? "pointer" : "default";
      this.draw();
      return;
    }
    if (this.drag.kind === "trim") this._dragTrim(x);
    else this.handlers.seek(this.frameAtX(x));
  }

  _dragTrim(x) {
    const frame = this.frameAtX(x);
    let { start, end } = this.trim;
    if (this.drag.handle === "start") start = Math.min(frame, end);
    else end = Math.max(frame, start);
    this.trim = { start, end };
    this.handlers.trim(start, end, "move");
    this.draw();
  }

  _up(e) {
    if (!this.drag) return;
    const drag = this.drag;
    this.drag = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    if (drag.kind === "trim") this.handlers.trim(this.trim.start, this.trim.end, "end");
    else this.handlers.scrub("end");
  }

  draw() {
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const cssW = this.width;
    if (cssW <= 0) return;
    const w = Math.round(cssW * dpr);
    const h = Math.round(this.height * dpr);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = COLORS.bg;
    ctx.fillRect(0, 0, cssW, this.height);
    this._ruler(ctx, cssW);
    this._trimRow(ctx);
    ROWS.forEach((name, i) => this._row(ctx, name, i, cssW));
    this._outside(ctx);
    this._playhead(ctx);
  }

  _ruler(ctx, cssW) {
    const span = this.t1 - this.t0;
    const px = cssW - LABEL_W - PAD_R;
    const steps = [0.04, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    const step = steps.find((s) => (s / span) * px >= 70) || 3600;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.fillStyle = COLORS.label;
    ctx.fillText("Time", 12, RULER_H / 2);
    const first = Math.ceil(this.t0 / step) * step;
    for (let t = first; t <= this.t1 + 1e-9; t += step) {
      const x = this.xOfTime(t);
      ctx.fillStyle = COLORS.tick;
      ctx.fillRect(Math.round(x), RULER_H - 7, 1, 7);
      ctx.fillStyle = COLORS.tickText;
      ctx.fillText(tickText(t, step), x + 4, RULER_H / 2 - 1);
    }
    if (this.hoverX !== null && !this.drag) {
      ctx.fillStyle = COLORS.hover;
      ctx.fillRect(Math.round(this.hoverX), RULER_H, 1, this.height - RULER_H);
    }
  }

  _trimRow(ctx) {
    const y = RULER_H;
    ctx.fillStyle = COLORS.row;
    ctx.fillRect(0, y, this.width, TRIM_H);
    ctx.fillStyle = COLORS.label;
    ctx.font = "600 11px system-ui, sans-serif";
    ctx.fillText("Trim", 12, y + TRIM_H / 2);
    const xs = this.xOfFrame(this.trim.start);
    const xe = this.xOfFrame(this.trim.end);
    ctx.fillStyle = COLORS.trimFill;
    ctx.fillRect(xs, y + 6, Math.max(xe - xs, 1), TRIM_H - 12);
    ctx.fillStyle = COLORS.trimLine;
    ctx.fillRect(xs, y + TRIM_H / 2 - 1, Math.max(xe - xs, 1), 2);
    for (const [name, x] of [["start", xs], ["end", xe]]) {
      const hot = this.hoverHandle === name || (this.drag && this.drag.handle === name);
      ctx.fillStyle = hot ? COLORS.handleHover : COLORS.handle;
      roundRect(ctx, x - HANDLE_W / 2, y + 2, HANDLE_W, TRIM_H - 4, 3);
      ctx.fill();
      ctx.fillStyle = "rgba(0, 0, 0, 0.45)";
      ctx.fillRect(x - 2, y + 8, 1, TRIM_H - 16);
      ctx.fillRect(x + 1, y + 8, 1, TRIM_H - 16);
    }
  }

  _row(ctx, name, i, cssW) {
    const y = RULER_H + TRIM_H + i * ROW_H;
    ctx.fillStyle = i % 2 ? COLORS.row : COLORS.rowAlt;
    ctx.fillRect(0, y, cssW, ROW_H);
    ctx.fillStyle = COLORS.label;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.fillText(name, 12, y + ROW_H / 2);
    const bar = (start, end, color) => {
      const x0 = this.xOfTime(start);
      const x1 = this.xOfTime(end);
      ctx.fillStyle = color;
      ctx.fillRect(x0, y + 5, Math.max(x1 - x0, 2), ROW_H - 10);
    };
    if (name === "Fixations") {
      for (const f of this.data.fixations) bar(f.start_s, f.end_s, COLORS.fixation);
    } else if (name === "Blinks") {
      for (const b of this.data.blinks) bar(b.start_s, b.end_s, COLORS.blink);
    } else {
      for (const a of this.data.annotations) {
        const x = this.xOfTime(a.t_s);
        ctx.fillStyle = labelColor(a.label);
        ctx.beginPath();
        ctx.moveTo(x, y + 4);
        ctx.lineTo(x + 5, y + ROW_H / 2);
        ctx.lineTo(x, y + ROW_H - 4);
        ctx.lineTo(x - 5, y + ROW_H / 2);
        ctx.closePath();
        ctx.fill();
      }
    }
  }

  _outside(ctx) {
    const top = RULER_H + TRIM_H;
    const xs = this.xOfFrame(this.trim.start);
    const xe = this.xOfFrame(this.trim.end);
    ctx.fillStyle = COLORS.outside;
    ctx.fillRect(LABEL_W, top, Math.max(xs - LABEL_W, 0), this.height - top);
    ctx.fillRect(xe, top, Math.max(this.width - PAD_R - xe, 0), this.height - top);
  }

  _playhead(ctx) {
    const x = Math.round(this.xOfFrame(this.frame)) + 0.5;
    ctx.fillStyle = COLORS.playhead;
    ctx.fillRect(x - 0.5, RULER_H - 4, 1.5, this.height - RULER_H + 4);
    ctx.beginPath();
    ctx.moveTo(x - 6, RULER_H - 12);
    ctx.lineTo(x + 6, RULER_H - 12);
    ctx.lineTo(x, RULER_H - 3);
    ctx.closePath();
    ctx.fill();
  }
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}
