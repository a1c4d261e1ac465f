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


def _bad(path: Path, why: str) -> CorruptFileError:
    return CorruptFileError(
        f"{path} is not a usable timestamp file ({why}); restore it or delete it so gazeport can "
        "fall back to the timestamps stored with the data.",
        path,
    )


def _load_whole(path: Path) -> np.ndarray:
    try:
        ts = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _bad(path, str(exc)) from exc
    if ts.ndim != 1 or ts.dtype.kind not in "iuf":
        raise _bad(path, f"shape {ts.shape} and dtype {ts.dtype}, not a 1-D array of numbers")
    return np.asarray(ts, dtype=np.float64)


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
        try:
            with path.open("rb") as fh:
                version = npy_format.read_magic(fh)
                if version == (1, 0):
                    shape, _fortran, dtype = npy_format.read_array_header_1_0(fh)
                elif version == (2, 0):
                    shape, _fortran, dtype = npy_format.read_array_header_2_0(fh)
                else:  # rare newer header versions: load the whole file
                    return cls(_load_whole(path))
                offset = fh.tell()
        except (ValueError, OSError, EOFError) as exc:
            raise _bad(path, str(exc)) from exc
        if len(shape) != 1 or dtype.kind not in "iuf" or dtype.hasobject:
            raise _bad(path, f"shape {shape} and dtype {dtype}, not a 1-D array of numbers")
        count = int(shape[0])
        if path.stat().st_size < offset + count * dtype.itemsize:
            raise _bad(path, "the file is shorter than its header says")
        column = cls(path=path, dtype=dtype, offset=offset, count=count)
        if count < LOAD_BELOW:
            column._array = column.read(0, count)
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
