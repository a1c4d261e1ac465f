"""Ordered, memory-bounded parallel map of :mod:`gazeport.exporters.parallel`."""

from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from gazeport.errors import GazeportWarning
from gazeport.exporters.parallel import default_workers, ordered_map, ordered_thread_map
from gazeport.jobs import Job
from gazeport.jobs.task_warnings import routed_to


# Module-level so worker processes can unpickle them.
def square(x: int) -> int:
    return x * x


def slow_first(x: int) -> tuple[int, int]:
    # Early items finish last: order must come from the input, not from completion.
    time.sleep(0.02 if x < 3 else 0.0)
    return x, os.getpid()


def warn_on_odd(x: int) -> tuple[int, int]:
    if x % 2:
        warnings.warn(f"item {x} is odd", GazeportWarning, stacklevel=1)
    return x, os.getpid()


def fail_on_five(x: int) -> int:
    if x == 5:
        raise ValueError(f"bad item {x}")
    return x


def ignores_sigint(_: int) -> bool:
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def ignores_stop_signals(_: int) -> bool:
    return all(signal.getsignal(s) == signal.SIG_IGN for s in (signal.SIGTERM, signal.SIGHUP))


def fail_first_then_hang(x: int) -> int:
    if x == 0:
        time.sleep(0.2)  # the others are running by now
        raise ValueError("first item failed")
    time.sleep(30)
    return x


class Counting:
    """An iterable that records how many items have been taken from it."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.taken = 0

    def __iter__(self) -> Iterator[int]:
        for i in range(self.n):
            self.taken += 1
            yield i


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_results_keep_input_order(workers: int) -> None:
    assert list(ordered_map(square, range(40), workers)) == [i * i for i in range(40)]


def test_order_kept_when_early_items_finish_last() -> None:
    results = list(ordered_map(slow_first, range(10), workers=2, max_pending=4))
    assert [x for x, _ in results] == list(range(10))


def test_two_workers_run_in_other_processes() -> None:
    pids = {pid for _, pid in ordered_map(slow_first, range(10), workers=2)}
    assert os.getpid() not in pids


def test_one_worker_runs_in_this_process() -> None:
    pids = {pid for _, pid in ordered_map(slow_first, range(4), workers=1)}
    assert pids == {os.getpid()}


def test_empty_input() -> None:
    assert list(ordered_map(square, [], workers=2)) == []
    assert list(ordered_map(square, [], workers=1)) == []


@pytest.mark.parametrize(
    ("workers", "max_pending", "bound"),
    [
        pytest.param(1, None, 1, id="serial-is-lazy"),
        pytest.param(2, 3, 3, id="explicit-limit"),
        pytest.param(2, None, 4, id="default-twice-the-workers"),
    ],
)
def test_in_flight_items_are_bounded(workers: int, max_pending: int | None, bound: int) -> None:
    items = Counting(30)
    received = peak = 0
    for result in ordered_map(square, items, workers, max_pending):
        assert result == received * received
        received += 1
        # Items handed to workers but not yet returned to the caller never reach the bound.
        assert items.taken - received < bound, (items.taken, received)
        peak = max(peak, items.taken - received)
    assert received == 30
    assert items.taken == 30
    assert peak == bound - 1  # the bound is used, not just respected


@pytest.mark.parametrize("workers", [1, 2])
def test_exception_in_function_propagates(workers: int) -> None:
    results = []
    with pytest.raises(ValueError, match="bad item 5"):
        for r in ordered_map(fail_on_five, range(20), workers, max_pending=3):
            results.append(r)
    assert results == [0, 1, 2, 3, 4]


def test_stopping_early_does_not_consume_everything() -> None:
    items = Counting(1000)
    gen = ordered_map(square, items, workers=2, max_pending=4)
    assert [next(gen) for _ in range(3)] == [0, 1, 4]
    gen.close()
    assert items.taken <= 3 + 4


def test_default_workers_is_at_least_one() -> None:
    assert default_workers() >= 1
    assert default_workers() == len(os.sched_getaffinity(0))


def test_workers_leave_ctrl_c_to_the_parent() -> None:
    before = signal.getsignal(signal.SIGINT)
    assert list(ordered_map(ignores_sigint, range(4), workers=2)) == [True] * 4
    assert signal.getsignal(signal.SIGINT) == before
    assert before != signal.SIG_IGN


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
def test_workers_leave_stop_signals_to_the_parent() -> None:
    assert list(ordered_map(ignores_stop_signals, range(4), workers=2)) == [True] * 4


def test_an_error_ends_busy_workers_instead_of_waiting_for_them() -> None:
    started = time.monotonic()
    with pytest.raises(ValueError, match="first item failed"):
        list(ordered_map(fail_first_then_hang, range(4), workers=2))
    assert time.monotonic() - started < 10  # not the 30 s the other item would take


_BIG_RESULTS = """
import time
from gazeport.exporters.parallel import ordered_map

