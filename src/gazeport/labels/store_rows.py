"""Rows of the label store's tables turned into records, and records into rows.

Gaze on boxes is computed here at read time, so it always matches the box as it is now: a box's
``gaze_hits`` counts the task's gaze samples inside it (edges included) and its ``fixation_id`` is
the task's fixation when the fixation point lies inside it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import numpy as np

from gazeport.labels.records import (
    BoxRecord,
    ClassRecord,
    FrameCandidate,
    GazeSample,
    ReviewRecord,
    TaskRecord,
)
from gazeport.labels.validation import status as _status


def now_iso() -> str:
    """The current time as ISO 8601 UTC with milliseconds, e.g. ``2026-01-02T03:04:05.678Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def relative_recording(recording_dir: Path, db_dir: Path) -> str:
    """The recording folder relative to the database's folder, with POSIX separators.

    Kept relative so a study folder (database and recordings) can move as a whole; a recording on
    another drive (Windows) is stored absolute.
    """
    try:
        rel = os.path.relpath(Path(recording_dir).resolve(), db_dir.resolve())
    except ValueError:
        return Path(recording_dir).resolve().as_posix()
    return PurePosixPath(*Path(rel).parts).as_posix()


def resolve_recording(recording: str, db_dir: Path) -> Path:
    """The stored recording path resolved against the database's current folder."""
    return Path(os.path.normpath(db_dir / Path(*PurePosixPath(recording).parts)))


def gaze_json(gaze: Sequence[GazeSample]) -> str:
    return json.dumps([[g.timestamp_ns, g.x_px, g.y_px, g.confidence] for g in gaze])


def gaze_from_json(text: str) -> tuple[GazeSample, ...]:
    return tuple(
        GazeSample(int(t), float(x), float(y), None if c is None else float(c))
        for t, x, y, c in json.loads(text)
    )


def task_row(c: FrameCandidate, db_dir: Path, when: str) -> tuple[object, ...]:
    """The ``tasks`` row of a sampled frame (column order of ``TASK_INSERT``)."""
    fx, fy = c.fixation_xy_px if c.fixation_xy_px is not None else (None, None)
    return (
        relative_recording(c.recording_dir, db_dir), str(c.recording_id), int(c.frame_index),
        int(c.timestamp_ns), int(c.width), int(c.height), gaze_json(c.gaze),
        c.fixation_id, fx, fy, c.reason, when, when,
    )  # fmt: skip


TASK_INSERT = (
    "INSERT OR IGNORE INTO tasks (recording, recording_id, frame_index, timestamp_ns, width, "
    "height, gaze, fixation_id, fixation_x, fixation_y, reason, created, updated) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def class_record(row: sqlite3.Row) -> ClassRecord:
    return ClassRecord(
        id=row["id"], name=row["name"], hotkey=row["hotkey"], color=row["color"],
        supercategory=row["supercategory"], retired=bool(row["retired"]),
        merged_into=row["merged_into"],
    )  # fmt: skip


def review_record(row: sqlite3.Row) -> ReviewRecord:
    return ReviewRecord(
        id=row["id"], task_id=row["task_id"], who=row["who"], at=row["at"],
        from_status=_status(row["from_status"]), to_status=_status(row["to_status"]),
        comment=row["comment"],
    )  # fmt: skip


def _box_record(
    row: sqlite3.Row, gx: np.ndarray, gy: np.ndarray, fixation: tuple[int, float, float] | None
) -> BoxRecord:
    x, y, w, h = row["x"], row["y"], row["w"], row["h"]
    hits = int(np.count_nonzero((gx >= x) & (gx <= x + w) & (gy >= y) & (gy <= y + h)))
    fix_id = None
    if fixation is not None and x <= fixation[1] <= x + w and y <= fixation[2] <= y + h:
        fix_id = fixation[0]
    return BoxRecord(
        id=row["id"], task_id=row["task_id"], class_id=row["class_id"], label=row["label"],
        x=x, y=y, w=w, h=h, confidence=row["confidence"], tags=tuple(json.loads(row["tags"])),
        source=row["source"], author=row["author"], gaze_hits=hits, fixation_id=fix_id,
        created=row["created"], updated=row["updated"], track_id=row["track_id"],
    )  # fmt: skip


def task_record(row: sqlite3.Row, box_rows: Sequence[sqlite3.Row], db_dir: Path) -> TaskRecord:
    """A task with its boxes (in id order) and their gaze hits."""
    gaze = gaze_from_json(row["gaze"])
    gx = np.fromiter((g.x_px for g in gaze), dtype=np.float64, count=len(gaze))
    gy = np.fromiter((g.y_px for g in gaze), dtype=np.float64, count=len(gaze))
    fxy = None
    if row["fixation_x"] is not None and row["fixation_y"] is not None:
        fxy = (float(row["fixation_x"]), float(row["fixation_y"]))
    fixation = None
    if row["fixation_id"] is not None and fxy is not None:
        fixation = (int(row["fixation_id"]), fxy[0], fxy[1])
    return TaskRecord(
        id=row["id"], recording=row["recording"],
        recording_dir=resolve_recording(row["recording"], db_dir),
        recording_id=row["recording_id"], frame_index=row["frame_index"],
        timestamp_ns=row["timestamp_ns"], width=row["width"], height=row["height"],
        status=_status(row["status"]),
        boxes=tuple(_box_record(b, gx, gy, fixation) for b in box_rows),
        gaze=gaze, fixation_id=row["fixation_id"], fixation_xy_px=fxy,
        created=row["created"], updated=row["updated"], split=row["split"],
        extra={"reason": row["reason"]} if row["reason"] else {},
    )  # fmt: skip


BOX_SELECT = (
    "SELECT b.id, b.task_id, b.class_id, c.name AS label, b.x, b.y, b.w, b.h, b.confidence, "
    "b.tags, b.source, b.author, b.created, b.updated, b.track_id FROM boxes b "
    "JOIN classes c ON c.id = b.class_id"
)
