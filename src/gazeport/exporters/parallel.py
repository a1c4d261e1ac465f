"""Run CPU-bound export steps in worker processes while keeping output order and memory bounded."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Worker processes for large exports: the CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def ordered_map(
    fn: Callable[[T], R], items: Iterable[T], workers: int, max_pending: int | None = None
) -> Iterator[R]:
    """``map(fn, items)`` over ``workers`` processes, results in input order.

    At most ``max_pending`` items are in flight, so memory stays bounded however many items
    there are. With ``workers <= 1`` it runs in this process. ``fn`` must be picklable (a
    module-level function).
    """
    if workers <= 1:
        yield from map(fn, items)
        return
    limit = max_pending or 2 * workers
    # fork: workers need no re-import of the caller's script (spawn would demand a
    # ``__main__`` guard from every user script); elsewhere the platform default.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_ignore_sigint)
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        # On Ctrl-C or an error: drop queued work; running items are short (one chunk each).
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which cancels the queue and cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
