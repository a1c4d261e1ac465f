"""Scene frames as JPEG for ``/api/recordings/{id}/frames/{index}.jpg``, the last ones kept.

A player asks for the same frames again (a paused seek lands where it was, stepping back and
forth, two tabs), so every recording keeps its last :data:`CACHED_FRAMES` encoded frames
(a 1280x720 frame is about 100 kB at quality 90: a few MB per recording). ``width`` asks for a
smaller picture (thumbnails, a preview strip): scaled with area averaging, never enlarged.
Decoding goes through the recording's reader pool, outside the recording's lock, so frame
requests of different clients decode side by side.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import cv2
import numpy as np

from ..errors import GazeportError
from .recordings import OpenRecording

#: JPEG quality of served frames: sharp enough for labelling, about 100 kB at 1280x720.
JPEG_QUALITY = 90
#: Encoded frames kept per recording.
CACHED_FRAMES = 64


class FrameEncodingError(GazeportError, RuntimeError):
    """OpenCV could not encode a frame as JPEG (HTTP 500)."""


class JpegCache:
    """The last ``size`` encoded frames of one recording, by (index, width); thread-safe."""

    def __init__(self, size: int = CACHED_FRAMES) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[int, int], bytes] = OrderedDict()

    def get(self, key: tuple[int, int]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple[int, int], data: bytes) -> None:
        with self._lock:
            self._items[key] = data
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def frame_jpeg(opened: OpenRecording, index: int, width: int | None = None) -> bytes:
    """Frame ``index`` (in range) as JPEG bytes, ``width`` pixels wide if smaller than the frame
    (the height keeps the aspect ratio); gray where the frame has no picture."""
    full_width, full_height = opened.frames.width, opened.frames.height
    out_width = full_width if width is None or width >= full_width else int(width)
    cache = opened.cached("frame_jpegs", JpegCache)
    key = (index, out_width)
    data = cache.get(key)
    if data is not None:
        return data
    image: np.ndarray = opened.reader.frame(index).image
    if out_width != full_width:
        height = max(1, round(full_height * out_width / full_width))
        image = cv2.resize(image, (out_width, height), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
        raise FrameEncodingError(f"Frame {index} could not be encoded as JPEG.")
    data = encoded.tobytes()
    cache.put(key, data)
    return data
