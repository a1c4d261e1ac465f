"""One task for one chosen frame, with its boxes: :func:`add_frame_task` (the web app's
``createTask``), and boxes whose class is given by name (:class:`BoxSpec`).

All or nothing: the frame, the classes and every box value are checked before the task is
stored, so a refused call leaves no task and uses up no task id (SQLite's ``INSERT OR IGNORE``
of a frame already stored would still use one up, so a stored frame is looked for first).
"""

from __future__ import annotations

import dataclasses
import glob
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import GazeportError, LabelError, LabelNotFoundError
from ..recording import open_recording
from ..recording.scene_frames import scene_frames
from . import validation as check
from .records import BoxSource, NewBox, TaskRecord
from .sampling import sample_frames
from .store import LabelStore
from .store_rows import relative_recording


@dataclass(frozen=True)
class BoxSpec:
    """A box to add, its class by name, in pixels of the task's frame (top-left origin)."""

    label: str
    x: float
    y: float
    w: float
    h: float
    confidence: float | None = None
    tags: tuple[str, ...] = ()
    source: BoxSource = "manual"
    author: str | None = None


def new_boxes(store: LabelStore, task_id: int, boxes: Iterable[BoxSpec]) -> list[NewBox]:
    """:class:`NewBox` values for ``task_id``, every value checked as the store checks it;
    :class:`LabelNotFoundError` (listing the classes) for an unknown or retired class."""
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
        x, y, w, h = check.xywh(b.x, b.y, b.w, b.h)
        out.append(
            NewBox(
                task_id, cls.id, x, y, w, h, check.confidence(b.confidence), check.tags(b.tags),
                check.source(b.source), check.optional_text(b.author, "author"),
            )
        )  # fmt: skip
    return out


def stored_task(
    store: LabelStore, recording_dir: Path, recording_id: str, frame: int
) -> TaskRecord | None:
    """The task of frame ``frame`` of a recording, if stored: looked for in its folder first,
    then anywhere (a copied recording keeps its id; a frame is stored once per id)."""
    folder = glob.escape(relative_recording(recording_dir, store.db_dir))
    for pattern in (folder, None):
        for t in store.iter_tasks(recording_glob=pattern):
            if t.recording_id == recording_id and t.frame_index == frame:
                return t
    return None


def add_frame_task(
    store: LabelStore, recording: Path | str, frame: int, boxes: Sequence[BoxSpec] = (),
    status: str = "draft", by: str | None = None, comment: str | None = None,
) -> TaskRecord:  # fmt: skip
    """Store frame ``frame`` of the recording folder ``recording`` as a task (with its gaze and
    fixation, as :func:`sample_frames` gives them), add ``boxes`` and, unless ``status`` is
    draft, record the status change by ``by``. Raises :class:`LabelError` for a gray frame, a
    frame already stored (naming its task) or a bad box, :class:`SamplingError` for a frame
    outside the recording; nothing is stored then."""
    new_status = check.status(status)
    with open_recording(recording) as rec:
        frames = scene_frames(rec)
        name = Path(recording).name
        if 0 <= frame < len(frames) and not frames.real[frame]:
            raise LabelError(
                f"Frame {frame} of {name} is a gray frame without a scene picture (a gap in "
                "the scene video); pick another frame."
            )  # said here: sample_frames would only warn and leave it out
        (candidate,) = sample_frames(rec, frames=[frame])
    checked = new_boxes(store, 0, boxes)  # the task id is set once the task exists
    key = (candidate.recording_dir, candidate.recording_id, candidate.frame_index)
    old = stored_task(store, *key)
    if old is not None:
        raise LabelError(f"Frame {frame} of {name} is already task {old.id}.")
    store.add_tasks([candidate])
    task = stored_task(store, *key)
    if task is None:  # pragma: no cover - the store keeps what add_tasks added
        raise LabelError(f"Frame {frame} of {name} could not be stored.")
    try:
        store.add_boxes([dataclasses.replace(b, task_id=task.id) for b in checked])
        if new_status != task.status:
            store.set_status(task.id, new_status, by=by, comment=comment)
    except GazeportError:
        store.delete_task(task.id)  # all or nothing: no half-made task
        raise
    return store.task(task.id)


__all__ = ["BoxSpec", "add_frame_task", "new_boxes", "stored_task"]
