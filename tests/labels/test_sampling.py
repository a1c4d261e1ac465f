"""Sampling labelling tasks from scene frames (labels/sampling.py): every mode on Core and Neon
recordings with generated videos and on the real neon23_multipart (a lost scene part: its gray
frames are never sampled)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tests import fixtures
from tests.scene_factories import (
    SIZE,
    capture_with_video,
    core_with_video,
    neon_with_video,
    scene_times,
)

from gazeport.errors import GazeportWarning, SamplingError
from gazeport.labels.records import FrameCandidate
from gazeport.labels.sampling import sample_frames
from gazeport.recording.scene_frames import scene_fixations, scene_frames

NO_CALIBRATION = "ignore:.*calibration.bin does not exist"


def assert_unique_and_real(cands: list[FrameCandidate], rec: Path) -> None:
    frames = [c.frame_index for c in cands]
    assert frames == sorted(set(frames)), "sorted, no duplicates"
    sf = scene_frames(rec)
    assert all(sf.real[k] for k in frames), "gray frames never sampled"
    assert all(c.timestamp_ns == sf.timestamp_ns[c.frame_index] for c in cands)


@pytest.fixture
def core_gap(tmp_path: Path) -> Path:
    return core_with_video(tmp_path / "core", n_frames=60, gap_s=2.0)


def test_every_n_frames_skips_the_gap(core_gap: Path) -> None:
    cands = sample_frames(core_gap, every_n=7)
    assert_unique_and_real(cands, core_gap)
    sf = scene_frames(core_gap)
    grid = np.arange(0, len(sf), 7)
    assert [c.frame_index for c in cands] == grid[sf.real[grid]].tolist()
    assert {c.reason for c in cands} == {"every-n"}
    c = cands[0]
    assert (c.width, c.height) == SIZE and c.recording_dir == core_gap
    assert (
        c.recording_id == json.loads((core_gap / "info.player.json").read_text())["recording_uuid"]
    )


def test_every_second_is_a_time_grid_without_gray_frames(core_gap: Path) -> None:
    cands = sample_frames(core_gap, every_s=0.25)
    assert_unique_and_real(cands, core_gap)
    t = np.array([c.timestamp_ns for c in cands])
    steps = np.diff(t) / 1e9
    assert np.all(np.abs(steps[steps < 1.0] - 0.25) < 0.02)  # frames 1/60 s apart: nearest
    assert steps.max() > 2.0  # the gap gives no tasks


def test_candidates_carry_the_gaze_of_their_frame(core_gap: Path) -> None:
    from tests import oracle

    datums, ts = oracle.load_stream(core_gap, "gaze")
    world = oracle.world_timestamps(core_gap)
    nearest = oracle.find_closest(list(world), ts)
    cands = sample_frames(core_gap, frames=[3, 10, 20], min_confidence=0.0)
    for c in cands:
        mine = [d for d, k in zip(datums, nearest, strict=True) if k == c.frame_index]
        assert len(c.gaze) == len(mine) > 0
        xs = sorted(g.x_px for g in c.gaze)
        assert xs == pytest.approx(sorted(d["norm_pos"][0] * SIZE[0] for d in mine))
        assert all(0 <= g.confidence <= 1 for g in c.gaze if g.confidence is not None)
    strict = sample_frames(core_gap, frames=[3, 10, 20], min_confidence=0.99)
    assert sum(len(c.gaze) for c in strict) < sum(len(c.gaze) for c in cands)


def test_given_frames_out_of_range_and_gray(core_gap: Path) -> None:
    sf = scene_frames(core_gap)
    gray = int(np.flatnonzero(~sf.real)[0])
    with pytest.warns(GazeportWarning, match="gray frames"):
        cands = sample_frames(core_gap, frames=[5, gray, 5, 2])
    assert [c.frame_index for c in cands] == [2, 5]
    with pytest.raises(
        SamplingError,
        match=rf"Frame {len(sf)} is outside core, whose frames are 0 to {len(sf) - 1}",
    ):
        sample_frames(core_gap, frames=[1, len(sf)])
    with pytest.raises(SamplingError, match="not a whole frame index"):
        sample_frames(core_gap, frames=[1.5])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        pytest.param({}, "got none", id="no-mode"),
        pytest.param({"every_s": 1, "every_n": 3}, "every_s and every_n", id="two-modes"),
        pytest.param({"every_s": 0}, "above 0", id="zero-seconds"),
        pytest.param({"every_n": 0}, ">= 1", id="zero-frames"),
        pytest.param({"every_n": 2, "min_duration_ms": 100}, "only applies", id="duration-alone"),
    ],
)
def test_bad_modes_are_one_sentence(core_gap: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(SamplingError, match=message):
        sample_frames(core_gap, **kwargs)


def test_per_fixation_picks_each_fixations_middle_frame(tmp_path: Path) -> None:
    rec = capture_with_video(tmp_path / "capture", seconds=6.0)
    fix = scene_fixations(rec)
    cands = sample_frames(rec, per_fixation=True)
    assert_unique_and_real(cands, rec)
    by_frame = {c.frame_index: c for c in cands}
    # Fixations sharing a middle frame give one task; every middle frame is a task.
    assert set(by_frame) == set(fix["mid_frame"].tolist())
    for f in fix:
        c = by_frame[int(f["mid_frame"])]
        if c.fixation_id == int(f["id"]):
            assert c.fixation_xy_px == pytest.approx((f["x_px"], f["y_px"]))
            assert c.reason == "per-fixation"
    long = sample_frames(rec, per_fixation=True, min_duration_ms=150)
    durations = (fix["end_ns"] - fix["start_ns"]) / 1e6
    assert {c.frame_index for c in long} == set(fix["mid_frame"][durations >= 150].tolist())
    assert 0 < len(long) < len(cands)
    # Frames sampled otherwise still name the fixation covering them.
    other = sample_frames(rec, frames=[int(fix["start_frame"][2])])
    assert other[0].fixation_id == int(fix["id"][2])


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_neon_events_fixations_and_grids(tmp_path: Path) -> None:
    root = tmp_path / "neon"
    neon_with_video(root, parts=((0.5, 1.0), (2.5, 0.8)), video_parts=(1, 2))
    sf = scene_frames(root)
    [stim] = sample_frames(root, at_events=["stim.on"])
    assert stim.reason == "at-events"
    assert sf.timestamp_ns[stim.frame_index] <= 1_700_000_003_000_000_000
    with pytest.raises(
        SamplingError, match=r"no event named 'nope'; its events are 'recording.begin'"
    ):
        sample_frames(root, at_events=["nope"])
    cands = sample_frames(root, per_fixation=True)
    assert_unique_and_real(cands, root)
    fix = scene_fixations(root, sf)
    assert [c.fixation_id for c in cands] == fix["id"].tolist()
    every = sample_frames(root, every_n=1)
    assert len(every) == int(sf.real.sum()) == scene_times(root, 1).size + scene_times(root, 2).size
    assert all(c.gaze for c in every[3:10])  # gaze runs while the scene camera does
    assert all(g.confidence is None for c in every for g in c.gaze)


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_neon_with_a_lost_part_samples_only_real_frames(tmp_path: Path) -> None:
    root = tmp_path / "neon"
    neon_with_video(root, video_parts=(1,))
    cands = sample_frames(root, every_s=0.1)
    assert_unique_and_real(cands, root)
    ps1 = scene_times(root, 1)
    assert all(ps1[0] <= c.timestamp_ns <= ps1[-1] for c in cands)


def test_no_scene_video_is_one_sentence(tmp_path: Path) -> None:
    rec = core_with_video(tmp_path / "core", n_frames=20)
    (rec / "world.mp4").unlink()
    with pytest.raises(SamplingError, match="no scene video frames with a picture"):
        sample_frames(rec, every_n=5)


@fixtures.needs_recordings
@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_real_neon23_multipart_never_samples_gray_frames(tmp_path: Path) -> None:
    copy = Path(shutil.copytree(fixtures.recording("neon23_multipart"), tmp_path / "neon23"))
    ps1 = scene_times(copy, 1)
    cands = sample_frames(copy, every_s=0.5)
    assert_unique_and_real(cands, copy)
    assert cands and all(c.timestamp_ns in set(ps1.tolist()) for c in cands)
    assert (cands[0].width, cands[0].height) == (1600, 1200)
    all_real = sample_frames(copy, every_n=1)
    info = json.loads((copy / "info.json").read_text())
    inside = (ps1 >= info["start_time"]) & (ps1 <= info["start_time"] + info["duration"])
    assert len(all_real) == int(inside.sum())
    with pytest.warns(GazeportWarning, match="gray frames"):
        assert sample_frames(copy, frames=[len(scene_frames(copy)) - 1]) == []
