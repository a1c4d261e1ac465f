"""Detect fixations and blinks in a recording and produce Player's event export files."""

from __future__ import annotations

import warnings

import numpy as np

from ..analysis import blinks as blink_detection
from ..analysis import fixations as fixation_detection
from ..errors import GazeportWarning, StreamNotFoundError
from ..recording import Recording
from . import events

GAZE_FIELDS = (
    "timestamp", "confidence", "norm_pos_x", "norm_pos_y",
    "gaze_point_3d_x", "gaze_point_3d_y", "gaze_point_3d_z",
)  # fmt: skip


def detect_recording_fixations(
    rec: Recording, params: fixation_detection.FixationParams
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The gaze columns the detector needs and the fixations found in them."""
    gaze = rec.columns("gaze", GAZE_FIELDS)
    point = np.column_stack(
        [gaze["gaze_point_3d_x"], gaze["gaze_point_3d_y"], gaze["gaze_point_3d_z"]]
    )
    found = fixation_detection.detect_fixations(
        gaze["timestamp"],
        gaze["confidence"],
        np.column_stack([gaze["norm_pos_x"], gaze["norm_pos_y"]]),
        point,
        world_timestamps=rec.world_timestamps,
        params=params,
        intrinsics=rec.world_intrinsics,
        frame_size=rec.frame_table.frame_size,
    )
    if rec.world_intrinsics is None and found.shape[0] and str(found["method"][0]) == "2d gaze":
        warnings.warn(
            f"{rec.path} has no usable world.intrinsics; 2D gaze was turned into angles with a "
            "default pinhole camera (focal length 1000 px), so fixation dispersions in degrees "
            "are approximate.",
            GazeportWarning,
            stacklevel=3,
        )
    return gaze, found


def fixation_files(
    rec: Recording,
    window: tuple[float, float],
    params: fixation_detection.FixationParams,
) -> dict[str, str] | str:
    """``{file name: text}`` for ``fixations.csv`` and ``fixation_report.csv``, or the reason
    there is nothing to export (Player writes no files then)."""
    if rec.is_invisible:
        return "Pupil Player does not detect fixations in Pupil Invisible recordings"
    if not rec.has_stream("gaze"):
        return "the recording has no gaze data"
    gaze, found = detect_recording_fixations(rec, params)
    if found.shape[0] == 0:
        return "no fixations were detected with these parameters"
    table, count = events.fixations_csv(
        found, gaze["timestamp"], gaze["confidence"], params.min_confidence, window
    )
    report = events.fixation_report_csv(
        params.max_dispersion_deg, params.min_duration_ms, params.max_duration_ms, count
    )
    return {"fixations.csv": table, "fixation_report.csv": report}


def blink_input(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """Player's blink detector input: pooled 2D (else 3D) pupil confidence, streamed by chunk."""
    ts, conf, kinds = [], [], []
    for chunk in rec.iter_chunks("pupil"):
        v = chunk.values
        ts.append(v["timestamp"])
        conf.append(v["confidence"])
        kinds.append(blink_detection.detector_kinds(v["method"], v["eye_id"]))
    if not ts:
        return np.empty(0), np.empty(0)
    return blink_detection.select_blink_input(
        np.concatenate(ts), np.concatenate(conf), np.concatenate(kinds)
    )


def blink_files(
    rec: Recording,
    window: tuple[float, float],
    params: blink_detection.BlinkParams,
) -> dict[str, str] | str:
    """``{file name: text}`` for ``blinks.csv`` and ``blink_detection_report.csv``, or the
    reason there is nothing to export."""
    if not rec.has_stream("pupil"):
        return "the recording has no pupil data"
    ts, conf = blink_input(rec)
    found, response = blink_detection.detect_blinks(
        ts, conf, world_timestamps=rec.world_timestamps, params=params
    )
    if found.shape[0] == 0:
        return "no blinks were detected with these parameters"
    table, count = events.blinks_csv(found, response, ts, window)
    report = events.blink_report_csv(
        params.history_length_s,
        params.onset_confidence_threshold,
        params.offset_confidence_threshold,
        count,
    )
    return {"blinks.csv": table, "blink_detection_report.csv": report}


def _summary(count: int, durations: np.ndarray, span_s: float) -> dict[str, float | int | None]:
    minutes = span_s / 60.0
    return {
        "count": count,
        "mean_duration": float(np.mean(durations)) if count else None,
        "rate_per_minute": count / minutes if minutes > 0 else None,
        "span_s": span_s,
    }


def fixation_summary(
    rec: Recording, params: fixation_detection.FixationParams
) -> dict[str, float | int | str | None]:
    """Count, mean duration [ms], rate per minute and method of the recording's fixations."""
    if not rec.has_stream("gaze"):
        raise StreamNotFoundError(f"{rec.path} has no gaze data, so it has no fixations.")
    gaze, found = detect_recording_fixations(rec, params)
    ts = gaze["timestamp"]
    span = float(ts[-1] - ts[0]) if ts.size > 1 else 0.0
    out: dict[str, float | int | str | None] = dict(
        _summary(found.shape[0], found["duration_ms"], span)
    )
    out["method"] = str(found["method"][0]) if found.shape[0] else None
    return out


def blink_summary(
    rec: Recording, params: blink_detection.BlinkParams
) -> dict[str, float | int | None]:
    """Count, mean duration [s] and rate per minute of the recording's blinks."""
    if not rec.has_stream("pupil"):
        raise StreamNotFoundError(f"{rec.path} has no pupil data, so blinks cannot be detected.")
    ts, conf = blink_input(rec)
    found, _ = blink_detection.detect_blinks(
        ts, conf, world_timestamps=rec.world_timestamps, params=params
    )
    span = float(ts[-1] - ts[0]) if ts.size > 1 else 0.0
    return _summary(found.shape[0], found["duration_s"], span)
