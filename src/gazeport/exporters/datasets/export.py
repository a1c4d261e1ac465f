"""``export_dataset``: filter, split, number, write one format into a temporary sibling folder and
swap it in (the old folder is removed only after the rename). ``manifest.json`` keeps per-task
content hashes, the id maps (task→image id, box→annotation id) and splits, so ids stay stable
across runs. Not yet done: reuse of unchanged images
on ``--incremental`` (images are rewritten).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazeport.errors import ExportError
from gazeport.exporters.datasets.boxes import (
    ClassMap,
    ClipReport,
    ImageItem,
    ItemBox,
    clip_boxes,
    image_stems,
)
from gazeport.exporters.datasets.coco import write_coco
from gazeport.exporters.datasets.csv_format import write_csv
from gazeport.exporters.datasets.filters import filter_tasks
from gazeport.exporters.datasets.json_format import write_json
from gazeport.exporters.datasets.options import DatasetOptions
from gazeport.exporters.datasets.splits import assign_splits
from gazeport.exporters.datasets.voc import write_image_sets, write_voc_xml
from gazeport.exporters.datasets.yolo import write_yolo_label, write_yolo_meta
from gazeport.labels.records import ClassRecord, TaskRecord

MANIFEST = "manifest.json"
WriteImages = Callable[[list[tuple[TaskRecord, Path]]], Mapping[int, tuple[int, int] | None]]


@dataclass
class DatasetReport:
    out_dir: Path
    tasks: int = 0
    boxes: int = 0
    clipped: int = 0
    dropped_zero_size: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    splits: dict[str, int] = field(default_factory=dict)
    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)


def _task_hash(t: TaskRecord) -> str:
    d = dataclasses.asdict(t)
    d.pop("recording_dir")
    d.pop("split")
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()


def _read_manifest(out_dir: Path) -> dict[str, Any] | None:
    if not out_dir.exists():
        return None
    m = out_dir / MANIFEST
    if m.is_file():
        try:
            data = json.loads(m.read_text("utf-8"))
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("generator") == "gazeport":
            return data
    if any(out_dir.iterdir()):
        raise ExportError(
            f"The folder {out_dir} exists and is not a gazeport dataset; choose an empty or new folder."
        )
    return None


def export_dataset(
    tasks: Sequence[TaskRecord],
    classes: Sequence[ClassRecord],
    project: Mapping[str, object],
    out_dir: Path,
    options: DatasetOptions,
    write_images: WriteImages | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DatasetReport:
    """Export ``tasks`` as a dataset in ``out_dir``; ``write_images`` returns ``{task_id: (w, h) | None}``."""
    out_dir = Path(out_dir)
    old: dict[str, Any] = _read_manifest(out_dir) or {}
    report = DatasetReport(out_dir)
    keep, classes, dropped = filter_tasks(tasks, classes, options)
    report.dropped.update(dropped)
    old_splits = {int(k): v for k, v in dict(old.get("splits", {})).items()}
    keep = [dataclasses.replace(t, split=t.split or old_splits.get(t.id)) for t in keep]
    splits = assign_splits(
        keep, options.split, seed=options.seed, group_by=options.group_by, stratify=options.stratify
    )
    img_ids = {int(k): int(v) for k, v in dict(old.get("image_ids", {})).items()}
    ann_ids = {int(k): int(v) for k, v in dict(old.get("annotation_ids", {})).items()}
    next_img = max(img_ids.values(), default=0) + 1
    next_ann = max(ann_ids.values(), default=0) + 1
    stems = image_stems(keep)
    cmap = ClassMap.from_records(classes)
    clip = ClipReport()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        sizes: Mapping[int, tuple[int, int] | None] = {}
        ext = options.image_format
        img_dir = (
            (lambda s: tmp / "JPEGImages")
            if options.format == "voc"
            else (lambda s: tmp / "images" / s)
        )
        if options.include_images and write_images is not None:
            reqs = []
            for t in keep:
                d = img_dir(splits[t.id])
                d.mkdir(parents=True, exist_ok=True)
                reqs.append((t, d / f"{stems[t.id]}.{ext}"))
            sizes = write_images(reqs)
        items: list[ImageItem] = []
        for t in sorted(keep, key=lambda t: t.id):
            size = sizes.get(t.id, (t.width, t.height)) if sizes else (t.width, t.height)
            if size is None:
                report.dropped["image_failed"] = report.dropped.get("image_failed", 0) + 1
                continue
            w, h = size
            if t.id not in img_ids:
                img_ids[t.id] = next_img
                next_img += 1
            boxes = []
            for b in clip_boxes(t.boxes, w, h, clip):
                if b.box.id not in ann_ids:
                    ann_ids[b.box.id] = next_ann
                    next_ann += 1
                boxes.append(ItemBox(b.box, b.x, b.y, b.w, b.h, b.clipped, ann_ids[b.box.id]))
            items.append(
                ImageItem(
                    t,
                    stems[t.id],
                    w,
                    h,
                    splits[t.id],
                    tuple(boxes),
                    img_ids[t.id],
                    f"{stems[t.id]}.{ext}",
                )
            )
            if progress:
                progress(len(items), len(keep))
        _write_format(tmp, items, cmap, project, options)
        hashes = {str(it.task.id): _task_hash(it.task) for it in items}
        old_hashes = dict(old.get("task_hashes", {}))
        report.added = sorted(int(k) for k in hashes if k not in old_hashes)
        report.changed = sorted(
            int(k) for k in hashes if k in old_hashes and old_hashes[k] != hashes[k]
        )
        report.removed = sorted(int(k) for k in old_hashes if k not in hashes)
        manifest = {
            "generator": "gazeport",
            "format": options.format,
            "options": dataclasses.asdict(options),
            "classes": [dataclasses.asdict(c) for c in cmap.classes],
            "task_hashes": hashes,
            "image_ids": {str(k): v for k, v in img_ids.items()},
            "annotation_ids": {str(k): v for k, v in ann_ids.items()},
            "splits": {str(it.task.id): it.split for it in items},
            "last_run": {
                "added": report.added,
                "changed": report.changed,
                "removed": report.removed,
            },
            "voc_pixel_convention": "0-based, xmax = x + w, rounded",
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), "utf-8")
        for cache in tmp.rglob("*.cache"):
            cache.unlink()
        _swap(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.tasks = len(items)
    report.boxes = sum(len(it.boxes) for it in items)
    report.clipped = clip.clipped
    report.dropped_zero_size = clip.dropped_zero_size
    for it in items:
        report.splits[it.split] = report.splits.get(it.split, 0) + 1
    return report


def _write_format(
    root: Path,
    items: list[ImageItem],
    cmap: ClassMap,
    project: Mapping[str, object],
    o: DatasetOptions,
) -> None:
    by: dict[str, list[ImageItem]] = {}
    for it in items:
        by.setdefault(it.split, []).append(it)
    if o.format == "coco":
        for s, its in by.items():
            write_coco(root, s, its, cmap, str(project.get("name", "")))
    elif o.format == "yolo":
        for it in items:
            write_yolo_label(root, it, cmap)
        write_yolo_meta(root, sorted(by), cmap, o.absolute_paths)
    elif o.format == "voc":
        for it in items:
            write_voc_xml(root, it, cmap)
        write_image_sets(root, items)
    elif o.format == "csv":
        write_csv(root / "annotations.csv", items, cmap, o.coords)
    else:
        write_json(root / "annotations.json", items, cmap, project)


def _swap(tmp: Path, out_dir: Path) -> None:
    """Rename ``tmp`` onto ``out_dir``; the old folder is moved aside first and removed after."""
    if out_dir.exists():
        aside = out_dir.with_name(f".{out_dir.name}.old-{tmp.name[-8:]}")
        out_dir.rename(aside)
        tmp.rename(out_dir)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        tmp.rename(out_dir)
