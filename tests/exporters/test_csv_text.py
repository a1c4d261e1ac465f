"""Fast CSV text of :mod:`gazeport.exporters.csv_text` against Python's ``csv`` module and ``repr``.

Pupil Player writes its CSVs with ``csv.writer`` (default dialect, ``\\r\\n`` line ends) and
formats floats with ``repr``; that straightforward route is the oracle here.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gazeport.exporters.csv_text import (
    csv_cell,
    float_block,
    header_line,
    int_column,
    reference_line,
    text_column,
)

FAST = settings(max_examples=80, deadline=None)


def player_row(cells: list[Any]) -> bytes:
    """One row exactly as Player's ``csv.writer`` writes it, line ending included."""
    buf = io.StringIO()
    csv.writer(buf).writerow(cells)
    return buf.getvalue().encode("utf-8")


def repr_line(row: Any) -> bytes:
    return ",".join(repr(float(x)) for x in row).encode()


# --- float_block ------------------------------------------------------------------------------

SPECIAL_FLOATS = [
    0.0,
    -0.0,
    1e-5,
    -1e-5,
    2.5e-7,
    1e-4,
    9.999999999999999e-05,
    0.1,
    1 / 3,
    1e15,
    123456789012345.6,
    9999999999999998.0,
    1e16,
    1.5e17,
    -1e16,
    1e22,
    1e300,
    5e-324,
    1e-320,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    1234.5678,
    1.0,
    -2.0,
    100.0,
]

any_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.sampled_from(SPECIAL_FLOATS),
)


@pytest.mark.parametrize("value", SPECIAL_FLOATS, ids=repr)
def test_float_block_special_values(value: float) -> None:
    values = np.array([[value, 1.5], [2.5, value]])
    assert float_block(values) == [repr_line(values[0]), repr_line(values[1])]
    assert float_block(np.array([value])) == [repr(value).encode()]


@FAST
@given(
    block=hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 12), st.integers(1, 5)),
        elements=any_float,
    )
)
def test_float_block_equals_repr(block: np.ndarray) -> None:
    assert float_block(block) == [repr_line(row) for row in block]


@FAST
@given(
    block=hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 12), st.integers(1, 4)),
        elements=any_float,
    ),
    data=st.data(),
)
def test_float_block_absent_rows_are_empty_cells(block: np.ndarray, data: st.DataObject) -> None:
    n, k = block.shape
    present = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    expected = [
        repr_line(row) if ok else b"," * (k - 1) for row, ok in zip(block, present, strict=True)
    ]
    assert float_block(block, present) == expected


def test_float_block_one_dimensional_is_one_column() -> None:
    values = np.array([1.5, 1e-5, np.nan])
    assert float_block(values) == [b"1.5", b"1e-05", b"nan"]
    assert float_block(values, np.array([True, False, True])) == [b"1.5", b"", b"nan"]


def test_float_block_none_present_and_empty() -> None:
    values = np.zeros((3, 4))
    assert float_block(values, np.zeros(3, dtype=bool)) == [b",,,"] * 3
    assert float_block(np.zeros((0, 4))) == []
    assert float_block(np.zeros((0, 4)), np.zeros(0, dtype=bool)) == []


def test_float_block_accepts_float32_and_ints_like_player_floats() -> None:
    # Player's cells hold Python floats; a float32 column widens exactly first.
    values = np.array([[0.1, 3]], dtype=np.float32)
    expected = [",".join(repr(float(x)) for x in values[0].astype(np.float64)).encode()]
    assert float_block(values) == expected


@pytest.mark.parametrize("rows", [1, 100, 5000])
def test_float_block_large_random_blocks(rows: int) -> None:
    rng = np.random.default_rng(rows)
    scale = 10.0 ** rng.integers(-9, 19, size=(rows, 6))
    block = rng.normal(size=(rows, 6)) * scale
    block[rng.random((rows, 6)) < 0.01] = np.nan
    present = rng.random(rows) < 0.9
    expected = [repr_line(row) if ok else b",,,,," for row, ok in zip(block, present, strict=True)]
    assert float_block(block, present) == expected


# --- int_column -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([0, 1, 2, 4095], id="small"),
        pytest.param([4096, 0, 17], id="just-above-table"),
        pytest.param([-1, 5, 0], id="negative"),
        pytest.param([123456789, -987654321], id="large"),
        pytest.param([2**63 - 1, -(2**63)], id="int64-limits"),
        pytest.param([7], id="single"),
    ],
)
def test_int_column(values: list[int]) -> None:
    arr = np.array(values, dtype=np.int64)
    assert int_column(arr) == [str(v).encode() for v in values]
    present = np.arange(len(values)) % 2 == 0
    expected = [str(v).encode() if ok else b"" for v, ok in zip(values, present, strict=True)]
    assert int_column(arr, present) == expected


