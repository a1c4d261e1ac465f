"""Time arithmetic of :mod:`gazeport.timeseries` against brute-force oracles written here.

The oracles restate Pupil Player's rules (spec sections 3.2 and 4) element by element, with plain
Python loops, so they share no code path with the vectorised library functions.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gazeport import timeseries
from gazeport.timeseries import (
    enclosing_window,
    exact_window,
    fill_gaps,
    find_closest,
    in_window,
    repair_backward_jumps,
    stable_order,
    window_slice,
)

FAST = settings(max_examples=60, deadline=None)

# Bounded finite floats: differences never overflow, so the oracle's arithmetic is well defined.
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
# Multiples of 1/64 below 2**20: sums and halves of these are exact, so midpoints are exact ties.
dyadic = st.integers(min_value=-(2**20), max_value=2**20).map(lambda k: k / 64)


# --- oracles ----------------------------------------------------------------------------------


def closest_oracle(target: list[float], source: list[float]) -> list[int]:
    """Nearest target index per source value; an exact tie goes to the later index.

    Distances are computed exactly (fractions), so use it where float differences are exact.
    """
    out = []
    for s in source:
        best = 0
        for j, t in enumerate(target):
            if abs(Fraction(t) - Fraction(s)) <= abs(Fraction(target[best]) - Fraction(s)):
                best = j
        out.append(best)
    return out


def player_closest_oracle(target: list[float], source: list[float]) -> list[int]:
    """Player's float rule, with the two neighbours found by a linear scan.

    The later neighbour is the first target >= s (clamped to 1..n-1); the earlier one wins only
    if its float distance is strictly smaller.
    """
    n = len(target)
    if n == 1:
        return [0] * len(source)
    out = []
    for s in source:
        i = next((j for j, t in enumerate(target) if t >= s), n)
        i = min(max(i, 1), n - 1)
        out.append(i - 1 if s - target[i - 1] < target[i] - s else i)
    return out


def repair_oracle(ts: list[float]) -> list[float]:
    """Player's ``_fix_negative_time_jumps`` restated with loops (spec 3.2 step 1)."""
    orig = list(ts)
    out = list(ts)
    n = len(orig)
    jumps = [i for i in range(n - 1) if orig[i + 1] < orig[i]]
    last_jumps = bool(jumps) and jumps[-1] == n - 2
    for i in jumps:
        if i + 1 < n - 1:
            out[i + 1] = (orig[i] + orig[i + 2]) / 2.0
    if last_jumps:
        out[-1] = out[-2] + (out[-2] - out[-3])
    return out


def fill_gaps_oracle(ts: list[float]) -> list[float]:
    """Player's ``VideoSet._fill_gaps`` restated (spec 3.2 step 2)."""
    diffs = [b - a for a, b in pairwise(ts)]
    m = float(np.median(diffs))
    out = list(ts)
    for i, d in enumerate(diffs):
        if d > max(1.0, m):
            out.extend(np.arange(ts[i] + m, ts[i + 1] - m, m).tolist())
    return sorted(out)


# --- find_closest -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "source", "expected"),
    [
        pytest.param([0.0, 1.0, 2.0], [0.5, 1.5], [1, 2], id="exact-tie-goes-later"),
        pytest.param([0.0, 1.0, 2.0], [0.49, 0.51], [0, 1], id="either-side-of-midpoint"),
        pytest.param([10.0, 11.0], [-5.0, 9.99, 10.0], [0, 0, 0], id="before-first-is-0"),
        pytest.param([10.0, 11.0, 12.0], [12.0, 12.5, 1e9], [2, 2, 2], id="after-last-is-last"),
        pytest.param([3.0], [-1.0, 3.0, 7.0], [0, 0, 0], id="single-target"),
        pytest.param([0.0, 1.0], [], [], id="empty-source"),
        pytest.param([0.0, 4.0, 5.0], [2.0, 2.0001, 4.5], [1, 1, 2], id="uneven-spacing"),
    ],
)
def test_find_closest_examples(
    target: list[float], source: list[float], expected: list[int]
) -> None:
    got = find_closest(np.array(target), np.array(source))
    assert got.dtype == np.int64
    assert got.tolist() == expected


