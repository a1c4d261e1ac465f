"""Eye Video Exporter and transcode: Player's eye range rule, pupil overlay, missing eyes."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.exporters.eye_video import eye_frame_range
from gazeport.exporters.world_video import VideoOptions
from gazeport.jobs import export_recording
from tests.factories import CoreSpec, make_core_recording
from tests.video_factories import frame_number, write_video

EYE_SIZE = (64, 64)


def closest(target: np.ndarray, value: float) -> int:
    """Oracle for Player's find_closest of one value: nearest, ties to the later element."""
    distances = np.abs(target - value)
    best = distances.min()
    return int(np.flatnonzero(distances == best)[-1])


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    folder = make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d", n_frames=40))
    world = np.load(folder / "world_timestamps.npy")
    write_video(folder / "world.mp4", len(world), size=(96, 72))
    # eye0 runs at ~3x the world rate and starts before / ends after the world video
    eye_ts = np.linspace(world[0] - 0.2, world[-1] + 0.2, 3 * len(world))
    np.save(folder / "eye0_timestamps.npy", eye_ts)
    write_video(folder / "eye0.mp4", len(eye_ts), size=EYE_SIZE)
    return folder


def decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def test_eye_range_follows_players_rule(rec: Path) -> None:
    world = np.load(rec / "world_timestamps.npy")
    eye_ts = np.load(rec / "eye0_timestamps.npy")
    first, stop = eye_frame_range(world, (4, 30), eye_ts)
    assert (first, stop) == (closest(eye_ts, world[4]), closest(eye_ts, world[30]))
    result = export_recording(
        rec, exporters=("eye-video",), start_frame=4, end_frame=30,
        video=VideoOptions(pupil_overlay=False),
    )  # fmt: skip
    folder = result.export_dir
    images = decode(folder / "eye0.mp4")
    exported = np.load(folder / "eye0_timestamps.npy")
    # eye frames earlier than the first world frame are left out (the video starts there)
    expected = [i for i in range(first, stop) if eye_ts[i] >= world[4]]
    assert [frame_number(img) for img in images] == expected
    np.testing.assert_array_equal(exported, eye_ts[expected])
    lines = (folder / "eye0_timestamps.csv").read_text().splitlines()
    assert lines[0] == "# timestamps [seconds],pts"
    assert int(lines[1].split(",")[1]) == int((eye_ts[expected[0]] - world[4]) / (1 / 65535))
    assert result.skipped == {"eye1 video": "the recording has no decodable eye1 video"}
    assert result.frames == {"eye0 video": len(expected)}


def test_pupil_ellipse_is_drawn_on_frames_with_a_matching_datum(rec: Path, tmp_path: Path) -> None:
    from tests.factories import Record, write_pldata

    eye_ts = np.load(rec / "eye0_timestamps.npy")
    datums = []
    for t in eye_ts:
        datum = {
            "topic": "pupil.0.2d", "id": 0, "timestamp": float(t), "confidence": 0.9,
            "norm_pos": [0.5, 0.5], "diameter": 20.0, "method": "2d c++",
            "ellipse": {"center": [32.0, 32.0], "axes": [30.0, 20.0], "angle": 30.0},
        }  # fmt: skip
        datums.append(Record("pupil.0.2d", datum))
    (rec / "pupil.pldata").unlink()
    (rec / "pupil_timestamps.npy").unlink()
    write_pldata(rec, "pupil", datums)
    drawn = export_recording(rec, exporters=("eye-video",), out_dir=tmp_path / "a")
    plain = export_recording(
        rec, exporters=("eye-video",), out_dir=tmp_path / "b",
        video=VideoOptions(pupil_overlay=False),
    )  # fmt: skip
    with_ellipse = decode(drawn.export_dir / "eye0.mp4")
    without = decode(plain.export_dir / "eye0.mp4")
    assert len(with_ellipse) == len(without) > 10
    # the ellipse's outline passes 15 px right of the centre on its long axis (rotated 30 deg)
    x = int(32 + 15 * np.cos(np.radians(30)))
    y = int(32 + 15 * np.sin(np.radians(30)))
    diff = np.abs(with_ellipse[5].astype(int) - without[5].astype(int))
    assert diff[y - 2 : y + 3, x - 2 : x + 3].max() > 40
    assert diff[:4, :4].max() < 20  # far corner untouched


def test_no_eye_videos_is_skipped_not_failed(tmp_path: Path) -> None:
    folder = make_core_recording(tmp_path / "rec", CoreSpec(n_frames=10))
    write_video(folder / "world.mp4", 10)
    result = export_recording(folder, exporters=("annotations", "eye-video"))
    assert set(result.skipped) >= {"eye0 video", "eye1 video"}
    assert result.outcome == "completed"


def test_transcode_writes_plain_h264_copies(rec: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli.app, ["transcode", str(rec), "--quiet"])
    assert result.exit_code == 0, result.output
    folder = rec / "exports" / "000" / "transcoded"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "eye0.mp4", "eye0_timestamps.csv", "eye0_timestamps.npy", "world.mp4",
        "world_timestamps.csv", "world_timestamps.npy",
    ]  # fmt: skip
    world = np.load(rec / "world_timestamps.npy")
    images = decode(folder / "world.mp4")
    assert [frame_number(img) for img in images] == list(range(len(world)))  # no overlay
    with av.open(str(folder / "world.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    assert "skipped transcoded eye1 video" in result.stdout
