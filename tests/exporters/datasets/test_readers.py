"""Whole exports read back by independent readers (pycocotools + COCOeval, the Ultralytics-rule
YOLO checker + PyYAML, the VOC XSD via xmlschema, globox, pandas): the boxes survive to the pixel,
on non-square frames in both orientations, with clipped, background and odd-label cases."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from gazeport.exporters.datasets.export import export_dataset
from gazeport.exporters.datasets.options import DatasetOptions, parse_split
from gazeport.labels.records import ClassRecord, TaskRecord

from .dataset_factories import ImageWriter, task
from .dataset_oracles import check_coco, check_voc, check_yolo

CLASSES = [
    ClassRecord(1, "car"),
    ClassRecord(2, "Car"),
    ClassRecord(4, 'sign, "stop" <&>'),
    ClassRecord(5, "Fußgänger ✓"),
]
NAMES = {c.id: c.name for c in CLASSES}


def _study() -> list[TaskRecord]:
    out = []
    for i in range(1, 13):
        w, h = (192, 108) if i % 2 else (108, 192)
        boxes: tuple[tuple[int, float, float, float, float], ...] = (
            (1 if i % 3 else 2, 10.25 + i, 20.5, 30.75, 15.5),
            (5, w - 20.4, h - 10.6, 40, 40),  # leaves the image: clipped
            (4, -5, -5, 12.6, 9.2),  # starts outside
        )
        if i % 4 == 0:
            boxes = ()  # background frame
        out.append(task(i, f"rec{i % 4}/000", boxes=boxes, width=w, height=h))
    return out


def _expected(tasks: list[TaskRecord], rounded: bool = False) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """The stems' boxes clipped to the frame by the test itself, (label, x0, y0, x1, y1)."""
    out = {}
    for t in tasks:
        stem = f"{t.recording.replace('/', '_')}_{t.frame_index:06d}"
        boxes = []
        for b in t.boxes:
            x0, y0 = max(b.x, 0), max(b.y, 0)
            x1, y1 = min(b.x + b.w, t.width), min(b.y + b.h, t.height)
            if rounded:
                x0, y0, x1, y1 = (math.floor(v + 0.5) for v in (x0, y0, x1, y1))
            boxes.append((NAMES[b.class_id], x0, y0, x1, y1))
        out[stem] = sorted(boxes)
    return out


def _same(got: dict[str, list[tuple]], want: dict[str, list[tuple]], tol: float) -> None:  # type: ignore[type-arg]
    assert set(got) == set(want)
    for stem, boxes in want.items():
        g = sorted(got[stem])
        assert [b[0] for b in g] == [b[0] for b in boxes], stem
        for gb, wb in zip(g, boxes, strict=True):
            assert gb[1:] == pytest.approx(wb[1:], abs=tol), stem


def _export(tmp_path: Path, fmt: str, **kw: object) -> Path:
    out = tmp_path / fmt
    opts = DatasetOptions(format=fmt, split=parse_split("train=50,val=25,test=25"), seed=2, **kw)  # type: ignore[arg-type]
    r = export_dataset(_study(), CLASSES, {"name": "readers"}, out, opts, ImageWriter())
    assert r.tasks == 12 and r.clipped == 18 and set(r.splits) == {"train", "val", "test"}
    return out


def test_coco_pycocotools_ap_one_and_globox(tmp_path: Path) -> None:
    import globox

    out = _export(tmp_path, "coco")
    got = check_coco(out)
    _same({k.rsplit(".", 1)[0]: v for k, v in got.items()}, _expected(_study()), 1e-9)
    ann = []
    for f in sorted((out / "annotations").glob("*.json")):
        ann += list(globox.AnnotationSet.from_coco(f))
    gb = {a.image_id.rsplit(".", 1)[0]: [(b.label, *b.ltrb) for b in a.boxes] for a in ann}
    _same(gb, _expected(_study()), 1e-6)


