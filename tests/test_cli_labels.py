"""CLI: gazeport labels init / classes / tasks / box / status / import / stats."""

from __future__ import annotations

import functools
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.cli import labels as cli_labels
from gazeport.labels import open_store
from tests.label_factories import candidates, recording

runner = CliRunner()


def run(*args: str | Path):
    return runner.invoke(cli.app, [str(a) for a in args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "study.sqlite"
    r = run("labels", "init", "--db", path, "--classes", "car,person,sign", "--name", "Traffic")
    assert r.exit_code == 0, r.output
    assert "3 classes" in r.stdout
    with open_store(path) as s:
        s.add_tasks(candidates(recording(tmp_path, "recs/rec1"), [0, 30]))
        s.add_tasks(candidates(recording(tmp_path, "recs/rec2"), [5]))
    return path


def _fails(result, code: int, *words: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output, result.output


def test_init_refuses_existing_and_bad_classes(db: Path, tmp_path: Path):
    _fails(run("labels", "init", "--db", db, "--classes", "car"), 1, "already exists")
    _fails(run("labels", "init", "--db", tmp_path / "n.sqlite", "--classes", "Car,car"), 1, "case")
    _fails(run("labels", "init", "--db", tmp_path / "n.sqlite", "--classes", "a/b"), 1, "slash")
    _fails(run("labels", "init", "--db", tmp_path / "n.sqlite", "--classes", ","), 2)
    assert not (tmp_path / "n.sqlite").exists()


def test_classes_add_rename_merge(db: Path):
    r = run("labels", "classes", "--db", db, "--add", "bike", "--hotkey", "b", "--color", "#00aa00")
    assert r.exit_code == 0, r.output
    assert "Added class 4 bike" in r.stdout
    r = run("labels", "classes", "--db", db, "--add", "sedan")
    r = run("labels", "classes", "--db", db, "--add", "suv", "--json")
    assert [c["name"] for c in json.loads(r.stdout)] == [
        "car",
        "person",
        "sign",
        "bike",
        "sedan",
        "suv",
    ]
    r = run(
        "labels", "classes", "--db", db, "--rename", "car=vehicle", "--merge", "sedan,suv=vehicle"
    )
    assert r.exit_code == 0, r.output
    assert "Renamed class 1 to vehicle" in r.stdout and "Merged" in r.stdout
    r = run("labels", "classes", "--db", db, "--json", "--all")
    got = [(c["id"], c["name"], c["retired"], c["merged_into"]) for c in json.loads(r.stdout)]
    assert got == [(1, "vehicle", False, None), (2, "person", False, None), (3, "sign", False, None),
                   (4, "bike", False, None), (5, "sedan", True, 1), (6, "suv", True, 1)]  # fmt: skip
    _fails(run("labels", "classes", "--db", db, "--add", "BIKE"), 1, "case")
    _fails(run("labels", "classes", "--db", db, "--rename", "vehicle"), 2, "OLD=NEW")
    _fails(run("labels", "classes", "--db", db, "--add", "x", "--color", "red"), 1, "#rrggbb")


def test_box_add_edit_delete_and_tasks_json(db: Path):
    r = run("labels", "box", "--db", db, "1", "add", "--label", "car", "--xywh", "100,200,150,100",
            "--confidence", "0.9", "--tags", "sedan,blue")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Added box 1 (car) on task 1" in r.stdout and "gaze hits 1" in r.stdout
    r = run("labels", "box", "--db", db, "1", "edit", "1", "--label", "person", "--xywh", "1,2,3,4")
    assert r.exit_code == 0, r.output
    r = run("labels", "box", "--db", db, "2", "add", "--label", "sign", "--xywh", "0,0,5,5")
    r = run("labels", "box", "--db", db, "2", "delete", "2")
    assert r.exit_code == 0 and "Deleted box 2" in r.stdout
    r = run("labels", "tasks", "--db", db, "--json")
    tasks = json.loads(r.stdout)
    assert [t["id"] for t in tasks] == [1, 2, 3]
    t = tasks[0]
    assert {k: t[k] for k in ("id", "recording", "frame_index", "status")} == {
        "id": 1, "recording": "recs/rec1", "frame_index": 0, "status": "draft"}  # fmt: skip
    assert isinstance(t["timestamp_ns"], int)
    assert [(b["id"], b["label"], b["x"], b["y"], b["w"], b["h"], b["tags"], b["confidence"])
            for b in t["boxes"]] == [(1, "person", 1, 2, 3, 4, ["sedan", "blue"], 0.9)]  # fmt: skip
    assert tasks[1]["boxes"] == []


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("1", "add", "--label", "car", "--xywh", "1,2,3"), 2, ["X,Y,W,H"]),
        (("1", "add", "--label", "car", "--xywh", "1,2,0,4"), 1, ["zero"]),
        (("1", "add", "--label", "bus", "--xywh", "1,2,3,4"), 1, ["no class 'bus'"]),
        (("9", "add", "--label", "car", "--xywh", "1,2,3,4"), 1, ["no task 9"]),
        (("1", "edit", "7", "--label", "car"), 1, ["no box 7"]),
        (("1", "delete", "7"), 1, ["no box 7"]),
    ],
    ids=[
        "three-numbers",
        "zero-size",
        "unknown-class",
        "unknown-task",
        "edit-unknown",
        "delete-unknown",
    ],
)
def test_box_errors_are_one_line(db: Path, args: tuple[str, ...], code: int, words: list[str]):
    _fails(run("labels", "box", "--db", db, *args), code, *words)


