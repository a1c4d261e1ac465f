"""ML dataset export (COCO, YOLO, Pascal VOC, CSV, JSON) from labelled scene frames.

:func:`export_store` is what ``gazeport dataset export`` (and the web app) call: it reads the
label store's tasks and classes, decodes each task's scene frame from its recording's video
(each video once, in frame order), writes the dataset through :func:`export_dataset` and
records the split each task got back in the store, so a task keeps its split in every later
export, whichever folder it goes to. Layouts, pixel conventions, splits and incremental exports:
``docs/datasets.md``.

>>> from gazeport.datasets import DatasetOptions, export_store, parse_split   # doctest: +SKIP
>>> report = export_store("study.sqlite", "yolo", DatasetOptions(format="yolo",
...                       split=parse_split("train=80,val=20"), seed=1))        # doctest: +SKIP
>>> report.tasks, report.boxes, report.splits                                 # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from .exporters.datasets.export import DatasetReport, WriteImages, export_dataset
from .exporters.datasets.images import FrameImageWriter, ImageProblem
from .exporters.datasets.options import (
    DatasetOptions,
    parse_category_map,
    parse_date,
    parse_frame_range,
    parse_size,
    parse_split,
)
from .labels import open_store

Progress = Callable[[int, int], None]


@dataclasses.dataclass
class StoreExport:
    """:class:`DatasetReport` of one export plus the image problems met on the way."""

    report: DatasetReport
    image_problems: list[ImageProblem]


def export_store(
    db: Path | str,
    out_dir: Path | str,
    options: DatasetOptions,
    *,
    progress: Progress | None = None,
    jpeg_quality: int = 95,
) -> StoreExport:
    """Export the tasks of the label store ``db`` into ``out_dir`` (see :func:`export_dataset`
    for the layout, the temporary folder and ``--incremental``). ``progress(done, total)`` is
    called as images are written. The splits the export assigned are saved on the tasks."""
    with open_store(db) as store:
        project = store.project()
        tasks = list(store.iter_tasks())
        classes = store.classes()
        writer = FrameImageWriter(jpeg_quality=jpeg_quality, progress=progress)
        report = export_dataset(
            tasks,
            classes,
            {"name": project.name, "description": project.description},
            Path(out_dir),
            options,
            write_images=writer if options.include_images else None,
        )
        changed = {
            t.id: report.task_splits[t.id]
            for t in tasks
            if t.id in report.task_splits and t.split != report.task_splits[t.id]
        }
        if changed:
            store.set_splits(changed)
    return StoreExport(report, list(writer.problems))


__all__ = [
    "DatasetOptions",
    "DatasetReport",
    "StoreExport",
    "WriteImages",
    "export_dataset",
    "export_store",
    "parse_category_map",
    "parse_date",
    "parse_frame_range",
    "parse_size",
    "parse_split",
]
