"""add_frame_task: one chosen frame of a recording as a task with boxes, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.scene_factories import SIZE, core_with_video, neon_with_video

from gazeport.errors import LabelError, LabelNotFoundError, SamplingError
from gazeport.labels import BoxSpec, LabelStore, add_frame_task, init_store

#: The synthetic Core recordings have 2D gaze and no world.intrinsics (fixations say so).
pytestmark = pytest.mark.filterwarnings("ignore:.*has no usable world.intrinsics")


@pytest.fixture
def study(tmp_path: Path) -> Path:
    core_with_video(tmp_path / "study" / "recs" / "core", n_frames=20)
    return tmp_path / "study"


@pytest.fixture
def store(study: Path):
    with init_store(study / "study.sqlite", ["car", "person"]) as s:
        yield s


def test_frame_task_with_boxes_and_status(store: LabelStore, study: Path) -> None:
    boxes = [BoxSpec("car", 1, 2, 30, 40, tags=("near",)), BoxSpec("Person", 5, 5, 9, 9)]
    task = add_frame_task(store, study / "recs" / "core", 6, boxes, "finished", by="ann")
    assert (task.id, task.frame_index, task.recording, task.status) == (
        1,
        6,
        "recs/core",
        "finished",
    )
    assert (task.width, task.height) == SIZE
    assert [(b.label, b.tags) for b in task.boxes] == [("car", ("near",)), ("person", ())]
    assert [(r.to_status, r.who) for r in store.reviews(1)] == [("finished", "ann")]


@pytest.mark.parametrize(
    ("frame", "boxes", "error", "match"),
    [(6, [BoxSpec("bus", 0, 0, 5, 5)], LabelNotFoundError, "no class 'bus'"),
     (6, [BoxSpec("car", 0, 0, 5, 5), BoxSpec("car", 0, 0, 5, 0)], LabelError, "zero or negative"),
     (6, [BoxSpec("car", 0, 0, 5, 5, confidence=2.0)], LabelError, "confidence"),
     (20, [], SamplingError, "frames are 0 to 19")],
    ids=["unknown-class", "bad-size", "bad-confidence", "frame-outside"],
)  # fmt: skip
def test_refused_calls_store_nothing_and_use_up_no_id(
    store: LabelStore, study: Path, frame: int, boxes: list, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        add_frame_task(store, study / "recs" / "core", frame, boxes)
    assert store.count_tasks() == 0
    assert add_frame_task(store, study / "recs" / "core", 3).id == 1


def test_frame_stored_once(store: LabelStore, study: Path) -> None:
    add_frame_task(store, study / "recs" / "core", 4)
    with pytest.raises(LabelError, match="already task 1"):
        add_frame_task(store, study / "recs" / "core", 4)
    assert add_frame_task(store, study / "recs" / "core", 5).id == 2


def test_gray_frame_is_an_error_not_a_warning(store: LabelStore, study: Path) -> None:
    neon_with_video(study / "recs" / "neon", parts=((0.5, 1.0),), video_parts=(1,))
    with pytest.raises(LabelError, match="gray frame"):
        add_frame_task(store, study / "recs" / "neon", 2)
    assert store.count_tasks() == 0
