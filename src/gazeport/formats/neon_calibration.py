"""``calibration.bin`` of a Neon recording: scene and eye camera intrinsics and extrinsics.

The file is one 803-byte little-endian record (pl-neon-recording ``calib.py``)::

    version u1 | serial 6s | scene camera_matrix (3,3) f8, distortion 8 f8, extrinsics (4,4) f8
    | right eye camera: the same three | left eye camera: the same three | crc u4

``crc`` is ``zlib.crc32`` of the 799 bytes before it. Distortion coefficients are OpenCV's
``k1, k2, p1, p2, k3, k4, k5, k6``; extrinsics are affine matrices with translations in mm
(the scene camera's is the identity).
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, GazeportWarning
from .lfs_pointer import check_not_lfs_pointer

CALIBRATION_DTYPE = np.dtype(
    [
        ("version", "u1"),
        ("serial", "S6"),
        ("scene_camera_matrix", "<f8", (3, 3)),
        ("scene_distortion_coefficients", "<f8", (8,)),
        ("scene_extrinsics_affine_matrix", "<f8", (4, 4)),
        ("right_camera_matrix", "<f8", (3, 3)),
        ("right_distortion_coefficients", "<f8", (8,)),
        ("right_extrinsics_affine_matrix", "<f8", (4, 4)),
        ("left_camera_matrix", "<f8", (3, 3)),
        ("left_distortion_coefficients", "<f8", (8,)),
        ("left_extrinsics_affine_matrix", "<f8", (4, 4)),
        ("crc", "<u4"),
    ]
)
#: Size of ``calibration.bin`` in bytes (803).
CALIBRATION_SIZE = CALIBRATION_DTYPE.itemsize
KNOWN_CALIBRATION_VERSIONS = (1,)

#: Neon Player's scene camera matrix for recordings without ``calibration.bin``
#: (neon-player ``utilities.py:get_scene_intrinsics``), pixels, 1600 x 1200 image.
DEFAULT_SCENE_CAMERA_MATRIX = np.array(
    [
        [892.1746128870618, 0.0, 829.7903330088201],
        [0.0, 891.4721112020742, 606.9965952706247],
        [0, 0, 1],
    ]
)


@dataclass(frozen=True, eq=False)
class NeonCalibration:
    """The cameras of one Neon module. Arrays are float64 and read-only.

    Shapes: ``*_camera_matrix`` (3, 3) in pixels; ``*_distortion_coefficients`` (8,);
    ``*_extrinsics_affine_matrix`` (4, 4), rotation in [:3, :3], translation in mm in [:3, 3].
    ``serial`` is the module serial (``info.module_serial_number``); ``crc`` the stored CRC-32;
    ``is_default`` is True for :func:`default_calibration` (no file was read).
    """

    version: int
    serial: str
    scene_camera_matrix: np.ndarray
    scene_distortion_coefficients: np.ndarray
    scene_extrinsics_affine_matrix: np.ndarray
    right_camera_matrix: np.ndarray
    right_distortion_coefficients: np.ndarray
    right_extrinsics_affine_matrix: np.ndarray
    left_camera_matrix: np.ndarray
    left_distortion_coefficients: np.ndarray
    left_extrinsics_affine_matrix: np.ndarray
    crc: int
    is_default: bool = False

    def rotation(self, camera: str) -> np.ndarray:
        """Rotation (3, 3) of ``camera`` (``"scene"``, ``"right"`` or ``"left"``)."""
        return self._extrinsics(camera)[:3, :3]

    def translation_mm(self, camera: str) -> np.ndarray:
        """Translation (3,) in mm of ``camera`` (``"scene"``, ``"right"`` or ``"left"``)."""
        return self._extrinsics(camera)[:3, 3]

    def _extrinsics(self, camera: str) -> np.ndarray:
        if camera not in ("scene", "right", "left"):
            raise ValueError(f'camera must be "scene", "right" or "left", not {camera!r}')
        matrix: np.ndarray = getattr(self, f"{camera}_extrinsics_affine_matrix")
        return matrix


def _frozen(values: np.ndarray) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    array.setflags(write=False)
    return array


def decode_calibration(data: bytes, path: Path | str = "calibration.bin") -> NeonCalibration:
    """Decode the bytes of a ``calibration.bin``; ``path`` only names the file in errors.

    A size other than 803 bytes or a CRC mismatch raises :class:`CorruptFileError`; an unknown
    ``version`` (the layout and CRC still fit) decodes with a :class:`GazeportWarning`.
    """
    if len(data) != CALIBRATION_SIZE:
        raise CorruptFileError(
            f"{path} is {len(data)} bytes, not the {CALIBRATION_SIZE} bytes of a Neon camera "
            "calibration; restore the file from the original recording.",
            path,
            min(len(data), CALIBRATION_SIZE),
        )
    record = np.frombuffer(data, dtype=CALIBRATION_DTYPE, count=1)[0]
    computed = zlib.crc32(data[: CALIBRATION_SIZE - 4])
    if computed != int(record["crc"]):
        raise CorruptFileError(
            f"{path} is damaged: its checksum is {int(record['crc']):08x} but its content gives "
            f"{computed:08x}; restore the file from the original recording.",
            path,
            CALIBRATION_SIZE - 4,
        )
    version = int(record["version"])
    if version not in KNOWN_CALIBRATION_VERSIONS:
        warnings.warn(
            f"{path} has calibration version {version}, which gazeport does not know; its size "
            "and checksum fit version 1, so it is read as version 1.",
            GazeportWarning,
            stacklevel=2,
        )

    def part(camera: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        names = ("camera_matrix", "distortion_coefficients", "extrinsics_affine_matrix")
        matrix, distortion, extrinsics = (_frozen(record[f"{camera}_{n}"]) for n in names)
        return matrix, distortion, extrinsics

    scene, right, left = part("scene"), part("right"), part("left")
    return NeonCalibration(
        version=version,
        serial=bytes(record["serial"]).decode("ascii", errors="replace"),
        scene_camera_matrix=scene[0],
        scene_distortion_coefficients=scene[1],
        scene_extrinsics_affine_matrix=scene[2],
        right_camera_matrix=right[0],
        right_distortion_coefficients=right[1],
        right_extrinsics_affine_matrix=right[2],
        left_camera_matrix=left[0],
        left_distortion_coefficients=left[1],
        left_extrinsics_affine_matrix=left[2],
        crc=int(record["crc"]),
    )


def read_calibration(path: Path | str) -> NeonCalibration:
    """Read and check a ``calibration.bin`` (errors as :func:`decode_calibration`).

    A Git LFS pointer raises :class:`CorruptFileError`; a missing file ``FileNotFoundError``
    (callers that can do without use :func:`read_calibration_or_default`).
    """
    path = Path(path)
    check_not_lfs_pointer(path)
    return decode_calibration(path.read_bytes(), path)


def default_calibration() -> NeonCalibration:
    """Neon Player's fallback: its default scene camera matrix, no distortion, identity
    extrinsics; the eye cameras are unknown (NaN)."""
    unknown3, unknown8 = np.full((3, 3), np.nan), np.full(8, np.nan)
    return NeonCalibration(
        version=0,
        serial="",
        scene_camera_matrix=_frozen(DEFAULT_SCENE_CAMERA_MATRIX),
        scene_distortion_coefficients=_frozen(np.zeros(8)),
        scene_extrinsics_affine_matrix=_frozen(np.eye(4)),
        right_camera_matrix=_frozen(unknown3),
        right_distortion_coefficients=_frozen(unknown8),
        right_extrinsics_affine_matrix=_frozen(np.full((4, 4), np.nan)),
        left_camera_matrix=_frozen(unknown3),
        left_distortion_coefficients=_frozen(unknown8),
        left_extrinsics_affine_matrix=_frozen(np.full((4, 4), np.nan)),
        crc=0,
        is_default=True,
    )


def read_calibration_or_default(path: Path | str) -> NeonCalibration:
    """:func:`read_calibration`, or, when the file does not exist, :func:`default_calibration`
    with a :class:`GazeportWarning` (what Neon Player does). A damaged file still raises: its
    numbers cannot be trusted and the default could be far off for this module."""
    path = Path(path)
    if not path.exists():
        warnings.warn(
            f"{path} does not exist; using Neon Player's default scene camera matrix and no "
            "distortion, so azimuth and elevation are approximate.",
            GazeportWarning,
            stacklevel=2,
        )
        return default_calibration()
    return read_calibration(path)
