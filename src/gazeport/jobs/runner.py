"""Preparing and running export jobs: the folder, the tasks, the job record.

:func:`prepare_export` checks everything it can before anything is written and returns a
:class:`~gazeport.jobs.model.Job` with one queued task per exporter. :func:`run_job` runs it in
the calling thread; :class:`gazeport.jobs.queue.JobQueue` runs many jobs in threads with a cap per
kind of task. Each task writes to temporary names that are renamed only when the task
completes, so a cancelled or failed task leaves nothing that looks complete; the job's record
(``gazeport_export.json``) says what ran and how it ended.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..analysis.blinks import BlinkParams
from ..analysis.fixations import FixationParams
from ..errors import ExportCancelled, ExportError, GazeportError
from ..exporters import raw_data
from ..exporters.dialects import PUPIL_PLAYER, TABLE_DIALECTS, resolve_dialect
from ..exporters.video_options import VideoOptions
from ..recording import Recording, open_recording
from .cleanup import (
    JOB_RECORD,
    notes_after_cleaning,
    process_identity,
    remove_export_folder,
    write_progress_record,
)
from .context import ExportOptions, ExportResult, TaskContext
from .exporter_tasks import DEFAULT_EXPORTERS, EXPORTER_TASKS, exporters_for
from .model import Job, Listener, Task, TaskState, add_note, cancelled_error
from .session import Staging, create_export_dir, export_info_text
from .signals import signals_deferred
from .task_warnings import routed_to

if TYPE_CHECKING:
    from ..recording import AnyRecording

FORMATS = ("csv", "parquet")


@dataclass
class ExportSpec:
    """What a prepared job needs to run (kept on ``job.spec``)."""

    rec: AnyRecording
    frame_range: tuple[int, int]
    window: tuple[float, float]
    options: ExportOptions
    out_dir: Path | None
    parameters: dict[str, Any]
    window_ns: tuple[int, int] = (0, 0)
    dialect: str = PUPIL_PLAYER
    result: ExportResult | None = None
    folder_created: bool = False
    begun: bool = False
    started: float = 0.0


def _validate(exporters: tuple[str, ...], options: ExportOptions) -> None:
    unknown = [name for name in exporters if name not in EXPORTER_TASKS]
    if unknown or not exporters:
        raise ExportError(
            f"Unknown exporter {', '.join(unknown) or '(none given)'}; "
            f"choose from: {', '.join(EXPORTER_TASKS)}."
        )
    if options.fmt not in FORMATS:
        raise ExportError(
            f"Unknown export format {options.fmt!r}; choose one of: {', '.join(FORMATS)}."
        )
    if options.fmt == "parquet" and "raw" in exporters:
        raw_data.require_parquet()
    mc = options.min_confidence
    if mc is not None and not (0.0 <= mc <= 1.0):
        raise ExportError(f"The minimum confidence must lie between 0 and 1, not {mc}.")
    try:
        options.fixation_params.validate()
        options.blink_params.validate()
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    options.video.validate()


def _opened(recording: AnyRecording | Path | str) -> AnyRecording:
    """``recording`` itself if it is an opened recording, else the recording opened from that
    folder (a folder is a path; asking the recording classes would import Neon's for a Core
    export)."""
    if isinstance(recording, (str, os.PathLike)):
        return open_recording(recording)
    return recording


def prepare_export(
    recording: AnyRecording | Path | str,
    *,
    exporters: tuple[str, ...] = DEFAULT_EXPORTERS,
    out_dir: Path | str | None = None,
    start_frame: int | None = None,
    end_frame: int | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    from_event: str | None = None,
    to_event: str | None = None,
    options: ExportOptions | None = None,
    listener: Listener | None = None,
    cancel: Any = None,
) -> Job:
    """Check the request and build a job with one queued task per exporter; writes nothing.

    Raises :class:`ExportError` (or another :class:`GazeportError`) for unknown exporters,
    bad options, a recording that cannot be opened or a range outside the recording.
    """
    options = options or ExportOptions()
    exporters = tuple(dict.fromkeys(exporters))  # keep order, drop repeats
    _validate(exporters, options)
    rec = _opened(recording)
    dialect = resolve_dialect(rec, options.dialect)
    exporters = exporters_for(dialect, exporters)
    span = rec.export_window(start_frame, end_frame, start_s, end_s, from_event, to_event)
    frame_range, window = span.frame_range, span.window_s
    parameters: dict[str, Any] = {
        "exporters": list(exporters), "dialect": dialect, "format": options.fmt,
        "min_confidence": options.min_confidence, "frame_range": list(frame_range),
        "window_s": list(window), "fixations": asdict(options.fixation_params),
        "blinks": asdict(options.blink_params),
    }  # fmt: skip
    if any(EXPORTER_TASKS[name].kind == "video" for name in exporters):
        parameters["video"] = asdict(options.video)
    job = Job(rec.path, listener=listener, external_cancel=cancel)
    if from_event is not None or to_event is not None:
        parameters["events"] = [from_event, to_event]
    if dialect != PUPIL_PLAYER:
        parameters["window_ns"] = list(span.window_ns)
    job.spec = ExportSpec(
        rec, frame_range, window, options, None if out_dir is None else Path(out_dir), parameters,
        span.window_ns, dialect,
    )  # fmt: skip
    for name in exporters:
        spec = EXPORTER_TASKS[name]
        job.add_task(name, spec.kind, spec.weight)
    return job


def begin_job(job: Job) -> None:
    """Create the job's export folder (once); called before its first task runs.

    What exports of the same recording (or into the same ``out_dir``) that were killed left
    behind is removed first (:func:`gazeport.jobs.cleanup.clean_exports`). The new folder gets
    its running-export record at once, so that a later clean-up can tell it apart.
    """
    spec: ExportSpec = job.spec
    with job.lock:
        if spec.begun or job.done:  # done: every task was cancelled before one could start
            return
        spec.begun = True
        spec.started = time.perf_counter()
        job.started_utc = dt.datetime.now(dt.timezone.utc)
        out_dir = spec.out_dir
        cleaned = notes_after_cleaning(spec.rec.path if out_dir is None else out_dir)
        spec.folder_created = out_dir is None or not out_dir.exists()
        folder = None
        try:
            with signals_deferred():  # a Ctrl-C must not fall between mkdir and `folder =`
                folder = create_export_dir(spec.rec.path) if out_dir is None else out_dir
                folder.mkdir(parents=True, exist_ok=True)
                write_progress_record(
                    folder,
                    recording=spec.rec.path,
                    started_utc=job.started_utc,
                    folder_created=spec.folder_created,
                )
        except BaseException as exc:  # Ctrl-C too: no folder without its record stays
            if folder is not None:
                remove_export_folder(folder, spec.folder_created)
            spec.folder_created = False
            if not isinstance(exc, OSError):
                raise
            target = out_dir if out_dir is not None else spec.rec.path / "exports"
            raise ExportError(
                f"Cannot create the export folder in {target} ({exc.strerror or exc}); "
                "choose another place with --out or check the permissions."
            ) from exc
        job.export_dir = folder
        spec.result = ExportResult(spec.rec.path, folder, spec.frame_range, tasks=job.tasks)
        spec.result.warnings.extend(cleaned)
    job.changed(None)


def run_task(job: Job, task: Task) -> None:
    """Run one queued task in this thread; it ends completed, cancelled or failed.

    ``KeyboardInterrupt`` cancels the task and is raised again afterwards.
    """
    spec: ExportSpec = job.spec
    with job.lock:
        if task.state is not TaskState.QUEUED:
            return
        task.state, task.status = TaskState.RUNNING, "starting"
    assert spec.result is not None  # begin_job ran
    staging = Staging(spec.result.export_dir)
    ctx = TaskContext(
        task, spec.rec, spec.frame_range, spec.window, spec.options, spec.result, staging,
        spec.window_ns, spec.dialect,
    )  # fmt: skip
    started = time.perf_counter()
    interrupted: KeyboardInterrupt | None = None
    try:
        with routed_to(task):  # this thread's warnings are the task's from here
            job.changed(task)
            task.check()
            EXPORTER_TASKS[task.name].run(ctx)
            task.check()
            with signals_deferred():  # renamed files are the task's before an interrupt can land
                task.files.extend(staging.commit())
    except BaseException as exc:
        staging.discard()
        _remove_own_files(task)
        if isinstance(exc, KeyboardInterrupt):
            interrupted = exc
            job.cancel()
        if isinstance(exc, (ExportCancelled, KeyboardInterrupt)):
            task.state, task.status, task.exception = TaskState.CANCELLED, "cancelled", exc
        else:
            task.state, task.status = TaskState.FAILED, "failed"
            task.error, task.exception = _reason(exc, spec.result.export_dir), exc
    else:
        task.state, task.progress, task.status = TaskState.COMPLETED, 1.0, "done"
    task.seconds = time.perf_counter() - started
    with job.lock:  # the export's notes: each task's warnings, each text once
        for message in task.warnings:
            add_note(spec.result.warnings, message)
    job.changed(task)
    job.task_ended()
    if interrupted is not None:
        raise interrupted


def _remove_own_files(task: Task) -> None:
    for path in task.files:
        with suppress(FileNotFoundError):
            path.unlink()
    task.files.clear()


def _reason(exc: BaseException, folder: Path) -> str:
    if isinstance(exc, GazeportError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"Writing the export into {folder} failed: {exc.strerror or exc}."
    return f"unexpected {type(exc).__name__}: {exc}"


def finish_job(job: Job) -> None:
    """After the last task: write ``export_info.csv`` and the job record, or remove the
    folder when nothing was produced and something went wrong. Idempotent.

    If finishing itself fails (any exception), every file of the job and the folder it
    created are removed and the job ends ``failed``, the reason in ``job.error`` (raised by
    :func:`raise_for_outcome`); a ``KeyboardInterrupt`` ends it ``cancelled`` and is raised.
    """
    with job.lock:
        if job.done:
            return
        try:
            outcome = _finish(job)
        except BaseException as exc:
            job.mark_done(_roll_back(job, exc))
            if not isinstance(exc, Exception):
                raise
            return
        job.mark_done(outcome)


def _finish(job: Job) -> str:
    """Write the info file and the job record (or remove an empty folder); the outcome."""
    spec: ExportSpec = job.spec
    states = {t.state for t in job.tasks}
    failed_part = any(t.failures for t in job.tasks)
    if TaskState.FAILED in states or failed_part or job.exception is not None:
        outcome = "failed"
    elif TaskState.CANCELLED in states or job.cancel_requested:
        outcome = "cancelled"
    else:
        outcome = "completed"
    result = spec.result
    if result is None:  # never began: every task was cancelled while queued
        return outcome
    produced = any(t.files for t in job.tasks)
    folder = result.export_dir
    result.outcome = outcome
    if outcome != "completed" and not produced:
        remove_export_folder(folder, spec.folder_created)
    else:
        staging = Staging(folder)
        try:
            info = _export_info(spec)
            if info is not None:
                with staging.path("export_info.csv").open("w", encoding="utf-8", newline="") as fh:
                    fh.write(info)
            job.finished_utc = dt.datetime.now(dt.timezone.utc)
            staging.path(JOB_RECORD).write_text(
                job_record(job, outcome), encoding="utf-8", newline=""
            )
            info_files = staging.commit()
        except BaseException:
            staging.discard()
            raise
        first = [f for f in info_files if f.name == "export_info.csv"]
        last = [f for f in info_files if f.name != "export_info.csv"]
        result.files = first + [f for t in job.tasks for f in t.files] + last
    result.seconds = time.perf_counter() - spec.started
    return outcome


def _export_info(spec: ExportSpec) -> str | None:
    """``export_info.csv`` in the job's dialect (``None`` when it writes none)."""
    table_dialect = TABLE_DIALECTS.get(spec.dialect)
    if table_dialect is None:
        assert isinstance(spec.rec, Recording)  # resolve_dialect: Pupil Player is Core's
        return export_info_text(spec.rec, spec.frame_range)
    if table_dialect.info_text is None:
        return None
    return table_dialect.info_text(spec.rec, spec.window_ns, spec.frame_range)


