"""Warnings raised while an export task runs, routed to that task (issue 10).

Tasks run in threads (:class:`~gazeport.jobs.queue.JobQueue`), and ``warnings.catch_warnings``
swaps process-global state, so it cannot tell whose warning it caught, and two tasks that use
it at once undo each other's. Instead, while any task runs, one hook sits in
``warnings.showwarning``: it looks up the running task in a :class:`contextvars.ContextVar` that
the thread running the task has set, adds the message to that task's ``warnings`` (each text
once), and hands the warning on to the hook it replaced, so the CLI's ``warning:`` lines on
stderr and ``pytest.warns`` see it as before. A warning raised outside every task (in another
thread, or between tasks) goes to the previous hook only. The hook is put back when the last
running task ends.

Python's warning filters still decide first: a warning they ignore, turn into an error or
show only once never reaches the hook (the CLI shows every :class:`GazeportWarning`).
Warnings of worker processes come back with their results
(:func:`gazeport.exporters.parallel.ordered_map`) and are raised again in the task's thread.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ..errors import GazeportWarning
from .model import Task


class Collected(list[str]):
    """The warnings of one thread while :func:`collected` runs: kept here, not shown."""

    def note(self, text: str) -> None:
        if text not in self:
            self.append(text)


_current: ContextVar[Task | Collected | None] = ContextVar("gazeport_task", default=None)
_lock = threading.Lock()
_running = 0  #: tasks inside :func:`routed_to` (the hook is installed while > 0)
_previous: Callable[..., Any] = warnings.showwarning


def warning_text(message: Warning | str, category: type[Warning]) -> str:
    """One line for a warning: its text, with the category's name unless it is gazeport's."""
    text = " ".join(str(message).split())
    if issubclass(category, GazeportWarning):
        return text
    return f"{category.__name__}: {text}"


def _show(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    sink = _current.get()
    if sink is not None:
        sink.note(warning_text(message, category))
        if isinstance(sink, Collected):
            return
    _previous(message, category, filename, lineno, file, line)


def current_task() -> Task | None:
    """The task whose warnings this thread's warnings are (``None`` outside a task)."""
    sink = _current.get()
    return sink if isinstance(sink, Task) else None


def hook_installed() -> bool:
    return warnings.showwarning is _show


def _install() -> None:
    global _running, _previous
    with _lock:
        if _running == 0 and warnings.showwarning is not _show:
            _previous = warnings.showwarning
            warnings.showwarning = _show
        _running += 1


def _uninstall() -> None:
    global _running
    with _lock:
        _running -= 1
        # Only our own hook is taken away: one put in after it stays (it calls ours or not).
        if _running == 0 and warnings.showwarning is _show:
            warnings.showwarning = _previous


@contextmanager
def routed_to(task: Task) -> Iterator[Task]:
    """Record the warnings raised in this thread (and its context) on ``task`` meanwhile.

    Call it in the thread that runs the task: a context variable belongs to its thread (or to
    the context copied with :func:`contextvars.copy_context` for ``ctx.run``).
    """
    _install()
    token = _current.set(task)
    try:
        yield task
    finally:
        _current.reset(token)
        _uninstall()


@contextmanager
def collected() -> Iterator[Collected]:
    """Keep the warnings raised in this thread meanwhile, instead of showing them.

    The thread-safe stand-in for ``warnings.catch_warnings(record=True)``, which swaps the
    process's ``showwarning`` and, in a server running export tasks in other threads, would
    take their warnings or lose the task hook.
    """
    sink = Collected()
    _install()
    token = _current.set(sink)
    try:
        yield sink
    finally:
        _current.reset(token)
        _uninstall()


__all__ = ["Collected", "collected", "current_task", "hook_installed", "routed_to", "warning_text"]
