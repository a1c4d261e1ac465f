"""An independent oracle of Pupil Player's Raw Data Exporter, for tests.

It reads a recording folder with msgpack, NumPy and the ``csv`` module only (never gazeport) and
does what Player does, one datum at a time: decode every datum (ext type 13 recursively), sort
stably by ``<name>_timestamps.npy`` (or the datums' own timestamps), keep ``t[left] <= ts <
t[right]`` of the world frame table, find the nearest world frame (ties to the later frame), build
the row dicts (all-or-nothing ellipse and 3D blocks, ``model_id`` via ``get``, ``base_data`` text,
binocular/monocular eye columns) and write them with ``csv.DictWriter``.

Written from the compatibility notes in ``shared/spec/pupil-player-compat.md`` (sections 2-6),
not from Player's code.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

PUPIL_HEADER = [
    "pupil_timestamp",
    "world_index",
    "eye_id",
    "confidence",
    "norm_pos_x",
    "norm_pos_y",
    "diameter",
    "method",
    "ellipse_center_x",
    "ellipse_center_y",
    "ellipse_axis_a",
    "ellipse_axis_b",
    "ellipse_angle",
    "diameter_3d",
    "model_confidence",
    "model_id",
    "sphere_center_x",
    "sphere_center_y",
    "sphere_center_z",
    "sphere_radius",
    "circle_3d_center_x",
    "circle_3d_center_y",
    "circle_3d_center_z",
    "circle_3d_normal_x",
    "circle_3d_normal_y",
    "circle_3d_normal_z",
    "circle_3d_radius",
    "theta",
    "phi",
    "projected_sphere_center_x",
    "projected_sphere_center_y",
    "projected_sphere_axis_a",
    "projected_sphere_axis_b",
    "projected_sphere_angle",
]
GAZE_HEADER = [
    "gaze_timestamp",
    "world_index",
    "confidence",
    "norm_pos_x",
    "norm_pos_y",
    "base_data",
    "gaze_point_3d_x",
    "gaze_point_3d_y",
    "gaze_point_3d_z",
    "eye_center0_3d_x",
    "eye_center0_3d_y",
    "eye_center0_3d_z",
    "gaze_normal0_x",
    "gaze_normal0_y",
    "gaze_normal0_z",
    "eye_center1_3d_x",
    "eye_center1_3d_y",
    "eye_center1_3d_z",
    "gaze_normal1_x",
    "gaze_normal1_y",
    "gaze_normal1_z",
]
HEADERS = {"pupil": PUPIL_HEADER, "gaze": GAZE_HEADER}
LEGACY_KEYS = {"pupil": "pupil_positions", "gaze": "gaze_positions"}


# --- decoding -----------------------------------------------------------------------------------


def _ext(code: int, data: bytes) -> Any:
    if code == 13:
        return decode(data)
    return msgpack.ExtType(code, data)


def decode(payload: bytes) -> Any:
    """One datum as Player sees it: arrays as tuples, ext 13 decoded recursively."""
    return msgpack.unpackb(payload, raw=False, use_list=False, strict_map_key=False, ext_hook=_ext)


def read_pldata(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """``(topic, datum)`` of every complete record (a cut-off last record is left out)."""
    if not path.exists():
        return []
    with path.open("rb") as fh:
        unpacker = msgpack.Unpacker(fh, raw=False, use_list=False, strict_map_key=False)
        return [(topic, decode(payload)) for topic, payload in unpacker]


def load_stream(rec: Path, name: str) -> tuple[list[dict[str, Any]], list[float]]:
    """Datums of ``name`` ("pupil"/"gaze") in file order and their sort keys.

    Keys come from ``<name>_timestamps.npy`` when it exists, else from each datum. A recording of
    Capture < 1.8 keeps its data in the ``pupil_data`` map; Player's v1.8 migration writes them
    to pldata files with each datum's own timestamp.
    """
    rec = Path(rec)
    pldata = rec / f"{name}.pldata"
    if not pldata.exists() and (rec / "pupil_data").exists():
        with (rec / "pupil_data").open("rb") as fh:
            everything = msgpack.unpackb(
                fh.read(), raw=False, use_list=False, strict_map_key=False, ext_hook=_ext
            )
        datums = list(everything.get(LEGACY_KEYS[name], ()))
        return datums, [float(d["timestamp"]) for d in datums]
    datums = [d for _, d in read_pldata(pldata)]
    sidecar = rec / f"{name}_timestamps.npy"
    if sidecar.exists():
        keys = [float(x) for x in np.load(sidecar)[: len(datums)]]
    else:
        keys = [float(d["timestamp"]) for d in datums]
    return datums, keys


def has_stream(rec: Path, name: str) -> bool:
    rec = Path(rec)
    if (rec / f"{name}.pldata").exists():
        return True
    return (rec / "pupil_data").exists() and bool(load_stream(rec, name)[0])


# --- world frames -------------------------------------------------------------------------------


def _repair(ts: list[float]) -> list[float]:
    """Replace every timestamp that makes the sequence go backwards (spec 3.2, step 1)."""
    out = list(ts)
    bad = [i + 1 for i in range(len(ts) - 1) if ts[i + 1] < ts[i]]
    for i in bad:
        if i < len(ts) - 1:
            out[i] = (ts[i - 1] + ts[i + 1]) / 2
    if bad and bad[-1] == len(ts) - 1:
        out[-1] = out[-2] + (out[-2] - out[-3]) if len(out) >= 3 else out[-2]
    return out


def world_timestamps(rec: Path) -> np.ndarray:
    """Player's frame table timestamps: all world parts' timestamps with gaps > max(1 s, median
    interval) filled with virtual frames every median interval. Without any world timestamps:
    the artificial 30 fps table from ``start_time_synced_s`` to ``+ duration_s + 3``."""
    rec = Path(rec)
    names = [p.name for p in rec.iterdir() if re.fullmatch(r"world(_\d+)?_timestamps\.npy", p.name)]
    names.sort(key=lambda n: n[: -len("_timestamps.npy")] + ".")
    ts: list[float] = []
    for n in names:
        ts += _repair([float(x) for x in np.load(rec / n)])
    if not ts and (rec / "info.player.json").exists():
        info = json.loads((rec / "info.player.json").read_text(encoding="utf-8"))
        start, duration = info["start_time_synced_s"], info["duration_s"]
        return np.arange(start, start + duration + 3, 1 / 30)
    if len(ts) < 2:
        return np.array(sorted(ts), dtype=np.float64)
    arr = np.array(ts, dtype=np.float64)
    median = float(np.median(np.diff(arr)))
    extra = [
        np.arange(arr[i] + median, arr[i + 1] - median, median)
        for i in range(len(arr) - 1)
        if arr[i + 1] - arr[i] > max(1.0, median)
    ]
    return np.sort(np.concatenate([arr, *extra]))


def find_closest(target: Sequence[float], values: Iterable[float]) -> list[int]:
    """Nearest index of sorted ``target`` for each value; a tie goes to the later index."""
    t = [float(x) for x in target]
    n = len(t)
    out = []
    for s in values:
        if n == 1:
            out.append(0)
            continue
        i = min(max(bisect.bisect_left(t, s), 1), n - 1)
        out.append(i - 1 if s - t[i - 1] < t[i] - s else i)
    return out


def frame_range(
    t: Sequence[float],
    start_frame: int | None = None,
    end_frame: int | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
) -> tuple[int, int]:
    """Inclusive trim marks from frames or from seconds after the first frame (bisect_left)."""
    t = [float(x) for x in t]
    left, right = 0, len(t) - 1
    if start_s is not None:
        left = bisect.bisect_left(t, t[0] + start_s)
    if end_s is not None:
        right = min(bisect.bisect_left(t, t[0] + end_s), len(t) - 1)
    if start_frame is not None:
        left = start_frame
    if end_frame is not None:
        right = end_frame
    return left, right


# --- rows ---------------------------------------------------------------------------------------


def pupil_row(d: dict[str, Any], world_index: int) -> dict[str, Any]:
    row = {
        "pupil_timestamp": str(d["timestamp"]),
        "world_index": world_index,
        "eye_id": d["id"],
        "confidence": d["confidence"],
        "norm_pos_x": d["norm_pos"][0],
        "norm_pos_y": d["norm_pos"][1],
        "diameter": d["diameter"],
        "method": d["method"],
    }
    try:
        e = d["ellipse"]
        ellipse = [e["center"][0], e["center"][1], e["axes"][0], e["axes"][1], e["angle"]]
    except KeyError:
        ellipse = [None] * 5
    row.update(zip(PUPIL_HEADER[8:13], ellipse, strict=True))
    try:
        sphere, circle, proj = d["sphere"], d["circle_3d"], d["projected_sphere"]
        block = [
            d["diameter_3d"], d["model_confidence"],
            *sphere["center"][:3], sphere["radius"],
            *circle["center"][:3], *circle["normal"][:3], circle["radius"],
            d["theta"], d["phi"],
            *proj["center"][:2], *proj["axes"][:2], proj["angle"],
        ]  # fmt: skip
    except KeyError:
        block = [None] * 20
    names_3d = [n for n in PUPIL_HEADER[13:] if n != "model_id"]
    row.update(zip(names_3d, block, strict=True))
    row["model_id"] = d.get("model_id")
    return row


def _eye_entry(mapping: Any, eye: int) -> Any:
    return mapping.get(str(eye)) or mapping.get(eye) or (None, None, None)


def gaze_row(d: dict[str, Any], world_index: int) -> dict[str, Any]:
    base = d.get("base_data")
    row: dict[str, Any] = {
        "gaze_timestamp": str(d["timestamp"]),
        "world_index": world_index,
        "confidence": d["confidence"],
        "norm_pos_x": d["norm_pos"][0],
        "norm_pos_y": d["norm_pos"][1],
        "base_data": None
        if base is None
        else " ".join(f"{b['timestamp']}-{b['id']}" for b in base),
    }
    point = d.get("gaze_point_3d")
    eye_cols: dict[int, list[Any]] = {0: [None] * 6, 1: [None] * 6}
    if point is not None:
        row.update(zip(GAZE_HEADER[6:9], (point[0], point[1], point[2]), strict=True))
        if d.get("eye_centers_3d") is not None:
            for eye in (0, 1):
                centre = _eye_entry(d["eye_centers_3d"], eye)
                normal = _eye_entry(d["gaze_normals_3d"], eye)
                eye_cols[eye] = [*centre[:3], *normal[:3]]
        elif d.get("eye_center_3d") is not None:
            try:
                eye_id = str(base[0]["id"])  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                eye_id = None
            if eye_id in ("0", "1"):
                eye_cols[int(eye_id)] = [*d["eye_center_3d"][:3], *d["gaze_normal_3d"][:3]]
    row.update(zip(GAZE_HEADER[9:15], eye_cols[0], strict=True))
    row.update(zip(GAZE_HEADER[15:21], eye_cols[1], strict=True))
    return row


ROW_BUILDERS = {"pupil": pupil_row, "gaze": gaze_row}


def export_rows(
    rec: Path,
    name: str,
    trim: tuple[int, int] | None = None,
    min_confidence: float | None = None,
) -> list[dict[str, Any]]:
    """Player's rows of ``name`` for the inclusive frame range ``trim`` (default: all frames)."""
    t = world_timestamps(rec)
    left, right = trim if trim is not None else (0, len(t) - 1)
    lo, hi = float(t[left]), float(t[right])
    datums, keys = load_stream(rec, name)
    order = sorted(range(len(datums)), key=lambda i: keys[i])  # Python's sort is stable
    section = [i for i in order if lo <= keys[i] < hi]
    world_idx = find_closest(t, [keys[i] for i in section])
    rows = []
    for i, wi in zip(section, world_idx, strict=True):
        if min_confidence is not None and datums[i]["confidence"] < min_confidence:
            continue
        rows.append(ROW_BUILDERS[name](datums[i], wi))
    return rows


