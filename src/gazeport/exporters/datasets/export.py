"""``export_dataset``: filter, split, number, then write one format into a temporary sibling folder
and swap it in (the old folder is removed only after the rename; a failure of any kind, Ctrl-C
included, removes the temporary folder and leaves the old dataset as it was).

Ids, splits and file names are sticky in every mode: ``manifest.json`` keeps the id maps
(task → image id, box → annotation id, never reused), the splits and the recording labels of the
file names, and an export without ``incremental`` only rewrites every file from scratch (every
image decoded again). With ``incremental`` the manifest's per-task content hashes decide: images
and per-task files of unchanged tasks are hard-linked from the old folder, only added or changed
tasks whose image is not there yet reach ``write_images``, shared files whose bytes did not change
keep their old inode, and when nothing changed at all the folder is not touched. A change of an
option that shapes every file (:func:`manifest.rewrite_key`) turns it into a full rewrite.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazeport.exporters.datasets.boxes import (
    ClassMap,
    ClipReport,
    ImageItem,
    ItemBox,
    clip_boxes,
    recording_labels,
)
from gazeport.exporters.datasets.coco import write_coco
from gazeport.exporters.datasets.csv_format import write_csv
from gazeport.exporters.datasets.filters import filter_tasks
from gazeport.exporters.datasets.json_format import write_json
from gazeport.exporters.datasets.manifest import (
    MANIFEST,
    VERSION,
    VOC_CONVENTION,
    ExportIds,
    global_hash,
    image_source,
    read_manifest,
    rewrite_key,
    task_hash,
)
from gazeport.exporters.datasets.options import DatasetOptions
from gazeport.exporters.datasets.splits import assign_splits
from gazeport.exporters.datasets.staging import Staging
from gazeport.exporters.datasets.voc import write_image_sets, write_voc_xml
from gazeport.exporters.datasets.yolo import write_yolo_label, write_yolo_meta
from gazeport.labels.records import ClassRecord, TaskRecord

__all__ = ["MANIFEST", "DatasetReport", "WriteImages", "export_dataset"]

WriteImages = Callable[[list[tuple[TaskRecord, Path]]], Mapping[int, tuple[int, int] | None]]
Size = tuple[int, int]


@dataclass
class DatasetReport:
    """What an export did. ``added``/``changed``/``removed`` compare with the previous manifest;
    ``unchanged`` means the folder was left untouched."""

    out_dir: Path
    tasks: int = 0
    boxes: int = 0
    clipped: int = 0
    dropped_zero_size: int = 0
    clipped_boxes: list[int] = field(default_factory=list)  # store box ids
    dropped_boxes: list[int] = field(default_factory=list)  # zero-size or non-finite, store ids
    failed_images: list[int] = field(default_factory=list)  # task ids skipped: image not written
    dropped: dict[str, int] = field(default_factory=dict)
    splits: dict[str, int] = field(default_factory=dict)
    task_splits: dict[int, str] = field(default_factory=dict)  # for the store's sticky split
    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    full_rewrite: bool = True
    unchanged: bool = False
    images_written: int = 0
    images_reused: int = 0
    files_written: int = 0  # other than images
    files_reused: int = 0


def _image_rel(options: DatasetOptions, split: str, stem: str) -> str:
    folder = "JPEGImages" if options.format == "voc" else f"images/{split}"
    return f"{folder}/{stem}.{options.image_format}"


def _label_rel(options: DatasetOptions, split: str, stem: str) -> str | None:
    """The per-task annotation file of the format, if it has one."""
    if options.format == "yolo":
        return f"labels/{split}/{stem}.txt"
    if options.format == "voc":
        return f"Annotations/{stem}.xml"
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
    """Export ``tasks`` as a dataset in ``out_dir``.

    ``write_images`` gets ``[(task, destination path)]`` and returns ``{task_id: (w, h) | None}``
    (None: the frame could not be written; the task is skipped and reported). Without it, or with
    ``include_images`` off, no image is written and the store's frame sizes are used.
    """
    out_dir = Path(out_dir)
    old: dict[str, Any] = read_manifest(out_dir) or {}
    report = DatasetReport(out_dir)
    keep, classes, dropped = filter_tasks(tasks, classes, options)
    report.dropped.update(dropped)
    keep.sort(key=lambda t: t.id)
    cmap = ClassMap.from_records(classes)

    labels = recording_labels({t.recording for t in keep}, old.get("recording_labels", {}))
    stems = {t.id: f"{labels[t.recording]}_{t.frame_index:06d}" for t in keep}
    known_splits = {int(k): v for k, v in dict(old.get("splits", {})).items()}
    if dict(old.get("options", {})).get("seed", options.seed) != options.seed:
        known_splits = {}  # an explicit new seed is the way to re-shuffle (spec §5.7)
    keep = [dataclasses.replace(t, split=t.split or known_splits.get(t.id)) for t in keep]
    splits = assign_splits(
        keep, options.split, seed=options.seed, group_by=options.group_by, stratify=options.stratify
    )

    key = rewrite_key(options)
    ghash = global_hash(
        cmap, project, options, key + (str(out_dir.resolve()) if options.absolute_paths else "")
    )
    hashes = {t.id: task_hash(t, splits[t.id], stems[t.id], key, options, cmap) for t in keep}
    old_hashes = {int(k): v for k, v in dict(old.get("task_hashes", {})).items()}
    report.added = [i for i in hashes if i not in old_hashes]
    report.changed = [i for i in hashes if i in old_hashes and old_hashes[i] != hashes[i]]
    report.removed = sorted(i for i in old_hashes if i not in hashes)
    incremental = bool(options.incremental and old and old.get("rewrite_key") == key)
    report.full_rewrite = not incremental
    old_files: dict[str, dict[str, Any]] = dict(old.get("files", {})) if incremental else {}
    unchanged = {i for i in hashes if incremental and old_hashes.get(i) == hashes[i]}
    ids = ExportIds.from_manifest(old)

    if (
        incremental
        and not (report.added or report.changed or report.removed)
        and old.get("global_hash") == ghash
        and _files_present(
            out_dir, old_files, hashes, options.include_images and write_images is not None
        )
    ):
        kept_sizes = {i: tuple(old_files[str(i)]["size"]) for i in hashes}
        items = _items(keep, kept_sizes, splits, stems, ids, options, ClipReport(), report)
        report.unchanged = True
        return _finish(report, items)

    stage = Staging(out_dir, out_dir if incremental else None)
    try:
        fresh_images: set[str] = set()
        images: dict[int, str] = {}
        sizes = _images(
            keep, splits, stems, options, write_images, old_files, stage, images, fresh_images
        )
        items = _items(keep, sizes, splits, stems, ids, options, ClipReport(), report, progress)
        _write_format(stage, items, cmap, project, options, unchanged, out_dir)
        files = {}
        for it in items:
            t = it.task
            files[str(t.id)] = {
                "image": images.get(t.id),
                "labels": _label_rel(options, it.split, it.stem),
                "size": [it.width, it.height],
                "source": image_source(t),
            }
        done = {it.task.id for it in items}
        report.added = [i for i in report.added if i in done]
        report.changed = [i for i in report.changed if i in done]
        manifest = {
            "generator": "gazeport",
            "version": VERSION,
            "format": options.format,
            "options": dataclasses.asdict(options),
            "rewrite_key": key,
            "global_hash": ghash,
            "classes": [dataclasses.asdict(c) for c in cmap.classes],
            "task_hashes": {str(it.task.id): hashes[it.task.id] for it in items},
            "image_ids": {str(k): v for k, v in sorted(ids.images.items())},
            "annotation_ids": {str(k): v for k, v in sorted(ids.annotations.items())},
            "next_image_id": ids.next_image,
            "next_annotation_id": ids.next_annotation,
            "splits": {str(k): v for k, v in sorted((known_splits | splits).items())},
            "recording_labels": dict(sorted(labels.items())),
            "files": files,
            "voc_pixel_convention": VOC_CONVENTION,
        }
        report.files_written, report.files_reused = stage.settle(fresh_images)
        report.images_written, report.images_reused = stage.images_written, stage.images_reused
        manifest["last_run"] = {
            "full_rewrite": report.full_rewrite,
            "added": report.added,
            "changed": report.changed,
            "removed": report.removed,
            "failed_images": report.failed_images,
            "images_written": report.images_written,
            "images_reused": report.images_reused,
            "files_written": report.files_written + 1,  # this manifest
            "files_reused": report.files_reused,
        }
        text = json.dumps(manifest, indent=1, ensure_ascii=False)
        (stage.tmp / MANIFEST).write_text(text, "utf-8")
        report.files_written += 1
        stage.swap()
    except BaseException:
        stage.discard()
        raise
    return _finish(report, items)


def _files_present(
    out_dir: Path, files: Mapping[str, Mapping[str, Any]], ids: Any, want_images: bool
) -> bool:
    """Whether every task's files are still in the folder (and its image, if images are made)."""
    for i in ids:
        f = files.get(str(i))
        if f is None or (want_images and f.get("image") is None):
            return False
        for rel in (f.get("image"), f.get("labels")):
            if rel is not None and not (out_dir / rel).is_file():
                return False
    return True


