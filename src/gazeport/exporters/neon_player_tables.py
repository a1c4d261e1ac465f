"""The Neon Player v6 dialect: the files Neon Player 6.0.13 writes, to the column.

Facts (spec ``neon-format.md`` §3.3, §7): every row starts with ``recording id``; samples (gaze,
IMU, 3D eye states, events) are kept when ``start <= t <= stop``, fixations, saccades and blinks
when they overlap the window; ids are 1-based over the whole recording and never renumbered; a
gaze sample belongs to a fixation or blink when ``start <= t < stop``; durations are
``ns / 1e6`` floats. float32 fields print their float32 text, float64 ones their ``repr``
(:mod:`.neon_text`). Tables are built column-wise in chunks of :data:`~.neon_text.CHUNK_ROWS`.

Where gazeport deliberately differs (docs/compatibility.md, "Neon Player v6 dialect"): a
recording with empty blinks files gets a header-only ``blinks.csv`` and keeps gaze's
``blink id`` column, and format 2.3 gets a ``3d_eye_states.csv`` without the eyelid columns.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, BinaryIO

import numpy as np

from ..analysis.spherical import azimuth_elevation_deg
from .csv_text import text_column
from .neon_geometry import event_ids, overlapping, roll_pitch_yaw, sample_slice, worn_at
from .neon_player_meta import export_info_text, write_calibration_json, write_info_json
from .neon_text import (
    Column,
    chunks,
    f32_block,
    f64_block,
    header,
    int_cells,
    text_cell,
    write_rows,
)
from .tables import Dialect, TableSpec, rows_between
from .world_timestamps import WORLD_TIMESTAMPS

Window = tuple[int, int]

_SIDES = ("left", "right")
_EYE_COLUMNS = (
    [(f"pupil diameter {s} [mm]", f"pupil_diameter_{s}_mm") for s in _SIDES]
    + [(f"eyeball center {s} {a} [mm]", f"eyeball_center_{s}_{a}_mm") for s in _SIDES for a in "xyz"]
    + [(f"optical axis {s} {a}", f"optical_axis_{s}_{a}") for s in _SIDES for a in "xyz"]
)  # fmt: skip
_EYELID_COLUMNS = [
    column
    for s in _SIDES
    for column in (
        (f"eyelid angle top {s} [rad]", f"eyelid_angle_top_{s}_rad"),
        (f"eyelid angle bottom {s} [rad]", f"eyelid_angle_bottom_{s}_rad"),
        (f"eyelid aperture {s} [mm]", f"eyelid_aperture_{s}_mm"),
    )
]
_IMU_COLUMNS = (
    [(f"gyro {a} [deg/s]", f"gyro_{a}_deg_s") for a in "xyz"]
    + [(f"acceleration {a} [g]", f"acceleration_{a}_g") for a in "xyz"]
)  # fmt: skip
_EVENT_TIMES = ["start timestamp [ns]", "end timestamp [ns]", "duration [ms]"]


def _rid(rec: Any) -> bytes:
    return text_cell(rec.recording_id)


def _columns(data: np.ndarray, fields: list[str]) -> np.ndarray:
    return np.column_stack([data[f] for f in fields]) if len(data) else np.empty((0, len(fields)))


def _scene_intrinsics(rec: Any) -> tuple[np.ndarray, np.ndarray]:
    calib = rec.calibration
    return calib.scene_camera_matrix, calib.scene_distortion_coefficients


def _worn_on(rec: Any, gaze_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``worn / 255`` (float64) on the sorted gaze timestamps, and where a worn sample exists."""
    worn = rows_between(rec, "worn", gaze_times)
    values, found = worn_at(worn["timestamp_ns"], worn["worn"], gaze_times)
    return values / 255, found


