"""CSV rows of a column chunk, built by the compiled formatter or by the pure path.

A table is described as columns, each one cell per row:

* ``("f", values, present)``: float64 values written as Python's ``repr`` writes them (what
  Player's ``csv`` writer does); an empty cell where ``present`` is False (``None``: all there);
* ``("i", values, present)``: int64 values in decimal;
* ``("b", cells)``: a list of ready ``bytes`` cells (CSV-quoted text), written as they are.

:func:`render_rows` joins each row's cells with ``,`` and ends every row with ``\\r\\n``;
``overrides`` replaces whole rows by text made the slow way (datums the columnar decoder could
not prove regular). The compiled module (``gazeport._csvfast``, see :mod:`gazeport._native`)
and :func:`render_rows_pure` write the same bytes; the compiled one releases the GIL while it
formats, so two threads format two chunks at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import _native
from . import csv_text as ct

Column = tuple[Any, ...]


def render_rows(
    n: int, columns: Sequence[Column], overrides: Mapping[int, bytes] | None = None
) -> bytes:
    """The CSV text of ``n`` rows of ``columns`` (every row ends with ``\\r\\n``)."""
    fast = _native.csvfast
    if fast is not None:
        return bytes(fast.render_rows(n, columns, dict(overrides) if overrides else None))
    return render_rows_pure(n, columns, overrides)


def render_rows_pure(
    n: int, columns: Sequence[Column], overrides: Mapping[int, bytes] | None = None
) -> bytes:
    """:func:`render_rows` with NumPy and orjson only (no compiled code)."""
    if n == 0:
        return b""
    segments = [_segment(group) for group in _groups(columns)]
    lines = list(map(b",".join, zip(*segments, strict=True)))
    for i, text in (overrides or {}).items():
        lines[i] = text
    return b"\r\n".join(lines) + b"\r\n"


def _groups(columns: Sequence[Column]) -> list[list[Column]]:
    """Adjacent float columns that share one ``present`` mask are formatted as one block."""
    groups: list[list[Column]] = []
    for col in columns:
        prev = groups[-1][-1] if groups else None
        if col[0] == "f" and prev is not None and prev[0] == "f" and prev[2] is col[2]:
            groups[-1].append(col)
        else:
            groups.append([col])
    return groups


def _segment(group: list[Column]) -> list[bytes]:
    kind = group[0][0]
    if kind == "f":
        block = np.column_stack([np.asarray(col[1], dtype=np.float64) for col in group])
        return ct.float_block(block, _mask(group[0][2]))
    if kind == "i":
        return ct.int_column(group[0][1], _mask(group[0][2]))
    if kind == "b":
        return list(group[0][1])
    raise ValueError(f"unknown CSV column kind {kind!r} (expected 'f', 'i' or 'b')")


def _mask(present: Any) -> np.ndarray | None:
    return None if present is None else np.asarray(present, dtype=bool)
