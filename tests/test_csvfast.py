"""The C formatter ``gazeport._csvfast`` against Python itself: ``repr`` for floats, ``str`` for
ints and ``b",".join`` for the CSV framing.

The extension only exists where it was compiled; without it these tests are skipped (the pure
route in :mod:`gazeport.exporters.csv_text` is tested on its own).
"""

from __future__ import annotations

import math
import struct
import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

csvfast = pytest.importorskip("gazeport._csvfast")

FAST = settings(max_examples=200, deadline=None)

EDGE_FLOATS = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    1e-323,
    2.2250738585072009e-308,  # largest subnormal
    2.2250738585072014e-308,  # smallest normal
    1e-320,
    1e-5,
    -1e-5,
    9.999999999999999e-05,
    0.0001,
    0.00012345,
    0.001,
    0.1,
    1 / 3,
    0.5,
    1.0,
    -2.0,
    100.0,
    1234.5678,
    123456789012345.6,
    1e15,
    1234567890123456.0,
    9999999999999998.0,
    1e16,
    -1e16,
    12345678901234567.0,
    1.5e17,
    1e22,
    1e23,
    1.5e300,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    float(2**53 - 1),
    float(2**53),
    float(2**53 + 2),
    float(2**63),
    float(2**64),
    float("nan"),
    -float("nan"),
    float("inf"),
    float("-inf"),
]
# Families checked vectorised: every power of 2 (the uneven rounding interval at each binade's
# start) and its neighbours, powers of 10 and their neighbours, integers around 2**53.
POW2 = [math.ldexp(1.0, e) for e in range(-1074, 1024)]
POW10 = [float(f"1e{e}") for e in range(-323, 309)]
FAMILIES = (
    POW2
    + [math.nextafter(x, math.inf) for x in POW2]
    + [math.nextafter(x, 0.0) for x in POW2]
    + POW10
    + [math.nextafter(x, math.inf) for x in POW10]
    + [math.nextafter(x, 0.0) for x in POW10]
    + [float(i) for i in range(2**53 - 2000, 2**53 + 2000)]
    + [float(i) * 10.0**e for i in range(1, 100) for e in range(-6, 20)]
)


def floats_text(values: np.ndarray) -> bytes:
    """All values rendered as one 'f' column: the vectorised way to call the C formatter."""
    values = np.asarray(values, dtype=np.float64)
    return csvfast.render_rows(len(values), [("f", values, None)])


def repr_text(values: np.ndarray) -> bytes:
    return b"".join(repr(x).encode() + b"\r\n" for x in np.asarray(values).tolist())


def assert_floats_match(values: np.ndarray) -> None:
    got = floats_text(values)
    want = repr_text(values)
    if got != want:  # name the first few culprits, not two huge byte strings
        pairs = zip(got.split(b"\r\n"), want.split(b"\r\n"), strict=True)
        bad = [(g, w) for g, w in pairs if g != w][:5]
        pytest.fail(f"C text differs from repr: {bad}")


# --- float_repr -------------------------------------------------------------------------------


@pytest.mark.parametrize("x", EDGE_FLOATS, ids=repr)
def test_float_repr_edges(x: float) -> None:
    assert csvfast.float_repr(x) == repr(x).encode()


def test_float_repr_nan_payloads_and_signs() -> None:
    """repr writes every NaN as 'nan', whatever its sign or payload."""
    for bits in (0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001, 0xFFFFFFFFFFFFFFFF):
        (x,) = struct.unpack("<d", struct.pack("<Q", bits))
        assert csvfast.float_repr(x) == b"nan"


@FAST
@given(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True))
@example(5e-324)
@example(1e16)
def test_float_repr_hypothesis(x: float) -> None:
    assert csvfast.float_repr(x) == repr(x).encode()


def test_float_repr_takes_what_float_takes() -> None:
    assert csvfast.float_repr(3) == b"3.0"
    assert csvfast.float_repr(np.float32(0.1)) == repr(float(np.float32(0.1))).encode()
    with pytest.raises(TypeError):
        csvfast.float_repr("1.0")