def _roll_back(job: Job, exc: BaseException) -> str:
    """Finishing failed: nothing of the job may stay, since nothing would explain it (no
    ``export_info.csv``, no job record). Returns the outcome."""
    spec: ExportSpec = job.spec
    for task in job.tasks:
        _remove_own_files(task)
    result = spec.result
    if result is not None:
        remove_export_folder(result.export_dir, spec.folder_created)
        result.files = []
    interrupted = not isinstance(exc, Exception)
    if not interrupted:
        job.exception = exc
        job.error = _reason(exc, result.export_dir if result else spec.rec.path)
    outcome = "cancelled" if interrupted else "failed"
    if result is not None:
        result.outcome = outcome
        result.seconds = time.perf_counter() - spec.started
    return outcome


def _software(rec: AnyRecording) -> str:
    if isinstance(rec, Recording):
        return f"{rec.info.recording_software_name} {rec.info.recording_software_version}"
    return f"Neon Companion {rec.info.app_version}"


def job_record(job: Job, outcome: str) -> str:
    """JSON text of the job record written into the export folder."""
    spec: ExportSpec = job.spec
    rec = spec.rec
    result = spec.result
    assert result is not None
    import importlib.metadata  # ~7 ms, only for the job record

    versions = {"gazeport": __version__, "python": platform.python_version()}
    for module in ("numpy", "msgpack", "orjson", "scipy", "av", "opencv-python-headless"):
        with suppress(importlib.metadata.PackageNotFoundError):
            versions[module] = importlib.metadata.version(module)
    table_dialect = TABLE_DIALECTS.get(spec.dialect)
    info = (
        [] if table_dialect is not None and table_dialect.info_text is None else ["export_info.csv"]
    )
    files = info + [p.name for t in job.tasks for p in t.files] + [JOB_RECORD]
    written = {p.relative_to(result.export_dir).as_posix() for t in job.tasks for p in t.files}
    record = {
        "recording": str(rec.path),
        "recording_kind": rec.kind.value,
        "recording_software": _software(rec),
        "started_utc": job.started_utc.isoformat() if job.started_utc else None,
        "finished_utc": job.finished_utc.isoformat() if job.finished_utc else None,
        "outcome": outcome,
        "parameters": spec.parameters,
        "tasks": {t.name: t.to_record() for t in job.tasks},
        "rows": result.rows,
        "frames": result.frames,
        "counts": {name: asdict(held) for name, held in result.counts.items() if name in written},
        "skipped": result.skipped,
        "warnings": result.warnings,
        "files": files,
        "versions": versions,
    }
    if job.error:
        record["error"] = job.error
    record["process"] = process_identity()  # who wrote the export (see jobs.cleanup)
    return json.dumps(record, indent=2, default=str) + "\n"


