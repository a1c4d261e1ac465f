"""Run CPU-bound export steps in worker processes, or in threads where the work releases the GIL,
while keeping output order and memory bounded."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from .._threads import ordered_thread_map, usable_cpus

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["default_workers", "ordered_map", "ordered_thread_map", "stop_workers"]


def default_workers() -> int:
    """Worker processes for large exports: the CPUs this process may use (at least 1)."""
    return usable_cpus()


def ordered_map(
    fn: Callable[[T], R], items: Iterable[T], workers: int, max_pending: int | None = None
) -> Iterator[R]:
    """``map(fn, items)`` over ``workers`` processes, results in input order.

    At most ``max_pending`` items are in flight, so memory stays bounded however many items
    there are. With ``workers <= 1`` it runs in this process. ``fn`` must be picklable (a
    module-level function). Warnings ``fn`` raises in a worker come back with its result and
    are raised again here, in the consumer's thread (so an export task records them).
    """
    if workers <= 1:
        yield from map(fn, items)
        return
    import multiprocessing  # with concurrent.futures ~5 ms: only when workers are started
    from concurrent.futures import ProcessPoolExecutor

    limit = max_pending or 2 * workers
    # fork: workers need no re-import of the caller's script (spawn would demand a
    # ``__main__`` guard from every user script); elsewhere the platform default.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(os.getpid(),)
    )
    pending: deque[Future[tuple[R, list[tuple[type[Warning], str]]]]] = deque()
    collecting = functools.partial(_collecting_warnings, fn)
    finished = False
    try:
        for item in items:
            pending.append(_submit(pool, collecting, item))
            if len(pending) >= limit:
                yield _rewarned(pending.popleft().result())
        while pending:
            yield _rewarned(pending.popleft().result())
        finished = True
    finally:
        if not finished:
            # Ctrl-C, a stop signal, an error or a consumer that stopped early: the results
            # are not wanted, so end the workers instead of waiting for them.
            stop_workers(pool)
            _release_results(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def _collecting_warnings(
    fn: Callable[[T], R], item: T
) -> tuple[R, list[tuple[type[Warning], str]]]:
    """``fn(item)`` in a worker, with the warnings it raised (category, text). A worker runs one
    item at a time in its one thread, so ``catch_warnings`` is safe here."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(item)
    return result, [(w.category, str(w.message)) for w in caught]


def _rewarned(answer: tuple[R, list[tuple[type[Warning], str]]]) -> R:
    result, caught = answer
    for category, text in caught:
        warnings.warn(text, category, stacklevel=3)
    return result


def _release_results(pool: ProcessPoolExecutor) -> None:
    """After killing the workers: let the pool's reader thread see the end of the results.

    A worker killed half-way through sending a result (a block of CSV text, megabytes) leaves
    a partial message in the result pipe, and the pool's thread would wait for its rest
    forever (so would ``shutdown`` and the interpreter's exit). Once the dead workers' ends of
    the pipe are closed, closing this process's own, unused, writing end makes that read end
    with EOF; the pool then counts itself broken and shuts down. (``_result_queue`` is
    internal to ``ProcessPoolExecutor`` on CPython 3.9-3.14; without it nothing is done.)
    """
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(Exception):
            process.join(timeout=5.0)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        with contextlib.suppress(OSError):
            writer.close()


def _submit(pool: ProcessPoolExecutor, fn: Callable[[T], R], item: T) -> Future[R]:
    """``pool.submit`` that Ctrl-C or a stop signal cannot cut in two: the first call starts
    the workers and the pool's thread, and an interrupt between the two leaves a pool that
    cannot be shut down. The signal is handled right after."""
    if not hasattr(signal, "pthread_sigmask"):
        return pool.submit(fn, item)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _PARENT_SIGNALS)
    try:
        return pool.submit(fn, item)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


#: Signals a worker leaves to its parent, which cancels the export and cleans up.
_PARENT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _init_worker(parent_pid: int) -> None:
    for signum in _PARENT_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    # A worker holds no files; if the parent dies without shutting the pool down, end at once.
    die_with_parent(getattr(signal, "SIGKILL", signal.SIGTERM), parent_pid)


def stop_workers(pool: ProcessPoolExecutor, signum: int | None = None) -> None:
    """Send ``signum`` (default: SIGKILL) to every worker process of ``pool`` that runs.

    A ``ProcessPoolExecutor`` offers no public way to end its workers on Python < 3.14; its
    process table is read here (``_processes``, pid -> process).
    """
    signum = signum if signum is not None else getattr(signal, "SIGKILL", signal.SIGTERM)
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        if process.pid is not None and process.is_alive():
            with contextlib.suppress(OSError):
                os.kill(process.pid, signum)


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(signum: int, parent_pid: int) -> None:
    """Ask the kernel to send ``signum`` to this process when its parent ends (Linux only).

    For worker processes, which must not outlive the export that started them, even when the
    parent was killed with SIGKILL. (Strictly the signal comes when the parent's thread that
    started this process ends; gazeport starts its pools in the thread that also shuts them
    down.) ``parent_pid`` closes the race of a parent that died before the request was made:
    then this process ends at once.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(128 + signum)
