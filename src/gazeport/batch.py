"""Batch export: many recordings in one call, in parallel processes, one failure never stops the rest.

Layer L4 (next to :mod:`gazeport.jobs`): it finds recordings below folders and runs
:func:`gazeport.jobs.export_recording` for each, collecting one :class:`BatchItem` per recording.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import GazeportError, RecordingNotFoundError, UnsupportedRecordingError
from .exporters.parallel import die_with_parent, stop_workers
from .jobs.signals import Interrupted, signal_name
from .recording.diagnose import SKIP_DIRS, looks_like_recording

if TYPE_CHECKING:
    from concurrent.futures import Future

#: How long to try reaching a Dask scheduler before giving up.
DASK_CONNECT_TIMEOUT = "10s"
#: How long to wait for the last progress events of a Dask batch after its tasks finished [s].
DASK_EVENT_WAIT_S = 5.0


@dataclass
class BatchItem:
    """The outcome of exporting one recording of a batch."""

    recording: Path
    status: str = "pending"  #: "ok", "failed", "unsupported" or "cancelled"
    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    export_dir: Path | None = None
    error: str = ""
    #: The export's notes and the warnings its tasks raised, each once (its ``result.warnings``).
    warnings: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def discover(paths: Iterable[Path | str], recursive: bool = False) -> list[tuple[Path, Path]]:
    """``(recording, root)`` pairs for the given paths, in a stable order.

    A path that is a recording is taken as it is. With ``recursive``, every folder below that
    looks like a recording is found (:func:`~gazeport.recording.diagnose.looks_like_recording`):
    also kinds gazeport cannot open yet (Neon, Cloud exports) and recordings without their info
    file, so that the batch reports them instead of leaving them out. ``exports/`` and other
    Player folders are not searched, nor folders inside a recording. Links to folders are
    followed; a recording reached twice is listed once. A path that does not exist raises
    :class:`RecordingNotFoundError`.
    """
    found: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise RecordingNotFoundError(path)
        if not recursive or looks_like_recording(path):
            candidates = [path]
            root = path.parent
        else:
            candidates = []
            root = path
            visited: set[str] = set()
            # Symbolic links to folders are followed (a study of linked recordings is common);
            # a folder reached twice, through a link loop or two links, is searched once.
            for current, dirs, _files in os.walk(path, followlinks=True):
                real = os.path.realpath(current)
                if real in visited:
                    dirs[:] = []
                    continue
                visited.add(real)
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                here = Path(current)
                if looks_like_recording(here):
                    candidates.append(here)
                    dirs[:] = []  # a recording's subfolders are not recordings
        for rec in candidates:
            key = rec.resolve()
            if key not in seen:
                seen.add(key)
                found.append((rec, root))
    return found


#: The thread settings (gazeport._threads.threads_for) a worker of a multi-job batch runs with.
WORKER_THREAD_SETTINGS = ("GAZEPORT_READER_THREADS", "GAZEPORT_FIXATION_THREADS")
#: Progress of a running recording is sent at most this often [s] from worker processes.
PROGRESS_INTERVAL_S = 0.25
_progress_queue: Any = None  # set in pool worker processes by _init_worker
#: In a pool worker: whether an export runs now, and the stop signal received (0: none).
_worker_state = {"busy": False, "stop": 0, "parent": 0}
_WORKER_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _init_worker(queue: Any, parent_pid: int = 0) -> None:
    """Set up a batch worker process: progress channel, stop signals, death with the parent.

    Ctrl-C, SIGTERM or SIGHUP (from the parent, the terminal, or the kernel when the parent is
    gone) cancel the export running in this worker, which removes its partial files; the
    recordings it has not started yet come back cancelled.
    """
    global _progress_queue
    _progress_queue = queue
    _worker_state["parent"] = parent_pid
    # The jobs already fill the cores: one thread per step, as the CSV writing runs with one
    # worker here (two threads in each of two workers measured 2-7 % slower on 2 cores). Set
    # by the user, the variables are kept.
    for setting in WORKER_THREAD_SETTINGS:
        os.environ.setdefault(setting, "1")
    for signum in _WORKER_SIGNALS:
        signal.signal(signum, _worker_signal)
    if parent_pid:
        die_with_parent(signal.SIGTERM, parent_pid)


def _worker_signal(signum: int, frame: Any) -> None:
    first = not _worker_state["stop"]
    _worker_state["stop"] = signum
    if _worker_state["busy"]:
        if first:
            raise Interrupted(signum)  # the export cancels and removes what it wrote
    elif _parent_gone():
        os._exit(128 + signum)  # idle, and nobody will ever send more work or a sentinel


def _parent_gone() -> bool:
    parent = _worker_state["parent"]
    return bool(parent) and os.getppid() != parent


def _progress_sender(index: int, channel: str | None) -> Callable[[float, str], None] | None:
    """A throttled ``progress(fraction, text)`` that reaches the batch's ``on_progress``."""
    if channel is None:
        return None
    if channel == "queue":
        queue = _progress_queue
        if queue is None:
            return None
        send: Callable[[tuple[int, float, str]], None] = queue.put
    else:  # a Dask topic: events go through the scheduler to the client
        from distributed import get_worker

        worker = get_worker()

        def send(message: tuple[int, float, str]) -> None:
            worker.log_event(channel, message)

    last = 0.0

    def progress(fraction: float, text: str) -> None:
        nonlocal last
        now = time.monotonic()
        if fraction >= 1.0 or now - last >= PROGRESS_INTERVAL_S:
            last = now
            send((index, fraction, text))

    return progress


