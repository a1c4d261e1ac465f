"""``extimu psN.raw`` of a Neon recording: IMU samples as length-prefixed protobuf messages.

Each sample is a little-endian ``uint16`` byte count followed by one ``imuproto.ImuPacket``
(schema in the recording's ``imu.proto``)::

    ImuPacket { uint64 tsNs = 1; AccelData accelData = 2; GyroData gyroData = 3;
                QuaternionData rotVecData = 4; }
    AccelData, GyroData { float x = 1; float y = 2; float z = 3; int32 reserved = 4; }
    QuaternionData { float w = 1; float x = 2; float y = 3; float z = 4; float reserved = 5; }

Protobuf 3 leaves out fields that are zero, so messages vary in length (61 to 71 bytes in real
recordings). Decoding is by hand, without the protobuf runtime: each distinct message layout is
parsed once in Python, then every message with the same bytes at the layout's tags, lengths and
varint boundaries is decoded with vectorised numpy gathers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, GazeportWarning
from .lfs_pointer import check_not_lfs_pointer

#: The decoded record: the same fields as data format 2.5's ``imu psN.raw`` (``imu.dtype``).
#: ``timestamp_ns`` is the message's ``tsNs`` (UTC ns, equal to the ``.time`` entry); gyro in
#: deg/s, acceleration in g, a unit quaternion (w, x, y, z).
EXTIMU_DTYPE = np.dtype(
    [("timestamp_ns", "<i8")]
    + [(f"gyro_{a}", "<f4") for a in "xyz"]
    + [(f"accel_{a}", "<f4") for a in "xyz"]
    + [(f"quaternion_{a}", "<f4") for a in "wxyz"]
)
_FLOAT_FIELDS = {
    2: {1: "accel_x", 2: "accel_y", 3: "accel_z"},
    3: {1: "gyro_x", 2: "gyro_y", 3: "gyro_z"},
    4: {1: "quaternion_w", 2: "quaternion_x", 3: "quaternion_y", 4: "quaternion_z"},
}
_INT64_MAX = np.iinfo(np.int64).max
_MAX_LAYOUT_PASSES = 64


class _BadMessage(Exception):
    """A message that is not a valid ImuPacket; carries the offset inside the message."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.reason, self.offset = reason, offset


@dataclass
class _Layout:
    """Where one message's tags and values sit: the recipe to decode look-alike messages."""

    exact: list[tuple[int, int]] = field(default_factory=list)  # (offset, byte) tags, lengths
    varint_bytes: list[tuple[int, bool]] = field(default_factory=list)  # (offset, continues)
    floats: dict[str, int] = field(default_factory=dict)  # field -> offset of its 4 bytes
    timestamp: tuple[int, int] | None = None  # (offset, byte count) of the tsNs varint


def _varint(msg: bytes, pos: int, end: int, layout: _Layout, exact: bool) -> tuple[int, int]:
    value = shift = 0
    start = pos
    while True:
        if pos >= end or pos - start >= 10:
            raise _BadMessage("a number runs past its end", start)
        byte = msg[pos]
        if exact:
            layout.exact.append((pos, byte))
        else:
            layout.varint_bytes.append((pos, bool(byte & 0x80)))
        value |= (byte & 0x7F) << shift
        shift += 7
        pos += 1
        if not byte & 0x80:
            return value, pos


def _skip(msg: bytes, pos: int, end: int, wire: int, layout: _Layout) -> int:
    if wire == 0:
        return _varint(msg, pos, end, layout, exact=False)[1]
    if wire in (1, 5):
        pos += 8 if wire == 1 else 4
    elif wire == 2:
        length, pos = _varint(msg, pos, end, layout, exact=True)
        pos += length
    else:
        raise _BadMessage(f"unknown protobuf wire type {wire}", pos)
    if pos > end:
        raise _BadMessage("a field runs past its end", end)
    return pos


def _parse(msg: bytes) -> _Layout:
    """The layout of one ImuPacket (raises :class:`_BadMessage`)."""
    layout = _Layout()
    pos, end = 0, len(msg)
    while pos < end:
        key, pos = _varint(msg, pos, end, layout, exact=True)
        number, wire = key >> 3, key & 7
        if number == 1 and wire == 0:
            begin = pos
            _, pos = _varint(msg, pos, end, layout, exact=False)
            layout.timestamp = (begin, pos - begin)
        elif number in _FLOAT_FIELDS and wire == 2:
            length, pos = _varint(msg, pos, end, layout, exact=True)
            sub_end = pos + length
            if sub_end > end:
                raise _BadMessage("a sub-message runs past its end", pos)
            names = _FLOAT_FIELDS[number]
            while pos < sub_end:
                sub_key, pos = _varint(msg, pos, sub_end, layout, exact=True)
                if sub_key & 7 == 5 and (sub_key >> 3) in names:
                    if pos + 4 > sub_end:
                        raise _BadMessage("a float runs past its end", pos)
                    layout.floats[names[sub_key >> 3]] = pos
                    pos += 4
                else:
                    pos = _skip(msg, pos, sub_end, sub_key & 7, layout)
        elif number in (1, *_FLOAT_FIELDS):
            raise _BadMessage(f"field {number} has the wrong wire type {wire}", pos)
        else:
            pos = _skip(msg, pos, end, wire, layout)
    return layout


