"""CSV writer: SATIn's header, then named extra columns; one row per box (``csv`` module quoting).

``width,height`` are the *box* size as in SATIn's example; the image size is ``image_width,
image_height``; ``split`` names the ``images/<split>/`` folder of the image.
``coords="normalized"`` divides x by the image width and y by the height.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from gazeport.exporters.datasets.boxes import ClassMap, ImageItem

HEADER = [
    "image_id",
    "image_name",
    "object_id",
    "label",
    "x_min",
    "y_min",
    "x_max",
    "y_max",
    "width",
    "height",
    "image_width",
    "image_height",
    "recording",
    "frame_index",
    "timestamp_ns",
    "status",
    "confidence",
    "gaze_hits",
    "fixation_id",
    "tags",
    "split",
]


def _text(s: str) -> str:
    # spreadsheet formula injection guard, text columns only (spec §2.4)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def write_csv(
    path: Path, items: Sequence[ImageItem], classes: ClassMap, coords: str = "absolute"
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
        w.writerow(HEADER)
        for it in items:
            sx, sy = (it.width, it.height) if coords == "normalized" else (1, 1)
            for b in it.boxes:
                w.writerow(
                    [
                        it.image_id,
                        _text(it.file_name),
                        b.annotation_id,
                        _text(classes.name(b.box.class_id)),
                        repr(b.x / sx),
                        repr(b.y / sy),
                        repr((b.x + b.w) / sx),
                        repr((b.y + b.h) / sy),
                        repr(b.w / sx),
                        repr(b.h / sy),
                        it.width,
                        it.height,
                        _text(it.task.recording),
                        it.task.frame_index,
                        it.task.timestamp_ns,
                        it.task.status,
                        "" if b.box.confidence is None else repr(b.box.confidence),
                        b.box.gaze_hits,
                        "" if b.box.fixation_id is None else b.box.fixation_id,
                        json.dumps(list(b.box.tags), ensure_ascii=False),
                        it.split,
                    ]
                )
    return path