def run_job(job: Job) -> Job:
    """Run every task of ``job`` one after the other in this thread, then finish it.

    Stops early when the job is cancelled (the remaining tasks end ``cancelled``); a
    ``KeyboardInterrupt`` cancels the job, finishes it and is raised again.
    """
    try:
        begin_job(job)
    except BaseException:
        for task in job.tasks:
            task.cancel()
        finish_job(job)
        raise
    try:
        for task in job.tasks:
            if job.cancel_requested:
                job.cancel()
                break
            run_task(job, task)
    except BaseException as exc:
        # Outside any task (e.g. a listener that raised): the tasks not run end cancelled, and
        # the job failed, unless it was interrupted.
        if isinstance(exc, Exception) and job.exception is None:
            job.exception, job.error = exc, _reason(exc, job.export_dir or job.recording)
        job.cancel()
        raise
    finally:
        finish_job(job)
    return job


def raise_for_outcome(job: Job) -> None:
    """Raise what went wrong in a finished job: the first failure, else the cancellation."""
    for task in job.tasks:
        if task.state is TaskState.FAILED:
            exc = task.exception
            if isinstance(exc, OSError) and not isinstance(exc, GazeportError):
                raise ExportError(task.error) from exc
            if isinstance(exc, BaseException):
                raise exc
            raise ExportError(task.error)
        if task.part_exception is not None:
            raise task.part_exception
    exc = job.exception
    if exc is not None:  # the job failed outside its tasks, e.g. while finishing
        if isinstance(exc, OSError) and not isinstance(exc, GazeportError):
            raise ExportError(job.error) from exc
        raise exc
    if job.outcome == "cancelled":
        raise cancelled_error()


