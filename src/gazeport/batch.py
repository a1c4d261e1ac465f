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
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
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
    **options: Any,
) -> list[BatchItem]:
    """Export each recording with :func:`export_recording` and the same ``options``.

    ``jobs`` recordings run at once, each in its own process (``jobs=1``: in this process).
    With ``out_root`` every export goes to ``out_root/<path below its search root>`` instead of
    the recording's ``exports/NNN``. Results come back in input order; ``on_done`` is called as
    each recording finishes.
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
    if jobs == 1:
        for i, job in enumerate(work):
            results[i] = _export_one(job)
            if on_done:
                on_done(results[i])  # type: ignore[arg-type]
        return [r for r in results if r is not None]
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures: dict[Future[BatchItem], int] = {
            pool.submit(_export_one, job): i for i, job in enumerate(work)
        }
        try:
            for fut in as_completed(futures):
                item = fut.result()
                results[futures[fut]] = item
                if on_done:
                    on_done(item)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [r for r in results if r is not None]


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
