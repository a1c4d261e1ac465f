"""Tracks (keyframe interpolation) and gaze-guided box suggestions in the label store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.label_factories import candidate, candidates, recording

from gazeport.errors import LabelError, LabelNotFoundError
from gazeport.labels import LabelStore, init_store, open_store, schema, suggest_box
from gazeport.labels.tracks import lerp_box


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return tmp_path / "study"


@pytest.fixture
def store(study: Path):
    rec = recording(study, "recs/rec1")
    other = recording(study, "recs/rec2")
    with init_store(study / "study.sqlite", ["car", "person"]) as s:
        s.add_tasks(candidates(rec, [0, 10, 20, 40]))  # tasks 1-4
        s.add_tasks(candidates(other, [5]))  # task 5
        yield s


def _ids(store: LabelStore) -> dict[int, int]:
    return {t.frame_index: t.id for t in store.tasks(recording_glob="rec1")}


def test_lerp_box_ends_and_middle():
    a, b = (0.0, 10.0, 20.0, 40.0), (100.0, 30.0, 60.0, 40.0)
    assert lerp_box(a, b, 0.0) == a
    assert lerp_box(a, b, 1.0) == b
    assert lerp_box(a, b, 0.25) == (25.0, 15.0, 30.0, 40.0)


def test_interpolate_fills_the_tasks_between_linearly_by_time(store: LabelStore):
    ids = _ids(store)
    a = store.add_box(ids[0], "car", 0, 100, 40, 20)
    b = store.add_box(ids[40], "car", 400, 300, 80, 60)
    result = store.interpolate_track((ids[0], a.id), (ids[40], b.id), author="ana")
    assert [bx.task_id for bx in result.boxes] == [ids[10], ids[20]]
    mid = store.task(ids[20]).boxes[0]
    assert (mid.x, mid.y, mid.w, mid.h) == pytest.approx((200, 200, 60, 40))
    q = store.task(ids[10]).boxes[0]
    assert (q.x, q.y, q.w, q.h) == pytest.approx((100, 150, 50, 30))
    assert {q.source, mid.source} == {"interpolated"}
    assert q.label == "car" and q.author == "ana"
    assert q.track_id == mid.track_id == result.track_id
    assert [k.track_id for k in result.keyframes] == [result.track_id] * 2
    assert store.task(ids[0]).boxes[0].source == "manual"  # keyframes stay manual
    assert store.task(5).boxes == ()  # other recording untouched


def test_keyframes_in_either_order_and_reinterpolation_replaces(store: LabelStore):
    ids = _ids(store)
    a = store.add_box(ids[0], "car", 0, 0, 10, 10)
    b = store.add_box(ids[20], "car", 20, 0, 10, 10)
    first = store.interpolate_track((ids[20], b.id), (ids[0], a.id))
    assert first.keyframes[0].task_id == ids[0] and first.replaced == 0
    store.edit_box(ids[20], b.id, xywh=(40, 0, 10, 10))
    again = store.interpolate_track((ids[0], a.id), (ids[20], b.id))
    assert again.track_id == first.track_id and again.replaced == 1
    (box,) = store.task(ids[10]).boxes
    assert box.x == pytest.approx(20.0)
    # an interpolated box is edited like any other
    edited = store.edit_box(ids[10], box.id, xywh=(21, 1, 10, 10))
    assert (edited.x, edited.source) == (21, "interpolated")


def test_new_tracks_get_new_ids(store: LabelStore):
    ids = _ids(store)
    a, b = store.add_box(ids[0], "car", 0, 0, 10, 10), store.add_box(ids[10], "car", 5, 0, 10, 10)
    c, d = (
        store.add_box(ids[0], "person", 50, 0, 9, 9),
        store.add_box(ids[20], "person", 5, 0, 9, 9),
    )
    t1 = store.interpolate_track((ids[0], a.id), (ids[10], b.id))
    t2 = store.interpolate_track((ids[0], c.id), (ids[20], d.id))
    assert t1.boxes == () and len(t2.boxes) == 1
    assert t1.track_id != t2.track_id


def test_interpolation_refusals(store: LabelStore):
    ids = _ids(store)
    a = store.add_box(ids[0], "car", 0, 0, 10, 10)
    p = store.add_box(ids[40], "person", 0, 0, 10, 10)
    o = store.add_box(5, "car", 0, 0, 10, 10)
    s = store.add_box(ids[0], "car", 50, 0, 10, 10)
    with pytest.raises(LabelError, match="different recordings"):
        store.interpolate_track((ids[0], a.id), (5, o.id))
    with pytest.raises(LabelError, match="one class"):
        store.interpolate_track((ids[0], a.id), (ids[40], p.id))
    with pytest.raises(LabelError, match="two frames"):
        store.interpolate_track((ids[0], a.id), (ids[0], s.id))
    with pytest.raises(LabelNotFoundError, match="no box 999"):
        store.interpolate_track((ids[0], a.id), (ids[40], 999))
    with pytest.raises(LabelNotFoundError, match="no task 99"):
        store.interpolate_track((99, a.id), (ids[40], p.id))
    # a keyframe of the same track between the two ends must be used as an end
    m = store.add_box(ids[20], "car", 5, 0, 10, 10)
    store.interpolate_track((ids[0], a.id), (ids[20], m.id))
    e = store.add_box(ids[40], "car", 9, 0, 10, 10)
    store.interpolate_track((ids[20], m.id), (ids[40], e.id))
    with pytest.raises(LabelError, match="has a keyframe of this track"):
        store.interpolate_track((ids[0], a.id), (ids[40], e.id))


def test_interpolation_by_index_when_times_agree(study: Path):
    rec = recording(study, "r")
    with init_store(study / "s.sqlite", ["car"]) as s:
        same = [candidate(rec, f) for f in (0, 1, 3)]
        same = [c.__class__(**{**c.__dict__, "timestamp_ns": 0}) for c in same]
        s.add_tasks(same)
        a, b = s.add_box(1, "car", 0, 0, 10, 10), s.add_box(3, "car", 30, 0, 10, 10)
        (box,) = s.interpolate_track((1, a.id), (3, b.id)).boxes
        assert box.x == pytest.approx(10.0)


def test_schema_2_migrates_a_version_1_file(study: Path, store: LabelStore):
    ids = _ids(store)
    store.add_box(ids[0], "car", 0, 0, 10, 10)
    store.close()
    db = study / "study.sqlite"
    with sqlite3.connect(db) as c:  # back to version 1: no track column
        c.execute("DROP INDEX boxes_track")
        c.execute("ALTER TABLE boxes DROP COLUMN track_id")
        c.execute("PRAGMA user_version = 1")
    with open_store(db) as s:
        assert s.project().schema_version == schema.SCHEMA_VERSION == 2
        assert s.task(ids[0]).boxes[0].track_id is None


# --- suggestions --------------------------------------------------------------------------------


def test_suggestion_centred_on_the_fixation(store: LabelStore):
    task = store.task(1)  # fixation at (120, 220) in a 1600x1200 frame
    box = suggest_box(task, size_px=100)
    assert (box.x, box.y, box.w, box.h) == (70.0, 170.0, 100.0, 100.0)
    assert (box.basis, box.source, box.centre) == ("fixation", "suggested", (120.0, 220.0))
    default = store.suggest_box(1)
    assert default.w == pytest.approx(0.2 * 1200)


def test_suggestion_from_gaze_median_and_clipped(study: Path):
    rec = recording(study, "g")
    with init_store(study / "g.sqlite", ["car"]) as s:
        s.add_tasks([candidate(rec, 0, fixation=None, gaze=((1590.0, 10.0), (1596.0, 20.0)))])
        s.add_tasks([candidate(rec, 1, fixation=None, gaze=())])
        box = s.suggest_box(1, size_px=200)
        assert box.basis == "gaze"
        assert (box.x, box.y, box.w, box.h) == (1400.0, 0.0, 200.0, 200.0)  # inside the frame
        with pytest.raises(LabelError, match="neither a fixation nor gaze"):
            s.suggest_box(2)
        with pytest.raises(LabelError, match="above 0"):
            s.suggest_box(1, size_px=0)