def test_find_closest_empty_target_raises() -> None:
    with pytest.raises(ValueError, match="at least one target"):
        find_closest(np.array([]), np.array([1.0]))


def test_find_closest_keeps_source_shape() -> None:
    got = find_closest(np.array([0.0, 1.0, 2.0]), np.array([[0.1, 1.9], [1.5, -3.0]]))
    assert got.tolist() == [[0, 2], [2, 0]]


@FAST
@given(
    target=st.lists(dyadic, min_size=1, max_size=30, unique=True).map(sorted),
    source=st.lists(dyadic, max_size=30),
)
def test_find_closest_matches_brute_force(target: list[float], source: list[float]) -> None:
    # Probe the targets themselves and their midpoints too: that is where the rules bite.
    probes = source + target + [(a + b) / 2 for a, b in pairwise(target)]
    got = find_closest(np.array(target), np.array(probes))
    assert got.tolist() == closest_oracle(target, probes)


@FAST
@given(
    target=st.lists(finite, min_size=1, max_size=30, unique=True).map(sorted),
    source=st.lists(finite, max_size=30),
)
@example(target=[-1.0, 0.0, 6.151639374724633e-94], source=[-0.5, 3.0758196873623165e-94])
def test_find_closest_matches_player_float_rule(target: list[float], source: list[float]) -> None:
    # Arbitrary floats: rounding of the two differences decides, exactly as in Player.
    probes = source + target + [(a + b) / 2 for a, b in pairwise(target)]
    got = find_closest(np.array(target), np.array(probes))
    assert got.tolist() == player_closest_oracle(target, probes)


@FAST
@given(
    target=st.lists(dyadic, min_size=1, max_size=30).map(sorted),
    source=st.lists(dyadic, max_size=30),
)
def test_find_closest_with_repeated_targets_picks_a_nearest_value(
    target: list[float], source: list[float]
) -> None:
    # With repeated target values the index among equal values is Player's searchsorted choice;
    # the value chosen must still be the nearest one, ties going to the larger value.
    probes = source + [(a + b) / 2 for a, b in pairwise(target)]
    got = find_closest(np.array(target), np.array(probes))
    for s, i in zip(probes, got.tolist(), strict=True):
        assert target[i] == target[closest_oracle(target, [s])[0]]


@FAST
@given(
    target=st.lists(dyadic, min_size=1, max_size=25, unique=True).map(sorted),
    source=st.lists(dyadic, max_size=40),
)
def test_enclosing_windows_group_data_exactly_like_find_closest(
    target: list[float], source: list[float]
) -> None:
    # Spec 4.2: the per-frame windows partition time the same way find_closest assigns frames.
    t = np.array(target)
    probes = np.array(source + target + [(a + b) / 2 for a, b in pairwise(target)])
    closest = find_closest(t, probes)
    for i in range(len(target)):
        window = enclosing_window(t, i)
        assert in_window(probes, window).tolist() == (closest == i).tolist()


# --- windows ----------------------------------------------------------------------------------


def test_enclosing_window_midpoints_and_open_ends() -> None:
    t = np.array([1.0, 2.0, 4.0, 8.0])
    assert enclosing_window(t, 0) == (-np.inf, 1.5)
    assert enclosing_window(t, 1) == (1.5, 3.0)
    assert enclosing_window(t, 2) == (3.0, 6.0)
    assert enclosing_window(t, 3) == (6.0, np.inf)


def test_enclosing_window_of_single_frame_is_everything() -> None:
    assert enclosing_window(np.array([5.0]), 0) == (-np.inf, np.inf)


def test_enclosing_window_returns_python_floats() -> None:
    lo, hi = enclosing_window(np.array([1.0, 2.0, 3.0]), 1)
    assert type(lo) is float
    assert type(hi) is float


@pytest.mark.parametrize(
    ("index_range", "expected"),
    [
        pytest.param((0, 3), (1.0, 8.0), id="full"),
        pytest.param((1, 2), (2.0, 4.0), id="inner"),
        pytest.param((2, 2), (4.0, 4.0), id="single-frame"),
        pytest.param((1, 4), (2.0, 8.0), id="stop-past-end-clamped"),
        pytest.param((0, 99), (1.0, 8.0), id="stop-far-past-end-clamped"),
    ],
)
def test_exact_window(index_range: tuple[int, int], expected: tuple[float, float]) -> None:
    got = exact_window(np.array([1.0, 2.0, 4.0, 8.0]), index_range)
    assert got == expected
    assert all(type(v) is float for v in got)