def test_floats_edge_families_vectorised() -> None:
    values = np.array(EDGE_FLOATS + FAMILIES)
    assert_floats_match(values)
    assert_floats_match(-values)


def test_floats_random_bit_patterns() -> None:
    """Over a million doubles drawn uniformly over all bit patterns (every exponent, subnormals,
    NaN payloads): Ryu's digits and the notation rules must match repr for each."""
    rng = np.random.default_rng(20261203)
    bits = rng.integers(0, 2**64, size=1_048_576, dtype=np.uint64, endpoint=False)
    assert_floats_match(bits.view(np.float64))


def test_floats_pupil_like_and_short_decimals() -> None:
    """Values as recordings hold them (timestamps, normalised coordinates, rounded numbers)."""
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            rng.uniform(0, 1, 20_000),
            1e5 + rng.uniform(0, 1e4, 20_000),
            rng.normal(0, 30, 20_000),
            *(np.round(rng.uniform(-1e4, 1e4, 2_000), d) for d in range(12)),
            rng.integers(-(10**17), 10**17, 20_000).astype(np.float64),
            rng.integers(1, 2**52, 20_000, dtype=np.uint64).view(np.float64),  # subnormals
        ]
    )
    assert_floats_match(values)


# --- render_rows ------------------------------------------------------------------------------


def reference_rows(n: int, columns: list[tuple[Any, ...]], overrides: dict[int, bytes]) -> bytes:
    """The same rows the straightforward way: repr / str per cell, b",".join per row."""
    out = []
    for i in range(n):
        if i in overrides:
            out.append(overrides[i] + b"\r\n")
            continue
        cells = []
        for col in columns:
            if col[0] == "b":
                cells.append(col[1][i])
                continue
            kind, values, present = col
            if present is not None and not present[i]:
                cells.append(b"")
            elif kind == "f":
                cells.append(repr(float(values[i])).encode())
            else:
                cells.append(str(int(values[i])).encode())
        out.append(b",".join(cells) + b"\r\n")
    return b"".join(out)


