"""Live progress bars on stderr (rich): one per phase, or one per task of an export job.

Bars are drawn only on a terminal and without ``--quiet``; otherwise a stand-in that keeps no
bars takes their place, so that a quiet or scripted export does not import ``rich.progress``
(~5 ms).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from rich.markup import escape

from ..jobs import Job, Task, TaskState
from .commands import _err

if TYPE_CHECKING:
    from rich.progress import TaskID

    from ..batch import BatchItem

ProgressCallback = Callable[[float, str], None]


class Bars(Protocol):
    """What the bars below use of :class:`rich.progress.Progress`."""

    def add_task(self, description: str, *, total: float | None = ..., **fields: Any) -> TaskID: ...

    def update(self, task_id: TaskID, *, completed: float | None = ..., **fields: Any) -> None: ...

    def remove_task(self, task_id: TaskID) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None: ...


class _NoBars:
    """Bars that are not shown: what a disabled ``Progress`` does (it draws nothing), without
    importing ``rich.progress``."""

    def __init__(self) -> None:
        self._tasks = 0

    def add_task(self, description: str, *, total: float | None = 100.0, **fields: Any) -> TaskID:
        self._tasks += 1
        return self._tasks - 1  # type: ignore[return-value]  # TaskID is an int

    def update(self, task_id: TaskID, *, completed: float | None = None, **fields: Any) -> None:
        pass

    def remove_task(self, task_id: TaskID) -> None:
        pass

    def __enter__(self) -> _NoBars:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        pass


def _bars(quiet: bool) -> Bars:
    if quiet or not _err.is_terminal:
        return _NoBars()
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("[dim]{task.fields[status]}"),
        console=_err,
    )


@contextlib.contextmanager
def progress_bars(quiet: bool) -> Iterator[Callable[[str], ProgressCallback]]:
    """Yield ``phase(label)``, which adds a bar and returns its ``progress(fraction, text)``.

    Bars go to stderr, and only to a terminal; ``quiet`` turns them off.
    """
    progress = _bars(quiet)

    def phase(label: str) -> ProgressCallback:
        task = progress.add_task(label, total=1.0, status="")

        def update(fraction: float, text: str) -> None:
            progress.update(task, completed=fraction, status=escape(text))

        return update

    with progress:
        yield phase


class JobBars:
    """Bars for export jobs: an overall bar per job and one per task, updated by a listener.

    ``listener(job, task)`` is what :func:`gazeport.jobs.export_recording` calls on every
    change; it may be called from several threads. ``label`` names the job's bar.
    """

    def __init__(self, progress: Bars) -> None:
        self.progress = progress
        self._jobs: dict[int, TaskID] = {}
        self._tasks: dict[tuple[int, str], TaskID] = {}
        self._lock = threading.Lock()
        self.last_job: Job | None = None

    def listener(self, job: Job, task: Task | None) -> None:
        with self._lock:
            self.last_job = job
            if job.id not in self._jobs:
                self._jobs[job.id] = self.progress.add_task(
                    f"[bold]{escape(job.recording.name)}", total=1.0, status=""
                )
                for t in job.tasks:
                    self._tasks[(job.id, t.name)] = self.progress.add_task(
                        f"  {escape(t.name)}", total=1.0, status=t.status
                    )
            for t in [task] if task is not None else job.tasks:
                done = t.state is TaskState.COMPLETED
                self.progress.update(
                    self._tasks[(job.id, t.name)],
                    completed=1.0 if done else t.progress,
                    status=escape(t.status if not t.state.finished else t.state.value),
                )
            self.progress.update(
                self._jobs[job.id], completed=job.progress, status=escape(job.status)
            )


@contextlib.contextmanager
def job_bars(quiet: bool) -> Iterator[JobBars]:
    """A :class:`JobBars` whose bars are live (on a terminal) inside the ``with`` block."""
    progress = _bars(quiet)
    with progress:
        yield JobBars(progress)


def task_summary(job: Job) -> str:
    """One line: what each task of a finished job ended as."""
    parts = [
        f"{t.name} {t.state.value}" + (f" except {', '.join(t.failures)}" if t.failures else "")
        for t in job.tasks
    ]
    where = (
        f"; kept files are in {job.export_dir}"
        if job.export_dir and job.export_dir.exists()
        else ""
    )
    return ", ".join(parts) + where


class BatchBars:
    """An overall bar for a batch and one bar per recording while it runs."""

    def __init__(self, progress: Bars, recordings: list[Path]) -> None:
        self.progress = progress
        self.recordings = recordings
        self.fractions = [0.0] * len(recordings)
        self._bars: dict[int, TaskID] = {}
        self._finished = 0
        self._lock = threading.Lock()
        self._overall = progress.add_task(
            f"[bold]{len(recordings)} recordings", total=1.0, status=""
        )

    def _refresh(self, status: str) -> None:
        overall = sum(self.fractions) / max(len(self.fractions), 1)
        self.progress.update(self._overall, completed=overall, status=escape(status))

    def update(self, index: int, fraction: float, text: str) -> None:
        """``on_progress`` of :func:`gazeport.batch.export_many`."""
        with self._lock:
            if index not in self._bars:
                self._bars[index] = self.progress.add_task(
                    f"  {escape(self.recordings[index].name)}", total=1.0, status=""
                )
            self.fractions[index] = max(self.fractions[index], min(fraction, 1.0))
            self.progress.update(
                self._bars[index], completed=self.fractions[index], status=escape(text)
            )
            self._refresh(f"{self._finished} of {len(self.recordings)} done")

    def done(self, item: BatchItem) -> None:
        """``on_done`` of :func:`gazeport.batch.export_many`: the recording's bar goes away."""
        with self._lock:
            self._finished += 1
            index = next(
                (i for i, rec in enumerate(self.recordings) if rec == item.recording), None
            )
            if index is not None:
                self.fractions[index] = 1.0
                bar = self._bars.pop(index, None)
                if bar is not None:
                    self.progress.remove_task(bar)
            self._refresh(f"{self._finished} of {len(self.recordings)} done")


@contextlib.contextmanager
def batch_bars(quiet: bool, recordings: list[Path]) -> Iterator[BatchBars]:
    """A :class:`BatchBars` whose bars are live (on a terminal) inside the ``with`` block."""
    progress = _bars(quiet)
    with progress:
        yield BatchBars(progress, recordings)
