"""``/api/labels/…``: the label store (``gazeport serve --db``) over REST, for the labeler pages.

Every route calls :class:`gazeport.labels.LabelStore` and returns what it returns as JSON; the
rules (names, statuses, ids, interpolation, suggestions) are the store's, and its errors are
its sentences: ``400`` for a refused value, ``404`` for an unknown task, box or class, ``409``
when another writer holds the database longer than the store's timeout. One store is opened
on first use and kept in ``state.extras["labels"]``; it serialises calls on its connection,
so the server's worker threads share it.
"""

from __future__ import annotations

import dataclasses
import tempfile
import threading
import zipfile
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..errors import GazeportError, LabelError, LabelNotFoundError
from ..labels import LabelStore, open_store
from ..labels.records import BoxRecord, ClassRecord, TaskRecord
from .label_images import TaskImages
from .state import ServerState, server_state

router = APIRouter(prefix="/api/labels", tags=["labels"])
State = Annotated[ServerState, Depends(server_state)]
_OPEN_LOCK = threading.Lock()
MAX_UNZIPPED_BYTES = 2 * 1024 * 1024 * 1024  # a YOLO zip may not unpack to more than this


class NoLabelStoreError(GazeportError, LookupError):
    """The server was started without ``--db`` (HTTP 400); the labels and dataset routes say
    so in their own words."""


def label_store(state: ServerState) -> LabelStore:
    """The app's label store, opened on first use."""
    with _OPEN_LOCK:
        store = state.extras.get("labels")
        if store is None:
            if state.db is None:
                raise NoLabelStoreError(
                    "This server has no label store; start it with gazeport serve --db "
                    "study.sqlite (make one with gazeport labels init)."
                )
            store = state.extras["labels"] = open_store(state.db)
        return store


def _images(state: ServerState) -> TaskImages:
    with _OPEN_LOCK:
        images = state.extras.get("label_images")
        if images is None:
            images = state.extras["label_images"] = TaskImages(state.catalog)
        return images


def _store(state: State) -> LabelStore:
    return label_store(state)


Store = Annotated[LabelStore, Depends(_store)]


# --- JSON shapes ------------------------------------------------------------------------------


def box_json(box: BoxRecord) -> dict[str, Any]:
    return {**dataclasses.asdict(box), "tags": list(box.tags)}


def class_json(cls: ClassRecord) -> dict[str, Any]:
    return dataclasses.asdict(cls)


def task_json(task: TaskRecord, full: bool = True) -> dict[str, Any]:
    """A task for the pages; ``full`` adds its gaze samples (the list leaves them out)."""
    out: dict[str, Any] = {
        "id": task.id, "recording": task.recording, "recording_id": task.recording_id,
        "frame_index": task.frame_index, "timestamp_ns": task.timestamp_ns,
        "width": task.width, "height": task.height, "status": task.status,
        "boxes": [box_json(b) for b in task.boxes],
        "labels": sorted({b.label for b in task.boxes}),
        "fixation": None if task.fixation_xy_px is None else {
            "id": task.fixation_id, "x": task.fixation_xy_px[0], "y": task.fixation_xy_px[1],
        },
        "created": task.created, "updated": task.updated, "split": task.split,
        "reason": task.extra.get("reason", ""),
    }  # fmt: skip
    if full:
        out["gaze"] = [
            {"timestamp_ns": g.timestamp_ns, "x": g.x_px, "y": g.y_px, "confidence": g.confidence}
            for g in task.gaze
        ]
    return out


# --- request bodies ---------------------------------------------------------------------------


class NewClass(BaseModel):
    name: str
    hotkey: str | None = None
    color: str | None = None
    supercategory: str | None = None


class ClassChange(BaseModel):
    name: str = Field(description="The new name (the id stays).")


class Merge(BaseModel):
    sources: list[str]
    target: str


class StatusChange(BaseModel):
    status: Literal["draft", "finished", "reviewed"]
    by: str | None = None
    comment: str | None = None


class NewBoxBody(BaseModel):
    label: str
    x: float
    y: float
    w: float
    h: float
    confidence: float | None = None
    tags: list[str] = []
    source: str = "manual"
    author: str | None = None


class BoxChange(BaseModel):
    label: str | None = None
    x: float | None = None
    y: float | None = None
    w: float | None = None
    h: float | None = None
    tags: list[str] | None = None
    confidence: float | None = None
    source: str | None = None


