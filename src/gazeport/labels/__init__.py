"""Bounding-box labels on scene frames: the SQLite label store, prediction import and statistics.

>>> from gazeport.labels import init_store, open_store, sample_frames  # doctest: +SKIP
>>> with init_store("study.sqlite", ["car", "person"]) as store:  # doctest: +SKIP
...     store.add_tasks(sample_frames("rec", every_s=2.0))
...     store.add_box(1, "car", 100, 200, 150, 100)

``records`` holds the model shared with the sampler and the dataset writers.
"""

from __future__ import annotations

from .database import init_store, open_store
from .frame_tasks import BoxSpec, add_frame_task
from .predictions import ImportReport
from .records import (
    BOX_SOURCES,
    STATUSES,
    BoxRecord,
    BoxSource,
    ClassRecord,
    FrameCandidate,
    GazeSample,
    NewBox,
    ProjectRecord,
    ReviewRecord,
    TaskRecord,
    TaskStatus,
)
from .sampling import sample_frames
from .stats import LabelStats, SizeStats
from .store import LabelStore
from .tracks import SuggestedBox, TrackResult, interpolate_track, suggest_box

__all__ = [
    "BOX_SOURCES",
    "STATUSES",
    "BoxRecord",
    "BoxSource",
    "BoxSpec",
    "ClassRecord",
    "FrameCandidate",
    "GazeSample",
    "ImportReport",
    "LabelStats",
    "LabelStore",
    "NewBox",
    "ProjectRecord",
    "ReviewRecord",
    "SizeStats",
    "SuggestedBox",
    "TaskRecord",
    "TaskStatus",
    "TrackResult",
    "add_frame_task",
    "init_store",
    "interpolate_track",
    "open_store",
    "sample_frames",
    "suggest_box",
]