def big(x):
    return bytes(128 << 20)  # far more than a pipe holds: sending it takes a while

for trial in range(3):
    it = ordered_map(big, range(8), workers=2)
    next(it)  # the workers are now sending the next results
    time.sleep(0.05 * trial)
    started = time.perf_counter()
    it.close()  # the consumer stops (as on Ctrl-C or a stop signal)
    print(f"stopped in {time.perf_counter() - started:.2f} s")
"""


def test_stopping_while_workers_send_large_results_does_not_hang(tmp_path) -> None:
    # Killed half-way through a result, a worker leaves a partial message in the pipe; the
    # pool's reader thread must not wait for the rest of it forever.
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", _BIG_RESULTS], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("stopped in") == 3


@pytest.mark.parametrize("workers", [1, 2])
def test_warnings_come_back_from_the_workers_to_the_task(workers: int) -> None:
    task = Job(Path("rec")).add_task("raw")
    with warnings.catch_warnings(record=True) as seen, routed_to(task):
        warnings.simplefilter("always")
        results = list(ordered_map(warn_on_odd, range(6), workers))
    assert [x for x, _ in results] == list(range(6))
    assert ({pid for _, pid in results} != {os.getpid()}) == (workers > 1)
    assert [str(w.message) for w in seen] == ["item 1 is odd", "item 3 is odd", "item 5 is odd"]
    assert all(w.category is GazeportWarning for w in seen)
    assert task.warnings == ["item 1 is odd", "item 3 is odd", "item 5 is odd"]


# --- the thread pool (for the compiled formatter, which releases the GIL) ------------------


def thread_name(x: int) -> tuple[int, str]:
    time.sleep(0.02 if x < 3 else 0.0)
    return x, threading.current_thread().name


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_threads_keep_input_order(workers: int) -> None:
    results = list(ordered_thread_map(thread_name, range(12), workers, max_pending=4))
    assert [x for x, _ in results] == list(range(12))
    names = {name for _, name in results}
    if workers > 1:
        assert all(name.startswith("gazeport-csv") for name in names)
    else:
        assert names == {threading.current_thread().name}


def test_threads_bound_the_items_in_flight() -> None:
    items = Counting(30)
    received = peak = 0
    for result in ordered_thread_map(square, items, 2, max_pending=3):
        assert result == received * received
        received += 1
        assert items.taken - received < 3
        peak = max(peak, items.taken - received)
    assert (received, items.taken, peak) == (30, 30, 2)


def test_threads_pass_errors_on_and_cancel_the_rest() -> None:
    items = Counting(1000)
    results = []
    with pytest.raises(ValueError, match="bad item 5"):
        for r in ordered_thread_map(fail_on_five, items, 2, max_pending=3):
            results.append(r)
    assert results == [0, 1, 2, 3, 4]
    assert items.taken <= 5 + 3


def test_threads_route_warnings_to_the_callers_task() -> None:
    task = Job(Path("rec")).add_task("raw")
    with warnings.catch_warnings(record=True) as seen, routed_to(task):
        warnings.simplefilter("always")
        results = list(ordered_thread_map(warn_on_odd, range(6), 2))
    assert [x for x, _ in results] == list(range(6))
    assert sorted(str(w.message) for w in seen) == [
        "item 1 is odd",
        "item 3 is odd",
        "item 5 is odd",
    ]
    assert sorted(task.warnings) == ["item 1 is odd", "item 3 is odd", "item 5 is odd"]


def stuck_after_first(x: int) -> int:
    if x > 0:
        time.sleep(30)
    return x


def test_stopping_does_not_wait_for_a_busy_thread() -> None:
    gen = ordered_thread_map(stuck_after_first, range(10), 2, max_pending=3)
    assert next(gen) == 0
    started = time.monotonic()
    gen.close()  # as on Ctrl-C: the threads busy with items 1 and 2 are left to finish alone
    assert time.monotonic() - started < 2
    busy = [t for t in threading.enumerate() if t.name.startswith("gazeport-csv")]
    assert busy and all(t.daemon for t in busy)  # they never hold up the end of the process
