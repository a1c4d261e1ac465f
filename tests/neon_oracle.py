"""pupil-labs-neon-recording as a test oracle for the Neon decoder.

:func:`oracle_streams` opens a folder with the vendor reader and returns its streams as plain
structured arrays renamed to gazeport's fields, so a test compares field by field. The reader
leaks file handles (ResourceWarning) and loads eagerly; both stay inside this module. Its known
weaknesses (spec neon-format.md §2.4) are the tests' business: it joins parts by part number and
truncates once after joining, times ``gaze_right`` by ``gaze psN.time``, and adds the gaze
offset to fixation means of app versions before 2.9.31.
"""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import numpy as np
import pytest

#: oracle stream → (gazeport stream, {oracle field: gazeport field}).
FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "gaze": ("gaze", {"time": "timestamp_ns", "point_x": "gaze_x_px", "point_y": "gaze_y_px"}),
    "gaze_monocular_right": ("gaze_right", {"time": "timestamp_ns", "point_x": "x", "point_y": "y"}),
    "worn": ("worn", {"time": "timestamp_ns", "worn": "worn"}),
    "imu": (
        "imu",
        {
            "time": "timestamp_ns",
            **{f"angular_velocity_{a}": f"gyro_{a}_deg_s" for a in "xyz"},
            **{f"acceleration_{a}": f"acceleration_{a}_g" for a in "xyz"},
            **{f"quaternion_{a}": f"quaternion_{a}" for a in "wxyz"},
        },
    ),
    "pupil": (
        "eye_state",
        {"time": "timestamp_ns", "diameter_left": "pupil_diameter_left_mm",
         "diameter_right": "pupil_diameter_right_mm"},
    ),
    "eyeball": (
        "eye_state",
        {
            "time": "timestamp_ns",
            **{f"center_{s}_{a}": f"eyeball_center_{s}_{a}_mm" for s in ("left", "right") for a in "xyz"},
            **{f"optical_axis_{s}_{a}": f"optical_axis_{s}_{a}" for s in ("left", "right") for a in "xyz"},
        },
    ),
    "eyelid": (
        "eye_state",
        {
            "time": "timestamp_ns",
            **{f"angle_upper_{s}": f"eyelid_angle_top_{s}_rad" for s in ("left", "right")},
            **{f"angle_lower_{s}": f"eyelid_angle_bottom_{s}_rad" for s in ("left", "right")},
            **{f"aperture_{s}": f"eyelid_aperture_{s}_mm" for s in ("left", "right")},
        },
    ),
    "fixations": (
        "fixations",
        {"start_time": "start_timestamp_ns", "stop_time": "end_timestamp_ns",
         **{f"{o}_gaze_{a}": f"{g}_gaze_{a}_px" for o, g in (("start", "start"), ("stop", "end"), ("mean", "mean")) for a in "xy"}},
    ),
    "saccades": (
        "saccades",
        {"start_time": "start_timestamp_ns", "stop_time": "end_timestamp_ns",
         **{f"{o}_gaze_{a}": f"{g}_gaze_{a}_px" for o, g in (("start", "start"), ("stop", "end")) for a in "xy"},
         "amplitude_angle": "amplitude_deg", "mean_velocity": "mean_velocity_px_s",
         "max_velocity": "peak_velocity_px_s"},
    ),
    "blinks": ("blinks", {"start_time": "start_timestamp_ns", "stop_time": "end_timestamp_ns"}),
    "events": ("events", {"time": "timestamp_ns", "event": "name"}),
    "scene": ("scene", {"time": "timestamp_ns"}),
    "eye": ("eye", {"time": "timestamp_ns"}),
}  # fmt: skip


def oracle_streams(folder: Path) -> dict[str, np.ndarray]:
    """Every stream the vendor reader loads from ``folder`` (a failing one is left out), as
    plain arrays with gazeport's field names (see :data:`FIELDS`)."""
    nr = pytest.importorskip("pupil_labs.neon_recording")
    out: dict[str, np.ndarray] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recording = nr.open(folder)
        for name, (_, names) in FIELDS.items():
            try:
                data = np.array(getattr(recording, name).data)
            except recording.SensorError:
                continue
            picked = data[list(names)]
            out[name] = np.array(picked).astype(
                [(names[field], picked.dtype[field]) for field in names]
            )
        recording.close()
        del recording
        gc.collect()
    return out


def assert_fields_equal(mine: np.ndarray, theirs: np.ndarray, what: str) -> None:
    """Every field of ``theirs`` equals ``mine``'s: integers (timestamps) exactly, floats to
    float32 (both are float32 on disk, so exactly too), text as text."""
    assert len(mine) == len(theirs), what
    for name in theirs.dtype.names:
        a, b = mine[name], theirs[name]
        if a.dtype.kind == "f":
            a, b = a.astype(np.float32), b.astype(np.float32)
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{what}: {name}"


def link_copy(source: Path, target: Path, *, without: tuple[str, ...] = ()) -> Path:
    """A folder of symlinks to ``source``'s files except ``without`` (cheap and read-only-safe:
    the decoder and the oracle only read)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.name not in without:
            (target / path.name).symlink_to(path)
    return target
