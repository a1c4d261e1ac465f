"""Many byte strings kept as slices of a few large buffers: no Python object per datum.

A pldata file is read in blocks of a few megabytes; each record's payload is just an offset and
a length into its block. Batches of payloads can be reordered, merged and sent to worker
processes cheaply, and datums of equal length are copied into a NumPy matrix row by row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@dataclass
class Payloads:
    """``len(offsets)`` byte strings: ``buffers[buf_id[i]][offsets[i] : offsets[i] + lengths[i]]``."""

    buffers: list[bytes]
    buf_id: np.ndarray  #: int64, which buffer each payload lives in
    offsets: np.ndarray  #: int64, start within its buffer
    lengths: np.ndarray  #: int64

    @classmethod
    def from_list(cls, items: Sequence[bytes]) -> Payloads:
        """Pack a list of byte strings into one buffer."""
        lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        offsets = np.zeros(len(items), dtype=np.int64)
        if len(items) > 1:
            np.cumsum(lengths[:-1], out=offsets[1:])
        return cls([b"".join(items)], np.zeros(len(items), np.int64), offsets, lengths)

    def __len__(self) -> int:
        return int(self.offsets.shape[0])

    def __getitem__(self, i: int) -> bytes:
        off = int(self.offsets[i])
        return self.buffers[int(self.buf_id[i])][off : off + int(self.lengths[i])]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.tolist())

    def tolist(self) -> list[bytes]:
        return [self[i] for i in range(len(self))]

    def take(self, idx: np.ndarray) -> Payloads:
        """Payloads ``idx`` (positions) in that order; buffers no longer used are dropped."""
        buf_id = self.buf_id[idx]
        # The buffers in use, in their order, renumbered 0.. (np.unique's result, in O(n)).
        counts = np.bincount(buf_id, minlength=len(self.buffers))
        used = np.flatnonzero(counts)
        renumber = np.cumsum(counts > 0) - 1
        return Payloads(
            [self.buffers[b] for b in used.tolist()],
            renumber[buf_id].astype(np.int64, copy=False),
            self.offsets[idx],
            self.lengths[idx],
        )

    @staticmethod
    def concat(parts: Sequence[Payloads]) -> Payloads:
        if len(parts) == 1:
            return parts[0]
        buffers: list[bytes] = []
        index: dict[int, int] = {}
        ids = []
        for part in parts:
            remap = np.empty(len(part.buffers), dtype=np.int64)
            for k, buf in enumerate(part.buffers):
                remap[k] = index.setdefault(id(buf), len(buffers))
                if remap[k] == len(buffers):
                    buffers.append(buf)
            ids.append(remap[part.buf_id] if len(part) else part.buf_id)
        return Payloads(
            buffers,
            np.concatenate(ids),
            np.concatenate([p.offsets for p in parts]),
            np.concatenate([p.lengths for p in parts]),
        )

    def matrix(
        self, rows: np.ndarray, length: int, pad_to: int = 1, *, zero_padding: bool = True
    ) -> np.ndarray:
        """``(len(rows), width)`` uint8 copy of payloads ``rows``, which all have ``length``;
        ``width`` is ``length`` rounded up to a multiple of ``pad_to``. The padding is zero, or
        with ``zero_padding=False`` whatever follows each payload where that is cheaper (one
        copy instead of two; callers must ignore it)."""
        width = -(-length // pad_to) * pad_to
        ids = self.buf_id[rows]
        if not zero_padding and len(self.buffers) == 1:
            data = np.frombuffer(self.buffers[0], dtype=np.uint8)
            starts = self.offsets[rows]
            if data.shape[0] >= width and (
                not starts.size or int(starts.max()) + width <= data.shape[0]
            ):
                return sliding_window_view(data, width)[starts]
        out = np.zeros((rows.shape[0], width), dtype=np.uint8)
        for b in np.unique(ids).tolist():
            sel = ids == b if len(self.buffers) > 1 else slice(None)
            view = sliding_window_view(np.frombuffer(self.buffers[b], dtype=np.uint8), length)
            out[sel, :length] = view[self.offsets[rows[sel]]]
        return out
