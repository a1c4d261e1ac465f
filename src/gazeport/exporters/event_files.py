"""Detect fixations and blinks in a recording and produce Player's event export files."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import blinks as blink_detection
from ..analysis import fixations as fixation_detection
from ..errors import StreamNotFoundError, TrimRangeError
from ..recording import Recording

# Re-exported under their old home: the detection itself is recording-level (core_fixations).
from ..recording.core_fixations import GAZE_FIELDS as GAZE_FIELDS
from ..recording.core_fixations import detect_recording_fixations as detect_recording_fixations
from . import events


@dataclass(frozen=True)
class EventFiles:
    """Player's files for one kind of event, and how many events they hold."""

    files: dict[str, str]  #: file name -> text
    written: int  #: events overlapping the export window, the rows of the events file
    detected: int  #: events detected in the whole recording

    @property
    def outside(self) -> int:
        """Events detected outside the export window, so not written."""
        return self.detected - self.written


def fixation_files(
    rec: Recording,
    window: tuple[float, float],
    params: fixation_detection.FixationParams,
) -> EventFiles | str:
    """``fixations.csv`` and ``fixation_report.csv`` with their count, or the reason there is
    nothing to export (Player writes no files then)."""
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
    return EventFiles(
        {"fixations.csv": table, "fixation_report.csv": report}, count, found.shape[0]
    )


#: The pupil columns the blink detector reads.
BLINK_FIELDS = ("timestamp", "confidence", "method", "eye_id")


def blink_input(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """Player's blink detector input: pooled 2D (else 3D) pupil confidence (only the four
    pupil columns it needs are decoded)."""
    v = rec.columns("pupil", BLINK_FIELDS)
    if not len(v["timestamp"]):
        return np.empty(0), np.empty(0)
    kinds = blink_detection.detector_kinds(v["method"], v["eye_id"])
    return blink_detection.select_blink_input(v["timestamp"], v["confidence"], kinds)


def blink_files(
    rec: Recording,
    window: tuple[float, float],
    params: blink_detection.BlinkParams,
) -> EventFiles | str:
    """``blinks.csv`` and ``blink_detection_report.csv`` with their count, or the reason there
    is nothing to export."""
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
    return EventFiles(
        {"blinks.csv": table, "blink_detection_report.csv": report}, count, found.shape[0]
    )


Summary = dict[str, float | int | str | list[int] | None]


def _summary(
    rec: Recording, start: np.ndarray, stop: np.ndarray, durations_ms: np.ndarray, span_s: float
) -> Summary:
    """Count, count within the world frame range (what ``gazeport export`` writes without a
    range), mean duration [ms] and rate per minute of events ``start`` … ``stop`` [s]."""
    count = int(start.shape[0])
    minutes = span_s / 60.0
    frames: tuple[int, int] | None = None
    in_range: int | None = None
    try:
        frames = rec.frame_range()
    except TrimRangeError:  # no world frames: no range to export
        pass
    else:
        sl = events.overlapping(start, stop, rec.ts_window(frames))
        in_range = sl.stop - sl.start
    return {
        "count": count,
        "count_in_world_frame_range": in_range,
        "world_frame_range": None if frames is None else list(frames),
        "mean_duration_ms": float(np.mean(durations_ms)) if count else None,
        "rate_per_min": count / minutes if minutes > 0 else None,
        "data_span_s": span_s,
    }


def fixation_summary(rec: Recording, params: fixation_detection.FixationParams) -> Summary:
    """Count, count within the world frame range, mean duration [ms], rate per minute, data
    span [s] and method of the recording's fixations."""
    if not rec.has_stream("gaze"):
        raise StreamNotFoundError(f"{rec.path} has no gaze data, so it has no fixations.")
    gaze, found = detect_recording_fixations(rec, params)
    ts = gaze["timestamp"]
    span = float(ts[-1] - ts[0]) if ts.size > 1 else 0.0
    out = _summary(
        rec,
        found["start_timestamp"],
        events.fixation_stop_timestamps(found),
        found["duration_ms"],
        span,
    )
    out["method"] = str(found["method"][0]) if found.shape[0] else None
    return out


def blink_summary(rec: Recording, params: blink_detection.BlinkParams) -> Summary:
    """Count, count within the world frame range, mean duration [ms], rate per minute and data
    span [s] of the recording's blinks."""
    if not rec.has_stream("pupil"):
        raise StreamNotFoundError(f"{rec.path} has no pupil data, so blinks cannot be detected.")
    ts, conf = blink_input(rec)
    found, _ = blink_detection.detect_blinks(
        ts, conf, world_timestamps=rec.world_timestamps, params=params
    )
    span = float(ts[-1] - ts[0]) if ts.size > 1 else 0.0
    return _summary(
        rec, found["start_timestamp"], found["end_timestamp"], found["duration_s"] * 1000.0, span
    )
