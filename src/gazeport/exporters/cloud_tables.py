"""The Pupil Cloud dialect: the "Timeseries Data" files of a Pupil Cloud download.

Headers, column order and rounding follow spec neon-format §3.1 (see :mod:`.cloud_headers`,
:mod:`.cloud_cells`); the JSON files are in :mod:`.cloud_json`. Windows: samples (gaze, IMU,
eye states, events, scene frames) with ``start ≤ t ≤ stop``, fixations, saccades and blinks
that overlap the window; ids are 1-based over the whole recording. Cloud has no
``export_info.csv``.

``section id`` is a UUID Cloud assigns on its server; we derive a deterministic one
(:func:`section_id`) so the same window of the same recording always gets the same id.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np

from ..analysis.spherical import azimuth_elevation_deg
from . import cloud_headers as H
from .cloud_cells import (
    duration_ms_cells,
    float_cells,
    id_cells,
    int_cells,
    text_cells,
    worn_cells,
    write_csv,
    write_csv_pieces,
)
from .cloud_json import write_info_json, write_scene_camera_json
from .core_timeseries import cloud_view
from .neon_geometry import event_ids, in_window, overlapping, roll_pitch_yaw, worn_at
from .neon_text import ColumnSource, sliced
from .tables import Dialect, TableSpec, rows_between

#: Namespace of gazeport's derived section ids (uuid5 of ``"<recording id>:<start>:<stop>"``).
SECTION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/gazeport/section-id")


def section_id(rec: Any, window_ns: tuple[int, int]) -> str:
    """The ``section id`` of an export window: the recording's own when it carries Cloud's
    (a Cloud download opened as input, for its whole-recording window), else
    ``uuid5(SECTION_NAMESPACE, "<recording id>:<start ns>:<stop ns>")``."""
    own = getattr(rec, "cloud_section_id", None)
    if callable(own):
        found = own(window_ns)
        if found:
            return str(found)
    return str(uuid.uuid5(SECTION_NAMESPACE, f"{rec.recording_id}:{window_ns[0]}:{window_ns[1]}"))


def _ids(rec: Any, window_ns: tuple[int, int]) -> list[ColumnSource]:
    """``section id`` and ``recording id``: constant cells on every row (written as they are)."""
    return [section_id(rec, window_ns).encode(), str(rec.recording_id).encode()]


def _stack(rows: np.ndarray, fields: list[str]) -> np.ndarray:
    """The float ``fields`` of ``rows`` as one ``(n, k)`` float64 block (one orjson call a chunk
    instead of ``k``)."""
    if not len(rows):
        return np.empty((0, len(fields)))
    return np.column_stack([np.asarray(rows[f], dtype=np.float64) for f in fields])


def _field_cells(rows: np.ndarray, fields: list[str], decimals: int | None = None) -> list[bytes]:
    """The float ``fields`` of ``rows`` (one text chunk) as cells: the float64 block is made
    per text chunk, not per stream chunk."""
    return float_cells(_stack(rows, fields), decimals)


def _orientation_cells(imu: np.ndarray) -> list[bytes]:
    """Roll, pitch, yaw [deg] and the quaternion w, x, y, z of IMU rows (one text chunk)."""
    quat = [imu[f"quaternion_{c}"] for c in "wxyz"]
    rpy = roll_pitch_yaw(*quat)
    return float_cells(np.column_stack([rpy, *quat]) if len(imu) else np.empty((0, 7)))


def _events_or_none(rec: Any, name: str) -> np.ndarray | None:
    return rec.stream(name) if rec.has_stream(name) else None


def _membership(events: np.ndarray | None, t: np.ndarray) -> np.ndarray:
    """1-based id over the whole recording of the event each sample time lies in (0: none)."""
    if events is None:
        return np.zeros(len(t), dtype=np.int64)
    return event_ids(t, events["start_timestamp_ns"], events["end_timestamp_ns"])


def _worn_for(rec: Any, gaze_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``worn`` (bool) at each of the sorted gaze times and where it is known, from the worn
    samples of their time span only (a chunk of gaze reads a chunk of worn)."""
    if not rec.has_stream("worn"):
        return np.zeros(len(gaze_t), bool), np.zeros(len(gaze_t), bool)
    worn = rows_between(rec, "worn", gaze_t)
    values, found = worn_at(worn["timestamp_ns"], worn["worn"], gaze_t)
    return values.astype(bool), found


