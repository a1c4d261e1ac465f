"""Quality numbers of a label store: what is labelled, how far review has come, box sizes.

Computed by SQL aggregates over one read snapshot (so the numbers agree with each other) plus
a median of the box sizes with numpy.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from gazeport.labels.records import STATUSES

UNKNOWN_REVIEWER = "(unknown)"


@dataclass(frozen=True)
class SizeStats:
    """Minimum, median and maximum of box widths or heights [px]."""

    min: float
    median: float
    max: float


@dataclass(frozen=True)
class LabelStats:
    """Counts per status, class, recording and box source; box sizes; review throughput."""

    tasks: int
    boxes: int
    tasks_by_status: dict[str, int]
    boxes_by_status: dict[str, int]  # boxes on tasks of each status
    by_class: list[dict[str, Any]]  # {id, name, retired, boxes, tasks}, in class id order
    by_recording: list[dict[str, Any]]  # {recording, tasks, boxes, by_status}
    boxes_by_source: dict[str, int]
    box_width_px: SizeStats | None
    box_height_px: SizeStats | None
    reviews: int
    reviews_per_day: dict[str, int]  # "YYYY-MM-DD" (UTC) → status changes
    reviews_per_reviewer: dict[str, int]
    transitions: dict[str, int] = field(default_factory=dict)  # "draft->finished" → count

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return asdict(self)


def _sizes(values: np.ndarray) -> SizeStats | None:
    if values.size == 0:
        return None
    return SizeStats(float(values.min()), float(np.median(values)), float(values.max()))


def compute_stats(c: sqlite3.Connection) -> LabelStats:
    """The statistics of the store behind connection ``c`` (inside a read transaction)."""
    tasks_by_status: dict[str, int] = dict.fromkeys(STATUSES, 0)
    tasks_by_status.update(dict(c.execute("SELECT status, COUNT(*) FROM tasks GROUP BY status")))
    boxes_by_status: dict[str, int] = dict.fromkeys(STATUSES, 0)
    boxes_by_status.update(
        dict(
            c.execute(
                "SELECT t.status, COUNT(*) FROM boxes b JOIN tasks t ON t.id = b.task_id "
                "GROUP BY t.status"
            )
        )
    )
    by_class = [
        {"id": r[0], "name": r[1], "retired": bool(r[2]), "boxes": r[3], "tasks": r[4]}
        for r in c.execute(
            "SELECT c.id, c.name, c.retired, COUNT(b.id), COUNT(DISTINCT b.task_id) "
            "FROM classes c LEFT JOIN boxes b ON b.class_id = c.id GROUP BY c.id ORDER BY c.id"
        )
    ]
    recordings: dict[str, dict[str, Any]] = {}
    for rec, status, n_tasks, n_boxes in c.execute(
        "SELECT t.recording, t.status, COUNT(DISTINCT t.id), COUNT(b.id) FROM tasks t "
        "LEFT JOIN boxes b ON b.task_id = t.id GROUP BY t.recording, t.status"
    ):
        entry = recordings.setdefault(
            rec, {"recording": rec, "tasks": 0, "boxes": 0, "by_status": dict.fromkeys(STATUSES, 0)}
        )
        entry["tasks"] += n_tasks
        entry["boxes"] += n_boxes
        entry["by_status"][status] = n_tasks
    wh = np.array(c.execute("SELECT w, h FROM boxes").fetchall(), dtype=np.float64).reshape(-1, 2)
    per_day = dict(
        c.execute("SELECT substr(at, 1, 10), COUNT(*) FROM reviews GROUP BY 1 ORDER BY 1")
    )
    per_reviewer = {
        (who if who is not None else UNKNOWN_REVIEWER): n
        for who, n in c.execute("SELECT who, COUNT(*) FROM reviews GROUP BY who ORDER BY who")
    }
    transitions = {
        f"{a}->{b}": n
        for a, b, n in c.execute(
            "SELECT from_status, to_status, COUNT(*) FROM reviews GROUP BY 1, 2 ORDER BY 1, 2"
        )
    }
    return LabelStats(
        tasks=sum(tasks_by_status.values()),
        boxes=int(wh.shape[0]),
        tasks_by_status=tasks_by_status,
        boxes_by_status=boxes_by_status,
        by_class=by_class,
        by_recording=[recordings[k] for k in sorted(recordings)],
        boxes_by_source=dict(c.execute("SELECT source, COUNT(*) FROM boxes GROUP BY source")),
        box_width_px=_sizes(wh[:, 0]),
        box_height_px=_sizes(wh[:, 1]),
        reviews=sum(per_day.values()),
        reviews_per_day=per_day,
        reviews_per_reviewer=per_reviewer,
        transitions=transitions,
    )
