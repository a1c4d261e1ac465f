"""The metadata files of the Neon Player v6 dialect: info.json, calibration.json, export_info.csv.

* ``info.json``: the recording's ``info.json`` object plus ``wearer_name`` (from wearer.json),
  keys sorted, 4-space indent, no final newline (``json.dump(indent=4, sort_keys=True)``).
* ``calibration.json``: every ``calibration.bin`` field in file order, arrays as nested lists,
  ``serial`` a string, ``crc`` an int, on one line.
* ``export_info.csv``: ``key,value`` rows; ``Frame Index Range`` names the last scene frame at or
  before each end of the window (``-1`` before the first), ``Relative Time Range`` cuts the
  milliseconds through a float as Neon Player does (4.781 s can print ``04.780``). gazeport
  writes its own name and version as ``Player Software Version``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any, BinaryIO

import numpy as np

from .._version import __version__

Window = tuple[int, int]


def write_info_json(rec: Any, window_ns: Window, out: BinaryIO) -> int:
    """info.json: the native info plus ``wearer_name`` (left out when wearer.json is unreadable)."""
    info = dict(rec.info.raw)
    wearer = rec.wearer
    if wearer is not None:
        info["wearer_name"] = wearer.name
    out.write(json.dumps(info, indent=4, sort_keys=True).encode())
    return 0


def write_calibration_json(rec: Any, window_ns: Window, out: BinaryIO) -> int:
    """calibration.json: the camera intrinsics and extrinsics of ``calibration.bin``."""
    calib = rec.calibration
    data: dict[str, Any] = {}
    for field in dataclasses.fields(calib):
        if field.name == "is_default":
            continue
        value = getattr(calib, field.name)
        data[field.name] = value.tolist() if isinstance(value, np.ndarray) else value
    out.write(json.dumps(data).encode())
    return 0


def relative_time_text(seconds: float) -> str:
    """``HH:MM:SS.mmm`` with the milliseconds truncated from the float remainder."""
    hours = int(seconds // 3600)
    minutes = int((seconds % 3600) // 60)
    secs = int(seconds % 60)
    millis = int((seconds % 1) * 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def scene_index_at(scene_ns: np.ndarray, t_ns: int) -> int:
    """Index of the last scene frame at or before ``t_ns`` (``-1`` when there is none)."""
    return int(np.searchsorted(scene_ns, t_ns, side="right")) - 1


def export_info_text(rec: Any, window_ns: Window, frame_range: tuple[int, int]) -> str:
    """export_info.csv text (``\\n`` line endings, as Neon Player writes it)."""
    scene = rec.stream("scene")["timestamp_ns"] if rec.has_stream("scene") else np.empty(0, "<i8")
    first, last = (scene_index_at(scene, t) for t in window_ns)
    start, stop = ((t - rec.start_time_ns) / 1e9 for t in window_ns)
    now = datetime.now().astimezone()
    rows = {
        "Player Software Version": f"gazeport {__version__}",
        "Export Date": now.strftime("%d.%m.%Y"),
        "Export Time": now.strftime("%H:%M:%S"),
        "Frame Index Range": f"{first} - {last}",
        "Relative Time Range": f"{relative_time_text(start)} - {relative_time_text(stop)}",
        "Absolute Time Range": f"{window_ns[0]} - {window_ns[1]}",
    }
    return "key,value\n" + "".join(f"{k},{v}\n" for k, v in rows.items())


__all__ = [
    "export_info_text",
    "relative_time_text",
    "scene_index_at",
    "write_calibration_json",
    "write_info_json",
]
