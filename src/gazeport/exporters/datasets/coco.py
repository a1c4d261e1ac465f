"""COCO instances writer: ``annotations/instances_<split>.json`` + ``images/<split>/``.

Ids are positive ints from 1 (image ids and annotation ids come from the manifest's maps so they
stay stable), annotation ids unique across all files, category ids = store class ids.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from gazeport.exporters.datasets.boxes import ClassMap, ImageItem


def coco_document(
    items: Sequence[ImageItem], classes: ClassMap, description: str
) -> dict[str, object]:
    """The COCO dict of ``items`` (one split)."""
    images = [
        {"id": it.image_id, "file_name": it.file_name, "width": it.width, "height": it.height}
        for it in items
    ]
    anns = []
    for it in items:
        for b in it.boxes:
            anns.append(
                {
                    "id": b.annotation_id,
                    "image_id": it.image_id,
                    "category_id": b.box.class_id,
                    "bbox": [b.x, b.y, b.w, b.h],
                    "area": b.w * b.h,
                    "iscrowd": 0,
                    "segmentation": [],
                }
            )
    cats = [
        {"id": c.id, "name": c.name, "supercategory": c.supercategory or "object"}
        for c in classes.classes
    ]
    info = {"description": description, "version": "1.0", "contributor": "gazeport"}
    return {"info": info, "licenses": [], "images": images, "annotations": anns, "categories": cats}


def write_coco(
    root: Path, split: str, items: Sequence[ImageItem], classes: ClassMap, description: str
) -> Path:
    """Write ``root/annotations/instances_<split>.json``; return its path."""
    path = root / "annotations" / f"instances_{split}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(coco_document(items, classes, description), ensure_ascii=False), "utf-8"
    )
    return path
