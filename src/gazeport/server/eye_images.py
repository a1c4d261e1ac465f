"""The eye videos of a recording for the player's picture-in-picture (``/api/…/eyes``).

Core recordings have ``eye0`` and ``eye1`` videos; a Neon recording has one sensor-module
video holding both eyes side by side (called ``sensor`` here). For each world frame the eye
frame shown is the one the players pick (:mod:`gazeport.recording.eye_frames`), so the player
and an exported world video with eye overlay agree. Each eye has its own reader pool and its
last encoded frames (keyed by eye frame: neighbouring world frames often share one).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import StreamNotFoundError
from ..recording import NeonRecording, Recording
from ..recording.eye_frames import core_eye_frames, neon_eye_frames
from ..recording.neon_world import neon_eye_table
from ..video.reader import FrameReader
from ..video.reader_pool import ReaderPool
from .frame_images import JPEG_QUALITY, FrameEncodingError, JpegCache
from .recordings import OpenRecording

#: Eye pictures are small (192x192 Core, 384x192 Neon): many fit in a small cache.
CACHED_EYE_FRAMES = 128


@dataclass
class EyeVideo:
    """One eye video: ``index[k]`` is the eye frame shown with world frame ``k`` when
    ``shown[k]`` (Neon shows nothing in gaps of the eye video)."""

    name: str
    width: int
    height: int
    count: int
    index: np.ndarray
    shown: np.ndarray
    pool: ReaderPool
    cache: JpegCache

    def to_json(self) -> dict[str, object]:
        return {"eye": self.name, "width": self.width, "height": self.height,
                "frames": self.count}  # fmt: skip


class EyeVideos:
    """The eye videos of one open recording, found once; closed with the recording's memo."""

    def __init__(self, opened: OpenRecording) -> None:
        self.videos: dict[str, EyeVideo] = {}
        self._lock = threading.Lock()
        rec, frames = opened.rec, opened.frames
        if isinstance(rec, Recording):
            world_ts = np.asarray(frames.table.rows["timestamp"], dtype=np.float64)
            for name in ("eye0", "eye1"):
                self._add_core(rec, name, world_ts)
        elif isinstance(rec, NeonRecording):
            self._add_neon(rec, np.asarray(frames.timestamp_ns, dtype=np.int64))

    def _add_core(self, rec: Recording, name: str, world_ts: np.ndarray) -> None:
        try:
            table = rec.video_frame_table(name)
        except StreamNotFoundError:
            return
        if len(table) == 0 or table.source == "artificial":
            return
        if not (table.rows["container_idx"] >= 0).any() or not world_ts.size:
            return  # no decodable eye video: nothing worth showing
        index = core_eye_frames(table.rows["timestamp"], world_ts)
        pool = ReaderPool(lambda: rec.open_video(name))
        self._put(name, table.frame_size, len(table), index, np.ones(index.shape, bool), pool)

    def _add_neon(self, rec: NeonRecording, world_ns: np.ndarray) -> None:
        try:
            table, times_ns, _ = neon_eye_table(rec)
        except StreamNotFoundError:
            return
        decodable = table.rows["pts"] >= 0
        if not decodable.any():
            return
        index, shown = neon_eye_frames(times_ns, decodable, world_ns)
        pool = ReaderPool(lambda: FrameReader(table.rows, table.parts, table.frame_size))
        self._put("sensor", table.frame_size, len(table), index, shown, pool)

    def _put(
        self, name: str, size: tuple[int, int], count: int, index: np.ndarray,
        shown: np.ndarray, pool: ReaderPool,
    ) -> None:  # fmt: skip
        cache = JpegCache(CACHED_EYE_FRAMES)
        self.videos[name] = EyeVideo(name, size[0], size[1], count, index, shown, pool, cache)

    def get(self, name: str) -> EyeVideo:
        """The eye video ``name``; :class:`StreamNotFoundError` (404) when there is none."""
        if name not in self.videos:
            have = ", ".join(self.videos)
            raise StreamNotFoundError(
                f"The recording has no eye video {name!r}; it has {have}."
                if have
                else "The recording has no eye videos."
            )
        return self.videos[name]

    def close(self) -> None:
        for video in self.videos.values():
            video.pool.close()


def eye_videos(opened: OpenRecording) -> EyeVideos:
    """The recording's :class:`EyeVideos`, found on first use."""
    return opened.cached("eye_videos", lambda: EyeVideos(opened))


def eye_jpeg(video: EyeVideo, world_index: int) -> bytes | None:
    """The eye frame shown with world frame ``world_index`` (in range) as JPEG, ``None`` when
    no eye frame is shown there (a gap of a Neon eye video)."""
    if not video.shown[world_index]:
        return None
    eye_index = int(video.index[world_index])
    key = (eye_index, 0)
    data = video.cache.get(key)
    if data is not None:
        return data
    image = video.pool.frame(eye_index).image
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
        raise FrameEncodingError(f"Eye frame {eye_index} could not be encoded as JPEG.")
    data = encoded.tobytes()
    video.cache.put(key, data)
    return data