def test_status_and_filters(db: Path):
    r = run("labels", "status", "--db", db, "1", "finished", "--by", "ann", "--comment", "ok")
    assert r.exit_code == 0, r.output
    assert "draft → finished by ann" in r.stdout
    run("labels", "status", "--db", db, "3", "reviewed")
    r = run("labels", "tasks", "--db", db, "--status", "finished,reviewed", "--json")
    assert [t["id"] for t in json.loads(r.stdout)] == [1, 3]
    r = run("labels", "tasks", "--db", db, "--recording", "rec2", "--json")
    assert [t["id"] for t in json.loads(r.stdout)] == [3]
    r = run("labels", "tasks", "--db", db)
    assert r.exit_code == 0 and "recs/rec1" in r.stdout and "finished" in r.stdout
    _fails(run("labels", "status", "--db", db, "1", "done"), 2, "draft, finished, reviewed")
    _fails(run("labels", "tasks", "--db", db, "--status", "done"), 2)
    with open_store(db) as s:
        assert [(h.who, h.comment) for h in s.reviews(1)] == [("ann", "ok")]


def test_import_and_stats(db: Path, tmp_path: Path):
    preds = tmp_path / "preds.json"
    preds.write_text(json.dumps([
        {"image_id": 1, "category_id": 2, "bbox": [10, 10, 20, 40], "score": 0.7},
        {"image_id": 99, "category_id": 2, "bbox": [10, 10, 20, 40], "score": 0.7},
    ]))  # fmt: skip
    r = run("labels", "import", "--db", db, preds, "--format", "coco", "--source", "model-v3")
    assert r.exit_code == 0, r.output
    assert "Imported 1 box" in r.stdout and "1 image matched no task" in r.stdout
    _fails(run("labels", "import", "--db", db, preds, "--format", "voc"), 2)
    r = run("labels", "stats", "--db", db, "--json")
    st = json.loads(r.stdout)
    assert (st["tasks"], st["boxes"], st["boxes_by_source"]) == (3, 1, {"import": 1})
    assert st["box_width_px"] == {"min": 20, "median": 20, "max": 20}
    r = run("labels", "stats", "--db", db)
    assert (
        r.exit_code == 0
        and "3 tasks, 1 box, 0 status changes" in r.stdout
        and "recs/rec2" in r.stdout
    )


def test_store_problems_are_one_sentence(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _fails(run("labels", "tasks", "--db", tmp_path / "none.sqlite"), 1, "labels init")
    bad = tmp_path / "bad.sqlite"
    bad.write_text("hello" * 100)
    _fails(run("labels", "stats", "--db", bad), 1, "not a SQLite database")
    # the CLI waits the store's default 10 s for a lock; here 0.2 s
    monkeypatch.setattr(cli_labels, "open_store", functools.partial(open_store, timeout_s=0.2))
    lock = sqlite3.connect(db, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        r = run("labels", "box", "--db", db, "1", "add", "--label", "car", "--xywh", "1,2,3,4")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    _fails(r, 1, "locked by another writer")


def test_unicode_and_quotes_round_trip_through_the_cli(db: Path):
    name = 'Ampel "rot", <&> 信号'
    assert run("labels", "classes", "--db", db, "--add", name).exit_code == 0
    r = run("labels", "box", "--db", db, "1", "add", "--label", name, "--xywh", "0,0,9,9")
    assert r.exit_code == 0, r.output
    boxes = json.loads(run("labels", "tasks", "--db", db, "--json").stdout)[0]["boxes"]
    assert boxes[0]["label"] == name


def test_long_listings_are_plain_aligned_text(db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cli_labels, "RICH_ROWS", 1)
    run("labels", "box", "--db", db, "1", "add", "--label", "car", "--xywh", "1,2,3,4")
    lines = run("labels", "tasks", "--db", db).stdout.splitlines()
    assert lines[0].split() == ["id", "recording", "frame", "time", "(UTC)", "status", "boxes"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["1", "recs/rec1", "0"], ["2", "recs/rec1", "30"], ["3", "recs/rec2", "5"],
    ]  # fmt: skip
    assert lines[1].endswith("draft  1 car") or lines[1].endswith("draft 1 car")
    assert len({line.index("recs") for line in lines[1:]}) == 1  # aligned columns
