"""Cell text of Pupil Cloud's Timeseries CSVs, column by column (spec neon-format §3.1).

Every function returns one ``bytes`` cell per row, in the column machinery of
:mod:`.neon_text` (orjson in C, per-row fixes only where its text differs); :func:`write_csv`
writes a table chunk by chunk, :func:`write_csv_pieces` one whose rows arrive in pieces (a
stream read chunk by chunk). Cloud's rules: ids and ns timestamps are plain integers, a
missing id is an empty cell, ``worn`` is ``1.0``/``0.0``, gaze and fixation pixels are rounded
to 3 decimals, IMU gyro and acceleration to 6, durations in ms are integers, every other float
is the float32 value widened to float64 and printed in its shortest repr. NaN becomes an empty
cell. Rows end with CRLF.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO

import numpy as np

from . import neon_text
from .neon_text import Cells, ColumnSource

#: Line ending of Cloud's CSVs: the one real Timeseries download is CRLF throughout, and
#: Python's ``csv`` module (a likely writer) ends rows with CRLF by default; readers accept both.
CRLF = b"\r\n"

_WORN = np.array([b"0.0", b"1.0", b""], dtype=object)  # index 2: no worn sample


def int_cells(values: np.ndarray) -> Cells:
    """Integers (ids, ns timestamps) as plain decimal text."""
    return neon_text.int_cells(values)


def id_cells(ids: np.ndarray) -> Cells:
    """1-based ids; 0 (no event) becomes an empty cell."""
    ids = np.asarray(ids, dtype=np.int64)
    return neon_text.int_cells(ids, ids != 0)


def float_cells(values: np.ndarray, decimals: int | None = None) -> Cells:
    """Floats as float64 shortest repr (after rounding to ``decimals`` when given); NaN → empty."""
    return neon_text.f64_block(values, decimals)


def worn_cells(worn: np.ndarray, present: np.ndarray | None = None) -> Cells:
    """``1.0`` / ``0.0`` (empty where ``present`` is False)."""
    code = np.asarray(worn).astype(bool).astype(np.int64)
    if present is not None:
        code[~np.asarray(present, dtype=bool)] = 2
    return list(_WORN[code])


def duration_ms_cells(starts_ns: np.ndarray, ends_ns: np.ndarray) -> Cells:
    """``round((end − start) / 1e6)`` as an integer (half to even, like Python's ``round``)."""
    diff = np.asarray(ends_ns, dtype=np.int64) - np.asarray(starts_ns, dtype=np.int64)
    return int_cells(np.rint(diff / 1e6).astype(np.int64))


def text_cell(value: str) -> bytes:
    """A text cell, quoted the way ``csv.writer`` quotes minimally (separator, quote, newline)."""
    if any(c in value for c in ',"\r\n'):
        value = '"' + value.replace('"', '""') + '"'
    return value.encode()


def text_cells(values: Sequence[str]) -> Cells:
    """:func:`text_cell` of each value (event names and types: a few rows)."""
    return [text_cell(str(v)) for v in values]


def write_csv(out: BinaryIO, header: str, n: int, columns: Sequence[ColumnSource]) -> int:
    """Write ``header`` and ``n`` rows of ``columns`` (constant cells or
    :func:`~.neon_text.sliced` sources), CRLF-ended, chunk by chunk; returns ``n``."""
    return neon_text.write_table(out, header.encode() + CRLF, n, columns, CRLF)


def write_csv_pieces(
    out: BinaryIO, header: str, pieces: Iterable[tuple[int, Sequence[ColumnSource]]]
) -> int:
    """Write ``header``, then each piece's ``n`` rows of its ``columns`` (as :func:`write_csv`):
    a table whose rows come from a stream read chunk by chunk (``rec.iter_chunks``), so only one
    chunk of columns is alive at a time; returns the rows written."""
    out.write(header.encode() + CRLF)
    return sum(neon_text.write_table(out, b"", n, columns, CRLF) for n, columns in pieces)


__all__ = [
    "CRLF",
    "duration_ms_cells",
    "float_cells",
    "id_cells",
    "int_cells",
    "text_cell",
    "text_cells",
    "worn_cells",
    "write_csv",
    "write_csv_pieces",
]
