"""Pupil Player's offline fixations of a Core-family recording: the recording's gaze handed to
the pure detector of :mod:`gazeport.analysis.fixations`.

It lives here, below the exporters, because the fixations are a property of the recording that
more than the exporters need (the label sampler picks one scene frame per fixation);
``gazeport.exporters.event_files`` re-exports :func:`detect_recording_fixations` under its old
name.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from ..analysis import fixations as fixation_detection
from ..errors import GazeportWarning

if TYPE_CHECKING:
    from .facade import Recording

#: The gaze columns the detector reads.
GAZE_FIELDS = (
    "timestamp", "confidence", "norm_pos_x", "norm_pos_y",
    "gaze_point_3d_x", "gaze_point_3d_y", "gaze_point_3d_z",
)  # fmt: skip


def detect_recording_fixations(
    rec: Recording, params: fixation_detection.FixationParams
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The gaze columns the detector needs (:data:`GAZE_FIELDS`) and the fixations found in
    them (``FIXATION_DTYPE``, Player's 0-based ``id`` and world frame indices).

    Warns (:class:`GazeportWarning`) when 2D gaze had to be turned into angles with a default
    camera because ``world.intrinsics`` is missing.
    """
    gaze = rec.columns("gaze", GAZE_FIELDS)
    point = np.column_stack(
        [gaze["gaze_point_3d_x"], gaze["gaze_point_3d_y"], gaze["gaze_point_3d_z"]]
    )
    found = fixation_detection.detect_fixations(
        gaze["timestamp"],
        gaze["confidence"],
        np.column_stack([gaze["norm_pos_x"], gaze["norm_pos_y"]]),
        point,
        world_timestamps=rec.world_timestamps,
        params=params,
        intrinsics=rec.world_intrinsics,
        frame_size=rec.frame_table.frame_size,
    )
    if rec.world_intrinsics is None and found.shape[0] and str(found["method"][0]) == "2d gaze":
        warnings.warn(
            f"{rec.path} has no usable world.intrinsics; 2D gaze was turned into angles with a "
            "default pinhole camera (focal length 1000 px), so fixation dispersions in degrees "
            "are approximate.",
            GazeportWarning,
            stacklevel=3,
        )
    return gaze, found


__all__ = ["GAZE_FIELDS", "detect_recording_fixations"]
