from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gazeport.exporters.datasets.options import (
    DatasetOptions,
    parse_category_map,
    parse_size,
    parse_split,
)
from gazeport.exporters.datasets.splits import assign_splits
from gazeport.labels.records import BoxRecord, TaskRecord


def _tasks(n_rec: int = 10, per: int = 5) -> list[TaskRecord]:
    out = []
    for r in range(n_rec):
        for f in range(per):
            tid = r * per + f + 1
            boxes = (BoxRecord(tid, tid, 1 + (r % 3 == 0), "", 1, 1, 5, 5),)
            out.append(
                TaskRecord(tid, f"p{r}/000", Path("/x"), "i", f, f, 64, 48, "reviewed", boxes)
            )
    return out


def test_parse_split_and_errors() -> None:
    assert parse_split("train=7,val=2,test=1") == pytest.approx(
        {"train": 0.7, "val": 0.2, "test": 0.1}
    )
    for bad in ("train=70,foo=30", "train=x", "val=100", "train=-1"):
        with pytest.raises(ValueError, match="split"):
            parse_split(bad)
    assert parse_size("8x6") == (8, 6)
    with pytest.raises(ValueError):
        parse_category_map(["a"])
    with pytest.raises(ValueError, match="CSV"):
        DatasetOptions(format="coco", coords="normalized")


def test_grouped_deterministic_sticky_stratified() -> None:
    tasks = _tasks()
    ratios = parse_split("train=60,val=20,test=20")
    a = assign_splits(tasks, ratios, seed=3, stratify=True)
    assert a == assign_splits(list(reversed(tasks)), ratios, seed=3, stratify=True)
    by_rec: dict[str, set[str]] = {}
    for t in tasks:
        by_rec.setdefault(t.recording, set()).add(a[t.id])
    assert all(len(s) == 1 for s in by_rec.values())
    for split in ("train", "val", "test"):
        assert {b.class_id for t in tasks if a[t.id] == split for b in t.boxes} == {1, 2}
    # sticky: previous splits kept, new tasks of a known recording join it
    old = [dataclasses.replace(t, split="test") for t in tasks[:5]]
    new = _tasks(11)[50:]
    b = assign_splits(old + tasks[5:] + new, ratios, seed=99)
    assert all(b[t.id] == "test" for t in old)
    assert len({b[t.id] for t in new}) == 1


def test_filters_and_category_map() -> None:
    from gazeport.exporters.datasets.filters import filter_tasks
    from gazeport.labels.records import ClassRecord

    classes = [ClassRecord(1, "sedan"), ClassRecord(2, "suv"), ClassRecord(3, "tree")]
    boxes = (
        BoxRecord(1, 1, 2, "suv", 0, 0, 10, 10, confidence=0.9, gaze_hits=2),
        BoxRecord(2, 1, 3, "tree", 0, 0, 10, 10),
        BoxRecord(3, 1, 1, "sedan", 0, 0, 4, 4, gaze_hits=1),
        BoxRecord(4, 1, 1, "sedan", 0, 0, 10, 10, confidence=0.1, gaze_hits=1),
    )
    t = TaskRecord(1, "a/000", Path("/x"), "i", 0, 0, 64, 48, "reviewed", boxes)
    draft = dataclasses.replace(t, id=2, status="draft")
    opts = DatasetOptions(
        category_map={"sedan": "car", "suv": "car", "tree": None},
        statuses=("reviewed",),
        min_confidence=0.5,
        min_size=(8, 8),
        gaze_hit_only=True,
    )
    kept, cls, dropped = filter_tasks([t, draft], classes, opts)
    assert [(c.id, c.name) for c in cls] == [(1, "car")]
    assert [(b.id, b.class_id, b.label) for b in kept[0].boxes] == [(1, 1, "car")]
    assert dropped == {
        "task_status": 1,
        "box_category_dropped": 1,
        "box_min_size": 1,
        "box_confidence": 1,
    }
