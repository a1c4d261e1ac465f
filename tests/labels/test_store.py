"""The SQLite label store: ids, tasks, boxes, review, concurrency and damaged files."""

from __future__ import annotations

import math
import re
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from tests.label_factories import candidate, candidates, recording

from gazeport.errors import (
    CorruptFileError,
    GazeportError,
    LabelError,
    LabelNotFoundError,
    LabelStoreCorruptError,
    LabelStoreError,
    LabelStoreExistsError,
    LabelStoreLockedError,
    LabelStoreNotFoundError,
    LabelStoreVersionError,
)
from gazeport.labels import LabelStore, init_store, open_store, schema


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return tmp_path / "study"


@pytest.fixture
def store(study: Path):
    rec = recording(study, "recs/rec1")
    with init_store(study / "study.sqlite", ["car", "person", "sign"], name="Traffic") as s:
        s.add_tasks(candidates(rec, [0, 30, 60]))
        yield s


# --- project and classes ----------------------------------------------------------------------


def test_init_makes_project_and_classes_in_given_order(store: LabelStore):
    p = store.project()
    assert (p.name, p.schema_version) == ("Traffic", schema.SCHEMA_VERSION)
    assert p.created.endswith("Z")
    assert [(c.id, c.name) for c in store.classes()] == [(1, "car"), (2, "person"), (3, "sign")]


def test_init_refuses_an_existing_file_and_keeps_it(study: Path):
    study.mkdir()
    (study / "x.sqlite").write_bytes(b"keep me")
    with pytest.raises(LabelStoreExistsError, match="already exists"):
        init_store(study / "x.sqlite", ["car"])
    assert (study / "x.sqlite").read_bytes() == b"keep me"


def test_init_with_a_bad_class_leaves_no_file(study: Path):
    with pytest.raises(LabelError):
        init_store(study / "s.sqlite", ["car", "a/b"])
    assert not (study / "s.sqlite").exists()


def test_class_ids_never_reused_after_merge_and_never_resorted(store: LabelStore):
    bike = store.add_class("bike", hotkey="b", color="#00AA00", supercategory="vehicle")
    assert (bike.id, bike.color, bike.hotkey, bike.supercategory) == (4, "#00aa00", "b", "vehicle")
    store.add_box(1, "bike", 1, 1, 5, 5)
    assert store.merge_classes(["bike"], "car") == 1
    assert store.task(1).boxes[0].label == "car"
    assert [c.id for c in store.classes()] == [1, 2, 3]
    retired = store.classes(include_retired=True)[-1]
    assert (retired.id, retired.retired, retired.merged_into) == (4, True, 1)
    assert store.add_class("aardvark").id == 5  # not 4, not sorted first
    assert [c.name for c in store.classes()] == ["car", "person", "sign", "aardvark"]


def test_rename_keeps_the_id_and_boxes(store: LabelStore):
    store.add_box(1, "car", 1, 1, 5, 5)
    assert store.rename_class("car", "vehicle").id == 1
    assert store.task(1).boxes[0].label == "vehicle"
    assert store.rename_class("vehicle", "Vehicle").name == "Vehicle"  # case of itself: fine
    with pytest.raises(LabelError, match="'person' exists"):
        store.rename_class("Vehicle", "PERSON")


@pytest.mark.parametrize(
    "name", ["Car", "CAR", "car", " car "], ids=["Car", "CAR", "same", "spaced"]
)
def test_class_differing_only_in_case_is_refused(store: LabelStore, name: str):
    with pytest.raises(LabelError, match="unique"):
        store.add_class(name)


def test_init_refuses_classes_differing_in_case(study: Path):
    with pytest.raises(LabelError, match="differ only in case"):
        init_store(study / "s.sqlite", ["Ünïcode", "ünïcode"])


@pytest.mark.parametrize(
    "name",
    ["", "   ", "a/b", "../up", "a\\b", "..", ".", "tab\there", "nul\x00", "new\nline", "x" * 201],
    ids=["empty", "blank", "slash", "dotdot-slash", "backslash", "dotdot", "dot", "tab", "nul",
         "newline", "too-long"],
)  # fmt: skip
def test_bad_label_names_are_refused(store: LabelStore, name: str):
    with pytest.raises(LabelError) as info:
        store.add_class(name)
    assert isinstance(info.value, GazeportError) and "\n" not in str(info.value)
    assert len(store.classes()) == 3


