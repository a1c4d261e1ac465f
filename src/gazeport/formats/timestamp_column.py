"""Timestamps of every record of a stream, held in memory or read from ``.npy`` in blocks.

Sorting and windowing need a key for every record, but a long recording has millions; reading
``*_timestamps.npy`` block by block keeps memory flat however long the recording is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from ..errors import CorruptFileError

#: Entries read at once when streaming (2 MiB of float64).
READ_BLOCK = 1 << 18
#: Granularity of the cached block minima used for suffix minima.
MIN_BLOCK = 1 << 12
#: Files with fewer entries are simply loaded.
LOAD_BELOW = 1 << 20


#: What Pupil Capture writes: float64 seconds; other float widths are read too.
_FLOAT_KINDS = "f"
_RESAVE = "np.save(path, np.asarray(ts, dtype=np.float64))"


def _hint(path: Path) -> str:
    """What the user can do about a bad timestamp file (a pldata sidecar can simply go)."""
    data = path.with_name(path.name.removesuffix("_timestamps.npy") + ".pldata")
    if path.name.endswith("_timestamps.npy") and (data.exists() or data.is_symlink()):
        return (
            f"restore it from a backup, or delete it so gazeport uses the timestamps stored in "
            f"{data.name}"
        )
    return "restore it from a backup"


def _bad(path: Path, why: str) -> CorruptFileError:
    return CorruptFileError(f"{path} is not a usable timestamp file ({why}); {_hint(path)}.", path)


def _check_header(path: Path, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Refuse anything but a 1-D array of floats, with a message saying what the file holds."""
    if dtype.hasobject:
        raise CorruptFileError(
            f"{path} is not a plain NumPy array of numbers: it holds pickled Python objects, "
            "which gazeport never loads because unpickling a file can run code in it; re-save "
            f"the timestamps as float64 seconds with {_RESAVE}, or {_hint(path)}.",
            path,
        )
    if len(shape) != 1:
        raise CorruptFileError(
            f"{path} should hold a 1-D array with one timestamp per record but holds an array "
            f"of shape {shape}; {_hint(path)}.",
            path,
        )
    if dtype.kind not in _FLOAT_KINDS or dtype.fields is not None:
        raise CorruptFileError(
            f"{path} holds {dtype} values, not float64 seconds as Pupil Capture writes them; if "
            f"they are seconds of Pupil time, re-save them with {_RESAVE}, otherwise "
            f"{_hint(path)}.",
            path,
        )


def check_finite(path: Path, values: np.ndarray, start: int = 0) -> None:
    """Raise :class:`CorruptFileError` naming ``path`` if ``values`` (entries from index
    ``start`` of the file) hold NaN or infinity; Pupil Player repairs neither."""
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        first = int(bad[0])
        more = f" (and {bad.size - 1} more)" if bad.size > 1 else ""
        raise CorruptFileError(
            f"{path} holds {float(values[first])!r} at index {start + first}{more} where a "
            f"timestamp must be a finite number of seconds; {_hint(path)}, or re-save it with "
            "those entries replaced by real times.",
            path,
        )


def _read_header(path: Path) -> tuple[tuple[int, ...], np.dtype, int]:
    """Shape, dtype and data offset of a ``.npy`` file (any header version)."""
    readers = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
    try:
        with path.open("rb") as fh:
            reader = readers.get(npy_format.read_magic(fh))
            if reader is not None:
                shape, _fortran, dtype = reader(fh)
                return tuple(shape), np.dtype(dtype), fh.tell()
    except (ValueError, OSError, EOFError, SyntaxError) as exc:
        raise _bad(path, f"not a readable NumPy file: {exc}") from exc
    try:  # rare newer header versions: let NumPy parse the header, map the data lazily
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _bad(path, "not a plain NumPy array of numbers") from exc
    return tuple(mapped.shape), mapped.dtype, int(mapped.offset)


def load_timestamp_file(path: Path) -> np.ndarray | None:
    """A whole ``*_timestamps.npy`` as float64 seconds, or ``None`` when it is missing.

    Validates header (1-D, floats, not pickled), size and values (no NaN or infinity) and
    raises :class:`CorruptFileError` with one sentence naming the file and what to do.
    """
    path = Path(path)
    if not path.exists():
        return None
    shape, dtype, _offset = _read_header(path)
    _check_header(path, shape, dtype)
    try:
        ts = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _bad(path, f"the file is shorter than its header says or damaged: {exc}") from exc
    ts = np.ascontiguousarray(ts, dtype=np.float64)
    check_finite(path, ts)
    return ts


