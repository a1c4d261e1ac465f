"""``/api/datasets/exports``: ``gazeport dataset export`` as a background job, and its zip.

``POST /api/datasets/exports`` takes the command's options as JSON (``from``/``to`` for the
dates, ``status``/``label`` as lists or comma-separated text, ``category_map`` as an object),
checks them with the library's parsers and :class:`~gazeport.datasets.DatasetOptions` (a bad
one is ``400`` with its sentence) and runs :func:`gazeport.datasets.export_store` on the
server's label store as a callable job of the :class:`~gazeport.server.web_jobs.JobRegistry`
(``202 {"job_id": …}``). The dataset goes to ``<db folder>/datasets/<job id>-<format>/`` (an
``incremental`` export updates ``<db folder>/datasets/<format>/`` instead), never into a
recording. ``GET /api/datasets/exports/{job_id}/download`` sends the finished folder as a zip
(``409`` until it has completed).
"""

from __future__ import annotations

import os
import threading
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from ..datasets import (
    DatasetOptions,
    parse_category_map,
    parse_date,
    parse_frame_range,
    parse_size,
    parse_split,
)
from ..errors import GazeportError
from ..labels import STATUSES
from .callable_jobs import CallableJob, shown_path
from .dataset_jobs import ExportBusyError, start_dataset_job
from .routes_jobs import STATUS_FOR
from .routes_labels import NoLabelStoreError
from .state import ServerState, server_state
from .web_jobs import JobFinishedError, job_registry

router = APIRouter(tags=["datasets"])
State = Annotated[ServerState, Depends(server_state)]
_NO_DB = "This server has no label store; start gazeport serve with --db to export datasets."
#: Images are compressed already; everything else is text and shrinks well.
_STORED = (".jpg", ".jpeg", ".png")


class BadDatasetRequestError(GazeportError, ValueError):
    """Dataset export options the library refuses (HTTP 400)."""


class DatasetNotReadyError(GazeportError, RuntimeError):
    """The dataset of a job that has not completed (HTTP 409)."""


STATUS_FOR.setdefault(DatasetNotReadyError, 409)
STATUS_FOR.setdefault(ExportBusyError, 409)


