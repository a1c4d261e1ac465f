"""Raw JSON writer: SATIn's ``{project, tasks[...]}`` shape plus gazeport's fields and a ``stats`` block."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from gazeport.exporters.datasets.boxes import ClassMap, ImageItem


def _stats(items: Sequence[ImageItem], classes: ClassMap) -> dict[str, object]:
    status = Counter(it.task.status for it in items)
    per_class = Counter(classes.name(b.box.class_id) for it in items for b in it.boxes)
    per_rec = Counter(it.task.recording for it in items)
    areas = sorted(b.w * b.h for it in items for b in it.boxes)
    sizes: dict[str, float | int] = {"count": len(areas)}
    if areas:
        sizes |= {
            "min_area_px": areas[0],
            "median_area_px": areas[len(areas) // 2],
            "max_area_px": areas[-1],
        }
    return {
        "tasks": len(items),
        "boxes": len(areas),
        "tasks_per_status": dict(sorted(status.items())),
        "boxes_per_class": dict(sorted(per_class.items())),
        "tasks_per_recording": dict(sorted(per_rec.items())),
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
