"""Batch export: many recordings in one call, in parallel processes, one failure never stops the rest.

Layer L4 (next to :mod:`gazeport.jobs`): it finds recordings below folders and runs
:func:`gazeport.jobs.export_recording` for each, collecting one :class:`BatchItem` per recording.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import GazeportError, RecordingNotFoundError
from .jobs import export_recording
from .recording.detect import RecordingKind, detect_kind

SUPPORTED = {
    RecordingKind.NEW_STYLE,
    RecordingKind.OLD_STYLE,
    RecordingKind.MOBILE,
    RecordingKind.INVISIBLE,
}
#: How long to try reaching a Dask scheduler before giving up.
DASK_CONNECT_TIMEOUT = "10s"
_SKIP_DIRS = {"exports", "offline_data", "calibrations", "__pycache__"}


@dataclass
class BatchItem:
    """The outcome of exporting one recording of a batch."""

    recording: Path
    status: str = "pending"  #: "ok" or "failed"
    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    export_dir: Path | None = None
    error: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _is_recording(path: Path) -> bool:
    try:
        return detect_kind(path) in SUPPORTED
    except GazeportError:
        return False


def discover(paths: Iterable[Path | str], recursive: bool = False) -> list[tuple[Path, Path]]:
    """``(recording, root)`` pairs for the given paths, in a stable order.

    A path that is a recording is taken as it is. With ``recursive``, every recording below a
    folder is found (``exports/`` and other Player folders are not searched, nor folders inside
    a recording). A path that does not exist raises :class:`RecordingNotFoundError`.
    """
    found: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise RecordingNotFoundError(path)
        if not recursive or _is_recording(path):
            candidates = [path]
            root = path.parent
        else:
            candidates = []
            root = path
            for current, dirs, _files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
                here = Path(current)
                if _is_recording(here):
                    candidates.append(here)
                    dirs[:] = []  # a recording's subfolders are not recordings
        for rec in candidates:
            key = rec.resolve()
            if key not in seen:
                seen.add(key)
                found.append((rec, root))
    return found


def _export_one(job: tuple[Path, Path | None, dict[str, Any]]) -> BatchItem:
    rec, out_dir, options = job
    item = BatchItem(rec)
    started = time.perf_counter()
    try:
        result = export_recording(rec, out_dir=out_dir, **options)
    except GazeportError as exc:
        item.status, item.error = "failed", str(exc)
    except OSError as exc:
        item.status, item.error = "failed", f"{exc.filename or rec}: {exc.strerror or exc}"
    except Exception as exc:  # one broken recording must not stop the batch
        item.status, item.error = "failed", f"unexpected {type(exc).__name__}: {exc}"
    else:
        item.status = "ok"
        item.rows, item.skipped, item.export_dir = result.rows, result.skipped, result.export_dir
    item.seconds = time.perf_counter() - started
    return item


def export_many(
    recordings: list[tuple[Path, Path]],
    *,
    jobs: int = 1,
    out_root: Path | None = None,
    on_done: Callable[[BatchItem], None] | None = None,
    cancel: Any = None,
    scheduler: str | None = None,
    **options: Any,
) -> list[BatchItem]:
    """Export each recording with :func:`export_recording` and the same ``options``.

    ``jobs`` recordings run at once, each in its own process (``jobs=1``: in this process).
    With ``out_root`` every export goes to ``out_root/<path below its search root>`` instead of
    the recording's ``exports/NNN``. Results come back in input order; ``on_done`` is called as
    each recording finishes. ``cancel`` (``is_set()``, e.g. :class:`gazeport.jobs.CancelToken`)
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
        _run_on_dask(work, results, scheduler, jobs, on_done, cancel)
        return _fill_cancelled(results, work)
    if jobs == 1:
        for i, job in enumerate(work):
            if cancel is not None and cancel.is_set():
                break
            rec, out_dir, opts = job
            results[i] = _export_one((rec, out_dir, {**opts, "cancel": cancel}))
            if on_done:
                on_done(results[i])  # type: ignore[arg-type]
        return _fill_cancelled(results, work)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures: dict[Future[BatchItem], int] = {
            pool.submit(_export_one, job): i for i, job in enumerate(work)
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
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return _fill_cancelled(results, work)


def _run_on_dask(
    work: list[Any],
    results: list[BatchItem | None],
    scheduler: str,
    jobs: int,
    on_done: Callable[[BatchItem], None] | None,
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
        futures = [client.submit(_export_one, job, pure=False) for job in work]
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
    ``progress(fraction, text)`` reports finished recordings; ``cancel`` stops the batch;
    ``scheduler`` runs it on Dask (see :func:`export_many`). Returns
    one :class:`BatchItem` per recording (status ``ok``, ``failed`` or ``cancelled``).
    """
    from .recording import Recording

    if isinstance(targets, Recording):
        targets = [targets.path]
    elif isinstance(targets, (str, Path)):
        targets = [targets]
    found = discover(targets, recursive)
    done = 0

    def on_done(item: BatchItem) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done / max(len(found), 1), f"{item.recording.name}: {item.status}")

    return export_many(
        found,
        jobs=jobs,
        out_root=Path(out_root) if out_root is not None else None,
        on_done=on_done,
        cancel=cancel,
        scheduler=scheduler,
        **options,
    )
