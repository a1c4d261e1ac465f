"""Derived Neon columns shared by the Neon Player v6 and Pupil Cloud tables: pure functions
over numpy arrays (no recording, no I/O).

* :func:`azimuth_elevation`: scene pixels → degrees from the scene camera's optical axis;
* :func:`roll_pitch_yaw`: IMU quaternions → Euler angles in degrees;
* :func:`event_ids`: the 1-based id of the event (fixation, blink) each sample lies in;
* :func:`in_window` / :func:`overlapping`: Neon Player's and Cloud's window rules.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial.transform import Rotation


def azimuth_elevation(
    x_px: np.ndarray, y_px: np.ndarray, camera_matrix: np.ndarray, distortion: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation [deg] (float64, shape (n,)) of scene-camera pixels.

    The pixels are undistorted with the scene intrinsics (OpenCV's 8-coefficient model), made
    homogeneous (z = 1), then ``azimuth = π/2 − atan2(z, x)`` and ``elevation = arccos(y/r) − π/2``
    (positive azimuth to the right, positive elevation up, since image y points down).
    NaN pixels give NaN angles.
    """
    x = np.asarray(x_px, dtype=np.float64)
    y = np.asarray(y_px, dtype=np.float64)
    if len(x) == 0:
        return np.empty(0), np.empty(0)
    points = np.stack([x, y], axis=1).reshape(-1, 1, 2)
    undistorted = cv2.undistortPoints(
        points, np.asarray(camera_matrix, np.float64), np.asarray(distortion, np.float64)
    ).reshape(-1, 2)
    ux, uy = undistorted[:, 0], undistorted[:, 1]
    r = np.sqrt(ux * ux + uy * uy + 1.0)
    azimuth = np.degrees(np.pi / 2 - np.arctan2(1.0, ux))
    elevation = np.degrees(np.arccos(uy / r) - np.pi / 2)
    return azimuth, elevation


def roll_pitch_yaw(w: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Roll, pitch and yaw [deg] (float64, shape (n, 3)) of the IMU's orientation quaternions.

    The Euler angles are scipy's intrinsic-lowercase ``"yxz"`` sequence of the quaternion
    (x, y, z, w): roll about y, then pitch about x, then yaw about z, as Neon Player writes them.
    """
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


__all__ = ["azimuth_elevation", "event_ids", "in_window", "overlapping", "roll_pitch_yaw"]