class Suggest(BaseModel):
    size_px: float | None = None
    label: str | None = Field(default=None, description="With save: the class of the stored box.")
    save: bool = Field(default=False, description="Store it as a box of source 'suggested'.")


class Keyframe(BaseModel):
    task_id: int
    box_id: int


class Track(BaseModel):
    first: Keyframe
    last: Keyframe
    author: str | None = None


# --- project, classes -------------------------------------------------------------------------


def _counts(store: LabelStore, recording: str | None, label: str | None) -> dict[str, int]:
    return {
        s: store.count_tasks(status=s, recording_glob=recording, label=label)
        for s in ("draft", "finished", "reviewed")
    }


@router.get("/available", summary="Whether this server has a label store")
def available(state: State) -> dict[str, Any]:
    """``{"available": bool, "db": file name or null}``; never an error, so a page can ask
    first and explain how to start the server instead of failing."""
    return {"available": state.db is not None, "db": None if state.db is None else state.db.name}


@router.get("/project", summary="The label project")
def project(store: Store) -> dict[str, Any]:
    """Name, description, schema version, classes, recordings and task counts per status."""
    p = store.project()
    stats = store.stats()
    return {
        "name": p.name, "description": p.description, "created": p.created,
        "db": p.path.name, "schema_version": p.schema_version,
        "classes": [class_json(c) for c in store.classes()],
        "recordings": [r["recording"] for r in stats.by_recording],
        "counts": stats.tasks_by_status, "tasks": stats.tasks, "boxes": stats.boxes,
    }  # fmt: skip


@router.get("/classes", summary="Label classes")
def classes(store: Store, include_retired: bool = False) -> dict[str, Any]:
    return {"classes": [class_json(c) for c in store.classes(include_retired=include_retired)]}


@router.post("/classes", summary="Add a class", status_code=201)
def add_class(store: Store, body: NewClass) -> dict[str, Any]:
    return class_json(store.add_class(body.name, body.hotkey, body.color, body.supercategory))


@router.patch("/classes/{class_id}", summary="Rename a class")
def rename_class(store: Store, class_id: int, body: ClassChange) -> dict[str, Any]:
    for c in store.classes():
        if c.id == class_id:
            return class_json(store.rename_class(c.name, body.name))
    raise LabelNotFoundError(f"There is no active class with id {class_id}.")


@router.post("/classes/merge", summary="Merge classes into one")
def merge_classes(store: Store, body: Merge) -> dict[str, Any]:
    return {"moved": store.merge_classes(body.sources, body.target), "target": body.target}


# --- tasks ------------------------------------------------------------------------------------

Filter = Annotated[str | None, Query()]


