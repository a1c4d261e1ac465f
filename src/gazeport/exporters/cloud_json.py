"""The JSON files of a Pupil Cloud download: ``scene_camera.json`` and ``info.json``.

Both are written with a 4-space indent and no trailing newline (spec neon-format §3.1), with LF
line ends: JSON serialisers write LF, and the CRLF of the one real sample (also in its JSON
files) is what marks that sample's line ends as the uploader's rather than Cloud's.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from .tables import TableSkipped


def scene_camera_dict(rec: Any) -> dict[str, Any]:
    """``camera_matrix`` (3×3), ``distortion_coefficients`` nested as ``[[8 floats]]`` and
    ``serial_number`` (the module serial) of the recording's scene camera."""
    cal = rec.calibration
    return {
        "camera_matrix": [[float(v) for v in row] for row in cal.scene_camera_matrix.tolist()],
        "distortion_coefficients": [[float(v) for v in cal.scene_distortion_coefficients]],
        "serial_number": str(cal.serial),
    }


def write_scene_camera_json(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """scene_camera.json (the window does not matter); skipped without a scene camera model."""
    if rec.calibration is None:
        raise TableSkipped("the recording has no radial scene camera intrinsics")
    out.write(json.dumps(scene_camera_dict(rec), indent=4).encode())
    return 1


def info_dict(rec: Any) -> dict[str, Any]:
    """The recording's own ``info.json`` keys plus ``wearer_name`` (from ``wearer.json``;
    kept when the source already has one, as a Cloud download does). A recording that builds
    its own (``info_json()``, a Core recording's view) gives that instead of the file."""
    own = getattr(rec, "info_json", None)
    if callable(own):
        data: dict[str, Any] = own()
    else:
        with (rec.path / "info.json").open("rb") as f:
            data = json.load(f)
    if "wearer_name" not in data:
        wearer = getattr(rec, "wearer", None)
        data["wearer_name"] = wearer.name if wearer is not None else None
    return data


def write_info_json(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """info.json: sorted keys, 4-space indent (the window does not matter)."""
    out.write(json.dumps(info_dict(rec), indent=4, sort_keys=True).encode())
    return 1


__all__ = ["info_dict", "scene_camera_dict", "write_info_json", "write_scene_camera_json"]
