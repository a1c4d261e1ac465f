"""Capture's recorded (online) fixations and blinks, which Pupil Player never exports.

``online_fixations.csv`` has the columns of Player's ``fixations.csv``; Capture publishes a
growing fixation many times under one id, so each id is written once, with its longest
version. ``online_blinks.csv`` lists Capture's blink onset and offset events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..timeseries import find_closest
from . import events

ONLINE_BLINK_COLUMNS = ("timestamp", "world_index", "type", "confidence")


def _base_timestamps(base: Any) -> str:
    out = []
    for item in base or ():
        if isinstance(item, dict):
            out.append(item.get("timestamp"))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            out.append(item[1])  # Capture stores (topic, timestamp) references
    return " ".join(repr(float(t)) for t in out if t is not None)


def _vec(d: dict[str, Any], key: str, size: int) -> list[Any]:
    value = d.get(key)
    if value is None:
        return [None] * size
    return [*list(value)[:size], *([None] * (size - len(value)))]


def online_fixations_csv(
    datums: Sequence[dict[str, Any]], world_ts: np.ndarray, window: tuple[float, float]
) -> tuple[str, int]:
    """Text of ``online_fixations.csv`` (one row per fixation id, overlapping ``window``)."""
    longest: dict[Any, dict[str, Any]] = {}
    for d in datums:
        key = d.get("id")
        if key not in longest or float(d.get("duration", 0.0)) >= float(
            longest[key].get("duration", 0.0)
        ):
            longest[key] = d
    fixations = sorted(longest.values(), key=lambda d: float(d["timestamp"]))
    start = np.array([float(d["timestamp"]) for d in fixations])
    stop = start + np.array([float(d.get("duration", 0.0)) for d in fixations]) / 1000.0
    chosen = fixations[events.overlapping(start, stop, window)] if fixations else []
    rows: list[list[Any]] = [list(events.FIXATION_COLUMNS)]
    n = len(world_ts)
    for d in chosen:
        t0 = float(d["timestamp"])
        t1 = t0 + float(d.get("duration", 0.0)) / 1000.0
        first = int(np.searchsorted(world_ts, t0, side="left"))
        last = min(int(np.searchsorted(world_ts, t1, side="left")), n - 1)
        rows.append([
            d.get("id"), d["timestamp"], d.get("duration"), first, last,
            *_vec(d, "norm_pos", 2), d.get("dispersion"), d.get("confidence"), d.get("method"),
            *_vec(d, "gaze_point_3d", 3), _base_timestamps(d.get("base_data")),
        ])  # fmt: skip
    return events.csv_text(rows), len(chosen)


def online_blinks_csv(
    datums: Sequence[dict[str, Any]], world_ts: np.ndarray, window: tuple[float, float]
) -> tuple[str, int]:
    """Text of ``online_blinks.csv``: Capture's onset/offset events with ``lo <= t < hi``."""
    lo, hi = window
    kept = [d for d in datums if lo <= float(d["timestamp"]) < hi]
    times = [float(d["timestamp"]) for d in kept]
    index: list[int] = find_closest(world_ts, times).tolist() if kept else []
    rows: list[list[Any]] = [list(ONLINE_BLINK_COLUMNS)]
    for d, wi in zip(kept, index, strict=True):
        rows.append([d["timestamp"], wi, d.get("type"), d.get("confidence")])
    return events.csv_text(rows), len(kept)
