"""Pupil's ``.pldata`` files: a plain concatenation of msgpack ``[topic, payload]`` pairs.

``payload`` is a msgpack ``bin`` holding a second, separately encoded map (the datum); maps
nested as msgpack ext type 13 are datums serialized once more (Player's ``Serialized_Dict``).
The i-th entry of ``<name>_timestamps.npy`` is the timestamp of the i-th record.

Reading streams the file in chunks and never holds decoded datums for the whole file; decoding
the payloads into columns is :mod:`gazeport.formats.datum_columns`' job.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import msgpack
import numpy as np

from ..errors import CorruptFileError, GazeportWarning

#: ExtType code Pupil uses for nested, separately serialized datums.
SERIALIZED_DICT_EXT = 13
_READ_SIZE = 1 << 20
_RESYNC_WINDOW = 1 << 20


@dataclass
class RecordChunk:
    """Consecutive records of one pldata file, in file order."""

    start: int  #: index of the first record in the file
    topics: list[str]
    payloads: list[bytes]

    def __len__(self) -> int:
        return len(self.payloads)


def _ext_hook(code: int, data: bytes) -> Any:
    if code == SERIALIZED_DICT_EXT:
        return decode_datum(data)
    return msgpack.ExtType(code, data)


def decode_datum(payload: bytes) -> dict[str, Any]:
    """Decode one datum payload like Player: arrays become tuples, ext 13 is decoded recursively."""
    return msgpack.unpackb(
        payload, raw=False, use_list=False, strict_map_key=False, ext_hook=_ext_hook
    )


def _encode_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot serialize {type(obj).__name__} into a pldata datum")


def encode_datum(datum: Mapping[str, Any]) -> bytes:
    """Encode a datum map the way Pupil's writer does (``use_bin_type=True``)."""
    return msgpack.packb(dict(datum), use_bin_type=True, default=_encode_default)


def _record_at(buf: bytes, pos: int) -> bool:
    """Whether a well-formed ``[topic, payload]`` record with a map payload starts at ``pos``."""
    if buf[pos] != 0x92:
        return False
    unpacker = msgpack.Unpacker(raw=False, use_list=False, strict_map_key=False)
    unpacker.feed(buf[pos:])
    try:
        obj = unpacker.unpack()
        if not _is_record(obj):
            return False
        datum = decode_datum(obj[1])
    except Exception:
        return False
    return isinstance(datum, dict)


def _is_record(obj: Any) -> bool:
    return (
        isinstance(obj, (tuple, list))
        and len(obj) == 2
        and isinstance(obj[0], str)
        and isinstance(obj[1], (bytes, bytearray))
    )


def _readable_after(fh: BinaryIO, offset: int) -> bool:
    """Whether any well-formed record starts within a window after ``offset`` (mid-file damage)."""
    fh.seek(offset + 1)
    window = fh.read(_RESYNC_WINDOW)
    pos = window.find(b"\x92")
    while pos != -1:
        if _record_at(window, pos):
            return True
        pos = window.find(b"\x92", pos + 1)
    return False


def iter_records(path: Path, chunk_bytes: int = 2 << 20) -> Iterator[RecordChunk]:
    """Stream the records of a pldata file in chunks of about ``chunk_bytes`` bytes.

    A record cut off at the end of the file (a crashed recording) is reported with a
    :class:`GazeportWarning` naming the byte offset; everything before it is kept. Damage with
    readable records after it raises :class:`CorruptFileError` naming file and offset.
    A missing file yields nothing.
    """
    path = Path(path)
    if not path.exists():
        return
    size = path.stat().st_size
    with path.open("rb") as fh:
        unpacker = msgpack.Unpacker(
            fh, raw=False, use_list=False, read_size=_READ_SIZE, max_buffer_size=1 << 30
        )
        start = 0  # record index of the next chunk
        offset = 0  # byte offset of the next chunk
        n_chunk = 512
        while True:
            # Whole chunks are unpacked at C speed; the last (short) chunk and any damage are
            # re-read record by record so offsets in messages are exact.
            try:
                objs = list(islice(unpacker, n_chunk))
            except (msgpack.UnpackException, ValueError):
                objs = []
            chunk = _as_chunk(start, objs) if len(objs) == n_chunk else None
            if chunk is None:
                yield from _read_tail(path, fh, offset, start, size)
                return
            yield chunk
            start += n_chunk
            offset = unpacker.tell()
            n_chunk = max(64, min(100_000, int(chunk_bytes * start / max(offset, 1))))


def _as_chunk(start: int, objs: list[Any]) -> RecordChunk | None:
    """Split ``[topic, payload]`` pairs; None if any record is not such a pair."""
    try:
        topics, payloads = zip(*objs, strict=True)
    except (TypeError, ValueError):
        return None
    if not (set(map(type, topics)) <= {str} and set(map(type, payloads)) <= {bytes}):
        return None
    return RecordChunk(start, list(topics), list(payloads))


