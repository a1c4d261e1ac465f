"""A study folder with a Core recording (a real small world video) and a label store on it,
and a TestClient of ``gazeport serve --db`` on that folder, for the label API and labeler tests."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

with warnings.catch_warnings():  # Starlette asks for httpx2, which the shared venv lacks
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import numpy as np

from gazeport.labels import FrameCandidate, init_store, sample_frames
from gazeport.server import create_app
from gazeport.synthetic import generate_capture_recording
from tests.factories import CoreSpec, make_core_recording
from tests.video_factories import write_video

BASE_URL = "http://127.0.0.1:8642"
SIZE = (480, 360)  # frame size of the world videos [px]
N_TASKS = 6  # tasks 1-6: the middle frames of r1's first fixations; 7, 8: frames 2, 7 of r2


@dataclass(frozen=True)
class LabelStudy:
    root: Path  #: the folder served
    rec: Path  #: root/recs/r1, a synthetic Capture recording (fixations, a 4 s mpeg4 video)
    other: Path  #: root/recs/r2, a Core recording without fixations (two tasks)
    db: Path  #: root/labels.sqlite


def make_label_study(root: Path, size: tuple[int, int] = SIZE) -> LabelStudy:
    """Two recordings and a store with classes car (hotkey c), person (p), sign (no hotkey)."""
    rec = generate_capture_recording(root / "recs" / "r1", 4 / 60)
    write_video(rec / "world.mp4", len(np.load(rec / "world_timestamps.npy")), size=size)
    other = make_core_recording(root / "recs" / "r2", CoreSpec(pupil="2d", gaze="2d", n_frames=10))
    write_video(other / "world.mp4", 10, size=size)
    study = LabelStudy(root, rec, other, root / "labels.sqlite")
    make_store(study)
    return study


_CANDIDATES: dict[Path, list[FrameCandidate]] = {}


def make_store(study: LabelStudy) -> None:
    """(Re)make the study's label store: classes car (hotkey c), person (p), sign (none);
    tasks 1-6 on r1's first fixations, 7 and 8 on frames 2 and 7 of r2."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{study.db}{suffix}").unlink(missing_ok=True)
    if study.rec not in _CANDIDATES:
        _CANDIDATES[study.rec] = sample_frames(study.rec, per_fixation=True)[:N_TASKS]
        _CANDIDATES[study.other] = sample_frames(study.other, frames=[2, 7])
    with init_store(study.db, [], name="Street study") as store:
        store.add_class("car", hotkey="c", color="#e5484d")
        store.add_class("person", hotkey="p", color="#30a46c")
        store.add_class("sign")
        store.add_tasks(_CANDIDATES[study.rec])
        store.add_tasks(_CANDIDATES[study.other])


def make_client(study: LabelStudy, cache_dir: Path, **options: Any) -> TestClient:
    """A TestClient of the app with ``--db`` as a browser on 127.0.0.1:8642 reaches it."""
    options.setdefault("db", study.db)
    app = create_app(study.root, cache_dir=cache_dir, **options)
    return TestClient(app, base_url=BASE_URL)
