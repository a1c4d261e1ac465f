"""Which world and eye video exporters a recording kind gets (DESIGN.md rule 5).

The export tasks ask :func:`videos_for` instead of testing the recording's type: Pupil Core,
Mobile and Invisible recordings get Pupil Player's exporters (frame ranges on the frame table,
``eye0.mp4``/``eye1.mp4``), Neon recordings Neon Player's timeline and the sensor module's
``eye.mp4``. A new kind is a new entry in :data:`VIDEOS_BY_KIND`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..recording.detect import RecordingKind
from ..recording.window import ExportWindow
from .eye_video import export_eye_video
from .neon_eye_video import EYE_VIDEO_FILE, export_neon_eye_video
from .neon_world_video import neon_world_source
from .world_video import (
    Progress,
    VideoOptions,
    VideoOutcome,
    export_world_video,
    write_world_video,
)

#: ``export(rec, window, path, options, progress)``; ``None``: the recording has no such video.
VideoExport = Callable[[Any, ExportWindow, Path, VideoOptions, Progress], VideoOutcome | None]


@dataclass(frozen=True)
class EyeVideo:
    """One eye video file: its name, its label in reports, how to export it, and why it is
    skipped when ``export`` returns ``None``."""

    file: str
    label: str
    export: VideoExport
    absent: str


@dataclass(frozen=True)
class KindVideos:
    """The world video exporter and the eye videos of a recording kind."""

    world: VideoExport
    eyes: tuple[EyeVideo, ...]


def _core_world(
    rec: Any, window: ExportWindow, path: Path, options: VideoOptions, progress: Progress
) -> VideoOutcome:
    return export_world_video(rec, window.frame_range, path, options, progress)


def _core_eye(eye: int) -> VideoExport:
    def export(
        rec: Any, window: ExportWindow, path: Path, options: VideoOptions, progress: Progress
    ) -> VideoOutcome | None:
        return export_eye_video(rec, eye, window.frame_range, path, options, progress)

    return export


def _neon_world(
    rec: Any, window: ExportWindow, path: Path, options: VideoOptions, progress: Progress
) -> VideoOutcome:
    options.validate()
    with ExitStack() as stack:
        source = neon_world_source(rec, window.window_ns, options, stack)
        return write_world_video(source, path, options, progress)


def _neon_eye(
    rec: Any, window: ExportWindow, path: Path, options: VideoOptions, progress: Progress
) -> VideoOutcome | None:
    return export_neon_eye_video(rec, window.window_ns, path, options, progress)


CORE_VIDEOS = KindVideos(
    _core_world,
    tuple(
        EyeVideo(f"eye{eye}.mp4", f"eye{eye} video", _core_eye(eye),
                 f"the recording has no decodable eye{eye} video")
        for eye in (0, 1)
    ),
)  # fmt: skip
NEON_VIDEOS = KindVideos(
    _neon_world,
    (
        EyeVideo(EYE_VIDEO_FILE, "eye video", _neon_eye,
                 "the recording has no decodable sensor module video "
                 "(Neon Sensor Module v1 psN.mp4)"),
    ),
)  # fmt: skip
#: Recording kind → its video exporters; kinds not listed get :data:`CORE_VIDEOS`.
VIDEOS_BY_KIND: dict[RecordingKind, KindVideos] = {RecordingKind.NEON: NEON_VIDEOS}


def videos_for(rec: Any) -> KindVideos:
    """The video exporters of ``rec``'s kind (``rec.kind``)."""
    return VIDEOS_BY_KIND.get(rec.kind, CORE_VIDEOS)


__all__ = ["CORE_VIDEOS", "NEON_VIDEOS", "VIDEOS_BY_KIND", "EyeVideo", "KindVideos", "videos_for"]