def _read_tail(
    path: Path, fh: BinaryIO, offset: int, start: int, size: int
) -> Iterator[RecordChunk]:
    """Read records one by one from ``offset`` to the end, with exact damage offsets."""
    fh.seek(offset)
    unpacker = msgpack.Unpacker(
        fh, raw=False, use_list=False, read_size=_READ_SIZE, max_buffer_size=1 << 30
    )
    topics: list[str] = []
    payloads: list[bytes] = []
    good = offset
    count = start
    try:
        for obj in unpacker:
            if not _is_record(obj):
                raise CorruptFileError(
                    f"{path} is damaged: the record at byte {good} is not a [topic, payload]"
                    " pair; the file cannot be read past that point.",
                    path,
                    good,
                )
            topics.append(obj[0])
            payloads.append(obj[1])
            good = unpacker.tell() + offset
            count += 1
    except CorruptFileError:
        raise
    except (msgpack.UnpackException, ValueError) as exc:
        raise CorruptFileError(
            f"{path} is damaged at byte {good} (record {count}) and cannot be decoded past "
            "that point; restore the file from a backup or re-export it from the source.",
            path,
            good,
        ) from exc
    if payloads:
        yield RecordChunk(start, topics, payloads)
    if good < size:
        if _readable_after(fh, good):
            raise CorruptFileError(
                f"{path} is damaged at byte {good} (record {count}) and cannot be decoded "
                "past that point, although more records follow; restore the file from a "
                "backup.",
                path,
                good,
            )
        warnings.warn(
            f"{path} ends with an incomplete record at byte {good} of {size} (the recording "
            f"was probably interrupted); the {count} complete records before it are used.",
            GazeportWarning,
            stacklevel=3,
        )


def timestamps_path(pldata_path: Path) -> Path:
    """``<name>_timestamps.npy`` next to ``<name>.pldata``."""
    return pldata_path.with_name(pldata_path.stem + "_timestamps.npy")


def load_timestamps(path: Path) -> np.ndarray | None:
    """Load a ``*_timestamps.npy`` as float64, or ``None`` when it is missing.

    A file that is not a readable 1-D numeric array raises :class:`CorruptFileError`.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        ts = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise CorruptFileError(
            f"{path} is not a readable NumPy timestamp file ({exc}); restore it or delete it so "
            "gazeport can fall back to the timestamps stored with the data.",
            path,
        ) from exc
    if ts.ndim != 1 or not np.issubdtype(ts.dtype, np.number):
        raise CorruptFileError(
            f"{path} should hold a 1-D array of timestamps but has shape {ts.shape} and dtype "
            f"{ts.dtype}; restore it or delete it.",
            path,
        )
    return np.ascontiguousarray(ts, dtype=np.float64)


class PldataWriter:
    """Write ``<name>.pldata`` and ``<name>_timestamps.npy`` atomically.

    Records go to temporary files in the same folder; both are renamed into place only when
    the writer is closed without an exception, so a crash never leaves a file that looks
    complete. Use as a context manager::

        with PldataWriter(folder, "annotation_player") as w:
            w.append({"topic": "annotation", "timestamp": 1.5, "label": "start"})
    """

    def __init__(self, directory: Path | str, name: str) -> None:
        self.directory = Path(directory)
        self.name = name
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".pldata.part", dir=self.directory)
        self._tmp = Path(tmp)
        self._fh: BinaryIO | None = os.fdopen(fd, "wb")
        self._timestamps: list[float] = []
        self._packer = msgpack.Packer(use_bin_type=True)

    @property
    def path(self) -> Path:
        return self.directory / f"{self.name}.pldata"

    def append(self, datum: Mapping[str, Any]) -> None:
        """Append one datum (needs ``topic`` and ``timestamp``)."""
        self.append_serialized(float(datum["timestamp"]), str(datum["topic"]), encode_datum(datum))

    def append_serialized(self, timestamp: float, topic: str, payload: bytes) -> None:
        """Append an already encoded datum payload."""
        if self._fh is None:
            raise ValueError(f"the writer for {self.path} is already closed")
        self._timestamps.append(timestamp)
        self._fh.write(self._packer.pack((topic, payload)))

    def close(self) -> None:
        """Finish both files and move them into place."""
        if self._fh is None:
            return
        self._fh.close()
        self._fh = None
        ts_final = self.directory / f"{self.name}_timestamps.npy"
        fd, ts_tmp = tempfile.mkstemp(
            prefix=f".{self.name}.", suffix=".npy.part", dir=self.directory
        )
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, np.asarray(self._timestamps, dtype=np.float64))
        os.replace(ts_tmp, ts_final)
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        """Drop everything written so far."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> PldataWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