class DatasetExportRequest(BaseModel):
    """The options of ``gazeport dataset export`` (defaults as the command's)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    format: str = "coco"
    no_images: bool = False
    image_format: str = "jpg"
    absolute_paths: bool = False
    category_map: dict[str, Any] | None = None
    status: list[str] | str | None = None
    label: list[str] | str | None = None
    date_from: str | None = Field(default=None, alias="from")
    date_to: str | None = Field(default=None, alias="to")
    min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    min_size: str | None = None
    recording: str | None = Field(default=None, max_length=1000)
    frame_range: str | None = None
    min_image_size: str | None = None
    gaze_hit_only: bool = False
    split: str | None = None
    seed: int = 0
    stratify: bool = False
    group_by: str = "recording"
    incremental: bool = False
    coords: str = "absolute"


def _names(value: list[str] | str | None) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else (value or [])
    return tuple(p.strip() for p in items if p.strip())


def dataset_options(body: DatasetExportRequest) -> DatasetOptions:
    """The request as :class:`DatasetOptions`; :class:`BadDatasetRequestError` with the
    library's sentence for anything it refuses."""
    try:
        statuses = _names(body.status)
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)} is not a task status; use {', '.join(STATUSES)}."
            )
        image_size = parse_size(body.min_image_size) if body.min_image_size else None
        return DatasetOptions(
            format=body.format.lower(),  # type: ignore[arg-type]
            include_images=not body.no_images,
            image_format=body.image_format.lower(),  # type: ignore[arg-type]
            absolute_paths=body.absolute_paths,
            category_map=parse_category_map(body.category_map) if body.category_map else {},
            statuses=statuses,
            labels=_names(body.label),
            date_from=parse_date(body.date_from, "from") if body.date_from else None,
            date_to=parse_date(body.date_to, "to") if body.date_to else None,
            min_confidence=body.min_confidence,
            min_size=parse_size(body.min_size) if body.min_size else None,
            recording_glob=body.recording or None,
            frame_range=parse_frame_range(body.frame_range) if body.frame_range else None,
            min_image_size=None if image_size is None else (int(image_size[0]), int(image_size[1])),
            gaze_hit_only=body.gaze_hit_only,
            split=parse_split(body.split) if body.split else {"train": 1.0},
            seed=body.seed,
            stratify=body.stratify,
            group_by=body.group_by,  # type: ignore[arg-type]
            incremental=body.incremental,
            coords=body.coords,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        if isinstance(exc, GazeportError):
            raise
        raise BadDatasetRequestError(str(exc)) from None


def datasets_dir(state: ServerState) -> Path:
    """Where dataset exports go: ``datasets/`` beside the label store."""
    if state.db is None:
        raise NoLabelStoreError(_NO_DB)
    return state.db.parent / "datasets"


@router.get("/api/datasets/exports")
def dataset_exports(state: State) -> dict[str, Any]:
    """The label store, where datasets go, and every dataset export job (newest first);
    ``db`` is null when the server was started without ``--db``."""
    jobs = [e.snapshot() for e in job_registry(state).entries() if isinstance(e, CallableJob)]
    if state.db is None:
        return {"db": None, "out_dir": None, "jobs": [j for j in jobs if j["kind"] == "dataset"],
                "problem": str(NoLabelStoreError(_NO_DB))}  # fmt: skip
    return {
        "db": shown_path(state.root, state.db), "out_dir": shown_path(state.root, datasets_dir(state)),
        "jobs": [j for j in jobs if j["kind"] == "dataset"], "problem": None,
    }  # fmt: skip


@router.post("/api/datasets/exports", status_code=status.HTTP_202_ACCEPTED)
def start_dataset_export(
    state: State, body: Annotated[DatasetExportRequest | None, Body()] = None
) -> dict[str, Any]:
    """Run ``gazeport dataset export`` on the server's label store as a job (202)."""
    options = dataset_options(body or DatasetExportRequest.model_validate({}))
    base = datasets_dir(state)
    db = state.db
    assert db is not None
    registry = job_registry(state)
    jid = registry.new_id()
    name = options.format if options.incremental else f"{jid}-{options.format}"
    start_dataset_job(registry, db, base / name, options, jid)
    return {"job_id": jid, "status": "queued", "url": f"/api/jobs/{jid}"}


def _zip(folder: Path, target: Path) -> Path:
    """``folder`` as ``target`` (a temporary name renamed when complete), paths inside it
    starting with the folder's name."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    arc = f"{folder.name}/{path.relative_to(folder).as_posix()}"
                    kind = zipfile.ZIP_STORED if path.suffix.lower() in _STORED else None
                    zf.write(path, arc, compress_type=kind)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


@router.get("/api/datasets/exports/{jid}/download", response_class=FileResponse)
def download_dataset(jid: str, state: State) -> FileResponse:
    """The finished dataset of job ``jid`` as a zip (``409`` while it runs or if it failed)."""
    job = job_registry(state).entry(jid)
    if not isinstance(job, CallableJob) or job.kind != "dataset" or job.out_dir is None:
        raise DatasetNotReadyError(f"Job {jid} is no dataset export; it has nothing to download.")
    if job.status != "completed":
        raise DatasetNotReadyError(
            f"The dataset of job {jid} is not ready ({job.status}); download it once it has completed."
        )
    folder = job.out_dir
    if not folder.is_dir():
        raise JobFinishedError(f"The dataset folder {folder} is gone; export it again.")
    target = folder.with_name(f"{folder.name}.zip")
    if not target.exists():
        _zip(folder, target)
    return FileResponse(target, media_type="application/zip", filename=target.name)
