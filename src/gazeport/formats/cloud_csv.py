"""Pupil Cloud "Timeseries Data" CSVs read into columnar arrays (spec neon-format §3.1).

Each file becomes a numpy structured array with the field names and dtypes of
:mod:`gazeport.formats.neon_streams` (``timestamp_ns`` int64 UTC ns, exact; pixel, IMU and eye
values float32, since Cloud prints the app's float32 values), plus the columns Cloud derives
and a native recording lacks (``azimuth_deg``, ``elevation_deg`` float64). LF and CRLF line
ends are both accepted; the ``section id`` values seen are returned beside the array.
A bad cell raises :class:`CorruptFileError` naming the file, line and column.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CorruptFileError, NoInfoFileError

_I8, _F4, _F8 = np.dtype("<i8"), np.dtype("<f4"), np.dtype("<f8")
_TS = {"timestamp [ns]": ("timestamp_ns", _I8)}
_SPAN = {
    "start timestamp [ns]": ("start_timestamp_ns", _I8),
    "end timestamp [ns]": ("end_timestamp_ns", _I8),
}
_ANGLES = {"azimuth [deg]": ("azimuth_deg", _F8), "elevation [deg]": ("elevation_deg", _F8)}
_SIDES = ("left", "right")

#: Cloud header → (gazeport field, dtype), per file. Columns not listed are not read (the
#: ids Cloud derives, ``duration [ms]``, roll/pitch/yaw: gazeport recomputes them).
COLUMNS: dict[str, dict[str, tuple[str, np.dtype]]] = {
    "gaze.csv": {
        **_TS,
        "gaze x [px]": ("gaze_x_px", _F4),
        "gaze y [px]": ("gaze_y_px", _F4),
        "worn": ("worn", _F4),
        **_ANGLES,
    },
    "fixations.csv": {
        **_SPAN,
        "fixation x [px]": ("mean_gaze_x_px", _F4),
        "fixation y [px]": ("mean_gaze_y_px", _F4),
        **_ANGLES,
    },
    "saccades.csv": {
        **_SPAN,
        "amplitude [px]": ("amplitude_px", _F4),
        "amplitude [deg]": ("amplitude_deg", _F4),
        "mean velocity [px/s]": ("mean_velocity_px_s", _F4),
        "peak velocity [px/s]": ("peak_velocity_px_s", _F4),
    },
    "blinks.csv": dict(_SPAN),
    "imu.csv": {
        **_TS,
        **{f"gyro {a} [deg/s]": (f"gyro_{a}_deg_s", _F4) for a in "xyz"},
        **{f"acceleration {a} [g]": (f"acceleration_{a}_g", _F4) for a in "xyz"},
        **{f"quaternion {a}": (f"quaternion_{a}", _F4) for a in "wxyz"},
    },
    "3d_eye_states.csv": {
        **_TS,
        **{f"pupil diameter {s} [mm]": (f"pupil_diameter_{s}_mm", _F4) for s in _SIDES},
        **{
            f"eyeball center {s} {a} [mm]": (f"eyeball_center_{s}_{a}_mm", _F4)
            for s in _SIDES
            for a in "xyz"
        },
        **{f"optical axis {s} {a}": (f"optical_axis_{s}_{a}", _F4) for s in _SIDES for a in "xyz"},
        # The docs' eyelid text and PyNeon's "[rad]" variant (spec §3.1, an open question).
        **{
            f"eyelid angle {w} {s}{unit}": (f"eyelid_angle_{w}_{s}_rad", _F4)
            for s in _SIDES
            for w in ("top", "bottom")
            for unit in ("", " [rad]")
        },
        **{f"eyelid aperture {s} [mm]": (f"eyelid_aperture_{s}_mm", _F4) for s in _SIDES},
    },
    "world_timestamps.csv": dict(_TS),
    "events.csv": {**_TS, "name": ("name", np.dtype(object)), "type": ("type", np.dtype(object))},
}
#: Columns a file must have (the rest may be absent: eyelids before 2025, angles, worn).
REQUIRED = {
    "gaze.csv": ("timestamp [ns]", "gaze x [px]", "gaze y [px]"),
    "fixations.csv": ("start timestamp [ns]", "end timestamp [ns]"),
    "saccades.csv": ("start timestamp [ns]", "end timestamp [ns]"),
    "blinks.csv": ("start timestamp [ns]", "end timestamp [ns]"),
    "imu.csv": ("timestamp [ns]",),
    "3d_eye_states.csv": ("timestamp [ns]",),
    "world_timestamps.csv": ("timestamp [ns]",),
    "events.csv": ("timestamp [ns]", "name"),
}


@dataclass(frozen=True)
class CloudTable:
    """One Cloud CSV: its rows as a structured array and the ``section id`` values in it."""

    data: np.ndarray
    section_ids: tuple[str, ...]


def _convert(path: Path, header: str, cells: list[str], dtype: np.dtype) -> np.ndarray:
    """One column of text cells as ``dtype``; empty float cells become NaN."""
    if dtype == np.dtype(object):
        return np.array(cells, dtype=object)
    n = len(cells)
    try:
        if dtype.kind == "i":
            # Python's int() parses ns exactly and is faster than numpy's string casting.
            return np.fromiter(map(int, cells), dtype=np.int64, count=n)
        if "" in cells:
            values = np.fromiter((float(c) if c else np.nan for c in cells), np.float64, count=n)
        else:
            values = np.fromiter(map(float, cells), dtype=np.float64, count=n)
        return values.astype(dtype)
    except ValueError:
        for i, cell in enumerate(cells):  # error path only: find the first bad cell
            try:
                int(cell) if dtype.kind == "i" else float(cell or "nan")
            except ValueError:
                what = "an integer" if dtype.kind == "i" else "a number"
                raise CorruptFileError(
                    f"{path}, line {i + 2}, column {header!r}: {cell!r} is not {what}; "
                    "re-download the file from Pupil Cloud or fix that cell."
                ) from None
        raise


def read_cloud_csv(path: Path | str) -> CloudTable:
    """Read the Cloud CSV ``path`` (one of :data:`COLUMNS`) into a :class:`CloudTable`."""
    path = Path(path)
    columns = COLUMNS[path.name]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorruptFileError(
            f"{path} is not UTF-8 text ({exc.reason}); re-download it."
        ) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise CorruptFileError(f"{path} is empty; it needs at least its header line.")
    header = [h.strip() for h in rows[0]]
    missing = [h for h in REQUIRED[path.name] if h not in header]
    if missing:
        raise CorruptFileError(
            f"{path} lacks the column(s) {', '.join(repr(m) for m in missing)}; is it a Pupil "
            "Cloud Timeseries file?"
        )
    body = [r for r in rows[1:] if r]
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise CorruptFileError(
                f"{path}, line {i + 2}: {len(row)} cells for {len(header)} columns; "
                "re-download the file."
            )
    by_column = list(zip(*body, strict=True)) if body else [() for _ in header]
    fields = []
    arrays = []
    for j, name in enumerate(header):
        if name in columns:
            field, dtype = columns[name]
            fields.append((field, dtype))
            arrays.append(_convert(path, name, list(by_column[j]), dtype))
    out = np.empty(len(body), dtype=fields)
    for (field, _), values in zip(fields, arrays, strict=True):
        out[field] = values
    sections: tuple[str, ...] = ()
    if "section id" in header:
        col = by_column[header.index("section id")]
        sections = tuple(dict.fromkeys(col))
    return CloudTable(out, sections)


def read_scene_camera(path: Path | str) -> dict[str, Any]:
    """``scene_camera.json``: ``camera_matrix`` (3, 3) and ``distortion_coefficients`` (8,)
    float64 arrays and ``serial_number`` (str). The docs' Invisible keys ``dist_coefs`` are
    accepted too."""
    path = Path(path)
    if not path.is_file():
        raise NoInfoFileError(
            f"{path} does not exist; download the recording with its scene camera."
        )
    try:
        data = json.loads(path.read_bytes())
        matrix = np.asarray(data["camera_matrix"], dtype=np.float64).reshape(3, 3)
        dist = data.get("distortion_coefficients", data.get("dist_coefs"))
        dist = np.asarray(dist, dtype=np.float64).reshape(-1)
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptFileError(
            f"{path} is not a scene camera file ({type(exc).__name__}: {exc}); re-download it."
        ) from None
    return {
        "camera_matrix": matrix,
        "distortion_coefficients": dist,
        "serial_number": str(data.get("serial_number", "")),
    }


__all__ = ["COLUMNS", "REQUIRED", "CloudTable", "read_cloud_csv", "read_scene_camera"]