def test_window_is_half_open() -> None:
    ts = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    window = (2.0, 4.0)
    assert in_window(ts, window).tolist() == [False, True, True, True, False]
    assert window_slice(ts, window) == slice(1, 4)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        pytest.param((-np.inf, np.inf), slice(0, 4), id="infinite"),
        pytest.param((10.0, 20.0), slice(4, 4), id="after-all"),
        pytest.param((-5.0, 0.0), slice(0, 0), id="before-all"),
        pytest.param((3.0, 3.0), slice(2, 2), id="empty-at-a-sample"),
        pytest.param((3.5, 1.0), slice(3, 3), id="reversed-is-empty"),
    ],
)
def test_window_slice_edges(window: tuple[float, float], expected: slice) -> None:
    assert window_slice(np.array([1.0, 2.0, 3.0, 4.0]), window) == expected


@FAST
@given(
    ts=st.lists(dyadic, max_size=40).map(sorted),
    lo=dyadic,
    width=st.integers(min_value=-64, max_value=2000).map(lambda k: k / 64),
)
def test_window_slice_and_in_window_match_brute_force(
    ts: list[float], lo: float, width: float
) -> None:
    hi = lo + width
    arr = np.array(ts, dtype=np.float64)
    expected = [lo <= t < hi for t in ts]
    assert in_window(arr, (lo, hi)).tolist() == expected
    selected = arr[window_slice(arr, (lo, hi))]
    assert selected.tolist() == [t for t in ts if lo <= t < hi]


# --- stable_order -----------------------------------------------------------------------------


def test_stable_order_keeps_file_order_of_equal_timestamps() -> None:
    ts = np.array([3.0, 1.0, 3.0, 1.0, 2.0, 1.0])
    order = stable_order(ts)
    assert order.dtype == np.int64
    assert order.tolist() == [1, 3, 5, 4, 0, 2]


@FAST
@given(ts=st.lists(st.integers(min_value=0, max_value=5).map(float), max_size=60))
def test_stable_order_matches_python_sort(ts: list[float]) -> None:
    expected = sorted(range(len(ts)), key=ts.__getitem__)  # sorted() is stable
    assert stable_order(np.array(ts, dtype=np.float64)).tolist() == expected


# --- repair_backward_jumps --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        pytest.param([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], id="no-jump"),
        pytest.param([0.0, 1.0, -7.0, 3.0, 4.0], [0.0, 1.0, 2.0, 3.0, 4.0], id="one-jump"),
        pytest.param([0.0, 1.0, 2.0, 3.0, -1.0], [0.0, 1.0, 2.0, 3.0, 4.0], id="last-extrapolated"),
        pytest.param([0.0, 9.0, 2.0, 3.0, 4.0], [0.0, 9.0, 6.0, 3.0, 4.0], id="spike-repairs-next"),
        pytest.param(
            # Both repairs read the original values: index 3 uses the original -5.0 at index 2,
            # not its repaired -2.5 (which would give 0.75).
            [0.0, 1.0, -5.0, -6.0, 4.0],
            [0.0, 1.0, -2.5, -0.5, 4.0],
            id="adjacent-jumps-from-originals",
        ),
        pytest.param(
            # Index 3 is repaired first (mean of 2 and 6 -> 4.0), then the last one is
            # extrapolated from the repaired value: 4 + (4 - 2) = 6.
            [0.0, 1.0, 2.0, -9.0, 6.0, 0.5],
            [0.0, 1.0, 2.0, 4.0, 6.0, 8.0],
            id="last-after-other-repairs",
        ),
        pytest.param([5.0, 6.0, 6.0, 7.0], [5.0, 6.0, 6.0, 7.0], id="equal-is-not-a-jump"),
        pytest.param([], [], id="empty"),
        pytest.param([4.0], [4.0], id="single"),
    ],
)
def test_repair_backward_jumps_examples(ts: list[float], expected: list[float]) -> None:
    assert repair_backward_jumps(np.array(ts, dtype=np.float64)).tolist() == expected


