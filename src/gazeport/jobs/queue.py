"""A queue that runs export jobs in background threads, with a cap per kind of task.

Tasks start in submission order (job by job, exporter by exporter) while fewer than
``caps[kind]`` tasks of their kind are running, like Pupil Player's export task manager (the
World Video Exporter runs one task at a time). Finished jobs stay listed with their outcome and
folder until :meth:`JobQueue.remove_finished`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping

from .model import Job, Task, TaskState
from .runner import begin_job, finish_job, run_task

#: Tasks of a kind that may run at the same time, unless the queue is told otherwise.
DEFAULT_CAPS: Mapping[str, int] = {"data": 1, "video": 1}


class JobQueue:
    """Run jobs from :func:`gazeport.jobs.prepare_export` in threads.

    ``caps`` maps a task kind (``"data"``, ``"video"``) to how many tasks of it may run at
    once; kinds not named get 1. Use as a context manager to cancel and wait on exit.
    """

    def __init__(self, caps: Mapping[str, int] | None = None) -> None:
        self.caps = {**DEFAULT_CAPS, **(caps or {})}
        for kind, cap in self.caps.items():
            if cap < 1:
                raise ValueError(f"The cap for {kind} tasks must be at least 1, not {cap}.")
        self._jobs: list[Job] = []
        self._running: Counter[str] = Counter()
        self._threads: set[threading.Thread] = set()
        self._lock = threading.RLock()
        self._closed = False

    # --- what a front-end calls -----------------------------------------------------------

    def submit(self, job: Job) -> Job:
        """Queue a prepared job; its tasks start as soon as the caps allow."""
        with self._lock:
            if self._closed:
                raise RuntimeError("The job queue is closed.")
            job._on_tasks_ended = self._job_tasks_ended
            self._jobs.append(job)
        job.changed(None)
        self._schedule()
        return job

    @property
    def jobs(self) -> list[Job]:
        """Every job submitted and not removed, finished ones included, in submission order."""
        with self._lock:
            return list(self._jobs)

    def running(self, kind: str | None = None) -> int:
        with self._lock:
            return self._running[kind] if kind else sum(self._running.values())

    def cancel(self, target: Job | Task) -> None:
        """Cancel a job (all its unfinished tasks) or a single task, queued or running."""
        target.cancel()
        self._schedule()

    def cancel_all(self) -> None:
        for job in self.jobs:
            job.cancel()
        self._schedule()

    def remove_finished(self) -> list[Job]:
        """Drop finished jobs from the list; returns them."""
        with self._lock:
            gone = [job for job in self._jobs if job.done]
            self._jobs = [job for job in self._jobs if not job.done]
        return gone

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every job has finished; ``False`` on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for job in self.jobs:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if not job.wait(left):
                return False
        return True

    def close(self, cancel: bool = True) -> None:
        """Stop taking jobs; cancel the unfinished ones (unless ``cancel`` is False) and wait."""
        with self._lock:
            self._closed = True
        if cancel:
            self.cancel_all()
        self.wait()
        for thread in list(self._threads):
            thread.join()

    def __enter__(self) -> JobQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)

    # --- scheduling -----------------------------------------------------------------------

    def _schedule(self) -> None:
        with self._lock:
            for job in self._jobs:
                if job.done:
                    continue
                for task in job.tasks:
                    if task.state is not TaskState.QUEUED:
                        continue
                    if self._running[task.kind] >= self.caps.get(task.kind, 1):
                        continue
                    self._running[task.kind] += 1
                    thread = threading.Thread(
                        target=self._run, args=(job, task), name=f"gazeport-job{job.id}-{task.name}"
                    )
                    self._threads.add(thread)
                    thread.start()

    def _run(self, job: Job, task: Task) -> None:
        try:
            if task.state is not TaskState.QUEUED:
                return  # cancelled between scheduling and this thread's start
            try:
                begin_job(job)
            except Exception as exc:
                # No folder, so no task of this job can run: fail them all with the reason.
                with job.lock:
                    for other in job.tasks:
                        if not other.state.finished:
                            other.state, other.status = TaskState.FAILED, "failed"
                            other.error, other.exception = str(exc), exc
                finish_job(job)
                return
            run_task(job, task)
        finally:
            with self._lock:
                self._running[task.kind] -= 1
                self._threads.discard(threading.current_thread())
            self._schedule()

    def _job_tasks_ended(self, job: Job) -> None:
        finish_job(job)
