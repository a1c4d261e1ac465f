"""Cell text of Pupil Cloud's Timeseries CSVs, column by column (spec neon-format §3.1).

Every column becomes a list of ``str`` cells; :func:`csv_bytes` joins them into rows. Cloud's
rules: ids and ns timestamps are plain integers, a missing id is an empty cell, ``worn`` is
``1.0``/``0.0``, gaze and fixation pixels are rounded to 3 decimals, IMU gyro and acceleration
to 6, durations in ms are integers, every other float is the float32 value widened to float64
and printed in its shortest repr. NaN becomes an empty cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Line ending of Cloud's CSVs: the one real Timeseries download is CRLF throughout, and
#: Python's ``csv`` module (a likely writer) ends rows with CRLF by default; readers accept both.
CRLF = "\r\n"


def int_cells(values: np.ndarray) -> list[str]:
    """Integers (ids, ns timestamps) as plain decimal text."""
    return [str(v) for v in np.asarray(values, dtype=np.int64).tolist()]


def id_cells(ids: np.ndarray) -> list[str]:
    """1-based ids; 0 (no event) becomes an empty cell."""
    return [str(v) if v else "" for v in np.asarray(ids, dtype=np.int64).tolist()]


def float_cells(values: np.ndarray, decimals: int | None = None) -> list[str]:
    """Floats as float64 shortest repr (after rounding to ``decimals`` when given); NaN → ``""``."""
    v = np.asarray(values, dtype=np.float64)
    if decimals is not None:
        v = np.round(v, decimals)
    return [repr(x) if x == x else "" for x in v.tolist()]


def worn_cells(worn: np.ndarray, present: np.ndarray | None = None) -> list[str]:
    """``1.0`` / ``0.0`` (``""`` where ``present`` is False)."""
    w = np.asarray(worn).astype(bool).tolist()
    cells = ["1.0" if x else "0.0" for x in w]
    if present is not None:
        cells = [c if p else "" for c, p in zip(cells, np.asarray(present).tolist(), strict=True)]
    return cells


def duration_ms_cells(starts_ns: np.ndarray, ends_ns: np.ndarray) -> list[str]:
    """``round((end − start) / 1e6)`` as an integer (half to even, like Python's ``round``)."""
    diff = np.asarray(ends_ns, dtype=np.int64) - np.asarray(starts_ns, dtype=np.int64)
    return int_cells(np.rint(diff / 1e6).astype(np.int64))


def text_cell(value: str) -> str:
    """A text cell, quoted the way ``csv.writer`` quotes minimally (separator, quote, newline)."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_bytes(header: str, columns: Sequence[Sequence[str]], n: int) -> bytes:
    """``header`` and ``n`` rows of ``columns`` (each ``n`` cells) joined with ``,`` and CRLF."""
    if not columns:
        return (header + CRLF).encode()
    for col in columns:
        if len(col) != n:
            raise ValueError(f"a column has {len(col)} cells for {n} rows")
    rows = [",".join(row) for row in zip(*columns, strict=True)]
    return (CRLF.join([header, *rows]) + CRLF).encode()


def repeat(value: str, n: int) -> list[str]:
    """The same cell ``n`` times (section id, recording id)."""
    return [value] * n


__all__ = [
    "CRLF",
    "csv_bytes",
    "duration_ms_cells",
    "float_cells",
    "id_cells",
    "int_cells",
    "repeat",
    "text_cell",
    "worn_cells",
]
