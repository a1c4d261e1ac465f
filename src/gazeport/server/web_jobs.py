"""The app's job registry: recording exports and other background work, listed and watched.

:class:`JobRegistry` (one per app, in ``state.extras["jobs"]``, made on first use by
:func:`job_registry`) holds two kinds of job behind one snapshot shape:

- **export** jobs: a :class:`gazeport.jobs.Job` from :func:`gazeport.jobs.prepare_export`, run by
  the library's :class:`~gazeport.jobs.JobQueue` threads (its caps, its cancel, its
  ``exports/NNN`` folders and temporary names);
- **callable** jobs (:class:`CallableJob`): one function run in a thread of its own, such as a
  dataset export, one at a time; it reports progress and sees a cancel at its next report.

Every change bumps a version counter, so the event stream (``/api/jobs/events``) can send the
snapshots of the jobs that changed since it last looked, at its own pace (throttled) and
without a thread per client. Finished jobs stay listed for reference. :meth:`JobRegistry.close`
(when the app shuts down) cancels what still runs and waits for it.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import GazeportError
from ..jobs import EXPORTER_TASKS, Job, JobQueue, Task
from .callable_jobs import CallableJob, iso_utc, now_utc, shown_path

log = logging.getLogger("gazeport.server")


class Entry(Protocol):
    """What the registry needs of a job of any kind."""

    id: str
    seq: int

    @property
    def finished(self) -> bool: ...

    def snapshot(self) -> dict[str, Any]: ...

    def cancel(self) -> None: ...


@dataclass(eq=False)
class ExportEntry:
    """A recording export: the library's job, and the recording id it belongs to."""

    id: str
    seq: int
    job: Job
    recording: str
    root: Path
    #: The recording's folder below the served root (what the page shows).
    recording_path: str = ""
    created_utc: str = field(default_factory=now_utc)

    @property
    def status(self) -> str:
        job = self.job
        if job.outcome is not None:
            return job.outcome
        started = any(t.state.value != "queued" for t in job.tasks)
        return "running" if started or job.started_utc is not None else "queued"

    @property
    def finished(self) -> bool:
        return self.job.done

    def cancel(self) -> None:
        self.job.cancel()

    def snapshot(self) -> dict[str, Any]:
        job = self.job
        with job.lock:
            tasks = [_task_snapshot(t) for t in job.tasks]
            status = self.status
            return {
                "id": self.id, "seq": self.seq, "kind": "export", "title": f"Export of {self.recording_path}",
                "recording_path": self.recording_path, "status": status,
                "progress": round(1.0 if status == "completed" else job.progress, 4),
                "tasks": tasks, "recording": self.recording,
                "out_dir": shown_path(self.root, job.export_dir), "error": job.error or None,
                "created_utc": self.created_utc, "started_utc": iso_utc(job.started_utc),
                "finished_utc": iso_utc(job.finished_utc), "download": None,
            }  # fmt: skip


def _task_snapshot(task: Task) -> dict[str, Any]:
    spec = EXPORTER_TASKS.get(task.name)
    out: dict[str, Any] = {
        "name": task.name, "title": (spec.heading if spec else "") or task.name,
        "status": task.state.value, "progress": round(task.progress, 4), "text": task.status,
    }  # fmt: skip
    if task.error:
        out["error"] = task.error
    if task.failures:
        out["error"] = "; ".join(f"{k}: {v}" for k, v in task.failures.items())
    if task.warnings:
        out["warnings"] = list(task.warnings)
    if task.skipped:
        out["skipped"] = dict(task.skipped)
    return out


class UnknownJobError(GazeportError, LookupError):
    """No job has the id a request named (HTTP 404)."""


class JobFinishedError(GazeportError, RuntimeError):
    """A request to change a job that has already finished (HTTP 409)."""


#: Finished jobs kept listed (newest first); older ones are forgotten (their files stay).
MAX_FINISHED = 500


