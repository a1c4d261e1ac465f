"""Derived Neon columns shared by the Neon Player v6 and Pupil Cloud tables: pure functions
over numpy arrays (no recording, no I/O). Azimuth and elevation are
:func:`gazeport.analysis.spherical.azimuth_elevation_deg`.

* :func:`roll_pitch_yaw`: IMU quaternions → Euler angles in degrees;
* :func:`event_ids`: the 1-based id of the event (fixation, blink) each sample lies in;
* :func:`in_window` / :func:`overlapping`: Neon Player's and Cloud's window rules.
"""

from __future__ import annotations

import numpy as np


def roll_pitch_yaw(w: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Roll, pitch and yaw [deg] (float64, shape (n, 3)) of the IMU's orientation quaternions.

    The Euler angles are scipy's intrinsic-lowercase ``"yxz"`` sequence of the quaternion
    (x, y, z, w): roll about y, then pitch about x, then yaw about z, as Neon Player writes them.
    """
    from scipy.spatial.transform import Rotation  # imported here: SciPy loads slowly

    quats = np.stack([np.asarray(c, dtype=np.float64) for c in (x, y, z, w)], axis=1)
    if len(quats) == 0:
        return np.empty((0, 3))
    return Rotation.from_quat(quats).as_euler("yxz", degrees=True)


def event_ids(timestamps_ns: np.ndarray, starts_ns: np.ndarray, ends_ns: np.ndarray) -> np.ndarray:
    """For each sample time, the 1-based index of the event with ``start ≤ t < end``, 0 when
    none (int64, shape of ``timestamps_ns``). Events are sorted by start and do not overlap
    (the app's fixations and blinks); ids count over every event given, so pass the whole
    recording's events to get recording-wide ids."""
    t = np.asarray(timestamps_ns, dtype=np.int64)
    starts = np.asarray(starts_ns, dtype=np.int64)
    ends = np.asarray(ends_ns, dtype=np.int64)
    if len(starts) == 0:
        return np.zeros(len(t), dtype=np.int64)
    candidate = np.searchsorted(starts, t, side="right") - 1  # last event starting at or before t
    inside = (candidate >= 0) & (t < ends[np.clip(candidate, 0, None)])
    return np.where(inside, candidate + 1, 0).astype(np.int64)


def sample_slice(timestamps_ns: np.ndarray, window_ns: tuple[int, int]) -> slice:
    """The rows of a time-sorted stream with ``start <= t <= stop`` (a view, no copy)."""
    lo = int(np.searchsorted(timestamps_ns, window_ns[0], side="left"))
    hi = int(np.searchsorted(timestamps_ns, window_ns[1], side="right"))
    return slice(lo, max(lo, hi))


def worn_at(
    worn_ns: np.ndarray, worn: np.ndarray, gaze_ns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The ``worn`` value (uint8, 0 or 255) at each gaze time, and whether a worn sample has
    exactly that time (the app writes worn on gaze's timestamps; elsewhere the value is 0)."""
    t = np.asarray(gaze_ns, dtype=np.int64)
    if len(worn_ns) == 0:
        return np.zeros(len(t), dtype=np.uint8), np.zeros(len(t), dtype=bool)
    at = np.clip(np.searchsorted(worn_ns, t), 0, len(worn_ns) - 1)
    found = np.asarray(worn_ns)[at] == t
    return np.where(found, np.asarray(worn)[at], 0).astype(np.uint8), found


def in_window(timestamps_ns: np.ndarray, window_ns: tuple[int, int]) -> np.ndarray:
    """Samples kept by an export window: ``start ≤ t ≤ stop`` (bool mask)."""
    t = np.asarray(timestamps_ns, dtype=np.int64)
    return (t >= window_ns[0]) & (t <= window_ns[1])


def overlapping(
    starts_ns: np.ndarray, ends_ns: np.ndarray, window_ns: tuple[int, int]
) -> np.ndarray:
    """Events kept by an export window: they overlap it (``end > start_w`` and
    ``start < stop_w``), as Neon Player v6 keeps them (bool mask)."""
    starts = np.asarray(starts_ns, dtype=np.int64)
    ends = np.asarray(ends_ns, dtype=np.int64)
    return (ends > window_ns[0]) & (starts < window_ns[1])


__all__ = ["event_ids", "in_window", "overlapping", "roll_pitch_yaw", "sample_slice", "worn_at"]
