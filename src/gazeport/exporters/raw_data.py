"""Pupil Player's Raw Data Exporter: ``pupil_positions.csv`` and ``gaze_positions.csv``.

The text of every row equals what Player's ``csv.DictWriter`` route writes (columns, order,
empty cells, ``base_data`` text, float ``repr``, ``\\r\\n``), produced from column chunks with
vectorised formatting (:mod:`gazeport.exporters.csv_text`). ``--format parquet`` writes the same
columns with real dtypes (nulls for empty cells).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import repeat
from pathlib import Path
from typing import IO, Any

import numpy as np

from .. import _native
from .._types import (
    GAZE_CSV_COLUMNS,
    GAZE_EYE0_FIELDS,
    GAZE_EYE1_FIELDS,
    GAZE_POINT_FIELDS,
    PUPIL_3D_FIELDS,
    PUPIL_CSV_COLUMNS,
    PUPIL_ELLIPSE_FIELDS,
)
from ..errors import ExportError
from ..recording.columns import ColumnChunk, decode_rows
from . import csv_text as ct
from .csv_rows import Column, render_rows
from .parallel import ordered_map, ordered_thread_map

Progress = Callable[[int], None]

TABLE_COLUMNS = {"pupil": PUPIL_CSV_COLUMNS, "gaze": GAZE_CSV_COLUMNS}


def _floats(chunk: ColumnChunk, names: Iterable[str], present: Any = None) -> list[Column]:
    return [("f", chunk.values[n], present) for n in names]


def pupil_columns(chunk: ColumnChunk) -> list[Column]:
    """``pupil_positions.csv`` cells of a chunk, as :mod:`.csv_rows` columns."""
    v, p = chunk.values, chunk.present
    ellipse, model_3d = p["ellipse_center_x"], p["diameter_3d"]
    return [
        ("f", v["timestamp"], None),
        ("i", v["world_index"], None),
        ("i", v["eye_id"], None),
        *_floats(chunk, ("confidence", "norm_pos_x", "norm_pos_y", "diameter")),
        ("b", ct.text_column(v["method"])),
        *_floats(chunk, PUPIL_ELLIPSE_FIELDS, ellipse),
        *_floats(chunk, PUPIL_3D_FIELDS[:2], model_3d),
        ("i", v["model_id"], p["model_id"]),
        *_floats(chunk, PUPIL_3D_FIELDS[2:], model_3d),
    ]


def _base_data_text(chunk: ColumnChunk) -> list[bytes]:
    """The ``base_data`` cells: ``"<timestamp>-<eye id>"`` of each pupil datum, space-separated."""
    v = chunk.values
    count = v["base_count"]
    n = count.shape[0]
    out = np.full(n, b"", dtype=object)
    for k in (1, 2):
        idx = np.flatnonzero(count == k)
        if idx.size == 0:
            continue
        pieces: list[Iterable[bytes]] = []
        for j in range(k):
            if j:
                pieces.append(repeat(b" "))
            pieces.append(_cells(("f", v[f"base{j}_timestamp"][idx], None), idx.size))
            pieces.append(repeat(b"-"))
            pieces.append(_cells(("i", v[f"base{j}_eye_id"][idx], None), idx.size))
        out[idx] = list(map(b"".join, zip(*pieces, strict=False)))
    return out.tolist()


def _cells(column: Column, n: int) -> list[bytes]:
    """The ``n`` cells of one column, one ``bytes`` each."""
    return render_rows(n, [column]).split(b"\r\n")[:-1]


def gaze_columns(chunk: ColumnChunk) -> list[Column]:
    """``gaze_positions.csv`` cells of a chunk, as :mod:`.csv_rows` columns."""
    v, p = chunk.values, chunk.present
    return [
        ("f", v["timestamp"], None),
        ("i", v["world_index"], None),
        *_floats(chunk, ("confidence", "norm_pos_x", "norm_pos_y")),
        ("b", _base_data_text(chunk)),
        *_floats(chunk, GAZE_POINT_FIELDS, p["gaze_point_3d_x"]),
        *_floats(chunk, GAZE_EYE0_FIELDS[:3], p["eye_center0_3d_x"]),
        *_floats(chunk, GAZE_EYE0_FIELDS[3:], p["gaze_normal0_x"]),
        *_floats(chunk, GAZE_EYE1_FIELDS[:3], p["eye_center1_3d_x"]),
        *_floats(chunk, GAZE_EYE1_FIELDS[3:], p["gaze_normal1_x"]),
    ]


COLUMN_BUILDERS = {"pupil": pupil_columns, "gaze": gaze_columns}


def csv_text(kind: str, chunk: ColumnChunk) -> bytes:
    """The CSV rows of ``chunk`` (no header), each ending with ``\\r\\n``."""
    overrides = {i: ct.reference_line(cells) for i, cells in chunk.reference.items()}
    return render_rows(len(chunk), COLUMN_BUILDERS[kind](chunk), overrides)


def filter_confidence(chunk: ColumnChunk, min_confidence: float | None) -> ColumnChunk:
    """Drop rows with ``confidence < min_confidence`` (Player's strict rule)."""
    if min_confidence is None:
        return chunk
    conf = chunk.values["confidence"]
    keep = ~(conf < min_confidence)
    return chunk if keep.all() else chunk.take(keep)


def _csv_block(job: tuple[str, Any, float | None]) -> tuple[int, int, bytes]:
    """Decode one batch and build its CSV bytes: (rows in, rows written, text).

    Runs in worker processes too; :func:`ordered_map` brings their warnings back.
    """
    kind, batch, min_confidence = job
    chunk = decode_rows(batch)
    n_in = len(chunk)
    chunk = filter_confidence(chunk, min_confidence)
    text = csv_text(kind, chunk)
    return n_in, len(chunk), text


#: Below this many rows, worker processes cost more than they save.
PARALLEL_MIN_ROWS = 200_000


def write_csv(
    kind: str,
    chunks: Iterable[Any],
    fh: IO[bytes],
    *,
    min_confidence: float | None = None,
    on_rows: Progress | None = None,
    workers: int = 1,
) -> int:
    """Write header and rows of ``kind`` ("pupil" or "gaze") to a binary file; returns rows.

    ``chunks`` are column chunks or undecoded batches (anything with ``decode()``).

    With ``workers > 1`` chunks are decoded and their text built by that many workers (in
    order; at most a few chunks in flight) while this thread reads the next ones: threads of
    this process when the compiled formatter is in use (it releases the GIL), else processes.
    """
    fh.write(ct.header_line(TABLE_COLUMNS[kind]))
    rows = 0
    jobs = ((kind, chunk, min_confidence) for chunk in chunks)
    parallel = ordered_thread_map if _native.compiled() else ordered_map
    for n_in, n_out, text in parallel(_csv_block, jobs, workers):
        fh.write(text)
        rows += n_out
        if on_rows:
            on_rows(n_in)
    return rows


# --- parquet -----------------------------------------------------------------------------------


def require_parquet() -> None:
    """Raise a clear :class:`ExportError` when pyarrow (the ``parquet`` extra) is missing."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ExportError(
            "Parquet export needs pyarrow; install it with: pip install 'gazeport[parquet]'"
        ) from None


def _arrow_table(kind: str, chunk: ColumnChunk) -> Any:
    import pyarrow as pa

    v, p = chunk.values, chunk.present
    cols: dict[str, Any] = {}
    for name in TABLE_COLUMNS[kind]:
        if name in ("pupil_timestamp", "gaze_timestamp"):
            cols[name] = pa.array(v["timestamp"], pa.float64())
        elif name == "world_index":
            cols[name] = pa.array(v["world_index"], pa.int64())
        elif name == "base_data":
            has_base = p["base_count"].tolist()
            text = [
                b.decode() if ok else None
                for b, ok in zip(_base_data_text(chunk), has_base, strict=True)
            ]
            for i, cells in chunk.reference.items():
                text[i] = cells[5] if has_base[i] else None  # exactly the CSV's text
            cols[name] = pa.array(text, pa.string())
        elif name == "method":
            cols[name] = pa.array(v["method"].tolist(), pa.string())
        else:
            key = "eye_id" if name == "eye_id" else name
            arr, mask = v[key], ~p[key]
            typ = pa.int64() if arr.dtype.kind == "i" else pa.float64()
            cols[name] = pa.array(arr, typ, mask=mask)
    return pa.table(cols)


def write_parquet(
    kind: str,
    chunks: Iterable[Any],
    path: Path,
    *,
    min_confidence: float | None = None,
    on_rows: Progress | None = None,
) -> int:
    """Write the same table as Parquet (needs the ``parquet`` extra: pyarrow)."""
    import pyarrow.parquet as pq

    writer = None
    rows = 0
    try:
        for batch in chunks:
            n_in = len(batch)
            chunk = filter_confidence(decode_rows(batch), min_confidence)
            if len(chunk):
                table = _arrow_table(kind, chunk)
                if writer is None:
                    writer = pq.ParquetWriter(str(path), table.schema)
                writer.write_table(table)
                rows += len(chunk)
            if on_rows:
                on_rows(n_in)
        if writer is None:
            empty = _arrow_table(kind, _empty_chunk(kind))
            writer = pq.ParquetWriter(str(path), empty.schema)
            writer.write_table(empty)
    finally:
        if writer is not None:
            writer.close()
    return rows


def _empty_chunk(kind: str) -> ColumnChunk:
    from ..recording import streams

    decoded = streams.PUPIL_DECODED if kind == "pupil" else streams.GAZE_DECODED
    values = {name: np.empty(0, dtype=dt) for name, dt in decoded.items()}
    values["world_index"] = np.empty(0, dtype=np.int64)
    present = {name: np.empty(0, dtype=bool) for name in decoded}
    return ColumnChunk(values, present)
