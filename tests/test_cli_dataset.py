"""CLI: gazeport labels sample and gazeport dataset export, end to end on recordings with video."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gazeport import cli
from gazeport.labels import open_store
from tests import fixtures
from tests.factories import tree_hashes
from tests.scene_factories import SIZE, capture_with_video, core_with_video

runner = CliRunner()


def run(*args: str | Path):
    return runner.invoke(cli.app, [str(a) for a in args])


def ok(*args: str | Path):
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def _own_id(rec: Path, uid: str) -> None:
    """The factory gives every recording one id; real recordings each have their own."""
    info = rec / "info.player.json"
    info.write_text(json.dumps({**json.loads(info.read_text()), "recording_uuid": uid}))


@pytest.fixture
def study(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    _own_id(core_with_video(root / "p01" / "rec", n_frames=60), str(uuid.uuid4()))
    _own_id(core_with_video(root / "p02" / "rec", n_frames=40), str(uuid.uuid4()))
    ok("labels", "init", "--db", root / "labels.sqlite", "--classes", "car,person")
    return root


def test_sample_every_n_over_a_study_then_again_adds_nothing(study: Path):
    before = {p: tree_hashes(p) for p in (study / "p01" / "rec", study / "p02" / "rec")}
    db = study / "labels.sqlite"
    first = ok("labels", "sample", "--db", db, study, "-r", "--every-n", "10")
    assert "10 tasks added from 2 recordings" in " ".join(first.stdout.split())
    with open_store(db) as store:
        tasks = store.tasks()
    assert sorted((t.recording, t.frame_index) for t in tasks) == sorted(
        [("p01/rec", k) for k in range(0, 60, 10)] + [("p02/rec", k) for k in range(0, 40, 10)]
    )
    assert {(t.width, t.height) for t in tasks} == {SIZE}
    again = ok("labels", "sample", "--db", db, study, "-r", "--every-n", "10")
    assert "0 tasks added" in again.stdout and "10 already there" in again.stdout
    assert {p: tree_hashes(p) for p in before} == before  # recordings never written


def test_sample_needs_exactly_one_mode(study: Path):
    db = study / "labels.sqlite"
    for args in (
        [],
        ["--every-n", "5", "--every-s", "1"],
        ["--min-duration-ms", "100", "--every-n", "3"],
    ):
        result = run("labels", "sample", "--db", db, study / "p01" / "rec", *args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output


def test_sample_one_recording_error_is_one_line(study: Path):
    result = run("labels", "sample", "--db", study / "labels.sqlite", study / "p01" / "rec",
                 "--frames", "5,999")  # fmt: skip
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "999" in result.output


def test_sample_per_fixation_on_a_capture_recording(tmp_path: Path):
    rec = capture_with_video(tmp_path / "study" / "rec", seconds=6.0)
    db = tmp_path / "study" / "labels.sqlite"
    ok("labels", "init", "--db", db, "--classes", "thing")
    ok("labels", "sample", "--db", db, rec, "--per-fixation")
    with open_store(db) as store:
        tasks = store.tasks()
    assert tasks and all(t.fixation_id is not None and t.gaze for t in tasks)
    assert len({t.fixation_id for t in tasks}) == len(tasks)


def _labelled(study: Path) -> Path:
    db = study / "labels.sqlite"
    ok("labels", "sample", "--db", db, study, "-r", "--every-n", "10")
    ok("labels", "box", "--db", db, "1", "add", "--label", "car", "--xywh", "10,20,30,40")
    ok("labels", "box", "--db", db, "2", "add", "--label", "person", "--xywh", "150,100,40,40")
    ok("labels", "status", "--db", db, "1", "reviewed", "--by", "ann")
    return db


def test_dataset_export_yolo_split_by_recording_and_incremental(study: Path):
    db = _labelled(study)
    out = study / "yolo"
    first = ok("dataset", "export", "--db", db, "--format", "yolo", "--out", out,
               "--split", "train=50,val=50", "--seed", "1")  # fmt: skip
    assert "10 images, 2 boxes" in first.stdout
    assert "clipped" in first.stderr  # box 2 reaches past the 160x120 frame
    meta = yaml.safe_load((out / "data.yaml").read_text())
    assert meta["names"] == {0: "car", 1: "person"}
    splits = {p.parent.name for p in (out / "images").glob("*/*.jpg")}
    assert splits == {"train", "val"}
    for rec in ("p01", "p02"):  # each recording lies in one split
        assert len({p.parent.name for p in (out / "images").glob(f"*/{rec}*")}) <= 1
    label = next((out / "labels").glob("*/p01_rec_000000.txt"))  # the box of task 1
    cls, cx, cy, w, h = (float(v) for v in label.read_text().split())
    assert (cls, cx, cy) == (0, pytest.approx(25 / 160), pytest.approx(40 / 120))
    assert (w, h) == (pytest.approx(30 / 160), pytest.approx(40 / 120))
    with open_store(db) as store:  # the splits are kept on the tasks (sticky)
        assert {t.split for t in store.tasks()} == splits
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = ok("dataset", "export", "--db", db, "--format", "yolo", "--out", out,
               "--split", "train=50,val=50", "--seed", "1", "--incremental")  # fmt: skip
    assert "nothing changed" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps


def test_dataset_export_filters_and_csv_coords(study: Path):
    db = _labelled(study)
    out = study / "csv"
    result = ok("dataset", "export", "--db", db, "--format", "csv", "--out", out, "--no-images",
                "--status", "reviewed", "--coords", "normalized")  # fmt: skip
    assert "1 image, 1 box" in result.stdout and "tasks of another status" in result.stdout
    rows = (out / "annotations.csv").read_text().splitlines()
    assert rows[0].startswith("image_id,image_name,object_id,label,x_min,y_min,x_max,y_max")
    assert len(rows) == 2 and ",car," in rows[1]
    assert not any(out.rglob("*.jpg"))


def test_dataset_export_frame_range_image_size_and_dates(study: Path):
    db = _labelled(study)
    out = study / "json"
    result = ok("dataset", "export", "--db", db, "--format", "json", "--out", out, "--no-images",
                "--frame-range", "0-15", "--recording", "rec")  # fmt: skip
    assert "4 images" in result.stdout and "6 tasks outside the frame range" in result.stdout
    frames = {t["frame_index"] for t in json.loads((out / "annotations.json").read_text())["tasks"]}
    assert frames == {0, 10}
    result = ok("dataset", "export", "--db", db, "--format", "json", "--out", out, "--no-images",
                "--min-image-size", "161x10")  # fmt: skip
    assert "0 images" in result.stdout and "10 tasks with smaller frames" in result.stdout
    result = ok("dataset", "export", "--db", db, "--format", "json", "--out", out, "--no-images",
                "--from", "2000-01-01", "--to", "2000-01-02")  # fmt: skip
    assert "10 tasks outside the dates" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--format", "tfrecord"], ["tfrecord"]),
        (["--format", "yolo", "--split", "train=0"], ["train"]),
        (["--format", "yolo", "--min-size", "big"], ["WIDTHxHEIGHT"]),
        (["--format", "yolo", "--status", "done"], ["done", "draft"]),
        (["--format", "yolo", "--coords", "normalized"], ["CSV"]),
        (["--format", "yolo", "--from", "yesterday"], ["ISO 8601"]),
        (["--format", "yolo", "--frame-range", "50-10"], ["FIRST-LAST"]),
        (["--format", "yolo", "--min-image-size", "wide"], ["WIDTHxHEIGHT"]),
    ],
)
def test_dataset_export_bad_options_are_usage_errors(
    study: Path, args: list[str], words: list[str]
):
    result = run("dataset", "export", "--db", study / "labels.sqlite", "--out", study / "x", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output
    assert not (study / "x").exists()


def test_dataset_export_refuses_a_foreign_folder_and_a_missing_store(study: Path, tmp_path: Path):
    foreign = study / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    result = run("dataset", "export", "--db", study / "labels.sqlite", "--format", "coco",
                 "--out", foreign)  # fmt: skip
    assert result.exit_code == 1 and "not a gazeport dataset" in " ".join(result.output.split())
    assert (foreign / "thesis.docx").read_text() == "precious"
    result = run("dataset", "export", "--db", tmp_path / "none.sqlite", "--format", "coco",
                 "--out", tmp_path / "o")  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "labels init" in result.output


def test_dataset_export_category_map_file_errors(study: Path):
    bad = study / "map.json"
    bad.write_text("{not json")
    result = run("dataset", "export", "--db", study / "labels.sqlite", "--format", "coco",
                 "--out", study / "o", "--category-map", bad)  # fmt: skip
    assert result.exit_code == 1 and "not valid JSON" in result.output


@fixtures.needs_recordings
def test_real_neon_recording_to_coco(tmp_path: Path):
    import shutil

    study = tmp_path / "study"
    shutil.copytree(fixtures.recording("neon23_multipart"), study / "neon23_multipart")
    db = study / "labels.sqlite"
    ok("labels", "init", "--db", db, "--classes", "screen")
    ok("labels", "sample", "--db", db, study / "neon23_multipart", "--every-s", "2")
    ok("labels", "box", "--db", db, "1", "add", "--label", "screen", "--xywh", "400,300,500,400")
    out = study / "coco"
    ok("dataset", "export", "--db", db, "--format", "coco", "--out", out)
    from pycocotools.coco import COCO

    coco = COCO(str(out / "annotations" / "instances_train.json"))
    images = coco.loadImgs(coco.getImgIds())
    assert len(images) == 3 and all((i["width"], i["height"]) == (1600, 1200) for i in images)
    for image in images:  # every image file is there, decoded at full size
        assert len(list(out.rglob(image["file_name"]))) == 1
    assert coco.loadAnns(coco.getAnnIds())[0]["bbox"] == [400.0, 300.0, 500.0, 400.0]
    assert os.path.getsize(next(out.rglob("*.jpg"))) > 10_000