def export_raw(recording: AnyRecording | Path | str, **kwargs: Any) -> ExportResult:
    """Export only pupil and gaze data (Player's Raw Data Exporter); see :func:`export_recording`."""
    return export_recording(recording, exporters=("raw",), **kwargs)


def export_recording(
    recording: AnyRecording | Path | str,
    *,
    exporters: tuple[str, ...] = DEFAULT_EXPORTERS,
    out_dir: Path | str | None = None,
    start_frame: int | None = None,
    end_frame: int | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    from_event: str | None = None,
    to_event: str | None = None,
    dialect: str | None = None,
    fmt: str = "csv",
    min_confidence: float | None = None,
    field_info: bool = True,
    fixation_params: FixationParams | None = None,
    blink_params: BlinkParams | None = None,
    online_events: bool = False,
    video: VideoOptions | None = None,
    progress: Any = None,
    listener: Listener | None = None,
    cancel: Any = None,
    workers: int | None = None,
) -> ExportResult:
    """Export a recording like Pupil Player: raw data, annotations, fixations and blinks.

    ``exporters`` picks from ``"raw"`` (``pupil_positions.csv``, ``gaze_positions.csv``),
    ``"annotations"`` (``annotations.csv``), ``"fixations"`` (``fixations.csv``,
    ``fixation_report.csv``), ``"blinks"`` (``blinks.csv``, ``blink_detection_report.csv``) and
    ``"online-events"`` (Capture's recorded fixations and blinks, which Player ignores; also
    switched on by ``online_events=True``), and the slow video exporters, which run only when
    named: ``"world-video"`` (``world.mp4`` with gaze overlays), ``"eye-video"``
    (``eye0.mp4``/``eye1.mp4``) and ``"transcode"`` (browser-playable copies of the world and
    eye videos in ``transcoded/``); ``video`` (:class:`VideoOptions`) sets codec and overlays. The range is inclusive world frame indices
    (``start_frame``/``end_frame``) or seconds after the first world frame (``start_s``/``end_s``);
    samples with ``t[left] <= t < t[right]`` and events overlapping that window are exported
    (Player's rules). A Neon recording is exported in Neon Player v6's files by default
    (``dialect="neon-player"``; ``"cloud"`` for Pupil Cloud's Timeseries files), its range also
    given as event names (``from_event``/``to_event``: the first ``from_event`` and the first
    ``to_event`` after it) or seconds from the recording start; samples with
    ``start <= t <= stop`` and events overlapping the window are exported (Neon Player's rules).
    Output goes to a new ``<rec>/exports/NNN`` folder unless ``out_dir`` is
    given. ``fmt`` ("csv" or "parquet") and ``min_confidence`` apply to the raw data.
    ``workers`` is the number of workers that build CSV text, threads with the compiled
    formatter and processes without it (default: one per CPU for large recordings).

    Each exporter runs as a task of one job, in order. ``progress(fraction, text)`` reports the
    job's progress; ``listener(job, task)`` sees every change of every task. ``cancel`` (a
    :class:`CancelToken` or ``threading.Event``) stops the export at the next step.

    A task's files appear only when it completes. When every task completed, the result is
    returned (streams or events with nothing to export are listed in ``result.skipped``). If a
    task failed, the first failure is raised after the other tasks ran; a cancelled export
    raises :class:`ExportCancelled`. Completed tasks keep their files and the folder's
    ``gazeport_export.json`` records each task's outcome; when nothing was produced the folder is
    removed.
    """
    if online_events and "online-events" not in exporters:
        exporters = (*exporters, "online-events")
    options = ExportOptions(
        fmt=fmt,
        min_confidence=min_confidence,
        field_info=field_info,
        fixation_params=fixation_params or FixationParams(),
        blink_params=blink_params or BlinkParams(),
        workers=workers,
        video=video or VideoOptions(),
        dialect=dialect,
    )

    def relay(job: Job, task: Task | None) -> None:
        if listener is not None:
            listener(job, task)
        if progress is not None and not job.done:
            text = task.status if task is not None else job.status
            name = f"{task.name}: " if task is not None else ""
            progress(job.progress, f"{name}{text}")

    job = prepare_export(
        recording,
        exporters=exporters,
        out_dir=out_dir,
        start_frame=start_frame,
        end_frame=end_frame,
        start_s=start_s,
        end_s=end_s,
        from_event=from_event,
        to_event=to_event,
        options=options,
        listener=relay,
        cancel=cancel,
    )
    run_job(job)
    raise_for_outcome(job)
    result: ExportResult = job.spec.result
    if progress is not None:
        progress(1.0, "done")
    return result
