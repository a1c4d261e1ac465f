"""Raw JSON writer: SATIn's ``{project, tasks[...]}`` shape plus gazeport's fields and a ``stats`` block."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from gazeport.exporters.datasets.boxes import ClassMap, ImageItem


def _spread(values: Sequence[float], unit: str) -> dict[str, float]:
    v = sorted(values)
    if not v:
        return {}
    return {f"min_{unit}": v[0], f"median_{unit}": v[len(v) // 2], f"max_{unit}": v[-1]}


def _stats(items: Sequence[ImageItem], classes: ClassMap) -> dict[str, object]:
    """Quality metrics of the exported set (scope item 8): tasks and boxes per status, class,
    recording and split, background frames, box sizes in pixels (after clipping)."""
    boxes = [(it, b) for it in items for b in it.boxes]
    tasks_status = Counter(it.task.status for it in items)
    boxes_status = Counter(it.task.status for it, _ in boxes)
    per_class = Counter(classes.name(b.box.class_id) for _, b in boxes)
    tasks_class = Counter(
        name for it in items for name in {classes.name(b.box.class_id) for b in it.boxes}
    )
    per_rec = Counter(it.task.recording for it in items)
    boxes_rec = {r: sum(1 for it, _ in boxes if it.task.recording == r) for r in per_rec}
    sizes: dict[str, float | int] = {"count": len(boxes)}
    sizes |= _spread([b.w * b.h for _, b in boxes], "area_px")
    sizes |= _spread([b.w for _, b in boxes], "width_px")
    sizes |= _spread([b.h for _, b in boxes], "height_px")
    return {
        "tasks": len(items),
        "boxes": len(boxes),
        "empty_tasks": sum(1 for it in items if not it.boxes),
        "clipped_boxes": sum(1 for _, b in boxes if b.clipped),
        "tasks_per_status": dict(sorted(tasks_status.items())),
        "boxes_per_status": dict(sorted(boxes_status.items())),
        "boxes_per_class": {c.name: per_class[c.name] for c in classes.classes},
        "tasks_per_class": {c.name: tasks_class[c.name] for c in classes.classes},
        "tasks_per_recording": dict(sorted(per_rec.items())),
        "boxes_per_recording": dict(sorted(boxes_rec.items())),
        "tasks_per_split": dict(sorted(Counter(it.split for it in items).items())),
        "box_sizes": sizes,
    }


def json_document(
    items: Sequence[ImageItem], classes: ClassMap, project: Mapping[str, object]
) -> dict[str, object]:
    tasks = []
    for it in items:
        t = it.task
        tasks.append(
            {
                "id": t.id,
                "status": t.status,
                "split": it.split,
                "image": {
                    "id": it.image_id,
                    "filename": it.file_name,
                    "dimensions": {"width": it.width, "height": it.height},
                },
                "recording": t.recording,
                "recording_id": t.recording_id,
                "frame_index": t.frame_index,
                "timestamp_ns": t.timestamp_ns,
                "created_at": t.created,
                "updated_at": t.updated,
                "gaze": [
                    {
                        "timestamp_ns": g.timestamp_ns,
                        "x": g.x_px,
                        "y": g.y_px,
                        "confidence": g.confidence,
                    }
                    for g in t.gaze
                ],
                "fixation_id": t.fixation_id,
                "annotations": [
                    {
                        "id": b.annotation_id,
                        "bbox": {"x": b.x, "y": b.y, "width": b.w, "height": b.h},
                        "label": classes.name(b.box.class_id),
                        "class_id": b.box.class_id,
                        "tags": list(b.box.tags),
                        "confidence": b.box.confidence,
                        "gaze_hits": b.box.gaze_hits,
                        "fixation_id": b.box.fixation_id,
                        "clipped": b.clipped,
                    }
                    for b in it.boxes
                ],
            }
        )
    return {"project": dict(project), "tasks": tasks, "stats": _stats(items, classes)}


def write_json(
    path: Path, items: Sequence[ImageItem], classes: ClassMap, project: Mapping[str, object]
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(json_document(items, classes, project), ensure_ascii=False, indent=1), "utf-8"
    )
    return path