@pytest.mark.parametrize(
    "name", ['car, "red" <&>', "it's", "Straßen­schild 車 🚗", "a,b;c", "<xml/>"[:4] + "&amp;"]
)
def test_unusual_but_valid_labels_round_trip(study: Path, name: str):
    rec = recording(study, "r")
    with init_store(study / "s.sqlite", [name]) as s:
        s.add_tasks([candidate(rec, 0)])
        s.add_box(1, name, 0, 0, 10, 10)
    with open_store(study / "s.sqlite") as s:
        assert s.classes()[0].name == name
        assert s.task(1).boxes[0].label == name
        assert s.tasks(label=name)[0].id == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hotkey": "ab"}, "hotkey"),
        ({"color": "green"}, "#rrggbb"),
        ({"color": "#12345"}, "#rrggbb"),
    ],
)
def test_bad_hotkey_and_colour(store: LabelStore, kwargs: dict, match: str):
    with pytest.raises(LabelError, match=match):
        store.add_class("bike", **kwargs)


def test_hotkey_unique_among_classes(store: LabelStore):
    store.add_class("bike", hotkey="b")
    with pytest.raises(LabelError, match="already used"):
        store.add_class("bus", hotkey="b")


# --- tasks ------------------------------------------------------------------------------------


def test_duplicate_tasks_are_skipped(store: LabelStore, study: Path):
    rec = study / "recs" / "rec1"
    assert store.add_tasks(candidates(rec, [0, 30, 90])) == (1, 2)
    assert [t.frame_index for t in store.tasks()] == [0, 30, 60, 90]
    assert store.count_tasks() == 4


def test_task_fields_and_relative_recording(store: LabelStore, study: Path):
    t = store.task(2)
    assert t.recording == "recs/rec1"
    assert t.recording_dir == (study / "recs" / "rec1").resolve()
    assert (t.frame_index, t.width, t.height, t.status, t.recording_id) == (
        30, 1600, 1200, "draft", "uuid-rec1",
    )  # fmt: skip
    assert t.gaze[0].x_px == 110.0 and t.gaze[0].confidence == 0.9
    assert (t.fixation_id, t.fixation_xy_px) == (1, (120.0, 220.0))
    assert t.extra == {"reason": "frames"}


def test_moving_the_study_folder_keeps_recordings_found(
    store: LabelStore, study: Path, tmp_path: Path
):
    store.close()
    moved = tmp_path / "elsewhere" / "moved-study"
    moved.parent.mkdir()
    shutil.move(str(study), str(moved))
    with open_store(moved / "study.sqlite") as s:
        t = s.task(1)
        assert t.recording_dir == (moved / "recs" / "rec1").resolve()
        assert t.recording_dir.is_dir()


def test_recording_outside_the_study_folder(tmp_path: Path):
    rec = recording(tmp_path, "raw/rec9")
    with init_store(tmp_path / "db" / "s.sqlite", ["car"]) as s:
        s.add_tasks([candidate(rec, 3)])
        assert s.task(1).recording == "../raw/rec9"
        assert s.task(1).recording_dir == rec.resolve()


def test_filters_limit_offset(store: LabelStore, study: Path):
    other = recording(study, "recs/rec2")
    store.add_tasks(candidates(other, [0, 5]))
    store.add_box(4, "person", 0, 0, 5, 5)
    store.set_status(4, "finished")
    assert [t.id for t in store.tasks(status="finished")] == [4]
    assert [t.id for t in store.tasks(status=["draft", "finished"])] == [1, 2, 3, 4, 5]
    assert [t.id for t in store.tasks(recording_glob="rec2")] == [4, 5]
    assert [t.id for t in store.tasks(recording_glob="recs/*1")] == [1, 2, 3]
    assert [t.id for t in store.tasks(label="person")] == [4]
    assert [t.id for t in store.tasks(limit=2, offset=1)] == [2, 3]
    assert [t.id for t in store.iter_tasks(page=2)] == [1, 2, 3, 4, 5]
    assert [t.id for t in store.tasks(after_id=3)] == [4, 5]
    assert [t.id for t in store.iter_tasks(page=1, status="draft")] == [1, 2, 3, 5]
    assert store.count_tasks(recording_glob="rec2", status="draft") == 1
    with pytest.raises(LabelError, match="status"):
        store.tasks(status="done")
    with pytest.raises(LabelNotFoundError, match="no class 'bus'"):
        store.tasks(label="bus")


def test_unknown_task(store: LabelStore):
    with pytest.raises(LabelNotFoundError, match="no task 99"):
        store.task(99)


