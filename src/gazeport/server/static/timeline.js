// The seek bar and the timeline rows, on one canvas.
//
// From top to bottom: a ruler with the time ticks and the playhead's knob (drag anywhere on the
// rows to scrub), the trim row with the two trim handles, then one row each for fixations,
// blinks and annotations. The handles sit on their own row, so the playhead never hides them
// (Pupil Player issue #1150). Dragging a handle also shows the frame it is at (Neon Player).
// Positions are by time (t_s), so gaps in the recording keep their length.

import {
  COLORS,
  HANDLE_W,
  LABEL_W,
  PAD_R,
  ROWS,
  ROW_H,
  RULER_H,
  TRIM_H,
  labelColor,
  roundRect,
  tickText,
} from "./timeline_style.js";

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
    this.view = [this.t0, this.t1]; // the visible time span (wheel zooms, follows the playhead)
    this.frame = 0;
    this.trim = { start: 0, end: Math.max(this.count - 1, 0) };
    this.data = { fixations: [], blinks: [], annotations: [] };
    this.drag = null;
    this.hoverX = null;
    this.hoverHandle = null;
    this.hoverText = null;
    this.height = RULER_H + TRIM_H + ROWS.length * ROW_H + 6;
    canvas.style.height = `${this.height}px`;
    canvas.addEventListener("pointerdown", (e) => this._down(e));
    canvas.addEventListener("pointermove", (e) => this._move(e));
    canvas.addEventListener("pointerup", (e) => this._up(e));
    canvas.addEventListener("pointercancel", (e) => this._up(e));
    canvas.addEventListener("wheel", (e) => this._wheel(e), { passive: false });
    canvas.addEventListener("dblclick", () => this.resetView());
    canvas.addEventListener("pointerleave", () => {
      this.hoverX = null;
      this.hoverText = null;
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
    const t = this.times[frame];
    const [v0, v1] = this.view;
    if (!this.drag && (t < v0 || t > v1)) this._setView(t - (v1 - v0) * 0.1, v1 - v0); // follow
    this.draw();
  }

  /** Show the whole recording again (double click). */
  resetView() {
    this.view = [this.t0, this.t1];
    this.draw();
  }

  _setView(start, span) {
    const full = this.t1 - this.t0;
    const s = Math.min(Math.max(span, Math.min(full, 0.5)), full);
    const v0 = Math.min(Math.max(start, this.t0), this.t1 - s);
    this.view = [v0, v0 + s];
  }

  _wheel(e) {
    e.preventDefault();
    const { x } = this._point(e);
    const [v0, v1] = this.view;
    const span = v1 - v0;
    if (Math.abs(e.deltaX) > Math.abs(e.deltaY) || e.shiftKey) {
      const d = (e.shiftKey ? e.deltaY : e.deltaX) / (this.width - LABEL_W - PAD_R);
      this._setView(v0 + d * span, span); // pan
    } else {
      const at = this.timeAtX(Math.max(x, LABEL_W));
      const next = span * Math.exp(e.deltaY * 0.002);
      this._setView(at - ((at - v0) / span) * next, next); // zoom around the pointer
    }
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
    const [v0, v1] = this.view;
    return LABEL_W + ((t - v0) / (v1 - v0)) * w;
  }

  timeAtX(x) {
    const w = this.width - LABEL_W - PAD_R;
    const [v0, v1] = this.view;
    return v0 + ((x - LABEL_W) / w) * (v1 - v0);
  }

  xOfFrame(frame) {
    return this.xOfTime(this.times[Math.min(Math.max(frame, 0), this.count - 1)]);
  }

  /** The frame nearest to x. */
  frameAtX(x) {
    const t = this.timeAtX(x);
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

  /** What the pointer is over on an event row, as one line (Pupil Cloud shows ids and durations). */
  _itemAt(x, y) {
    const row = Math.floor((y - RULER_H - TRIM_H) / ROW_H);
    if (x < LABEL_W || row < 0 || row >= ROWS.length) return null;
    const t = this.timeAtX(x);
    const slack = (this.view[1] - this.view[0]) / Math.max(this.width - LABEL_W - PAD_R, 1) * 3;
    const span = (a, b) => `${a.toFixed(3)} – ${b.toFixed(3)} s (${Math.round((b - a) * 1000)} ms)`;
    if (ROWS[row] === "Fixations") {
      const f = this.data.fixations.find((r) => r.start_s - slack <= t && t <= r.end_s + slack);
      return f ? `Fixation ${f.id} · ${span(f.start_s, f.end_s)}` : null;
    }
    if (ROWS[row] === "Blinks") {
      const b = this.data.blinks.find((r) => r.start_s - slack <= t && t <= r.end_s + slack);
      return b ? `Blink · ${span(b.start_s, b.end_s)}` : null;
    }
    const a = this.data.annotations.find((r) => Math.abs(r.t_s - t) <= slack * 2);
    return a ? `${a.label} · frame ${a.frame_index} · ${a.t_s.toFixed(3)} s` : null;
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
      this.hoverText = this.hoverHandle ? null : this._itemAt(x, y);
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
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    // the rows' backgrounds and names, then everything on the time axis, clipped to it
    this._band(ctx, "Trim", RULER_H, TRIM_H, COLORS.row, cssW, true);
    ROWS.forEach((name, i) => {
      const y = RULER_H + TRIM_H + i * ROW_H;
      this._band(ctx, name, y, ROW_H, i % 2 ? COLORS.row : COLORS.rowAlt, cssW, false);
    });
    ctx.fillStyle = COLORS.label;
    ctx.fillText(this._zoomed() ? "Time (zoomed)" : "Time", 12, RULER_H / 2);
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_W - HANDLE_W, 0, cssW - LABEL_W - PAD_R + 2 * HANDLE_W, this.height);
    ctx.clip();
    this._ticks(ctx, cssW);
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_W, 0, cssW - LABEL_W - PAD_R, this.height);
    ctx.clip();
    ROWS.forEach((name, i) => this._events(ctx, name, RULER_H + TRIM_H + i * ROW_H));
    this._outside(ctx, cssW);
    ctx.restore();
    this._trim(ctx);
    this._playhead(ctx);
    this._tip(ctx, cssW);
    ctx.restore();
  }

  _zoomed() {
    return this.view[0] > this.t0 + 1e-9 || this.view[1] < this.t1 - 1e-9;
  }

  _band(ctx, name, y, h, color, cssW, bold) {
    ctx.fillStyle = color;
    ctx.fillRect(0, y, cssW, h);
    ctx.fillStyle = bold ? "#b9c3d6" : COLORS.label;
    ctx.font = `${bold ? "600 " : ""}11px system-ui, sans-serif`;
    ctx.fillText(name, 12, y + h / 2);
    ctx.font = "11px system-ui, sans-serif";
  }

  _ticks(ctx, cssW) {
    const [v0, v1] = this.view;
    const span = v1 - v0;
    const px = cssW - LABEL_W - PAD_R;
    const steps = [0.04, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    const step = steps.find((s) => (s / span) * px >= 70) || 3600;
    const first = Math.ceil(v0 / step - 1e-9) * step;
    for (let t = first; t <= v1 + 1e-9; t += step) {
      const x = this.xOfTime(t);
      ctx.fillStyle = COLORS.tick;
      ctx.fillRect(Math.round(x), RULER_H - 7, 1, 7);
      ctx.fillStyle = "rgba(255, 255, 255, 0.035)";
      ctx.fillRect(Math.round(x), RULER_H + TRIM_H, 1, this.height - RULER_H - TRIM_H);
      ctx.fillStyle = COLORS.tickText;
      ctx.fillText(tickText(t, step), x + 4, RULER_H / 2 - 1);
    }
    if (this.hoverX !== null && !this.drag) {
      ctx.fillStyle = COLORS.hover;
      ctx.fillRect(Math.round(this.hoverX), RULER_H, 1, this.height - RULER_H);
    }
  }

  _events(ctx, name, y) {
    const bar = (start, end, color) => {
      const x0 = this.xOfTime(start);
      const x1 = this.xOfTime(end);
      ctx.fillStyle = color;
      roundRect(ctx, x0, y + 5, Math.max(x1 - x0, 2), ROW_H - 10, 2);
      ctx.fill();
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

  _outside(ctx, cssW) {
    const top = RULER_H + TRIM_H;
    const xs = this.xOfFrame(this.trim.start);
    const xe = this.xOfFrame(this.trim.end);
    ctx.fillStyle = COLORS.outside;
    ctx.fillRect(LABEL_W, top, Math.max(xs - LABEL_W, 0), this.height - top);
    ctx.fillRect(xe, top, Math.max(cssW - PAD_R - xe, 0), this.height - top);
  }

  _trim(ctx) {
    const y = RULER_H;
    const xs = this.xOfFrame(this.trim.start);
    const xe = this.xOfFrame(this.trim.end);
    ctx.fillStyle = COLORS.trimFill;
    ctx.fillRect(xs, y + 4, Math.max(xe - xs, 1), TRIM_H - 8);
    ctx.fillStyle = COLORS.trimLine;
    ctx.fillRect(xs, y + 4, Math.max(xe - xs, 1), 2);
    ctx.fillRect(xs, y + TRIM_H - 6, Math.max(xe - xs, 1), 2);
    for (const [name, x] of [["start", xs], ["end", xe]]) {
      const hot = this.hoverHandle === name || (this.drag && this.drag.handle === name);
      ctx.fillStyle = hot ? COLORS.handleHover : COLORS.handle;
      roundRect(ctx, x - HANDLE_W / 2, y + 1, HANDLE_W, TRIM_H - 2, 3);
      ctx.fill();
      ctx.fillStyle = "rgba(0, 0, 0, 0.45)";
      ctx.fillRect(x - 2, y + 7, 1, TRIM_H - 14);
      ctx.fillRect(x + 1, y + 7, 1, TRIM_H - 14);
    }
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

  /** While a trim handle is hovered or dragged: its frame and time, in the ruler. */
  _tip(ctx, cssW) {
    const which = this.drag?.handle || this.hoverHandle;
    let text;
    let at;
    if (which) {
      const frame = this.trim[which];
      text = `${which === "start" ? "Left" : "Right"} mark · frame ${frame} · ${this.times[frame].toFixed(3)} s`;
      at = this.xOfFrame(frame);
    } else if (this.hoverText && this.hoverX !== null && !this.drag) {
      text = this.hoverText;
      at = this.hoverX;
    } else {
      return;
    }
    ctx.font = "600 11px system-ui, sans-serif";
    const w = ctx.measureText(text).width + 14;
    const x = Math.min(Math.max(at - w / 2, LABEL_W), cssW - PAD_R - w);
    ctx.fillStyle = which ? "#f5d142" : "#e6eaf2";
    roundRect(ctx, x, 2, w, RULER_H - 6, 4);
    ctx.fill();
    ctx.fillStyle = "#1b1f27";
    ctx.fillText(text, x + 7, RULER_H / 2 - 1);
  }
}
