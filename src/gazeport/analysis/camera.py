"""World-camera unprojection: normalized gaze positions -> 3D viewing rays, as Pupil Player does.

Player's 2D fixation detector measures dispersion between rays through the world camera. Its
camera models round the pixel positions to float32 first, then

* radial (and dummy) cameras undistort with ``cv2.undistortPoints`` (float32 result);
* fisheye cameras do *not* use ``cv2.fisheye.undistortPoints``: they invert the Kannala-Brandt
  model with ten fixed-point iterations in float64 on float32 coefficients, and scale by
  ``tan(theta) / (theta_d + eps_float32)``.

Rays are returned as ``(x, y, 1)`` in camera space (x right, y down, z forward), not normalised.
Every point is unprojected independently, so unprojecting a subset gives the same bits.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..formats.intrinsics import CameraIntrinsics, dummy_intrinsics

#: Frame size Player assumes when nothing better is known (width, height) in pixels.
DEFAULT_FRAME_SIZE = (1280, 720)
_FISHEYE_ITERATIONS = 10
_FLOAT32_EPS = float(np.finfo(np.float32).eps)


def resolve_camera(
    intrinsics: CameraIntrinsics | None, frame_size: tuple[int, int] | None
) -> tuple[CameraIntrinsics, tuple[int, int]]:
    """The camera model and frame size (width, height) px to unproject with.

    Without ``intrinsics`` this is Player's dummy camera (focal length 1000 px, principal point
    at the image centre, no distortion) for ``frame_size`` (default 1280x720). With both given,
    they must agree, as Player loads the intrinsics for the video's frame size.
    """
    size = DEFAULT_FRAME_SIZE if frame_size is None else _checked_frame_size(frame_size)
    if intrinsics is None:
        return dummy_intrinsics(size), size
    if intrinsics.cam_type not in ("radial", "fisheye", "dummy"):
        raise ValueError(
            f"intrinsics.cam_type is {intrinsics.cam_type!r}, but only 'radial', 'fisheye' and "
            "'dummy' cameras can unproject points."
        )
    if np.shape(intrinsics.camera_matrix) != (3, 3):
        raise ValueError(
            f"intrinsics.camera_matrix has the shape {np.shape(intrinsics.camera_matrix)}; a "
            "camera matrix is 3x3."
        )
    resolution = (int(intrinsics.resolution[0]), int(intrinsics.resolution[1]))
    if frame_size is not None and size != resolution:
        raise ValueError(
            f"frame_size {size} differs from the intrinsics resolution {resolution}; pass the "
            "intrinsics for the world video's frame size (or leave frame_size out)."
        )
    return intrinsics, resolution


def norm_to_pixels(norm_pos: npt.ArrayLike, frame_size: tuple[int, int]) -> np.ndarray:
    """``(n, 2)`` normalized positions (origin bottom-left) -> float64 pixels (origin top-left)."""
    w, h = frame_size
    out = np.array(norm_pos, dtype=np.float64, copy=True).reshape(-1, 2)
    out[:, 0] *= w
    out[:, 1] = (1.0 - out[:, 1]) * h
    return out


def unproject_pixels(pixels: npt.ArrayLike, intrinsics: CameraIntrinsics) -> np.ndarray:
    """``(n, 2)`` distorted pixel positions -> ``(n, 3)`` float64 rays ``(x, y, 1)``."""
    pts = np.asarray(pixels, dtype=np.float32).reshape(-1, 2)
    if pts.shape[0] == 0:
        return np.empty((0, 3), dtype=np.float64)
    if intrinsics.cam_type == "fisheye":
        xy = _undistort_fisheye(pts, np.asarray(intrinsics.camera_matrix), intrinsics.dist_coefs)
    else:
        import cv2  # imported here: OpenCV loads slowly and only 2D gaze needs it

        undistorted = cv2.undistortPoints(
            pts.reshape(-1, 1, 2),
            np.asarray(intrinsics.camera_matrix, dtype=np.float64),
            np.asarray(intrinsics.dist_coefs, dtype=np.float64),
        )
        xy = undistorted.reshape(-1, 2).astype(np.float64)
    rays = np.ones((xy.shape[0], 3), dtype=np.float64)
    rays[:, :2] = xy
    return rays


def unproject_norm_pos(
    norm_pos: npt.ArrayLike, intrinsics: CameraIntrinsics, frame_size: tuple[int, int]
) -> np.ndarray:
    """``(n, 2)`` normalized gaze positions -> ``(n, 3)`` float64 rays, Player's way."""
    return unproject_pixels(norm_to_pixels(norm_pos, frame_size), intrinsics)


def _undistort_fisheye(pts: np.ndarray, k: np.ndarray, dist: np.ndarray) -> np.ndarray:
    # Player's own inversion: float32 pixels and coefficients, float64 arithmetic.
    coef = np.asarray(dist).ravel()[:4].astype(np.float32).astype(np.float64)
    focal = np.array([k[0, 0], k[1, 1]], dtype=np.float64)
    centre = np.array([k[0, 2], k[1, 2]], dtype=np.float64)
    plane = (pts.astype(np.float64) - centre) / focal
    theta_d = np.linalg.norm(plane, ord=2, axis=1)
    theta = theta_d
    for _ in range(_FISHEYE_ITERATIONS):
        t2 = theta * theta
        t4 = t2 * t2
        t6 = t4 * t2
        t8 = t6 * t2
        theta = theta_d / (1 + coef[0] * t2 + coef[1] * t4 + coef[2] * t6 + coef[3] * t8)
    scale = np.tan(theta) / (theta_d + _FLOAT32_EPS)
    return plane * scale[:, np.newaxis]


def _checked_frame_size(frame_size: tuple[int, int]) -> tuple[int, int]:
    size = tuple(frame_size)
    if len(size) != 2 or not all(_is_positive_int(v) for v in size):
        raise ValueError(
            f"frame_size should be (width, height) in pixels, two positive integers, but is "
            f"{frame_size!r}."
        )
    return int(size[0]), int(size[1])


def _is_positive_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and bool(value > 0)
