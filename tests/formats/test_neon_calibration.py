"""calibration.bin of Neon recordings."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from tests import fixtures
from tests.neon_meta_oracle import oracle_values

from gazeport.errors import CorruptFileError, GazeportWarning
from gazeport.formats.neon_calibration import (
    DEFAULT_SCENE_CAMERA_MATRIX,
    read_calibration,
    read_calibration_or_default,
)

CAMERAS = ("scene", "right", "left")
PARTS = (
    ("camera_matrix", (3, 3)),
    ("distortion_coefficients", (8,)),
    ("extrinsics_affine_matrix", (4, 4)),
)


def calibration_bytes(
    version: int = 1, serial: bytes = b"578846", seed: int = 0
) -> tuple[bytes, dict]:
    """An 803-byte calibration packed field by field with struct (not with gazeport's dtype)."""
    rng = np.random.default_rng(seed)
    values = {}
    body = struct.pack("<B6s", version, serial)
    for camera in CAMERAS:
        for part, shape in PARTS:
            array = rng.normal(size=shape)
            values[f"{camera}_{part}"] = array
            body += struct.pack(f"<{array.size}d", *array.ravel())
    return body + struct.pack("<I", zlib.crc32(body)), values


@pytest.mark.parametrize("name", ["neon_demo", "neon23_multipart"])
def test_real_calibration_equals_the_vendor_reader(name: str) -> None:
    folder = fixtures.recording(name)
    expected = oracle_values(folder)["calibration"]
    calibration = read_calibration(folder / "calibration.bin")
    assert calibration.serial == expected["serial"]
    assert calibration.version == expected["version"] == 1
    assert calibration.crc == expected["crc"]
    for camera in CAMERAS:
        for part, shape in PARTS:
            got = getattr(calibration, f"{camera}_{part}")
            assert got.shape == shape and got.dtype == np.float64
            np.testing.assert_array_equal(got, expected[f"{camera}_{part}"])


def test_demo_calibration_crc_and_extrinsics() -> None:
    calibration = read_calibration(fixtures.recording("neon_demo/calibration.bin"))
    assert calibration.crc == 548379009
    np.testing.assert_array_equal(calibration.scene_extrinsics_affine_matrix, np.eye(4))
    np.testing.assert_allclose(calibration.translation_mm("right"), [16.3, 19.7, -7.4], atol=0.05)
    assert calibration.rotation("left").shape == (3, 3)


def test_synthetic_calibration_round_trip_read_only(tmp_path: Path) -> None:
    data, values = calibration_bytes(seed=3)
    path = tmp_path / "calibration.bin"
    path.write_bytes(data)
    calibration = read_calibration(path)
    for name, array in values.items():
        np.testing.assert_array_equal(getattr(calibration, name), array)
    with pytest.raises(ValueError):
        calibration.scene_camera_matrix[0, 0] = 1.0
    assert path.read_bytes() == data


def test_bad_crc_is_one_sentence(tmp_path: Path) -> None:
    data, _ = calibration_bytes()
    path = tmp_path / "calibration.bin"
    path.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    with pytest.raises(CorruptFileError) as caught:
        read_calibration(path)
    stored, actual = struct.unpack("<I", data[-4:])[0], zlib.crc32(path.read_bytes()[:799])
    assert str(caught.value) == (
        f"{path} is damaged: its checksum is {stored:08x} but its content gives {actual:08x}; "
        "restore the file from the original recording."
    )
    assert caught.value.offset == 799


@pytest.mark.parametrize("size", [0, 802, 804], ids=["empty", "short", "long"])
def test_wrong_size_is_one_sentence(tmp_path: Path, size: int) -> None:
    data, _ = calibration_bytes()
    path = tmp_path / "calibration.bin"
    path.write_bytes((data + b"\0")[:size])
    with pytest.raises(CorruptFileError) as caught:
        read_calibration(path)
    assert str(caught.value) == (
        f"{path} is {size} bytes, not the 803 bytes of a Neon camera calibration; restore the "
        "file from the original recording."
    )


def test_lfs_pointer_and_unknown_version(tmp_path: Path) -> None:
    path = tmp_path / "calibration.bin"
    path.write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 803\n")
    with pytest.raises(CorruptFileError, match=r"is a Git LFS placeholder, not the file; fetch it"):
        read_calibration(path)
    path.write_bytes(calibration_bytes(version=2)[0])
    with pytest.warns(GazeportWarning, match="calibration version 2, which gazeport does not know"):
        assert read_calibration(path).version == 2


def test_missing_file_falls_back_like_neon_player(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_calibration(tmp_path / "calibration.bin")
    with pytest.warns(GazeportWarning, match="default scene camera matrix"):
        calibration = read_calibration_or_default(tmp_path / "calibration.bin")
    assert calibration.is_default
    np.testing.assert_array_equal(calibration.scene_camera_matrix, DEFAULT_SCENE_CAMERA_MATRIX)
    np.testing.assert_array_equal(calibration.scene_distortion_coefficients, np.zeros(8))
    assert np.isnan(calibration.right_camera_matrix).all()
