"""Column chunks: the unit in which stream data flows from the recording to the exporters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np

from ..formats.timestamp_column import TimestampColumn
from ..timeseries import in_window


@dataclass
class ColumnChunk:
    """Rows of one stream as columns.

    ``values`` holds one array per field (always ``timestamp``, ``data_ts`` — the time Pupil
    Player sorts and windows by, from ``*_timestamps.npy`` — and ``file_index``); ``present``
    says which optional values exist; ``reference`` maps a row to Player's cells for datums the
    columnar decoder could not prove regular (written through the reference CSV route).
    """

    values: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    reference: dict[int, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.values["file_index"].shape[0])

    def take(self, idx: np.ndarray) -> ColumnChunk:
        """Rows ``idx`` (integer positions or a boolean mask) in that order."""
        idx = np.flatnonzero(idx) if idx.dtype == bool else np.asarray(idx, dtype=np.int64)
        ref: dict[int, list[Any]] = {}
        if self.reference:
            pos = {old: new for new, old in enumerate(idx.tolist()) if old in self.reference}
            ref = {new: self.reference[old] for old, new in pos.items()}
        return ColumnChunk(
            {k: v[idx] for k, v in self.values.items()},
            {k: v[idx] for k, v in self.present.items()},
            ref,
        )

    def decode(self, fields: Iterable[str] | None = None) -> ColumnChunk:
        """Already decoded (the same interface as an undecoded record batch): every field."""
        return self

    @staticmethod
    def concat(chunks: list[ColumnChunk]) -> ColumnChunk:
        if len(chunks) == 1:
            return chunks[0]
        values = {k: np.concatenate([c.values[k] for c in chunks]) for k in chunks[0].values}
        present = {k: np.concatenate([c.present[k] for c in chunks]) for k in chunks[0].present}
        ref: dict[int, list[Any]] = {}
        offset = 0
        for c in chunks:
            ref.update({offset + i: cells for i, cells in c.reference.items()})
            offset += len(c)
        return ColumnChunk(values, present, ref)


class Rows(Protocol):
    """Anything with per-row ``values`` (incl. ``data_ts``, ``file_index``), ``take`` and ``concat``."""

    values: dict[str, np.ndarray]

    def __len__(self) -> int: ...
    def take(self, idx: np.ndarray) -> Any: ...


R = TypeVar("R", bound=Rows)


def sorted_chunks(
    chunks: Iterable[R],
    data_ts: np.ndarray | TimestampColumn,
    window: tuple[float, float] | None = None,
) -> Iterator[R]:
    """Re-emit file-order chunks sorted by ``data_ts`` (stable), keeping little in memory.

    ``data_ts`` holds the sort key of every record of the file (index = file index). A row is
    released once no later record can sort before it: its key is at most the minimum key of all
    records not read yet. Recordings are nearly sorted (eyes interleave), so the buffer stays
    small. Rows outside ``window`` (``lo <= t < hi``) are dropped.
    """
    keys = data_ts if isinstance(data_ts, TimestampColumn) else TimestampColumn(data_ts)
    n_total = len(keys)
    increasing = n_total < 2 or keys.is_increasing()
    pending: list[R] = []
    for chunk in chunks:
        if not len(chunk):
            continue
        next_index = int(chunk.values["file_index"][-1]) + 1
        if window is not None:
            chunk = chunk.take(in_window(chunk.values["data_ts"], window))
        if increasing:
            if len(chunk):
                yield chunk
            continue
        pending.append(chunk)
        if next_index >= n_total:
            continue
        buf = type(pending[0]).concat(pending)  # type: ignore[attr-defined]
        bound = keys.suffix_min(next_index)
        ready = buf.values["data_ts"] <= bound
        if ready.any():
            out = buf.take(ready)
            order = np.lexsort((out.values["file_index"], out.values["data_ts"]))
            yield out.take(order)
            pending = [buf.take(~ready)]
        else:
            pending = [buf]
    if not increasing and pending:
        buf = type(pending[0]).concat(pending)  # type: ignore[attr-defined]
        if len(buf):
            order = np.lexsort((buf.values["file_index"], buf.values["data_ts"]))
            yield buf.take(order)


def decode_rows(rows: Any) -> ColumnChunk:
    """Decode a batch into a :class:`ColumnChunk` and put ``world_index`` into Player's cells of
    irregular rows."""
    chunk: ColumnChunk = rows.decode()
    wi = chunk.values.get("world_index")
    if wi is not None:
        for i, cells in chunk.reference.items():
            cells[1] = int(wi[i])
    return chunk