def csv_bytes(rows: list[dict[str, Any]], header: Sequence[str]) -> bytes:
    """The file ``csv.DictWriter`` writes (UTF-8, ``newline=""``)."""
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(header))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def expected_csv(
    rec: Path, name: str, trim: tuple[int, int] | None = None, min_confidence: float | None = None
) -> bytes:
    """The bytes of Player's ``<name>_positions.csv``."""
    return csv_bytes(export_rows(rec, name, trim, min_confidence), HEADERS[name])


# --- export_info.csv ----------------------------------------------------------------------------


def relative_time(x: float) -> str:
    """``MM:SS.mmm`` with minutes unbounded and every part truncated."""
    minutes = math.floor(x / 60)
    seconds = x - minutes * 60
    return f"{minutes:02d}:{int(seconds):02d}.{int((seconds - int(seconds)) * 1000):03d}"


def export_info_items(rec: Path, trim: tuple[int, int], data_format_version: str) -> dict[str, str]:
    """The values of ``export_info.csv`` that do not depend on the clock or the software."""
    t = world_timestamps(rec)
    left, right = trim
    return {
        "Data Format Version": data_format_version,
        "Frame Index Range:": f"{left} - {right}",
        "Relative Time Range": f"{relative_time(t[left] - t[0])} - {relative_time(t[right] - t[0])}",
        "Absolute Time Range": f"{float(t[left])} - {float(t[right])}",
    }
