"""The format writers read back by independent readers (pycocotools, PyYAML + a YOLO checker,
ElementTree, pandas, globox)."""

from __future__ import annotations

import contextlib
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
import yaml

from gazeport.exporters.datasets.boxes import (
    ClassMap,
    ClipReport,
    ImageItem,
    clip_boxes,
    image_stems,
)
from gazeport.exporters.datasets.coco import write_coco
from gazeport.exporters.datasets.csv_format import write_csv
from gazeport.exporters.datasets.json_format import write_json
from gazeport.exporters.datasets.voc import write_image_sets, write_voc_xml
from gazeport.exporters.datasets.yolo import write_yolo_label, write_yolo_meta
from gazeport.labels.records import BoxRecord, ClassRecord, TaskRecord

CLASSES = [
    ClassRecord(3, "b/../x"),
    ClassRecord(1, 'car, "red" <&>'),
    ClassRecord(7, "Ünïcode"),
    ClassRecord(8, "ünïcode"),
]


def _task(
    tid: int,
    rec: str,
    frame: int,
    boxes: list[tuple[int, float, float, float, float]],
    w: int = 640,
    h: int = 480,
) -> TaskRecord:
    bx = tuple(
        BoxRecord(tid * 100 + i, tid, c, "", x, y, bw, bh, tags=("a,b", '"q"'))
        for i, (c, x, y, bw, bh) in enumerate(boxes)
    )
    return TaskRecord(
        tid, rec, Path("/nowhere") / rec, f"id{tid}", frame, 10**18 + frame, w, h, "reviewed", bx
    )


def _items() -> tuple[list[ImageItem], ClipReport]:
    tasks = [
        _task(1, "a/000", 5, [(1, 100, 200, 150, 100), (3, 600, 400, 100, 100)]),
        _task(2, "b/000", 5, [(7, -10, -10, 30, 20), (8, 700, 10, 5, 5)], 480, 640),
        _task(3, "b/000", 6, []),
    ]
    stems = image_stems(tasks)
    rep = ClipReport()
    items = []
    aid = 1
    for i, t in enumerate(tasks, 1):
        boxes = clip_boxes(t.boxes, t.width, t.height, rep)
        numbered = []
        for b in boxes:
            numbered.append(type(b)(b.box, b.x, b.y, b.w, b.h, b.clipped, aid))
            aid += 1
        items.append(
            ImageItem(
                t, stems[t.id], t.width, t.height, "train", tuple(numbered), i, stems[t.id] + ".jpg"
            )
        )
    return items, rep


def test_clipping_and_stems() -> None:
    items, rep = _items()
    assert rep.clipped == 2 and rep.dropped_zero_size == 1
    assert [it.stem for it in items] == ["a_000_000005", "b_000_000005", "b_000_000006"]
    b = items[0].boxes[1]
    assert (b.x, b.y, b.w, b.h, b.clipped) == (600, 400, 40, 80, True)


def test_coco_reads_back_with_ap_one(tmp_path: Path) -> None:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    items, _ = _items()
    cm = ClassMap.from_records(CLASSES)
    path = write_coco(tmp_path, "train", items, cm, "t")
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(path))
        res = [
            dict(image_id=a["image_id"], category_id=a["category_id"], bbox=a["bbox"], score=1.0)
            for a in gt.dataset["annotations"]
        ]
        dt = gt.loadRes(res)
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)
    assert [c["id"] for c in gt.dataset["categories"]] == [1, 3, 7, 8]
    assert gt.anns[1]["bbox"] == [100, 200, 150, 100] and gt.anns[1]["area"] == 15000


def _check_yolo(root: Path, nc: int) -> dict[str, list[list[float]]]:
    """Ultralytics' label rules (spec §2.2): 5 columns, class < nc, values in [0, 1], w, h >= 0."""
    out = {}
    for txt in sorted((root / "labels" / "train").glob("*.txt")):
        rows = [
            list(map(float, ln.split())) for ln in txt.read_text("utf-8").splitlines() if ln.strip()
        ]
        for r in rows:
            assert len(r) == 5 and r[0] == int(r[0]) and 0 <= r[0] < nc
            assert all(0 <= v <= 1 for v in r[1:])
        out[txt.stem] = rows
    return out


def test_yolo_layout_and_yaml(tmp_path: Path) -> None:
    items, _ = _items()
    cm = ClassMap.from_records(CLASSES)
    for it in items:
        write_yolo_label(tmp_path, it, cm)
    write_yolo_meta(tmp_path, ["train"], cm, absolute=False)
    data = yaml.safe_load((tmp_path / "data.yaml").read_text("utf-8"))
    assert data["names"] == {0: 'car, "red" <&>', 1: "b/../x", 2: "Ünïcode", 3: "ünïcode"}
    assert "path" not in data and data["nc"] == 4
    rows = _check_yolo(tmp_path, data["nc"])
    assert rows["b_000_000006"] == []
    cls, cx, cy, w, h = rows["a_000_000005"][0]
    assert cls == 0
    assert (
        round((cx - w / 2) * 640) == 100
        and round(w * 640) == 150
        and round(h * 480) == 100
        and round((cy - h / 2) * 480) == 200
    )


def test_voc_every_image_and_escaping(tmp_path: Path) -> None:
    items, _ = _items()
    cm = ClassMap.from_records(CLASSES)
    for it in items:
        write_voc_xml(tmp_path, it, cm)
    write_image_sets(tmp_path, items)
    assert (tmp_path / "ImageSets/Main/train.txt").read_text().split() == [it.stem for it in items]
    root = ET.parse(tmp_path / "Annotations/a_000_000005.xml").getroot()
    obj = root.findall("object")
    assert obj[0].findtext("name") == 'car, "red" <&>' and obj[0].findtext("truncated") == "0"
    assert [obj[0].findtext(f"bndbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")] == [
        "100",
        "200",
        "250",
        "300",
    ]
    assert obj[1].findtext("truncated") == "1" and obj[1].findtext("pose") == "Unspecified"
    assert ET.parse(tmp_path / "Annotations/b_000_000006.xml").getroot().findall("object") == []


def test_csv_quoting_and_json(tmp_path: Path) -> None:
    items, _ = _items()
    cm = ClassMap.from_records(CLASSES)
    df = pd.read_csv(write_csv(tmp_path / "a.csv", items, cm), keep_default_na=False)
    assert list(df.columns[:10]) == [
        "image_id",
        "image_name",
        "object_id",
        "label",
        "x_min",
        "y_min",
        "x_max",
        "y_max",
        "width",
        "height",
    ]
    assert df.loc[0, "label"] == 'car, "red" <&>' and json.loads(df.loc[0, "tags"]) == [
        "a,b",
        '"q"',
    ]
    assert (df.loc[0, "x_min"], df.loc[0, "x_max"], df.loc[0, "width"]) == (100, 250, 150)
    n = pd.read_csv(write_csv(tmp_path / "n.csv", items, cm, "normalized"))
    assert n.loc[0, "x_min"] * n.loc[0, "image_width"] == pytest.approx(100)
    doc = json.loads(write_json(tmp_path / "a.json", items, cm, {"name": "p"}).read_text("utf-8"))
    assert doc["tasks"][0]["annotations"][0]["bbox"] == {
        "x": 100,
        "y": 200,
        "width": 150,
        "height": 100,
    }
    assert doc["stats"]["boxes"] == 3 and doc["stats"]["tasks"] == 3
