"""Field names, dtypes and units shared by every layer.

One time unit inside gazeport: float64 seconds of Pupil time (``timestamp``). Normalized
coordinates (``norm_*``) have their origin bottom-left, pixels (``*_px``) top-left.
"""

from __future__ import annotations

import numpy as np

#: Columns of Pupil Player's ``pupil_positions.csv``, in order (34).
PUPIL_CSV_COLUMNS: tuple[str, ...] = (
    "pupil_timestamp", "world_index", "eye_id", "confidence", "norm_pos_x", "norm_pos_y",
    "diameter", "method",
    "ellipse_center_x", "ellipse_center_y", "ellipse_axis_a", "ellipse_axis_b", "ellipse_angle",
    "diameter_3d", "model_confidence", "model_id",
    "sphere_center_x", "sphere_center_y", "sphere_center_z", "sphere_radius",
    "circle_3d_center_x", "circle_3d_center_y", "circle_3d_center_z",
    "circle_3d_normal_x", "circle_3d_normal_y", "circle_3d_normal_z", "circle_3d_radius",
    "theta", "phi",
    "projected_sphere_center_x", "projected_sphere_center_y", "projected_sphere_axis_a",
    "projected_sphere_axis_b", "projected_sphere_angle",
)  # fmt: skip

#: Columns of Pupil Player's ``gaze_positions.csv``, in order (21).
GAZE_CSV_COLUMNS: tuple[str, ...] = (
    "gaze_timestamp", "world_index", "confidence", "norm_pos_x", "norm_pos_y", "base_data",
    "gaze_point_3d_x", "gaze_point_3d_y", "gaze_point_3d_z",
    "eye_center0_3d_x", "eye_center0_3d_y", "eye_center0_3d_z",
    "gaze_normal0_x", "gaze_normal0_y", "gaze_normal0_z",
    "eye_center1_3d_x", "eye_center1_3d_y", "eye_center1_3d_z",
    "gaze_normal1_x", "gaze_normal1_y", "gaze_normal1_z",
)  # fmt: skip

#: The pupil ellipse group: present all together or not at all.
PUPIL_ELLIPSE_FIELDS = PUPIL_CSV_COLUMNS[8:13]
#: The 3D-model group of pupil data (all or nothing, like Player), without ``model_id``.
PUPIL_3D_FIELDS = (*PUPIL_CSV_COLUMNS[13:15], *PUPIL_CSV_COLUMNS[16:])
GAZE_POINT_FIELDS = GAZE_CSV_COLUMNS[6:9]
GAZE_EYE0_FIELDS = GAZE_CSV_COLUMNS[9:15]
GAZE_EYE1_FIELDS = GAZE_CSV_COLUMNS[15:21]

#: Pupil stream as gazeport holds it: one row per pupil datum, sorted by ``timestamp``.
#: Missing optional values are NaN (floats) or -1 (``model_id``).
PUPIL_DTYPE = np.dtype(
    [
        ("timestamp", "f8"),
        ("world_index", "i8"),
        ("eye_id", "i8"),
        ("confidence", "f8"),
        ("norm_pos_x", "f8"),
        ("norm_pos_y", "f8"),
        ("diameter", "f8"),
        ("method", "O"),
        *[(name, "f8") for name in PUPIL_ELLIPSE_FIELDS],
        ("diameter_3d", "f8"),
        ("model_confidence", "f8"),
        ("model_id", "i8"),
        *[(name, "f8") for name in PUPIL_3D_FIELDS[2:]],
    ]
)

#: Gaze stream: one row per gaze datum, sorted by ``timestamp``. ``base_*`` describe up to two
#: pupil datums the gaze was mapped from (timestamp NaN and eye id -1 when absent).
GAZE_DTYPE = np.dtype(
    [
        ("timestamp", "f8"),
        ("world_index", "i8"),
        ("confidence", "f8"),
        ("norm_pos_x", "f8"),
        ("norm_pos_y", "f8"),
        ("base_count", "i8"),
        ("base0_timestamp", "f8"),
        ("base0_eye_id", "i8"),
        ("base1_timestamp", "f8"),
        ("base1_eye_id", "i8"),
        *[(name, "f8") for name in GAZE_CSV_COLUMNS[6:]],
    ]
)

#: One row of the world frame table (Pupil Player's ``world_lookup``).
FRAME_TABLE_DTYPE = np.dtype(
    [("container_idx", "<i8"), ("container_frame_idx", "<i8"), ("timestamp", "<f8"), ("pts", "<i8")]
)
