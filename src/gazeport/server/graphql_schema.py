"""The GraphQL schema of ``/graphql``: queries and mutations over the label store.

Shaped like SATIn's API (types in :mod:`gazeport.server.graphql_types`): ``projects``,
``project``, ``classes``, ``tasks(limit, offset, query)`` answering a page, ``task(id)``;
``createTask`` (a frame of a recording below the served folder, sampled with
:func:`gazeport.labels.sample_frames`), ``updateTask`` (status with reviewer and comment, boxes
replaced, added or removed), ``deleteTask``, ``createBox``/``updateBox``/``deleteBox``; and,
beyond SATIn, ``datasetExport`` (a background :func:`gazeport.datasets.export_store` job) with
``datasetExportJob(id)``. Every resolver only calls :mod:`gazeport.labels` (and the dataset
export); the rules live there.

Errors: a gazeport error is a GraphQL error carrying its one sentence; anything else is masked
(``MaskErrors``) as one sentence saying the log has the details, and the log gets the traceback.
"""

from __future__ import annotations

import dataclasses
import glob
import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter
from strawberry.types import ExecutionContext

from ..errors import GazeportError, LabelError, LabelNotFoundError
from ..labels import LabelStore, NewBox, TaskRecord, sample_frames
from ..labels import validation as check
from ..labels.store_rows import relative_recording
from ..recording import open_recording
from ..recording.scene_frames import scene_frames
from . import graphql_datasets as datasets
from .graphql_context import BadGraphQLInputError, in_thread, label_store, state_of
from .graphql_types import (
    MAX_PAGE,
    Box,
    BoxInput,
    BoxPatch,
    CreateTaskInput,
    DatasetExportInput,
    ExportJob,
    LabelClass,
    Project,
    ProjectPage,
    Task,
    TaskPage,
    TaskQuery,
    UpdateTaskInput,
)
from .paths import resolve_inside
from .state import ServerState

log = logging.getLogger("gazeport.server")

#: Aliases per request and nesting depth: a local server, but one request must not ask for a
#: thousand pages of tasks at once.
MAX_ALIASES = 20
MAX_DEPTH = 8

MASKED = (
    "The server failed unexpectedly; its log has the details. This is a bug in gazeport; "
    "please report it."
)


def _page(limit: int, offset: int) -> None:
    if not 0 <= limit <= MAX_PAGE:
        raise BadGraphQLInputError(f"limit is {limit}, but it must be between 0 and {MAX_PAGE}.")
    if offset < 0:
        raise BadGraphQLInputError(f"offset is {offset}, but it must be 0 or more.")


def _new_boxes(store: LabelStore, task_id: int, boxes: list[BoxInput]) -> list[NewBox]:
    """The boxes to insert, classes named by id (the store checks the values when inserting)."""
    classes = {check.name_key(c.name): c for c in store.classes()}
    out = []
    for b in boxes:
        cls = classes.get(check.name_key(check.label_name(b.label)))
        if cls is None:
            known = ", ".join(c.name for c in classes.values()) or "none"
            raise LabelNotFoundError(
                f"There is no class {b.label!r} (known: {known}); add it with gazeport labels "
                "classes --add."
            )
        out.append(
            NewBox(
                task_id, cls.id, b.x, b.y, b.width, b.height, b.confidence, tuple(b.tags),
                b.source.value, b.author,
            )
        )  # fmt: skip
    return out


def _check_boxes(boxes: list[NewBox]) -> None:
    """The store's own checks of each box, before a task is made for them."""
    for b in boxes:
        check.xywh(b.x, b.y, b.w, b.h)
        check.confidence(b.confidence)
        check.tags(b.tags)
        check.source(b.source)
        check.optional_text(b.author, "author")


def _stored_task(
    store: LabelStore, recording: str, recording_id: str, frame: int
) -> TaskRecord | None:
    """The stored task of a frame: by its folder first, else anywhere (a copied recording
    keeps its id, and a frame is stored once per recording id)."""
    for pattern in (glob.escape(recording), None):
        for t in store.iter_tasks(recording_glob=pattern):
            if t.recording_id == recording_id and t.frame_index == frame:
                return t
    return None


