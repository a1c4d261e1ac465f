"""CSV rows from columns (:mod:`gazeport.exporters.csv_rows`): the compiled and the pure path
write, byte for byte, what Player's ``csv`` writer writes for numbers (``str(float)``, which is
``repr``) and the ready text cells verbatim."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazeport import _native
from gazeport.exporters.csv_rows import render_rows, render_rows_pure

# Values whose text differs between orjson and repr, and the usual edge values.
AWKWARD = [
    0.0, -0.0, 1e-05, 9.999999999999999e-05, 0.0001, 1e-07, 5e-324, 2.2250738585072014e-308,
    1e15, 1e16, 9999999999999998.0, 1e22, 1.7976931348623157e308, float("nan"), float("inf"),
    -float("inf"), 0.1, 1 / 3, 123456.789, -2.5, 2.0**53, 2.0**53 + 2,
]  # fmt: skip


def number_cell(value: Any) -> bytes:
    """A number as ``csv.writer`` writes it."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([value])
    return buf.getvalue()[:-1].encode()


def reference(n: int, columns: list[tuple[Any, ...]], overrides: dict[int, bytes]) -> bytes:
    """The table one cell at a time: numbers through ``csv.writer``, missing cells empty."""
    lines = []
    for i in range(n):
        cells = []
        for col in columns:
            if col[0] == "b":
                cells.append(col[1][i])
            elif col[2] is not None and not col[2][i]:
                cells.append(b"")
            else:
                cells.append(number_cell(float(col[1][i]) if col[0] == "f" else int(col[1][i])))
        lines.append(overrides.get(i, b",".join(cells)))
    return b"".join(line + b"\r\n" for line in lines)


TEXT_CELLS = [b"2d c++", b'"quoted, cell"', b""]


def random_table(
    rng: np.random.Generator, n: int
) -> tuple[list[tuple[Any, ...]], dict[int, bytes]]:
    block = rng.normal(0, 1e3, (n, 6)) * 10.0 ** rng.integers(-9, 18, (n, 6))
    block[rng.random((n, 6)) < 0.1] = 0.0
    if n:
        block.flat[rng.integers(0, block.size, 5)] = rng.choice(AWKWARD, 5)
    shared = rng.random(n) < 0.7
    columns: list[tuple[Any, ...]] = [
        ("f", block[:, 0], None),
        ("i", rng.integers(-(2**62), 2**62, n), None),
        ("b", [TEXT_CELLS[k] for k in rng.integers(0, len(TEXT_CELLS), n)]),
        ("f", block[:, 1], shared),  # a strided column view, sharing one mask with the next
        ("f", block[:, 2], shared),
        ("i", rng.integers(0, 5, n), rng.random(n) < 0.5),
        ("f", block[:, 3], rng.random(n) < 0.5),
        ("f", np.ascontiguousarray(block[:, 4]), None),
    ]
    overrides = {int(i): b"override,row" for i in rng.integers(0, n, min(n, 3))} if n else {}
    return columns, overrides


@pytest.mark.parametrize("n", [0, 1, 2, 1000])
def test_both_paths_write_what_csv_writer_writes(n: int, formatter_path: str) -> None:
    rng = np.random.default_rng(n)
    columns, overrides = random_table(rng, n)
    expected = reference(n, columns, overrides)
    assert render_rows(n, columns, overrides) == expected
    assert render_rows_pure(n, columns, overrides) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(width=64), min_size=1, max_size=40))
def test_any_float_reads_like_repr(values: list[float]) -> None:
    arr = np.array(values, dtype=np.float64)
    columns = [("f", arr, None), ("f", arr[::-1].copy(), None)]
    expected = reference(len(values), columns, {})
    assert render_rows_pure(len(values), columns) == expected
    if _native.compiled():
        assert render_rows(len(values), columns) == expected


def test_pure_path_rejects_an_unknown_column_kind() -> None:
    with pytest.raises(ValueError, match="unknown CSV column kind 'x'"):
        render_rows_pure(1, [("x", [b"a"])])


def test_the_compiled_path_rejects_bad_columns_without_crashing() -> None:
    if not _native.compiled():
        pytest.skip(_native.describe())
    with pytest.raises((TypeError, ValueError)):
        render_rows(3, [("f", np.zeros(2), None)])  # too short
    with pytest.raises((TypeError, ValueError)):
        render_rows(2, [("f", np.zeros(2, dtype=np.float32), None)])  # wrong dtype
    with pytest.raises((TypeError, ValueError)):
        render_rows(1, [("x", [b"a"])])
