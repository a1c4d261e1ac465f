"""Importing model predictions (COCO results / annotations JSON, YOLO txt) as boxes to review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.label_factories import HEIGHT, WIDTH, candidates, recording

from gazeport.errors import CorruptFileError, LabelError
from gazeport.exporters.datasets.boxes import image_stems
from gazeport.labels import LabelStore, init_store
from gazeport.labels.predictions import TaskMatcher, yaml_names


@pytest.fixture
def store(tmp_path: Path):
    rec = recording(tmp_path, "recs/drive_01")
    with init_store(tmp_path / "s.sqlite", ["car", "person", "sign"]) as s:
        s.add_tasks(candidates(rec, [0, 30, 60]))  # tasks 1, 2, 3
        yield s


def _boxes(store: LabelStore) -> list[tuple]:
    return [
        (b.task_id, b.label, b.x, b.y, b.w, b.h, b.confidence, b.source, b.author)
        for t in store.tasks()
        for b in t.boxes
    ]


def test_coco_results_list(store: LabelStore, tmp_path: Path):
    path = tmp_path / "preds.json"
    path.write_text(json.dumps([
        {"image_id": 1, "category_id": 1, "bbox": [10.5, 20, 30, 40], "score": 0.91},
        {"image_id": 3, "category_id": 2, "bbox": [0, 0, 5, 5], "score": 0.4},
        {"image_id": 77, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.4},  # no such task
        {"image_id": 2, "category_id": 9, "bbox": [0, 0, 5, 5], "score": 0.4},  # no such class
        {"image_id": 2, "category_id": 1, "bbox": [0, 0, 0, 5], "score": 0.4},  # zero size
        {"image_id": 2, "category_id": 1, "score": 0.4},  # no bbox
    ]))  # fmt: skip
    report = store.import_predictions(path, "coco", source="model-v3")
    assert (report.imported, report.unmatched_images, report.invalid_boxes) == (2, 1, 2)
    assert report.unknown_classes == {"category 9": 1}
    assert _boxes(store) == [
        (1, "car", 10.5, 20, 30, 40, 0.91, "import", "model-v3"),
        (3, "person", 0, 0, 5, 5, 0.4, "import", "model-v3"),
    ]


def test_coco_results_with_an_export_manifest_and_merged_class(store: LabelStore, tmp_path: Path):
    (tmp_path / "manifest.json").write_text(json.dumps({"image_ids": {"2": 1, "3": 2}}))
    store.add_class("sedan")
    store.merge_classes(["sedan"], "car")
    path = tmp_path / "preds.json"
    path.write_text(json.dumps([{"image_id": 1, "category_id": 4, "bbox": [1, 2, 3, 4]}]))
    report = store.import_predictions(path, "coco")
    assert report.imported == 1
    assert _boxes(store) == [(2, "car", 1, 2, 3, 4, None, "import", "preds")]


def test_coco_annotations_file_matched_by_file_name(store: LabelStore, tmp_path: Path):
    stems = image_stems(store.tasks())
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({
        "images": [{"id": 10, "file_name": f"train/{stems[2]}.jpg"},
                   {"id": 11, "file_name": "unknown_000005.jpg"},
                   {"id": 12, "file_name": f"{stems[3]}.png"}],
        "categories": [{"id": 1, "name": "PERSON"}, {"id": 2, "name": "bus"}],
        "annotations": [{"id": 1, "image_id": 10, "category_id": 1, "bbox": [1, 1, 2, 2], "score": 1.2},
                        {"id": 2, "image_id": 11, "category_id": 1, "bbox": [1, 1, 2, 2]},
                        {"id": 3, "image_id": 12, "category_id": 2, "bbox": [1, 1, 2, 2]}],
    }))  # fmt: skip
    report = store.import_predictions(path, "coco", source="gt")
    assert (report.imported, report.unmatched_images) == (1, 1)
    assert report.unmatched_names == ["unknown_000005.jpg"]
    assert report.unknown_classes == {"bus": 1}
    assert _boxes(store) == [(2, "person", 1, 1, 2, 2, 1.0, "import", "gt")]


def test_stem_matching_agrees_with_the_exporter_for_colliding_folder_names(tmp_path: Path):
    recs = [recording(tmp_path, p) for p in ("a/000", "b/000", "c/x y", "d/x-y")]
    with init_store(tmp_path / "s.sqlite", ["car"]) as s:
        for r in recs:
            s.add_tasks(candidates(r, [0, 7]))
        tasks = s.tasks()
    match = TaskMatcher(tasks)
    for task_id, stem in image_stems(tasks).items():
        found = match.by_stem(stem)
        assert found is not None and found.id == task_id, stem
    assert match.by_stem("zzz_000000") is None


def _yolo_folder(store: LabelStore, tmp_path: Path, names_file: str | None) -> Path:
    folder = tmp_path / "runs" / "labels"
    folder.mkdir(parents=True)
    stems = image_stems(store.tasks())
    (folder / f"{stems[1]}.txt").write_text(
        "0 0.5 0.5 0.25 0.5 0.8\n2 0.1 0.1 0.1 0.1\n\n7 0.5 0.5 0.1 0.1\n1 0.5 0.5\n"
    )
    (folder / f"{stems[2]}.txt").write_text("")
    (folder / "other_000001.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    if names_file == "data.yaml":
        (tmp_path / "runs" / "data.yaml").write_text(
            'path: "/x"\nnames:\n  0: "car"\n  1: "person"\n  2: "sign"\nnc: 3\n'
        )
    elif names_file == "classes.txt":
        (folder / "classes.txt").write_text("car\nperson\nsign\n")
    return folder


@pytest.mark.parametrize("names_file", ["data.yaml", "classes.txt", None])
def test_yolo_txt_folder(store: LabelStore, tmp_path: Path, names_file: str | None):
    folder = _yolo_folder(store, tmp_path, names_file)
    report = store.import_predictions(folder, "yolo", source="yolo11n")
    assert (report.imported, report.unmatched_images, report.invalid_boxes) == (2, 1, 1)
    assert report.unknown_classes == {"class index 7": 1}
    assert _boxes(store) == [
        (
            1,
            "car",
            0.375 * WIDTH,
            0.25 * HEIGHT,
            0.25 * WIDTH,
            0.5 * HEIGHT,
            0.8,
            "import",
            "yolo11n",
        ),
        (
            1,
            "sign",
            0.05 * WIDTH,
            0.05 * HEIGHT,
            0.1 * WIDTH,
            0.1 * HEIGHT,
            None,
            "import",
            "yolo11n",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('names:\n  0: "car"\n  1: "a, \\"b\\""\n', ["car", 'a, "b"']),
        ("names:\n- car\n- 'it''s'\ntrain: x\n", ["car", "it's"]),
        ("names: [car, 'two words', \"x\"]\n", ["car", "two words", "x"]),
        ("names: {1: person, 0: car}\n", ["car", "person"]),
        ("nc: 2\n", None),
    ],
    ids=["index-map", "block-list", "inline-list", "inline-map", "none"],
)
def test_yaml_names(text: str, names: list[str] | None):
    assert yaml_names(text) == names


def test_bad_prediction_files(store: LabelStore, tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CorruptFileError, match=r"bad\.json"):
        store.import_predictions(bad, "coco")
    other = tmp_path / "other.json"
    other.write_text('{"foo": 1}')
    with pytest.raises(CorruptFileError, match="neither a COCO"):
        store.import_predictions(other, "coco")
    with pytest.raises(LabelError, match="not coco or yolo"):
        store.import_predictions(other, "voc")
    with pytest.raises(LabelError, match="do not exist"):
        store.import_predictions(tmp_path / "missing.json", "coco")
    assert _boxes(store) == []


@pytest.mark.parametrize("fmt", ["coco", "yolo"])
def test_round_trip_through_gazeports_own_export(tmp_path: Path, fmt: str):
    """Export with the dataset writers, import the files back: the same boxes on the same tasks."""
    from gazeport.datasets import DatasetOptions, export_dataset

    def make(db: Path) -> LabelStore:
        s = init_store(db, ["car", "person"])
        s.add_tasks(candidates(recording(tmp_path, "a/000"), [0, 5], recording_id="A"))
        s.add_tasks(candidates(recording(tmp_path, "b/000"), [0], recording_id="B"))
        return s

    with make(tmp_path / "gt.sqlite") as gt, make(tmp_path / "new.sqlite") as new:
        gt.add_box(1, "car", 10.25, 20, 30, 40.5)
        gt.add_box(3, "person", 1, 2, 3, 4)
        gt.add_box(3, "car", 1550, 1150, 99, 99)  # clipped by the export to 1600x1200
        out = tmp_path / "out"
        options = DatasetOptions(format=fmt, include_images=False, split={"train": 0.5, "val": 0.5})
        export_dataset(gt.tasks(), gt.classes(), {"name": "x"}, out, options)
        if fmt == "coco":
            for part in sorted((out / "annotations").glob("*.json")):
                assert new.import_predictions(part, "coco").unmatched_images == 0
        else:
            report = new.import_predictions(out / "labels", "yolo")
            assert (report.unmatched_images, report.unknown_classes) == (0, {})
        got = [(b.task_id, b.label, b.x, b.y, b.w, b.h) for t in new.tasks() for b in t.boxes]
    want = [
        (1, "car", 10.25, 20, 30, 40.5),
        (3, "person", 1, 2, 3, 4),
        (3, "car", 1550, 1150, 50, 50),
    ]
    tol = 1e-9 if fmt == "coco" else 1e-3  # YOLO keeps 6 decimals of the normalised values
    assert sorted(got) == [(t, n, *(pytest.approx(v, abs=tol) for v in xywh))
                           for t, n, *xywh in sorted(want)]  # fmt: skip
