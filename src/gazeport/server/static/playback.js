// Playback of the scene video by frame index of the world timeline.
//
// The browser video (`/video`) holds the real frames; `/video/timestamps` says which frame
// index each video frame is and where it sits in the video (`video_time_s`). The frame shown is
// known exactly from requestVideoFrameCallback's `mediaTime` (the presented frame), not from
// `currentTime × fps`. A frame that the video does not hold (a gap Player fills virtually, or
// any frame while the browser video is still being prepared) is shown as `/frames/{i}.jpg`.

/** Largest k with a[k] <= x (a sorted), or -1. */
export function floorIndex(a, x) {
  let lo = 0;
  let hi = a.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export class Playback extends EventTarget {
  /**
   * video: <video>; still: <img>; times: Float64Array of t_s per frame index;
   * frameUrl(i) → URL of frame i as JPEG.
   */
  constructor(video, still, times, frameUrl) {
    super();
    this.video = video;
    this.still = still;
    this.times = times;
    this.count = times.length;
    this.frameUrl = frameUrl;
    this.frame = 0;
    this.speed = 1;
    this.playing = false;
    this.trim = { start: 0, end: Math.max(this.count - 1, 0) };
    this.videoTimes = null; // Float64Array, per video frame
    this.videoFrames = null; // Int32Array, frame index per video frame
    this.toVideo = new Int32Array(this.count).fill(-1);
    this._callback = null;
    video.addEventListener("seeked", () => this._presented(video.currentTime, false));
    video.addEventListener("pause", () => this._setPlaying(false));
    video.addEventListener("ended", () => this._setPlaying(false));
  }

  /** The browser video is ready: `map` is the JSON of /video/timestamps. */
  attachVideo(url, map) {
    this.videoTimes = Float64Array.from(map.video_time_s);
    this.videoFrames = Int32Array.from(map.frame_index);
    this.toVideo.fill(-1);
    this.videoFrames.forEach((f, k) => {
      if (f >= 0 && f < this.count) this.toVideo[f] = k;
    });
    this.video.src = url;
    this.video.addEventListener("loadeddata", () => this.seek(this.frame), { once: true });
  }

  get hasVideo() {
    return this.videoTimes !== null;
  }

  /** The frame a video time shows (the last video frame starting at or before it). */
  frameAtMediaTime(t) {
    const k = floorIndex(this.videoTimes, t + 1e-4);
    return this.videoFrames[Math.max(k, 0)];
  }

  /** The frame at or before `t_s` seconds of the player's clock. */
  frameAtTime(t) {
    return Math.min(Math.max(floorIndex(this.times, t), 0), this.count - 1);
  }

  _videoTarget(k) {
    const vt = this.videoTimes;
    const next = k + 1 < vt.length ? vt[k + 1] : vt[k] + (k > 0 ? vt[k] - vt[k - 1] : 0.033);
    return vt[k] + (next - vt[k]) * 0.25; // inside the frame, clear of rounding at its start
  }

  /** Show frame `i` (clamped); keeps playing if playing. */
  seek(i) {
    const frame = Math.min(Math.max(Math.round(i), 0), Math.max(this.count - 1, 0));
    const k = this.hasVideo ? this.toVideo[frame] : -1;
    if (k >= 0) {
      this.still.hidden = true;
      this.video.hidden = false;
      this.video.currentTime = this._videoTarget(k);
      if (!this.playing && typeof this.video.requestVideoFrameCallback === "function") {
        // the frame the browser really presents after the seek, by its mediaTime
        this.video.requestVideoFrameCallback((_now, meta) => {
          if (!this.video.seeking && !this.playing) this._presented(meta.mediaTime, false);
        });
      }
    } else {
      if (this.playing) this.video.pause();
      this.still.src = this.frameUrl(frame);
      this.still.hidden = false;
    }
    this._setFrame(frame);
  }

  step(delta) {
    if (this.playing) this.pause();
    this.seek(this.frame + delta);
  }

  jump(seconds) {
    this.seek(this.frameAtTime(this.times[this.frame] + seconds + 1e-6));
  }

  play() {
    if (!this.hasVideo || this.playing) return;
    const { start, end } = this.trim;
    if (this.frame >= end || this.frame < start) {
      // Player: play at (or past) the right mark rewinds to the left one without playing
      this.seek(start);
      return;
    }
    if (this.toVideo[this.frame] < 0) this.seek(this.frame);
    this.video.playbackRate = this.speed;
    this._setPlaying(true);
    this.video.play().catch((error) => {
      this._setPlaying(false);
      this.dispatchEvent(new CustomEvent("error", { detail: error }));
    });
    this._watch();
  }

  pause() {
    if (!this.playing) return;
    this.video.pause();
    this._setPlaying(false);
    this._presented(this.video.currentTime, false);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  setSpeed(speed) {
    this.speed = speed;
    this.video.playbackRate = speed;
    this.dispatchEvent(new CustomEvent("speed", { detail: speed }));
  }

  setTrim(start, end) {
    this.trim = { start, end };
  }

  _watch() {
    const video = this.video;
    if (typeof video.requestVideoFrameCallback === "function") {
      const tick = (_now, meta) => {
        this._presented(meta.mediaTime, true);
        if (this.playing) this._callback = video.requestVideoFrameCallback(tick);
      };
      this._callback = video.requestVideoFrameCallback(tick);
    } else {
      const tick = () => {
        this._presented(video.currentTime, true);
        if (this.playing) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }
  }

  _presented(mediaTime, whilePlaying) {
    if (!this.hasVideo || (whilePlaying && !this.playing)) return;
    if (!whilePlaying && this.toVideo[this.frame] < 0) return; // a still frame is shown
    const frame = this.frameAtMediaTime(mediaTime);
    if (this.playing && frame >= this.trim.end) {
      this.video.pause();
      this._setPlaying(false);
      this.seek(this.trim.end); // Player stops at the right trim mark
      return;
    }
    if (frame !== this.frame) this._setFrame(frame);
  }

  _setFrame(frame) {
    this.frame = frame;
    this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
  }

  _setPlaying(playing) {
    if (this.playing === playing) return;
    this.playing = playing;
    this.dispatchEvent(new CustomEvent("state", { detail: playing }));
  }
}
