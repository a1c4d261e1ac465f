"""Time arithmetic on sorted float64 timestamp arrays, the way Pupil Player correlates data.

All functions are vectorised and take/return NumPy arrays; timestamps are Pupil-time seconds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def find_closest(target: npt.ArrayLike, source: npt.ArrayLike) -> IntArray:
    """Index of the nearest element of sorted ``target`` for every value of ``source``.

    Pupil Player's rule: values before the first target map to 0, after the last to the last
    index, and an exact tie between two neighbours goes to the *later* one (the midpoint rule
    ``(t[i-1]+t[i])/2 <= s < (t[i]+t[i+1])/2``). An empty ``target`` raises ``ValueError``.
    """
    t = np.asarray(target, dtype=np.float64)
    s = np.asarray(source, dtype=np.float64)
    if t.size == 0:
        raise ValueError("find_closest needs at least one target timestamp")
    if t.size == 1:
        return np.zeros(s.shape, dtype=np.int64)
    idx = np.clip(np.searchsorted(t, s, side="left"), 1, t.size - 1)
    left = t[idx - 1]
    right = t[idx]
    idx = idx - ((s - left) < (right - s))
    return idx.astype(np.int64, copy=False)


def enclosing_window(timestamps: FloatArray, index: int) -> tuple[float, float]:
    """Half-open window ``[lo, hi)`` of data belonging to frame ``index`` (midpoints, ±inf at ends)."""
    n = len(timestamps)
    lo = -np.inf if index <= 0 else (timestamps[index - 1] + timestamps[index]) / 2.0
    hi = np.inf if index >= n - 1 else (timestamps[index] + timestamps[index + 1]) / 2.0
    return float(lo), float(hi)


def exact_window(timestamps: FloatArray, index_range: tuple[int, int]) -> tuple[float, float]:
    """``(t[a], t[min(b, n-1)])`` for a frame index range ``(a, b)``."""
    a, b = index_range
    return float(timestamps[a]), float(timestamps[min(b, len(timestamps) - 1)])


def window_slice(sorted_ts: FloatArray, window: tuple[float, float]) -> slice:
    """Slice of sorted timestamps with ``lo <= t < hi`` (Player's Bisector window)."""
    lo, hi = window
    start = int(np.searchsorted(sorted_ts, lo, side="left"))
    stop = int(np.searchsorted(sorted_ts, hi, side="left"))
    return slice(start, max(start, stop))


def in_window(ts: FloatArray, window: tuple[float, float]) -> npt.NDArray[np.bool_]:
    """Boolean mask of ``lo <= t < hi``."""
    lo, hi = window
    return (ts >= lo) & (ts < hi)


def stable_order(ts: FloatArray) -> IntArray:
    """Permutation that sorts ``ts`` ascending, keeping file order for equal timestamps."""
    return np.argsort(ts, kind="stable").astype(np.int64, copy=False)


def repair_backward_jumps(ts: FloatArray) -> FloatArray:
    """Pupil Player's repair of a video part's timestamps (returns a repaired copy).

    Every timestamp that makes the sequence jump backwards is replaced by the mean of its two
    neighbours (all at once, from the original values); if the last timestamp jumps backwards it
    is extrapolated from the two before it (after the other repairs).
    """
    out = np.array(ts, dtype=np.float64, copy=True)
    invalid = np.flatnonzero(np.diff(out) < 0)
    if invalid.size == 0:
        return out
    last_invalid = bool(invalid[-1] == out.size - 2)
    if last_invalid:
        invalid = invalid[:-1]
    out[invalid + 1] = (out[invalid + 2] + out[invalid]) / 2.0
    if last_invalid:
        if out.size >= 3:
            out[-1] = out[-2] + (out[-2] - out[-3])
        else:
            out[-1] = out[-2]
    return out


def median(values: FloatArray) -> float:
    """``float(np.median(values))`` of a 1-D float64 array, the same float, without importing
    ``numpy.ma`` (``np.median`` does, ~6 ms of every command's start)."""
    n = values.size
    if n == 0:
        raise ValueError("median of an empty array")
    if np.isnan(values).any():
        return float("nan")
    k = n // 2
    if n % 2:  # np.median takes np.mean of the middle one or two values (so -0.0 gives 0.0)
        return float(np.mean(np.partition(values, k)[k : k + 1]))
    return float(np.mean(np.partition(values, (k - 1, k))[k - 1 : k + 1]))


def fill_gaps(ts: FloatArray) -> FloatArray:
    """Timestamps with gaps filled by virtual frames, sorted, like Player's lookup table.

    ``ts`` is the concatenation of all video parts' timestamps (in part order). With
    ``m`` = median of consecutive differences, every difference ``> max(1 s, m)`` is filled with
    ``arange(t_i + m, t_{i+1} - m, m)``; the result is sorted ascending.
    """
    ts = np.asarray(ts, dtype=np.float64)
    if ts.size < 2:
        return np.sort(ts)
    diffs = np.diff(ts)
    m = median(diffs)
    gap_idx = np.flatnonzero(diffs > max(1.0, m))
    parts = [ts]
    if m > 0:
        parts += [np.arange(ts[i] + m, ts[i + 1] - m, m) for i in gap_idx]
    return np.sort(np.concatenate(parts))