def _angles(rec: Any, rows: np.ndarray, x: str, y: str) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation of ``rows``: the recording's own when it has them (a Cloud
    download keeps Cloud's), else computed from the pixels ``x``/``y`` and the scene camera;
    NaN (empty cells) when the recording has no scene camera model (``calibration`` None: a
    Core recording with a fisheye model or no intrinsics)."""
    if {"azimuth_deg", "elevation_deg"} <= set(rows.dtype.names or ()):
        return rows["azimuth_deg"], rows["elevation_deg"]
    cal = rec.calibration
    if cal is None:
        nan = np.full(len(rows), np.nan)
        return nan, nan.copy()
    pixels = np.column_stack([rows[x], rows[y]]) if len(rows) else np.empty((0, 2))
    return azimuth_elevation_deg(pixels, cal.scene_camera_matrix, cal.scene_distortion_coefficients)


def write_gaze(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """gaze.csv: every gaze sample in the window, with worn, fixation/blink ids and angles.
    Gaze is read in chunks (``rec.iter_chunks``); each chunk gets the worn samples of its time
    span and its ids from the whole recording's fixations and blinks (a few per second)."""
    fixations = _events_or_none(rec, "fixations")
    blinks = _events_or_none(rec, "blinks")
    ids = _ids(rec, window_ns)

    def pieces() -> Iterator[tuple[int, list[ColumnSource]]]:
        for g in rec.iter_chunks("gaze", window_ns):
            t = g["timestamp_ns"]
            worn, known = _worn_for(rec, t)
            az, el = _angles(rec, g, "gaze_x_px", "gaze_y_px")
            yield (
                len(g),
                [
                    *ids,
                    sliced(int_cells, t),
                    sliced(float_cells, g["gaze_x_px"], decimals=3),
                    sliced(float_cells, g["gaze_y_px"], decimals=3),
                    sliced(worn_cells, worn, known),
                    sliced(id_cells, _membership(fixations, t)),
                    sliced(id_cells, _membership(blinks, t)),
                    sliced(float_cells, az),
                    sliced(float_cells, el),
                ],
            )

    return write_csv_pieces(out, H.GAZE, pieces())


