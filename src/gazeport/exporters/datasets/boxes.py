"""The one internal box model of every dataset format (spec rule 1), class ids and file stems.

Boxes are continuous pixels of the stored frame, top-left origin, ``x, y, w, h`` floats. They are
clipped to the image here, once; boxes empty after clipping are dropped. Every writer is a pure
function of :class:`ImageItem` values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gazeport.labels.records import BoxRecord, ClassRecord, TaskRecord
from gazeport.labels.validation import file_name_part


@dataclass(frozen=True)
class ClassMap:
    """Stable class order: store ids ascending (never alphabetical). YOLO index = position."""

    classes: tuple[ClassRecord, ...]

    @classmethod
    def from_records(cls, classes: Iterable[ClassRecord]) -> ClassMap:
        return cls(tuple(sorted(classes, key=lambda c: c.id)))

    def yolo_index(self, class_id: int) -> int:
        for i, c in enumerate(self.classes):
            if c.id == class_id:
                return i
        raise KeyError(class_id)

    def name(self, class_id: int) -> str:
        for c in self.classes:
            if c.id == class_id:
                return c.name
        raise KeyError(class_id)


@dataclass(frozen=True)
class ItemBox:
    """A clipped box of one image, in pixels; ``clipped`` if the stored box left the image."""

    box: BoxRecord
    x: float
    y: float
    w: float
    h: float
    clipped: bool
    annotation_id: int = 0


@dataclass(frozen=True)
class ImageItem:
    """One exported image: its task, file stem, size, split and clipped boxes."""

    task: TaskRecord
    stem: str
    width: int
    height: int
    split: str
    boxes: tuple[ItemBox, ...]
    image_id: int = 0
    file_name: str = ""  # relative to the split's image folder


@dataclass
class ClipReport:
    """Counts of the clipping step."""

    clipped: int = 0
    dropped_zero_size: int = 0  # includes boxes with NaN or infinite coordinates
    clipped_boxes: list[int] = field(default_factory=list)
    dropped_boxes: list[int] = field(default_factory=list)


def clip_box(
    x: float, y: float, w: float, h: float, width: int, height: int
) -> tuple[float, float, float, float, bool]:
    """Clip ``x, y, w, h`` (px) to ``[0, width] x [0, height]``; return the box and whether it changed."""
    x0 = min(max(x, 0.0), float(width))
    y0 = min(max(y, 0.0), float(height))
    x1 = min(max(x + w, 0.0), float(width))
    y1 = min(max(y + h, 0.0), float(height))
    changed = (x0, y0, x1, y1) != (x, y, x + w, y + h)
    return x0, y0, x1 - x0, y1 - y0, changed


def clip_boxes(
    boxes: Sequence[BoxRecord], width: int, height: int, report: ClipReport
) -> tuple[ItemBox, ...]:
    """Clip every box to the image; drop the ones with zero width or height afterwards."""
    out = []
    for b in boxes:
        if not all(math.isfinite(v) for v in (b.x, b.y, b.w, b.h)):
            report.dropped_zero_size += 1
            report.dropped_boxes.append(b.id)
            continue
        x, y, w, h, changed = clip_box(b.x, b.y, b.w, b.h, width, height)
        if w <= 0 or h <= 0:
            report.dropped_zero_size += 1
            report.dropped_boxes.append(b.id)
            continue
        if changed:
            report.clipped += 1
            report.clipped_boxes.append(b.id)
        out.append(ItemBox(b, x, y, w, h, changed))
    return tuple(out)


def recording_labels(
    recordings: Iterable[str], fixed: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A file-name part per recording, unique across recordings.

    Recordings whose folder names collide (Core's ``000`` in different parents) get parent folder
    names prepended until unique; the result depends only on the set of recording paths. ``fixed``
    holds the labels an earlier export gave (from its manifest): those recordings keep them, so an
    added recording never renames the files of an old one; a new label that clashes with a fixed
    one gets an ordinal. The result holds every recording of ``recordings`` and of ``fixed``.
    """
    fixed = dict(fixed or {})
    recs = sorted(set(recordings) | set(fixed))
    parts = {
        r: [p for p in r.replace("\\", "/").split("/") if p not in ("", ".", "..")] or ["rec"]
        for r in recs
    }
    depth = {r: 1 for r in recs}
    while True:
        names: dict[str, list[str]] = {}
        for r in recs:
            names.setdefault(file_name_part("_".join(parts[r][-depth[r] :])), []).append(r)
        clash = [rs for rs in names.values() if len(rs) > 1]
        if not clash:
            break
        grew = False
        for rs in clash:
            for r in rs:
                if depth[r] < len(parts[r]):
                    depth[r] += 1
                    grew = True
        if not grew:
            break
    label = dict(fixed)
    used = set(fixed.values())
    # still equal (same path spelled differently) or taken by an old recording: add an ordinal
    for r in recs:
        if r in fixed:
            continue
        base = file_name_part("_".join(parts[r][-depth[r] :]))
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        label[r] = name
        used.add(name)
    return label


def image_stems(
    tasks: Sequence[TaskRecord], fixed: Mapping[str, str] | None = None
) -> dict[int, str]:
    """File stems ``<recording label>_<frame:06d>`` unique across recordings (see
    :func:`recording_labels`); never made from class names, so labels cannot reach a path."""
    label = recording_labels({t.recording for t in tasks}, fixed)
    return {t.id: f"{label[t.recording]}_{t.frame_index:06d}" for t in tasks}