# --- boxes ------------------------------------------------------------------------------------


def test_box_round_trip_with_gaze_hits_and_fixation(store: LabelStore):
    b = store.add_box(1, "car", 100, 200, 150, 100, confidence=0.9, tags=["sedan", "blue"])
    assert (b.x, b.y, b.w, b.h, b.confidence, b.tags, b.source) == (
        100, 200, 150, 100, 0.9, ("sedan", "blue"), "manual",
    )  # fmt: skip
    assert (b.gaze_hits, b.fixation_id) == (1, 1)  # (110, 210) inside, (800, 600) not
    far = store.add_box(1, "sign", 1000, 1000, 10, 10, author="ann")
    assert (far.gaze_hits, far.fixation_id, far.author) == (0, None, "ann")
    assert [x.id for x in store.task(1).boxes] == [b.id, far.id]


def test_edit_box_changes_only_what_is_given(store: LabelStore):
    b = store.add_box(1, "car", 100, 200, 150, 100, tags=["x"])
    e = store.edit_box(1, b.id, label="person")
    assert (e.label, e.class_id, e.x, e.tags) == ("person", 2, 100, ("x",))
    e = store.edit_box(1, b.id, xywh=(0, 0, 5, 6), tags=[], confidence=0.5)
    assert (e.x, e.y, e.w, e.h, e.tags, e.confidence, e.gaze_hits) == (0, 0, 5, 6, (), 0.5, 0)
    assert e.updated >= b.updated


def test_box_ids_are_never_reused(store: LabelStore):
    ids = [store.add_box(1, "car", 0, 0, 5, 5).id for _ in range(3)]
    store.delete_box(1, ids[-1])
    assert store.add_box(2, "car", 0, 0, 5, 5).id == ids[-1] + 1
    assert [b.id for b in store.task(1).boxes] == ids[:2]


@pytest.mark.parametrize(
    ("xywh", "match"),
    [((0, 0, 0, 5), "zero or negative size"), ((0, 0, 5, -1), "zero or negative size"),
     ((math.nan, 0, 5, 5), "finite"), ((0, math.inf, 5, 5), "finite"), (("a", 0, 5, 5), "four numbers")],
)  # fmt: skip
def test_bad_boxes_are_refused(store: LabelStore, xywh: tuple, match: str):
    with pytest.raises(LabelError, match=match):
        store.add_box(1, "car", *xywh)
    assert store.task(1).boxes == ()


def test_box_errors_unknown_things(store: LabelStore):
    b = store.add_box(1, "car", 0, 0, 5, 5)
    with pytest.raises(LabelNotFoundError, match="no class 'bus'"):
        store.add_box(1, "bus", 0, 0, 5, 5)
    with pytest.raises(LabelNotFoundError, match="no task 42"):
        store.add_box(42, "car", 0, 0, 5, 5)
    with pytest.raises(LabelNotFoundError, match="task 2 has no box"):
        store.edit_box(2, b.id, label="person")  # the box belongs to task 1
    with pytest.raises(LabelNotFoundError):
        store.delete_box(1, 999)
    with pytest.raises(LabelError, match="confidence"):
        store.add_box(1, "car", 0, 0, 5, 5, confidence=1.5)
    with pytest.raises(LabelError, match="source"):
        store.add_box(1, "car", 0, 0, 5, 5, source="guess")


def test_merged_class_cannot_take_new_boxes(store: LabelStore):
    store.merge_classes(["person"], "car")
    with pytest.raises(LabelError, match="merged into 'car'"):
        store.add_box(1, "person", 0, 0, 5, 5)
    with pytest.raises(LabelError, match="into itself"):
        store.merge_classes(["car"], "car")


# --- review and splits ------------------------------------------------------------------------


def test_review_history(store: LabelStore):
    store.set_status(1, "finished", by="ann")
    store.set_status(1, "reviewed", by="bob", comment="  looks right ")
    store.set_status(1, "draft", by="bob", comment="missed a sign")
    store.set_status(2, "finished")
    history = store.reviews(1)
    assert [(r.from_status, r.to_status, r.who) for r in history] == [
        ("draft", "finished", "ann"), ("finished", "reviewed", "bob"), ("reviewed", "draft", "bob"),
    ]  # fmt: skip
    assert [r.comment for r in history] == [None, "looks right", "missed a sign"]
    assert all(r.at.endswith("Z") for r in history)
    assert store.task(1).status == "draft" and len(store.reviews()) == 4
    with pytest.raises(LabelError, match="status"):
        store.set_status(1, "done")