def _event_rows(rec: Any, name: str, window_ns: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    events = rec.stream(name)
    keep = overlapping(events["start_timestamp_ns"], events["end_timestamp_ns"], window_ns)
    return events[keep], np.flatnonzero(keep) + 1


def _event_head(
    rec: Any, window_ns: tuple[int, int], ev: np.ndarray, ids: np.ndarray
) -> list[ColumnSource]:
    start, end = ev["start_timestamp_ns"], ev["end_timestamp_ns"]
    return [
        *_ids(rec, window_ns),
        sliced(int_cells, ids),
        sliced(int_cells, start),
        sliced(int_cells, end),
        sliced(duration_ms_cells, start, end),
    ]


def write_fixations(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """fixations.csv: fixations overlapping the window; x/y = the app's mean gaze (3 decimals),
    azimuth/elevation of that mean point."""
    ev, ids = _event_rows(rec, "fixations", window_ns)
    az, el = _angles(rec, ev, "mean_gaze_x_px", "mean_gaze_y_px")
    columns = [
        *_event_head(rec, window_ns, ev, ids),
        sliced(float_cells, ev["mean_gaze_x_px"], decimals=3),
        sliced(float_cells, ev["mean_gaze_y_px"], decimals=3),
        sliced(float_cells, az),
        sliced(float_cells, el),
    ]
    return write_csv(out, H.FIXATIONS, len(ev), columns)


def write_saccades(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """saccades.csv: saccades overlapping the window, amplitudes and velocities as the app's."""
    ev, ids = _event_rows(rec, "saccades", window_ns)
    columns = [
        *_event_head(rec, window_ns, ev, ids),
        *(
            sliced(float_cells, ev[f])
            for f in ("amplitude_px", "amplitude_deg", "mean_velocity_px_s", "peak_velocity_px_s")
        ),
    ]
    return write_csv(out, H.SACCADES, len(ev), columns)


def write_blinks(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """blinks.csv: blinks overlapping the window."""
    ev, ids = _event_rows(rec, "blinks", window_ns)
    return write_csv(out, H.BLINKS, len(ev), _event_head(rec, window_ns, ev, ids))


def write_events(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """events.csv: events in the window; events added outside the app are type ``cloud``
    (Cloud's word for events not from the recording)."""
    table = rec.event_table()
    ev = table[in_window(table["timestamp_ns"], window_ns)]
    n = len(ev)
    kinds = np.where(np.asarray(ev["type"]) == "recording", "recording", "cloud")
    columns = [
        str(rec.recording_id).encode(),
        sliced(int_cells, ev["timestamp_ns"]),
        sliced(text_cells, np.asarray(ev["name"])),
        sliced(text_cells, kinds),
    ]
    return write_csv(out, H.EVENTS, n, columns)


def write_imu(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """imu.csv: gyro/acceleration rounded to 6 decimals, roll/pitch/yaw from the quaternion,
    the quaternion in the order w, x, y, z (read in chunks, ``rec.iter_chunks``)."""
    motion = [f"gyro_{a}_deg_s" for a in "xyz"] + [f"acceleration_{a}_g" for a in "xyz"]
    ids = _ids(rec, window_ns)

    def pieces() -> Iterator[tuple[int, list[ColumnSource]]]:
        for imu in rec.iter_chunks("imu", window_ns):
            yield (
                len(imu),
                [
                    *ids,
                    sliced(int_cells, imu["timestamp_ns"]),
                    sliced(_field_cells, imu, fields=motion, decimals=6),
                    sliced(_orientation_cells, imu),
                ],
            )

    return write_csv_pieces(out, H.IMU, pieces())


def write_eye_states(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """3d_eye_states.csv: the 2024 columns, plus the eyelid columns when the recording has them
    (read in chunks; the first, never missing, tells which columns there are)."""
    blocks = rec.iter_chunks("eye_state", window_ns)
    first = next(blocks)
    names = first.dtype.names or ()
    fields = list(H.EYE_STATE_FIELDS)
    header = H.EYE_STATES
    if all(f in names for f in H.EYELID_FIELDS):
        fields += H.EYELID_FIELDS
        header = f"{header},{H.EYELIDS}"
    ids = _ids(rec, window_ns)
    pieces = (
        (
            len(e),
            [*ids, sliced(int_cells, e["timestamp_ns"]), sliced(_field_cells, e, fields=fields)],
        )
        for e in itertools.chain([first], blocks)
    )
    del first  # the chain holds it until it is written
    return write_csv_pieces(out, header, pieces)


def write_world_timestamps(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """world_timestamps.csv: the scene frames' own times in the window (not Cloud's re-encoded
    video timeline with its 20 fps pre-roll; see docs/compatibility.md), read in chunks."""
    ids = _ids(rec, window_ns)
    pieces = (
        (len(scene), [*ids, sliced(int_cells, scene["timestamp_ns"])])
        for scene in rec.iter_chunks("scene", window_ns)
    )
    return write_csv_pieces(out, H.WORLD_TIMESTAMPS, pieces)


CLOUD = Dialect(
    "cloud",
    tables=(
        TableSpec("gaze.csv", write_gaze, needs=("gaze",)),
        TableSpec("fixations.csv", write_fixations, needs=("fixations",), unit="fixations"),
        TableSpec("saccades.csv", write_saccades, needs=("saccades",), unit="saccades"),
        TableSpec("blinks.csv", write_blinks, needs=("blinks",), unit="blinks"),
        TableSpec("events.csv", write_events, unit="events"),
        TableSpec("imu.csv", write_imu, needs=("imu",)),
        TableSpec("3d_eye_states.csv", write_eye_states, needs=("eye_state",)),
        TableSpec("world_timestamps.csv", write_world_timestamps, needs=("scene",), unit="frames"),
        TableSpec("scene_camera.json", write_scene_camera_json, unit=""),
        TableSpec("info.json", write_info_json, unit=""),
    ),
    info_text=None,
    view=cloud_view,
)

__all__ = ["CLOUD", "SECTION_NAMESPACE", "section_id"]
