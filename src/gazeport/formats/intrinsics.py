"""Camera intrinsics files ``<camera>.intrinsics`` (``world``, ``eye0``, ``eye1``).

A msgpack map ``{"version": 1, "(w, h)": {"camera_matrix": 3x3, "dist_coefs": [...],
"resolution": [w, h], "cam_type": "radial" | "fisheye" | "dummy"}, ...}`` with one entry per
resolution, keyed by the Python text of the resolution tuple. Like Player, the key (not the
inner ``resolution``) decides which resolution an entry is for.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CorruptFileError, GazeportWarning
from .msgpack_file import load_object

#: Camera models Player knows; any other ``cam_type`` makes Player use dummy intrinsics.
CAM_TYPES = ("radial", "fisheye", "dummy")
#: Focal length (px) of Player's dummy camera.
DUMMY_FOCAL_LENGTH_PX = 1000.0

_RESOLUTION_KEY = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


@dataclass(frozen=True, eq=False)
class CameraIntrinsics:
    """One camera model at one resolution.

    ``camera_matrix`` is 3x3 float64 in pixels; ``dist_coefs`` float64 in the shape stored
    (radial: (1, 5) or (1, 8); fisheye: (4, 1) or (4,)); ``cam_type`` is ``"radial"``,
    ``"fisheye"`` or ``"dummy"`` (no distortion).
    """

    resolution: tuple[int, int]  #: (width, height) in pixels
    camera_matrix: np.ndarray
    dist_coefs: np.ndarray
    cam_type: str


def dummy_intrinsics(resolution: tuple[int, int]) -> CameraIntrinsics:
    """Player's fallback model: focal length 1000 px, centred principal point, no distortion."""
    w, h = resolution
    k = np.array(
        [[DUMMY_FOCAL_LENGTH_PX, 0.0, w / 2.0], [0.0, DUMMY_FOCAL_LENGTH_PX, h / 2.0], [0, 0, 1]],
        dtype=np.float64,
    )
    dist = np.zeros((1, 5))
    k.flags.writeable = False
    dist.flags.writeable = False
    return CameraIntrinsics((int(w), int(h)), k, dist, "dummy")


def read_intrinsics(path: Path | str) -> dict[tuple[int, int], CameraIntrinsics]:
    """All entries of an intrinsics file, keyed by ``(width, height)`` in pixels.

    A malformed file or entry raises :class:`CorruptFileError` naming the file and key. An
    entry with an unknown ``cam_type`` becomes :func:`dummy_intrinsics` with a
    :class:`GazeportWarning`, as in Player. A missing file raises :class:`FileNotFoundError`.
    """
    path = Path(path)
    raw = load_object(path)
    if not isinstance(raw, dict):
        raise CorruptFileError(
            f"{path} should hold a map of intrinsics by resolution but holds a "
            f"{type(raw).__name__}; delete it to fall back to default intrinsics.",
            path,
        )
    if "version" not in raw:
        raise CorruptFileError(
            f"{path} has no 'version' key, so it is not a camera intrinsics file; delete it to "
            "fall back to default intrinsics.",
            path,
        )
    version = raw["version"]
    if not isinstance(version, int) or version < 1:
        # Player renames such files to "*.deprecated.v<N>" but still uses them once.
        warnings.warn(
            f"{path} has the deprecated intrinsics version {version!r}; its values are used, but "
            "consider re-estimating the camera intrinsics.",
            GazeportWarning,
            stacklevel=2,
        )
    out: dict[tuple[int, int], CameraIntrinsics] = {}
    for key, entry in raw.items():
        if key == "version":
            continue
        resolution = _parse_resolution(path, key)
        out[resolution] = _parse_entry(path, key, resolution, entry)
    return out


def read_intrinsics_for(path: Path | str, resolution: tuple[int, int]) -> CameraIntrinsics | None:
    """The entry of an intrinsics file for ``resolution`` (width, height) px, or ``None``.

    ``None`` means the file has no entry at that resolution; Player then uses its built-in
    defaults for the camera, or dummy intrinsics.
    """
    return read_intrinsics(path).get((int(resolution[0]), int(resolution[1])))


def _parse_resolution(path: Path, key: Any) -> tuple[int, int]:
    match = _RESOLUTION_KEY.match(key) if isinstance(key, str) else None
    if match is None:
        raise CorruptFileError(
            f"{path} has the key {key!r}, which is not a resolution like '(1280, 720)'; the file "
            "is damaged, delete it to fall back to default intrinsics.",
            path,
        )
    return int(match.group(1)), int(match.group(2))


def _parse_entry(path: Path, key: str, resolution: tuple[int, int], entry: Any) -> CameraIntrinsics:
    def bad(what: str) -> CorruptFileError:
        return CorruptFileError(
            f"{path}: the entry {key!r} {what}; delete the file to fall back to default "
            "intrinsics or re-estimate them.",
            path,
        )

    if not isinstance(entry, dict):
        raise bad(f"should be a map but is a {type(entry).__name__}")
    for field in ("camera_matrix", "dist_coefs", "cam_type"):
        if field not in entry:
            raise bad(f"has no {field!r}")
    cam_type = entry["cam_type"]
    if cam_type not in CAM_TYPES:
        warnings.warn(
            f"{path}: the entry {key!r} has the unknown camera type {cam_type!r}; dummy "
            "intrinsics (no distortion) are used instead, as Pupil Player does.",
            GazeportWarning,
            stacklevel=3,
        )
        return dummy_intrinsics(resolution)
    try:
        matrix = np.array(entry["camera_matrix"], dtype=np.float64)
        dist = np.array(entry["dist_coefs"], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise bad(f"has non-numeric camera_matrix or dist_coefs ({exc})") from exc
    if matrix.shape != (3, 3):
        raise bad(f"has a camera_matrix of shape {matrix.shape} instead of (3, 3)")
    if dist.size not in (4, 5, 8, 12, 14) or dist.ndim > 2:
        raise bad(f"has dist_coefs of shape {dist.shape}, which no camera model uses")
    matrix.flags.writeable = False
    dist.flags.writeable = False
    return CameraIntrinsics(resolution, matrix, dist, str(cam_type))
