"""World Video Exporter: frames, timing files, overlays, gaps, damage, cancel, real recordings."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.errors import ExportCancelled, ExportError, GazeportWarning
from gazeport.exporters.world_video import VideoOptions, frame_windows
from gazeport.jobs import CancelToken, export_recording
from gazeport.recording import open_recording
from gazeport.render import OverlayConfig
from tests import fixtures
from tests.factories import CoreSpec, make_core_recording
from tests.video_factories import corrupt_middle, frame_number, truncate, write_video

FIXTURES = fixtures.RECORDINGS
SIZE = (160, 120)
PLAIN = VideoOptions(overlay=None, audio=False)


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    folder = make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d", n_frames=40))
    n = len(np.load(folder / "world_timestamps.npy"))
    write_video(folder / "world.mp4", n, size=SIZE)
    return folder


def decode(path: Path) -> tuple[list[np.ndarray], list[int]]:
    images, pts = [], []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            images.append(frame.to_ndarray(format="bgr24"))
            pts.append(int(frame.pts))
    return images, pts


def test_frames_timing_and_timestamp_files(rec: Path) -> None:
    result = export_recording(
        rec, exporters=("world-video",), start_frame=5, end_frame=30, video=PLAIN
    )
    folder = result.export_dir
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "export_info.csv", "gazeport_export.json", "world.mp4", "world_timestamps.csv",
        "world_timestamps.npy",
    ]  # fmt: skip
    world = np.load(rec / "world_timestamps.npy")
    images, pts = decode(folder / "world.mp4")
    assert len(images) == 26 == result.frames["world video"]
    assert [frame_number(img) for img in images] == list(range(5, 31))
    expected_pts = [int((t - world[5]) / (1 / 65535)) for t in world[5:31]]
    assert pts == expected_pts and pts == sorted(set(pts))
    np.testing.assert_array_equal(np.load(folder / "world_timestamps.npy"), world[5:31])
    lines = (folder / "world_timestamps.csv").read_text().split("\n")
    assert lines[0] == "# timestamps [seconds],pts"
    assert lines[1:-1] == [f"{t:f},{p}" for t, p in zip(world[5:31], expected_pts, strict=True)]
    with av.open(str(folder / "world.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
    record = json.loads((folder / "gazeport_export.json").read_text())
    assert record["tasks"]["world-video"]["files"] == [
        "world.mp4", "world_timestamps.npy", "world_timestamps.csv",
    ]  # fmt: skip
    assert record["parameters"]["video"]["codec"] == "h264"


def test_mpeg4_reproduces_players_codec(rec: Path) -> None:
    result = export_recording(
        rec, exporters=("world-video",), video=VideoOptions(codec="mpeg4", audio=False)
    )
    with av.open(str(result.export_dir / "world.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "mpeg4"


def test_gaze_circle_appears_where_the_gaze_is(rec: Path, tmp_path: Path) -> None:
    with_overlay = export_recording(rec, exporters=("world-video",), out_dir=tmp_path / "a")
    without = export_recording(rec, exporters=("world-video",), out_dir=tmp_path / "b", video=PLAIN)
    drawn, _ = decode(with_overlay.export_dir / "world.mp4")
    plain, _ = decode(without.export_dir / "world.mp4")
    recording = open_recording(rec)
    ts = recording.world_timestamps
    gaze = recording.gaze
    lo, hi = frame_windows(ts, 0, len(ts) - 1)
    width, height = SIZE
    checked = 0
    for k in range(5, len(ts) - 5):
        sel = (
            (gaze["timestamp"] >= lo[k]) & (gaze["timestamp"] < hi[k]) & (gaze["confidence"] >= 0.6)
        )
        if not sel.any():
            continue
        x = gaze["norm_pos_x"][sel][-1] * width
        y = (1 - gaze["norm_pos_y"][sel][-1]) * height
        if not (25 <= x < width - 25 and 25 <= y < height - 25):
            continue
        xi, yi = int(x), int(y)
        # the filled green circle shifts the colour towards green around the gaze point
        near = drawn[k][yi - 3 : yi + 4, xi - 3 : xi + 4].astype(int)
        base = plain[k][yi - 3 : yi + 4, xi - 3 : xi + 4].astype(int)
        assert (near[..., 1] - base[..., 1]).mean() > 8, k
        checked += 1
    assert checked >= 5
    # a corner far from every gaze point stays as it was (up to compression noise)
    assert np.abs(drawn[10][:6, :6].astype(int) - plain[10][:6, :6].astype(int)).mean() < 6


def test_gaps_become_gray_frames(tmp_path: Path) -> None:
    folder = make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d", n_frames=20))
    world = np.load(folder / "world_timestamps.npy")
    world[10:] += 2.0  # a 2-second hole: Player fills it with virtual frames
    np.save(folder / "world_timestamps.npy", world)
    write_video(folder / "world.mp4", len(world), size=SIZE)
    recording = open_recording(folder)
    n_table = len(recording.world_timestamps)
    assert n_table > len(world)
    result = export_recording(folder, exporters=("world-video",), video=PLAIN)
    images, _ = decode(result.export_dir / "world.mp4")
    assert len(images) == n_table
    numbers = [frame_number(img) for img in images]
    assert numbers[:10] == list(range(10)) and numbers[-10:] == list(range(10, 20))
    gray = images[10 : n_table - 10]
    # value 128 comes back within the yuv420p round trip of the encoder
    assert gray and all(abs(float(img.mean()) - 128) < 8 and img.std() < 3 for img in gray)


def test_damaged_video_completes_with_gray_frames_and_a_warning(rec: Path) -> None:
    corrupt_middle(rec / "world.mp4", 0.3, at=0.35)
    with pytest.warns(GazeportWarning, match="could not be decoded and are gray"):
        result = export_recording(rec, exporters=("world-video",), video=PLAIN)
    n = len(open_recording(rec).world_timestamps)
    images, _ = decode(result.export_dir / "world.mp4")
    assert len(images) == n
    assert any("gray" in message for message in result.warnings)


def test_fewer_frames_than_timestamps_gives_gray_frames_at_the_end(tmp_path: Path) -> None:
    folder = make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d", n_frames=30))
    write_video(folder / "world.mp4", 25, size=SIZE)
    with pytest.warns(GazeportWarning):  # the frame table says the counts differ
        result = export_recording(folder, exporters=("world-video",), video=PLAIN)
    images, _ = decode(result.export_dir / "world.mp4")
    assert len(images) == 30
    assert [frame_number(img) for img in images[:25]] == list(range(25))
    assert all(frame_number(img) is None for img in images[25:])


def test_truncated_mp4_without_its_index_is_one_clear_failure(rec: Path) -> None:
    truncate(rec / "world.mp4", 0.5)  # the moov index at the end is gone
    with pytest.raises(ExportError, match="no decodable world video"):
        export_recording(rec, exporters=("world-video",))


def test_no_world_video_is_one_clear_failure(tmp_path: Path) -> None:
    folder = make_core_recording(tmp_path / "rec", CoreSpec(n_frames=10))
    with pytest.raises(ExportError, match="has no decodable world video"):
        export_recording(folder, exporters=("world-video",))
    assert list((folder / "exports").iterdir()) == []


def test_cancel_leaves_no_finished_video(rec: Path) -> None:
    token = CancelToken()

    def progress(fraction: float, text: str) -> None:
        if fraction > 0.2:
            token.cancel()

    with pytest.raises(ExportCancelled):
        export_recording(rec, exporters=("world-video",), progress=progress, cancel=token)
    assert list((rec / "exports").iterdir()) == []  # nothing completed, so no folder


def test_cancelled_video_is_renamed_canceled_when_other_tasks_completed(rec: Path) -> None:
    token = CancelToken()

    def progress(fraction: float, text: str) -> None:
        if text.startswith("world-video") and "of" in text and fraction > 0.5:
            token.cancel()

    with pytest.raises(ExportCancelled):
        export_recording(
            rec, exporters=("annotations", "world-video"), progress=progress, cancel=token
        )
    (folder,) = (rec / "exports").iterdir()
    names = sorted(p.name for p in folder.iterdir())
    assert "world.mp4" not in names and "world_timestamps.npy" not in names
    assert "world.mp4.canceled" in names and "annotations.csv" in names
    assert json.loads((folder / "gazeport_export.json").read_text())["outcome"] == "cancelled"


def test_all_overlays_together(rec: Path) -> None:
    from gazeport.render import CrossStyle, EyeOverlayStyle, FixationStyle

    write_video(rec / "eye0.mp4", 50, size=(64, 48))
    world = np.load(rec / "world_timestamps.npy")
    np.save(rec / "eye0_timestamps.npy", np.linspace(world[0], world[-1], 50))
    overlay = OverlayConfig(
        cross=CrossStyle(), fixation=FixationStyle(), eye=EyeOverlayStyle(eyes=(0, 1))
    )
    result = export_recording(
        rec, exporters=("world-video",), video=VideoOptions(overlay=overlay, trail_s=0.5)
    )
    images, _ = decode(result.export_dir / "world.mp4")
    assert len(images) == len(world)


@pytest.mark.parametrize("name", ["core121_eyedoit_001", "core358_artemisge_003"])
def test_real_recording_with_a_written_video(tmp_path: Path, name: str) -> None:
    src = fixtures.recording(name)
    rec = Path(shutil.copytree(src, tmp_path / name))
    world = np.load(rec / "world_timestamps.npy")
    write_video(rec / "world.mp4", len(world), size=(96, 72))
    recording = open_recording(rec)
    table = recording.frame_table
    assert table.source == "video"
    result = export_recording(
        rec, exporters=("world-video",), start_frame=10, end_frame=69, video=PLAIN
    )
    images, pts = decode(result.export_dir / "world.mp4")
    assert len(images) == 60
    assert pts == sorted(set(pts))
    expected = table.rows["container_frame_idx"][10:70]
    real = table.rows["container_idx"][10:70] >= 0
    assert [frame_number(img) for img, r in zip(images, real, strict=True) if r] == list(
        expected[real]
    )
    np.testing.assert_array_equal(
        np.load(result.export_dir / "world_timestamps.npy"), table.timestamps[10:70]
    )


def test_cli_with_and_only_video_exporters(rec: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli.app, ["export", str(rec), "--only", "world-video", "--codec", "mpeg4", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"^  world\.mp4\s+[\d,]+ frames$", result.stdout, re.M), result.stdout
    result = runner.invoke(
        cli.app, ["export", str(rec), "--with", "world-video", "--no-gaze-circle", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (rec / "exports" / "001").iterdir())
    assert "world.mp4" in files and "pupil_positions.csv" in files
    bad = runner.invoke(
        cli.app, ["export", str(rec), "--only", "world-video", "--gaze-color", "nope"]
    )
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_capture_audio_goes_into_world_mp4(rec: Path) -> None:
    from tests.video.test_writer import make_audio, tone

    world = np.load(rec / "world_timestamps.npy")
    duration = float(world[-1] - world[0]) + 0.5
    ts = make_audio(rec / "audio.mp4", tone(duration, [(0.0, duration)]), float(world[0]) - 0.2)
    np.save(rec / "audio_timestamps.npy", ts)
    result = export_recording(rec, exporters=("world-video",), start_frame=5, end_frame=30)
    with av.open(str(result.export_dir / "world.mp4")) as container:
        assert len(container.streams.audio) == 1
        audio = container.streams.audio[0]
        samples = sum(f.samples for f in container.decode(audio))
    expected_s = float(world[30] - world[5])
    assert abs(samples / audio.sample_rate - expected_s) < 0.1
    silent = export_recording(
        rec, exporters=("world-video",), out_dir=rec / "exports" / "quiet",
        video=VideoOptions(audio=False),
    )  # fmt: skip
    with av.open(str(silent.export_dir / "world.mp4")) as container:
        assert len(container.streams.audio) == 0


def test_more_frames_than_timestamps_drops_the_extra_frames(tmp_path: Path) -> None:
    folder = make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d", n_frames=20))
    write_video(folder / "world.mp4", 26, size=SIZE)
    with pytest.warns(GazeportWarning):  # the frame table says the counts differ
        result = export_recording(folder, exporters=("world-video",), video=PLAIN)
    images, _ = decode(result.export_dir / "world.mp4")
    assert [frame_number(img) for img in images] == list(range(20))


def test_video_exporters_in_a_batch(tmp_path: Path) -> None:
    from gazeport.batch import discover, export_many

    for name in ("a", "b"):
        folder = make_core_recording(tmp_path / "study" / name, CoreSpec(n_frames=12))
        write_video(folder / "world.mp4", 12, size=SIZE)
    items = export_many(
        discover([tmp_path / "study"], recursive=True), jobs=2, out_root=tmp_path / "out",
        exporters=("world-video",), video=PLAIN,
    )  # fmt: skip
    assert [i.status for i in items] == ["ok", "ok"]
    for name in ("a", "b"):
        images, _ = decode(tmp_path / "out" / name / "world.mp4")
        assert len(images) == 12


def test_gaze_trail_reaches_the_last_frame(rec: Path, tmp_path: Path) -> None:
    from gazeport.render import PolylineStyle

    trail = VideoOptions(overlay=OverlayConfig(circle=None, polyline=PolylineStyle()), trail_s=1.0)
    drawn = export_recording(rec, exporters=("world-video",), out_dir=tmp_path / "a", video=trail)
    plain = export_recording(rec, exporters=("world-video",), out_dir=tmp_path / "b", video=PLAIN)
    with_trail, _ = decode(drawn.export_dir / "world.mp4")
    without, _ = decode(plain.export_dir / "world.mp4")
    for k in (len(without) // 2, len(without) - 1):  # the last frame's window ends at +inf
        diff = np.abs(with_trail[k].astype(int) - without[k].astype(int)).max(axis=2)
        assert (diff > 60).sum() > 20, k