def write_gaze(rec: Any, window_ns: Window, out: BinaryIO) -> int:
    """gaze.csv: pixels, azimuth/elevation, worn, fixation id and blink id (when the recording
    has those streams; an empty blinks stream keeps its column). Gaze is read in chunks
    (``rec.iter_chunks``), with the worn samples of each chunk's time span."""
    has_worn = rec.has_stream("worn")
    member_of = [(s, c) for s, c in (("fixations", "fixation id"), ("blinks", "blink id"))
                 if rec.has_stream(s)]  # fmt: skip
    events = [rec.stream(s) for s, _ in member_of]
    names = ["recording id", "timestamp [ns]", "gaze x [px]", "gaze y [px]"]
    names += ["azimuth [deg]", "elevation [deg]"] + ["worn"] * has_worn
    names += [c for _, c in member_of]
    out.write(header(names))
    matrix, dist = _scene_intrinsics(rec)
    rid = _rid(rec)
    total = 0
    for gaze in rec.iter_chunks("gaze", window_ns):
        if has_worn:
            worn, found = _worn_on(rec, gaze["timestamp_ns"])
        for part in chunks(len(gaze)):
            chunk = gaze[part]
            times = chunk["timestamp_ns"]
            xy = _columns(chunk, ["gaze_x_px", "gaze_y_px"]).astype(np.float32)
            azimuth, elevation = azimuth_elevation_deg(xy, matrix, dist)
            cols: list[Any] = [
                rid,
                int_cells(times),
                f32_block(np.column_stack([xy, azimuth, elevation])),
            ]
            if has_worn:
                cols.append(_present(f64_block(worn[part]), found[part]))
            for ev in events:
                ids = event_ids(times, ev["start_timestamp_ns"], ev["end_timestamp_ns"])
                cols.append(int_cells(ids, ids > 0))
            write_rows(out, cols, len(chunk))
        total += len(gaze)
    return total


def _present(cells: list[bytes], present: np.ndarray) -> list[bytes]:
    if present.all():
        return cells
    arr = np.array(cells, dtype=object)
    arr[~present] = b""
    return arr.tolist()


def _event_rows(
    rec: Any,
    stream: str,
    window_ns: Window,
    id_name: str,
    out: BinaryIO,
    extra: Sequence[tuple[str, str]] = (),
) -> int:
    """A fixations/saccades/blinks-style table: ids, start, end, duration, then ``extra``
    columns (header, field) in their own float text."""
    events = rec.stream(stream) if rec.has_stream(stream) else rec.fixations[:0]
    out.write(header(["recording id", id_name, *_EVENT_TIMES, *(h for h, _ in extra)]))
    keep = np.flatnonzero(
        overlapping(events["start_timestamp_ns"], events["end_timestamp_ns"], window_ns)
    )
    rid = _rid(rec)
    for part in chunks(len(keep)):
        idx = keep[part]
        ev = events[idx]
        start, stop = ev["start_timestamp_ns"], ev["end_timestamp_ns"]
        cols: list[Any] = [rid, int_cells(idx + 1), int_cells(start), int_cells(stop)]
        cols.append(f64_block((stop - start) / 1e6))
        if stream == "fixations":
            mean = _columns(ev, ["mean_gaze_x_px", "mean_gaze_y_px"]).astype(np.float64)
            azimuth, elevation = azimuth_elevation_deg(mean, *_scene_intrinsics(rec))
            cols += [f64_block(mean), f32_block(np.column_stack([azimuth, elevation]))]
        elif extra:
            cols.append(f32_block(_columns(ev, [f for _, f in extra])))
        write_rows(out, cols, len(idx))
    return len(keep)


def write_fixations(rec: Any, window_ns: Window, out: BinaryIO) -> int:
    """fixations.csv: mean gaze (float64 after Neon Player's zero user offset) and its direction."""
    extra = [("fixation x [px]", ""), ("fixation y [px]", ""), ("azimuth [deg]", ""),
             ("elevation [deg]", "")]  # fmt: skip
    return _event_rows(rec, "fixations", window_ns, "fixation id", out, extra)


def write_saccades(rec: Any, window_ns: Window, out: BinaryIO) -> int:
    """saccades.csv: amplitude [deg] and velocities [px/s] (no amplitude in pixels)."""
    extra = [("amplitude [deg]", "amplitude_deg"), ("mean velocity [px/s]", "mean_velocity_px_s"),
             ("peak velocity [px/s]", "peak_velocity_px_s")]  # fmt: skip
    return _event_rows(rec, "saccades", window_ns, "saccade id", out, extra)