def test_sticky_splits(store: LabelStore):
    store.set_splits({1: "train", 2: "val"})
    assert [t.split for t in store.tasks()] == ["train", "val", None]
    store.set_splits({2: None})
    assert store.task(2).split is None
    with pytest.raises(LabelError, match="split name"):
        store.set_splits({1: "a/b"})
    with pytest.raises(LabelNotFoundError):
        store.set_splits({99: "train"})


# --- files: missing, damaged, locked, newer -----------------------------------------------------


def test_missing_store_says_run_init(tmp_path: Path):
    with pytest.raises(LabelStoreNotFoundError, match="gazeport labels init"):
        open_store(tmp_path / "nope.sqlite")


def test_empty_sqlite_file_is_not_a_store_yet(tmp_path: Path):
    sqlite3.connect(tmp_path / "e.sqlite").close()
    with pytest.raises(LabelStoreNotFoundError, match="labels init"):
        open_store(tmp_path / "e.sqlite")


@pytest.mark.parametrize(
    "content", [b"this is not sqlite at all" * 50, b"SQLite format 3\x00" + b"\xff" * 4000],
    ids=["text", "bad-header"],
)  # fmt: skip
def test_corrupt_file_is_one_sentence_naming_it(tmp_path: Path, content: bytes):
    path = tmp_path / "bad.sqlite"
    path.write_bytes(content)
    with pytest.raises(LabelStoreCorruptError) as info:
        open_store(path).tasks()
    assert str(path) in str(info.value) and isinstance(info.value, CorruptFileError)
    assert path.read_bytes() == content  # nothing written


def test_truncated_store_is_corrupt(store: LabelStore, study: Path):
    store.add_tasks(candidates(study / "recs" / "rec1", range(100, 400)))
    store.close()
    db = study / "study.sqlite"
    with sqlite3.connect(db) as c:  # fold the WAL into the file, then cut it
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    with pytest.raises(LabelStoreCorruptError, match="damaged"), open_store(db) as s:
        s.tasks()


def test_foreign_sqlite_database(tmp_path: Path):
    with sqlite3.connect(tmp_path / "other.db") as c:
        c.execute("CREATE TABLE t (x)")
        c.execute("PRAGMA user_version = 3")
    with pytest.raises(LabelStoreCorruptError, match="not a gazeport label store"):
        open_store(tmp_path / "other.db")


def test_newer_schema_version_is_refused(store: LabelStore, study: Path):
    store.close()
    with sqlite3.connect(study / "study.sqlite") as c:
        c.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    with pytest.raises(LabelStoreVersionError, match="upgrade gazeport"):
        open_store(study / "study.sqlite")


def test_older_schema_is_migrated_in_one_transaction(
    store: LabelStore, study: Path, monkeypatch: pytest.MonkeyPatch
):
    store.close()
    db = study / "study.sqlite"
    broken = (*schema.MIGRATIONS, "ALTER TABLE tasks ADD COLUMN note TEXT;\nSELECT * FROM nope;")
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(broken))
    with pytest.raises(GazeportError):
        open_store(db)
    with sqlite3.connect(db) as c:  # rolled back: old version, no half-added column
        assert c.execute("PRAGMA user_version").fetchone()[0] == len(broken) - 1
        assert "note" not in [r[1] for r in c.execute("PRAGMA table_info(tasks)")]
    good = (*broken[:-1], "ALTER TABLE tasks ADD COLUMN note TEXT;")
    monkeypatch.setattr(schema, "MIGRATIONS", good)
    with open_store(db) as s:
        assert s.project().schema_version == len(good)
        assert len(s.tasks()) == 3


def test_lock_held_beyond_the_timeout(store: LabelStore, study: Path):
    other = sqlite3.connect(study / "study.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with open_store(study / "study.sqlite", timeout_s=0.2) as s:
            assert len(s.tasks()) == 3  # readers are not blocked (WAL)
            with pytest.raises(LabelStoreLockedError, match="locked by another writer"):
                s.add_box(1, "car", 0, 0, 5, 5)
            assert s.task(1).boxes == ()
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_two_connections_write_at_once(store: LabelStore, study: Path):
    """A CLI and a server: two connections, many small write transactions interleaved."""
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def writer(task_id: int, shared: LabelStore | None) -> None:
        try:
            s = shared or open_store(study / "study.sqlite")
            start.wait()
            for i in range(40):
                s.add_box(task_id, "car", i, i, 5, 5)
                s.set_status(task_id, "finished" if i % 2 else "draft", by=f"w{task_id}")
            if shared is None:
                s.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(1, None)),
               threading.Thread(target=writer, args=(2, None)),
               threading.Thread(target=writer, args=(3, store))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [len(t.boxes) for t in store.tasks()] == [40, 40, 40]
    assert len(store.reviews()) == 120
    ids = [b.id for t in store.tasks() for b in t.boxes]
    assert len(set(ids)) == 120


