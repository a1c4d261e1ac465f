"""LabelStore.delete_task (the task goes with its boxes and review history; ids stay unique) and
LabelStore.change_boxes (add and remove boxes of a task in one transaction)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.label_factories import candidate, candidates, recording

from gazeport.errors import LabelError, LabelNotFoundError
from gazeport.labels import LabelStore, NewBox, init_store


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return tmp_path / "study"


@pytest.fixture
def store(study: Path):
    rec = recording(study, "recs/rec1")
    with init_store(study / "study.sqlite", ["car", "person"]) as s:
        s.add_tasks(candidates(rec, [0, 30, 60]))
        yield s


def _rows(db: Path, table: str, task_id: int) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE task_id = ?", (task_id,))
        return int(row.fetchone()[0])


def test_delete_task_cascades_boxes_and_reviews(store: LabelStore, study: Path) -> None:
    store.add_box(2, "car", 1, 2, 30, 40)
    store.add_box(2, "person", 5, 5, 10, 10)
    store.add_box(3, "car", 1, 1, 4, 4)
    store.set_status(2, "finished", by="ann")
    assert _rows(store.path, "boxes", 2) == 2 and _rows(store.path, "reviews", 2) == 1
    store.delete_task(2)
    assert [t.id for t in store.tasks()] == [1, 3]
    assert _rows(store.path, "boxes", 2) == 0 and _rows(store.path, "reviews", 2) == 0
    assert len(store.task(3).boxes) == 1  # the other tasks keep theirs
    with pytest.raises(LabelNotFoundError, match="no task 2"):
        store.task(2)


def test_deleted_task_id_is_not_reused_and_frame_can_be_added_again(
    store: LabelStore, study: Path
) -> None:
    store.delete_task(3)
    added, skipped = store.add_tasks([candidate(study / "recs/rec1", 60)])
    assert (added, skipped) == (1, 0)
    assert [t.id for t in store.tasks()] == [1, 2, 4]


def test_delete_unknown_task(store: LabelStore) -> None:
    with pytest.raises(LabelNotFoundError, match="no task 99"):
        store.delete_task(99)
    assert store.count_tasks() == 3


def _new(task_id: int, class_id: int = 1, w: float = 5.0) -> NewBox:
    return NewBox(task_id, class_id, 1.0, 2.0, w, 5.0)


def test_change_boxes_adds_and_removes_in_one_go(store: LabelStore) -> None:
    a = store.add_box(1, "car", 0, 0, 9, 9).id
    b = store.add_box(1, "person", 0, 0, 9, 9).id
    (c,) = store.change_boxes(1, [_new(1, 2)], remove=[a])
    assert [x.id for x in store.task(1).boxes] == [b, c]
    ids = store.change_boxes(1, [_new(1), _new(1)], replace=True)
    assert [x.id for x in store.task(1).boxes] == ids and min(ids) > c


@pytest.mark.parametrize(
    ("add", "remove", "match"),
    [([_new(1), _new(1, w=0)], [], "zero or negative size"), ([_new(1)], [99], "no box 99"),
     ([_new(2)], [], "for task 2 was given for task 1")],
    ids=["bad-box", "unknown-box", "other-task"],
)  # fmt: skip
def test_change_boxes_is_all_or_nothing(store: LabelStore, add, remove, match) -> None:
    keep = store.add_box(1, "car", 0, 0, 9, 9).id
    with pytest.raises(LabelError, match=match):
        store.change_boxes(1, add, remove)
    with pytest.raises(LabelError, match="zero or negative size"):
        store.change_boxes(1, [_new(1, w=-1)], replace=True)
    assert [x.id for x in store.task(1).boxes] == [keep]
    with pytest.raises(LabelNotFoundError, match="no task 42"):
        store.change_boxes(42, [])
