"""Scene frames of every recording kind (recording/scene_frames.py): frame times in UTC ns,
real and gray frames, gaze and fixations in frame pixels, events at their frame, Cloud downloads.
Expectations come from the recordings' own files read with numpy, json and the test oracle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tests import fixtures, oracle
from tests.neon_factories import SCENE, START_NS
from tests.scene_factories import (
    NEON_SIZE,
    SIZE,
    capture_with_video,
    core_with_video,
    neon_with_video,
    scene_times,
)
from tests.video_factories import frame_number, write_video

import gazeport
from gazeport.analysis.fixations import FixationParams
from gazeport.errors import StreamNotFoundError
from gazeport.recording.annotations import Annotation, add_annotation
from gazeport.recording.core_fixations import detect_recording_fixations
from gazeport.recording.scene_frames import (
    fixation_at,
    frame_events,
    frame_gaze,
    open_scene_reader,
    scene_fixations,
    scene_frames,
)

NO_CALIBRATION = "ignore:.*calibration.bin does not exist"


def core_ns(rec: Path, t: np.ndarray) -> np.ndarray:
    """Pupil time [s] -> UTC ns with the info file's start times (float64, to ~1 µs)."""
    info = json.loads((rec / "info.player.json").read_text())
    return (t - info["start_time_synced_s"] + info["start_time_system_s"]) * 1e9


def test_core_frames_have_players_indices_utc_times_and_a_gap(tmp_path: Path) -> None:
    rec = core_with_video(tmp_path / "core", n_frames=60, gap_s=1.5)
    world = np.load(rec / "world_timestamps.npy")
    sf = scene_frames(rec)
    assert (sf.width, sf.height) == SIZE
    assert sf.recording_id == json.loads((rec / "info.player.json").read_text())["recording_uuid"]
    assert int(sf.real.sum()) == 60 and len(sf) > 60  # the gap got virtual frames
    np.testing.assert_allclose(sf.timestamp_ns[sf.real], core_ns(rec, world), atol=2000)
    gray = sf.timestamp_ns[~sf.real]
    assert gray.min() > core_ns(rec, world[29:30])[0] and gray.max() < core_ns(rec, world[30:31])[0]
    assert np.all(np.diff(sf.timestamp_ns) > 0)
    with open_scene_reader(sf) as reader:
        assert [frame_number(reader.frame(int(k)).image) for k in np.flatnonzero(sf.real)[:3]] == [
            0,
            1,
            2,
        ]
        assert reader.frame(int(np.flatnonzero(~sf.real)[0])).virtual


def test_core_gaze_is_in_frame_pixels_on_players_world_index(tmp_path: Path) -> None:
    rec = core_with_video(tmp_path / "core", n_frames=40)
    datums, ts = oracle.load_stream(rec, "gaze")
    frames = oracle.find_closest(list(oracle.world_timestamps(rec)), ts)
    gaze = frame_gaze(rec)
    assert len(gaze) == len(datums)
    order = np.argsort(np.asarray(ts), kind="stable")
    w, h = SIZE
    x = np.array([datums[i]["norm_pos"][0] * w for i in order])
    y = np.array([(1 - datums[i]["norm_pos"][1]) * h for i in order])
    np.testing.assert_allclose(gaze["x_px"], x)
    np.testing.assert_allclose(gaze["y_px"], y)
    assert gaze["frame_index"].tolist() == [frames[i] for i in order]
    conf = np.array([datums[i]["confidence"] for i in order])
    kept = frame_gaze(rec, min_confidence=0.6)
    assert len(kept) == int((conf >= 0.6).sum()) < len(gaze)