def test_yolo_ultralytics_rules_and_globox(tmp_path: Path) -> None:
    import globox

    out = _export(tmp_path, "yolo")
    per_split = check_yolo(out)
    got = {stem: boxes for split in per_split.values() for stem, boxes in split.items()}
    _same(got, _expected(_study()), 0.01)
    names = [c.name for c in sorted(CLASSES, key=lambda c: c.id)]
    gb = {}
    for split in per_split:
        for a in globox.AnnotationSet.from_yolo_v5(
            out / "labels" / split, image_folder=out / "images" / split
        ):
            gb[a.image_id.rsplit(".", 1)[0]] = [(names[int(b.label)], *b.ltrb) for b in a.boxes]
    _same(gb, _expected(_study()), 0.01)


def test_voc_xsd_every_xml_and_globox(tmp_path: Path) -> None:
    import globox

    out = _export(tmp_path, "voc")
    got = check_voc(out)
    assert len(got) == 12 and sum(1 for b in got.values() if not b) == 3
    _same(got, _expected(_study(), rounded=True), 0)
    ann = globox.AnnotationSet.from_pascal_voc(out / "Annotations")
    gb = {a.image_id.rsplit(".", 1)[0]: [(b.label, *b.ltrb) for b in a.boxes] for a in ann}
    _same(gb, _expected(_study(), rounded=True), 0)


def test_the_xsd_rejects_what_it_should(tmp_path: Path) -> None:
    import xmlschema

    from .dataset_oracles import XSD

    out = _export(tmp_path, "voc")
    schema = xmlschema.XMLSchema(XSD)
    xml = (out / "Annotations" / "rec1_000_000001.xml").read_text("utf-8")
    assert schema.is_valid(xml)
    bad_ones = [
        re.sub(r"<xmin>\d+</xmin>", "<xmin>-1</xmin>", xml, count=1),
        xml.replace("<difficult>0</difficult>", "<difficult>2</difficult>", 1),
        xml.replace("</xmax>", ".5</xmax>", 1),
        xml.replace("<pose>Unspecified</pose>", "", 1),
        xml.replace(".jpg</filename>", "/../x.jpg</filename>"),
        re.sub(r"<size>.*</size>", "", xml, flags=re.S),
    ]
    for bad in bad_ones:
        assert bad != xml and not schema.is_valid(bad)


@pytest.mark.parametrize("coords", ["absolute", "normalized"])
def test_csv_pandas(tmp_path: Path, coords: str) -> None:
    out = _export(tmp_path, "csv", coords=coords)
    df = pd.read_csv(out / "annotations.csv", keep_default_na=False)
    assert df["object_id"].is_unique and len(df) == 27
    sx = df["image_width"] if coords == "normalized" else 1
    sy = df["image_height"] if coords == "normalized" else 1
    got: dict[str, list[tuple]] = {}  # type: ignore[type-arg]
    for r in df.assign(
        x0=df.x_min * sx, y0=df.y_min * sy, x1=df.x_max * sx, y1=df.y_max * sy
    ).itertuples():
        got.setdefault(r.image_name.rsplit(".", 1)[0], []).append((r.label, r.x0, r.y0, r.x1, r.y1))
    want = {k: v for k, v in _expected(_study()).items() if v}
    _same(got, want, 1e-9)


def test_json_stats_block(tmp_path: Path) -> None:
    out = _export(tmp_path, "json")
    doc = json.loads((out / "annotations.json").read_text("utf-8"))
    st = doc["stats"]
    assert st["tasks"] == 12 and st["boxes"] == 27
    assert st["tasks_per_status"] == {"reviewed": 12} and st["boxes_per_status"] == {"reviewed": 27}
    assert st["boxes_per_class"] == {"car": 6, "Car": 3, 'sign, "stop" <&>': 9, "Fußgänger ✓": 9}
    assert st["tasks_per_class"]["Car"] == 3 and st["empty_tasks"] == 3
    assert st["tasks_per_recording"] == {f"rec{i}/000": 3 for i in range(4)}
    assert st["boxes_per_recording"]["rec0/000"] == 0
    assert sum(st["tasks_per_split"].values()) == 12
    sizes = st["box_sizes"]
    assert sizes["count"] == 27 and 0 < sizes["min_area_px"] <= sizes["median_area_px"]
    assert sizes["max_width_px"] == pytest.approx(30.75)
    assert st["clipped_boxes"] == 18