def _matches(arr: np.ndarray, starts: np.ndarray, layout: _Layout) -> np.ndarray:
    ok = np.ones(starts.size, dtype=bool)
    for offset, byte in layout.exact:
        ok &= arr[starts + offset] == byte
    for offset, continues in layout.varint_bytes:
        ok &= (arr[starts + offset] >= 0x80) == continues
    return ok


def _decode_group(arr: np.ndarray, starts: np.ndarray, layout: _Layout, out: np.ndarray) -> None:
    """Fill ``out`` (one row per start) from messages known to follow ``layout``."""
    four = np.arange(4)
    for name, offset in layout.floats.items():
        out[name] = arr[(starts + offset)[:, None] + four].copy().view("<f4")[:, 0]
    if layout.timestamp is not None:
        offset, count = layout.timestamp
        value = np.zeros(starts.size, dtype=np.uint64)
        for k in range(count):
            part = (arr[starts + offset + k] & 0x7F).astype(np.uint64)
            value |= part << np.uint64(7 * k)
        if value.size and int(value.max()) > _INT64_MAX:
            raise _BadMessage("tsNs is beyond the int64 nanosecond range", offset)
        out["timestamp_ns"] = value.astype(np.int64)


def _frame(data: bytes, path: Path | str) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets and lengths of the complete messages; warns about a truncated tail."""
    starts: list[int] = []
    lengths: list[int] = []
    pos, size = 0, len(data)
    while pos + 2 <= size:
        length = data[pos] | (data[pos + 1] << 8)
        if pos + 2 + length > size:
            break
        starts.append(pos + 2)
        lengths.append(length)
        pos += 2 + length
    if pos < size:
        warnings.warn(
            f"{path} ends inside an IMU message at byte {pos} (the file is truncated); the last "
            f"{size - pos} bytes are ignored and {len(starts)} complete samples are used.",
            GazeportWarning,
            stacklevel=3,
        )
    return np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64)


def decode_extimu(data: bytes, path: Path | str = "extimu.raw") -> np.ndarray:
    """Decode the bytes of an ``extimu psN.raw`` into an (n,) array of :data:`EXTIMU_DTYPE`.

    ``path`` only names the file in messages. A truncated last message gives a
    :class:`GazeportWarning` and the complete messages; a message that is not an ImuPacket
    raises :class:`CorruptFileError` with its byte offset. Fields a message leaves out are 0.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    starts, lengths = _frame(data, path)
    out = np.zeros(starts.size, dtype=EXTIMU_DTYPE)
    for length in np.unique(lengths):
        todo = np.flatnonzero(lengths == length)
        for _ in range(_MAX_LAYOUT_PASSES):
            if not todo.size:
                break
            todo = _decode_matching(data, arr, starts, int(length), todo, out, path)
        for index in todo:  # pathological variety of layouts: one message at a time
            _decode_matching(data, arr, starts, int(length), np.array([index]), out, path)
    return out


def _decode_matching(
    data: bytes,
    arr: np.ndarray,
    starts: np.ndarray,
    length: int,
    todo: np.ndarray,
    out: np.ndarray,
    path: Path | str,
) -> np.ndarray:
    """Decode the messages among ``todo`` (all ``length`` bytes long) that share the first
    one's layout; returns the others."""
    first = int(starts[todo[0]])
    try:
        layout = _parse(data[first : first + length])
        same = _matches(arr, starts[todo], layout)
        group = todo[same]
        values = out[group]
        _decode_group(arr, starts[group], layout, values)
    except _BadMessage as exc:
        raise CorruptFileError(
            f"{path} holds an IMU message at byte {first - 2} that cannot be decoded "
            f"({exc.reason}); the file is damaged.",
            path,
            first - 2,
        ) from None
    out[group] = values
    rest: np.ndarray = todo[~same]
    return rest


def read_extimu(path: Path | str) -> np.ndarray:
    """Read one ``extimu psN.raw`` part: an (n,) array of :data:`EXTIMU_DTYPE`, in file order.

    Errors and warnings as :func:`decode_extimu`; a Git LFS pointer raises
    :class:`CorruptFileError`.
    """
    path = Path(path)
    check_not_lfs_pointer(path)
    return decode_extimu(path.read_bytes(), path)