def write_blinks(rec: Any, window_ns: Window, out: BinaryIO) -> int:
    """blinks.csv: ids, times and durations (header only when the app found no blinks)."""
    return _event_rows(rec, "blinks", window_ns, "blink id", out)


def write_events(rec: Any, window_ns: Window, out: BinaryIO) -> int:
    """events.csv: every event in the window with its ``type`` (recording or player)."""
    events = rec.event_table()
    events = events[sample_slice(events["timestamp_ns"], window_ns)]
    out.write(header(["recording id", "timestamp [ns]", "name", "type"]))
    rid = _rid(rec)
    for part in chunks(len(events)):
        ev = events[part]
        cols: list[Column] = [
            rid,
            int_cells(ev["timestamp_ns"]),
            text_column(ev["name"]),
            text_column(ev["type"]),
        ]
        write_rows(out, cols, len(ev))
    return len(events)


def write_imu(rec: Any, window_ns: Window, out: BinaryIO) -> int:
    """imu.csv: gyro [deg/s], acceleration [g], roll/pitch/yaw [deg], quaternion x, y, z, w."""
    quat = [f"quaternion_{a}" for a in "xyzw"]
    names = ["recording id", "timestamp [ns]", *(h for h, _ in _IMU_COLUMNS)]
    names += ["roll [deg]", "pitch [deg]", "yaw [deg]", *(f"quaternion {a}" for a in "xyzw")]
    out.write(header(names))
    rid = _rid(rec)
    total = 0
    for imu in rec.iter_chunks("imu", window_ns):
        for part in chunks(len(imu)):
            chunk = imu[part]
            q = _columns(chunk, quat).astype(np.float32)
            cols: list[Column] = [rid, int_cells(chunk["timestamp_ns"]),
                    f32_block(_columns(chunk, [f for _, f in _IMU_COLUMNS])),
                    f64_block(roll_pitch_yaw(q[:, 3], q[:, 0], q[:, 1], q[:, 2])), f32_block(q)]  # fmt: skip
            write_rows(out, cols, len(chunk))
        total += len(imu)
    return total


def write_eye_states(rec: Any, window_ns: Window, out: BinaryIO) -> int:
    """3d_eye_states.csv: diameters, centres, axes, and the eyelids where the format has them."""
    blocks = rec.iter_chunks("eye_state", window_ns)
    first = next(blocks)  # always one, so the columns are known without rows
    has_lids = _EYELID_COLUMNS[0][1] in (first.dtype.names or ())
    columns = _EYE_COLUMNS + (_EYELID_COLUMNS if has_lids else [])
    out.write(header(["recording id", "timestamp [ns]", *(h for h, _ in columns)]))
    rid = _rid(rec)
    fields = [f for _, f in columns]
    total = 0
    for eye in itertools.chain([first], blocks):
        for part in chunks(len(eye)):
            chunk = eye[part]
            cols: list[Column] = [
                rid,
                int_cells(chunk["timestamp_ns"]),
                f32_block(_columns(chunk, fields)),
            ]
            write_rows(out, cols, len(chunk))
        total += len(eye)
    return total


NEON_PLAYER = Dialect(
    "neon-player",
    tables=(
        TableSpec("gaze.csv", write_gaze, needs=("gaze",)),
        TableSpec("fixations.csv", write_fixations, needs=("fixations",), unit="fixations"),
        TableSpec("saccades.csv", write_saccades, needs=("saccades",), unit="saccades"),
        TableSpec("blinks.csv", write_blinks, needs=("blinks",), unit="blinks"),
        TableSpec("events.csv", write_events, unit="events"),
        TableSpec("imu.csv", write_imu, needs=("imu",)),
        TableSpec("3d_eye_states.csv", write_eye_states, needs=("eye_state",)),
        TableSpec("info.json", write_info_json, unit=""),
        TableSpec("calibration.json", write_calibration_json, unit=""),
        WORLD_TIMESTAMPS,
    ),
    info_text=export_info_text,
)

__all__ = ["NEON_PLAYER"]
