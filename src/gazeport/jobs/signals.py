"""SIGTERM and SIGHUP as Ctrl-C: a running export is cancelled and cleans up after itself.

A closed terminal (SIGHUP), ``kill`` or a cluster scheduler (SIGTERM) would otherwise end the
process at once and leave ``.part`` files behind. Inside :func:`interrupt_on_signals` such a
signal raises :class:`Interrupted` in the main thread; it is a ``KeyboardInterrupt``, so every
place that already cancels and rolls back on Ctrl-C does the same for it. Only the command-line
front-end and gazeport's own worker processes install the handlers; a program that uses the
Python API keeps its own signal handling.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

#: The signals that stop an export like Ctrl-C (those this platform has).
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived (SIGTERM, SIGHUP, ...): treated everywhere like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(f"stopped by {signal_name(self.signum)}")

    @property
    def exit_code(self) -> int:
        """The shell's code for a process ended by this signal (``128 + signum``)."""
        return 128 + self.signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_code(exc: KeyboardInterrupt) -> int:
    """130 for Ctrl-C, ``128 + signum`` for a stop signal."""
    return exc.exit_code if isinstance(exc, Interrupted) else 128 + signal.SIGINT


@contextlib.contextmanager
def interrupt_on_signals(signals: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """Within the block, the first of ``signals`` raises :class:`Interrupted` in the main
    thread; later ones are ignored so that the clean-up they started is not cut short.

    Does nothing outside the main thread (only it may handle signals). The previous handlers
    come back on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal raised
        if raised:
            return
        raised = True
        raise Interrupted(signum)

    previous = {}
    for signum in signals:
        previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and the stop signals back while the block runs (this thread only).

    For steps that must not be cut in two, such as creating an export folder and recording
    that it is the export's, or renaming finished files: a signal that arrives meanwhile is
    handled as soon as the block ends. Where the platform cannot block signals (Windows), the
    block runs as it is.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, *STOP_SIGNALS})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
