"""Dataset images decoded from scene videos (exporters/datasets/images.py): the image of frame
``k`` is frame ``k`` (the numbered test videos say their own number), sizes are the real frame's,
missing videos and gray frames give None with a reason, nothing half-written is left, and
export_dataset writes the images through it."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from gazeport.datasets import DatasetOptions, export_dataset
from gazeport.exporters.datasets.images import FrameImageWriter, write_frame_images
from gazeport.labels.records import ClassRecord, TaskRecord
from gazeport.labels.sampling import sample_frames
from gazeport.recording.scene_frames import open_scene_reader, scene_frames
from gazeport.video.reader import FrameReader
from tests import fixtures
from tests.scene_factories import NEON_SIZE, SIZE, core_with_video, neon_with_video
from tests.video_factories import frame_number

NO_CALIBRATION = "ignore:.*calibration.bin does not exist"


def task(task_id: int, rec: Path, frame: int) -> TaskRecord:
    """A task whose stored size is wrong on purpose: the writer reports the real one."""
    return TaskRecord(task_id, rec.name, rec, "rid", frame, 0, 1, 1, "draft")


def reader_images(rec: Path, frames: list[int]) -> dict[int, np.ndarray]:
    with open_scene_reader(scene_frames(rec)) as reader:
        return {k: reader.frame(k).image for k in frames}


def test_core_images_are_their_frames_at_the_real_size(tmp_path: Path) -> None:
    rec = core_with_video(tmp_path / "core", n_frames=50)
    out = tmp_path / "out"
    out.mkdir()
    frames = [40, 3, 17, 17, 0]  # unsorted, one frame twice
    reqs = [
        (task(i, rec, k), out / f"{i}.{'png' if i % 2 else 'jpg'}") for i, k in enumerate(frames)
    ]
    seen: list[tuple[int, int]] = []
    sizes, problems = write_frame_images(reqs, progress=lambda d, t: seen.append((d, t)))
    assert problems == []
    assert sizes == dict.fromkeys(range(len(frames)), SIZE)
    assert seen[-1] == (5, 5) and [d for d, _ in seen] == [1, 2, 3, 4, 5]
    expected = reader_images(rec, sorted(set(frames)))
    for i, k in enumerate(frames):
        image = cv2.imread(str(out / f"{i}.{'png' if i % 2 else 'jpg'}"))
        assert image.shape == (SIZE[1], SIZE[0], 3)
        assert frame_number(image) == k
        diff = np.abs(image.astype(int) - expected[k].astype(int))
        assert diff.max() == 0 if i % 2 else diff.mean() < 3  # PNG lossless, JPEG 95 close
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for _, p in reqs)  # no temp files


def test_missing_video_recording_and_frames_are_none_with_a_reason(tmp_path: Path) -> None:
    good = core_with_video(tmp_path / "good", n_frames=20)
    novideo = core_with_video(tmp_path / "novideo", n_frames=20)
    (novideo / "world.mp4").unlink()
    gap = core_with_video(tmp_path / "gap", n_frames=20, gap_s=2.0)
    gray = int(np.flatnonzero(~scene_frames(gap).real)[0])
    out = tmp_path / "out"
    out.mkdir()
    reqs = [
        (task(1, good, 5), out / "1.jpg"),
        (task(2, novideo, 5), out / "2.jpg"),
        (task(3, tmp_path / "gone", 5), out / "3.jpg"),
        (task(4, good, 99), out / "4.jpg"),
        (task(5, gap, gray), out / "5.jpg"),
        (task(6, good, 6), out / "6.jpg"),
    ]
    writer = FrameImageWriter()
    sizes = writer(reqs)
    assert sizes == {1: SIZE, 2: None, 3: None, 4: None, 5: None, 6: SIZE}
    reasons = {p.task_id: p.reason for p in writer.problems}
    assert "novideo has no decodable scene video" in reasons[2]
    assert "gone" in reasons[3] and "does not exist" in reasons[3]
    assert reasons[4] == "Frame 99 is outside good, whose frames are 0 to 19."
    assert "gray frame" in reasons[5]
    assert sorted(p.name for p in out.iterdir()) == ["1.jpg", "6.jpg"]


def test_unknown_image_format_fails_before_any_work(tmp_path: Path) -> None:
    rec = core_with_video(tmp_path / "core", n_frames=10)
    with pytest.raises(ValueError, match=r"'\.bmp'; use \.jpg or \.png"):
        write_frame_images(
            [(task(1, rec, 1), tmp_path / "a.jpg"), (task(2, rec, 2), tmp_path / "b.bmp")]
        )
    assert not (tmp_path / "a.jpg").exists()


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_neon_images_and_a_lost_part(tmp_path: Path) -> None:
    root = tmp_path / "neon"
    neon_with_video(root, video_parts=(1,))
    sf = scene_frames(root)
    real = np.flatnonzero(sf.real)
    lost = int(np.flatnonzero(~sf.real)[-1])
    reqs = [(task(i, root, int(k)), tmp_path / f"{i}.png") for i, k in enumerate(real[::7])]
    reqs.append((task(99, root, lost), tmp_path / "lost.png"))
    sizes, problems = write_frame_images(reqs)
    assert [p.task_id for p in problems] == [99] and sizes[99] is None
    for i, k in enumerate(real[::7]):
        assert sizes[i] == NEON_SIZE
        image = cv2.imread(str(tmp_path / f"{i}.png"))
        assert frame_number(image) == int(k - real[0])  # frame i of ps1 shows i


def test_export_dataset_writes_the_images(tmp_path: Path) -> None:
    rec = core_with_video(tmp_path / "core", n_frames=30)
    cands = sample_frames(rec, every_n=10)
    tasks = [
        TaskRecord(
            i + 1, "core", rec, c.recording_id, c.frame_index, c.timestamp_ns, 1, 1, "reviewed"
        )
        for i, c in enumerate(cands)
    ]
    writer = FrameImageWriter()
    report = export_dataset(
        tasks,
        [ClassRecord(1, "car")],
        {"name": "t"},
        tmp_path / "ds",
        DatasetOptions(format="yolo", split={"train": 100}),
        write_images=writer,
    )
    assert report.tasks == 3 and writer.problems == []
    images = sorted((tmp_path / "ds").rglob("*.jpg"))
    assert len(images) == 3
    assert sorted(frame_number(cv2.imread(str(p))) for p in images) == [0, 10, 20]


@fixtures.needs_recordings
@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_real_neon23_images_equal_the_readers_frames(tmp_path: Path) -> None:
    copy = Path(shutil.copytree(fixtures.recording("neon23_multipart"), tmp_path / "neon23"))
    cands = sample_frames(copy, every_s=1.0)
    assert cands
    out = tmp_path / "out"
    out.mkdir()
    reqs = [(task(i, copy, c.frame_index), out / f"{i}.png") for i, c in enumerate(cands)]
    sf = scene_frames(copy)
    reqs.append((task(999, copy, int(np.flatnonzero(~sf.real)[-1])), out / "gray.png"))
    sizes, problems = write_frame_images(reqs)
    assert [p.task_id for p in problems] == [999]
    expected = reader_images(copy, [c.frame_index for c in cands])
    for i, c in enumerate(cands):
        assert sizes[i] == (1600, 1200)
        image = cv2.imread(str(out / f"{i}.png"))
        assert np.array_equal(image, expected[c.frame_index])
        assert image.std() > 5  # a picture, not a gray frame


def test_one_pass_through_the_video_without_a_seek_per_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frames asked in any order are read front to back: the decoder never goes back and
    decodes each video frame at most once."""
    from gazeport.exporters.datasets import images

    rec = core_with_video(tmp_path / "core", n_frames=120)
    readers = []

    def spy(frames):  # type: ignore[no-untyped-def]
        readers.append(open_scene_reader(frames))
        return readers[-1]

    monkeypatch.setattr(images, "open_scene_reader", spy)
    # The reader may skip ahead to a keyframe when that saves decoding, never back.
    seek_pts: list[int] = []
    real_seek = FrameReader._seek

    def seek(self, part, pts):  # type: ignore[no-untyped-def]
        seek_pts.append(pts)
        return real_seek(self, part, pts)

    monkeypatch.setattr(FrameReader, "_seek", seek)
    wanted = list(range(115, 0, -9))  # descending on purpose
    sizes, problems = write_frame_images(
        [(task(i, rec, k), tmp_path / f"{i}.jpg") for i, k in enumerate(wanted)]
    )
    assert not problems and len(sizes) == len(wanted)
    [reader] = readers
    assert seek_pts == sorted(seek_pts) and reader.counters.seeks == len(seek_pts)
    assert reader.counters.decoded <= max(wanted) + 1 + 4  # each frame once (+ decoder delay)
