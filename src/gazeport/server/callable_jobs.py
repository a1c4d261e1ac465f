"""Callable jobs: work that is not a recording export (a dataset export), run in a thread.

A :class:`CallableJob` wraps one function ``run(job)`` that reports progress with
``job.report(fraction, text)`` (which raises :class:`~gazeport.errors.ExportCancelled` once the
job was cancelled) and returns a JSON-able summary. Its snapshot has the same shape as an export
job's (see :mod:`gazeport.server.web_jobs`), with one task: the job itself. The helpers here
(times, folders as the page shows them) are shared with the export jobs' snapshots.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import ExportCancelled, GazeportError
from .paths import is_inside, relative_posix

log = logging.getLogger("gazeport.server")

STATUSES = ("queued", "running", "completed", "failed", "cancelled")
FINISHED = frozenset({"completed", "failed", "cancelled"})


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def iso_utc(when: dt.datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") if when is not None else None


def shown_path(root: Path, folder: Path | None) -> str | None:
    """A folder as the page shows it: relative to the served root when inside it."""
    if folder is None:
        return None
    return relative_posix(root, folder) if is_inside(root, folder) else str(folder)


class Reporter(Protocol):
    """What a callable job's function gets: report progress, check for a cancel."""

    def report(self, fraction: float, text: str = "") -> None: ...

    def check(self) -> None: ...


@dataclass(eq=False)
class CallableJob:
    """Work that is not a recording export: ``run(job)`` in a thread, returning a summary.

    ``run`` calls ``job.report(fraction, text)`` as it goes (which raises
    :class:`ExportCancelled` once the job was cancelled) and returns a JSON-able summary (or
    None). ``out_dir`` is where its result goes; ``download`` the address of the result.
    """

    id: str
    seq: int
    kind: str
    title: str
    run: Callable[[CallableJob], Any]
    root: Path
    out_dir: Path | None = None
    download: str | None = None
    #: More facts of the job for its snapshot (e.g. a dataset's ``format``).
    meta: dict[str, Any] = field(default_factory=dict)
    status: str = "queued"
    progress: float = 0.0
    text: str = "queued"
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    result: Any = None
    created_utc: str = field(default_factory=now_utc)
    started_utc: str | None = None
    finished_utc: str | None = None
    on_change: Callable[[CallableJob], None] = field(default=lambda job: None, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def report(self, fraction: float, text: str = "") -> None:
        self.check()
        with self.lock:
            self.progress = min(max(float(fraction), 0.0), 1.0)
            if text:
                self.text = text
        self.on_change(self)

    def check(self) -> None:
        if self._cancel.is_set():
            raise ExportCancelled(f"The {self.title.lower()} was cancelled.")

    def cancel(self) -> None:
        """At once while queued; at the next :meth:`report` while running."""
        self._cancel.set()
        with self.lock:
            if self.status != "queued":
                return
            self._end("cancelled", "cancelled before it ran")

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def _end(self, status: str, text: str, error: str | None = None) -> None:
        with self.lock:
            self.status, self.text, self.error = status, text, error
            if status == "completed":
                self.progress = 1.0
            self.finished_utc = now_utc()
        self._done.set()
        self.on_change(self)

    def execute(self, serial: threading.Lock) -> None:
        """Run (in the job's thread): wait for the one slot, then ``run``; never raises."""
        with serial:
            with self.lock:
                if self.status != "queued":
                    return  # cancelled while it waited
                self.status, self.text, self.started_utc = "running", "starting", now_utc()
            self.on_change(self)
            try:
                self.result = self.run(self)
            except ExportCancelled:
                self._end("cancelled", "cancelled")
            except GazeportError as exc:
                self._end("failed", "failed", str(exc))
            except Exception as exc:
                log.error("job %s (%s) failed unexpectedly", self.id, self.title, exc_info=exc)
                self._end(
                    "failed", "failed",
                    f"The {self.kind} job failed unexpectedly ({type(exc).__name__}); the "
                    "server's log has the details. This is a bug in gazeport; please report it.",
                )  # fmt: skip
            else:
                self._end("completed", "done")

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            task: dict[str, Any] = {
                "name": self.kind, "title": self.title, "status": self.status,
                "progress": round(self.progress, 4), "text": self.text,
            }  # fmt: skip
            if self.error:
                task["error"] = self.error
            if self.warnings:
                task["warnings"] = list(self.warnings)
            return {
                "id": self.id, "seq": self.seq, "kind": self.kind, "title": self.title, "status": self.status,
                "progress": round(self.progress, 4), "tasks": [task], "recording": None,
                "recording_path": None,
                "out_dir": shown_path(self.root, self.out_dir), "error": self.error,
                "created_utc": self.created_utc, "started_utc": self.started_utc,
                "finished_utc": self.finished_utc,
                "download": self.download if self.status == "completed" else None,
                "result": self.result, **self.meta,
            }  # fmt: skip
