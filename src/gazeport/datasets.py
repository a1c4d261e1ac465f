"""ML dataset export (COCO, YOLO, Pascal VOC, CSV, JSON) from labelled scene frames.

The writers take :class:`gazeport.labels.records.TaskRecord` objects; the SQLite label store and
the ``gazeport dataset export`` command that feed them are still being built (issue 11). Layouts,
pixel conventions, splits and incremental exports: ``docs/datasets.md``.

>>> from gazeport.datasets import DatasetOptions, export_dataset      # doctest: +SKIP
>>> export_dataset(tasks, classes, {"name": "Traffic"}, Path("out"), DatasetOptions(format="yolo"))  # doctest: +SKIP
"""

from __future__ import annotations

from .exporters.datasets.export import DatasetReport, WriteImages, export_dataset
from .exporters.datasets.options import DatasetOptions, parse_category_map, parse_size, parse_split

__all__ = [
    "DatasetOptions",
    "DatasetReport",
    "WriteImages",
    "export_dataset",
    "parse_category_map",
    "parse_size",
    "parse_split",
]
