"""Which eye frame is shown with each world frame: the picture-in-picture rule of the players.

Pupil Player's eye overlay shows, for every world frame, the eye frame whose timestamp is
closest (:func:`~gazeport.timeseries.find_closest`, ties to the later frame). Neon Player's
picture-in-picture shows the sensor-module frame nearest in time, but only when it is at most
:data:`NEON_EYE_WITHIN_NS` away (nothing in gaps of the eye video). The world video exporters
and the web player both use these functions, so an exported video and the player agree.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..timeseries import find_closest

#: Neon Player's ``EyeOverlayPlugin`` shows the nearest eye frame only this close [ns] (1/30 s).
NEON_EYE_WITHIN_NS = 1_000_000_000 // 30


def nearest_ns(times_ns: npt.ArrayLike, targets_ns: npt.ArrayLike) -> np.ndarray:
    """Index of the value of sorted ``times_ns`` nearest to each target (a tie goes to the
    earlier value, as Neon Player samples its streams)."""
    times = np.asarray(times_ns, dtype=np.int64)
    targets = np.asarray(targets_ns, dtype=np.int64)
    right = np.clip(np.searchsorted(times, targets, side="left"), 0, times.size - 1)
    left = np.clip(right - 1, 0, times.size - 1)
    closer_left = np.abs(targets - times[left]) <= np.abs(times[right] - targets)
    return np.asarray(np.where(closer_left, left, right), dtype=np.int64)


def core_eye_frames(eye_ts: npt.ArrayLike, world_ts: npt.ArrayLike) -> np.ndarray:
    """The eye frame index (int64) shown with each world frame: the closest in Pupil time
    (``eye_ts`` sorted, seconds). An empty ``eye_ts`` raises ``ValueError``."""
    return find_closest(eye_ts, world_ts)


def neon_eye_frames(
    eye_ns: npt.ArrayLike, decodable: npt.ArrayLike, world_ns: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """``(index, shown)`` for each world frame at ``world_ns``: the nearest sensor-module frame
    among the ``decodable`` ones (``eye_ns`` sorted UTC ns) and whether it is close enough to
    be shown (:data:`NEON_EYE_WITHIN_NS`). No decodable frame: every ``shown`` is False."""
    times = np.asarray(eye_ns, dtype=np.int64)
    world = np.asarray(world_ns, dtype=np.int64)
    real = np.flatnonzero(np.asarray(decodable, dtype=bool))
    if not real.size:
        return np.zeros(world.shape, np.int64), np.zeros(world.shape, bool)
    nearest = nearest_ns(times[real], world)
    shown = np.abs(times[real][nearest] - world) <= NEON_EYE_WITHIN_NS
    return real[nearest].astype(np.int64), shown


__all__ = ["NEON_EYE_WITHIN_NS", "core_eye_frames", "nearest_ns", "neon_eye_frames"]
