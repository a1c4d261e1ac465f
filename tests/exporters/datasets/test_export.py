from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from gazeport.errors import ExportError
from gazeport.exporters.datasets.export import export_dataset
from gazeport.exporters.datasets.options import DatasetOptions, parse_split
from gazeport.labels.records import BoxRecord, ClassRecord, TaskRecord

CLASSES = [ClassRecord(2, "person"), ClassRecord(1, "car")]


def _tasks() -> list[TaskRecord]:
    return [
        TaskRecord(
            i,
            f"s{i % 3}/000",
            Path("/x"),
            "r",
            i,
            i,
            64,
            48,
            "reviewed",
            (BoxRecord(i, i, 1 + i % 2, "", 2, 3, 10, 8),),
        )
        for i in range(1, 10)
    ]


def _fake_images(reqs):  # type: ignore[no-untyped-def]
    for t, dest in reqs:
        cv2.imwrite(str(dest), np.zeros((t.height, t.width, 3), np.uint8))
    return {t.id: (t.width, t.height) for t, _ in reqs}


def test_yolo_export_then_incremental_keeps_ids(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    opts = DatasetOptions(format="yolo", split=parse_split("train=70,val=30"))
    r = export_dataset(_tasks(), CLASSES, {"name": "p"}, out, opts, _fake_images)
    assert r.tasks == 9 and len(r.added) == 9
    m1 = json.loads((out / "manifest.json").read_text())
    assert len(list(out.glob("images/*/*.jpg"))) == 9 == len(list(out.glob("labels/*/*.txt")))
    r2 = export_dataset(_tasks()[1:], CLASSES, {"name": "p"}, out, opts, _fake_images)
    m2 = json.loads((out / "manifest.json").read_text())
    assert r2.removed == [1] and r2.added == [] and r2.changed == []
    assert all(m2["image_ids"][k] == m1["image_ids"][k] for k in m2["splits"])
    assert all(m2["splits"][k] == m1["splits"][k] for k in m2["splits"])
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_refuses_foreign_folder_and_survives_crash(tmp_path: Path) -> None:
    foreign = tmp_path / "f"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("x")
    with pytest.raises(ExportError, match="not a gazeport dataset"):
        export_dataset(_tasks(), CLASSES, {}, foreign, DatasetOptions(format="coco"), _fake_images)
    assert [p.name for p in foreign.iterdir()] == ["thesis.docx"]
    out = tmp_path / "ds"
    export_dataset(_tasks(), CLASSES, {}, out, DatasetOptions(format="voc"), _fake_images)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def boom(reqs):  # type: ignore[no-untyped-def]
        raise RuntimeError("decoder died")

    with pytest.raises(RuntimeError):
        export_dataset(_tasks(), CLASSES, {}, out, DatasetOptions(format="voc"), boom)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == sorted(["f", "ds"]) or {
        p.name for p in tmp_path.iterdir()
    } == {"f", "ds"}


@pytest.mark.parametrize("fmt", ["coco", "voc"])
def test_globox_reads_the_same_pixel_boxes(tmp_path: Path, fmt: str) -> None:
    import globox

    out = tmp_path / "ds"
    export_dataset(_tasks(), CLASSES, {}, out, DatasetOptions(format=fmt), _fake_images)  # type: ignore[arg-type]
    if fmt == "coco":
        ann = globox.AnnotationSet.from_coco(out / "annotations" / "instances_train.json")
    else:
        ann = globox.AnnotationSet.from_pascal_voc(out / "Annotations")
    boxes = [b for a in ann for b in a.boxes]
    assert len(boxes) == 9
    assert all(b.ltrb == pytest.approx((2, 3, 12, 11)) for b in boxes)
