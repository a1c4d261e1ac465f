"""An order-keeping, bounded map over threads of this process, for work that releases the GIL.

It sits at the bottom of gazeport's layers so that the readers (the pldata columns of
:meth:`gazeport.recording.Recording.columns`) and the exporters (the CSV text) share it;
:mod:`gazeport.exporters.parallel` re-exports it beside its process pool.
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")
R = TypeVar("R")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where there is one), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def threads_for(setting: str) -> int:
    """Threads a step may use: the CPUs this process may run on, at most 2 (the machines
    gazeport is tuned on; more threads fight over memory bandwidth); the environment variable
    ``setting`` (1 or 2) overrides that, ``1`` keeping the step in the calling thread."""
    wanted = os.environ.get(setting, "").strip()
    if wanted.isdigit() and int(wanted) >= 1:
        return min(int(wanted), 2)
    return 2 if usable_cpus() >= 2 else 1


def reader_threads() -> int:
    """Threads that decode pldata columns (``GAZEPORT_READER_THREADS``)."""
    return threads_for("GAZEPORT_READER_THREADS")


def ordered_thread_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    max_pending: int | None = None,
    *,
    name: str = "gazeport-csv",
) -> Iterator[R]:
    """``map(fn, items)`` over ``workers`` threads of this process (named ``name_0`` ...),
    results in input order, at most ``max_pending`` items in flight (default twice the
    workers): for work that releases the GIL (the compiled CSV formatter and pldata gather,
    NumPy), which spares pickling items and results between processes. Each item runs in a
    copy of the caller's context, so its warnings reach the caller's export task
    (:mod:`gazeport.jobs.task_warnings`).

    A consumer that stops early, an error, Ctrl-C or a stop signal cancels the items not yet
    started and does not wait for the running ones: the threads are daemons, so a thread busy
    with one item never holds up the end of the process, and what it makes is dropped.
    """
    if workers <= 1:
        yield from map(fn, items)
        return
    from concurrent.futures import Future  # ~2 ms to import: only when threads are used

    limit = max_pending or 2 * workers
    tasks: queue.SimpleQueue[tuple[Future[R], contextvars.Context, T] | None] = queue.SimpleQueue()

    def work() -> None:
        while (task := tasks.get()) is not None:
            future, ctx, item = task
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(ctx.run(fn, item))
                except BaseException as exc:  # handed to the consumer, who raises it
                    future.set_exception(exc)

    threads = [
        threading.Thread(target=work, name=f"{name}_{i}", daemon=True) for i in range(workers)
    ]
    for thread in threads:
        thread.start()
    pending: deque[Future[R]] = deque()
    finished = False
    try:
        for item in items:
            future: Future[R] = Future()
            tasks.put((future, contextvars.copy_context(), item))
            pending.append(future)
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
        finished = True
    finally:
        for future in pending:
            future.cancel()
        for _ in threads:
            tasks.put(None)
        if finished:
            for thread in threads:
                thread.join()
