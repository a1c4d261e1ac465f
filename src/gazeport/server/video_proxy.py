"""The scene video as a browser plays it: the original H.264 file, or a cached H.264 proxy.

Chromium plays H.264 but neither MJPEG nor MPEG-4 Part 2 (Pupil Capture's world videos), and a
recording's timeline may span several video parts with gaps. :func:`playable_video` answers
with one MP4 file and, for every video frame in it, the frame index on the recording's timeline,
its UTC ns timestamp and its presentation time in the file (``video_time_s``, what
``HTMLVideoElement.currentTime`` shows), so the player maps time to frame by timestamps, never by
``currentTime × fps``:

* a single H.264 ``.mp4`` part that holds every real frame is served as it is;
* anything else gets a proxy: every frame of the timeline (gray where there is no picture),
  H.264 with the frames' true timing, written by :class:`gazeport.video.writer.VideoWriter` into
  the user's cache folder (never into the recording), keyed by the recording's path and its
  video files' sizes and mtimes, so a changed recording gets a new proxy.

A proxy is built in a background thread; until it is ready :meth:`ProxyBuilder.status` says
``preparing`` with its progress, and the video routes answer ``202``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CorruptFileError, GazeportError
from ..recording.scene_frames import SceneFrames, open_scene_reader
from ..video.demux import probe
from ..video.writer import TIME_BASE, VideoWriter

log = logging.getLogger("gazeport.server")
#: Version of the proxy recipe: bump it to rebuild every cached proxy.
PROXY_VERSION = 1
#: Quality of proxies (libx264 crf): good enough to watch, small and quick to write.
PROXY_CRF = 23


@dataclass(frozen=True)
class PlayableVideo:
    """An MP4 a browser plays and its frames: ``frame_index``/``timestamp_ns`` (int64) and
    ``video_time_s`` (float64), one entry per video frame, in presentation order."""

    path: Path
    source: str  #: "original" or "proxy"
    frame_index: np.ndarray
    timestamp_ns: np.ndarray
    video_time_s: np.ndarray

    def timestamps_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "count": int(self.frame_index.size),
            "frame_index": self.frame_index.tolist(),
            "timestamp_ns": self.timestamp_ns.tolist(),
            "video_time_s": [round(t, 6) for t in self.video_time_s.tolist()],
        }


def original_video(frames: SceneFrames) -> PlayableVideo | None:
    """The recording's own video when a browser can play it as the whole timeline: every real
    frame in one H.264 ``.mp4`` part (other parts lost or absent: their frames are gray anyway);
    else ``None``."""
    table = frames.table
    real = np.flatnonzero(frames.real)
    if not real.size:
        return None
    containers = np.unique(table.rows["container_idx"][real])
    if containers.size != 1:
        return None
    part = table.parts[int(containers[0])]
    if part.suffix.lower() != ".mp4":
        return None
    try:
        info = probe(part)
    except (CorruptFileError, OSError):
        return None
    if info.codec != "h264" or info.time_base is None:
        return None
    pts = table.rows["pts"][real].astype(np.int64)
    return PlayableVideo(
        part,
        "original",
        real.astype(np.int64),
        frames.timestamp_ns[real].astype(np.int64),
        pts * float(info.time_base),
    )


def proxy_key(frames: SceneFrames) -> str:
    """A digest of what the proxy depends on: the recording path and its video files."""
    h = hashlib.sha256(f"v{PROXY_VERSION}|{frames.recording_dir}|{len(frames)}".encode())
    for part in frames.table.parts:
        try:
            st = part.stat()
            h.update(f"|{part}|{st.st_size}|{st.st_mtime_ns}".encode())
        except OSError:
            h.update(f"|{part}|missing".encode())
    return h.hexdigest()[:24]


def _load_proxy(folder: Path) -> PlayableVideo | None:
    video, meta = folder / "scene.mp4", folder / "scene.json"
    if not (video.is_file() and meta.is_file()):
        return None
    try:
        data = json.loads(meta.read_text())
        return PlayableVideo(
            video,
            "proxy",
            np.asarray(data["frame_index"], dtype=np.int64),
            np.asarray(data["timestamp_ns"], dtype=np.int64),
            np.asarray(data["video_time_s"], dtype=np.float64),
        )
    except (ValueError, KeyError, OSError):
        return None


def write_proxy(
    frames: SceneFrames, folder: Path, progress: Any = None, cancel: threading.Event | None = None
) -> PlayableVideo:
    """Write the H.264 proxy of every frame of ``frames`` into ``folder`` (``scene.mp4`` and
    ``scene.json``, each renamed into place when complete)."""
    n = len(frames)
    if not n:
        raise GazeportError(
            f"{frames.recording_dir} has no scene frames, so there is no video to play."
        )
    folder.mkdir(parents=True, exist_ok=True)
    t0 = int(frames.timestamp_ns[0])
    seconds = (frames.timestamp_ns.astype(np.int64) - t0) / 1e9
    span = float(seconds[-1]) if n > 1 else 0.0
    rate = (n - 1) / span if span > 0 else 30.0
    width, height = frames.width, frames.height
    path = folder / "scene.mp4"
    with open_scene_reader(frames) as reader, VideoWriter(
        path, width=width, height=height, start_time=0.0, codec="h264", crf=PROXY_CRF,
        frame_rate=min(max(rate, 1.0), 240.0), timestamp_files=False,
    ) as writer:  # fmt: skip
        for i, frame in enumerate(reader.frames()):
            if cancel is not None and cancel.is_set():
                writer.cancel(remove=True)
                raise ProxyCancelled("The video proxy was cancelled.")
            writer.write(frame.image, float(seconds[i]))
            if progress is not None and i % 30 == 0:
                progress(i / n)
    pts = writer.pts
    video_time_s = pts * float(TIME_BASE)
    meta = {
        "frame_index": list(range(n)),
        "timestamp_ns": frames.timestamp_ns.astype(np.int64).tolist(),
        "video_time_s": video_time_s.tolist(),
    }
    tmp = folder / "scene.json.writing"
    tmp.write_text(json.dumps(meta))
    os.replace(tmp, folder / "scene.json")
    return PlayableVideo(
        path, "proxy", np.arange(n, dtype=np.int64), frames.timestamp_ns.astype(np.int64),
        video_time_s,
    )  # fmt: skip


class ProxyCancelled(GazeportError):
    """The server stopped while a proxy was being written (its partial file is removed)."""


class ProxyBuilder:
    """Builds proxies in background threads, one per recording at a time, cached in ``cache_dir``."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._progress: dict[str, float] = {}
        self._failed: dict[str, str] = {}
        self._ready: dict[str, PlayableVideo] = {}  #: proxies read once, by key
        self._cancel = threading.Event()

    def status(
        self, frames: SceneFrames, original: PlayableVideo | None
    ) -> tuple[str, float, PlayableVideo | None, str | None]:
        """``(state, progress, video, error)``: ``ready`` with the video (``original`` when the
        caller found one, see :func:`original_video`), ``preparing`` (a build was started or is
        running), or ``failed`` with the reason. Starts a build if needed."""
        if original is not None:
            return "ready", 1.0, original, None
        key = proxy_key(frames)
        folder = self.cache_dir / key
        with self._lock:
            if key in self._failed:
                return "failed", 0.0, None, self._failed[key]
            if key in self._ready:
                return "ready", 1.0, self._ready[key], None
            running = self._threads.get(key)
            if running is not None and running.is_alive():
                return "preparing", self._progress.get(key, 0.0), None, None
            ready = _load_proxy(folder)
            if ready is not None:
                self._ready[key] = ready
                return "ready", 1.0, ready, None
            thread = threading.Thread(
                target=self._build, args=(key, frames, folder), name=f"proxy-{key}", daemon=True
            )
            self._threads[key] = thread
            self._progress[key] = 0.0
            thread.start()
            return "preparing", 0.0, None, None

    def _build(self, key: str, frames: SceneFrames, folder: Path) -> None:
        def progress(fraction: float) -> None:
            self._progress[key] = fraction

        try:
            write_proxy(frames, folder, progress, self._cancel)
        except ProxyCancelled:
            log.info("video proxy for %s cancelled", frames.recording_dir)
        except Exception as exc:  # the reason is shown to the user; the log keeps the detail
            log.error("video proxy for %s failed", frames.recording_dir, exc_info=exc)
            message = str(exc) if isinstance(exc, GazeportError) else type(exc).__name__
            with self._lock:
                self._failed[key] = f"The browser video could not be prepared: {message}"

    def wait(self, timeout_s: float | None = None) -> None:
        """Wait for every running build (tests, shutdown)."""
        for thread in list(self._threads.values()):
            thread.join(timeout_s)

    def close(self) -> None:
        """Stop running builds (their partial files are removed)."""
        self._cancel.set()
        self.wait(10.0)
