"""``datasetExport`` and ``datasetExportJob``: where an export may go, and who runs it.

The folder is named relative to the served folder and checked before anything starts, because
the export replaces the folder as a whole when it is done: it must lie below the served folder
(not be it), be no recording, hold none and lie in none (gazeport never writes into a
recording), not hold the label store, and, when it exists, be an earlier gazeport dataset export
(``manifest.json``) or empty. The export then runs as a job of the app's registry
(:func:`~gazeport.server.web_jobs.job_registry`), like ``POST /api/datasets/exports``: listed in
``/api/jobs``, cancellable, never two at once into one folder.
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
from .dataset_jobs import start_dataset_job
from .graphql_context import BadGraphQLInputError, label_store
from .graphql_types import DatasetExportInput, ExportJob
from .paths import is_inside, relative_posix, resolve_inside
from .state import ServerState
from .web_jobs import UnknownJobError, job_registry

#: GraphQL's names of the registry's job statuses (the others are the same).
_STATUS_NAMES = {"completed": "done"}


class UnknownExportJobError(GazeportError, LookupError):
    """``datasetExportJob`` asked for an id no registry knows."""


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
    """The GraphQL view of a dataset export's record in the registry (its snapshot, with
    ``out_dir`` an absolute path)."""
    result = record.get("result") or {}
    out_dir = result.get("out_dir") or record.get("out_dir")
    out_rel = None
    if out_dir and is_inside(state.root, Path(out_dir)):
        out_rel = relative_posix(state.root, Path(out_dir))
    status = _STATUS_NAMES.get(str(record["status"]), str(record["status"]))
    images = int(result.get("tasks", 0))
    return ExportJob(
        job_id=str(record["id"]), status=status, format=record.get("format"),
        out_dir=out_rel, done=images, total=images,
        progress=round(float(record.get("progress") or 0.0), 4),
        error=record.get("error"), tasks=result.get("tasks"), boxes=result.get("boxes"),
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
    registry = job_registry(state)
    started = start_dataset_job(registry, store.path.resolve(), out, options)
    record = registry.get(started.id) or {"id": started.id, "status": "queued"}
    return as_job(state, {"format": options.format, **record, "out_dir": str(out)})


def job(state: ServerState, job_id: str) -> ExportJob:
    """The status of the export ``job_id``."""
    try:
        record = job_registry(state).get(job_id)
    except UnknownJobError:
        record = None
    if record is not None:
        return as_job(state, record)
    raise UnknownExportJobError(
        f"There is no dataset export job {job_id!r}; start one with datasetExport."
    )
