"""Gaze direction as azimuth and elevation [deg] from scene-camera pixels, as Neon Player does.

The pixel is rounded to float32, undistorted with the scene intrinsics (``cv2.undistortPoints``,
float32 out), made homogeneous ``(x, y, 1)`` (x right, y down, z forward) and turned into

* ``elevation = deg(arccos(y / r) - pi/2)``: positive is up;
* ``azimuth = deg(pi/2 - atan2(z, x))``: positive is right;

all in float32, because Neon Player's arithmetic stays in float32 after OpenCV and its CSV
prints the float32 text. Every point is independent, so a subset gives the same bits.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def azimuth_elevation_deg(
    pixels: npt.ArrayLike, camera_matrix: npt.ArrayLike, dist_coefs: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """``(n, 2)`` distorted scene pixels → ``(azimuth, elevation)``, two float32 ``(n,)`` [deg].

    ``camera_matrix`` is the 3x3 scene matrix [px], ``dist_coefs`` OpenCV's 8 coefficients.
    """
    pts = np.asarray(pixels, dtype=np.float32).reshape(-1, 1, 2)
    if pts.shape[0] == 0:
        empty = np.empty(0, dtype=np.float32)
        return empty, empty.copy()
    import cv2  # imported here: OpenCV loads slowly and only these columns need it

    xy = cv2.undistortPoints(
        pts,
        np.asarray(camera_matrix, dtype=np.float64),
        np.asarray(dist_coefs, dtype=np.float64),
    ).reshape(-1, 2)
    x = xy[:, 0]
    y = xy[:, 1]
    z = np.ones_like(x)
    radius = np.sqrt(x**2 + y**2 + z**2)
    elevation = np.rad2deg(np.arccos(y / radius) - np.float32(np.pi / 2))
    azimuth = np.rad2deg(np.float32(np.pi / 2) - np.arctan2(z, x))
    return azimuth, elevation


__all__ = ["azimuth_elevation_deg"]