def _export_one(
    job: tuple[Path, Path | None, dict[str, Any]], index: int = 0, channel: str | None = None
) -> BatchItem:
    rec, out_dir, options = job
    item = BatchItem(rec)
    started = time.perf_counter()
    sender = _progress_sender(index, channel)
    if sender is not None:
        options = {**options, "progress": sender}
    seen: list[Any] = []  # the job, to report what a failed export kept
    outer = options.get("listener")

    def listener(job: Any, task: Any) -> None:
        if not seen:
            seen.append(job)
        if outer is not None:
            outer(job, task)

    options = {**options, "listener": listener}
    try:
        _worker_state["busy"] = True  # from here on a stop signal raises Interrupted
        try:
            if _worker_state["stop"]:  # it came while this worker was idle
                raise Interrupted(_worker_state["stop"])
            from .jobs import export_recording  # the exporters: not for discover()

            result = export_recording(rec, out_dir=out_dir, **options)
        finally:
            _worker_state["busy"] = False
    except Interrupted as exc:
        if not _worker_state["parent"]:
            raise  # not in a batch worker process: the caller stops the batch
        item.status, item.error = (
            "cancelled",
            f"the export was stopped by {signal_name(exc.signum)}",
        )
        if _parent_gone():
            os._exit(exc.exit_code)  # partial files are gone; nobody waits for the result
    except UnsupportedRecordingError as exc:
        item.status, item.error = "unsupported", str(exc)
    except GazeportError as exc:
        item.status, item.error = "failed", str(exc)
        _note_kept_files(item, seen[0] if seen else None)
        item.warnings = list(getattr(_result_of(seen[0]), "warnings", [])) if seen else []
    except OSError as exc:
        item.status, item.error = "failed", f"{exc.filename or rec}: {exc.strerror or exc}"
    except Exception as exc:  # one broken recording must not stop the batch
        item.status, item.error = "failed", f"unexpected {type(exc).__name__}: {exc}"
    else:
        item.status = "ok"
        item.rows, item.skipped, item.export_dir = result.rows, result.skipped, result.export_dir
        item.warnings = list(result.warnings)
    item.seconds = time.perf_counter() - started
    return item


def _result_of(job: Any) -> Any:
    """The :class:`ExportResult` of a job that began (``None`` before)."""
    return getattr(getattr(job, "spec", None), "result", None)


def _note_kept_files(item: BatchItem, job: Any) -> None:
    """A failed export whose other tasks completed keeps their files: say where, with rows."""
    result = _result_of(job)
    if result is None or not result.files or not result.export_dir.is_dir():
        return
    item.rows, item.skipped, item.export_dir = result.rows, result.skipped, result.export_dir
    item.error = f"{item.error.rstrip()} The files that were exported are in {result.export_dir}."