@FAST
@given(ts=st.lists(dyadic, min_size=3, max_size=40))
def test_repair_backward_jumps_matches_player_rule(ts: list[float]) -> None:
    original = np.array(ts, dtype=np.float64)
    keep = original.copy()
    got = repair_backward_jumps(original)
    assert got.tolist() == repair_oracle(ts)
    assert np.array_equal(original, keep)  # input untouched
    assert not np.shares_memory(got, original)


@FAST
@given(ts=st.lists(finite, min_size=3, max_size=40))
@example(ts=[0.1, 0.7, 0.3, 0.9, 0.2])
def test_repair_backward_jumps_matches_player_rule_any_floats(ts: list[float]) -> None:
    assert repair_backward_jumps(np.array(ts)).tolist() == repair_oracle(ts)


def test_repair_backward_jumps_returns_a_copy_without_jumps() -> None:
    ts = np.array([1.0, 2.0, 3.0])
    got = repair_backward_jumps(ts)
    got[0] = 99.0
    assert ts.tolist() == [1.0, 2.0, 3.0]


# --- fill_gaps --------------------------------------------------------------------------------


def test_fill_gaps_without_gaps_is_unchanged() -> None:
    ts = np.arange(100) / 30.0 + 12.0
    assert fill_gaps(ts).tolist() == ts.tolist()


def test_fill_gaps_inserts_virtual_frames_on_median_grid() -> None:
    ts = np.array([0.0, 0.5, 1.0, 1.5, 5.0, 5.5])
    # m = 0.5, the 3.5 s gap is filled with arange(2.0, 4.5, 0.5).
    assert fill_gaps(ts).tolist() == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 5.5]


def test_fill_gaps_threshold_is_at_least_one_second() -> None:
    # m = 0.25; the 1.0 s difference is not > max(1, m), the 1.25 s one is.
    ts = np.array([0.0, 0.25, 0.5, 1.5, 1.75, 2.0, 3.25, 3.5])
    expected = [0.0, 0.25, 0.5, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.25, 3.5]
    assert fill_gaps(ts).tolist() == expected


def test_fill_gaps_threshold_is_the_median_when_above_one_second() -> None:
    # m = 2: a 2 s step is no gap, the 6 s step gets arange(8, 10, 2) = [8].
    ts = np.array([0.0, 2.0, 4.0, 6.0, 12.0])
    assert fill_gaps(ts).tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 12.0]


def test_fill_gaps_sorts_concatenated_parts() -> None:
    # Two video parts whose timestamps overlap: the result is sorted, nothing is dropped.
    ts = np.array([0.0, 0.5, 1.0, 0.25, 0.75])
    assert fill_gaps(ts).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("ts", [[], [3.0]], ids=["empty", "single"])
def test_fill_gaps_tiny_inputs(ts: list[float]) -> None:
    assert fill_gaps(np.array(ts, dtype=np.float64)).tolist() == ts


steps = st.one_of(
    st.sampled_from([1 / 30, 1 / 32, 0.25, 0.005]),
    st.floats(min_value=0.01, max_value=5.0),
)


@FAST
@given(start=finite, diffs=st.lists(steps, min_size=1, max_size=40))
def test_fill_gaps_matches_player_rule(start: float, diffs: list[float]) -> None:
    ts = (start + np.cumsum([0.0, *diffs])).tolist()
    got = fill_gaps(np.array(ts))
    assert got.tolist() == fill_gaps_oracle(ts)
    assert np.all(np.diff(got) >= 0)


@given(
    st.lists(
        st.floats(min_value=-1e300, max_value=1e300) | st.just(float("nan")),
        min_size=1,
        max_size=40,
    )
)
@example([-0.0])
@example([-0.0, -0.0])
@example([1.0, float("nan"), 2.0])
def test_median_is_numpys_median_bit_for_bit(values: list[float]) -> None:
    a = np.array(values, dtype=np.float64)
    want = float(np.median(a))
    got = timeseries.median(a)
    assert (np.isnan(want) and np.isnan(got)) or np.array(got).tobytes() == np.array(want).tobytes()


def test_median_of_nothing_raises() -> None:
    with pytest.raises(ValueError, match="empty"):
        timeseries.median(np.empty(0))
