"""The GraphQL types of ``/graphql`` and their conversion from :mod:`gazeport.labels` records.

The shape follows SATIn's GraphQL API (dataset-export spec §1.2) mapped onto gazeport's label
store: ``Project``, ``Task`` (one scene frame of one recording) with its ``boxes`` (SATIn's
``bboxes``: ``x, y, width, height`` in pixels of the stored frame, top-left origin, with the
class name as ``label`` and ``tags``), ``TaskStatus {DRAFT, FINISHED, REVIEWED}`` and list
queries answering a page ``{objects, totalCount, count, limit, offset, hasMore}``. What SATIn
lacks and gazeport has: classes with stable ids, the review history, gaze on each frame and box,
and dataset export jobs.

Nanosecond times are decimal text (``timestampNs``): GraphQL's ``Int`` is 32-bit and a JSON
number loses digits above 2**53 in a browser.
"""

from __future__ import annotations

import enum
from pathlib import Path

import strawberry

from ..labels import (
    BoxRecord,
    ClassRecord,
    GazeSample,
    ProjectRecord,
    ReviewRecord,
    TaskRecord,
)
from .graphql_context import in_thread, label_store, state_of
from .paths import is_inside, relative_posix

#: The largest page ``tasks`` answers (as SATIn's ``MAX_QUERY_LIMIT``).
MAX_PAGE = 1000


@strawberry.enum(
    description="Where a task is in the labelling workflow (draft → finished → reviewed)."
)
class TaskStatus(enum.Enum):
    DRAFT = "draft"
    FINISHED = "finished"
    REVIEWED = "reviewed"


@strawberry.enum(description="Where a box came from.")
class BoxSource(enum.Enum):
    MANUAL = "manual"
    IMPORT = "import"
    SUGGESTED = "suggested"
    INTERPOLATED = "interpolated"


@strawberry.enum(description="A dataset format of gazeport dataset export.")
class DatasetFormat(enum.Enum):
    COCO = "coco"
    YOLO = "yolo"
    VOC = "voc"
    CSV = "csv"
    JSON = "json"


@strawberry.type(description="A label class; its id is stable (never reused, never re-sorted).")
class LabelClass:
    id: int
    name: str
    hotkey: str | None
    color: str | None
    supercategory: str | None
    retired: bool
    merged_into: int | None

    @classmethod
    def of(cls, c: ClassRecord) -> LabelClass:
        return cls(
            id=c.id, name=c.name, hotkey=c.hotkey, color=c.color, supercategory=c.supercategory,
            retired=c.retired, merged_into=c.merged_into,
        )  # fmt: skip


@strawberry.type(description="The label store's project: one per database file (id 1).")
class Project:
    id: int
    name: str
    description: str
    created_at: str
    schema_version: int
    database: str = strawberry.field(description="The database file's name.")
    task_count: int
    classes: list[LabelClass]

    @classmethod
    def of(cls, p: ProjectRecord, task_count: int, classes: list[ClassRecord]) -> Project:
        return cls(
            id=1, name=p.name, description=p.description, created_at=p.created,
            schema_version=p.schema_version, database=p.path.name, task_count=task_count,
            classes=[LabelClass.of(c) for c in classes],
        )  # fmt: skip


@strawberry.type(description="One gaze sample during the frame, in pixels of the frame.")
class Gaze:
    timestamp_ns: str
    x: float
    y: float
    confidence: float | None

    @classmethod
    def of(cls, g: GazeSample) -> Gaze:
        return cls(timestamp_ns=str(g.timestamp_ns), x=g.x_px, y=g.y_px, confidence=g.confidence)


@strawberry.type(description="A bounding box in pixels of the task's frame (top-left origin).")
class Box:
    id: int
    task_id: int
    class_id: int
    label: str
    x: float
    y: float
    width: float
    height: float
    confidence: float | None
    tags: list[str]
    source: BoxSource
    author: str | None
    gaze_hits: int = strawberry.field(description="Gaze samples of the frame inside the box.")
    fixation_id: int | None = strawberry.field(
        description="The frame's fixation when its point lies inside the box."
    )
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, b: BoxRecord) -> Box:
        return cls(
            id=b.id, task_id=b.task_id, class_id=b.class_id, label=b.label, x=b.x, y=b.y,
            width=b.w, height=b.h, confidence=b.confidence, tags=list(b.tags),
            source=BoxSource(b.source), author=b.author, gaze_hits=b.gaze_hits,
            fixation_id=b.fixation_id, created_at=b.created, updated_at=b.updated,
        )  # fmt: skip


@strawberry.type(description="One status change of a task: who, when, from → to and why.")
class Review:
    id: int
    task_id: int
    who: str | None
    at: str
    from_status: TaskStatus
    to_status: TaskStatus
    comment: str | None

    @classmethod
    def of(cls, r: ReviewRecord) -> Review:
        return cls(
            id=r.id, task_id=r.task_id, who=r.who, at=r.at, from_status=TaskStatus(r.from_status),
            to_status=TaskStatus(r.to_status), comment=r.comment,
        )  # fmt: skip