def _images(
    keep: Sequence[TaskRecord],
    splits: Mapping[int, str],
    stems: Mapping[int, str],
    options: DatasetOptions,
    write_images: WriteImages | None,
    old_files: Mapping[str, Mapping[str, Any]],
    stage: Staging,
    images: dict[int, str],
    fresh: set[str],
) -> dict[int, Size | None]:
    """Put every task's image in ``stage.tmp``: carried over when the old one shows the same frame,
    else decoded by ``write_images`` (one call, only for those; without it they get none).

    Returns the sizes (None: failed); fills ``images`` (task id → image path in the dataset) and
    ``fresh`` (the paths decoded in this run)."""
    sizes: dict[int, Size | None] = {t.id: (t.width, t.height) for t in keep}
    if not options.include_images:
        return sizes
    reqs: list[tuple[TaskRecord, Path]] = []
    rels: dict[int, str] = {}
    for t in keep:
        rel = _image_rel(options, splits[t.id], stems[t.id])
        prev = old_files.get(str(t.id))
        if (
            prev
            and prev.get("image")
            and prev.get("source") == image_source(t)
            and stage.reuse(rel, prev["image"])
        ):
            sizes[t.id] = (int(prev["size"][0]), int(prev["size"][1]))
            images[t.id] = rel
            stage.images_reused += 1
            continue
        if write_images is None:
            continue
        dest = stage.tmp / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        reqs.append((t, dest))
        rels[t.id] = rel
    if not reqs or write_images is None:
        return sizes
    got = write_images(reqs)
    for t, dest in reqs:
        size = got.get(t.id) if t.id in got or not dest.is_file() else (t.width, t.height)
        if size is None:
            dest.unlink(missing_ok=True)  # never ship a half-written frame
        else:
            fresh.add(rels[t.id])
            images[t.id] = rels[t.id]
            stage.images_written += 1
        sizes[t.id] = size
    return sizes


