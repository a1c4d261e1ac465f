"""Incremental exports: nothing changed → nothing touched; only what changed is written; ids,
splits and file names stay; a crash or Ctrl-C leaves the old dataset whole."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from gazeport.errors import ExportError
from gazeport.exporters.datasets.export import export_dataset
from gazeport.exporters.datasets.options import DatasetOptions, parse_split

from .dataset_factories import CLASSES, ImageWriter, moved_box, snapshot, task, tasks

SPLIT = parse_split("train=60,val=20,test=20")


def _opts(fmt: str = "yolo", **kw: object) -> DatasetOptions:
    return DatasetOptions(format=fmt, split=SPLIT, incremental=True, **kw)  # type: ignore[arg-type]


def _manifest(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "manifest.json").read_text("utf-8"))


@pytest.mark.parametrize("fmt", ["coco", "yolo", "voc", "csv", "json"])
def test_nothing_changed_leaves_the_folder_untouched(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "ds"
    first = ImageWriter()
    r1 = export_dataset(tasks(), CLASSES, {"name": "p"}, out, _opts(fmt), first)
    assert r1.full_rewrite and sorted(first.asked) == list(range(1, 10))
    before = snapshot(out)
    again = ImageWriter()
    r2 = export_dataset(tasks(), CLASSES, {"name": "p"}, out, _opts(fmt), again)
    assert r2.unchanged and again.calls == []
    assert (r2.added, r2.changed, r2.removed) == ([], [], [])
    assert r2.tasks == 9 and r2.boxes == 9
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_added_changed_removed_touch_only_their_files(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    export_dataset(tasks(), CLASSES, {"name": "p"}, out, _opts(), ImageWriter())
    m1 = _manifest(out)
    before = snapshot(out)
    new = [t for t in tasks() if t.id != 4]
    new = [moved_box(t, 5) if t.id == 7 else t for t in new]
    new.append(task(10, "s1/000"))
    w = ImageWriter()
    r = export_dataset(new, CLASSES, {"name": "p"}, out, _opts(), w)
    assert (r.added, r.changed, r.removed) == ([10], [7], [4]) and not r.full_rewrite
    assert w.asked == [10]  # task 7's frame is already there: not decoded again
    assert (r.images_written, r.images_reused) == (1, 8)
    m2 = _manifest(out)
    after = snapshot(out)
    files = m2["files"]
    for tid in (1, 2, 3, 5, 6, 8, 9):  # unchanged: same inode, same mtime
        assert after[files[str(tid)]["image"]] == before[files[str(tid)]["image"]]
        assert after[files[str(tid)]["labels"]] == before[files[str(tid)]["labels"]]
    assert after[files["7"]["image"]] == before[files["7"]["image"]]
    assert after[files["7"]["labels"]] != before[files["7"]["labels"]]
    assert m1["files"]["4"]["image"] not in after and "4" not in files
    # ids and splits stay; the removed task's image id is not given to the new task
    for k in files:
        if k != "10":
            assert m2["image_ids"][k] == m1["image_ids"][k]
            assert m2["splits"][k] == m1["splits"][k]
    assert m2["image_ids"]["10"] == 10 and m2["last_run"]["removed"] == [4]
    assert m2["last_run"]["added"] == [10] and m2["last_run"]["changed"] == [7]
    # the new task of recording s1 joins that recording's split
    assert m2["splits"]["10"] == m2["splits"]["1"]
    # the shared files whose content did not change keep their inode
    assert after["classes.txt"] == before["classes.txt"]
    assert after["data.yaml"] == before["data.yaml"]
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_status_change_rewrites_no_bytes_that_stay_equal(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    export_dataset(tasks(), CLASSES, {}, out, _opts(), ImageWriter())
    before = snapshot(out)
    new = [dataclasses.replace(t, status="finished") if t.id == 2 else t for t in tasks()]
    w = ImageWriter()
    r = export_dataset(new, CLASSES, {}, out, _opts(), w)
    assert r.changed == [2] and w.calls == []
    after = snapshot(out)
    # YOLO holds no status: every file but the manifest is the old one (folders are new)
    files = [k for k in after if (out / k).is_file()]
    assert {k for k in files if after[k] != before.get(k)} == {"manifest.json"}


def test_a_deleted_image_is_decoded_again(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    export_dataset(tasks(), CLASSES, {}, out, _opts("voc"), ImageWriter())
    img = out / _manifest(out)["files"]["5"]["image"]
    img.unlink()
    w = ImageWriter()
    r = export_dataset(tasks(), CLASSES, {}, out, _opts("voc"), w)
    assert w.asked == [5] and img.is_file() and not r.unchanged


def test_an_option_that_shapes_every_file_rewrites_everything(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    export_dataset(tasks(), CLASSES, {}, out, _opts(), ImageWriter())
    w = ImageWriter()
    r = export_dataset(tasks(), CLASSES, {}, out, _opts(image_format="png"), w)
    assert r.full_rewrite and sorted(w.asked) == list(range(1, 10))
    assert sorted(r.changed) == list(range(1, 10))
    assert not list(out.rglob("*.jpg")) and len(list(out.rglob("*.png"))) == 9


def test_without_incremental_everything_is_rewritten_but_ids_stay(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    export_dataset(tasks(), CLASSES, {}, out, _opts("coco"), ImageWriter())
    m1 = _manifest(out)
    before = snapshot(out)
    w = ImageWriter()
    full = dataclasses.replace(_opts("coco"), incremental=False)
    r = export_dataset(tasks()[2:], CLASSES, {}, out, full, w)
    assert r.full_rewrite and sorted(w.asked) == list(range(3, 10))
    after = snapshot(out)
    assert all(after[k][0] != before[k][0] for k in after if k.endswith(".jpg"))
    m2 = _manifest(out)
    assert all(m2["image_ids"][k] == m1["image_ids"][k] for k in m2["files"])
    assert all(m2["splits"][k] == m1["splits"][k] for k in m2["files"])


@pytest.mark.parametrize("exc", [RuntimeError("decoder died"), KeyboardInterrupt()])
@pytest.mark.parametrize("incremental", [True, False])
def test_a_crash_leaves_the_old_dataset_whole(
    tmp_path: Path, exc: BaseException, incremental: bool
) -> None:
    out = tmp_path / "ds"
    export_dataset(tasks(), CLASSES, {}, out, _opts(), ImageWriter())
    before = snapshot(out)
    new = [*tasks(), task(10), task(11)]
    opts = dataclasses.replace(_opts(), incremental=incremental)
    with pytest.raises(type(exc)):
        export_dataset(new, CLASSES, {}, out, opts, ImageWriter(raise_exc=exc))
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_first_export_crash_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    with pytest.raises(KeyboardInterrupt):
        export_dataset(
            tasks(), CLASSES, {}, out, _opts(), ImageWriter(raise_exc=KeyboardInterrupt())
        )
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.docx").write_text("x")
    for incremental in (True, False):
        opts = dataclasses.replace(_opts(), incremental=incremental)
        with pytest.raises(ExportError, match=r"^The folder .*thesis exists already and is not a"):
            export_dataset(tasks(), CLASSES, {}, foreign, opts, ImageWriter())
    assert [p.name for p in foreign.iterdir()] == ["chapter1.docx"]
    (foreign / "manifest.json").write_text('{"generator": "somebody else"}')
    with pytest.raises(ExportError, match="not a gazeport dataset"):
        export_dataset(tasks(), CLASSES, {}, foreign, _opts(), ImageWriter())
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        export_dataset(tasks(), CLASSES, {}, a_file, _opts(), ImageWriter())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "thesis"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_dataset(tasks(), CLASSES, {}, empty, _opts(), ImageWriter()).tasks == 9


def test_file_names_stay_when_a_colliding_recording_is_added(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    export_dataset([task(1, "a/000"), task(2, "a/000")], CLASSES, {}, out, _opts(), ImageWriter())
    names = {p.name for p in out.rglob("*.jpg")}
    assert names == {"000_000001.jpg", "000_000002.jpg"}
    w = ImageWriter()
    r = export_dataset(
        [task(1, "a/000"), task(2, "a/000"), task(3, "b/000", frame=1)],
        CLASSES,
        {},
        out,
        _opts(),
        w,
    )
    assert r.added == [3] and w.asked == [3]
    assert names < {p.name for p in out.rglob("*.jpg")}
    assert {p.stem for p in out.rglob("*.jpg")} == {p.stem for p in out.rglob("*.txt")} - {
        "classes"
    }


def test_a_failed_image_is_skipped_reported_and_retried(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    r = export_dataset(tasks(), CLASSES, {}, out, _opts("voc"), ImageWriter(fail={3}))
    assert r.failed_images == [3] and r.dropped["image_failed"] == 1 and r.tasks == 8
    assert len(list(out.glob("JPEGImages/*"))) == 8 == len(list(out.glob("Annotations/*.xml")))
    assert "3" not in _manifest(out)["files"]
    w = ImageWriter()
    r2 = export_dataset(tasks(), CLASSES, {}, out, _opts("voc"), w)
    assert w.asked == [3] and r2.added == [3] and r2.tasks == 9


def test_shared_changes_relink_every_task_file(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    export_dataset(tasks(), CLASSES, {"name": "p"}, out, _opts("coco"), ImageWriter())
    before = snapshot(out)
    w = ImageWriter()
    r = export_dataset(tasks(), CLASSES, {"name": "renamed"}, out, _opts("coco"), w)
    assert not r.unchanged and w.calls == [] and r.images_reused == 9
    after = snapshot(out)
    changed = {k for k in after if (out / k).is_file() and after[k] != before.get(k)}
    # the project name is in every COCO file's info block, nowhere else
    assert changed == {"manifest.json"} | {
        f"annotations/instances_{s}.json" for s in _manifest(out)["splits"].values()
    }
    again = export_dataset(tasks(), CLASSES, {"name": "renamed"}, out, _opts("coco"), w)
    assert again.unchanged


def test_a_removed_class_renumbers_yolo_labels(tmp_path: Path) -> None:
    from .dataset_oracles import check_yolo

    out = tmp_path / "ds"
    export_dataset(tasks(), CLASSES, {}, out, _opts(), ImageWriter())
    # class 1 (car, YOLO index 0) deleted in the store: its boxes go, person moves to index 0
    person_only = [
        dataclasses.replace(t, boxes=()) if t.boxes[0].class_id == 1 else t for t in tasks()
    ]
    rest = [c for c in CLASSES if c.id != 1]
    w = ImageWriter()
    r = export_dataset(person_only, rest, {}, out, _opts(), w)
    assert sorted(r.changed) == list(range(1, 10)) and w.calls == []
    got = check_yolo(out)
    labels = [b[0] for split in got.values() for boxes in split.values() for b in boxes]
    assert labels and set(labels) == {"person"}


def test_without_a_frame_writer_old_images_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    export_dataset(tasks(), CLASSES, {}, out, _opts(), ImageWriter())
    before = snapshot(out)
    r = export_dataset([*tasks(), task(10)], CLASSES, {}, out, _opts(), None)
    assert r.added == [10] and r.images_reused == 9 and r.images_written == 0
    files = _manifest(out)["files"]
    assert files["10"]["image"] is None
    assert all(
        snapshot(out)[files[str(i)]["image"]] == before[files[str(i)]["image"]]
        for i in range(1, 10)
    )
    w = ImageWriter()
    export_dataset([*tasks(), task(10)], CLASSES, {}, out, _opts(), w)
    assert w.asked == [10] and _manifest(out)["files"]["10"]["image"]
