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

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter
from strawberry.types import ExecutionContext

from ..errors import GazeportError, LabelNotFoundError
from ..labels import BoxSpec, LabelStore, TaskRecord, add_frame_task
from ..labels.frame_tasks import new_boxes
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


def _specs(boxes: list[BoxInput]) -> list[BoxSpec]:
    out = []
    for b in boxes:
        spec = BoxSpec(b.label, b.x, b.y, b.width, b.height, b.confidence, tuple(b.tags),
                       b.source.value, b.author)  # fmt: skip
        out.append(spec)
    return out


def _create_task(state: ServerState, data: CreateTaskInput) -> TaskRecord:
    rec_dir = resolve_inside(state.root, data.recording)
    if not rec_dir.is_dir():
        raise LabelNotFoundError(
            f"There is no recording folder {data.recording!r} in the served folder."
        )
    return add_frame_task(
        label_store(state), rec_dir, data.frame, _specs(data.boxes), data.status.value,
        by=data.reviewer, comment=data.comment,
    )  # fmt: skip


def _update_task(state: ServerState, task_id: int, data: UpdateTaskInput) -> TaskRecord:
    store = label_store(state)
    if data.boxes is not None and data.remove_box_ids:
        raise BadGraphQLInputError("Give boxes (replace all) or removeBoxIds, not both.")
    if data.boxes is not None or data.add_boxes or data.remove_box_ids:
        store.change_boxes(
            task_id, new_boxes(store, task_id, _specs([*(data.boxes or []), *data.add_boxes])),
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
            (new,) = new_boxes(store, task_id, _specs([input]))
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
