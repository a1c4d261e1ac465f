// The labeler's canvas: the task's frame fitted to the window, its gaze samples and fixation,
// and the boxes, drawn in frame pixels scaled to the screen. Mouse: drag on the frame to draw
// a box, drag a box to move it, drag a handle to resize it, click to select. The canvas only
// reports what the user did (callbacks); labeler.js turns that into API calls.

const PALETTE = ["#2f6fed", "#e5484d", "#30a46c", "#f5a524", "#8e4ec6", "#12a594", "#d6409f", "#6e56cf", "#ad7f58"];
const HANDLE = 5; // half the side of a resize handle [screen px]
const MIN_BOX = 3; // a drag smaller than this (frame px) is a click, not a box

const assigned = new Map(); // class id → palette colour, skipping colours classes chose

/** Colours of classes without their own: the palette by class id (stable as classes are
 *  added), stepping past colours other classes chose. */
export function assignColors(classes) {
  assigned.clear();
  const taken = new Set(classes.map((c) => (c.color || "").toLowerCase()).filter(Boolean));
  for (const c of classes) {
    if (c.color) continue;
    let i = (c.id - 1) % PALETTE.length;
    for (let step = 0; step < PALETTE.length && taken.has(PALETTE[i]); step++) i = (i + 1) % PALETTE.length;
    assigned.set(c.id, PALETTE[i]);
  }
}

export function classColor(cls) {
  if (!cls) return "#9aa3b5";
  return cls.color || assigned.get(cls.id) || PALETTE[(cls.id - 1) % PALETTE.length];
}

const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

function handlePoints(b) {
  const { x, y, w, h } = b;
  return {
    nw: [x, y], n: [x + w / 2, y], ne: [x + w, y], e: [x + w, y + h / 2],
    se: [x + w, y + h], s: [x + w / 2, y + h], sw: [x, y + h], w: [x, y + h / 2],
  };
}

const CURSORS = { nw: "nwse-resize", se: "nwse-resize", ne: "nesw-resize", sw: "nesw-resize", n: "ns-resize", s: "ns-resize", e: "ew-resize", w: "ew-resize" };

