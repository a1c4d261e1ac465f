"""``datasetExport`` and ``datasetExportJob``: where an export may go, and who runs it.

The folder is named relative to the served folder and checked before anything starts, because
the export replaces the folder as a whole when it is done: it must lie below the served folder
(not be it), be no recording, hold none and lie in none (gazeport never writes into a
recording), not hold the label store, and, when it exists, be an earlier gazeport dataset export
(``manifest.json``) or empty. The export then runs through the app's job registry
(``state.extras["jobs"]``) when there is one, else through :class:`ThreadExports`; both speak the
interface of :mod:`gazeport.server.graphql_exports`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..datasets import (
    DatasetOptions,
    parse_category_map,
    parse_date,
    parse_frame_range,
    parse_size,
    parse_split,
)
from ..errors import GazeportError, LabelNotFoundError
from ..labels import validation as check
from .graphql_context import BadGraphQLInputError, label_store
from .graphql_exports import ExportJobs, ThreadExports, options_json
from .graphql_types import DatasetExportInput, ExportJob
from .paths import is_inside, relative_posix, resolve_inside
from .state import ServerState

FALLBACK_KEY = "graphql_exports"
#: Other names registries give the statuses of the interface.
_STATUS_NAMES = {
    "completed": "done",
    "succeeded": "done",
    "error": "failed",
    "canceled": "cancelled",
}


class UnknownExportJobError(GazeportError, LookupError):
    """``datasetExportJob`` asked for an id no registry knows."""


def registries(state: ServerState, create: bool = False) -> list[ExportJobs]:
    """The app's job registry (when it has ``submit_dataset_export``), then the fallback."""
    out: list[ExportJobs] = []
    jobs = state.extras.get("jobs")
    if jobs is not None and callable(getattr(jobs, "submit_dataset_export", None)):
        out.append(jobs)
    fallback = state.extras.get(FALLBACK_KEY)
    if fallback is None and create and not out:
        fallback = state.extras.setdefault(FALLBACK_KEY, ThreadExports())
    if fallback is not None:
        out.append(fallback)
    return out


def _options(data: DatasetExportInput) -> DatasetOptions:
    try:
        return DatasetOptions(
            format=data.format.value, include_images=data.include_images,
            image_format=data.image_format,  # type: ignore[arg-type]  # checked by DatasetOptions
            split=parse_split(data.split), seed=data.seed, stratify=data.stratify,
            group_by=data.group_by,  # type: ignore[arg-type]
            statuses=tuple(s.value for s in data.status), labels=tuple(data.labels),
            recording_glob=data.recording or None, min_confidence=data.min_confidence,
            min_size=None if data.min_size is None else parse_size(data.min_size),
            frame_range=None if data.frame_range is None else parse_frame_range(data.frame_range),
            date_from=None if data.date_from is None else parse_date(data.date_from, "dateFrom"),
            date_to=None if data.date_to is None else parse_date(data.date_to, "dateTo"),
            gaze_hit_only=data.gaze_hit_only, incremental=data.incremental,
            coords=data.coords,  # type: ignore[arg-type]
            category_map={} if data.category_map is None
            else parse_category_map(data.category_map, "categoryMap"),
        )  # fmt: skip
    except GazeportError:
        raise
    except ValueError as exc:
        raise BadGraphQLInputError(str(exc)) from None


def out_folder(state: ServerState, relative: str, db: Path) -> Path:
    """The export folder below the served root, refused where an export must not go."""
    out = resolve_inside(state.root, relative)
    if out == resolve_inside(state.root, "."):
        raise BadGraphQLInputError(
            "outDir names the served folder itself; give a folder below it, e.g. datasets/coco."
        )
    for entry in state.catalog.entries():
        if is_inside(entry.path, out) or is_inside(out, entry.path):
            raise BadGraphQLInputError(
                f"outDir {relative!r} is in or holds the recording {entry.relative}; gazeport "
                "never writes datasets into recordings, so pick a folder beside them."
            )
    if is_inside(out, db):
        raise BadGraphQLInputError(
            f"outDir {relative!r} holds the label store {db.name}; pick a folder beside it."
        )
    if out.exists() and not out.is_dir():
        raise BadGraphQLInputError(f"outDir {relative!r} is a file; pick a folder.")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise BadGraphQLInputError(
            f"outDir {relative!r} holds files that are not a gazeport dataset export, which the "
            "export would replace; pick another folder."
        )
    return out


def as_job(state: ServerState, record: dict[str, Any]) -> ExportJob:
    """The GraphQL view of a registry's job record."""
    result = record.get("result") or {}
    out_dir = result.get("out_dir") or record.get("out_dir")
    out_rel = None
    if out_dir and is_inside(state.root, Path(out_dir)):
        out_rel = relative_posix(state.root, Path(out_dir))
    progress = record.get("progress") or {}
    fraction = float(progress) if isinstance(progress, int | float) else None
    if not isinstance(progress, dict):  # a fraction, as some registries report it
        progress = {}
    status = str(record.get("status"))
    done = int(record.get("done", progress.get("done", 0)) or 0)
    total = int(record.get("total", progress.get("total", 0)) or 0)
    if fraction is None:
        fraction = 1.0 if _STATUS_NAMES.get(status, status) == "done" else done / max(total, 1)
    return ExportJob(
        job_id=str(record.get("id") or record.get("job_id")),
        status=_STATUS_NAMES.get(status, status),
        format=record.get("format") or (record.get("options") or {}).get("format"),
        out_dir=out_rel, done=done, total=total, progress=round(fraction, 4),
        error=record.get("error"), tasks=result.get("tasks", result.get("images")),
        boxes=result.get("boxes"),
        splits=result.get("splits"),
    )  # fmt: skip


def start(state: ServerState, data: DatasetExportInput) -> ExportJob:
    """Check the export and start it; answers its first status."""
    store = label_store(state)  # fails first without a label store
    options = _options(data)
    known = {check.name_key(c.name) for c in store.classes(include_retired=True)}
    for name in options.labels:
        if check.name_key(check.label_name(name)) not in known:
            raise LabelNotFoundError(
                f"The label filter names no class {name!r}; the classes are "
                f"{', '.join(c.name for c in store.classes())}."
            )
    out = out_folder(state, data.out_dir or f"datasets/{options.format}", store.path.resolve())
    registry = registries(state, create=True)[0]
    job_id = registry.submit_dataset_export(options_json(store.path.resolve(), out, options))
    record = registry.get(job_id) or {"id": job_id, "status": "queued", "out_dir": str(out)}
    return as_job(state, {"format": options.format, "out_dir": str(out), **record})


def job(state: ServerState, job_id: str) -> ExportJob:
    """The status of the export ``job_id``."""
    for registry in registries(state):
        try:
            record = registry.get(job_id)
        except LookupError:  # KeyError, or a registry's own unknown-job error
            record = None
        if record is not None:
            return as_job(state, record)
    raise UnknownExportJobError(
        f"There is no dataset export job {job_id!r}; start one with datasetExport."
    )