def test_store_is_in_wal_mode_with_foreign_keys(store: LabelStore, study: Path):
    with sqlite3.connect(study / "study.sqlite") as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.add_box(1, "car", 0, 0, 5, 5)
    # a box of a class that does not exist
    with pytest.raises(LabelError, match="refused"), store._write() as c:
        c.execute(
            "INSERT INTO boxes (task_id, class_id, x, y, w, h, created, updated) "
            "VALUES (1, 99, 0, 0, 1, 1, '', '')"
        )


def test_an_empty_file_is_left_untouched(tmp_path: Path):
    path = tmp_path / "empty.sqlite"
    path.touch()
    with pytest.raises(LabelStoreNotFoundError):
        open_store(path)
    assert path.read_bytes() == b""


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [("recs/rec1", True), ("rec1", True), ("*1", True), ("recs/*", True), ("rec", False),
     ("cs/rec1", False)],
)  # fmt: skip
def test_recording_glob(pattern: str, matches: bool):
    from gazeport.labels.store import recording_matches

    assert recording_matches("recs/rec1", pattern) is matches


def test_sql_lives_only_in_the_labels_package():
    """DESIGN rule 2: sqlite3 is imported by gazeport.labels and nowhere else (import-linter
    does not see standard-library modules, so this is checked here)."""
    src = Path(__file__).resolve().parents[2] / "src" / "gazeport"
    users = {
        p.relative_to(src).parts[0]
        for p in src.rglob("*.py")
        if re.search(r"^\s*(import sqlite3|from sqlite3 )", p.read_text("utf-8"), re.M)
    }
    assert users == {"labels"}


def test_another_process_writes_while_we_write(store: LabelStore, study: Path):
    """The CLI in one process, a server in another: both write, nobody fails on the lock."""
    import subprocess
    import sys

    src = Path(__file__).resolve().parents[2] / "src"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from gazeport.labels import open_store\n"
        "with open_store(sys.argv[2]) as s:\n"
        "    for i in range(40):\n"
        "        s.add_box(2, 'person', i, i, 5, 5)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(src), str(study / "study.sqlite")])
    for i in range(40):
        store.add_box(1, "car", i, i, 5, 5)
        store.set_status(1, "finished" if i % 2 else "draft")
    assert proc.wait(timeout=60) == 0
    assert [len(t.boxes) for t in store.tasks()] == [40, 40, 0]


def test_a_closed_store_says_so(store: LabelStore):
    store.close()
    with pytest.raises(LabelStoreError, match="closed") as info:
        store.tasks()
    assert not isinstance(info.value, LabelStoreCorruptError)


def test_sampled_frames_of_a_recording_become_tasks_once(tmp_path: Path):
    """The sampler's candidates of a synthetic Core recording (with a video) go in unchanged."""
    from tests.scene_factories import core_with_video

    from gazeport.labels.sampling import sample_frames

    rec = core_with_video(tmp_path / "study" / "core", n_frames=40)
    cands = sample_frames(rec, every_n=10)
    with init_store(tmp_path / "study" / "s.sqlite", ["car"]) as s:
        assert s.add_tasks(cands) == (len(cands), 0)
        assert s.add_tasks(sample_frames(rec, every_n=5)) == (len(cands), len(cands))
        tasks = s.tasks()
    assert sorted(t.frame_index for t in tasks) == sorted({*range(0, 40, 10), *range(0, 40, 5)})
    by_frame = {t.frame_index: t for t in tasks}
    for c in cands:
        t = by_frame[c.frame_index]
        assert (t.recording, t.recording_dir, t.recording_id) == (
            "core",
            rec.resolve(),
            c.recording_id,
        )
        assert (t.timestamp_ns, t.width, t.height, t.gaze) == (
            c.timestamp_ns,
            c.width,
            c.height,
            c.gaze,
        )
        assert (t.fixation_id, t.fixation_xy_px) == (c.fixation_id, c.fixation_xy_px)