class TimestampColumn:
    """float64 seconds, one per record; ``array`` in memory or a ``.npy`` file read lazily."""

    def __init__(
        self,
        array: np.ndarray | None = None,
        *,
        path: Path | None = None,
        dtype: np.dtype | None = None,
        offset: int = 0,
        count: int = 0,
    ) -> None:
        self._array = None if array is None else np.ascontiguousarray(array, dtype=np.float64)
        self.path = path
        self._dtype = dtype
        self._offset = offset
        self._count = count if array is None else int(self._array.shape[0])  # type: ignore[union-attr]
        self._increasing: bool | None = None
        self._suffix: np.ndarray | None = None

    @classmethod
    def open_npy(cls, path: Path) -> TimestampColumn | None:
        """The column of a ``*_timestamps.npy`` (``None`` if missing); validates the header."""
        path = Path(path)
        if not path.exists():
            return None
        shape, dtype, offset = _read_header(path)
        _check_header(path, shape, dtype)
        count = int(shape[0])
        if path.stat().st_size < offset + count * dtype.itemsize:
            raise _bad(path, "the file is shorter than its header says")
        column = cls(path=path, dtype=dtype, offset=offset, count=count)
        if count < LOAD_BELOW:
            column._array = column.read(0, count)
            check_finite(path, column._array)
        else:  # one pass in blocks keeps memory flat however long the recording is
            for start, block in column.blocks():
                check_finite(path, block, start)
        return column

    def __len__(self) -> int:
        return self._count

    def read(self, start: int, stop: int) -> np.ndarray:
        """Entries ``start:stop`` as a float64 array."""
        start, stop = max(0, start), min(stop, self._count)
        if stop <= start:
            return np.empty(0)
        if self._array is not None:
            return self._array[start:stop]
        assert self.path is not None and self._dtype is not None
        with self.path.open("rb") as fh:
            fh.seek(self._offset + start * self._dtype.itemsize)
            raw = np.fromfile(fh, dtype=self._dtype, count=stop - start)
        return raw.astype(np.float64)

    def blocks(self, size: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """``(start, values)`` blocks (default :data:`READ_BLOCK` entries) in order."""
        size = size or READ_BLOCK
        for start in range(0, self._count, size):
            yield start, self.read(start, start + size)

    def to_array(self) -> np.ndarray:
        """The whole column in memory."""
        return self._array if self._array is not None else self.read(0, self._count)

    def is_increasing(self) -> bool:
        """Whether the entries never decrease (then file order is sorted order)."""
        if self._increasing is None:
            ok, last = True, -np.inf
            for _, block in self.blocks():
                if block.size and not (block[0] >= last and bool(np.all(block[1:] >= block[:-1]))):
                    ok = False
                    break
                if block.size:
                    last = block[-1]
            self._increasing = ok
        return self._increasing

    def count_in(self, window: tuple[float, float]) -> int:
        """How many entries satisfy ``lo <= t < hi``."""
        lo, hi = window
        return sum(int(np.count_nonzero((b >= lo) & (b < hi))) for _, b in self.blocks())

    def suffix_min(self, index: int) -> float:
        """``min(entries[index:])`` (NaN propagates; ``inf`` past the end)."""
        if index >= self._count:
            return float("inf")
        if self._suffix is None:
            aligned = max(MIN_BLOCK, READ_BLOCK // MIN_BLOCK * MIN_BLOCK)
            mins = [
                float(np.min(b[k : k + MIN_BLOCK]))
                for _, b in self.blocks(aligned)
                for k in range(0, b.size, MIN_BLOCK)
            ]
            self._suffix = np.minimum.accumulate(np.asarray(mins)[::-1])[::-1]
        block = index // MIN_BLOCK
        head = self.read(index, (block + 1) * MIN_BLOCK)
        rest = self._suffix[block + 1] if block + 1 < self._suffix.shape[0] else np.inf
        return float(np.minimum(np.min(head), rest))
