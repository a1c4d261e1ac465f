"""A pupil or gaze stream backed by msgpack datums, decoded lazily into column chunks."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CorruptFileError, GazeportWarning
from ..formats.datum_columns import Layout, Plan, decode_columns
from ..formats.pldata import RecordChunk, decode_datum, iter_records, load_timestamps, timestamps_path
from . import streams
from .columns import ColumnChunk

RecordSource = Callable[[], Iterator[RecordChunk]]


def _timestamp_plan(layout: Layout) -> Plan | None:
    ts = layout.get(("timestamp",))
    if ts is None or ts.kind not in ("f64", "f32"):
        return None
    return {"timestamp": ("slot", ts)}


class DatumStream:
    """Pupil or gaze datums of one file, as :class:`ColumnChunk` objects.

    ``kind`` is ``"pupil"`` or ``"gaze"``. Records come from ``source`` (default: the pldata
    file); sort keys from ``<name>_timestamps.npy`` like Player, or from the datums themselves
    when that file is missing or does not match.
    """

    def __init__(self, path: Path, kind: str, source: RecordSource | None = None) -> None:
        self.path = Path(path)
        self.kind = kind
        self._source = source or (lambda: iter_records(self.path))
        self._has_file_source = source is None
        if kind == "pupil":
            self._plan, self._dtypes, self._fill = streams.pupil_plan, streams.PUPIL_DECODED, streams.PUPIL_FILL
        elif kind == "gaze":
            self._plan, self._dtypes, self._fill = streams.gaze_plan, streams.GAZE_DECODED, streams.GAZE_FILL
        else:
            raise ValueError(f"unknown datum stream kind {kind!r}")
        self._data_ts: np.ndarray | None = None

    def data_ts(self) -> np.ndarray:
        """Sort/window key of every record (file order), float64 seconds."""
        if self._data_ts is None:
            sidecar = load_timestamps(timestamps_path(self.path)) if self._has_file_source else None
            if sidecar is None:
                if self._has_file_source and self.path.exists():
                    warnings.warn(
                        f"{timestamps_path(self.path).name} is missing; gazeport uses the "
                        f"timestamps stored in {self.path.name} instead.",
                        GazeportWarning,
                        stacklevel=3,
                    )
                sidecar = self._decoded_timestamps()
            self._data_ts = sidecar
        return self._data_ts

    def _decoded_timestamps(self) -> np.ndarray:
        parts = []
        for rc in self._source():
            cols = decode_columns(rc.payloads, _timestamp_plan, {"timestamp": np.dtype("f8")}, {"timestamp": np.nan})
            ts = cols.values["timestamp"]
            for i in np.flatnonzero(cols.irregular).tolist():
                ts[i] = self._datum_timestamp(rc.payloads[i], rc.start + i)
            parts.append(ts)
        return np.concatenate(parts) if parts else np.empty(0)

    def _datum_timestamp(self, payload: bytes, index: int) -> float:
        try:
            return float(decode_datum(payload)["timestamp"])
        except Exception as exc:
            raise CorruptFileError(
                f"Datum {index} in {self.path} has no readable timestamp; the file is damaged.",
                self.path,
            ) from exc

    def iter_file_chunks(
        self, window: tuple[float, float] | None = None
    ) -> Iterator[ColumnChunk]:
        """Chunks in file order; chunks with no record inside ``window`` are not decoded."""
        data_ts = self.data_ts()
        n_ts = data_ts.shape[0]
        warned = False
        for rc in self._source():
            n = len(rc)
            idx = np.arange(rc.start, rc.start + n, dtype=np.int64)
            if rc.start + n > n_ts and not warned:
                warned = True
                warnings.warn(
                    f"{self.path.name} holds more records than its timestamps file lists "
                    f"({n_ts}); the extra records are sorted by their own timestamps.",
                    GazeportWarning,
                    stacklevel=2,
                )
            if window is not None and rc.start + n <= n_ts:
                seg = data_ts[rc.start : rc.start + n]
                if not np.any((seg >= window[0]) & (seg < window[1])):
                    continue
            yield self._decode(rc, idx, data_ts)

    def _decode(self, rc: RecordChunk, idx: np.ndarray, data_ts: np.ndarray) -> ColumnChunk:
        cols = decode_columns(rc.payloads, self._plan, self._dtypes, self._fill)
        values = cols.values
        present = cols.present
        reference: dict[int, list[Any]] = {}
        for i in np.flatnonzero(cols.irregular).tolist():
            reference[i] = self._reference_row(rc.payloads[i], rc.start + i, values, present, i)
        n_ts = data_ts.shape[0]
        in_ts = idx < n_ts
        key = np.where(in_ts, data_ts[np.minimum(idx, max(n_ts - 1, 0))] if n_ts else np.nan, values["timestamp"])
        values["data_ts"] = key.astype(np.float64)
        values["file_index"] = idx
        return ColumnChunk(values, present, reference)

    def _reference_row(
        self, payload: bytes, index: int, values: dict[str, np.ndarray], present: dict[str, np.ndarray], i: int
    ) -> list[Any]:
        try:
            datum = decode_datum(payload)
            if self.kind == "pupil":
                cells = streams.pupil_cells(datum)
                names = streams.PUPIL_CELL_FIELDS
            else:
                cells, unknown_eye = streams.gaze_cells(datum)
                names = streams.GAZE_CELL_FIELDS
                if unknown_eye:
                    warnings.warn(
                        f"Gaze datum {index} in {self.path.name} is monocular but its eye cannot "
                        "be told from its base data; its eye columns stay empty (as in Player).",
                        GazeportWarning,
                        stacklevel=4,
                    )
                base = datum.get("base_data") or ()
                values["base_count"][i] = len(base)
                for k, b in enumerate(base[:2]):
                    values[f"base{k}_timestamp"][i] = streams.as_float(b.get("timestamp"))
                    eid = b.get("id")
                    values[f"base{k}_eye_id"][i] = eid if isinstance(eid, int) else -1
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
            raise CorruptFileError(
                f"{self.kind.capitalize()} datum {index} in {self.path} lacks a field Pupil "
                f"Player requires ({exc!r}); the file is damaged or not {self.kind} data.",
                self.path,
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
