"""The label model shared by the store, the sampler and the dataset writers.

One box model for every format (dataset-export spec rule 1): continuous pixel coordinates in the
stored scene frame, origin at the top-left, ``x, y, w, h`` as floats. Every dataset format is a
pure function of these records and the frame size. Times are int64 UTC nanoseconds for every
recording kind (a Core frame's Pupil time is converted with the recording's wall clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

TaskStatus = Literal["draft", "finished", "reviewed"]
BoxSource = Literal["manual", "import", "suggested", "interpolated"]
STATUSES: tuple[TaskStatus, ...] = ("draft", "finished", "reviewed")
BOX_SOURCES: tuple[BoxSource, ...] = ("manual", "import", "suggested", "interpolated")


@dataclass(frozen=True)
class GazeSample:
    """One gaze sample during a scene frame, in pixels of that frame (top-left origin)."""

    timestamp_ns: int
    x_px: float
    y_px: float
    confidence: float | None = None


@dataclass(frozen=True)
class FrameCandidate:
    """A scene frame the sampler proposes as a labelling task (not stored yet)."""

    recording_dir: Path  # absolute folder of the recording
    recording_id: (
        str  # the recording's own id (Core ``recording_uuid``, Neon/Cloud ``recording_id``)
    )
    frame_index: int  # scene frame index on gazeport's timeline (Pupil Player world_index / Neon Player frame)
    timestamp_ns: int  # UTC ns of the frame
    width: int  # scene frame size in pixels
    height: int
    gaze: tuple[GazeSample, ...] = ()  # gaze samples that fall in this frame
    fixation_id: int | None = None  # 1-based id of the fixation covering this frame, as exported
    fixation_xy_px: tuple[float, float] | None = None  # that fixation's position in frame pixels
    reason: str = (
        ""  # how it was sampled: "every-s", "every-n", "per-fixation", "frames", "at-events"
    )


@dataclass(frozen=True)
class ClassRecord:
    """A label class. ``id`` is stable: never reused, never re-sorted (spec rule 5)."""

    id: int
    name: str
    hotkey: str | None = None
    color: str | None = None  # "#rrggbb"
    supercategory: str | None = None
    retired: bool = False  # merged into another class; kept so its id is never reused
    merged_into: int | None = None  # the class id its boxes moved to


@dataclass(frozen=True)
class ProjectRecord:
    """The label store's project: one per database file."""

    name: str
    description: str
    created: str  # ISO 8601 UTC
    path: Path  # the database file
    schema_version: int


@dataclass(frozen=True)
class ReviewRecord:
    """One status change of a task: who moved it from which status to which, when and why."""

    id: int
    task_id: int
    who: str | None
    at: str  # ISO 8601 UTC
    from_status: TaskStatus
    to_status: TaskStatus
    comment: str | None = None


@dataclass(frozen=True)
class BoxRecord:
    """One bounding box on a task's frame, in pixels of the stored frame (top-left origin)."""

    id: int
    task_id: int
    class_id: int
    label: str  # the class name at read time
    x: float
    y: float
    w: float
    h: float
    confidence: float | None = None
    tags: tuple[str, ...] = ()
    source: BoxSource = "manual"
    author: str | None = None
    gaze_hits: int = 0  # gaze samples of the frame inside the box
    fixation_id: int | None = None  # the frame's fixation when it lands inside the box
    created: str = ""  # ISO 8601 UTC
    updated: str = ""
    track_id: int | None = None  # boxes of one object across frames (gazeport.labels.tracks)


@dataclass(frozen=True)
class TaskRecord:
    """One labelling task: one scene frame of one recording, with its boxes."""

    id: int
    recording: str  # recording folder relative to the database's folder (POSIX separators)
    recording_dir: Path  # that folder resolved against the database's current location
    recording_id: str
    frame_index: int
    timestamp_ns: int
    width: int
    height: int
    status: TaskStatus
    boxes: tuple[BoxRecord, ...] = ()
    gaze: tuple[GazeSample, ...] = ()
    fixation_id: int | None = None
    fixation_xy_px: tuple[float, float] | None = None
    created: str = ""  # ISO 8601 UTC
    updated: str = ""
    split: str | None = None  # sticky dataset split once an export assigned one
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewBox:
    """A box to insert with :meth:`LabelStore.add_boxes` (class by id; values checked there)."""

    task_id: int
    class_id: int
    x: float
    y: float
    w: float
    h: float
    confidence: float | None = None
    tags: tuple[str, ...] = ()
    source: BoxSource = "manual"
    author: str | None = None
