"""Label store statistics: counts per status, class and recording, box sizes, review throughput."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.label_factories import candidates, recording

from gazeport.labels import init_store


def test_empty_store(tmp_path: Path):
    with init_store(tmp_path / "s.sqlite", ["car"]) as s:
        st = s.stats()
    assert (st.tasks, st.boxes, st.reviews) == (0, 0, 0)
    assert st.tasks_by_status == {"draft": 0, "finished": 0, "reviewed": 0}
    assert st.box_width_px is None and st.by_recording == []
    assert st.by_class == [{"id": 1, "name": "car", "retired": False, "boxes": 0, "tasks": 0}]


def test_stats_numbers(tmp_path: Path):
    a, b = recording(tmp_path, "a"), recording(tmp_path, "b")
    with init_store(tmp_path / "s.sqlite", ["car", "person", "sign"]) as s:
        s.add_tasks(candidates(a, [0, 1, 2]))  # tasks 1-3
        s.add_tasks(candidates(b, [0]))  # task 4
        s.add_box(1, "car", 0, 0, 10, 20)
        s.add_box(1, "car", 0, 0, 30, 40)
        s.add_box(2, "person", 0, 0, 50, 60)
        s.add_box(4, "car", 0, 0, 70, 80, source="suggested")
        s.set_status(1, "finished", by="ann")
        s.set_status(1, "reviewed", by="bob")
        s.set_status(4, "finished", by="ann")
        s.set_status(2, "finished")
        with sqlite3.connect(tmp_path / "s.sqlite") as c:  # two reviews on an earlier day
            c.execute("UPDATE reviews SET at = '2026-01-02T10:00:00.000Z' WHERE id IN (1, 2)")
        st = s.stats()
    assert (st.tasks, st.boxes, st.reviews) == (4, 4, 4)
    assert st.tasks_by_status == {"draft": 1, "finished": 2, "reviewed": 1}
    assert st.boxes_by_status == {"draft": 0, "finished": 2, "reviewed": 2}
    assert [(c["name"], c["boxes"], c["tasks"]) for c in st.by_class] == [
        ("car", 3, 2), ("person", 1, 1), ("sign", 0, 0),
    ]  # fmt: skip
    assert st.by_recording == [
        {"recording": "a", "tasks": 3, "boxes": 3,
         "by_status": {"draft": 1, "finished": 1, "reviewed": 1}},
        {"recording": "b", "tasks": 1, "boxes": 1,
         "by_status": {"draft": 0, "finished": 1, "reviewed": 0}},
    ]  # fmt: skip
    assert st.boxes_by_source == {"manual": 3, "suggested": 1}
    w, h = st.box_width_px, st.box_height_px
    assert w is not None and h is not None
    assert (w.min, w.median, w.max) == (10, 40, 70)
    assert (h.min, h.median, h.max) == (20, 50, 80)
    today = [d for d in st.reviews_per_day if d != "2026-01-02"]
    assert st.reviews_per_day["2026-01-02"] == 2 and len(today) == 1
    assert st.reviews_per_day[today[0]] == 2
    assert st.reviews_per_reviewer == {"(unknown)": 1, "ann": 2, "bob": 1}
    assert st.transitions == {"draft->finished": 3, "finished->reviewed": 1}
    assert json.loads(json.dumps(st.to_dict()))["box_width_px"] == {
        "min": 10,
        "median": 40,
        "max": 70,
    }
