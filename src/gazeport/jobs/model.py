"""Jobs and tasks: an export is a job made of one task per exporter.

A task goes ``queued`` -> ``running`` -> ``completed``, or ends ``cancelled`` or ``failed``
(with the reason). Every change is reported to the job's listener, so a front-end can draw a
progress bar per task and one for the whole job. No UI and no threads live here; see
:mod:`gazeport.jobs.runner` and :mod:`gazeport.jobs.queue` for running jobs.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ExportCancelled


class TaskState(str, enum.Enum):
    """Where a task is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (TaskState.COMPLETED, TaskState.CANCELLED, TaskState.FAILED)


class CancelToken:
    """Ask a running export to stop; it removes what it wrote and raises ExportCancelled.

    Any object with ``is_set()`` (e.g. ``threading.Event``) works the same way.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def cancelled_error() -> ExportCancelled:
    return ExportCancelled("The export was cancelled; the files it had written were removed.")


@dataclass(eq=False)
class Task:
    """One exporter of a job (``name`` e.g. ``"raw"``; ``kind`` is its concurrency class)."""

    name: str
    kind: str
    weight: float
    job: Job = field(repr=False)
    state: TaskState = TaskState.QUEUED
    progress: float = 0.0  #: 0..1
    status: str = "queued"  #: short text for a progress bar
    error: str = ""  #: why it failed (one sentence)
    skipped: dict[str, str] = field(default_factory=dict)  #: parts with nothing to export
    #: Parts that failed while the task completed the others (e.g. a damaged gaze.pldata in
    #: the raw task): part -> reason; the job then ends ``failed``.
    failures: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    #: Warnings raised while the task ran and notes it made, each once, in order (see
    #: :mod:`gazeport.jobs.task_warnings`).
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    exception: BaseException | None = field(default=None, repr=False)
    #: The exception of the first failed part (raised by ``raise_for_outcome``).
    part_exception: BaseException | None = field(default=None, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def cancel(self) -> None:
        """Cancel this task: at once while queued, at its next progress step while running."""
        self._cancel.set()
        with self.job.lock:
            if self.state is TaskState.QUEUED:
                self.state, self.status = TaskState.CANCELLED, "cancelled before it ran"
                self.progress = 0.0
            else:
                return
        self.job.changed(self)
        self.job.task_ended()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set() or self.job.cancel_requested

    def check(self) -> None:
        """Raise :class:`ExportCancelled` if this task or its job was cancelled."""
        if self.cancel_requested:
            raise cancelled_error()

    def report(self, fraction: float, status: str = "") -> None:
        """Progress of a running task (0..1) and a short status; checks for cancel first."""
        self.check()
        self.progress = min(max(fraction, 0.0), 1.0)
        if status:
            self.status = status
        self.job.changed(self)

    def note(self, message: str) -> None:
        """Add a warning or note of this task, unless it already has it (:func:`add_note`)."""
        with self.job.lock:
            add_note(self.warnings, message)

    def to_record(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"status": self.state.value, "seconds": round(self.seconds, 6)}
        if self.error:
            entry["reason"] = self.error
        if self.skipped:
            entry["skipped"] = dict(self.skipped)
        if self.failures:
            entry["failed"] = dict(self.failures)
        if self.warnings:
            entry["warnings"] = list(self.warnings)
        entry["files"] = [p.name for p in self.files]
        return entry


def add_note(notes: list[str], message: str) -> None:
    """Append ``message`` to ``notes`` unless it is there already, also in other words that end
    with it (``"world video: <message>"``, a task's note about a warning it raised); a message
    that ends with a note already there (``"<name>: <note>"``) takes that note's place."""
    for i, note in enumerate(notes):
        if note == message or note.endswith(f": {message}"):
            return
        if message.endswith(f": {note}"):
            notes[i] = message
            return
    notes.append(message)


def _fraction(task: Task) -> float:
    if task.state is TaskState.COMPLETED:
        return 0.99 if task.failures else 1.0
    return task.progress


Listener = Callable[["Job", "Task | None"], None]
_ids = itertools.count(1)


@dataclass(eq=False)
class Job:
    """An export of one recording: its tasks, folder, outcome and progress.

    ``outcome`` is ``None`` until every task has finished, then ``"completed"`` (every task
    completed), ``"cancelled"`` or ``"failed"`` (at least one task did; the others keep
    their files). ``listener(job, task)`` is called on every change (``task`` is ``None`` for
    job-level changes), from whichever thread made it.
    """

    recording: Path
    export_dir: Path | None = None
    listener: Listener | None = field(default=None, repr=False)
    external_cancel: Any = field(default=None, repr=False)
    id: int = field(default_factory=lambda: next(_ids))
    tasks: list[Task] = field(default_factory=list)
    outcome: str | None = None
    #: Why the job failed outside its tasks (e.g. while finishing), with the exception.
    error: str = ""
    exception: BaseException | None = field(default=None, repr=False)
    started_utc: dt.datetime | None = None
    finished_utc: dt.datetime | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _on_tasks_ended: Callable[[Job], None] | None = field(default=None, repr=False)
    #: What the runner needs to run the tasks (recording, range, options, staging).
    spec: Any = field(default=None, repr=False)

    def add_task(self, name: str, kind: str = "data", weight: float = 1.0) -> Task:
        task = Task(name, kind, weight, self)
        self.tasks.append(task)
        return task

    def task(self, name: str) -> Task:
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(f"job {self.id} has no task {name!r}")

    @property
    def progress(self) -> float:
        """Weighted mean of the task fractions, 0..1 (1 only when every task completed).

        A task that completed with a failed part (e.g. the raw task without its damaged gaze
        stream) counts as not quite done, so a failed job never shows 100 %.
        """
        total = sum(t.weight for t in self.tasks) or 1.0
        done = sum(t.weight * _fraction(t) for t in self.tasks)
        return done / total

    @property
    def status(self) -> str:
        if self.outcome is not None:
            return self.outcome
        running = [t.name for t in self.tasks if t.state is TaskState.RUNNING]
        return f"running {', '.join(running)}" if running else "queued"

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def cancel_requested(self) -> bool:
        ext = self.external_cancel
        return self._cancel.is_set() or (ext is not None and bool(ext.is_set()))

    def cancel(self) -> None:
        """Cancel every task that has not finished (queued ones at once)."""
        self._cancel.set()
        for task in self.tasks:
            task.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished; ``False`` on timeout."""
        return self._done.wait(timeout)

    def changed(self, task: Task | None = None) -> None:
        if self.listener is not None:
            self.listener(self, task)

    def task_ended(self) -> None:
        """Called after a task reached a final state (hands over to the runner)."""
        if self._on_tasks_ended is not None and all(t.state.finished for t in self.tasks):
            self._on_tasks_ended(self)

    def mark_done(self, outcome: str) -> None:
        self.outcome = outcome
        self.finished_utc = dt.datetime.now(dt.timezone.utc)
        self._done.set()
        self.changed(None)