export class LabelCanvas {
  constructor(canvas, callbacks) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.cb = callbacks;
    this.image = null;
    this.task = null;
    this.boxes = [];
    this.classes = new Map();
    this.suggestion = null;
    this.selected = null;
    this.keyframe = null;
    this.showGaze = true;
    this.drag = null;
    this.view = { scale: 1, ox: 0, oy: 0 };
    this.zoom = { factor: 1, dx: 0, dy: 0 }; // on top of the fit: wheel zooms, right-drag pans
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement);
    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    canvas.addEventListener("pointerup", (e) => this.#up(e));
    canvas.addEventListener("pointercancel", () => { this.drag = null; this.draw(); });
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("wheel", (e) => this.#wheel(e), { passive: false });
  }

  /** Back to the whole frame fitted to the window. */
  resetZoom() {
    this.zoom = { factor: 1, dx: 0, dy: 0 };
    this.resize();
  }

  #wheel(e) {
    if (!this.task) return;
    e.preventDefault();
    const r = this.canvas.getBoundingClientRect();
    const [px, py] = this.toImage(e.clientX, e.clientY);
    const factor = Math.min(8, Math.max(1, this.zoom.factor * Math.exp(-e.deltaY * 0.0015)));
    this.zoom.factor = factor;
    this.resize(); // the fitted view at the new factor, then keep the frame point under the pointer
    const { scale, ox, oy } = this.view;
    this.zoom.dx += e.clientX - r.left - (ox + px * scale);
    this.zoom.dy += e.clientY - r.top - (oy + py * scale);
    if (factor === 1) this.zoom = { factor: 1, dx: 0, dy: 0 };
    this.resize();
  }

  setTask(task, image) {
    if (!this.task || task.width !== this.task.width || task.height !== this.task.height) {
      this.zoom = { factor: 1, dx: 0, dy: 0 };
    }
    this.task = task;
    this.image = image;
    this.drag = null;
    this.resize();
  }

  setClasses(classes) {
    assignColors(classes);
    this.classes = new Map(classes.map((c) => [c.name, c]));
    this.draw();
  }

  setBoxes(boxes, suggestion, selected, keyframe) {
    this.boxes = boxes;
    this.suggestion = suggestion;
    this.selected = selected;
    this.keyframe = keyframe;
    this.draw();
  }

  resize() {
    const parent = this.canvas.parentElement;
    const dpr = window.devicePixelRatio || 1;
    const cw = parent.clientWidth;
    const ch = parent.clientHeight;
    this.canvas.width = Math.max(1, Math.round(cw * dpr));
    this.canvas.height = Math.max(1, Math.round(ch * dpr));
    this.canvas.style.width = `${cw}px`;
    this.canvas.style.height = `${ch}px`;
    if (this.task) {
      const pad = 16;
      const fit = Math.min((cw - 2 * pad) / this.task.width, (ch - 2 * pad) / this.task.height);
      const scale = fit * this.zoom.factor;
      this.view = {
        scale,
        ox: (cw - this.task.width * scale) / 2 + this.zoom.dx,
        oy: (ch - this.task.height * scale) / 2 + this.zoom.dy,
      };
    }
    this.draw();
  }

  /** Screen (client) coordinates → frame pixels. */
  toImage(clientX, clientY) {
    const r = this.canvas.getBoundingClientRect();
    const { scale, ox, oy } = this.view;
    return [(clientX - r.left - ox) / scale, (clientY - r.top - oy) / scale];
  }

  /** Frame pixels → client coordinates (the browser tests draw with this). */
  toClient(x, y) {
    const r = this.canvas.getBoundingClientRect();
    const { scale, ox, oy } = this.view;
    return [r.left + ox + x * scale, r.top + oy + y * scale];
  }

  #all() {
    const list = this.boxes.map((b) => ({ ...b, key: b.id }));
    if (this.suggestion) list.push({ ...this.suggestion, key: "suggested" });
    return list;
  }

  #geometry(item) {
    if (this.drag && this.drag.key === item.key && this.drag.box) return { ...item, ...this.drag.box };
    return item;
  }

  #hit(px, py) {
    const s = this.view.scale;
    const tol = (HANDLE + 2) / s;
    const items = this.#all();
    const sel = items.find((b) => b.key === this.selected);
    if (sel) {
      const pts = handlePoints(sel);
      for (const name of HANDLES) {
        const [hx, hy] = pts[name];
        if (Math.abs(px - hx) <= tol && Math.abs(py - hy) <= tol) return { item: sel, handle: name };
      }
    }
    const inside = items.filter((b) => px >= b.x && px <= b.x + b.w && py >= b.y && py <= b.y + b.h);
    inside.sort((a, b) => a.w * a.h - b.w * b.h); // the smallest box under the pointer wins
    return inside.length ? { item: inside[0], handle: null } : null;
  }

  #clamp(b) {
    const W = this.task.width;
    const H = this.task.height;
    let { x, y, w, h } = b;
    w = Math.min(Math.max(w, 1), W);
    h = Math.min(Math.max(h, 1), H);
    x = Math.min(Math.max(x, 0), W - w);
    y = Math.min(Math.max(y, 0), H - h);
    return { x, y, w, h };
  }

  #down(e) {
    if (!this.task) return;
    if (e.button === 2 || e.button === 1) {
      this.canvas.setPointerCapture(e.pointerId);
      this.drag = { mode: "pan", start: [e.clientX, e.clientY], orig: { ...this.zoom } };
      return;
    }
    if (e.button !== 0) return;
    this.canvas.setPointerCapture(e.pointerId);
    const [px, py] = this.toImage(e.clientX, e.clientY);
    const hit = this.#hit(px, py);
    if (hit) {
      const { x, y, w, h } = hit.item;
      this.selected = hit.item.key;
      this.cb.onSelect(hit.item.key);
      this.drag = { mode: hit.handle ? "resize" : "move", handle: hit.handle, key: hit.item.key, start: [px, py], orig: { x, y, w, h }, box: null };
    } else if (px >= 0 && py >= 0 && px <= this.task.width && py <= this.task.height) {
      this.selected = null;
      this.cb.onSelect(null);
      this.drag = { mode: "draw", start: [px, py], box: null, key: "new" };
    }
    this.draw();
  }

  #move(e) {
    if (!this.task) return;
    const [px, py] = this.toImage(e.clientX, e.clientY);
    if (this.cb.onPointer) this.cb.onPointer(px, py);
    const d = this.drag;
    if (d && d.mode === "pan") {
      this.zoom.dx = d.orig.dx + e.clientX - d.start[0];
      this.zoom.dy = d.orig.dy + e.clientY - d.start[1];
      this.resize();
      return;
    }
    if (!d) {
      const hit = this.#hit(px, py);
      this.canvas.style.cursor = hit ? (hit.handle ? CURSORS[hit.handle] : "move") : "crosshair";
      return;
    }
    const [sx, sy] = d.start;
    const W = this.task.width;
    const H = this.task.height;
    const cx = Math.min(Math.max(px, 0), W);
    const cy = Math.min(Math.max(py, 0), H);
    if (d.mode === "draw") {
      d.box = { x: Math.min(sx, cx), y: Math.min(sy, cy), w: Math.abs(cx - sx), h: Math.abs(cy - sy) };
    } else if (d.mode === "move") {
      d.box = this.#clamp({ ...d.orig, x: d.orig.x + px - sx, y: d.orig.y + py - sy });
    } else {
      let { x, y, w, h } = d.orig;
      let x2 = x + w;
      let y2 = y + h;
      if (d.handle.includes("w")) x = Math.min(cx, x2 - 1);
      if (d.handle.includes("e")) x2 = Math.max(cx, x + 1);
      if (d.handle.includes("n")) y = Math.min(cy, y2 - 1);
      if (d.handle.includes("s")) y2 = Math.max(cy, y + 1);
      d.box = { x, y, w: x2 - x, h: y2 - y };
    }
    this.draw();
  }

  #up() {
    const d = this.drag;
    this.drag = null;
    if (!d || d.mode === "pan" || !d.box) {
      this.draw();
      return;
    }
    const box = d.box;
    if (d.mode === "draw") {
      if (box.w >= MIN_BOX && box.h >= MIN_BOX) this.cb.onCreate(box);
    } else {
      const o = d.orig;
      if (box.x !== o.x || box.y !== o.y || box.w !== o.w || box.h !== o.h) {
        this.cb.onChange(d.key, o, box);
        // show the new geometry until labeler.js has the stored one
        this.boxes = this.boxes.map((b) => (b.id === d.key ? { ...b, ...box } : b));
        if (d.key === "suggested" && this.suggestion) this.suggestion = { ...this.suggestion, ...box };
      }
    }
    this.draw();
  }

  draw() {
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.task || !this.image) return;
    const { scale, ox, oy } = this.view;
    ctx.imageSmoothingEnabled = scale < 1;
    ctx.drawImage(this.image, ox, oy, this.task.width * scale, this.task.height * scale);
    const S = (x, y) => [ox + x * scale, oy + y * scale];
    if (this.showGaze) this.#drawGaze(S);
    for (const item of this.#all()) this.#drawBox(S, this.#geometry(item));
    if (this.drag && this.drag.mode === "draw" && this.drag.box) {
      const [x, y] = S(this.drag.box.x, this.drag.box.y);
      ctx.setLineDash([6, 4]);
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x, y, this.drag.box.w * scale, this.drag.box.h * scale);
      ctx.setLineDash([]);
    }
  }

  #drawGaze(S) {
    const ctx = this.ctx;
    for (const g of this.task.gaze || []) {
      const [x, y] = S(g.x, g.y);
      ctx.beginPath();
      ctx.arc(x, y, 4, 0, 2 * Math.PI);
      ctx.fillStyle = "rgba(48, 164, 108, 0.55)";
      ctx.fill();
      ctx.lineWidth = 1;
      ctx.strokeStyle = "rgba(255, 255, 255, 0.8)";
      ctx.stroke();
    }
    const f = this.task.fixation;
    if (f) {
      const [x, y] = S(f.x, f.y);
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = "rgba(245, 165, 36, 0.95)";
      ctx.beginPath();
      ctx.arc(x, y, 14, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x - 22, y); ctx.lineTo(x - 8, y);
      ctx.moveTo(x + 8, y); ctx.lineTo(x + 22, y);
      ctx.moveTo(x, y - 22); ctx.lineTo(x, y - 8);
      ctx.moveTo(x, y + 8); ctx.lineTo(x, y + 22);
      ctx.stroke();
    }
  }

  #drawBox(S, b) {
    const ctx = this.ctx;
    const scale = this.view.scale;
    const suggested = b.key === "suggested";
    const cls = this.classes.get(b.label);
    const color = suggested ? "#f5a524" : classColor(cls);
    const [x, y] = S(b.x, b.y);
    const w = b.w * scale;
    const h = b.h * scale;
    const selected = this.selected === b.key;
    ctx.save();
    ctx.fillStyle = color + (selected ? "33" : "1a");
    ctx.fillRect(x, y, w, h);
    if (suggested || b.source === "import" || b.source === "suggested") ctx.setLineDash([7, 4]);
    else if (b.source === "interpolated") ctx.setLineDash([2, 3]);
    ctx.lineWidth = selected ? 2.5 : 1.75;
    ctx.strokeStyle = color;
    ctx.strokeRect(x, y, w, h);
    ctx.setLineDash([]);
    let text = suggested ? `suggestion · ${b.label || "pick a class"}` : b.label;
    if (b.source === "import" && b.confidence !== null && b.confidence !== undefined) text += ` ${b.confidence.toFixed(2)}`;
    if (b.source === "interpolated") text += " · interp.";
    if (this.keyframe && this.keyframe.box_id === b.key && this.keyframe.task_id === this.task.id) text += " ◆";
    ctx.font = "600 12px system-ui, sans-serif";
    const tw = ctx.measureText(text).width + 10;
    const ty = y - 20 >= 0 ? y - 20 : y;
    ctx.fillStyle = color;
    ctx.fillRect(x - (selected ? 1.25 : 0.9), ty, tw, 20);
    ctx.fillStyle = "#ffffff";
    ctx.fillText(text, x + 5, ty + 14);
    if (selected) {
      const pts = handlePoints(b);
      for (const name of HANDLES) {
        const [hx, hy] = S(...pts[name]);
        ctx.fillStyle = "#ffffff";
        ctx.strokeStyle = color;
        ctx.lineWidth = 1.5;
        ctx.fillRect(hx - HANDLE, hy - HANDLE, 2 * HANDLE, 2 * HANDLE);
        ctx.strokeRect(hx - HANDLE, hy - HANDLE, 2 * HANDLE, 2 * HANDLE);
      }
    }
    ctx.restore();
  }
}

/** A small round swatch of a colour (styled through the CSSOM: the CSP forbids style="…"). */
export function colorDot(color) {
  const span = document.createElement("span");
  span.className = "dot";
  span.style.background = color;
  return span;
}
