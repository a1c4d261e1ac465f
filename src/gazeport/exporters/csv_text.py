"""Fast CSV text exactly as Python's ``csv`` module writes Pupil Player's cells.

Floats must read like Python's ``repr`` (shortest round-trip). orjson formats float64 arrays in C
with the same shortest digits; it differs from ``repr`` only for magnitudes below 1e-4 (orjson
writes ``0.00001`` / ``1e-7`` where Python writes ``1e-05`` / ``1e-07``), for values of 1e16 and
above, and for non-finite values. Rows holding such values are formatted with ``repr`` instead,
so the output is always byte-identical to the straightforward ``csv.writer`` route.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

_NUMPY = orjson.OPT_SERIALIZE_NUMPY

Lines = list[bytes]


def _special(values: np.ndarray) -> np.ndarray:
    """Values whose orjson text may differ from Python's repr."""
    with np.errstate(invalid="ignore"):
        mag = np.abs(values)
        return ~np.isfinite(values) | ((mag < 1e-4) & (values != 0)) | (mag >= 1e16)


def _repr_line(row: Sequence[float]) -> bytes:
    return ",".join(map(repr, map(float, row))).encode()


def _present_lines(values: np.ndarray) -> Lines:
    """Cells of every row of a 2-D float block joined by commas."""
    if values.shape[0] == 0:
        return []
    if values.shape[1] == 1:
        lines = orjson.dumps(np.ascontiguousarray(values[:, 0]), option=_NUMPY)[1:-1].split(b",")
    else:
        lines = orjson.dumps(np.ascontiguousarray(values), option=_NUMPY)[2:-2].split(b"],[")
    special = _special(values).any(axis=1)
    if special.any():
        for i in np.flatnonzero(special).tolist():
            lines[i] = _repr_line(values[i])
    return lines


def float_block(values: np.ndarray, present: np.ndarray | None = None) -> Lines:
    """Text of an all-or-nothing group of float columns, one ``bytes`` per row.

    ``values`` is (n, k) float64; rows where ``present`` is False become k empty cells.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n, k = values.shape
    if present is None or present.all():
        return _present_lines(values)
    empty = b"," * (k - 1)
    if not present.any():
        return [empty] * n
    out = np.full(n, empty, dtype=object)
    idx = np.flatnonzero(present)
    out[idx] = _present_lines(values[idx])
    return out.tolist()


def int_column(values: np.ndarray, present: np.ndarray | None = None) -> Lines:
    """Decimal text of an int64 column; rows not ``present`` are empty."""
    values = np.asarray(values, dtype=np.int64)
    if values.size == 0:
        return []
    if values.min() >= 0 and values.max() < 4096:
        table = np.array([str(i).encode() for i in range(int(values.max()) + 1)], dtype=object)
        text = table[values]
    else:
        text = np.array(orjson.dumps(values, option=_NUMPY)[1:-1].split(b","), dtype=object)
    if present is not None and not present.all():
        text[~present] = b""
    return text.tolist()


def csv_cell(value: str) -> bytes:
    """One text cell as ``csv.writer`` (default dialect) writes it, UTF-8 encoded."""
    buf = io.StringIO()
    # Player's writer ends lines with "\r\n", which is what makes csv quote \r and \n.
    csv.writer(buf, lineterminator="\r\n").writerow([value, ""])
    return buf.getvalue()[:-3].encode("utf-8")


class _CellCache(dict[Any, bytes]):
    def __missing__(self, key: Any) -> bytes:
        text = b"" if key is None else csv_cell(str(key))
        self[key] = text
        return text


def text_column(values: Sequence[Any] | np.ndarray) -> Lines:
    """CSV text of a column of strings (``None`` -> empty); repeated values are cached."""
    cache = _CellCache()
    seq = values.tolist() if isinstance(values, np.ndarray) else values
    return list(map(cache.__getitem__, seq))


def reference_line(cells: Sequence[Any]) -> bytes:
    """One row as ``csv.writer`` writes it (the reference route), without the line ending."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()[:-2].encode("utf-8")


def header_line(columns: Sequence[str]) -> bytes:
    return reference_line(columns) + b"\r\n"
