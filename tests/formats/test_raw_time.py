from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gazeport.errors import CorruptFileError, GazeportWarning
from gazeport.formats.raw_time import (
    read_invisible_gaze_raw,
    read_invisible_time,
    read_mobile_time,
    read_worn_raw,
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_mobile_time_is_big_endian_float64(tmp_path: Path) -> None:
    values = [1234.5678901234, 1234.6012, -3.25, 0.0]
    path = tmp_path / "Pupil Cam1 ID2.time"
    path.write_bytes(b"".join(struct.pack(">d", v) for v in values))
    before = sha(path)
    ts = read_mobile_time(path)
    assert ts.dtype == np.float64 and ts.dtype.isnative
    assert ts.tolist() == values
    assert sha(path) == before


@pytest.mark.parametrize("bad", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_mobile_time_with_nan_or_inf_is_corrupt(tmp_path: Path, bad: float) -> None:
    path = tmp_path / "Pupil Cam1 ID2.time"
    path.write_bytes(b"".join(struct.pack(">d", v) for v in (1.0, 2.0, bad, 4.0)))
    with pytest.raises(CorruptFileError, match=rf"ID2\.time holds {bad!r} at index 2 "):
        read_mobile_time(path)


def test_invisible_time_is_little_endian_uint64_ns(tmp_path: Path) -> None:
    values = [1_600_000_000_123_456_789, 1_600_000_000_128_456_789, 2**63 - 1, 0]
    path = tmp_path / "gaze ps1.time"
    path.write_bytes(b"".join(struct.pack("<Q", v) for v in values))
    ts = read_invisible_time(path)
    assert ts.dtype == np.int64
    assert ts.tolist() == values


def test_invisible_time_beyond_int64_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "x.time"
    path.write_bytes(struct.pack("<QQ", 5, 2**63))
    with pytest.raises(CorruptFileError, match="record 1") as info:
        read_invisible_time(path)
    assert info.value.offset == 8


def test_gaze_raw_is_float32_pairs(tmp_path: Path) -> None:
    pairs = [(544.25, 540.5), (0.0, 1079.75), (1087.9, -3.5)]
    path = tmp_path / "gaze ps1.raw"
    path.write_bytes(b"".join(struct.pack("<ff", x, y) for x, y in pairs))
    xy = read_invisible_gaze_raw(path)
    assert xy.dtype == np.float32 and xy.shape == (3, 2)
    expected = [struct.unpack("<ff", struct.pack("<ff", x, y)) for x, y in pairs]
    assert [tuple(map(float, row)) for row in xy] == expected


def test_worn_raw_is_uint8(tmp_path: Path) -> None:
    path = tmp_path / "worn ps1.raw"
    path.write_bytes(bytes([0, 255, 255, 0, 7]))
    worn = read_worn_raw(path)
    assert worn.dtype == np.uint8
    assert worn.tolist() == [0, 255, 255, 0, 7]


@pytest.mark.parametrize(
    ("reader", "record", "shape"),
    [
        pytest.param(read_mobile_time, 8, (2,), id="mobile-time"),
        pytest.param(read_invisible_time, 8, (2,), id="invisible-time"),
        pytest.param(read_invisible_gaze_raw, 8, (2, 2), id="gaze-raw"),
    ],
)
def test_incomplete_last_record_warns_and_is_dropped(
    tmp_path: Path, reader: Callable[[Path], np.ndarray], record: int, shape: tuple[int, ...]
) -> None:
    path = tmp_path / "part.bin"
    path.write_bytes(bytes(2 * record + 3))
    with pytest.warns(GazeportWarning, match="part.bin") as record_list:
        out = reader(path)
    assert "3 bytes" in str(record_list[0].message)
    assert out.shape == shape


@pytest.mark.parametrize(
    "reader", [read_mobile_time, read_invisible_time, read_invisible_gaze_raw, read_worn_raw]
)
def test_empty_files(tmp_path: Path, reader: Callable[[Path], np.ndarray]) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert reader(path).size == 0
