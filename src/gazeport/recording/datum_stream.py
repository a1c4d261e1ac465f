"""A pupil or gaze stream backed by msgpack datums, decoded lazily into column chunks."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CorruptFileError, GazeportWarning
from ..formats.datum_columns import Layout, Plan, Planner, decode_columns
from ..formats.payloads import Payloads
from ..formats.pldata import (
    RecordChunk,
    decode_datum,
    iter_records,
    timestamps_path,
)
from ..formats.timestamp_column import TimestampColumn
from . import streams
from .columns import ColumnChunk

RecordSource = Callable[[], Iterator[RecordChunk]]


def _timestamp_plan(layout: Layout) -> Plan | None:
    ts = layout.get(("timestamp",))
    if ts is None or ts.kind not in ("f64", "f32"):
        return None
    return {"timestamp": ("slot", ts)}


class DatumStream:
    """Pupil or gaze datums of one file, read as :class:`RecordBatch` objects.

    ``kind`` is ``"pupil"`` or ``"gaze"``. Records come from ``source`` (default: the pldata
    file); sort keys from ``<name>_timestamps.npy`` like Player, or from the datums themselves
    when that file is missing or shorter than the data. Batches decode into
    :class:`ColumnChunk` objects, possibly in another process.
    """

    def __init__(self, path: Path, kind: str, source: RecordSource | None = None) -> None:
        self.path = Path(path)
        self.kind = kind
        self._source = source or (lambda: iter_records(self.path))
        self._has_file_source = source is None
        if kind not in _SCHEMAS:
            raise ValueError(f"unknown datum stream kind {kind!r}")
        self._data_ts: TimestampColumn | None = None
        self.description = self.path.name
        #: After a full read: what the file lacks of what its timestamps file lists (or None).
        self.shortfall: str | None = None

    def reads_file(self) -> bool:
        """Whether the records come from :attr:`path` itself (not converted in memory)."""
        return self._has_file_source

    def data_ts(self) -> TimestampColumn:
        """Sort/window key of every record (file order), float64 seconds."""
        if self._data_ts is None:
            sidecar = (
                TimestampColumn.open_npy(timestamps_path(self.path))
                if self._has_file_source
                else None
            )
            if sidecar is None:
                if self._has_file_source and self.path.exists():
                    warnings.warn(
                        f"{timestamps_path(self.path).name} is missing; gazeport uses the "
                        f"timestamps stored in {self.path.name} instead.",
                        GazeportWarning,
                        stacklevel=3,
                    )
                sidecar = TimestampColumn(self._decoded_timestamps())
            self._data_ts = sidecar
        return self._data_ts

    def _decoded_timestamps(self) -> np.ndarray:
        parts = [self._timestamps_of(rc) for rc in self._source()]
        return np.concatenate(parts) if parts else np.empty(0)

    def _datum_timestamp(self, payload: bytes, index: int) -> float:
        try:
            return float(decode_datum(payload)["timestamp"])
        except Exception as exc:
            raise CorruptFileError(
                f"Datum {index} in {self.path} has no readable timestamp; the file is damaged.",
                self.path,
            ) from exc

    def iter_file_chunks(self, window: tuple[float, float] | None = None) -> Iterator[RecordBatch]:
        """Undecoded record batches in file order; batches with no record in ``window`` are
        skipped. Decode them with :meth:`RecordBatch.decode` (possibly in another process)."""
        data_ts = self.data_ts()
        n_ts = len(data_ts)
        warned = False
        seen = 0
        for rc in self._source():
            n = len(rc)
            seen = rc.start + n
            idx = np.arange(rc.start, rc.start + n, dtype=np.int64)
            if rc.start + n <= n_ts:
                key = data_ts.read(rc.start, rc.start + n)
            else:
                if not warned:
                    warned = True
                    warnings.warn(
                        f"{self.path.name} holds more records than its timestamps file lists "
                        f"({n_ts}); the extra records are sorted by their own timestamps.",
                        GazeportWarning,
                        stacklevel=2,
                    )
                own = self._timestamps_of(rc)
                key = np.concatenate([data_ts.read(rc.start, n_ts), own[max(n_ts - rc.start, 0) :]])
            if window is not None and not np.any((key >= window[0]) & (key < window[1])):
                continue
            values = {"data_ts": np.asarray(key, dtype=np.float64), "file_index": idx}
            yield RecordBatch(self.kind, str(self.path), rc.payloads, values)
        already = self.shortfall
        self.shortfall = self._shortfall(seen, n_ts) if self._has_file_source else None
        if self.shortfall and self.shortfall != already:  # once, however often it is read
            warnings.warn(self.shortfall, GazeportWarning, stacklevel=2)

    def _shortfall(self, seen: int, listed: int) -> str | None:
        """The sentence saying that the file holds fewer records than its timestamps list."""
        if seen >= listed:
            return None
        missing = listed - seen
        why = ""
        if self.path.is_symlink() and not self.path.exists():
            why = f" (it is a link to {os.readlink(self.path)}, which does not exist)"
        elif not self.path.exists():
            why = " (the file is missing)"
        elif self.path.stat().st_size == 0:
            why = " (the file is empty)"
        return (
            f"{self.path.name} holds {seen:,} of the {listed:,} samples that "
            f"{timestamps_path(self.path).name} lists{why}, so {missing:,} "
            f"{'sample' if missing == 1 else 'samples'} cannot be exported; restore "
            f"{self.path.name} from a backup of the recording."
        )

    def file_problem(self) -> str | None:
        """Cheap check (no decoding): an empty or dangling file whose timestamps list samples."""
        if not self._has_file_source or (self.path.exists() and self.path.stat().st_size > 0):
            return None
        return self._shortfall(0, len(self.data_ts()))

    def _timestamps_of(self, rc: RecordChunk) -> np.ndarray:
        cols = decode_columns(
            rc.payloads, _timestamp_plan, {"timestamp": np.dtype("f8")}, {"timestamp": np.nan}
        )
        ts = cols.values["timestamp"]
        for i in np.flatnonzero(cols.irregular).tolist():
            ts[i] = self._datum_timestamp(rc.payloads[i], rc.start + i)
        return ts


@dataclass
class RecordBatch:
    """Undecoded datums of one stream with their sort keys (``data_ts``) and file indices."""

    kind: str
    source: str  #: file the datums come from (for messages)
    payloads: Payloads
    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.payloads)

    def take(self, idx: np.ndarray) -> RecordBatch:
        idx = np.flatnonzero(idx) if idx.dtype == bool else np.asarray(idx, dtype=np.int64)
        values = {k: v[idx] for k, v in self.values.items()}
        return RecordBatch(self.kind, self.source, self.payloads.take(idx), values)

    @staticmethod
    def concat(batches: list[RecordBatch]) -> RecordBatch:
        if len(batches) == 1:
            return batches[0]
        first = batches[0]
        payloads = Payloads.concat([b.payloads for b in batches])
        values = {k: np.concatenate([b.values[k] for b in batches]) for k in first.values}
        return RecordBatch(first.kind, first.source, payloads, values)

    def decode(self, fields: Collection[str] | None = None) -> ColumnChunk:
        """Decode into columns (fast path per layout, reference path for irregular datums).

        With ``fields`` only those decoded columns are filled (``data_ts`` and ``file_index``
        always are): the same values, for less work. Which datums take the reference path
        does not depend on ``fields``.
        """
        plan: Planner
        plan, dtypes, fill = _SCHEMAS[self.kind]
        if fields is not None:
            plan, dtypes, fill = _restricted(plan, dtypes, fill, set(fields))
        cols = decode_columns(self.payloads, plan, dtypes, fill)
        values, present = cols.values, cols.present
        reference: dict[int, list[Any]] = {}
        file_index = self.values["file_index"]
        for i in np.flatnonzero(cols.irregular).tolist():
            reference[i] = _reference_row(
                self.kind, self.source, self.payloads[i], int(file_index[i]), values, present, i
            )
        values.update(self.values)
        return ColumnChunk(values, present, reference)


def _restricted(
    planner: Planner, dtypes: dict[str, np.dtype], fill: dict[str, Any], fields: set[str]
) -> tuple[Planner, dict[str, np.dtype], dict[str, Any]]:
    """The schema cut down to ``fields``; a layout the full plan rejects stays rejected."""

    def plan(layout: Layout) -> Plan | None:
        full = planner(layout)
        return None if full is None else {k: v for k, v in full.items() if k in fields}

    keep = [name for name in dtypes if name in fields]
    return plan, {k: dtypes[k] for k in keep}, {k: fill[k] for k in keep}


_SCHEMAS = {
    "pupil": (streams.pupil_plan, streams.PUPIL_DECODED, streams.PUPIL_FILL),
    "gaze": (streams.gaze_plan, streams.GAZE_DECODED, streams.GAZE_FILL),
}


def _reference_row(
    kind: str,
    source: str,
    payload: bytes,
    index: int,
    values: dict[str, np.ndarray],
    present: dict[str, np.ndarray],
    i: int,
) -> list[Any]:
    """Decode one irregular datum the slow way: Player's cells, and its numeric columns."""
    try:
        datum = decode_datum(payload)
    except Exception as exc:
        raise CorruptFileError(
            f"{kind.capitalize()} datum {index} in {source} is damaged and cannot be decoded "
            f"({type(exc).__name__}); restore the file from a backup.",
            source,
        ) from exc
    if not isinstance(datum, dict):
        raise CorruptFileError(
            f"{kind.capitalize()} datum {index} in {source} is not a map of fields; the file is "
            f"damaged or does not hold {kind} data.",
            source,
        )
    try:
        if kind == "pupil":
            cells = streams.pupil_cells(datum)
            names = streams.PUPIL_CELL_FIELDS
        else:
            cells, unknown_eye = streams.gaze_cells(datum)
            names = streams.GAZE_CELL_FIELDS
            if unknown_eye:
                warnings.warn(
                    f"Gaze datum {index} in {Path(source).name} is monocular but its eye cannot "
                    "be told from its base data; its eye columns stay empty (as in Player).",
                    GazeportWarning,
                    stacklevel=4,
                )
            base = datum.get("base_data") or ()
            _put(values, present, "base_count", i, len(base), datum.get("base_data") is not None)
            for k, b in enumerate(base[:2]):
                _put(values, present, f"base{k}_timestamp", i, streams.as_float(b.get("timestamp")))
                eid = b.get("id")
                _put(values, present, f"base{k}_eye_id", i, eid if isinstance(eid, int) else -1)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise CorruptFileError(
            f"{kind.capitalize()} datum {index} in {source} lacks a field Pupil "
            f"Player requires ({exc!r}); the file is damaged or not {kind} data.",
            source,
        ) from exc
    for name, cell in zip(names, cells, strict=True):
        if name is None or name not in values:
            continue
        if name == "method":
            values[name][i] = cell
            present[name][i] = cell is not None
        elif values[name].dtype.kind == "i":
            ok = isinstance(cell, int) and not isinstance(cell, bool)
            values[name][i] = cell if ok else -1
            present[name][i] = ok
        else:
            values[name][i] = streams.as_float(cell)
            present[name][i] = cell is not None
    return cells


def _put(
    values: dict[str, np.ndarray],
    present: dict[str, np.ndarray],
    name: str,
    i: int,
    value: Any,
    exists: bool | None = None,
) -> None:
    """Set row ``i`` of column ``name`` if that column is decoded at all."""
    if name in values:
        values[name][i] = value
        if exists is not None:
            present[name][i] = exists
