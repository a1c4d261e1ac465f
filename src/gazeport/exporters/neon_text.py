"""CSV text as pandas ``DataFrame.to_csv(index=False)`` writes Neon Player's cells, column-wise.

Neon Player v6 writes its tables with pandas, which formats a float32 column with numpy's
shortest float32 text (``719.7832``) and a float64 column with Python's ``repr``
(``746.9075927734375``); NaN becomes an empty cell. orjson formats whole numpy arrays in C with
the same shortest digits but differs in notation for some magnitudes (pandas: ``1e-05``,
``1e+06`` for float32 from 1e6 up, ``1e+16`` for float64; orjson: ``0.00001``, ``1000000.0``)
and writes non-finite values as ``null``. Rows holding such values are formatted the slow way,
so the text is always the pandas text.

Every function returns one ``bytes`` per row; :func:`write_rows` joins the columns of a chunk
and writes it, so no Python code runs per row. :func:`write_table` drives a whole table chunk by
chunk from column sources (:func:`sliced`), so only one chunk's text is held at a time; the
Pupil Cloud dialect uses it with its own line ending (CRLF) and cell rules (:mod:`.cloud_cells`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

import numpy as np
import orjson

from .csv_text import csv_cell, int_column

_NUMPY = orjson.OPT_SERIALIZE_NUMPY
#: Rows per chunk: bounds the text held in memory at once (~100-250 bytes a row); small
#: chunks also stay in the CPU caches (10k rows measured fastest and leanest).
CHUNK_ROWS = 10_000
#: Line ending: pandas' default ``os.linesep`` on the Linux machines the golden files come from.
NEWLINE = b"\n"

Cells = list[bytes]
Column = Cells | bytes  # a constant ``bytes`` repeats on every row
#: A column of a whole table: a constant cell, or the cells of the rows of a chunk (a slice).
ColumnSource = bytes | Callable[[slice], Cells]


def _special(values: np.ndarray, sci_from: float) -> np.ndarray:
    """Rows (of a 2-D block) whose orjson text may differ from pandas' text."""
    with np.errstate(invalid="ignore"):
        mag = np.abs(values.astype(np.float64))
        bad = ~np.isfinite(mag) | ((mag < 1e-4) & (mag != 0)) | (mag >= sci_from)
    return bad.any(axis=1)


def _pandas_cell(value: np.floating) -> bytes:
    """pandas' text of one float32 or float64 value (``str`` of the numpy scalar, NaN empty)."""
    if np.isnan(value):
        return b""
    if isinstance(value, np.float32):
        return str(value).encode()
    return repr(float(value)).encode()


def _block(values: np.ndarray, sci_from: float) -> Cells:
    """Rows of a 2-D float block (its own dtype kept) as comma-joined cells."""
    n, k = values.shape
    if n == 0:
        return []
    values = np.ascontiguousarray(values)
    if k == 1:
        lines = orjson.dumps(values[:, 0], option=_NUMPY)[1:-1].split(b",")
    else:
        lines = orjson.dumps(values, option=_NUMPY)[2:-2].split(b"],[")
    for i in np.flatnonzero(_special(values, sci_from)).tolist():
        lines[i] = b",".join(_pandas_cell(v) for v in values[i])
    return lines


def f32_block(values: np.ndarray) -> Cells:
    """Float32 columns ``(n, k)`` (or one column ``(n,)``) in numpy's shortest float32 text."""
    values = np.asarray(values, dtype=np.float32)
    return _block(values.reshape(len(values), -1), 1e6)


def f64_block(values: np.ndarray, decimals: int | None = None) -> Cells:
    """Float64 columns ``(n, k)`` (or ``(n,)``) in Python's ``repr`` text, after
    ``np.round(values, decimals)`` when ``decimals`` is given (``831.668``, not ``831.6680``)."""
    values = np.asarray(values, dtype=np.float64)
    if decimals is not None:
        values = np.round(values, decimals)
    return _block(values.reshape(len(values), -1), 1e16)


def int_cells(values: np.ndarray, present: np.ndarray | None = None) -> Cells:
    """Decimal int64 text; rows not ``present`` are empty (pandas' ``None``)."""
    return int_column(np.ascontiguousarray(values, dtype=np.int64), present)


def text_cell(value: str) -> bytes:
    """One constant text cell (``recording id``), quoted as the csv module would."""
    return csv_cell(value)


def header(columns: Sequence[str]) -> bytes:
    """The header line, with its line ending."""
    return b",".join(csv_cell(c) for c in columns) + NEWLINE


def write_rows(out: BinaryIO, columns: Sequence[Column], n: int, newline: bytes = NEWLINE) -> None:
    """Write ``n`` rows made of ``columns`` (per-row cells or one constant cell each), each
    ended by ``newline``."""
    if n == 0:
        return
    per_row = [c if isinstance(c, list) else [c] * n for c in columns]
    out.write(newline.join(map(b",".join, zip(*per_row, strict=True))))
    out.write(newline)


def sliced(cells: Callable[..., Cells], *arrays: np.ndarray, **options: Any) -> ColumnSource:
    """A column source: ``cells(*(a[part] for a in arrays), **options)`` for each chunk
    ``part``, so the text of a column is only ever made for one chunk."""
    return lambda part: cells(*(a[part] for a in arrays), **options)


def write_table(
    out: BinaryIO,
    head: bytes,
    n: int,
    columns: Sequence[ColumnSource],
    newline: bytes = NEWLINE,
) -> int:
    """Write ``head`` (the header line with its line ending) and ``n`` rows of ``columns``,
    :data:`CHUNK_ROWS` rows at a time; returns ``n``."""
    out.write(head)
    for part in chunks(n):
        cols = [c if isinstance(c, bytes) else c(part) for c in columns]
        write_rows(out, cols, part.stop - part.start, newline)
    return n


def chunks(n: int, size: int | None = None) -> list[slice]:
    """Slices covering ``range(n)`` in pieces of at most ``size`` rows (:data:`CHUNK_ROWS`)."""
    size = size or CHUNK_ROWS
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


__all__ = [
    "CHUNK_ROWS",
    "NEWLINE",
    "Column",
    "ColumnSource",
    "chunks",
    "f32_block",
    "f64_block",
    "header",
    "int_cells",
    "sliced",
    "text_cell",
    "write_rows",
    "write_table",
]
