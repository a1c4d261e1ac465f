"""Gaze, fixations and blinks of a recording for a time window, as columnar JSON.

Times in the API: ``timestamp_ns`` (UTC ns, exact, any kind of recording) and ``t_s``, seconds
since the recording's first scene frame (frame 0), the player's clock. A window
``start_s``/``end_s`` is on that clock; missing ends mean the recording's ends. Columns, not
rows: ``{"timestamp_ns": [...], "x_px": [...], ...}`` is a fraction of the size and parses
straight into typed arrays; NaN becomes ``null``.

Everything is computed once per recording with :mod:`gazeport.recording.scene_frames` (gaze in
scene-frame pixels with its frame index, fixations with their frames) and cached; a window is
two binary searches.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..analysis import blinks as blink_detection
from ..errors import GazeportError
from ..exporters.event_files import blink_input
from ..recording.facade import Recording
from ..recording.scene_frames import frame_gaze, scene_fixations
from .recordings import OpenRecording

BLINK_WINDOW_DTYPE = np.dtype([("start_ns", "<i8"), ("end_ns", "<i8")])


class BadWindowError(GazeportError, ValueError):
    """A time window whose ends are not numbers or are in the wrong order (HTTP 400)."""


def _column(values: np.ndarray) -> list[Any]:
    if values.dtype.kind == "f":
        return [None if math.isnan(v) else round(v, 4) for v in values.tolist()]
    return list(values.tolist())


def origin_ns(opened: OpenRecording) -> int:
    """UTC ns of frame 0: ``t_s`` counts from here (the recording start without frames)."""
    ts = opened.frames.timestamp_ns
    if ts.size:
        return int(ts[0])
    return int(getattr(opened.rec, "start_time_ns", 0))


def window_ns(opened: OpenRecording, start_s: float | None, end_s: float | None) -> tuple[int, int]:
    """The ``[start, end]`` UTC ns window for seconds on the player's clock."""
    for name, value in (("start_s", start_s), ("end_s", end_s)):
        if value is not None and not math.isfinite(value):
            raise BadWindowError(f"The window's {name} must be a finite number of seconds.")
    if start_s is not None and end_s is not None and end_s < start_s:
        raise BadWindowError(f"The window ends ({end_s} s) before it starts ({start_s} s).")
    t0 = origin_ns(opened)
    lo = -(2**62) if start_s is None else t0 + round(start_s * 1e9)
    hi = 2**62 if end_s is None else t0 + round(end_s * 1e9)
    return lo, hi


def gaze_window(
    opened: OpenRecording, start_s: float | None, end_s: float | None
) -> dict[str, Any]:
    """Gaze samples with ``start ≤ t ≤ end``: frame index, times, pixels, confidence."""
    lo, hi = window_ns(opened, start_s, end_s)
    gaze = opened.cached("gaze", lambda: frame_gaze(opened.rec, opened.frames))
    t = gaze["timestamp_ns"]
    rows = gaze[np.searchsorted(t, lo, "left") : np.searchsorted(t, hi, "right")]
    t0 = origin_ns(opened)
    return {
        "count": int(rows.shape[0]),
        "frame_index": _column(rows["frame_index"]),
        "timestamp_ns": _column(rows["timestamp_ns"]),
        "t_s": _column((rows["timestamp_ns"] - t0) / 1e9),
        "x_px": _column(rows["x_px"]),
        "y_px": _column(rows["y_px"]),
        "confidence": _column(rows["confidence"]),
        "frame_size": [opened.frames.width, opened.frames.height],
    }


def fixations_window(
    opened: OpenRecording, start_s: float | None, end_s: float | None
) -> dict[str, Any]:
    """Fixations overlapping the window, with their frames and mean position in pixels."""
    lo, hi = window_ns(opened, start_s, end_s)
    fix = opened.cached("fixations", lambda: scene_fixations(opened.rec, opened.frames))
    rows = fix[(fix["end_ns"] >= lo) & (fix["start_ns"] <= hi)]
    t0 = origin_ns(opened)
    return {
        "count": int(rows.shape[0]),
        "id": _column(rows["id"]),
        "start_ns": _column(rows["start_ns"]),
        "end_ns": _column(rows["end_ns"]),
        "start_s": _column((rows["start_ns"] - t0) / 1e9),
        "end_s": _column((rows["end_ns"] - t0) / 1e9),
        "start_frame": _column(rows["start_frame"]),
        "mid_frame": _column(rows["mid_frame"]),
        "end_frame": _column(rows["end_frame"]),
        "x_px": _column(rows["x_px"]),
        "y_px": _column(rows["y_px"]),
    }


def scene_blinks(opened: OpenRecording) -> np.ndarray:
    """Every blink as ``BLINK_WINDOW_DTYPE`` (UTC ns): Pupil Player's detector on Core-family
    pupil data, the app's (or Cloud's) own blinks for Neon. None without the data."""
    rec = opened.rec
    if isinstance(rec, Recording):
        if not rec.has_stream("pupil") or not len(rec.world_timestamps):
            return np.empty(0, BLINK_WINDOW_DTYPE)
        ts, conf = blink_input(rec)
        found, _ = blink_detection.detect_blinks(ts, conf, world_timestamps=rec.world_timestamps)
        out = np.empty(found.shape[0], BLINK_WINDOW_DTYPE)
        out["start_ns"] = rec.to_wall_clock_ns(found["start_timestamp"])
        out["end_ns"] = rec.to_wall_clock_ns(found["end_timestamp"])
        return out
    blinks = rec.blinks
    out = np.empty(blinks.shape[0], BLINK_WINDOW_DTYPE)
    out["start_ns"] = blinks["start_timestamp_ns"]
    out["end_ns"] = blinks["end_timestamp_ns"]
    return out[np.argsort(out["start_ns"], kind="stable")]


def blinks_window(
    opened: OpenRecording, start_s: float | None, end_s: float | None
) -> dict[str, Any]:
    """Blinks overlapping the window, with their frames."""
    lo, hi = window_ns(opened, start_s, end_s)
    blinks = opened.cached("blinks", lambda: scene_blinks(opened))
    rows = blinks[(blinks["end_ns"] >= lo) & (blinks["start_ns"] <= hi)]
    frames = opened.frames
    t0 = origin_ns(opened)
    has_frames = len(frames) > 0
    return {
        "count": int(rows.shape[0]),
        "start_ns": _column(rows["start_ns"]),
        "end_ns": _column(rows["end_ns"]),
        "start_s": _column((rows["start_ns"] - t0) / 1e9),
        "end_s": _column((rows["end_ns"] - t0) / 1e9),
        "start_frame": _column(np.maximum(frames.frame_for(rows["start_ns"]), 0))
        if has_frames
        else [],
        "end_frame": _column(np.maximum(frames.frame_for(rows["end_ns"]), 0)) if has_frames else [],
    }


def frames_json(opened: OpenRecording) -> dict[str, Any]:
    """Every frame of the timeline: count, size, UTC ns times, ``t_s`` and realness."""
    frames = opened.frames
    t0 = origin_ns(opened)
    return {
        "count": len(frames),
        "width": frames.width,
        "height": frames.height,
        "timestamp_ns": frames.timestamp_ns.tolist(),
        "t_s": _column((frames.timestamp_ns - t0) / 1e9),
        "real": frames.real.astype(bool).tolist(),
    }
