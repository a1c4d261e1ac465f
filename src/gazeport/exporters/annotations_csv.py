"""``annotations.csv`` exactly as Pupil Player's annotation plugin writes it."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..recording.annotations import Annotation
from ..timeseries import find_closest

SYSTEM_KEYS = ("index", "timestamp", "label", "duration")


def _as_player(value: Any) -> Any:
    """The value as Player holds it after msgpack decoding: arrays are tuples, at any depth.

    Player's cells are ``str(value)``, so a list must print as ``(1, 2)``. (Player's nested maps
    are read-only ``mappingproxy`` objects, whose ``str`` is that of a plain dict.)
    """
    if isinstance(value, (list, tuple)):
        return tuple(_as_player(v) for v in value)
    if isinstance(value, Mapping):
        return {k: _as_player(v) for k, v in value.items()}
    return value


def annotations_csv(
    annotations: Sequence[Annotation],
    world_timestamps: np.ndarray,
    window: tuple[float, float],
) -> tuple[str, int]:
    """Text of ``annotations.csv`` and its number of data rows.

    ``window`` is Player's export ``ts_window`` ``(t[left], t[right])`` [s]; annotations with
    ``lo <= timestamp < hi`` are written, sorted by time. ``index`` is the nearest world frame
    (:func:`gazeport.timeseries.find_closest`). Rows end in ``\\r\\n`` like ``csv.writer``.
    """
    lo, hi = window
    chosen = sorted(
        (a for a in annotations if lo <= float(a.timestamp) < hi),
        key=lambda a: float(a.timestamp),
    )
    datums = [a.to_datum() for a in chosen]
    user_keys: set[str] = set()
    for datum in datums:
        user_keys |= set(datum) - set(SYSTEM_KEYS)
    user_keys.discard("topic")
    keys = SYSTEM_KEYS + tuple(sorted(user_keys))
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(keys)
    if datums:
        ts = np.array([float(a.timestamp) for a in chosen], dtype=np.float64)
        indices = find_closest(world_timestamps, ts).tolist()
        for datum, idx in zip(datums, indices, strict=True):
            writer.writerow([idx, *(_as_player(datum.get(k, "")) for k in keys[1:])])
    return out.getvalue(), len(datums)