def test_int_column_empty_and_all_absent() -> None:
    assert int_column(np.array([], dtype=np.int64)) == []
    assert int_column(np.array([3, 9000]), np.zeros(2, dtype=bool)) == [b"", b""]


@FAST
@given(
    values=st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(0, 5000), max_size=30),
    data=st.data(),
)
def test_int_column_equals_str(values: list[int], data: st.DataObject) -> None:
    present = data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))
    got = int_column(np.array(values, dtype=np.int64), np.array(present, dtype=bool))
    assert got == [str(v).encode() if ok else b"" for v, ok in zip(values, present, strict=True)]


# --- text cells ---------------------------------------------------------------------------------

TEXTS = [
    "",
    "plain",
    "2d c++",
    "pye3d 0.3.0 real-time",
    "with,comma",
    'with "quotes"',
    '"',
    "line\nbreak",
    "trailing newline\n",
    "crlf\r\nend",
    " leading space",
    "tab\there",
    "naïve – 日本語 😀",
    "semi;colon",
    "1234.5-0 1234.6-1",
]


@pytest.mark.parametrize("text", TEXTS, ids=repr)
def test_csv_cell_equals_csv_writer(text: str) -> None:
    row = b",".join([csv_cell(text), csv_cell("x")]) + b"\r\n"
    assert row == player_row([text, "x"])


@pytest.mark.parametrize("text", ["carriage\rreturn", "trailing\r"], ids=repr)
def test_csv_cell_quotes_carriage_returns(text: str) -> None:
    assert b",".join([csv_cell(text), b"x"]) + b"\r\n" == player_row([text, "x"])


# Text as msgpack can hold it: any code point but surrogates.
cell_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
special_text = st.sampled_from(["\r", "\n", "a\rb", ",", '"'])


@FAST
@given(cells=st.lists(st.one_of(cell_text, special_text, st.none()), min_size=2, max_size=6))
@example(cells=["", ""])
@example(cells=[None, '"a",b'])
def test_text_column_rows_equal_csv_writer(cells: list[str | None]) -> None:
    columns = [text_column([c]) for c in cells]
    assert all(len(col) == 1 for col in columns)
    assert b",".join(col[0] for col in columns) + b"\r\n" == player_row(cells)


def test_text_column_caches_repeats_and_maps_none_to_empty() -> None:
    values = ["a,b", None, "a,b", "plain", None, ""]
    assert text_column(values) == [b'"a,b"', b"", b'"a,b"', b"plain", b"", b""]


def test_text_column_accepts_numpy_arrays() -> None:
    values = np.array(["x", "y,z", None], dtype=object)
    assert text_column(values) == [b"x", b'"y,z"', b""]
    assert text_column(np.array(["é", "ü"])) == ["é".encode(), "ü".encode()]


def test_text_column_empty() -> None:
    assert text_column([]) == []


# --- reference_line, header_line -----------------------------------------------------


@pytest.mark.parametrize(
    "cells",
    [
        pytest.param([1.5, None, "x", 3, 1e-05, float("nan")], id="mixed"),
        pytest.param(["a,b", 'q"q', "é"], id="quoting"),
        pytest.param([""], id="single-empty"),
        pytest.param([], id="empty-row"),
        pytest.param([1234.5678, 12, 0, -1], id="numbers"),
    ],
)
def test_reference_line_equals_csv_writer(cells: list[Any]) -> None:
    assert reference_line(cells) + b"\r\n" == player_row(cells)


@pytest.mark.parametrize("text", ["line\nbreak", "carriage\rreturn"], ids=repr)
def test_reference_line_quotes_line_breaks(text: str) -> None:
    assert reference_line([1.5, text, "x"]) + b"\r\n" == player_row([1.5, text, "x"])


def test_header_line() -> None:
    columns = ["pupil_timestamp", "world_index", "eye_id"]
    assert header_line(columns) == player_row(columns)
    assert header_line(columns) == b"pupil_timestamp,world_index,eye_id\r\n"


def test_blocks_and_columns_join_into_player_rows() -> None:
    ts = np.array([1234.5678, 1234.6, 1e-05])
    wi = np.array([0, 4096, 12])
    xy = np.array([[0.5, 0.25], [np.nan, 1e16], [0.1, 0.2]])
    present = np.array([True, False, True])
    method = ["2d c++", "pye3d 0.3.0 real-time", "a,b"]
    segments = [float_block(ts), int_column(wi), float_block(xy, present), text_column(method)]
    text = b"".join(b",".join(cells) + b"\r\n" for cells in zip(*segments, strict=True))
    expected = b"".join(
        player_row([t, int(w), *(list(p) if ok else [None, None]), m])
        for t, w, p, ok, m in zip(ts.tolist(), wi, xy.tolist(), present, method, strict=True)
    )
    assert text == expected
