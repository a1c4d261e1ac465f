"""Raw sensor files of Pupil Mobile and Pupil Invisible: headerless arrays of fixed-size records.

* Pupil Mobile ``*.time``: big-endian float64 seconds of Pupil time.
* Pupil Invisible ``*.time``: little-endian uint64 Unix nanoseconds.
* Pupil Invisible ``gaze*.raw``: little-endian float32 pairs ``(x, y)`` in scene pixels
  (1088 x 1080, origin top-left); ``worn*.raw``: uint8, 0 (not worn) or 255 (worn).

A file whose size is not a multiple of the record size (an interrupted recording) keeps its
complete records and emits a :class:`GazeportWarning` naming the file.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, GazeportWarning
from .timestamp_column import check_finite

_INT64_MAX = np.iinfo(np.int64).max


def _read_records(path: Path | str, dtype: str, per_record: int = 1) -> np.ndarray:
    path = Path(path)
    record = np.dtype(dtype).itemsize * per_record
    size = path.stat().st_size
    count, rest = divmod(size, record)
    if rest:
        warnings.warn(
            f"{path} is {size} bytes, not a multiple of its {record}-byte records; the last "
            f"{rest} bytes (an incomplete record) are ignored and {count} records are used.",
            GazeportWarning,
            stacklevel=3,
        )
    return np.fromfile(path, dtype=dtype, count=count * per_record)


def read_mobile_time(path: Path | str) -> np.ndarray:
    """Timestamps of a Pupil Mobile ``.time`` file: shape (n,), native float64 seconds.

    NaN or infinity raises :class:`CorruptFileError` naming the file and the index.
    """
    ts = _read_records(path, ">f8").astype(np.float64)
    check_finite(Path(path), ts)
    return ts


def read_invisible_time(path: Path | str) -> np.ndarray:
    """Timestamps of a Pupil Invisible ``.time`` file: shape (n,), int64 Unix nanoseconds.

    Values above the int64 range (not a real clock) raise :class:`CorruptFileError`.
    """
    raw = _read_records(path, "<u8")
    if raw.size and int(raw.max()) > _INT64_MAX:
        bad = int(np.flatnonzero(raw > _INT64_MAX)[0])
        raise CorruptFileError(
            f"{path} holds a timestamp beyond the int64 nanosecond range at record {bad} "
            f"(byte {bad * 8}); the file is damaged.",
            path,
            bad * 8,
        )
    return raw.astype(np.int64)


def read_invisible_gaze_raw(path: Path | str) -> np.ndarray:
    """Gaze of a Pupil Invisible ``gaze*.raw`` file: shape (n, 2) float32 ``(x, y)`` pixels."""
    return _read_records(path, "<f4", per_record=2).astype(np.float32).reshape(-1, 2)


def read_worn_raw(path: Path | str) -> np.ndarray:
    """Worn flags of a Pupil Invisible ``worn*.raw`` file: shape (n,), uint8 (0 or 255)."""
    return _read_records(path, "u1")
