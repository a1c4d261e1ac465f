"""The frame table: world frame index ↔ timestamp ↔ (video part, pts), like Player's lookup.

Row ``i`` of the table is Pupil Player's frame ``i`` (its ``world_index``): the timestamps of all
video parts, gaps longer than ``max(1 s, median frame interval)`` filled with virtual frames.
Real rows point into a video part (``container_idx``, ``container_frame_idx``, ``pts``); virtual
rows have ``container_idx == -1`` and ``pts == -1`` and are rendered gray. Nothing is written
into the recording (Player caches the table as ``<name>_lookup.npy``; gazeport ignores that file).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .._types import FRAME_TABLE_DTYPE
from ..errors import CorruptFileError, GazeportWarning
from ..formats.pldata import load_timestamps
from ..timeseries import fill_gaps, find_closest, repair_backward_jumps
from ..video.demux import VIDEO_EXTENSIONS, is_decodable, scan

#: Frame size Player assumes when no video decodes (width, height) in pixels.
DEFAULT_FRAME_SIZE: tuple[int, int] = (1280, 720)
#: Frame rate of the artificial table of worldless recordings, frames per second.
ARTIFICIAL_FPS = 30.0

_NO_INT = np.int64(-1)


@dataclass
class FrameTable:
    """World (or eye) frames of a recording, real and virtual, sorted by timestamp.

    ``rows`` has dtype ``FRAME_TABLE_DTYPE`` (container_idx, container_frame_idx, timestamp [s],
    pts [stream time_base ticks]); ``parts`` are the video files in ``container_idx`` order;
    ``frame_size`` is (width, height) in pixels; ``source`` says where the rows came from:
    ``"video"``, ``"timestamps"`` (timestamp files without video) or ``"artificial"``.
    """

    rows: np.ndarray
    parts: tuple[Path, ...]
    frame_size: tuple[int, int]
    source: str

    @property
    def timestamps(self) -> npt.NDArray[np.float64]:
        """Frame timestamps in seconds, shape ``(n,)``, sorted (a contiguous copy)."""
        return np.ascontiguousarray(self.rows["timestamp"], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.rows)

    def real_mask(self) -> npt.NDArray[np.bool_]:
        """``True`` for rows backed by a decodable video frame, shape ``(n,)``."""
        return np.asarray(self.rows["container_idx"] >= 0)

    def recorded_mask(self) -> npt.NDArray[np.bool_]:
        """Rows that stand for a recorded frame (timestamp or video frame), not gap filling."""
        return np.asarray(self.rows["container_frame_idx"] >= 0)

    def index_for(self, ts: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Frame index nearest to each timestamp ``ts`` [s] (Player's ``world_index``).

        Ties go to the later frame; times outside the recording clip to the first/last frame.
        """
        if len(self.rows) == 0:
            raise ValueError("The frame table is empty, so no frame index can be found.")
        return find_closest(self._search_times, ts)

    @cached_property
    def _search_times(self) -> npt.NDArray[np.float64]:
        """:attr:`timestamps` made once for :meth:`index_for`, which exports call per chunk
        (``rows`` is not changed after the table is built; the copy is never handed out)."""
        return self.timestamps


def _part_pattern(name: str, suffix: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(name)}(?:_\d+)?{suffix}")


def find_video_parts(rec_dir: Path, name: str = "world") -> list[Path]:
    """Video parts ``<name>.<ext>`` and ``<name>_<digits>.<ext>`` in ``rec_dir``, sorted by path.

    ``<ext>`` is one of mp4, mjpeg, h264, mkv, avi. Unrelated files that Player's ``<name>*``
    glob would also catch (``world_something.mp4``, ``world.intrinsics``) are left out.
    """
    rec_dir = Path(rec_dir)
    pattern = _part_pattern(name, r"\.(?:" + "|".join(VIDEO_EXTENSIONS) + ")")
    found = [p for p in rec_dir.iterdir() if pattern.fullmatch(p.name) and p.is_file()]
    return sorted(found, key=str)


def _find_timestamp_files(rec_dir: Path, name: str) -> list[Path]:
    """``<name>_timestamps.npy`` and ``<name>_NNN_timestamps.npy``, in video-part order."""
    pattern = _part_pattern(name, r"_timestamps\.npy")
    found = [p for p in rec_dir.iterdir() if pattern.fullmatch(p.name) and p.is_file()]
    # Order them as their videos would sort: "world.mp4" < "world_001.mp4".
    return sorted(found, key=lambda p: p.name[: -len("_timestamps.npy")] + ".")


def _default_timestamps(part: Path) -> np.ndarray | None:
    return load_timestamps(part.with_name(part.stem + "_timestamps.npy"))


def _place_in_table(table_ts: np.ndarray, real_ts: np.ndarray) -> np.ndarray:
    """Row of ``table_ts`` holding each value of ``real_ts`` (``real_ts`` ⊆ ``table_ts``).

    Equal values take consecutive rows in their original order, so every real timestamp gets
    a row of its own.
    """
    order = np.argsort(real_ts, kind="stable")
    sorted_ts = real_ts[order]
    occurrence = np.arange(sorted_ts.size) - np.searchsorted(sorted_ts, sorted_ts, side="left")
    rows = np.searchsorted(table_ts, sorted_ts, side="left") + occurrence
    placed = np.empty_like(rows)
    placed[order] = rows
    return np.minimum(placed, table_ts.size - 1)


