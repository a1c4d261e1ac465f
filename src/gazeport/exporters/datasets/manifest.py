"""``manifest.json`` of a dataset folder: what makes the folder ours, and the content hashes that let
an incremental export tell added, changed, removed and unchanged tasks apart (spec rule 9), and the
persistent id maps (:class:`ExportIds`).

A task's hash covers exactly what determines its files: its boxes (store id, class id, class name,
YOLO index, pixels), status, frame, image size, split, file stem, and the options that change every
file (the *rewrite key*: format, image format, images on/off, CSV coordinates, category map, the
manifest version). For CSV and JSON, which also carry times, gaze, confidence and tags, those are
hashed too. Store ids are hashed, export ids are not: those come from the manifest's id maps and
never change for a task once given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gazeport.errors import ExportError
from gazeport.exporters.datasets.boxes import ClassMap
from gazeport.exporters.datasets.options import DatasetOptions
from gazeport.labels.records import TaskRecord

MANIFEST = "manifest.json"
VERSION = 2
VOC_CONVENTION = (
    "0-based, xmin = round(x), xmax = round(x + w), half up, integers clamped to the image"
)


def _digest(obj: object) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The manifest of a gazeport dataset in ``out_dir``; None for a missing or empty folder.

    Raises :class:`ExportError` for anything else, so a user's folder is never replaced.
    """
    if not out_dir.exists():
        return None
    if not out_dir.is_dir():
        raise ExportError(
            f"The output path {out_dir} exists already and is a file; choose a new folder."
        )
    m = out_dir / MANIFEST
    if m.is_file():
        try:
            data = json.loads(m.read_text("utf-8"))
        except (ValueError, OSError):
            data = None
        if isinstance(data, dict) and data.get("generator") == "gazeport":
            return data
    if any(out_dir.iterdir()):
        raise ExportError(
            f"The folder {out_dir} exists already and is not a gazeport dataset; "
            "choose an empty or new folder."
        )
    return None


def rewrite_key(options: DatasetOptions) -> str:
    """Hash of the options that change every file: a different key means a full rewrite."""
    return _digest(
        {
            "version": VERSION,
            "format": options.format,
            "image_format": options.image_format,
            "include_images": options.include_images,
            "coords": options.coords,
            "category_map": options.category_map,
        }
    )


def image_source(t: TaskRecord) -> list[object]:
    """What an image file is decoded from; an old image is reused only if this is equal."""
    return [t.recording, t.recording_id, t.frame_index, t.width, t.height]


def task_hash(
    t: TaskRecord, split: str, stem: str, key: str, options: DatasetOptions, cmap: ClassMap
) -> str:
    """Content hash of one (filtered, category-mapped) task as this export would write it."""
    rich = options.format in ("csv", "json")
    boxes = []
    for b in t.boxes:
        row: list[object] = [b.id, b.class_id, b.label, cmap.yolo_index(b.class_id)]
        row += [b.x, b.y, b.w, b.h]
        if rich:
            row += [b.confidence, list(b.tags), b.gaze_hits, b.fixation_id]
        boxes.append(row)
    payload: dict[str, object] = {
        "key": key,
        "split": split,
        "stem": stem,
        "source": image_source(t),
        "status": t.status,
        "timestamp_ns": t.timestamp_ns,
        "boxes": boxes,
    }
    if rich:
        payload |= {
            "created": t.created,
            "updated": t.updated,
            "gaze": [[g.timestamp_ns, g.x_px, g.y_px, g.confidence] for g in t.gaze],
            "fixation_id": t.fixation_id,
            "fixation_xy_px": t.fixation_xy_px,
        }
    return _digest(payload)


def global_hash(
    cmap: ClassMap, project: Mapping[str, object], options: DatasetOptions, key: str
) -> str:
    """Hash of what the shared files hold besides the tasks (class list, project, paths)."""
    classes = [[c.id, c.name, c.supercategory] for c in cmap.classes]
    return _digest([key, classes, dict(project), options.absolute_paths])


@dataclass
class ExportIds:
    """Persistent export ids: positive, from 1, never reused (a removed task's id stays taken)."""

    images: dict[int, int]
    annotations: dict[int, int]
    next_image: int
    next_annotation: int

    @classmethod
    def from_manifest(cls, old: Mapping[str, Any]) -> ExportIds:
        img = {int(k): int(v) for k, v in dict(old.get("image_ids", {})).items()}
        ann = {int(k): int(v) for k, v in dict(old.get("annotation_ids", {})).items()}
        return cls(
            img,
            ann,
            max(int(old.get("next_image_id", 1)), max(img.values(), default=0) + 1),
            max(int(old.get("next_annotation_id", 1)), max(ann.values(), default=0) + 1),
        )

    def image(self, task_id: int) -> int:
        if task_id not in self.images:
            self.images[task_id] = self.next_image
            self.next_image += 1
        return self.images[task_id]

    def annotation(self, box_id: int) -> int:
        if box_id not in self.annotations:
            self.annotations[box_id] = self.next_annotation
            self.next_annotation += 1
        return self.annotations[box_id]