def random_table(
    rng: np.random.Generator, n: int
) -> tuple[list[tuple[Any, ...]], dict[int, bytes], np.ndarray]:
    """A mixed table: strided float columns of a 2-D block, ints, text cells, missing cells."""
    block = rng.normal(0, 1e3, size=(n, 6)) * 10.0 ** rng.integers(-8, 20, size=(n, 6))
    block[rng.random((n, 6)) < 0.05] = np.nan
    ints = rng.integers(-(2**63), 2**63 - 1, size=n, dtype=np.int64, endpoint=True)
    small = rng.integers(0, 5000, size=2 * n, dtype=np.int64)[::2]  # strided ints
    words = [b"", b"plain", b'"quoted, text"', "é".encode(), b"x" * 300]
    cells = [words[j] for j in rng.integers(0, len(words), size=n)]
    present = rng.random(n) < 0.7
    columns: list[tuple[Any, ...]] = [
        ("f", block[:, 0], None),
        ("i", ints, None),
        ("f", block[:, 3], present),
        ("b", cells),
        ("f", block[::-1, 5], rng.random(n) < 0.5),  # negative stride
        ("i", small, ~present),
        ("f", np.ascontiguousarray(block[:, 1]), np.ones(n, dtype=np.uint8)),
    ]
    overrides = {int(i): b"row %d, the slow way" % i for i in rng.choice(n, size=n // 10)}
    return columns, overrides, block


@pytest.mark.parametrize("n", [1, 2, 17, 1000])
def test_render_rows_matches_reference(n: int) -> None:
    rng = np.random.default_rng(n)
    columns, overrides, _ = random_table(rng, n)
    assert csvfast.render_rows(n, columns, overrides) == reference_rows(n, columns, overrides)
    assert csvfast.render_rows(n, columns) == reference_rows(n, columns, {})
    assert csvfast.render_rows(n, columns, None) == reference_rows(n, columns, {})


@FAST
@given(st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_render_rows_random_tables(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    columns, overrides, _ = random_table(rng, max(n, 1))
    columns = [(c[0], c[1][:n], *(p if p is None else p[:n] for p in c[2:])) for c in columns]
    overrides = {i: t for i, t in overrides.items() if i < n}
    assert csvfast.render_rows(n, columns, overrides) == reference_rows(n, columns, overrides)


def test_render_rows_empty() -> None:
    empty = np.zeros(0)
    assert csvfast.render_rows(0, [("f", empty, None), ("b", [])]) == b""
    assert csvfast.render_rows(0, []) == b""
    assert csvfast.render_rows(3, []) == b"\r\n" * 3  # rows of no cells
    assert csvfast.render_rows(2, [("b", [b"", b""])]) == b"\r\n\r\n"


def test_render_rows_one_row_and_all_missing() -> None:
    values = np.array([1e-5, 2.0])
    missing = np.zeros(2, dtype=bool)
    assert csvfast.render_rows(1, [("f", values[:1], None)]) == b"1e-05\r\n"
    assert csvfast.render_rows(2, [("f", values, missing)] * 3) == b",,\r\n,,\r\n"
    assert csvfast.render_rows(2, [("f", values, None)], {0: b"a", 1: b""}) == b"a\r\n\r\n"


def test_render_rows_int_extremes() -> None:
    ints = np.array([0, -1, 9, 10, 99, 100, -(2**63), 2**63 - 1, 10**18, -(10**17)], np.int64)
    want = b"".join(b"%d\r\n" % i for i in ints.tolist())
    assert csvfast.render_rows(len(ints), [("i", ints, None)]) == want


def test_render_rows_accepts_other_buffers() -> None:
    """Any buffer of the right format works (the module needs no numpy)."""
    import array

    floats = array.array("d", [0.5, 1e300])
    ints = array.array("q", [7, -7])
    present = bytes([1, 0])
    got = csvfast.render_rows(2, [("f", floats, present), ("i", memoryview(ints), None)])
    assert got == b"0.5,7\r\n,-7\r\n"


def test_render_rows_broadcast_and_strided_present() -> None:
    """Zero strides (a broadcast value) and a present mask sliced from a 2-D array."""
    values = np.broadcast_to(np.float64(0.25), (4,))
    ints = np.broadcast_to(np.int64(-3), (4,))
    mask = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=bool)
    got = csvfast.render_rows(4, [("f", values, mask[:, 0]), ("i", ints, mask[:, 1])])
    assert got == b"0.25,\r\n,-3\r\n0.25,-3\r\n,\r\n"


def test_render_rows_keeps_inputs() -> None:
    """Cells are read, not stolen: inputs keep their values and reference counts."""
    import sys

    cell = b"unique cell text"
    before = sys.getrefcount(cell)
    values = np.arange(3.0)
    for _ in range(100):
        csvfast.render_rows(3, [("b", [cell] * 3), ("f", values, None)], {1: cell})
    assert sys.getrefcount(cell) == before
    assert values.tolist() == [0.0, 1.0, 2.0]


# --- bad input --------------------------------------------------------------------------------

F3 = np.zeros(3)
BAD_CALLS: list[tuple[Any, Any, Any, type[Exception]]] = [
    (3, [("f", np.zeros(2), None)], None, ValueError),  # wrong length
    (3, [("f", F3, np.ones(2, bool))], None, ValueError),
    (3, [("b", [b"a", b"b"])], None, ValueError),
    (3, [("f", np.zeros(3, np.float32), None)], None, TypeError),  # wrong dtype
    (3, [("f", np.zeros(3, np.int64), None)], None, TypeError),
    (3, [("i", F3, None)], None, TypeError),
    (3, [("i", np.zeros(3, np.uint64), None)], None, TypeError),
    (3, [("i", np.zeros(3, np.int32), None)], None, TypeError),
    (3, [("f", F3, np.ones(3, np.int64))], None, TypeError),
    (3, [("f", np.zeros(3, ">f8" if np.little_endian else "<f8"), None)], None, TypeError),
    (3, [("i", np.zeros(3, ">i8" if np.little_endian else "<i8"), None)], None, TypeError),
    (3, [("f", np.zeros((3, 2)), None)], None, TypeError),  # not 1-D
    (3, [("f", [0.0, 1.0, 2.0], None)], None, TypeError),  # not a buffer
    (3, [("f", None, None)], None, TypeError),
    (3, [("b", [b"a", "b", b"c"])], None, TypeError),  # str cell
    (3, [("b", 5)], None, TypeError),
    (3, [("x", F3, None)], None, ValueError),  # wrong kind letter
    (3, [("ff", F3, None)], None, ValueError),
    (3, [(b"f", F3, None)], None, ValueError),
    (3, [("f", F3)], None, TypeError),  # wrong tuple shape
    (3, [("b", [b""] * 3, None)], None, TypeError),
    (3, [["f", F3, None]], None, TypeError),
    (3, ["f"], None, TypeError),
    (3, 5, None, TypeError),
    (-1, [], None, ValueError),
    (3, [("f", F3, None)], {3: b"x"}, ValueError),  # override row out of range
    (3, [("f", F3, None)], {-1: b"x"}, ValueError),
    (3, [("f", F3, None)], {2**70: b"x"}, ValueError),
    (3, [("f", F3, None)], {"0": b"x"}, TypeError),
    (3, [("f", F3, None)], {0: "x"}, TypeError),
    (3, [("f", F3, None)], [(0, b"x")], TypeError),
]


@pytest.mark.parametrize(("n", "columns", "overrides", "error"), BAD_CALLS)
def test_render_rows_rejects_bad_input(
    n: int, columns: Any, overrides: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        csvfast.render_rows(n, columns, overrides)


def test_render_rows_bad_column_after_good_ones_releases_them() -> None:
    """A failure midway must release the buffers already taken (else the array stays locked)."""
    values = np.zeros(3)
    for _ in range(3):
        with pytest.raises(TypeError):
            csvfast.render_rows(3, [("f", values, None), ("f", "nope", None)])
    values.resize(5, refcheck=False)  # raises BufferError if a view were still held


# --- threads ----------------------------------------------------------------------------------


def test_render_rows_two_threads() -> None:
    """Two threads formatting at once (without the GIL) each get their own, correct text."""
    rng = np.random.default_rng(3)
    tables = [random_table(rng, 20_000) for _ in range(2)]
    wants = [csvfast.render_rows(20_000, cols, ov) for cols, ov, _ in tables]
    assert wants[0] == reference_rows(20_000, tables[0][0], tables[0][1])
    results: list[list[bytes]] = [[], []]
    barrier = threading.Barrier(2)

    def work(k: int) -> None:
        cols, ov, _ = tables[k]
        barrier.wait()
        for _ in range(10):
            results[k].append(csvfast.render_rows(20_000, cols, ov))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(2):
        assert len(results[k]) == 10
        assert all(r == wants[k] for r in results[k])


def test_render_rows_releases_the_gil() -> None:
    """While one thread formats a large column, another keeps running Python code: the longest
    pause of the other thread's loop stays well below the formatting call's duration (with the
    GIL held it would span the whole call)."""
    import time

    values = np.random.default_rng(5).normal(0, 1, 3_000_000)
    span: list[float] = []
    done = threading.Event()

    def work() -> None:
        t0 = time.perf_counter()
        csvfast.render_rows(len(values), [("f", values, None)])
        span.append(time.perf_counter() - t0)
        done.set()

    worker = threading.Thread(target=work)
    last = time.perf_counter()
    longest = 0.0
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    worker.join()
    assert longest < 0.5 * span[0], (longest, span[0])
