"""Dataset exports started by GraphQL's ``datasetExport``: the job interface and a fallback.

The web app's job registry (``state.extras["jobs"]``, built for ``POST /api/datasets/exports``)
runs the exports when it is there. ``datasetExport`` needs only two of its methods, the
**export-job interface**:

``submit_dataset_export(options: dict) -> str``
    Start :func:`gazeport.datasets.export_store` in the background and return the job id at
    once. ``options`` is JSON-able: ``"db"`` (absolute path of the label store), ``"out_dir"``
    (absolute path of the folder to write, already checked to be inside the served folder and
    outside every recording) and the field names of
    :class:`~gazeport.datasets.DatasetOptions` with JSON values (lists for its tuples, the split
    as fractions ``{"train": 0.8, "val": 0.2}``); :func:`dataset_options` turns them back.
``get(job_id: str) -> dict``
    The job's state: ``{"id", "status"`` (``queued``, ``running``, ``done``, ``failed``,
    ``cancelled``) ``, "done", "total", "error"`` (one sentence or None) ``, "result"`` (None
    until done, then ``{"out_dir", "tasks", "boxes", "splits", "images_written",
    "image_problems"}``) ``}``; None or a ``LookupError`` (``KeyError``) for an unknown id.
    Tolerated too: ``"completed"`` for done, ``"progress"`` as a fraction, ``"images"`` for
    ``"tasks"`` in the result.

Without a registry, :class:`ThreadExports` (kept in ``state.extras["graphql_exports"]``) is that
interface in its smallest form: one thread per export and an in-memory status record, no queue,
no cancel, forgotten on restart.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from ..datasets import DatasetOptions, export_store
from ..errors import GazeportError

log = logging.getLogger("gazeport.server")

_TUPLE_FIELDS = ("statuses", "labels", "min_size", "frame_range", "min_image_size")
_ACTIVE = ("queued", "running")


class ExportBusyError(GazeportError, RuntimeError):
    """Another export is still writing the same folder (both would replace it)."""


class ExportJobs(Protocol):
    """What ``datasetExport`` needs of a job registry (see the module docstring)."""

    def submit_dataset_export(self, options: dict[str, Any]) -> str: ...

    def get(self, job_id: str) -> dict[str, Any] | None: ...


def dataset_options(options: Mapping[str, Any]) -> DatasetOptions:
    """:class:`DatasetOptions` from the JSON-able ``options`` (``db`` and ``out_dir`` ignored)."""
    names = {f.name for f in dataclasses.fields(DatasetOptions)}
    values = {k: v for k, v in options.items() if k in names}
    for key in _TUPLE_FIELDS:
        if values.get(key) is not None:
            values[key] = tuple(values[key])
    return DatasetOptions(**values)


def options_json(db: Path, out_dir: Path, options: DatasetOptions) -> dict[str, Any]:
    """The ``options`` dict of :meth:`ExportJobs.submit_dataset_export` (JSON-able)."""
    data = dataclasses.asdict(options)
    for key in _TUPLE_FIELDS:
        if data.get(key) is not None:
            data[key] = list(data[key])
    return {"db": str(db), "out_dir": str(out_dir), **data}


def _message(exc: BaseException) -> str:
    if isinstance(exc, GazeportError | ValueError | OSError):
        return " ".join(str(exc).split()) or type(exc).__name__
    return (
        f"The export failed unexpectedly ({type(exc).__name__}); the server's log has the "
        "details. This is a bug in gazeport; please report it."
    )


class ThreadExports:
    """The export-job interface with one thread per export (the fallback; module docstring)."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict[str, Any]] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit_dataset_export(self, options: dict[str, Any]) -> str:
        parsed = dataset_options(options)  # bad options fail here, before a job exists
        job_id = uuid.uuid4().hex[:12]
        record = {
            "id": job_id, "kind": "dataset_export", "status": "queued", "done": 0, "total": 0,
            "error": None, "result": None, "format": parsed.format, "out_dir": options["out_dir"],
        }  # fmt: skip
        with self._lock:
            for other in self._jobs.values():
                if other["out_dir"] == record["out_dir"] and other["status"] in _ACTIVE:
                    raise ExportBusyError(
                        f"The export {other['id']} is still writing {Path(other['out_dir']).name}; "
                        "wait for it or pick another folder."
                    )
            self._jobs[job_id] = record
        thread = threading.Thread(
            target=self._run, args=(job_id, Path(options["db"]), Path(options["out_dir"]), parsed),
            name=f"gazeport-dataset-export-{job_id}", daemon=True,
        )  # fmt: skip
        self._threads.append(thread)
        thread.start()
        return job_id

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            self._jobs[job_id].update(changes)

    def _run(self, job_id: str, db: Path, out_dir: Path, options: DatasetOptions) -> None:
        self._update(job_id, status="running")

        def progress(done: int, total: int) -> None:
            self._update(job_id, done=int(done), total=int(total))

        try:
            result = export_store(db, out_dir, options, progress=progress)
        except BaseException as exc:  # a thread's failure must land in its record
            if not isinstance(exc, GazeportError | ValueError | OSError):
                log.error("dataset export %s failed", job_id, exc_info=exc)
            self._update(job_id, status="failed", error=_message(exc))
            return
        report = result.report
        with self._lock:
            record = self._jobs[job_id]
            record.update(
                status="done", done=max(report.tasks, record["done"]),
                total=max(report.tasks, record["total"]),
                result={
                    "out_dir": str(report.out_dir), "tasks": report.tasks, "boxes": report.boxes,
                    "splits": dict(report.splits), "images_written": report.images_written,
                    "image_problems": [str(p) for p in result.image_problems],
                },
            )  # fmt: skip

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            record = self._jobs.get(job_id)
            return None if record is None else dict(record)

    def wait(self, timeout_s: float = 60.0) -> None:
        """Wait for every export started so far (tests, shutdown)."""
        for thread in list(self._threads):
            thread.join(timeout_s)

    def close(self) -> None:
        self.wait(5.0)
