// The overlay canvas over the scene video: gaze of the shown frame (circles, dimmer below the
// confidence threshold Player uses) and the fixation that spans it, in scene-frame pixels
// scaled to where the video is drawn (object-fit: contain).

const CONFIDENCE = 0.6;

export class Overlay {
  constructor(canvas, frameSize) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.frameSize = frameSize;
    this.show = { gaze: true, fixations: true };
    /** Drawn first, under gaze and fixations (the eye pictures): `under(ctx, rect)`. */
    this.under = null;
  }

  /** Match the canvas to its box (device pixels) and return the video's content rect. */
  _layout() {
    const box = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(box.width * dpr));
    const h = Math.max(1, Math.round(box.height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const [fw, fh] = this.frameSize;
    const scale = Math.min(w / fw, h / fh);
    return { scale, x0: (w - fw * scale) / 2, y0: (h - fh * scale) / 2, dpr };
  }

  /** Draw `gaze` ({x, y, c} arrays) and `fixations` (rows with x_px, y_px, id). */
  draw(gaze, fixations) {
    const { scale, x0, y0, dpr } = this._layout();
    const ctx = this.ctx;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (this.under) {
      const [width, height] = this.frameSize;
      this.under(ctx, { x0, y0, scale, dpr, width, height });
    }
    const px = (x) => x0 + x * scale;
    const py = (y) => y0 + y * scale;
    const unit = Math.max(this.frameSize[0] * scale, 320 * dpr) / 100; // 1% of the drawn width
    if (this.show.fixations) {
      for (const f of fixations) {
        if (f.x_px === null || f.y_px === null) continue;
        const r = unit * 4.2;
        ctx.beginPath();
        ctx.arc(px(f.x_px), py(f.y_px), r, 0, 2 * Math.PI);
        ctx.lineWidth = 2.5 * dpr;
        ctx.strokeStyle = "rgba(255, 196, 61, 0.95)";
        ctx.fillStyle = "rgba(255, 196, 61, 0.12)";
        ctx.fill();
        ctx.stroke();
        ctx.font = `600 ${Math.round(12 * dpr)}px system-ui, sans-serif`;
        ctx.fillStyle = "rgba(255, 214, 120, 1)";
        ctx.textBaseline = "bottom";
        ctx.fillText(`F${f.id}`, px(f.x_px) + r * 0.75, py(f.y_px) - r * 0.75);
      }
    }
    if (this.show.gaze && gaze) {
      for (let i = 0; i < gaze.x.length; i += 1) {
        const x = gaze.x[i];
        const y = gaze.y[i];
        if (x === null || y === null) continue;
        const good = gaze.c[i] === null || gaze.c[i] >= CONFIDENCE;
        ctx.beginPath();
        ctx.arc(px(x), py(y), unit * 2, 0, 2 * Math.PI);
        ctx.lineWidth = 3 * dpr;
        ctx.strokeStyle = good ? "rgba(255, 59, 48, 0.9)" : "rgba(255, 59, 48, 0.35)";
        ctx.fillStyle = good ? "rgba(255, 59, 48, 0.18)" : "rgba(255, 59, 48, 0.06)";
        ctx.fill();
        ctx.stroke();
      }
    }
  }
}
