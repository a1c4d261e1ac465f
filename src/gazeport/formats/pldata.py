"""Pupil's ``.pldata`` files: a plain concatenation of msgpack ``[topic, payload]`` pairs.

``payload`` is a msgpack ``bin`` holding a second, separately encoded map (the datum); maps
nested as msgpack ext type 13 are datums serialized once more (Player's ``Serialized_Dict``).
The i-th entry of ``<name>_timestamps.npy`` is the timestamp of the i-th record.

Reading streams the file in chunks and never holds decoded datums for the whole file; decoding
the payloads into columns is :mod:`gazeport.formats.datum_columns`' job.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import msgpack
import numpy as np

from .. import _native
from ..errors import CorruptFileError, GazeportWarning
from .payloads import Payloads
from .timestamp_column import load_timestamp_file

#: ExtType code Pupil uses for nested, separately serialized datums.
SERIALIZED_DICT_EXT = 13
_READ_SIZE = 1 << 20
_RESYNC_WINDOW = 1 << 20


@dataclass
class RecordChunk:
    """Consecutive records of one pldata file, in file order."""

    start: int  #: index of the first record in the file
    payloads: Payloads  #: the datums' msgpack bytes
    topic_slices: Payloads  #: the records' topic strings (UTF-8 bytes)

    def __len__(self) -> int:
        return len(self.payloads)

    @property
    def topics(self) -> list[str]:
        return [t.decode("utf-8", "replace") for t in self.topic_slices]

    @classmethod
    def from_lists(
        cls, start: int, topics: Sequence[str], payloads: Sequence[bytes]
    ) -> RecordChunk:
        topic_bytes = [t.encode() for t in topics]
        return cls(start, Payloads.from_list(payloads), Payloads.from_list(topic_bytes))


def _ext_hook(code: int, data: bytes) -> Any:
    if code == SERIALIZED_DICT_EXT:
        return decode_datum(data)
    return msgpack.ExtType(code, data)


def decode_datum(payload: bytes) -> dict[str, Any]:
    """Decode one datum payload like Player: arrays become tuples, ext 13 is decoded recursively."""
    return msgpack.unpackb(
        payload, raw=False, use_list=False, strict_map_key=False, ext_hook=_ext_hook
    )


def read_datums(path: Path) -> list[dict[str, Any]]:
    """Every datum of a (small) ``.pldata`` file decoded, in file order; ``[]`` if it is missing.

    A datum that does not decode, or is not a map, raises :class:`CorruptFileError` naming the
    datum and the file.
    """
    datums: list[dict[str, Any]] = []
    for chunk in iter_records(path):
        for i, payload in enumerate(chunk.payloads):
            try:
                datum = decode_datum(payload)
            except Exception as exc:
                raise CorruptFileError(
                    f"Datum {chunk.start + i} in {path} is damaged and cannot be decoded "
                    f"({type(exc).__name__}); restore the file from a backup.",
                    path,
                ) from exc
            if not isinstance(datum, dict):
                raise CorruptFileError(
                    f"Datum {chunk.start + i} in {path} is not a map of fields; the file is "
                    "damaged; restore it from a backup.",
                    path,
                )
            datums.append(datum)
    return datums


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


def iter_records(path: Path, chunk_bytes: int = 4 << 20) -> Iterator[RecordChunk]:
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
        start = 0  # index of the next record
        offset = 0  # file offset of the next record
        block = max(chunk_bytes, 1 << 12)
        while True:
            # From the first record not yet framed: a record cut by the last block is read
            # again whole (cheaper than joining its piece to the next block, a copy of it).
            buf = _read_at(fh, offset, block)
            eof = offset + len(buf) >= size
            if not buf:
                return
            framed = _frame(buf)
            if len(framed):
                yield _chunk(start, buf, framed)
                start += len(framed)
            if framed.status == "end" and eof:
                return
            if framed.status == "invalid" or (framed.status == "incomplete" and eof):
                # Damage or a cut-off end: re-read from there record by record for exact offsets.
                yield from _read_tail(path, fh, offset + framed.stop, start, size)
                return
            offset += framed.stop
            if not len(framed):
                block *= 2  # a record larger than the block: read more at once


def _read_at(fh: BinaryIO, offset: int, count: int) -> bytes:
    """``count`` bytes (fewer at the end) from ``offset``: one ``pread`` where there is one (no
    seek, no buffer layer; threads decoding meanwhile keep the file position out of it)."""
    pread = getattr(os, "pread", None)
    if pread is None:  # pragma: no cover - Windows
        fh.seek(offset)
        return fh.read(count)
    parts: list[bytes] = []
    while count > 0:
        part = pread(fh.fileno(), count, offset)
        if not part:
            break
        parts.append(part)
        offset += len(part)
        count -= len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


@dataclass
class _Framed:
    """Where the complete records of a block are (arrays index records in file order)."""

    topic_off: np.ndarray
    topic_len: np.ndarray
    payload_off: np.ndarray
    payload_len: np.ndarray
    stop: int  #: offset in the block after the last complete record
    status: str  #: "end" (block used up), "incomplete" (record cut by the block end), "invalid"

    def __len__(self) -> int:
        return int(self.payload_off.shape[0])


def _be(a: np.ndarray, pos: np.ndarray, width: int) -> np.ndarray:
    """Big-endian unsigned ints of ``width`` bytes at ``pos`` (vectorised). Bytes past the end
    of ``a`` read as its last byte: :func:`_frame` has called such a record incomplete before
    it looks at them."""
    out = np.zeros(pos.shape, dtype=np.int64)
    last = a.shape[0] - 1
    for k in range(width):
        out = (out << 8) | a[np.minimum(pos + k, last)].astype(np.int64)
    return out


def _maybe_records(a: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    """Mask of the 0x92 candidates ``c`` that :func:`_frame` must look at more closely.

    Float bytes hold 0x92 about once in 100 bytes, so most candidates are noise. Dropped are
    only candidates :func:`_frame` would call invalid (not incomplete): no str header after
    the 0x92, no bin header right after that, and far from the block end. A chain record
    pointing at a dropped one then finds no record there, which is "invalid" at the same
    offset, so the framing is exactly the same, for a fraction of the work.
    """
    h = a[np.minimum(c + 1, n - 1)]
    b = a[np.minimum(c + 2, n - 1)]
    return (
        ((h >= 0xA0) & (h <= 0xBF))
        | ((h >= 0xD9) & (h <= 0xDB))
        | ((b >= 0xC4) & (b <= 0xC6))
        | (c + 16 >= n)
    )


def _frame(buf: bytes) -> _Framed:
    """Find the ``[str, bin]`` records of a block: by the compiled module where it is built
    (``frame_records``, the same walk in C), else by :func:`_frame_pure`."""
    fast = _native.csvfast
    if fast is None:
        return _frame_pure(buf)
    table, stop, status = fast.frame_records(buf)
    cols = np.frombuffer(table, dtype=np.int64).reshape(4, -1)
    return _Framed(cols[0], cols[1], cols[2], cols[3], stop, status)


def _frame_pure(buf: bytes) -> _Framed:
    """Find the ``[str, bin]`` records of a block without creating an object per record.

    Every 0x92 byte is a candidate record start (less the ones that cannot be one, see
    :func:`_maybe_records`); the headers of all candidates are parsed at once with NumPy, then
    the chain of records is followed from the block start: each true record points at the next
    one, so 0x92 bytes inside payloads are never reached.
    """
    n = len(buf)
    a = np.frombuffer(buf, dtype=np.uint8)
    c = np.flatnonzero(a == 0x92).astype(np.int64)
    empty = np.empty(0, dtype=np.int64)
    if c.size:
        c = c[_maybe_records(a, c, n)]  # a dropped first candidate is invalid at 0, as below
    if c.size == 0 or c[0] != 0:
        return _Framed(empty, empty, empty, empty, 0, "incomplete" if n < 2 else "invalid")
    # Reads past the block end are clamped to its last byte; a record needing them is
    # incomplete whatever they hold (checked below in reading order).
    h = a[np.minimum(c + 1, n - 1)]
    thdr = np.full(c.shape, -1, dtype=np.int64)
    tlen = np.zeros(c.shape, dtype=np.int64)
    fix = (h >= 0xA0) & (h <= 0xBF)
    thdr[fix] = 1
    tlen[fix] = h[fix] & 0x1F
    for code, width in ((0xD9, 1), (0xDA, 2), (0xDB, 4)):
        m = h == code
        thdr[m] = 1 + width
        tlen[m] = _be(a, c[m] + 2, width)
    q = c + 1 + np.maximum(thdr, 1) + tlen
    qq = np.minimum(q, n - 1)
    b = a[qq]
    bhdr = np.full(c.shape, -1, dtype=np.int64)
    plen = np.zeros(c.shape, dtype=np.int64)
    for code, width in ((0xC4, 1), (0xC5, 2), (0xC6, 4)):
        m = b == code
        bhdr[m] = 1 + width
        plen[m] = _be(a, qq[m] + 1, width)
    nxt = q + np.maximum(bhdr, 1) + plen
    # Incomplete: a header or the payload runs past the block end (checked in reading order);
    # invalid: a header byte inside the block is not what a record needs.
    incomplete = (c + 2 > n) | (c + 1 + np.maximum(thdr, 1) > n) | (q + 1 > n)
    incomplete |= (q + np.maximum(bhdr, 1) > n) | (nxt > n)
    invalid = ~incomplete & ((thdr < 0) | (bhdr < 0))
    j = np.minimum(np.searchsorted(c, nxt), c.size - 1)
    link = np.where(c[j] == nxt, j, -1)
    link[nxt == n] = -4
    link[incomplete] = -2
    link[invalid] = -3
    reached = _followed_from_first(link)
    last = int(reached[-1])
    k = int(link[last])
    if k in (-2, -3):  # the record at the last candidate reached is cut off or malformed
        idx = reached[:-1]
        status, stop = ("incomplete" if k == -2 else "invalid"), int(c[last])
    else:
        idx = reached
        status, stop = ("end", n) if k == -4 else ("invalid", int(nxt[last]))
    topic_off = c[idx] + 1 + thdr[idx]
    return _Framed(topic_off, tlen[idx], q[idx] + bhdr[idx], plen[idx], stop, status)


def _followed_from_first(link: np.ndarray) -> np.ndarray:
    """Indices reached from candidate 0 by following ``link`` (``link[i] > i``, or negative at
    the end of the chain), in order: the records of a block.

    Pointer doubling instead of a Python step per record: after round ``r`` the mask holds
    every candidate within ``2**r`` links of the first, and the jump table spans ``2**r``
    links. Links only point forward, so the chain is the sorted mask.
    """
    size = link.shape[0]
    jump = np.where(link >= 0, link, size)  # ``size``: past the end of the chain
    jump = np.append(jump, size)
    reached = np.zeros(size + 1, dtype=bool)
    reached[0] = True
    span = 1
    while span < size:
        reached[jump[reached]] = True
        jump = jump[jump]
        span *= 2
    return np.flatnonzero(reached[:size])


def _chunk(start: int, buf: bytes, framed: _Framed) -> RecordChunk:
    zeros = np.zeros(len(framed), dtype=np.int64)
    return RecordChunk(
        start,
        Payloads([buf], zeros, framed.payload_off, framed.payload_len),
        Payloads([buf], zeros.copy(), framed.topic_off, framed.topic_len),
    )


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
        yield RecordChunk.from_lists(start, topics, payloads)
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
    """Load a ``*_timestamps.npy`` as float64 seconds, or ``None`` when it is missing.

    A file that is not a 1-D array of floats, is pickled, or holds NaN or infinity raises
    :class:`CorruptFileError` naming the file and what to do
    (:func:`gazeport.formats.timestamp_column.load_timestamp_file`).
    """
    return load_timestamp_file(path)


def _chmod_like_open(fd: int) -> None:
    """Give a ``mkstemp`` file (mode 0600) the mode ``open()`` would: 0666 minus the umask."""
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)


def _open_temp(directory: Path, prefix: str, suffix: str) -> tuple[Path, BinaryIO]:
    """A new temporary file in ``directory`` (mode like ``open()``), removed again on failure."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
    path = Path(name)
    try:
        _chmod_like_open(fd)
        fh = os.fdopen(fd, "wb")
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        path.unlink(missing_ok=True)
        raise
    return path, fh


