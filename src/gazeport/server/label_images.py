"""The frame of a labelling task as JPEG, at the frame's full resolution, for the labeler.

The frame is decoded through the recordings catalog (one opened recording and reader per
folder, shared with the player's routes), so only recordings inside the served root are ever
read. The last few encoded frames are kept: a labeller goes back and forth between neighbours.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import cv2

from ..errors import GazeportError, StreamNotFoundError
from ..labels.records import TaskRecord
from .paths import is_inside
from .recordings import Catalog

JPEG_QUALITY = 92  # labels need sharp edges more than small files
CACHED_FRAMES = 24


class RecordingOutsideRootError(GazeportError, PermissionError):
    """A task's recording is not below the folder the server serves."""


class TaskImages:
    """Encoded task frames, the last :data:`CACHED_FRAMES` kept (thread-safe)."""

    def __init__(self, catalog: Catalog, size: int = CACHED_FRAMES) -> None:
        self._catalog = catalog
        self._size = size
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()

    def jpeg(self, task: TaskRecord) -> bytes:
        """The task's frame as JPEG bytes (gray for a frame without a picture)."""
        folder = Path(os.path.realpath(task.recording_dir))
        key = (str(folder), task.frame_index)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        if not is_inside(self._catalog.root, folder):
            raise RecordingOutsideRootError(
                f"The task {task.id}'s recording {task.recording} is outside the folder this "
                f"server serves ({self._catalog.root}); serve a folder that holds it."
            )
        opened = self._catalog.open(self._catalog.by_relative(folder).id)
        n = len(opened.frames)
        if not 0 <= task.frame_index < n:
            raise StreamNotFoundError(
                f"The task {task.id} is frame {task.frame_index}, but {task.recording} has "
                f"frames 0 - {n - 1}; was the recording replaced?"
            )
        image = opened.reader.frame(task.frame_index).image  # the pool is thread-safe
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
            raise StreamNotFoundError(f"The frame of task {task.id} could not be encoded.")
        out = bytes(data.tobytes())
        with self._lock:
            self._cache[key] = out
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return out
