"""Splits through whole exports: seeded and deterministic, grouped by recording, stratified on
request, and sticky across later exports."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from gazeport.exporters.datasets.export import export_dataset
from gazeport.exporters.datasets.options import DatasetOptions, parse_split

from .dataset_factories import CLASSES, ImageWriter, task

SPLIT = parse_split("train=60,val=20,test=20")


def _study(recordings: int = 10, per: int = 4, start_rec: int = 0) -> list:  # type: ignore[type-arg]
    """``per`` frames of each recording; recording r has class 3 (rare) when r % 4 == 0."""
    out = []
    for r in range(start_rec, start_rec + recordings):
        for f in range(per):
            tid = r * per + f + 1
            cls = 3 if r % 4 == 0 else 1 + r % 2
            out.append(task(tid, f"p{r:02d}/000", frame=f, boxes=((cls, 1, 1, 9, 9),)))
    return out


def _splits(out: Path) -> dict[str, str]:
    return json.loads((out / "manifest.json").read_text("utf-8"))["splits"]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_seed_same_bytes_whatever_the_task_order(tmp_path: Path) -> None:
    opts = DatasetOptions(format="coco", split=SPLIT, seed=7)
    study = _study()
    export_dataset(study, CLASSES, {}, tmp_path / "a", opts, ImageWriter())
    export_dataset(list(reversed(study)), CLASSES, {}, tmp_path / "b", opts, ImageWriter())
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    others = []
    for seed in (8, 9, 10):
        out = tmp_path / f"s{seed}"
        export_dataset(study, CLASSES, {}, out, dataclasses.replace(opts, seed=seed))
        others.append(_splits(out))
    assert any(o != _splits(tmp_path / "a") for o in others)


def test_grouped_by_recording_unless_asked_otherwise(tmp_path: Path) -> None:
    study = _study()
    export_dataset(study, CLASSES, {}, tmp_path / "g", DatasetOptions(split=SPLIT, seed=1))
    s = _splits(tmp_path / "g")
    for r in range(10):
        assert len({s[str(t.id)] for t in study if t.recording == f"p{r:02d}/000"}) == 1
    flat = DatasetOptions(split=SPLIT, seed=1, group_by="none")
    export_dataset(study, CLASSES, {}, tmp_path / "n", flat)
    n = _splits(tmp_path / "n")
    assert any(
        len({n[str(t.id)] for t in study if t.recording == f"p{r:02d}/000"}) > 1 for r in range(10)
    )


def test_stratified_puts_every_class_in_every_split(tmp_path: Path) -> None:
    study = _study(12)
    opts = DatasetOptions(split=SPLIT, seed=3, stratify=True)
    export_dataset(study, CLASSES, {}, tmp_path / "s", opts)
    s = _splits(tmp_path / "s")
    for split in ("train", "val", "test"):
        assert {b.class_id for t in study if s[str(t.id)] == split for b in t.boxes} == {1, 2, 3}


def test_adding_tasks_never_moves_old_ones(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    opts = DatasetOptions(format="yolo", split=SPLIT, seed=5, incremental=True)
    old = _study(5)
    export_dataset(old, CLASSES, {}, out, opts, ImageWriter())
    first = _splits(out)
    # five new recordings, and new frames of two old recordings, arrive in a different order
    more = [*_study(5, start_rec=5), task(900, "p01/000", frame=99), task(901, "p03/000", frame=99)]
    r = export_dataset(list(reversed(old + more)), CLASSES, {}, out, opts, ImageWriter())
    second = _splits(out)
    assert all(second[k] == v for k, v in first.items())
    assert second["900"] == first["5"] and second["901"] == first["13"]
    assert sorted(r.added) == sorted(t.id for t in more) and r.changed == []
    # a non-incremental export keeps them too: the splits live in the manifest
    export_dataset(old + more, CLASSES, {}, out, dataclasses.replace(opts, incremental=False))
    assert _splits(out) == second


def test_the_store_split_wins_and_a_new_seed_reshuffles(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    study = _study()
    opts = DatasetOptions(split=SPLIT, seed=5)
    export_dataset(study, CLASSES, {}, out, opts)
    first = _splits(out)
    pinned = [dataclasses.replace(t, split="test") if t.id == 1 else t for t in study]
    r = export_dataset(pinned, CLASSES, {}, out, opts)
    assert r.task_splits[1] == "test"
    for seed in (6, 7, 8, 9):
        export_dataset(study, CLASSES, {}, out, dataclasses.replace(opts, seed=seed))
        if _splits(out) != first:
            break
    else:
        raise AssertionError("no new seed re-shuffled the splits")