def _finish(fh: BinaryIO) -> None:
    """Flush, ``fsync`` and close: the data is on disk before the file is renamed into place."""
    try:
        fh.flush()
        os.fsync(fh.fileno())
    finally:
        fh.close()


class PldataWriter:
    """Write ``<name>.pldata`` and ``<name>_timestamps.npy`` atomically.

    Records go to temporary files in the same folder; both are renamed into place only when
    the writer is closed without an exception, so a crash never leaves a file that looks
    complete. Any failure (a full disk, Ctrl-C, ...) removes the temporary files and keeps the
    previous files. Use as a context manager::

        with PldataWriter(folder, "annotation_player") as w:
            w.append({"topic": "annotation", "timestamp": 1.5, "label": "start"})
    """

    def __init__(self, directory: Path | str, name: str) -> None:
        self.directory = Path(directory)
        self.name = name
        self.directory.mkdir(parents=True, exist_ok=True)
        self._tmp, fh = _open_temp(self.directory, f".{name}.", ".pldata.part")
        self._fh: BinaryIO | None = fh
        self._ts_tmp: Path | None = None
        self._timestamps: list[float] = []
        self._packer = msgpack.Packer(use_bin_type=True)

    @property
    def path(self) -> Path:
        return self.directory / f"{self.name}.pldata"

    @property
    def timestamps_path(self) -> Path:
        return self.directory / f"{self.name}_timestamps.npy"

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
        """Finish both files and move them into place (the timestamps first).

        On any exception the temporary files are removed and the previous files kept, except
        when it comes between the two renames: then the second rename is completed, so the two
        files never disagree.
        """
        if self._fh is None:
            return
        try:
            fh, self._fh = self._fh, None
            _finish(fh)
            self._ts_tmp, ts_fh = _open_temp(self.directory, f".{self.name}.", ".npy.part")
            try:
                np.save(ts_fh, np.asarray(self._timestamps, dtype=np.float64))
            finally:
                _finish(ts_fh)
            os.replace(self._ts_tmp, self.timestamps_path)
            os.replace(self._tmp, self.path)
        except BaseException:
            if self._ts_tmp is not None and not self._ts_tmp.exists() and self._tmp.exists():
                # The timestamps are already in place (e.g. Ctrl-C right after that rename).
                with contextlib.suppress(OSError):
                    os.replace(self._tmp, self.path)
            self.abort()
            raise

    def abort(self) -> None:
        """Drop everything written so far; never raises."""
        fh, self._fh = self._fh, None
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()  # may fail flushing its buffer (a full disk); the file goes anyway
        for tmp in (self._tmp, self._ts_tmp):
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink(missing_ok=True)

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
