"""Column chunks and the streaming stable sort of :mod:`gazeport.recording.columns`.

The oracle for ``sorted_chunks`` is ``np.argsort(data_ts, kind="stable")`` over the whole file:
the concatenated output must list exactly those file indices, in that order.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazeport.recording.columns import ColumnChunk, sorted_chunks

FAST = settings(max_examples=60, deadline=None)


def make_chunk(data_ts: np.ndarray, start: int, refs: Collection[int] = ()) -> ColumnChunk:
    """Rows ``start ..`` of a file; rows in ``refs`` carry reference cells naming their index."""
    n = data_ts.shape[0]
    file_index = np.arange(start, start + n, dtype=np.int64)
    values = {
        "timestamp": data_ts + 0.5,
        "data_ts": data_ts.copy(),
        "file_index": file_index,
        "x": file_index * 10.0,
    }
    present = {"x": file_index % 3 != 0}
    reference = {i: ["ref", int(fi)] for i, fi in enumerate(file_index.tolist()) if fi in refs}
    return ColumnChunk(values, present, reference)


def split(data_ts: np.ndarray, sizes: list[int], refs: Collection[int] = ()) -> list[ColumnChunk]:
    chunks, start = [], 0
    for size in sizes:
        if start >= data_ts.shape[0]:
            break
        chunks.append(make_chunk(data_ts[start : start + size], start, refs))
        start += size
    if start < data_ts.shape[0]:
        chunks.append(make_chunk(data_ts[start:], start, refs))
    return chunks


def check_chunk_consistent(chunk: ColumnChunk) -> None:
    """Every column of a row still belongs to the same file row."""
    fi = chunk.values["file_index"]
    assert chunk.values["x"].tolist() == (fi * 10.0).tolist()
    assert chunk.present["x"].tolist() == (fi % 3 != 0).tolist()
    assert np.array_equal(chunk.values["timestamp"], chunk.values["data_ts"] + 0.5)
    for row, cells in chunk.reference.items():
        assert 0 <= row < len(chunk)
        assert cells == ["ref", int(fi[row])]


def run(
    data_ts: np.ndarray,
    sizes: list[int],
    window: tuple[float, float] | None = None,
    refs: Collection[int] = (),
) -> tuple[list[int], set[int]]:
    out = list(sorted_chunks(split(data_ts, sizes, refs), data_ts, window))
    order: list[int] = []
    seen_refs: set[int] = set()
    for chunk in out:
        assert isinstance(chunk, ColumnChunk)
        assert len(chunk) > 0  # no empty chunks are emitted
        check_chunk_consistent(chunk)
        order += chunk.values["file_index"].tolist()
        seen_refs |= {cells[1] for cells in chunk.reference.values()}
    return order, seen_refs


def expected_order(data_ts: np.ndarray, window: tuple[float, float] | None) -> list[int]:
    order = np.argsort(data_ts, kind="stable")
    if window is not None:
        lo, hi = window
        order = order[(data_ts[order] >= lo) & (data_ts[order] < hi)]
    return order.tolist()


@st.composite
def nearly_sorted(draw: st.DrawFn) -> np.ndarray:
    """Timestamps on a coarse grid (many duplicates) with random local disorder."""
    n = draw(st.integers(0, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ts = np.sort(rng.integers(0, max(1, n // 2), n)).astype(np.float64) / 4
    for _ in range(draw(st.integers(0, 40))):
        i = int(rng.integers(max(1, n)))
        j = min(n - 1, i + int(rng.integers(1, 8)))
        if n:
            ts[[i, j]] = ts[[j, i]]
    if draw(st.booleans()) and n:  # one far outlier going backwards in time
        ts[int(rng.integers(n))] = -3.0
    return ts


sizes = st.lists(st.integers(1, 50), min_size=1, max_size=40)
windows = st.one_of(
    st.none(),
    st.tuples(st.integers(-20, 100), st.integers(0, 100)).map(
        lambda p: (p[0] / 4, (p[0] + p[1]) / 4)
    ),
)


@FAST
@given(data_ts=nearly_sorted(), chunk_sizes=sizes, window=windows)
def test_sorted_chunks_is_a_stable_argsort(
    data_ts: np.ndarray, chunk_sizes: list[int], window: tuple[float, float] | None
) -> None:
    refs = set(range(0, data_ts.shape[0], 7))
    order, seen_refs = run(data_ts, chunk_sizes, window, refs)
    assert order == expected_order(data_ts, window)
    assert seen_refs == refs & set(order)


@pytest.mark.parametrize("window", [None, (2.0, 5.0)], ids=["all", "window"])
def test_sorted_chunks_with_many_equal_timestamps(window: tuple[float, float] | None) -> None:
    data_ts = np.array([3.0, 1.0, 1.0, 3.0, 2.0, 1.0, 5.0, 2.0, 2.0, 4.0, 0.5, 5.0])
    order, _ = run(data_ts, [2, 3, 1, 4, 2], window)
    assert order == expected_order(data_ts, window)


def test_sorted_chunks_sorted_input_passes_chunks_through() -> None:
    data_ts = np.arange(20.0)
    chunks = split(data_ts, [5, 5, 5, 5])
    out = list(sorted_chunks(chunks, data_ts))
    assert [c.values["file_index"].tolist() for c in out] == [
        c.values["file_index"].tolist() for c in chunks
    ]


def test_sorted_chunks_window_is_half_open() -> None:
    data_ts = np.array([0.0, 1.0, 2.0, 3.0, 2.0, 1.0])
    order, _ = run(data_ts, [2, 2, 2], (1.0, 3.0))
    assert order == [1, 5, 2, 4]


def test_sorted_chunks_releases_rows_early_for_nearly_sorted_data() -> None:
    # Eye frames interleave slightly out of order; rows must not pile up until the end.
    rng = np.random.default_rng(3)
    data_ts = np.arange(10_000) / 400 + rng.normal(0, 0.002, 10_000)
    chunks = split(data_ts, [500] * 20)
    consumed = 0

    def feed() -> Any:
        nonlocal consumed
        for chunk in chunks:
            consumed += 1
            yield chunk

    out = sorted_chunks(feed(), data_ts)
    first = next(out)
    assert consumed <= 2
    order = first.values["file_index"].tolist() + [
        i for c in out for i in c.values["file_index"].tolist()
    ]
    assert order == expected_order(data_ts, None)


def test_sorted_chunks_skips_empty_chunks_and_empty_input() -> None:
    data_ts = np.array([2.0, 1.0])
    empty = make_chunk(np.empty(0), 0)
    chunks = [empty, make_chunk(data_ts[:1], 0), empty, make_chunk(data_ts[1:], 1)]
    out = list(sorted_chunks(chunks, data_ts))
    assert [i for c in out for i in c.values["file_index"].tolist()] == [1, 0]
    assert list(sorted_chunks([], np.empty(0))) == []


@pytest.mark.parametrize(
    "data_ts",
    [np.array([3.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0])],
    ids=["unsorted", "sorted"],
)
def test_sorted_chunks_window_excluding_everything(data_ts: np.ndarray) -> None:
    assert run(data_ts, [1, 1, 1], (10.0, 20.0))[0] == []


def test_sorted_chunks_sorted_input_with_window() -> None:
    data_ts = np.arange(12.0)
    order, _ = run(data_ts, [3, 3, 3, 3], (4.0, 7.0))
    assert order == [4, 5, 6]


# --- take / concat ----------------------------------------------------------------------------


def test_take_with_indices_maps_reference_rows() -> None:
    chunk = make_chunk(np.arange(6.0), 10, refs={11, 14})
    assert chunk.reference == {1: ["ref", 11], 4: ["ref", 14]}
    taken = chunk.take(np.array([4, 0, 1]))
    assert taken.values["file_index"].tolist() == [14, 10, 11]
    assert taken.reference == {0: ["ref", 14], 2: ["ref", 11]}
    check_chunk_consistent(taken)


def test_take_with_boolean_mask() -> None:
    chunk = make_chunk(np.arange(5.0), 0, refs={1, 3})
    taken = chunk.take(np.array([False, False, True, True, True]))
    assert taken.values["file_index"].tolist() == [2, 3, 4]
    assert taken.reference == {1: ["ref", 3]}
    check_chunk_consistent(taken)


def test_take_nothing() -> None:
    chunk = make_chunk(np.arange(3.0), 0, refs={0})
    taken = chunk.take(np.zeros(3, dtype=bool))
    assert len(taken) == 0
    assert taken.reference == {}
    assert set(taken.values) == set(chunk.values)


def test_concat_offsets_reference_rows() -> None:
    a = make_chunk(np.arange(3.0), 0, refs={2})
    b = make_chunk(np.arange(2.0), 3, refs={3, 4})
    c = make_chunk(np.arange(4.0), 5, refs={8})
    joined = ColumnChunk.concat([a, b, c])
    assert len(joined) == 9
    assert joined.values["file_index"].tolist() == list(range(9))
    assert joined.reference == {2: ["ref", 2], 3: ["ref", 3], 4: ["ref", 4], 8: ["ref", 8]}
    check_chunk_consistent(joined)


def test_concat_of_one_chunk_and_decode() -> None:
    a = make_chunk(np.arange(3.0), 0, refs={1})
    assert ColumnChunk.concat([a]) is a
    assert a.decode() is a


@FAST
@given(
    n=st.integers(0, 40),
    data=st.data(),
)
def test_take_then_concat_round_trip(n: int, data: st.DataObject) -> None:
    refs = set(data.draw(st.lists(st.integers(0, max(0, n - 1)), max_size=10))) if n else set()
    chunk = make_chunk(np.arange(float(n)), 0, refs)
    perm = np.array(data.draw(st.permutations(range(n))), dtype=np.int64)
    cut = data.draw(st.integers(0, n))
    parts = [chunk.take(perm[:cut]), chunk.take(perm[cut:])]
    joined = ColumnChunk.concat(parts)
    assert joined.values["file_index"].tolist() == perm.tolist()
    check_chunk_consistent(joined)
    assert {cells[1] for cells in joined.reference.values()} == refs