def _items(
    keep: Sequence[TaskRecord],
    sizes: Mapping[int, Any],
    splits: Mapping[int, str],
    stems: Mapping[int, str],
    ids: ExportIds,
    options: DatasetOptions,
    clip: ClipReport,
    report: DatasetReport,
    progress: Callable[[int, int], None] | None = None,
) -> list[ImageItem]:
    """The exported images in task-id order: clipped boxes, stable ids; failed images skipped."""
    items: list[ImageItem] = []
    for n, t in enumerate(keep, 1):
        size = sizes.get(t.id)
        if size is None:
            report.dropped["image_failed"] = report.dropped.get("image_failed", 0) + 1
            report.failed_images.append(t.id)
            continue
        w, h = int(size[0]), int(size[1])
        boxes = tuple(
            ItemBox(b.box, b.x, b.y, b.w, b.h, b.clipped, ids.annotation(b.box.id))
            for b in clip_boxes(t.boxes, w, h, clip)
        )
        stem = stems[t.id]
        file_name = f"{stem}.{options.image_format}"
        items.append(ImageItem(t, stem, w, h, splits[t.id], boxes, ids.image(t.id), file_name))
        if progress:
            progress(n, len(keep))
    report.clipped = clip.clipped
    report.dropped_zero_size = clip.dropped_zero_size
    report.clipped_boxes = list(clip.clipped_boxes)
    report.dropped_boxes = list(clip.dropped_boxes)
    return items


def _finish(report: DatasetReport, items: Sequence[ImageItem]) -> DatasetReport:
    report.tasks = len(items)
    report.boxes = sum(len(it.boxes) for it in items)
    for it in items:
        report.splits[it.split] = report.splits.get(it.split, 0) + 1
        report.task_splits[it.task.id] = it.split
    return report


def _write_format(
    stage: Staging,
    items: list[ImageItem],
    cmap: ClassMap,
    project: Mapping[str, object],
    o: DatasetOptions,
    unchanged: set[int],
    out_dir: Path,
) -> None:
    """Write the format's files into ``stage.tmp``; per-task files of unchanged tasks are carried."""
    root = stage.tmp
    by: dict[str, list[ImageItem]] = {}
    for it in items:
        by.setdefault(it.split, []).append(it)
    for it in items:
        rel = _label_rel(o, it.split, it.stem)
        if rel is None or (it.task.id in unchanged and stage.reuse(rel)):
            continue
        if o.format == "yolo":
            write_yolo_label(root, it, cmap)
        else:
            write_voc_xml(root, it, cmap)
    if o.format == "coco":
        for s, its in by.items():
            write_coco(root, s, its, cmap, str(project.get("name", "")))
    elif o.format == "yolo":
        write_yolo_meta(root, sorted(by), cmap, o.absolute_paths, out_dir)
    elif o.format == "voc":
        write_image_sets(root, items)
    elif o.format == "csv":
        write_csv(root / "annotations.csv", items, cmap, o.coords)
    elif o.format == "json":
        write_json(root / "annotations.json", items, cmap, project)
