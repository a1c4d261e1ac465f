// The eye picture-in-picture of the player: the eye frame(s) shown with the current world frame
// (the server picks them as Pupil Player's eye overlay and Neon Player do), drawn in the top-left
// corner of the overlay canvas under the gaze. While playing at most MAX_PER_SECOND pictures
// are fetched and one at a time; the last picture stays until the next one arrives.

const MAX_PER_SECOND = 10;
export const EYES_KEY = "gazeport.player.eyes";

export class EyePictures {
  /** `base`: the recording's API path; `eyes`: the /eyes list; `redraw()`: repaint the overlay. */
  constructor(base, eyes, redraw) {
    this.base = base;
    this.eyes = eyes;
    this.redraw = redraw;
    this.enabled = false;
    this.images = new Map(); // eye -> ImageBitmap | null (null: no eye frame near)
    this.wanted = -1;
    this.shown = -1;
    this.busy = false;
    this.lastFetch = 0;
    this.timer = 0;
  }

  setEnabled(on, frame) {
    this.enabled = on;
    if (on) this.want(frame, false);
    else this.redraw();
  }

  /** Ask for the pictures of world frame `frame` (throttled while `playing`). */
  want(frame, playing) {
    this.wanted = frame;
    if (!this.enabled || this.busy || frame === this.shown) return;
    const wait = playing ? this.lastFetch + 1000 / MAX_PER_SECOND - performance.now() : 0;
    window.clearTimeout(this.timer);
    if (wait > 0) {
      this.timer = window.setTimeout(() => this.want(this.wanted, false), wait);
      return;
    }
    this._fetch(frame);
  }

  async _fetch(frame) {
    this.busy = true;
    this.lastFetch = performance.now();
    try {
      const pictures = await Promise.all(this.eyes.map((e) => this._picture(e.eye, frame)));
      for (const [i, e] of this.eyes.entries()) {
        const old = this.images.get(e.eye);
        if (old && old !== pictures[i]) old.close();
        this.images.set(e.eye, pictures[i]);
      }
      this.shown = frame;
      this.redraw();
    } catch {
      // a lost picture is no error worth a message: the last one stays, the next frame retries
    } finally {
      this.busy = false;
    }
    if (this.wanted !== this.shown) this.want(this.wanted, true);
  }

  async _picture(eye, frame) {
    const response = await fetch(`${this.base}/eyes/${encodeURIComponent(eye)}/at/${frame}.jpg`);
    if (response.status === 204) return null;
    if (!response.ok) throw new Error(`eye ${eye}: HTTP ${response.status}`);
    return createImageBitmap(await response.blob());
  }

  /** Draw the pictures in the top-left corner of `ctx` (canvas pixels; `rect` is the video's). */
  draw(ctx, rect) {
    if (!this.enabled) return;
    const { x0, y0, scale, dpr, width, height } = rect;
    const videoW = width * scale;
    const videoH = height * scale;
    const margin = Math.round(8 * dpr);
    const h = Math.max(24, Math.round(videoH * 0.24));
    let x = x0 + margin;
    for (const e of this.eyes) {
      const picture = this.images.get(e.eye);
      const w = Math.round((h * e.width) / e.height);
      if (x + w > x0 + videoW) break;
      if (picture) {
        ctx.globalAlpha = 0.92;
        ctx.drawImage(picture, x, y0 + margin, w, h);
        ctx.globalAlpha = 1;
        ctx.lineWidth = Math.max(1, dpr);
        ctx.strokeStyle = "rgba(255, 255, 255, 0.55)";
        ctx.strokeRect(x + 0.5, y0 + margin + 0.5, w - 1, h - 1);
      }
      x += w + margin;
    }
  }
}
