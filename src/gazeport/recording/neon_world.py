"""The world frame table of a Neon recording: Neon Player's timeline on the scene MP4s.

Row ``i`` is frame ``i`` of :attr:`NeonRecording.timeline` (gray frames included), in the frame
table layout the video reader takes (``FRAME_TABLE_DTYPE``): ``timestamp`` in seconds since the
recording start (``info.json`` ``start_time``), and for a scene frame its part
(``container_idx``, an index into the table's ``parts``), its frame in that part and the pts of
that frame in ``Neon Scene Camera v1 psN.mp4`` (the part's i-th frame has its i-th smallest
pts, as for Core videos). A part whose MP4 is lost stays in ``parts`` with no pts, so the
reader draws its frames gray and names the missing file; Neon Player's gray frames have
``container_idx`` and ``container_frame_idx`` -1. :func:`neon_scene_audio` gives the scene
MP4s' audio tracks with their packet times on the same clock. Demuxes only; nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._types import FRAME_TABLE_DTYPE
from ..errors import CorruptFileError
from ..formats.lfs_pointer import check_not_lfs_pointer
from ..formats.neon_streams import EYE_VIDEO, SCENE_VIDEO
from ..video.demux import audio_packet_times, scan
from .frame_table import FrameTable

if TYPE_CHECKING:
    from .neon import NeonRecording

#: Neon Player's frame size when no scene video gives one (width, height) [px].
NEON_FRAME_SIZE = (1600, 1200)
#: The sensor module's frame size (two 192 px eye images side by side) [px].
EYE_FRAME_SIZE = (384, 192)


def neon_world_table(rec: NeonRecording) -> FrameTable:
    """The frame table of ``rec``'s world timeline (module docstring); ``source`` is
    ``"video"`` when at least one scene MP4 could be demuxed, else ``"timestamps"``."""
    timeline = rec.timeline
    return _video_table(
        rec, SCENE_VIDEO, timeline.timestamps_ns, timeline.part, timeline.frame_in_part,
        NEON_FRAME_SIZE,
    )  # fmt: skip


def neon_eye_table(rec: NeonRecording) -> tuple[FrameTable, np.ndarray, np.ndarray]:
    """The frames of the sensor-module (eye) video, ``Neon Sensor Module v1 psN.mp4`` (both
    eyes side by side): the frame table (same layout as :func:`neon_world_table`, no gray
    frames of its own), each row's ``timestamp_ns`` (int64 UTC ns, the ``.time`` values) and
    ``part`` (the N of psN). Rows whose part is lost or cannot be demuxed have pts -1.
    Raises :class:`StreamNotFoundError` when the recording has no eye video times."""
    eye = rec.stream("eye")
    order = np.argsort(np.asarray(eye["timestamp_ns"], dtype=np.int64), kind="stable")
    eye = eye[order]
    times = np.asarray(eye["timestamp_ns"], dtype=np.int64)
    part = np.asarray(eye["part"], dtype=np.int64)
    table = _video_table(
        rec, EYE_VIDEO, times, part, np.asarray(eye["frame_in_part"], np.int64), EYE_FRAME_SIZE
    )
    return table, times, part


def _video_table(
    rec: NeonRecording,
    basename: str,
    times_ns: np.ndarray,
    part: np.ndarray,
    frame_in_part: np.ndarray,
    default_size: tuple[int, int],
) -> FrameTable:
    """Frame table rows for frames at ``times_ns`` of ``basename psN.mp4`` (``part`` -1: gray)."""
    rows = np.empty(times_ns.shape[0], dtype=FRAME_TABLE_DTYPE)
    rows["timestamp"] = (times_ns - rec.start_time_ns) / 1e9
    rows["container_idx"] = -1
    rows["container_frame_idx"] = -1
    rows["pts"] = -1
    numbers = np.unique(part[part >= 0]).tolist()
    parts = [rec.path / f"{basename} ps{n}.mp4" for n in numbers]
    frame_size: tuple[int, int] | None = None
    for index, (number, path) in enumerate(zip(numbers, parts, strict=True)):
        mine = np.flatnonzero(part == number)
        frames = frame_in_part[mine]
        rows["container_frame_idx"][mine] = frames
        if not path.is_file():
            rows["container_idx"][mine] = index  # the reader reports the file as missing
            continue
        check_not_lfs_pointer(path)  # a placeholder is a checkout problem, not a damaged video
        try:
            info, pts = scan(path)
        except CorruptFileError:
            continue  # recorded frames without a decodable video: gray, counted as failed
        if frame_size is None and info.width > 0 and info.height > 0:
            frame_size = (info.width, info.height)
        # Frames past the MP4's own count have no picture (gray, counted as failed).
        has = frames < pts.size
        rows["container_idx"][mine[has]] = index
        rows["pts"][mine[has]] = pts[frames[has]]
    source = "video" if frame_size is not None else "timestamps"
    return FrameTable(rows, tuple(parts), frame_size or default_size, source)


def neon_scene_audio(rec: NeonRecording) -> list[tuple[Path, np.ndarray]]:
    """The audio track of every scene MP4 that exists: ``(path, packet times)``, one time per
    audio packet in demux order, in seconds since the recording start (the frame table's
    clock). A packet's time is its part's first frame time (``.time[0]``) plus its pts, the
    Companion app's anchoring (spec 1.4). Parts whose MP4 is lost, damaged or without audio are
    left out, so the exported track is silent there."""
    if not rec.has_stream("scene"):
        return []
    scene = rec.stream("scene")
    out: list[tuple[Path, np.ndarray]] = []
    for number in np.unique(scene["part"]).tolist():
        path = rec.path / f"{SCENE_VIDEO} ps{number}.mp4"
        if not path.is_file():
            continue
        try:
            times = audio_packet_times(path)
        except CorruptFileError:
            continue  # the world video already reports the damaged file
        if not times.size:
            continue
        first_ns = int(scene["timestamp_ns"][scene["part"] == number].min())
        out.append((path, (first_ns - rec.start_time_ns) / 1e9 + times))
    return out


__all__ = [
    "EYE_FRAME_SIZE",
    "NEON_FRAME_SIZE",
    "neon_eye_table",
    "neon_scene_audio",
    "neon_world_table",
]