def _create_task(state: ServerState, data: CreateTaskInput) -> TaskRecord:
    store = label_store(state)
    rec_dir = resolve_inside(state.root, data.recording)
    if not rec_dir.is_dir():
        raise LabelNotFoundError(
            f"There is no recording folder {data.recording!r} in the served folder."
        )
    with open_recording(rec_dir) as rec:
        frames = scene_frames(rec)
        if 0 <= data.frame < len(frames) and not frames.real[data.frame]:
            raise LabelError(
                f"Frame {data.frame} of {data.recording} is a gray frame without a scene "
                "picture (a gap in the scene video); pick another frame."
            )  # said here: sample_frames would only warn and leave it out
        candidates = sample_frames(rec, frames=[data.frame])
    candidate = candidates[0]
    boxes = _new_boxes(store, 0, data.boxes)  # task id set below, once it exists
    _check_boxes(boxes)
    stored = relative_recording(candidate.recording_dir, store.db_dir)
    rid, k = candidate.recording_id, candidate.frame_index
    old = _stored_task(store, stored, rid, k)  # asked first: a refused insert uses up an id
    if old is not None:
        raise LabelError(f"Frame {data.frame} of {data.recording} is already task {old.id}.")
    store.add_tasks([candidate])
    task = _stored_task(store, stored, rid, k)
    if task is None:  # pragma: no cover - the store keeps what add_tasks added
        raise LabelError(f"Frame {data.frame} of {data.recording} could not be stored.")
    try:
        store.add_boxes([dataclasses.replace(b, task_id=task.id) for b in boxes])
    except GazeportError:
        store.delete_task(task.id)  # all or nothing: no half-made task
        raise
    if data.status.value != task.status:
        store.set_status(task.id, data.status.value, by=data.reviewer, comment=data.comment)
    return store.task(task.id)


def _update_task(state: ServerState, task_id: int, data: UpdateTaskInput) -> TaskRecord:
    store = label_store(state)
    if data.boxes is not None and data.remove_box_ids:
        raise BadGraphQLInputError("Give boxes (replace all) or removeBoxIds, not both.")
    if data.boxes is not None or data.add_boxes or data.remove_box_ids:
        store.change_boxes(
            task_id, _new_boxes(store, task_id, [*(data.boxes or []), *data.add_boxes]),
            data.remove_box_ids, replace=data.boxes is not None,
        )  # fmt: skip
    if data.status is not None:
        store.set_status(task_id, data.status.value, by=data.reviewer, comment=data.comment)
    return store.task(task_id)


def _project(store: LabelStore) -> Project:
    return Project.of(store.project(), store.count_tasks(), store.classes())


def _update_box(state: ServerState, task_id: int, box_id: int, patch: BoxPatch) -> Box:
    store = label_store(state)
    old = next((b for b in store.task(task_id).boxes if b.id == box_id), None)
    if old is None:
        raise LabelNotFoundError(f"The task {task_id} has no box {box_id}.")
    given = (patch.x, patch.y, patch.width, patch.height)
    xywh = None
    if any(v is not None for v in given):
        olds = (old.x, old.y, old.w, old.h)
        xywh = [o if v is None else v for v, o in zip(given, olds, strict=True)]
    box = store.edit_box(
        task_id, box_id, label=patch.label, xywh=xywh, tags=patch.tags,
        confidence=patch.confidence,
    )  # fmt: skip
    return Box.of(box)


