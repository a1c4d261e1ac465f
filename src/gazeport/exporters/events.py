"""Pupil Player's fixation and blink exports: ``fixations.csv`` + ``fixation_report.csv`` and
``blinks.csv`` + ``blink_detection_report.csv``.

Events come from :mod:`gazeport.analysis` as structured arrays; the rows exported are those
overlapping the export window, chosen like Player's ``Affiliator`` (``stop >= lo`` and
``start < hi``, found by binary search on the sorted start and stop times).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..formats.keyvalue_csv import key_value_text

FIXATION_COLUMNS = (
    "id", "start_timestamp", "duration", "start_frame_index", "end_frame_index", "norm_pos_x",
    "norm_pos_y", "dispersion", "confidence", "method", "gaze_point_3d_x", "gaze_point_3d_y",
    "gaze_point_3d_z", "base_data",
)  # fmt: skip
BLINK_COLUMNS = (
    "id", "start_timestamp", "duration", "end_timestamp", "start_frame_index", "index",
    "end_frame_index", "confidence", "filter_response", "base_data",
)  # fmt: skip


def overlapping(start: np.ndarray, stop: np.ndarray, window: tuple[float, float]) -> slice:
    """Events overlapping ``window`` as Player's Affiliator finds them (sorted events)."""
    lo, hi = window
    first = int(np.searchsorted(stop, lo, side="left"))
    last = int(np.searchsorted(start, hi, side="left"))
    return slice(first, max(first, last))


def csv_text(rows: Sequence[Sequence[Any]]) -> str:
    """Rows as Python's ``csv.writer`` writes them (Player's CSV files)."""
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)  # default dialect: ',' minimal quoting, '\r\n'
    return buf.getvalue()


def _float(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def fixation_stop_timestamps(fixations: np.ndarray) -> np.ndarray:
    """Player's event end: ``timestamp + duration / 1000``."""
    return np.asarray(fixations["start_timestamp"] + fixations["duration_ms"] / 1000.0)


def fixations_csv(
    fixations: np.ndarray,
    gaze_timestamps: np.ndarray,
    gaze_confidence: np.ndarray,
    min_confidence: float,
    window: tuple[float, float],
) -> tuple[str, int]:
    """Text of ``fixations.csv`` and the number of fixations in it.

    ``base_data`` lists the timestamps of the gaze samples each fixation was made of: the
    samples ``first_sample .. last_sample`` of the detector's input that passed its confidence
    filter (``confidence > min_confidence``).
    """
    section = fixations[
        overlapping(fixations["start_timestamp"], fixation_stop_timestamps(fixations), window)
    ]
    rows: list[list[Any]] = [list(FIXATION_COLUMNS)]
    for f in section:
        idx = np.arange(int(f["first_sample"]), int(f["last_sample"]) + 1)
        kept = idx[gaze_confidence[idx] > min_confidence]
        base = " ".join(repr(float(t)) for t in gaze_timestamps[kept])
        rows.append([
            int(f["id"]), float(f["start_timestamp"]), float(f["duration_ms"]),
            int(f["start_frame_index"]), int(f["end_frame_index"]),
            float(f["norm_pos_x"]), float(f["norm_pos_y"]), float(f["dispersion_deg"]),
            float(f["confidence"]), str(f["method"]),
            _float(f["gaze_point_3d_x"]), _float(f["gaze_point_3d_y"]), _float(f["gaze_point_3d_z"]),
            base,
        ])  # fmt: skip
    return csv_text(rows), len(section)


def fixation_report_csv(
    max_dispersion_deg: float, min_duration_ms: float, max_duration_ms: float, count: int
) -> str:
    """Text of ``fixation_report.csv`` (Player's rows, no header)."""
    return csv_text([
        ("fixation classifier", "Dispersion_Duration"),
        ("max_dispersion", f"{max_dispersion_deg:0.3f} deg"),
        ("min_duration", f"{min_duration_ms:.0f} ms"),
        ("max_duration", f"{max_duration_ms:.0f} ms"),
        (),
        ("fixation_count", count),
    ])  # fmt: skip


def blinks_csv(
    blinks: np.ndarray,
    filter_response: np.ndarray,
    pupil_timestamps: np.ndarray,
    window: tuple[float, float],
) -> tuple[str, int]:
    """Text of ``blinks.csv`` and the number of blinks in it.

    ``filter_response`` and ``base_data`` cover the pooled pupil samples
    ``first_sample .. last_sample`` of each blink (Player's ``s .. e-1``).
    """
    section = blinks[overlapping(blinks["start_timestamp"], blinks["end_timestamp"], window)]
    rows: list[list[Any]] = [list(BLINK_COLUMNS)]
    for b in section:
        sl = slice(int(b["first_sample"]), int(b["last_sample"]) + 1)
        rows.append([
            int(b["id"]), float(b["start_timestamp"]), float(b["duration_s"]),
            float(b["end_timestamp"]), int(b["start_frame_index"]), int(b["index"]),
            int(b["end_frame_index"]), float(b["confidence"]),
            " ".join(repr(float(v)) for v in filter_response[sl]),
            " ".join(repr(float(t)) for t in pupil_timestamps[sl]),
        ])  # fmt: skip
    return csv_text(rows), len(section)


def blink_report_csv(
    history_length_s: float, onset_threshold: float, offset_threshold: float, count: int
) -> str:
    """Text of ``blink_detection_report.csv`` (a Player key/value file)."""
    return key_value_text([
        ("history_length", str(history_length_s)),
        ("onset_confidence_threshold", str(onset_threshold)),
        ("offset_confidence_threshold", str(offset_threshold)),
        ("blinks_exported", str(count)),
    ])  # fmt: skip