def test_core_fixations_are_players_with_one_based_ids(tmp_path: Path) -> None:
    rec_dir = capture_with_video(tmp_path / "capture", seconds=6.0)
    with gazeport.open(rec_dir) as rec:
        _, found = detect_recording_fixations(rec, FixationParams())
        fix = scene_fixations(rec)
    assert len(fix) == len(found) > 5
    assert fix["id"].tolist() == list(range(1, len(fix) + 1))
    assert np.array_equal(fix["start_frame"], found["start_frame_index"])
    assert np.array_equal(fix["mid_frame"], found["mid_frame_index"])
    np.testing.assert_allclose(fix["x_px"], found["norm_pos_x"] * SIZE[0])
    np.testing.assert_allclose(fix["y_px"], (1 - found["norm_pos_y"]) * SIZE[1])
    np.testing.assert_allclose(
        fix["start_ns"], core_ns(rec_dir, found["start_timestamp"]), atol=2e3
    )
    assert np.all(fix["end_ns"] > fix["start_ns"])
    # Every frame of a fixation finds it; frames between fixations find none.
    k = int(fix["mid_frame"][3])
    assert fixation_at(fix, [k]).tolist() == [3]
    between = int(fix["end_frame"][0]) + 1
    if between < int(fix["start_frame"][1]):
        assert fixation_at(fix, [between]).tolist() == [-1]


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_neon_frames_follow_neon_players_timeline(tmp_path: Path) -> None:
    root = tmp_path / "neon"
    neon_with_video(root, video_parts=(1,))
    sf = scene_frames(root)
    assert (sf.width, sf.height) == NEON_SIZE
    assert sf.recording_id == json.loads((root / "info.json").read_text())["recording_id"]
    ps1, ps2 = scene_times(root, 1), scene_times(root, 2)
    assert np.array_equal(sf.timestamp_ns[sf.real], ps1)
    on_timeline = np.isin(sf.timestamp_ns, ps2)
    assert on_timeline.sum() == ps2.size and not sf.real[on_timeline].any()  # lost MP4: gray
    assert len(sf) > ps1.size + ps2.size  # Neon Player's gray frames before and between parts
    with open_scene_reader(sf) as reader:
        first = int(np.flatnonzero(sf.real)[0])
        assert frame_number(reader.frame(first + 5).image) == 5


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_neon_gaze_fixations_and_events_on_their_frames(tmp_path: Path) -> None:
    root = tmp_path / "neon"
    truth = neon_with_video(root)
    sf = scene_frames(root)
    gaze = frame_gaze(root, sf)
    raw = truth.expected("gaze")
    assert len(gaze) == len(raw)  # gaze starts after the first frame: none left out
    np.testing.assert_array_equal(gaze["x_px"], raw["gaze_x_px"].astype(np.float64))
    # The last frame at or before each sample (Neon Player's scene index).
    before = np.searchsorted(sf.timestamp_ns, raw["timestamp_ns"], side="right") - 1
    assert np.array_equal(gaze["frame_index"], before)
    assert np.isnan(gaze["confidence"]).all()
    fix = scene_fixations(root, sf)
    want = truth.expected("fixations")
    assert fix["id"].tolist() == list(range(1, len(want) + 1))
    assert np.array_equal(fix["start_ns"], want["start_timestamp_ns"])
    assert np.all((fix["start_frame"] <= fix["mid_frame"]) & (fix["mid_frame"] <= fix["end_frame"]))
    events = frame_events(root, sf)
    stim = events[events["name"] == "stim.on"]
    assert stim["timestamp_ns"].tolist() == [START_NS + 3_000_000_000]
    t = sf.timestamp_ns[stim["frame_index"][0]]
    assert t <= START_NS + 3_000_000_000 < sf.timestamp_ns[stim["frame_index"][0] + 1]


