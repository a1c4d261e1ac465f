"""Dataset images decoded from the scene videos: the ``write_images`` callback of
:func:`~gazeport.exporters.datasets.export.export_dataset`.

Requests are grouped by recording and sorted by frame index, and each recording's scene video is
read once, front to back, through :class:`~gazeport.video.reader.FrameReader` (which decodes
forward from frame to frame and seeks only across a jump longer than a keyframe interval), so
the cost grows with the frames between the tasks, never with a seek per task as with
``VideoCapture.set(CAP_PROP_POS_FRAMES)``. Only one decoded frame is held at a time.

Each image is encoded with OpenCV (JPEG quality 95 by default, or PNG, from the file's
extension) and written to a temporary name beside it, then renamed: a crash never leaves a
file that looks finished. A task whose recording cannot be opened, whose frame is outside the
recording, or whose frame has no decodable picture (missing or damaged video, a gray frame)
gets ``None`` and one sentence in :attr:`FrameImageWriter.problems`; the others go on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..._lazy import LazyModule

if TYPE_CHECKING:
    import cv2
else:  # imported on first use: it loads slowly and only writing needs it
    cv2 = LazyModule("cv2")
import numpy as np

from ...errors import FileWriteError, GazeportError
from ...labels.records import TaskRecord
from ...recording.scene_frames import SceneFrames, as_recording, open_scene_reader, scene_frames

#: JPEG quality of dataset images (OpenCV's scale, 0-100).
JPEG_QUALITY = 95
#: PNG compression level (0-9): OpenCV's default, a balance of speed and size.
PNG_COMPRESSION = 3

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImageProblem:
    """Why the image of one task could not be written."""

    task_id: int
    recording_dir: Path
    frame_index: int
    reason: str  # one sentence

    def __str__(self) -> str:
        return self.reason


def _encode_params(path: Path, jpeg_quality: int) -> tuple[str, list[int]]:
    ext = path.suffix.lower()
    if ext in (".jpg", ".jpeg"):
        return ".jpg", [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
    if ext == ".png":
        return ".png", [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION]
    raise ValueError(f"Cannot write dataset images as {path.suffix!r}; use .jpg or .png.")


def write_image_atomically(
    path: Path, image: np.ndarray, *, jpeg_quality: int = JPEG_QUALITY
) -> None:
    """Encode the BGR ``image`` (``(h, w, 3)`` uint8) as JPEG or PNG (by ``path``'s extension)
    into ``path`` through a temporary file and a rename. Raises :class:`FileWriteError`."""
    ext, params = _encode_params(path, jpeg_quality)
    ok, buf = cv2.imencode(ext, image, params)
    if not ok:
        raise FileWriteError(f"OpenCV could not encode the image for {path}.")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(buf.tobytes())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileWriteError(f"Could not write {path}: {exc.strerror or exc}.") from exc


@dataclass
class FrameImageWriter:
    """``write_images`` for :func:`export_dataset`: call it with ``[(task, path), ...]``; it
    returns ``{task.id: (width, height) | None}``, the size of the frame really decoded.

    ``progress(done, total)`` is called after each request; :attr:`problems` collects a
    sentence per task that got ``None``.
    """

    jpeg_quality: int = JPEG_QUALITY
    progress: Progress | None = None
    problems: list[ImageProblem] = field(default_factory=list)

    def __call__(
        self, requests: Sequence[tuple[TaskRecord, Path]]
    ) -> Mapping[int, tuple[int, int] | None]:
        for _, path in requests:
            _encode_params(Path(path), self.jpeg_quality)  # bad extensions fail before any work
        groups: dict[Path, list[tuple[TaskRecord, Path]]] = {}
        for task, path in requests:
            groups.setdefault(Path(task.recording_dir), []).append((task, Path(path)))
        sizes: dict[int, tuple[int, int] | None] = {}
        done, total = 0, len(requests)
        for rec_dir, group in groups.items():
            group.sort(key=lambda r: (r[0].frame_index, r[0].id))
            for task_id, size in self._recording(rec_dir, group):
                sizes[task_id] = size
                done += 1
                if self.progress is not None:
                    self.progress(done, total)
        return sizes

    def _problem(self, task: TaskRecord, reason: str) -> tuple[int, None]:
        self.problems.append(
            ImageProblem(task.id, Path(task.recording_dir), task.frame_index, reason)
        )
        return task.id, None

    def _recording(
        self, rec_dir: Path, group: list[tuple[TaskRecord, Path]]
    ) -> list[tuple[int, tuple[int, int] | None]]:
        try:
            frames = scene_frames(as_recording(rec_dir))
        except (GazeportError, OSError) as exc:
            return [self._problem(t, f"{rec_dir.name}: {exc}") for t, _ in group]
        if not frames.real.any():
            why = f"{rec_dir.name} has no decodable scene video, so frame {{}} has no image."
            return [self._problem(t, why.format(t.frame_index)) for t, _ in group]
        return self._decode(rec_dir, frames, group)

    def _decode(
        self, rec_dir: Path, frames: SceneFrames, group: list[tuple[TaskRecord, Path]]
    ) -> list[tuple[int, tuple[int, int] | None]]:
        out: list[tuple[int, tuple[int, int] | None]] = []
        n = len(frames)
        with open_scene_reader(frames) as reader:
            last: tuple[int, np.ndarray | None] = (-1, None)
            for task, path in group:
                k = task.frame_index
                if not 0 <= k < n:
                    out.append(self._problem(
                        task, f"Frame {k} is outside {rec_dir.name}, whose frames are 0 to {n - 1}."
                    ))  # fmt: skip
                    continue
                if last[0] != k:  # two tasks on one frame decode it once
                    frame = reader.frame(k)
                    last = (k, None if frame.virtual else frame.image)
                image = last[1]
                if image is None:
                    what = (
                        "a gray frame without a scene picture"
                        if not frames.real[k]
                        else (
                            "not decodable (" + (reader.failure_summary() or "damaged video") + ")"
                        )
                    )
                    out.append(self._problem(task, f"Frame {k} of {rec_dir.name} is {what}."))
                    continue
                write_image_atomically(path, image, jpeg_quality=self.jpeg_quality)
                out.append((task.id, (int(image.shape[1]), int(image.shape[0]))))
        return out


def write_frame_images(
    requests: Sequence[tuple[TaskRecord, Path]],
    *,
    jpeg_quality: int = JPEG_QUALITY,
    progress: Progress | None = None,
) -> tuple[dict[int, tuple[int, int] | None], list[ImageProblem]]:
    """Write the image of each ``(task, path)`` (see :class:`FrameImageWriter`); returns the
    sizes ``{task id: (width, height) | None}`` and the problems met."""
    writer = FrameImageWriter(jpeg_quality=jpeg_quality, progress=progress)
    return dict(writer(requests)), writer.problems


__all__ = [
    "JPEG_QUALITY",
    "FrameImageWriter",
    "ImageProblem",
    "write_frame_images",
    "write_image_atomically",
]
