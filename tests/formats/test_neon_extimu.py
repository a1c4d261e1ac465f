"""extimu psN.raw (length-prefixed protobuf IMU packets) of Neon recordings."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests import fixtures
from tests.neon_factories import varint
from tests.neon_meta_oracle import oracle_values

from gazeport.errors import CorruptFileError, GazeportWarning
from gazeport.formats.neon_extimu import EXTIMU_DTYPE, decode_extimu, read_extimu

NAMES = EXTIMU_DTYPE.names or ()


def float_fields(values: list[float], extra: bytes = b"") -> bytes:
    """A sub-message of float fields 1..n as protobuf 3 writes it: zeros left out."""
    body = b"".join(
        varint((i << 3) | 5) + struct.pack("<f", v) for i, v in enumerate(values, 1) if v != 0.0
    )
    return body + extra


def packet(
    ts: int,
    gyro: list[float],
    accel: list[float],
    quat: list[float],
    *,
    reserved: bool = True,
    order: tuple[int, ...] = (1, 2, 3, 4),
    unknown: bool = False,
) -> bytes:
    """One ImuPacket like the Neon app writes it, encoded from the spec by hand."""
    accel_extra = varint((4 << 3) | 0) + varint(123456) if reserved else b""
    quat_extra = varint((5 << 3) | 5) + struct.pack("<f", 1.0e9) if reserved else b""
    fields = {
        1: varint(1 << 3) + varint(ts) if ts else b"",
        2: float_fields(accel, accel_extra),
        3: float_fields(gyro),
        4: float_fields(quat, quat_extra),
    }
    out = b""
    for number in order:
        if number == 1:
            out += fields[1]
        elif fields[number]:
            out += varint((number << 3) | 2) + varint(len(fields[number])) + fields[number]
    if unknown:
        out += varint((9 << 3) | 2) + varint(3) + b"abc" + varint(10 << 3) + varint(2**40)
    return out


def framed(messages: list[bytes]) -> bytes:
    return b"".join(struct.pack("<H", len(m)) + m for m in messages)


def as_rows(array: np.ndarray) -> list[tuple]:
    return [tuple(row) for row in array.tolist()]


@pytest.mark.parametrize("name", ["neon_demo", "neon23_multipart"])
def test_real_extimu_equals_the_vendor_decoder(name: str) -> None:
    folder = fixtures.recording(name)
    expected = oracle_values(folder)
    parts = sorted(folder.glob("extimu ps*.raw"), key=lambda p: int(p.stem[9:]))
    decoded = [read_extimu(raw) for raw in parts]
    for raw, array in zip(parts, decoded, strict=True):
        assert array.dtype == EXTIMU_DTYPE
        reference = np.array(expected["extimu"][raw.name], dtype=EXTIMU_DTYPE)
        assert as_rows(array) == as_rows(reference)
        # tsNs equals the part's own .time file
        time = np.fromfile(raw.with_suffix(".time"), dtype="<i8")
        np.testing.assert_array_equal(array["timestamp_ns"], time)
    # and the vendor's IMU stream (extimu joined for 2.3, imu ps1.raw for 2.5) has the same samples
    imu = expected["imu"]
    joined = np.concatenate(decoded)
    np.testing.assert_array_equal(joined["timestamp_ns"], imu["time"])
    for ours, theirs in [("gyro", "angular_velocity"), ("accel", "acceleration")]:
        for axis in "xyz":
            np.testing.assert_array_equal(joined[f"{ours}_{axis}"], imu[f"{theirs}_{axis}"])
    for axis in "wxyz":
        np.testing.assert_array_equal(joined[f"quaternion_{axis}"], imu[f"quaternion_{axis}"])


def test_zero_fields_order_unknown_fields_and_wide_varints() -> None:
    rows = [
        (1760676790103992534, [-7.4, -4.3, 5.3], [-0.04, 0.14, 0.83], [0.43, 0.02, 0.06, 0.89]),
        (1760676790113992534, [0.0, 2.5, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]),
        (0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]),
        (5, [1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [0.5, 0.5, 0.5, 0.5]),
    ]
    messages = [
        packet(*rows[0]),
        packet(*rows[1], reserved=False, order=(4, 3, 2, 1)),
        packet(*rows[2]),
        packet(*rows[3], unknown=True),
        packet(*rows[0]),
    ]
    array = decode_extimu(framed(messages))
    expected = [(ts, *gyro, *accel, *quat) for ts, gyro, accel, quat in [*rows, rows[0]]]
    assert as_rows(array) == as_rows(np.array(expected, dtype=EXTIMU_DTYPE))


finite = st.floats(width=32, allow_nan=False, allow_infinity=False) | st.just(0.0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2**63 - 1),
            st.lists(finite, min_size=3, max_size=3),
            st.lists(finite, min_size=3, max_size=3),
            st.lists(finite, min_size=4, max_size=4),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_any_packets_decode_to_their_values(samples: list) -> None:
    messages = [packet(ts, g, a, q, reserved=r) for ts, g, a, q, r in samples]
    expected = np.array([(ts, *g, *a, *q) for ts, g, a, q, _ in samples], dtype=EXTIMU_DTYPE)
    assert as_rows(decode_extimu(framed(messages))) == as_rows(expected)


@pytest.mark.parametrize("cut", [1, 2, 30], ids=["half-prefix", "prefix-only", "mid-message"])
def test_truncated_last_message_warns_and_keeps_the_rest(tmp_path: Path, cut: int) -> None:
    message = packet(7, [1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [1.0, 0.0, 0.0, 0.0])
    data = framed([message, message, message])
    whole = len(data) - len(message) - 2
    path = tmp_path / "extimu ps1.raw"
    path.write_bytes(data[: whole + cut])
    with pytest.warns(GazeportWarning) as caught:
        array = read_extimu(path)
    assert len(caught) == 1
    assert str(caught[0].message) == (
        f"{path} ends inside an IMU message at byte {whole} (the file is truncated); the last "
        f"{cut} bytes are ignored and 2 complete samples are used."
    )
    assert array["timestamp_ns"].tolist() == [7, 7]


def test_empty_file_keeps_the_dtype(tmp_path: Path) -> None:
    path = tmp_path / "extimu ps1.raw"
    path.write_bytes(b"")
    array = read_extimu(path)
    assert array.shape == (0,) and array.dtype == EXTIMU_DTYPE


def test_undecodable_message_is_one_sentence_with_offset() -> None:
    good = packet(7, [1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [1.0, 0.0, 0.0, 0.0])
    bad = varint((2 << 3) | 5) + b"\0\0\0\0"  # accelData as a float, not a message
    with pytest.raises(CorruptFileError) as caught:
        decode_extimu(framed([good, bad]), "extimu ps2.raw")
    offset = len(good) + 2
    assert str(caught.value) == (
        f"extimu ps2.raw holds an IMU message at byte {offset} that cannot be decoded (field 2 "
        "has the wrong wire type 5); the file is damaged."
    )
    assert caught.value.offset == offset


def test_lfs_pointer(tmp_path: Path) -> None:
    path = tmp_path / "extimu ps1.raw"
    path.write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 70697\n")
    with pytest.raises(CorruptFileError, match=r"is a Git LFS placeholder, not the file; fetch it"):
        read_extimu(path)


def test_same_length_but_other_layout_is_not_mistaken() -> None:
    zeros3, zeros4 = [0.0] * 3, [0.0] * 4
    small_ts = packet(1, [1.0, 0.0, 0.0], zeros3, zeros4, reserved=False)
    wide_ts = packet(2**49, zeros3, zeros3, zeros4, reserved=False)
    assert len(small_ts) == len(wide_ts)
    array = decode_extimu(framed([small_ts, wide_ts, small_ts, wide_ts]))
    assert array["timestamp_ns"].tolist() == [1, 2**49, 1, 2**49]
    assert array["gyro_x"].tolist() == [1.0, 0.0, 1.0, 0.0]