def test_core_annotations_are_events_at_the_nearest_frame(tmp_path: Path) -> None:
    rec = core_with_video(tmp_path / "core", n_frames=40)
    world = np.load(rec / "world_timestamps.npy")
    add_annotation(rec, Annotation(float(world[12]) + 0.001, "stim on"))
    events = frame_events(rec)
    assert events["name"].tolist() == ["stim on"]
    assert events["frame_index"].tolist() == [12]
    np.testing.assert_allclose(events["timestamp_ns"], core_ns(rec, world[12:13] + 0.001), atol=2e3)


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_cloud_download_uses_its_world_timestamps_and_video(tmp_path: Path) -> None:
    from tests.recording.test_cloud import cloud_download

    neon = tmp_path / "neon"
    neon_with_video(neon)
    cloud = cloud_download(neon, tmp_path / "cloud")
    shutil.copy(neon / f"{SCENE} ps1.mp4", cloud / "scene.mp4")
    sf = scene_frames(cloud)
    rows = len(np.genfromtxt(cloud / "world_timestamps.csv", delimiter=",", skip_header=1))
    n_video = scene_times(neon, 1).size
    assert int(sf.real.sum()) == min(rows, n_video) and (sf.width, sf.height) == NEON_SIZE
    (cloud / "world_timestamps.csv").unlink()
    with pytest.raises(StreamNotFoundError, match=r"no world_timestamps\.csv"):
        scene_frames(cloud)


@fixtures.needs_recordings
@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_real_neon_with_a_lost_scene_part(tmp_path: Path) -> None:
    copy = Path(shutil.copytree(fixtures.recording("neon23_multipart"), tmp_path / "neon23"))
    sf = scene_frames(copy)
    info = json.loads((copy / "info.json").read_text())
    start, stop = info["start_time"], info["start_time"] + info["duration"]
    ps1 = scene_times(copy, 1)
    assert np.array_equal(sf.timestamp_ns[sf.real], ps1[(ps1 >= start) & (ps1 <= stop)])
    for lost in (2, 3):
        assert not sf.real[np.isin(sf.timestamp_ns, scene_times(copy, lost))].any()
    assert (sf.width, sf.height) == (1600, 1200)
    with open_scene_reader(sf) as reader:
        real = int(np.flatnonzero(sf.real)[10])
        assert not reader.frame(real).virtual
        assert reader.frame(int(np.flatnonzero(~sf.real)[-1])).virtual


def test_invisible_frames_and_gaze_in_world_pixels(tmp_path: Path) -> None:
    """A native Pupil Invisible folder: frames from ``PI world v1 ps1``, gaze pixels of the
    1088 x 1080 world camera back from Player's normalized positions, no fixations."""
    root = tmp_path / "pi"
    root.mkdir()
    start = 1_636_000_000_123_456_789
    info = {"data_format_version": "1.3", "start_time": start, "duration": 2_000_000_000,
            "recording_id": "pi-id", "app_version": "1.4.30"}  # fmt: skip
    (root / "info.json").write_text(json.dumps(info))
    n, g = 12, 60
    write_video(root / "PI world v1 ps1.mp4", n, size=(1088, 1080))
    frame_ns = start + 100_000_000 + 33_333_333 * np.arange(n, dtype=np.uint64)
    (root / "PI world v1 ps1.time").write_bytes(frame_ns.astype("<u8").tobytes())
    gaze_ns = start + 100_000_000 + 5_000_000 * np.arange(g, dtype=np.uint64)
    xy = np.column_stack([500 + np.arange(g), 300 + 2 * np.arange(g)]).astype("<f4")
    (root / "gaze ps1.time").write_bytes(gaze_ns.astype("<u8").tobytes())
    (root / "gaze ps1.raw").write_bytes(xy.tobytes())
    sf = scene_frames(root)
    assert (len(sf), int(sf.real.sum()), sf.width, sf.height) == (n, n, 1088, 1080)
    assert sf.recording_id == "pi-id"
    np.testing.assert_allclose(sf.timestamp_ns, frame_ns.astype(np.int64), atol=1000)
    gaze = frame_gaze(root, sf)
    np.testing.assert_allclose(gaze["x_px"], xy[:, 0], atol=1e-3)
    np.testing.assert_allclose(gaze["y_px"], xy[:, 1], atol=1e-3)
    nearest = np.abs(gaze_ns[:, None].astype(np.int64) - frame_ns[None, :].astype(np.int64))
    assert np.array_equal(gaze["frame_index"], nearest.argmin(axis=1))
    assert len(scene_fixations(root, sf)) == 0
    with open_scene_reader(sf) as reader:
        assert frame_number(reader.frame(7).image) == 7
