"""Boxes that follow one object across frames, and boxes suggested from where the wearer looked.

**Tracks.** A labeller draws the object on two tasks (keyframes) of the same recording; every
sampled task between them gets a box whose ``x, y, w, h`` are linear in the frame's time
between the two keyframes (CVAT's track mode interpolates the same way, per coordinate). The
boxes share a ``track_id`` (schema version 2); the filled-in ones have source
``"interpolated"`` and are edited like any other box. Interpolating the same track again
replaces its interpolated boxes between the keyframes, so moving a keyframe and re-running is
the way to correct a track.

**Suggestions.** A fixation is a natural "centre click" (web-player spec §8): the labeller is
offered a box of a default size centred on the frame's fixation (or, without one, on the median
of its gaze samples), to accept with one key, resize or reject. The box is clipped to the frame.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gazeport.errors import LabelError
from gazeport.labels import validation as check
from gazeport.labels.records import BoxRecord, TaskRecord
from gazeport.labels.store_rows import now_iso

if TYPE_CHECKING:
    from gazeport.labels.store import LabelStore

#: Default side of a suggested box, as a fraction of the frame's shorter side.
SUGGESTED_FRACTION = 0.2


@dataclass(frozen=True)
class TrackResult:
    """What :func:`interpolate_track` did: the track, its two keyframes, the boxes it made."""

    track_id: int
    keyframes: tuple[BoxRecord, BoxRecord]  # in frame order
    boxes: tuple[BoxRecord, ...]  # the interpolated boxes, in frame order
    replaced: int  # interpolated boxes of this track between the keyframes that were removed


@dataclass(frozen=True)
class SuggestedBox:
    """A box proposed at the fixation (or gaze median) of a task; not stored."""

    task_id: int
    x: float
    y: float
    w: float
    h: float
    basis: str  # "fixation" or "gaze"
    centre: tuple[float, float]  # the point it is centred on [px]
    source: str = "suggested"


def lerp_box(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float], t: float
) -> tuple[float, float, float, float]:
    """The box a fraction ``t`` (0 → ``a``, 1 → ``b``) of the way, per coordinate."""
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    x, y, w, h = (va + (vb - va) * float(t)).tolist()
    return x, y, w, h


def _fraction(ts: int, frame: int, a: sqlite3.Row, b: sqlite3.Row) -> float:
    """Where a frame lies between two keyframe tasks: by time, or by index if times agree."""
    if b["timestamp_ns"] != a["timestamp_ns"]:
        return (ts - a["timestamp_ns"]) / (b["timestamp_ns"] - a["timestamp_ns"])
    return (frame - a["frame_index"]) / (b["frame_index"] - a["frame_index"])


def interpolate_track(
    store: LabelStore, first: tuple[int, int], last: tuple[int, int], author: str | None = None
) -> TrackResult:
    """Fill the tasks between two keyframe boxes ``(task_id, box_id)`` of one recording with
    interpolated boxes of the keyframes' class, linking all of them by one track id."""
    with store._write() as c:
        ta, tb = store._task_row(c, first[0]), store._task_row(c, last[0])
        ba, bb = store._box(c, first[0], first[1]), store._box(c, last[0], last[1])
        if ta["recording_id"] != tb["recording_id"]:
            raise LabelError(
                f"The tasks {ta['id']} and {tb['id']} are frames of different recordings; "
                "a track's keyframes must be in one recording."
            )
        if ta["frame_index"] == tb["frame_index"]:
            raise LabelError(
                f"Both keyframes are on frame {ta['frame_index']}; pick boxes on two frames."
            )
        if ba.class_id != bb.class_id:
            raise LabelError(
                f"The keyframes are of classes {ba.label!r} and {bb.label!r}; "
                "a track follows one object of one class."
            )
        if ta["frame_index"] > tb["frame_index"]:
            ta, tb, ba, bb = tb, ta, bb, ba
        track = ba.track_id or bb.track_id
        if track is None:
            row = c.execute("SELECT COALESCE(MAX(track_id), 0) + 1 FROM boxes").fetchone()
            track = int(row[0])
        between = c.execute(
            "SELECT id, frame_index, timestamp_ns FROM tasks WHERE recording_id = ? "
            "AND frame_index > ? AND frame_index < ? ORDER BY frame_index",
            (ta["recording_id"], ta["frame_index"], tb["frame_index"]),
        ).fetchall()
        ids = [r["id"] for r in between]
        marks = ",".join("?" * len(ids))
        if ids:
            key = c.execute(
                f"SELECT task_id FROM boxes WHERE track_id = ? AND source != 'interpolated' "
                f"AND task_id IN ({marks}) LIMIT 1",
                [track, *ids],
            ).fetchone()
            if key is not None:
                raise LabelError(
                    f"The task {key[0]} between the keyframes has a keyframe of this track; "
                    "interpolate from and to it instead."
                )
        replaced = 0
        if ids:
            replaced = c.execute(
                f"DELETE FROM boxes WHERE track_id = ? AND source = 'interpolated' "
                f"AND task_id IN ({marks})",
                [track, *ids],
            ).rowcount
        when, made = now_iso(), []
        c.execute(
            "UPDATE boxes SET track_id = ?, updated = ? WHERE id IN (?, ?)",
            (track, when, ba.id, bb.id),
        )
        who = check.optional_text(author, "author")
        a, b = (ba.x, ba.y, ba.w, ba.h), (bb.x, bb.y, bb.w, bb.h)
        for r in between:
            x, y, w, h = check.xywh(*lerp_box(a, b, _fraction(r[2], r[1], ta, tb)))
            cur = c.execute(
                "INSERT INTO boxes (task_id, class_id, x, y, w, h, source, author, track_id, "
                "created, updated) VALUES (?, ?, ?, ?, ?, ?, 'interpolated', ?, ?, ?, ?)",
                (r["id"], ba.class_id, x, y, w, h, who, track, when, when),
            )
            c.execute("UPDATE tasks SET updated = ? WHERE id = ?", (when, r["id"]))
            made.append((r["id"], int(cur.lastrowid or 0)))
        boxes = tuple(store._box(c, t, box) for t, box in made)
        keys = (store._box(c, ta["id"], ba.id), store._box(c, tb["id"], bb.id))
        return TrackResult(track, keys, boxes, replaced)


def suggest_box(task: TaskRecord, size_px: float | None = None) -> SuggestedBox:
    """A square box of side ``size_px`` (default :data:`SUGGESTED_FRACTION` of the frame's
    shorter side) centred on the task's fixation, else on its gaze median, kept in the frame."""
    if task.fixation_xy_px is not None:
        cx, cy = task.fixation_xy_px
        basis = "fixation"
    elif task.gaze:
        cx = float(np.median([g.x_px for g in task.gaze]))
        cy = float(np.median([g.y_px for g in task.gaze]))
        basis = "gaze"
    else:
        raise LabelError(
            f"The task {task.id} has neither a fixation nor gaze on its frame to centre a "
            "suggested box on; draw the box by hand."
        )
    side = SUGGESTED_FRACTION * min(task.width, task.height) if size_px is None else size_px
    if not np.isfinite(side) or side <= 0:
        raise LabelError(f"The suggested box size {size_px!r} px must be a number above 0.")
    w, h = min(float(side), task.width), min(float(side), task.height)
    x = float(np.clip(cx - w / 2, 0.0, task.width - w))
    y = float(np.clip(cy - h / 2, 0.0, task.height - h))
    return SuggestedBox(task.id, x, y, w, h, basis, (float(cx), float(cy)))
