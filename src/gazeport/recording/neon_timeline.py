"""Neon Player's world frame timeline of a Neon recording (gray frames where there is no scene).

Neon Player v6 (``BackgroundVideoExportMixin._prepare_timestamps``) builds the frames of its
``world.mp4`` and ``world_timestamps.csv`` from the scene frame times and 30 fps gray frames
(``np.arange`` with the step ``1e9 // 30`` = 33,333,333 ns):

* before the first scene frame: from ``start`` while earlier than that frame;
* after the last scene frame: from ``last + one step`` while earlier than the end;
* frames outside ``start ≤ t ≤ stop`` are dropped (``start`` is ``info.json`` ``start_time``,
  ``stop`` is start plus ``duration``), so a scene frame after the end is not on the timeline;
* every gap between consecutive frames longer than 0.5 s gets gray frames from the frame
  before it while earlier than ``after − 16,666,666 ns`` (half a frame).

Neon Player computes in float64, and ``np.arange`` on float64 advances by
``(first + step) − first`` *rounded to float64*: at today's epochs (2006–2043, where float64 has
256 ns resolution) that is 33,333,248 ns, not 33,333,333. The number of frames still comes from
the nominal step. This module uses the same effective step and counts, in int64, so the frames
are Neon Player's to within float64 rounding (≤ 128 ns) and every timestamp written is an exact
integer (scene frames are the recorded ``.time`` values, untouched).

The frames of a scene part whose MP4 is lost keep their ``.time`` timestamps (they are shown
gray); Neon Player itself skips such a part (docs/compatibility.md, "Neon world timeline"). A
recording without any scene frames gets gray frames from the start to before the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Neon Player's nominal gray frame step, ``1e9 // 30`` [ns] (it sets how many frames).
FRAME_NS = 33_333_333
#: Half a frame, ``1e9 // 60`` [ns]: a gap's gray frames stop this far before its end.
HALF_FRAME_NS = 16_666_666
#: Spaces between frames longer than this are gaps to fill [ns].
GAP_NS = 500_000_000


def _no_frames() -> np.ndarray:
    return np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class NeonTimeline:
    """World frames in time order: ``timestamps_ns`` (int64 UTC ns), and for each the scene
    video ``part`` (the N of psN) and ``frame_in_part``, both -1 for a gray frame.
    ``scene_ns`` holds every scene frame time (int64 UTC ns, sorted, also those outside the
    recording's start and end): Neon Player numbers scene frames, not timeline frames, in
    ``export_info.csv``."""

    timestamps_ns: np.ndarray
    part: np.ndarray
    frame_in_part: np.ndarray
    scene_ns: np.ndarray = field(default_factory=_no_frames)

    def __len__(self) -> int:
        return int(self.timestamps_ns.shape[0])

    def frame_at_or_before(self, t_ns: int) -> int:
        """Index of the last frame at or before ``t_ns`` (-1 when every frame is later)."""
        return int(np.searchsorted(self.timestamps_ns, t_ns, side="right")) - 1

    def in_window(self, window_ns: tuple[int, int]) -> slice:
        """The frames with ``start_ns ≤ t ≤ stop_ns`` (``window_ns``, UTC ns), as a slice."""
        start, stop = window_ns
        lo = int(np.searchsorted(self.timestamps_ns, start, side="left"))
        hi = int(np.searchsorted(self.timestamps_ns, stop, side="right"))
        return slice(lo, max(lo, hi))

    @property
    def gray(self) -> np.ndarray:
        """True for the gray frames Neon Player adds (no scene frame behind them)."""
        return np.asarray(self.part < 0)


def float_step_ns(first_ns: int) -> int:
    """The step [ns] by which ``np.arange(first, …, 33333333.0)`` really advances: numpy fills
    ``first + i·((first + step) − first)`` with that difference rounded through float64."""
    first = np.float64(first_ns)
    return int(first + np.float64(FRAME_NS)) - int(first)


def _steps(first_ns: int, before_ns: int) -> np.ndarray:
    """Neon Player's ``np.arange(first_ns, before_ns, 1e9 // 30)`` in int64: as many frames as
    the nominal step gives, ``first_ns + i·float_step_ns(first_ns)`` apart."""
    count = max(0, -(-(before_ns - first_ns) // FRAME_NS))
    return first_ns + float_step_ns(first_ns) * np.arange(count, dtype=np.int64)


def _fill_gaps(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gray frames for every gap > :data:`GAP_NS` in ``times``: their values and the index in
    ``times`` before which each is inserted (``np.insert`` keeps repeated indices in order)."""
    gaps = np.flatnonzero(np.diff(times) > GAP_NS)
    if not gaps.size:
        return _no_frames(), _no_frames()
    before, after = times[gaps], times[gaps + 1]
    # Neon Player: arange(before, after - half frame, step) replaces `before` (its i = 0).
    counts = np.maximum(-(-(after - HALF_FRAME_NS - before) // FRAME_NS) - 1, 0)
    steps = np.array([float_step_ns(int(b)) for b in before.tolist()], dtype=np.int64)
    starts = np.cumsum(counts) - counts
    i = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts) + 1
    return np.repeat(before, counts) + i * np.repeat(steps, counts), np.repeat(gaps + 1, counts)


def neon_player_timeline(scene: np.ndarray, start_ns: int, stop_ns: int) -> NeonTimeline:
    """The timeline of the scene frames ``scene`` (``timestamp_ns``, ``part``,
    ``frame_in_part``) for a recording from ``start_ns`` to ``stop_ns`` (UTC ns): Neon Player's
    rules (module docstring), in exact int64."""
    start_ns, stop_ns = int(start_ns), int(stop_ns)
    stamps = np.asarray(scene["timestamp_ns"], dtype=np.int64)
    if np.any(stamps[1:] < stamps[:-1]):  # the app's parts are sorted: no copy of the records
        scene = scene[np.argsort(stamps, kind="stable")]
    # A copy, not a view: a view of a field keeps every column of the records alive with the
    # timeline (at 4 hours, 8 MB of records for 3 MB of times).
    scene_ns = np.array(scene["timestamp_ns"], dtype=np.int64)
    if scene_ns.size:
        pre = _steps(start_ns, int(scene_ns[0]))
        last = int(scene_ns[-1])
        post = _steps(last + float_step_ns(last), stop_ns)
    else:
        pre, post = _steps(start_ns, stop_ns), _no_frames()
    times = np.concatenate((pre, scene_ns, post))
    gray_pre, gray_post = np.full(pre.size, -1, np.int64), np.full(post.size, -1, np.int64)
    part = np.concatenate((gray_pre, np.asarray(scene["part"], np.int64), gray_post))
    frame = np.concatenate((gray_pre, np.asarray(scene["frame_in_part"], np.int64), gray_post))
    keep = (times >= start_ns) & (times <= stop_ns)
    times, part, frame = times[keep], part[keep], frame[keep]
    fill, where = _fill_gaps(times)
    if fill.size:
        times = np.insert(times, where, fill)
        part = np.insert(part, where, -1)
        frame = np.insert(frame, where, -1)
    return NeonTimeline(times, part, frame, scene_ns)


def export_info_frame_range(timeline: NeonTimeline, window_ns: tuple[int, int]) -> tuple[int, int]:
    """Neon Player's ``Frame Index Range`` of ``export_info.csv`` for ``window_ns`` (UTC ns): at
    each end the index of the last *scene* frame at or before it (Neon Player's
    ``get_scene_idx_for_time``, backward), -1 when every scene frame is later. The index counts
    the frames of every ``.time`` part, also of a part whose MP4 is lost."""
    scene = timeline.scene_ns
    lo, hi = (int(np.searchsorted(scene, t, side="right")) - 1 for t in window_ns)
    return lo, hi


__all__ = [
    "FRAME_NS",
    "GAP_NS",
    "HALF_FRAME_NS",
    "NeonTimeline",
    "export_info_frame_range",
    "float_step_ns",
    "neon_player_timeline",
]
