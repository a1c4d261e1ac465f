"""The band of pairwise cosines behind :func:`gazeport.analysis.fixations.detect_fixations`.

For every gaze sample ``j`` the band holds the cosines between ``j`` and the ``width`` samples
before it, in pdist's arithmetic, turned into running minima over the offset; one block of
columns at a time, so memory stays at a few MiB whatever the recording's length. Blocks are
independent of each other, so :func:`band_blocks` computes the next ones in a second thread
while the caller walks the current one: NumPy's loops release the GIL, and on two cores this
takes the band from ~0.11 s to ~0.07 s for ten minutes of 400 Hz gaze. The results are the same
floats either way.
"""

from __future__ import annotations

import queue
from collections import deque
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._threads import threads_for

if TYPE_CHECKING:
    from concurrent.futures import Future

_Buffers = tuple[np.ndarray, np.ndarray, np.ndarray]

#: Fewer blocks than this are computed in the calling thread (a thread costs more than it gives).
MIN_THREADED_BLOCKS = 4


def band_threads() -> int:
    """Threads for the band: 2 where this process may run on two CPUs or more, else 1;
    ``GAZEPORT_FIXATION_THREADS=1`` keeps it in the calling thread (for profiling, or a batch
    that already fills every core with processes)."""
    return threads_for("GAZEPORT_FIXATION_THREADS")


def band_blocks(
    rays: tuple[np.ndarray, ...], bounds: Sequence[tuple[int, int]], width: int, c_star: float
) -> Generator[tuple[np.ndarray, np.ndarray], None, None]:
    """:func:`column_minima` of the columns ``[lo, hi)`` of each of ``bounds``, in order.

    ``rays`` are the x, y, z columns and the norms of the samples. A yielded ``colmin`` is only
    valid until the next item is asked for: its buffers are then reused. With two threads the
    next two blocks are computed while the caller holds one (three sets of buffers in all).
    """
    shape = (width, max(hi - lo for lo, hi in bounds)) if bounds else (width, 1)
    padded = [np.concatenate([np.ones(width), v]) for v in rays]

    def buffers() -> _Buffers:
        band = np.empty(shape)
        return band, np.empty_like(band), np.empty(shape, dtype=bool)

    if band_threads() < 2 or len(bounds) < MIN_THREADED_BLOCKS:
        own = buffers()
        for lo, hi in bounds:
            yield column_minima(rays, padded, lo, hi, c_star, own)
        return
    from concurrent.futures import ThreadPoolExecutor  # ~3 ms to import: only when used

    free: queue.SimpleQueue[_Buffers] = queue.SimpleQueue()
    for _ in range(3):  # two being computed, one held by the caller
        free.put(buffers())

    def job(lo: int, hi: int) -> tuple[_Buffers, tuple[np.ndarray, np.ndarray]]:
        held = free.get()
        return held, column_minima(rays, padded, lo, hi, c_star, held)

    todo = iter(bounds)
    with ThreadPoolExecutor(2, thread_name_prefix="gazeport-fixations") as pool:
        running: deque[Future[tuple[_Buffers, tuple[np.ndarray, np.ndarray]]]] = deque(
            pool.submit(job, lo, hi) for lo, hi in (next(todo), next(todo))
        )
        try:
            while running:
                held, result = running.popleft().result()
                following = next(todo, None)
                if following is not None:
                    running.append(pool.submit(job, *following))
                yield result
                free.put(held)
        finally:
            for future in running:  # the caller stopped early: do not start what is queued
                future.cancel()


def column_minima(
    rays: tuple[np.ndarray, ...],
    padded: list[np.ndarray],
    lo: int,
    hi: int,
    c_star: float,
    buffers: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """For columns ``j`` in ``[lo, hi)``: ``colmin[d-1, j-lo]``, the smallest cosine between ``j``
    and ``j-1 .. j-d`` (pdist's arithmetic), and how many offsets ``d`` pass before a bad pair."""
    width, m = buffers[0].shape[0], hi - lo
    cos, buf, flags = (b[:, :m] for b in buffers)
    # row d-1 of a lagged view holds samples lo-d .. hi-1-d (the padding stands before sample 0)
    x, y, z, n = (
        np.lib.stride_tricks.sliding_window_view(v[lo : hi + width - 1], m)[::-1] for v in padded
    )
    np.multiply(x, rays[0][lo:hi], out=cos)
    np.multiply(y, rays[1][lo:hi], out=buf)
    cos += buf
    np.multiply(z, rays[2][lo:hi], out=buf)
    cos += buf
    np.multiply(n, rays[3][lo:hi], out=buf)
    cos /= buf
    if lo < width:  # pairs reaching before the first sample do not exist
        cos[np.arange(1, width + 1)[:, None] > np.arange(lo, hi)[None, :]] = np.inf
    for d in range(1, width):  # running minimum over d (ufunc.accumulate is slow on axis 0)
        np.minimum(cos[d], cos[d - 1], out=cos[d])
    np.greater_equal(cos, c_star, out=flags)
    return cos, flags.view(np.uint8).sum(axis=0, dtype=np.int64)


def span_dispersions(
    colmin: np.ndarray, lo: int, starts: list[int], stops: list[int]
) -> np.ndarray:
    """Dispersion (rad) of each span from the running column minima of the band."""
    a = np.array(starts, dtype=np.int64)
    pairs = np.array(stops, dtype=np.int64) - a - 1  # columns after the first sample
    seg = np.repeat(np.arange(len(a)), pairs)
    offset = np.arange(len(seg)) - np.repeat(np.cumsum(pairs) - pairs, pairs) + 1
    values = colmin[offset - 1, a[seg] + offset - lo]
    smallest = np.minimum.reduceat(values, np.cumsum(pairs) - pairs)
    # max over pairs of 1 - clip(cos) is 1 - clip(min cos): the same float, monotone map
    return np.arccos(1.0 - (1.0 - np.clip(smallest, -1.0, 1.0)))
