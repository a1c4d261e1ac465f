"""Coordinate conversions between Pupil's normalized space and image pixels.

Normalized coordinates (``norm_pos``) have their origin at the bottom-left of the image and unit
= image width/height; pixel coordinates have their origin at the top-left (OpenCV convention).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def norm_to_pixels(norm: npt.ArrayLike, frame_size: tuple[int, int]) -> np.ndarray:
    """``(..., 2)`` normalized x, y -> pixels: ``x * W``, ``(1 - y) * H``."""
    w, h = frame_size
    n = np.asarray(norm, dtype=np.float64)
    out = np.empty_like(n)
    out[..., 0] = n[..., 0] * w
    out[..., 1] = (1.0 - n[..., 1]) * h
    return out


def pixels_to_norm(pixels: npt.ArrayLike, frame_size: tuple[int, int]) -> np.ndarray:
    """``(..., 2)`` pixels -> normalized: ``x / W``, ``1 - y / H``."""
    w, h = frame_size
    p = np.asarray(pixels, dtype=np.float64)
    out = np.empty_like(p)
    out[..., 0] = p[..., 0] / w
    out[..., 1] = 1.0 - p[..., 1] / h
    return out
