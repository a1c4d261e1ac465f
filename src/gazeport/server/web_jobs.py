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

import datetime as dt
import itertools
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import ExportCancelled, GazeportError
from ..jobs import EXPORTER_TASKS, Job, JobQueue, Task
from .paths import is_inside, relative_posix

log = logging.getLogger("gazeport.server")

#: The statuses a job snapshot can have.
STATUSES = ("queued", "running", "completed", "failed", "cancelled")
FINISHED = frozenset({"completed", "failed", "cancelled"})


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") if when is not None else None


def _where(root: Path, folder: Path | None) -> str | None:
    """A folder as the page shows it: relative to the served root when inside it."""
    if folder is None:
        return None
    return relative_posix(root, folder) if is_inside(root, folder) else str(folder)


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
    created_utc: str = field(default_factory=_now)

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
                "out_dir": _where(self.root, job.export_dir), "error": job.error or None,
                "created_utc": self.created_utc, "started_utc": _iso(job.started_utc),
                "finished_utc": _iso(job.finished_utc), "download": None,
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
    status: str = "queued"
    progress: float = 0.0
    text: str = "queued"
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    result: Any = None
    created_utc: str = field(default_factory=_now)
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
            self.finished_utc = _now()
        self._done.set()
        self.on_change(self)

    def execute(self, serial: threading.Lock) -> None:
        """Run (in the job's thread): wait for the one slot, then ``run``; never raises."""
        with serial:
            with self.lock:
                if self.status != "queued":
                    return  # cancelled while it waited
                self.status, self.text, self.started_utc = "running", "starting", _now()
            self.on_change(self)
            try:
                self.result = self.run(self)
            except ExportCancelled:
                self._end("cancelled", "cancelled")
            except GazeportError as exc:
                self._end("failed", "failed", str(exc))
            except Exception as exc:
                log.error("job %s (%s) failed unexpectedly", self.id, self.title, exc_info=exc)
                self._end("failed", "failed", f"unexpected {type(exc).__name__}: {exc}")
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
                "out_dir": _where(self.root, self.out_dir), "error": self.error,
                "created_utc": self.created_utc, "started_utc": self.started_utc,
                "finished_utc": self.finished_utc,
                "download": self.download if self.status == "completed" else None,
                "result": self.result,
            }  # fmt: skip


class UnknownJobError(GazeportError, LookupError):
    """No job has the id a request named (HTTP 404)."""


class JobFinishedError(GazeportError, RuntimeError):
    """A request to change a job that has already finished (HTTP 409)."""


class JobRegistry:
    """Every job of the app, newest first (see the module docstring)."""

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
    ) -> CallableJob:
        """Start ``run`` in a thread of its own (after the callable jobs before it)."""
        with self._lock:
            self._check_open()
            job = CallableJob(jid, next(self._seq), kind, title, run, self.root, out_dir, download)
            job.on_change = lambda j: self._touch(j.id)
            self._entries[jid] = job
            self._touch(jid)
            thread = threading.Thread(
                target=job.execute, args=(self._serial,), name=f"gazeport-{kind}-{jid}", daemon=True
            )
            self._threads.append(thread)
        thread.start()
        return job

    # --- reading --------------------------------------------------------------------------

    def get(self, jid: str) -> Entry:
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
        entry = self.get(jid)
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