@strawberry.type(description="One labelling task: one scene frame of one recording, its boxes.")
class Task:
    id: int
    recording: str = strawberry.field(
        description="The recording folder relative to the database's folder (as stored)."
    )
    recording_path: str | None = strawberry.field(
        description="The recording folder relative to the served folder (null when outside it)."
    )
    recording_id: str = strawberry.field(description="The recording's own id (uuid).")
    frame_index: int
    timestamp_ns: str = strawberry.field(description="UTC ns of the frame, as decimal text.")
    width: int
    height: int
    status: TaskStatus
    boxes: list[Box]
    gaze: list[Gaze]
    fixation_id: int | None
    fixation_x: float | None
    fixation_y: float | None
    split: str | None
    created_at: str
    updated_at: str

    @strawberry.field(description="The task's status changes, oldest first.")
    async def reviews(self, info: strawberry.Info) -> list[Review]:
        store = label_store(state_of(info))
        return [Review.of(r) for r in await in_thread(store.reviews, self.id)]

    @classmethod
    def of(cls, t: TaskRecord, root: Path) -> Task:
        fx, fy = t.fixation_xy_px if t.fixation_xy_px is not None else (None, None)
        inside = is_inside(root, t.recording_dir)
        return cls(
            id=t.id, recording=t.recording,
            recording_path=relative_posix(root, t.recording_dir) if inside else None,
            recording_id=t.recording_id, frame_index=t.frame_index,
            timestamp_ns=str(t.timestamp_ns), width=t.width, height=t.height,
            status=TaskStatus(t.status), boxes=[Box.of(b) for b in t.boxes],
            gaze=[Gaze.of(g) for g in t.gaze], fixation_id=t.fixation_id, fixation_x=fx,
            fixation_y=fy, split=t.split, created_at=t.created, updated_at=t.updated,
        )  # fmt: skip


@strawberry.type(description="A page of tasks (SATIn's Page).")
class TaskPage:
    objects: list[Task]
    total_count: int
    count: int
    limit: int
    offset: int
    has_more: bool


@strawberry.type(description="A page of projects: a label store holds one.")
class ProjectPage:
    objects: list[Project]
    total_count: int
    count: int
    limit: int
    offset: int
    has_more: bool


@strawberry.type(description="A dataset export running (or done) in the background.")
class ExportJob:
    job_id: str
    status: str = strawberry.field(description="queued, running, done, failed or cancelled.")
    format: str | None
    out_dir: str | None = strawberry.field(description="The folder, relative to the served one.")
    done: int = strawberry.field(description="Images (or tasks) written so far.")
    total: int
    progress: float = strawberry.field(description="From 0 to 1.")
    error: str | None
    tasks: int | None = strawberry.field(description="Tasks exported (when done).")
    boxes: int | None = strawberry.field(description="Boxes exported (when done).")
    splits: strawberry.scalars.JSON | None = strawberry.field(
        description='Tasks per split (when done), e.g. {"train": 8, "val": 2}.'
    )


# --- inputs ---------------------------------------------------------------------------------


@strawberry.input(description="Which tasks: every given filter must match (lists: any of).")
class TaskQuery:
    status: list[TaskStatus] | None = None
    label: list[str] | None = strawberry.field(
        default=None, description="Tasks with at least one box of one of these classes."
    )
    recording: str | None = strawberry.field(
        default=None,
        description="A glob on the stored recording path or its trailing folder names (rec2).",
    )


@strawberry.input(description="A new box, in pixels of the task's frame (top-left origin).")
class BoxInput:
    label: str
    x: float
    y: float
    width: float
    height: float
    tags: list[str] = strawberry.field(default_factory=list)
    confidence: float | None = None
    source: BoxSource = BoxSource.MANUAL
    author: str | None = None


@strawberry.input(description="Changes to a box; what is not given stays.")
class BoxPatch:
    label: str | None = None
    x: float | None = None
    y: float | None = None
    width: float | None = None
    height: float | None = None
    tags: list[str] | None = None
    confidence: float | None = None


@strawberry.input(description="A task for one frame of a recording below the served folder.")
class CreateTaskInput:
    recording: str = strawberry.field(
        description="The recording folder relative to the served folder (POSIX, no '..')."
    )
    frame: int = strawberry.field(description="The scene frame index (Player's world_index).")
    boxes: list[BoxInput] = strawberry.field(default_factory=list)
    status: TaskStatus = TaskStatus.DRAFT
    reviewer: str | None = None
    comment: str | None = None


@strawberry.input(description="Changes to a task; what is not given stays.")
class UpdateTaskInput:
    status: TaskStatus | None = None
    reviewer: str | None = strawberry.field(default=None, description="Who changes the status.")
    comment: str | None = None
    boxes: list[BoxInput] | None = strawberry.field(
        default=None, description="Replace all boxes of the task by these."
    )
    add_boxes: list[BoxInput] = strawberry.field(default_factory=list)
    remove_box_ids: list[int] = strawberry.field(default_factory=list)


@strawberry.input(description="A dataset export (the options of gazeport dataset export).")
class DatasetExportInput:
    format: DatasetFormat
    out_dir: str | None = strawberry.field(
        default=None,
        description="The folder to write, relative to the served folder (default datasets/FORMAT);"
        " an existing folder must be an earlier gazeport dataset export.",
    )
    include_images: bool = True
    image_format: str = "jpg"
    split: str = strawberry.field(default="train=100", description="e.g. train=70,val=20,test=10")
    seed: int = 0
    stratify: bool = False
    group_by: str = "recording"
    status: list[TaskStatus] = strawberry.field(default_factory=list)
    labels: list[str] = strawberry.field(default_factory=list)
    recording: str | None = None
    min_confidence: float | None = None
    min_size: str | None = strawberry.field(default=None, description="WIDTHxHEIGHT in pixels.")
    frame_range: str | None = strawberry.field(default=None, description="FIRST-LAST, inclusive.")
    date_from: str | None = None
    date_to: str | None = None
    gaze_hit_only: bool = False
    incremental: bool = False
    coords: str = strawberry.field(default="absolute", description="absolute or normalized (CSV).")
    category_map: strawberry.scalars.JSON | None = strawberry.field(
        default=None, description="{old name: new name or null} to rename, merge or drop classes."
    )