@router.get("/tasks", summary="Tasks, filtered and paged")
def tasks(
    store: Store, status: Filter = None, label: Filter = None, recording: Filter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:  # fmt: skip
    """``{total, items, has_more, counts}``; ``counts`` per status under the other filters."""
    status_, label_, rec_ = status or None, label or None, recording or None
    total = store.count_tasks(status=status_, recording_glob=rec_, label=label_)
    items = store.tasks(status_, rec_, label_, limit=limit, offset=offset)
    return {
        "total": total, "offset": offset, "limit": limit,
        "has_more": offset + len(items) < total,
        "items": [task_json(t, full=False) for t in items],
        "counts": _counts(store, rec_, label_),
    }  # fmt: skip


@router.get("/tasks/{task_id}", summary="One task with boxes, gaze and neighbours")
def task(
    store: Store, task_id: int, status: Filter = None, label: Filter = None,
    recording: Filter = None,
) -> dict[str, Any]:  # fmt: skip
    """The task; ``prev``/``next``: the neighbouring task ids under the same filters."""
    out = task_json(store.task(task_id))
    out["prev"], out["next"] = store.neighbours(
        task_id, status or None, recording or None, label or None
    )
    return out


@router.get(
    "/tasks/{task_id}/image.jpg",
    summary="The task's frame as JPEG (full resolution)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def task_image(state: State, store: Store, task_id: int) -> Response:
    data = _images(state).jpeg(store.task(task_id))
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"}
    )


@router.post("/tasks/{task_id}/status", summary="Finish, approve or reject a task")
def set_status(store: Store, task_id: int, body: StatusChange) -> dict[str, Any]:
    review = store.set_status(task_id, body.status, by=body.by, comment=body.comment)
    return {"review": dataclasses.asdict(review), "task": task_json(store.task(task_id), False)}


@router.get("/tasks/{task_id}/reviews", summary="A task's review history")
def reviews(store: Store, task_id: int) -> dict[str, Any]:
    return {"reviews": [dataclasses.asdict(r) for r in store.reviews(task_id)]}


# --- boxes ------------------------------------------------------------------------------------


@router.post("/tasks/{task_id}/boxes", summary="Add a box", status_code=201)
def add_box(store: Store, task_id: int, body: NewBoxBody) -> dict[str, Any]:
    box = store.add_box(
        task_id, body.label, body.x, body.y, body.w, body.h, body.confidence, body.tags,
        body.source, body.author,
    )  # fmt: skip
    return box_json(box)


@router.patch("/tasks/{task_id}/boxes/{box_id}", summary="Change a box")
def edit_box(store: Store, task_id: int, box_id: int, body: BoxChange) -> dict[str, Any]:
    geometry = (body.x, body.y, body.w, body.h)
    xywh = None
    if any(v is not None for v in geometry):
        if any(v is None for v in geometry):
            raise LabelError("Give all of x, y, w and h to move or resize a box.")
        xywh = [float(v) for v in geometry if v is not None]
    box = store.edit_box(
        task_id, box_id, label=body.label, xywh=xywh, tags=body.tags,
        confidence=body.confidence, source=body.source,
    )  # fmt: skip
    return box_json(box)


@router.delete("/tasks/{task_id}/boxes/{box_id}", summary="Delete a box")
def delete_box(store: Store, task_id: int, box_id: int) -> dict[str, Any]:
    store.delete_box(task_id, box_id)
    return {"deleted": box_id}


@router.post("/tasks/{task_id}/suggest", summary="A box at the fixation (gaze-guided)")
def suggest(store: Store, task_id: int, body: Suggest | None = None) -> dict[str, Any]:
    """A box centred on the fixation (or gaze median); stored only with ``save``."""
    body = body or Suggest()
    s = store.suggest_box(task_id, body.size_px)
    out = dataclasses.asdict(s)
    if body.save:
        if not body.label:
            raise LabelError("Name the class (label) of the suggested box to save it.")
        out["box"] = box_json(
            store.add_box(task_id, body.label, s.x, s.y, s.w, s.h, source="suggested")
        )
    return out


@router.post("/tracks", summary="Interpolate a box between two keyframes")
def interpolate(store: Store, body: Track) -> dict[str, Any]:
    r = store.interpolate_track(
        (body.first.task_id, body.first.box_id), (body.last.task_id, body.last.box_id),
        author=body.author,
    )  # fmt: skip
    return {
        "track_id": r.track_id, "replaced": r.replaced,
        "keyframes": [box_json(b) for b in r.keyframes], "boxes": [box_json(b) for b in r.boxes],
    }  # fmt: skip


# --- import, stats ----------------------------------------------------------------------------


def _safe_extract(archive: Path, into: Path) -> None:
    """Unpack a YOLO zip, refusing members that would land outside ``into`` or zip bombs."""
    try:
        with zipfile.ZipFile(archive) as z:
            members = z.infolist()
            if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                raise LabelError("The zip unpacks to more than 2 GiB; split the predictions.")
            for m in members:
                p = PurePosixPath(m.filename.replace("\\", "/"))
                if p.is_absolute() or ".." in p.parts:
                    raise LabelError(f"The zip holds the unsafe path {m.filename!r}; refused.")
            z.extractall(into)
    except zipfile.BadZipFile:
        raise LabelError("The YOLO upload is not a zip file; zip the labels folder.") from None


@router.post("/import", summary="Import predictions (COCO json or YOLO zip)")
def import_predictions(
    store: Store, file: Annotated[UploadFile, File()],
    format: Annotated[Literal["coco", "yolo"], Form()] = "coco",
    source: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:  # fmt: skip
    """Boxes of source ``import`` on the tasks whose frames the predictions name."""
    name = Path(file.filename or "predictions").name or "predictions"
    with tempfile.TemporaryDirectory(prefix="gazeport-import-") as tmp:
        upload = Path(tmp) / ("upload.zip" if format == "yolo" else name)
        with upload.open("wb") as f:
            while chunk := file.file.read(1 << 20):
                f.write(chunk)
        target = upload
        if format == "yolo":
            target = Path(tmp) / "labels"
            target.mkdir()
            _safe_extract(upload, target)
        report = store.import_predictions(target, format=format, source=source or Path(name).stem)
    return dataclasses.asdict(report)


@router.get("/stats", summary="Label statistics")
def stats(store: Store) -> dict[str, Any]:
    return store.stats().to_dict()
