"""Pure filtering of tasks and boxes by :class:`DatasetOptions`, with counts dropped by reason."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from gazeport.exporters.datasets.options import DatasetOptions
from gazeport.labels.records import ClassRecord, TaskRecord
from gazeport.labels.store import recording_matches


def apply_category_map(
    classes: Sequence[ClassRecord], mapping: dict[str, str | None]
) -> tuple[list[ClassRecord], dict[int, int | None]]:
    """Rename/merge/drop classes by name; merged classes take the lowest id of their new name.

    Returns the exported classes (stable id order) and ``{old id: new id | None (dropped)}``.
    """
    target: dict[str, list[ClassRecord]] = {}
    remap: dict[int, int | None] = {}
    for c in sorted(classes, key=lambda c: c.id):
        new = mapping.get(c.name, c.name)
        if new is None:
            remap[c.id] = None
            continue
        target.setdefault(new, []).append(c)
    out = []
    for name, members in target.items():
        keep = dataclasses.replace(members[0], name=name)
        out.append(keep)
        for m in members:
            remap[m.id] = keep.id
    return sorted(out, key=lambda c: c.id), remap


def filter_tasks(
    tasks: Sequence[TaskRecord], classes: Sequence[ClassRecord], options: DatasetOptions
) -> tuple[list[TaskRecord], list[ClassRecord], dict[str, int]]:
    """Keep the tasks and boxes the options select; return them, the classes and drop counts."""
    dropped: Counter[str] = Counter()
    out_classes, remap = apply_category_map(classes, options.category_map)
    names = {c.id: c.name for c in out_classes}
    kept = []
    for t in tasks:
        if options.statuses and t.status not in options.statuses:
            dropped["task_status"] += 1
            continue
        if options.recording_glob and not recording_matches(t.recording, options.recording_glob):
            dropped["task_recording"] += 1
            continue
        if (
            options.frame_range
            and not options.frame_range[0] <= t.frame_index <= options.frame_range[1]
        ):
            dropped["task_frame_range"] += 1
            continue
        if options.min_image_size and (
            t.width < options.min_image_size[0] or t.height < options.min_image_size[1]
        ):
            dropped["task_image_size"] += 1
            continue
        if (options.date_from and t.created < options.date_from) or (
            options.date_to and t.created >= options.date_to
        ):
            dropped["task_date"] += 1
            continue
        boxes = []
        for b in t.boxes:
            new_id = remap.get(b.class_id, b.class_id)
            if new_id is None:
                dropped["box_category_dropped"] += 1
            elif options.labels and names.get(new_id, b.label) not in options.labels:
                dropped["box_label"] += 1
            elif (
                options.min_confidence is not None
                and b.confidence is not None
                and b.confidence < options.min_confidence
            ):
                dropped["box_confidence"] += 1
            elif options.min_size and (b.w < options.min_size[0] or b.h < options.min_size[1]):
                dropped["box_min_size"] += 1
            elif options.gaze_hit_only and b.gaze_hits <= 0 and b.fixation_id is None:
                dropped["box_no_gaze_hit"] += 1
            else:
                boxes.append(
                    dataclasses.replace(b, class_id=new_id, label=names.get(new_id, b.label))
                )
        kept.append(dataclasses.replace(t, boxes=tuple(boxes)))
    return kept, out_classes, dict(dropped)