def export_many(
    recordings: list[tuple[Path, Path]],
    *,
    jobs: int = 1,
    out_root: Path | None = None,
    on_done: Callable[[BatchItem], None] | None = None,
    on_progress: Callable[[int, float, str], None] | None = None,
    cancel: Any = None,
    scheduler: str | None = None,
    **options: Any,
) -> list[BatchItem]:
    """Export each recording with :func:`export_recording` and the same ``options``.

    ``jobs`` recordings run at once, each in its own process (``jobs=1``: in this process).
    With ``out_root`` every export goes to ``out_root/<path below its search root>`` instead of
    the recording's ``exports/NNN``. Results come back in input order; ``on_done`` is called as
    each recording finishes, ``on_progress(index, fraction, text)`` while recording number
    ``index`` (of ``recordings``) runs, wherever it runs. ``cancel`` (``is_set()``, e.g. :class:`gazeport.jobs.CancelToken`)
    stops the batch: with ``jobs=1`` the running export is rolled back too; with worker
    processes the recordings already running finish and the queued ones are not started.
    Recordings that did not run have status ``"cancelled"``. ``scheduler`` runs the batch on
    a Dask cluster instead, one task per recording: ``"local"`` starts a local cluster with
    ``jobs`` worker processes, ``"tcp://host:port"`` uses a running scheduler (its workers must
    see the recordings under the same paths and have gazeport installed).
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}.")
    work = []
    for rec, root in recordings:
        out_dir = None
        if out_root is not None:
            relative = rec.relative_to(root) if rec != root else Path(rec.name)
            out_dir = Path(out_root) / relative
        work.append(
            (rec, out_dir, {**options, "workers": 1 if jobs > 1 else options.get("workers")})
        )
    results: list[BatchItem | None] = [None] * len(work)
    if scheduler is not None:
        _run_on_dask(work, results, scheduler, jobs, on_done, on_progress, cancel)
        return _fill_cancelled(results, work)
    if jobs == 1:
        for i, job in enumerate(work):
            if cancel is not None and cancel.is_set():
                break
            rec, out_dir, opts = job
            extra: dict[str, Any] = {"cancel": cancel}
            if on_progress is not None:
                extra["progress"] = lambda f, text, i=i: on_progress(i, f, text)
            results[i] = _export_one((rec, out_dir, {**opts, **extra}))
            if on_done:
                on_done(results[i])  # type: ignore[arg-type]
        return _fill_cancelled(results, work)
    import multiprocessing  # only for worker processes (``jobs=1`` runs here)
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods
    ctx = multiprocessing.get_context("fork" if fork else None)
    if fork:
        _preload(options)
    queue = ctx.Queue() if on_progress is not None else None
    relay = _start_relay(queue, on_progress)
    try:
        with ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(queue, os.getpid()),
        ) as pool:
            channel = "queue" if queue is not None else None
            futures: dict[Future[BatchItem], int] = {
                pool.submit(_export_one, job, i, channel): i for i, job in enumerate(work)
            }
            try:
                pending = set(futures)
                while pending:
                    finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        if fut.cancelled():
                            continue
                        item = fut.result()
                        results[futures[fut]] = item
                        if on_done:
                            on_done(item)
                    if cancel is not None and cancel.is_set():
                        for fut in pending:
                            fut.cancel()
            except BaseException:
                # Ctrl-C, a stop signal or an error here: the running exports are cancelled
                # (each removes its partial files), the queued ones never start.
                stop_workers(pool, signal.SIGTERM)
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        if queue is not None and relay is not None:
            queue.put(None)
            relay.join()
            queue.close()
    return _fill_cancelled(results, work)


def _preload(options: dict[str, Any]) -> None:
    """Import the slow-loading libraries the exporters will need once, before forking, so
    every worker inherits them instead of loading them itself (~0.2 s each)."""
    exporters = options.get("exporters") or ()
    # gazeport's own export code is imported on first use too (start-up of single commands)
    import gazeport.jobs.exporter_tasks
    import gazeport.jobs.runner  # noqa: F401

    # SciPy is needed only by blink detection on NumPy 1 (NumPy 2's FFTs are SciPy's) and by
    # the fixation detector's rare literal fallback, which imports it itself.
    from .analysis.blinks import NUMPY_FFT_IS_SCIPYS

    if not NUMPY_FFT_IS_SCIPYS and ("blinks" in exporters or not exporters):
        import scipy.fft  # noqa: F401


def _start_relay(
    queue: Any, on_progress: Callable[[int, float, str], None] | None
) -> threading.Thread | None:
    """A thread that hands progress messages from worker processes to ``on_progress``."""
    if queue is None or on_progress is None:
        return None

    def relay() -> None:
        while (message := queue.get()) is not None:
            on_progress(*message)

    thread = threading.Thread(target=relay, name="gazeport-batch-progress", daemon=True)
    thread.start()
    return thread


def _run_on_dask(
    work: list[Any],
    results: list[BatchItem | None],
    scheduler: str,
    jobs: int,
    on_done: Callable[[BatchItem], None] | None,
    on_progress: Callable[[int, float, str], None] | None,
    cancel: Any,
) -> None:
    """One Dask task per recording; results land in ``results`` as tasks finish."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise GazeportError(
            "Running a batch on Dask needs the dask extra: pip install 'gazeport[dask]'."
        ) from None
    cluster = None
    try:
        if scheduler == "local":
            cluster = LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise GazeportError(
            f"Cannot reach the Dask scheduler at {scheduler} ({exc}); check the address and that "
            "the scheduler is running."
        ) from exc
    try:
        topic = None
        finished: set[int] = set()
        arrived = threading.Condition()
        if on_progress is not None:
            topic = f"gazeport-progress-{uuid.uuid4().hex}"

            def handle(event: Any) -> None:
                i, fraction, text = event[1]
                on_progress(i, fraction, text)
                if fraction >= 1.0:
                    with arrived:
                        finished.add(i)
                        arrived.notify_all()

            client.subscribe_topic(topic, handle)
        futures = [
            client.submit(_export_one, job, i, topic, pure=False) for i, job in enumerate(work)
        ]
        index = {fut.key: i for i, fut in enumerate(futures)}
        done = as_completed(futures)
        for fut in done:
            if fut.cancelled():
                continue
            item = fut.result()
            results[index[fut.key]] = item
            if on_done:
                on_done(item)
            if cancel is not None and cancel.is_set():
                client.cancel([f for f in futures if not f.done()])
                break
        if topic is not None:
            # Events travel through the scheduler; let the last ones of finished exports arrive.
            ok = {i for i, item in enumerate(results) if item is not None and item.status == "ok"}
            with arrived:
                arrived.wait_for(lambda: ok <= finished, timeout=DASK_EVENT_WAIT_S)
            client.unsubscribe_topic(topic)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _fill_cancelled(results: list[BatchItem | None], work: list[Any]) -> list[BatchItem]:
    out = []
    for item, (rec, _, _) in zip(results, work, strict=True):
        if item is None:
            item = BatchItem(rec, status="cancelled", error="the batch was cancelled before it ran")
        elif item.status == "failed" and item.error.startswith("The export was cancelled"):
            item.status = "cancelled"
        out.append(item)
    return out