@strawberry.type
class Query:
    @strawberry.field(description="The projects: a label store holds one (id 1).")
    async def projects(
        self, info: strawberry.Info, limit: int = 50, offset: int = 0
    ) -> ProjectPage:
        _page(limit, offset)
        project = await in_thread(_project, label_store(state_of(info)))
        objects = [project][offset : offset + limit]
        return ProjectPage(
            objects=objects, total_count=1, count=len(objects), limit=limit, offset=offset,
            has_more=offset + len(objects) < 1,
        )  # fmt: skip

    @strawberry.field(description="The label store's project with its classes (id 1).")
    async def project(self, info: strawberry.Info, id: int = 1) -> Project:
        if id != 1:
            raise LabelNotFoundError(f"There is no project {id}; a label store holds one, id 1.")
        return await in_thread(_project, label_store(state_of(info)))

    @strawberry.field(description="The classes in id order; retired (merged) ones on request.")
    async def classes(
        self, info: strawberry.Info, include_retired: bool = False
    ) -> list[LabelClass]:
        store = label_store(state_of(info))
        return [LabelClass.of(c) for c in await in_thread(store.classes, include_retired)]

    @strawberry.field(description="A page of tasks in id order, filtered by query.")
    async def tasks(
        self, info: strawberry.Info, limit: int = 50, offset: int = 0,
        query: TaskQuery | None = None,
    ) -> TaskPage:  # fmt: skip
        _page(limit, offset)
        state = state_of(info)
        store = label_store(state)
        q = query or TaskQuery()
        filters: dict[str, Any] = {
            "status": [s.value for s in q.status or []], "label": q.label or None,
            "recording_glob": q.recording or None,
        }  # fmt: skip

        def read() -> TaskPage:
            total = store.count_tasks(**filters)
            rows = store.tasks(limit=limit, offset=offset, **filters) if limit else []
            return TaskPage(
                objects=[Task.of(t, state.root) for t in rows], total_count=total,
                count=len(rows), limit=limit, offset=offset, has_more=offset + len(rows) < total,
            )  # fmt: skip

        return await in_thread(read)

    @strawberry.field(description="One task with its boxes.")
    async def task(self, info: strawberry.Info, id: int) -> Task:
        state = state_of(info)
        return Task.of(await in_thread(label_store(state).task, id), state.root)

    @strawberry.field(description="A dataset export job started by datasetExport.")
    async def dataset_export_job(self, info: strawberry.Info, id: str) -> ExportJob:
        return await in_thread(datasets.job, state_of(info), id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="A task for one frame of a recording, with boxes.")
    async def create_task(self, info: strawberry.Info, input: CreateTaskInput) -> Task:
        state = state_of(info)
        return Task.of(await in_thread(_create_task, state, input), state.root)

    @strawberry.mutation(
        description="Change a task's status (recorded with reviewer, comment) and boxes."
    )
    async def update_task(self, info: strawberry.Info, id: int, input: UpdateTaskInput) -> Task:
        state = state_of(info)
        return Task.of(await in_thread(_update_task, state, id, input), state.root)

    @strawberry.mutation(description="Delete a task with its boxes and review history.")
    async def delete_task(self, info: strawberry.Info, id: int) -> bool:
        await in_thread(label_store(state_of(info)).delete_task, id)
        return True

    @strawberry.mutation(description="Add a box to a task.")
    async def create_box(self, info: strawberry.Info, task_id: int, input: BoxInput) -> Box:
        store = label_store(state_of(info))

        def add() -> Box:
            (new,) = _new_boxes(store, task_id, [input])
            (box_id,) = store.add_boxes([new])
            return Box.of(next(b for b in store.task(task_id).boxes if b.id == box_id))

        return await in_thread(add)

    @strawberry.mutation(description="Change a box; what is not given stays.")
    async def update_box(
        self, info: strawberry.Info, task_id: int, id: int, input: BoxPatch
    ) -> Box:
        return await in_thread(_update_box, state_of(info), task_id, id, input)

    @strawberry.mutation(description="Delete a box; its id is never reused.")
    async def delete_box(self, info: strawberry.Info, task_id: int, id: int) -> bool:
        await in_thread(label_store(state_of(info)).delete_box, task_id, id)
        return True

    @strawberry.mutation(
        description="Start a dataset export in the background; poll datasetExportJob."
    )
    async def dataset_export(self, info: strawberry.Info, input: DatasetExportInput) -> ExportJob:
        return await in_thread(datasets.start, state_of(info), input)


def _user_error(error: GraphQLError) -> bool:
    """A query, validation or input coercion error (``original_error`` None or a GraphQLError),
    or a gazeport error: its message is for the user."""
    original = error.original_error
    return original is None or isinstance(original, GazeportError | GraphQLError)


class GazeportSchema(strawberry.Schema):
    """Logs a user's error in one line and an unexpected one with its traceback."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _user_error(error):
                log.info("GraphQL: %s", error.message)
            else:
                log.error("GraphQL resolver failed", exc_info=error.original_error)


schema = GazeportSchema(
    query=Query,
    mutation=Mutation,
    extensions=[
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaskErrors(should_mask_error=lambda e: not _user_error(e), error_message=MASKED),
    ],
)