class JobRegistry:
    """Every job of the app, newest first (see the module docstring); of the finished ones the
    newest :data:`MAX_FINISHED`, so a server left running for months does not grow."""

    def __init__(self, root: Path, queue: JobQueue | None = None) -> None:
        self.root = root
        self.queue = queue or JobQueue()
        self._entries: dict[str, Entry] = {}
        self._by_job: dict[int, str] = {}
        self._stamps: dict[str, int] = {}
        self._version = 0
        #: Tells this registry's event ids from an earlier server's.
        self.epoch = secrets.token_hex(4)
        self._seq = itertools.count(1)
        self._lock = threading.RLock()
        self._serial = threading.Lock()  # callable jobs run one at a time
        self._threads: list[threading.Thread] = []
        self.closed = False
        #: Event streams open right now (changed only on the event loop's thread).
        self.watchers = 0

    # --- adding jobs ----------------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh job id (random, so folders named after it never meet an old one)."""
        while True:
            jid = secrets.token_hex(4)
            if jid not in self._entries:
                return jid

    def listener(self, job: Job, task: Task | None) -> None:
        """The library job's listener: mark its entry changed (from any thread)."""
        jid = self._by_job.get(job.id)
        if jid is not None:
            self._touch(jid)
        if job.done and job.spec is not None:
            # Finished jobs stay listed for reference; the recording's loaded streams need not.
            spec, job.spec = job.spec, None
            rec = getattr(spec, "rec", None)
            if rec is not None:
                rec.close()

    def add_export(self, jid: str, job: Job, recording: str, path: str = "") -> ExportEntry:
        """Register a prepared job (made with ``listener=self.listener``) of the recording with
        id ``recording`` (at ``path`` below the root) and queue it."""
        with self._lock:
            self._check_open()
            entry = ExportEntry(jid, next(self._seq), job, recording, self.root, path)
            self._entries[jid] = entry
            self._by_job[job.id] = jid
            self._touch(jid)
            self._forget_old()
        self.queue.submit(job)
        return entry

    def add_callable(
        self,
        jid: str,
        kind: str,
        title: str,
        run: Callable[[CallableJob], Any],
        *,
        out_dir: Path | None = None,
        download: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> CallableJob:
        """Start ``run`` in a thread of its own (after the callable jobs before it)."""
        with self._lock:
            self._check_open()
            job = CallableJob(
                jid,
                next(self._seq),
                kind,
                title,
                run,
                self.root,
                out_dir,
                download,
                dict(meta or {}),
            )
            job.on_change = lambda j: self._touch(j.id)
            self._entries[jid] = job
            self._touch(jid)
            thread = threading.Thread(
                target=job.execute, args=(self._serial,), name=f"gazeport-{kind}-{jid}", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
            self._forget_old()
        thread.start()
        return job

    def _forget_old(self) -> None:
        """Drop the oldest finished jobs beyond :data:`MAX_FINISHED` (under the lock)."""
        finished = [e for e in self._entries.values() if e.finished]
        if len(finished) <= MAX_FINISHED:
            return
        finished.sort(key=lambda e: e.seq)
        gone = {e.id for e in finished[: len(finished) - MAX_FINISHED]}
        for jid in gone:
            del self._entries[jid]
            self._stamps.pop(jid, None)
        self._by_job = {k: v for k, v in self._by_job.items() if v not in gone}

    # --- dataset exports, for GraphQL's datasetExportJob ----------------------------------

    def get(self, jid: str) -> dict[str, Any] | None:
        """A dataset export's record for GraphQL: its snapshot with the folder as an absolute
        path; None for another kind of job; :class:`UnknownJobError` for an unknown id."""
        entry = self.entry(jid)
        if not isinstance(entry, CallableJob) or entry.kind != "dataset":
            return None
        return {**entry.snapshot(), "out_dir": str(entry.out_dir)}

    # --- reading --------------------------------------------------------------------------

    def entry(self, jid: str) -> Entry:
        with self._lock:
            entry = self._entries.get(jid)
        if entry is None:
            raise UnknownJobError(
                f"There is no job with id {jid!r}; /api/jobs lists every job of this server."
            )
        return entry

    def entries(self) -> list[Entry]:
        """Every job, newest first."""
        with self._lock:
            return sorted(self._entries.values(), key=lambda e: -e.seq)

    def busy(self) -> bool:
        """Whether any job is queued or running."""
        with self._lock:
            entries = list(self._entries.values())
        return any(not e.finished for e in entries)

    @property
    def version(self) -> int:
        return self._version

    def changes_since(self, version: int) -> tuple[int, list[dict[str, Any]]]:
        """The current version and the snapshots of the jobs changed after ``version``, oldest
        first (``-1``: every job)."""
        with self._lock:
            now = self._version
            changed = [self._entries[j] for j, v in self._stamps.items() if v > version]
        changed.sort(key=lambda e: e.seq)
        return now, [e.snapshot() for e in changed]

    # --- changing -------------------------------------------------------------------------

    def cancel(self, jid: str) -> Entry:
        """Cancel a queued or running job; :class:`JobFinishedError` when it has ended."""
        entry = self.entry(jid)
        if entry.finished:
            raise JobFinishedError(
                f"Job {jid} has already finished ({entry.snapshot()['status']}); "
                "only queued or running jobs can be cancelled."
            )
        if isinstance(entry, ExportEntry):
            self.queue.cancel(entry.job)
        else:
            entry.cancel()
        self._touch(jid)
        return entry

    def close(self, timeout: float = 30.0) -> None:
        """Cancel every unfinished job and wait for them (the app is shutting down)."""
        with self._lock:
            self.closed = True
            entries = list(self._entries.values())
            threads = list(self._threads)
        for entry in entries:
            if not entry.finished and not isinstance(entry, ExportEntry):
                entry.cancel()
        self.queue.close(cancel=True)
        for thread in threads:
            thread.join(timeout)

    def _touch(self, jid: str) -> None:
        with self._lock:
            self._version += 1
            self._stamps[jid] = self._version

    def _check_open(self) -> None:
        if self.closed:
            raise JobFinishedError("The server is shutting down and takes no new jobs.")


_make_lock = threading.Lock()


def job_registry(state: Any) -> JobRegistry:
    """The app's registry in ``state.extras["jobs"]``, made on first use."""
    with _make_lock:
        registry = state.extras.get("jobs")
        if registry is None:
            registry = JobRegistry(state.root)
            state.extras["jobs"] = registry
        assert isinstance(registry, JobRegistry)
        return registry