def _empty_rows(timestamps: np.ndarray) -> np.ndarray:
    rows = np.empty(timestamps.size, dtype=FRAME_TABLE_DTYPE)
    rows["container_idx"] = _NO_INT
    rows["container_frame_idx"] = _NO_INT
    rows["timestamp"] = timestamps
    rows["pts"] = _NO_INT
    return rows


def _assemble(
    part_ts: Sequence[np.ndarray],
    part_pts: Sequence[np.ndarray | None],
    labels: Sequence[Path | str],
) -> np.ndarray:
    """Rows for parts with repaired timestamps and sorted pts (``None``: undecodable part).

    Warns when a decodable part's frame and timestamp counts differ (stacklevel: the caller of
    :func:`build_frame_table`).
    """
    concatenated = np.concatenate([np.empty(0), *part_ts])
    rows = _empty_rows(fill_gaps(concatenated))
    row_of = _place_in_table(rows["timestamp"], concatenated)
    offsets = np.cumsum([0, *(t.size for t in part_ts)])
    for i, (ts, pts) in enumerate(zip(part_ts, part_pts, strict=True)):
        n = ts.size
        if pts is not None and pts.size != ts.size:
            warnings.warn(
                f"{labels[i]} has {pts.size} video frames but {ts.size} timestamps; "
                + (
                    f"the last {ts.size - pts.size} timestamps get gray frames."
                    if pts.size < ts.size
                    else f"the last {pts.size - ts.size} frames are discarded."
                ),
                GazeportWarning,
                stacklevel=3,
            )
            n = min(pts.size, ts.size)
        # Like Player, the i-th of the part's rows in *table* order gets frame i and the i-th
        # smallest pts (this differs from part order only where the repair left ts unsorted).
        part_rows = np.sort(row_of[offsets[i] : offsets[i] + n])
        rows["container_frame_idx"][part_rows] = np.arange(n)
        if pts is not None:
            rows["container_idx"][part_rows] = i
            rows["pts"][part_rows] = pts[:n]
    return rows


def _artificial(
    start: float | None, duration_s: float | None, frame_size: tuple[int, int]
) -> FrameTable:
    if start is None or duration_s is None:
        ts = np.empty(0)
    else:
        ts = np.arange(start, start + duration_s + 3.0, 1.0 / ARTIFICIAL_FPS)
    return FrameTable(_empty_rows(ts), (), frame_size, "artificial")


def build_frame_table(
    rec_dir: Path,
    name: str = "world",
    *,
    artificial_start: float | None = None,
    artificial_duration_s: float | None = None,
    timestamps_for: Callable[[Path], np.ndarray | None] | None = None,
    parts: list[Path] | None = None,
    broken_first: Collection[Path] = (),
) -> FrameTable:
    """Build the frame table of video ``name`` in ``rec_dir`` the way Pupil Player does.

    ``timestamps_for(part)`` returns a part's timestamps [s] (``None``: none); by default
    ``<stem>_timestamps.npy`` next to the part. Parts that do not decode stay virtual (gray).
    Without video files the table comes from ``<name>[_NNN]_timestamps.npy`` (all virtual,
    source ``"timestamps"``), else from ``arange(start, start + duration + 3, 1/30)`` when
    both ``artificial_start`` and ``artificial_duration_s`` [s] are given, else it is empty. Demuxes
    only (no decoding beyond one frame per part); writes nothing. Warns
    (:class:`GazeportWarning`) when a part's frame and timestamp counts differ. ``parts``
    overrides the video files (recordings converted in memory name them differently); parts in
    ``broken_first`` lose their first packet (Player's Pupil Invisible repair; their
    timestamps must already lack the first entry).
    """
    rec_dir = Path(rec_dir)
    get_ts = timestamps_for or _default_timestamps
    if parts is None:
        parts = find_video_parts(rec_dir, name)
    frame_size: tuple[int, int] | None = None

    if parts:
        part_ts, part_pts = [], []
        for part in parts:
            ts = get_ts(part)
            part_ts.append(repair_backward_jumps(np.empty(0) if ts is None else ts))
            pts: np.ndarray | None = None
            skip = part in broken_first
            if skip or is_decodable(part):
                try:
                    info, pts = scan(part, skip_first=skip)
                except CorruptFileError:
                    pts = None
                else:
                    if frame_size is None and info.width > 0 and info.height > 0:
                        frame_size = (info.width, info.height)
            part_pts.append(pts)
        rows = _assemble(part_ts, part_pts, parts)
        size = frame_size or DEFAULT_FRAME_SIZE
        if rows.size == 0:
            # No part has timestamps: Player falls back to the artificial table.
            return _artificial(artificial_start, artificial_duration_s, size)
        return FrameTable(rows, tuple(parts), size, "video")

    ts_files = _find_timestamp_files(rec_dir, name)
    loaded = [load_timestamps(f) for f in ts_files]
    part_ts = [repair_backward_jumps(ts) for ts in loaded if ts is not None]
    if sum(t.size for t in part_ts) > 0:
        rows = _assemble(part_ts, [None] * len(part_ts), ts_files)
        return FrameTable(rows, (), DEFAULT_FRAME_SIZE, "timestamps")
    return _artificial(artificial_start, artificial_duration_s, DEFAULT_FRAME_SIZE)
