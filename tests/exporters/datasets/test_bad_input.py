"""Bad input for the writers (scope item 9): hostile class names and recording paths never reach a
file name nor break a format; boxes outside the image are clipped, zero-size or non-finite ones
dropped, failed frames skipped, each counted in the report; classes differing only in case stay
apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from gazeport.exporters.datasets.export import export_dataset
from gazeport.exporters.datasets.options import DatasetOptions
from gazeport.labels.records import ClassRecord

from .dataset_factories import ImageWriter, task
from .dataset_oracles import check_coco, check_voc, check_yolo

HOSTILE = [
    "a/b",
    "../../etc/passwd",
    "..",
    "/abs",
    'say "hi"',
    "it's",
    "one, two",
    "<tag> & </tag>",
    "]]>",
    "Ünïcode ✓ 日本",
    "",
    "- item",
    "key: value",
    "#comment",
    "line\nbreak",
    "tab\there",
    "nel\x85 ls\u2028 ps\u2029",
    "bom\ufeff del\x7f",
    "=1+2",
    "emoji 🚗",
]
CLASSES = [ClassRecord(i + 1, n) for i, n in enumerate(HOSTILE)]
SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
RECORDINGS = ["../../outside/000", "/abs/olute/rec", "Ünï cødé/000", "a b/c;d/000", "..", ""]


def _tasks() -> list:  # type: ignore[type-arg]
    out = []
    for i, c in enumerate(CLASSES):
        rec = RECORDINGS[i % len(RECORDINGS)]
        out.append(task(i + 1, rec, frame=i, boxes=((c.id, 1, 2, 10, 8),)))
    return out


def _export(tmp_path: Path, fmt: str, **kw: object) -> Path:
    out = tmp_path / "nest" / "ds"
    opts = DatasetOptions(format=fmt, **kw)  # type: ignore[arg-type]
    r = export_dataset(_tasks(), CLASSES, {"name": 'P "x" <y>'}, out, opts, ImageWriter())
    assert r.tasks == len(HOSTILE) and r.boxes == len(HOSTILE)
    # nothing outside the dataset folder; every file name made of safe characters
    assert [p.name for p in tmp_path.rglob("*") if out not in (p, *p.parents)] == ["nest"]
    for p in out.rglob("*"):
        assert SAFE_NAME.match(p.name), p
    return out


def test_coco_keeps_every_name(tmp_path: Path) -> None:
    out = _export(tmp_path, "coco")
    check_coco(out)
    doc = json.loads((out / "annotations" / "instances_train.json").read_text("utf-8"))
    assert [c["name"] for c in doc["categories"]] == HOSTILE
    assert len({im["file_name"] for im in doc["images"]}) == len(HOSTILE)


def test_yolo_yaml_quotes_every_name(tmp_path: Path) -> None:
    out = _export(tmp_path, "yolo")
    check_yolo(out)
    data = yaml.safe_load((out / "data.yaml").read_text("utf-8"))
    assert data["names"] == dict(enumerate(HOSTILE))
    # the document is one mapping of known keys, whatever the names held
    assert set(data) == {"train", "val", "nc", "names"}
    lines = (out / "classes.txt").read_text("utf-8").split("\n")[:-1]
    assert len(lines) == len(HOSTILE) and lines[14] == "line break"


def test_yaml_absolute_path_names_the_final_folder(tmp_path: Path) -> None:
    out = _export(tmp_path, "yolo", absolute_paths=True)
    data = yaml.safe_load((out / "data.yaml").read_text("utf-8"))
    assert data["path"] == str(out.resolve())
    check_yolo(out)


def test_voc_escapes_names(tmp_path: Path) -> None:
    out = _export(tmp_path, "voc")
    got = check_voc(out)
    names = sorted(b[0] for boxes in got.values() for b in boxes)
    assert names == sorted(HOSTILE)


def test_voc_replaces_characters_xml_cannot_hold(tmp_path: Path) -> None:
    classes = [ClassRecord(1, "bell\x07 nul\x00")]
    out = tmp_path / "ds"
    export_dataset([task(1)], classes, {}, out, DatasetOptions(format="voc"), ImageWriter())
    got = check_voc(out)
    assert [b[0] for b in got["000_000001"]] == ["bell\ufffd nul\ufffd"]


def test_csv_quotes_and_guards_formulas(tmp_path: Path) -> None:
    out = _export(tmp_path, "csv")
    df = pd.read_csv(out / "annotations.csv", keep_default_na=False)
    want = ["'" + n if n[:1] in "=+-@\t\r" and n else n for n in HOSTILE]
    assert df.sort_values("object_id")["label"].tolist() == want
    assert df["recording"].tolist()[:2] == ["../../outside/000", "/abs/olute/rec"]


def test_json_keeps_every_name(tmp_path: Path) -> None:
    out = _export(tmp_path, "json")
    doc = json.loads((out / "annotations.json").read_text("utf-8"))
    assert [t["annotations"][0]["label"] for t in doc["tasks"]] == HOSTILE
    assert doc["project"]["name"] == 'P "x" <y>'


@pytest.mark.parametrize("fmt", ["coco", "yolo", "voc", "csv", "json"])
def test_boxes_outside_zero_size_and_failed_frames_are_reported(tmp_path: Path, fmt: str) -> None:
    classes = [ClassRecord(1, "car")]
    nan = float("nan")
    tasks = [
        task(1, boxes=((1, 60, 40, 10, 10), (1, -3, 5, 10, 10), (1, 2, 2, 5, 5))),
        task(2, boxes=((1, 100, 100, 5, 5), (1, 5, 5, 0, 4), (1, 5, 5, -3, 4))),
        task(3, boxes=((1, nan, 1, 2, 2), (1, 1, 1, float("inf"), 2))),
        task(4),
    ]
    out = tmp_path / "ds"
    r = export_dataset(tasks, classes, {}, out, DatasetOptions(format=fmt), ImageWriter(fail={4}))
    assert (r.clipped, r.clipped_boxes) == (2, [10, 11])
    assert (r.dropped_zero_size, sorted(r.dropped_boxes)) == (5, [20, 21, 22, 30, 31])
    assert (r.failed_images, r.dropped["image_failed"]) == ([4], 1)
    assert r.tasks == 3 and r.boxes == 3
    text = "".join(
        p.read_text("utf-8")
        for p in out.rglob("*")
        if p.suffix in (".json", ".csv", ".txt", ".xml")
    )
    assert not re.search(r"\b(nan|inf|infinity)\b", text, re.I)
    if fmt == "yolo":
        check_yolo(out)
    elif fmt == "voc":
        check_voc(out)
    elif fmt == "coco":
        check_coco(out)


def test_classes_differing_only_in_case_stay_apart(tmp_path: Path) -> None:
    classes = [ClassRecord(1, "Car"), ClassRecord(2, "car"), ClassRecord(3, "CAR")]
    tasks = [task(i, boxes=((i, 1, 1, 5, 5),)) for i in (1, 2, 3)]
    out = tmp_path / "y"
    export_dataset(tasks, classes, {}, out, DatasetOptions(format="yolo"), ImageWriter())
    data = yaml.safe_load((out / "data.yaml").read_text("utf-8"))
    assert data["names"] == {0: "Car", 1: "car", 2: "CAR"}
    rows = check_yolo(out)["train"]
    assert sorted(b[0] for boxes in rows.values() for b in boxes) == ["CAR", "Car", "car"]
    out = tmp_path / "c"
    opts = DatasetOptions(format="coco", labels=("car",))
    export_dataset(tasks, classes, {}, out, opts, ImageWriter())
    doc = json.loads((out / "annotations" / "instances_train.json").read_text("utf-8"))
    assert [a["category_id"] for a in doc["annotations"]] == [2]
    assert [c["name"] for c in doc["categories"]] == ["Car", "car", "CAR"]