REPORT_COLUMNS = ("recording", "status", "rows", "seconds", "export_dir", "skipped", "error")


def write_report(items: list[BatchItem], path: Path) -> None:
    """A CSV line per recording (written to a temporary name, then renamed)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(REPORT_COLUMNS)
            for item in items:
                writer.writerow([
                    str(item.recording), item.status, item.total_rows, f"{item.seconds:.3f}",
                    "" if item.export_dir is None else str(item.export_dir),
                    "; ".join(f"{k}: {v}" for k, v in item.skipped.items()), item.error,
                ])  # fmt: skip
        os.replace(tmp, path)
    except BaseException:  # a full disk, Ctrl-C: no temporary file stays behind
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def export(
    targets: Any,
    *,
    recursive: bool = False,
    jobs: int = 1,
    out_root: Path | str | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancel: Any = None,
    scheduler: str | None = None,
    **options: Any,
) -> list[BatchItem]:
    """Export one or many recordings; the entry point the CLI (and later the server) use.

    ``targets`` is a recording path, a :class:`~gazeport.recording.Recording`, or a list of
    paths (folders searched with ``recursive``). ``options`` go to
    :func:`gazeport.jobs.export_recording` (range, exporters, format, detector parameters …).
    ``progress(fraction, text)`` reports the whole batch (the mean of the recordings'
    fractions, from wherever they run); ``cancel`` stops the batch;
    ``scheduler`` runs it on Dask (see :func:`export_many`). Returns
    one :class:`BatchItem` per recording (status ``ok``, ``failed``, ``unsupported`` — a kind
    gazeport cannot open yet — or ``cancelled``).
    """
    from .recording import Recording

    if isinstance(targets, Recording):
        targets = [targets.path]
    elif isinstance(targets, (str, Path)):
        targets = [targets]
    found = discover(targets, recursive)
    fractions = [0.0] * len(found)
    lock = threading.Lock()

    def report(text: str) -> None:
        if progress:
            progress(sum(fractions) / max(len(found), 1), text)

    def on_progress(i: int, fraction: float, text: str) -> None:
        with lock:
            fractions[i] = max(fractions[i], min(fraction, 1.0))
            report(f"{found[i][0].name}: {text}")

    def on_done(item: BatchItem) -> None:
        with lock:
            i = next(k for k, (rec, _) in enumerate(found) if rec == item.recording)
            fractions[i] = 1.0
            report(f"{item.recording.name}: {item.status}")

    return export_many(
        found,
        jobs=jobs,
        out_root=Path(out_root) if out_root is not None else None,
        on_done=on_done,
        on_progress=on_progress if progress else None,
        cancel=cancel,
        scheduler=scheduler,
        **options,
    )
