"""Eye video of Neon recordings (exporters/neon_eye_video.py): the sensor module's frames in the
export window with exact timestamps. Expectations come from the recording's ``.time`` files
read here with numpy, and from decoding the written MP4 with PyAV, not from the library."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import numpy as np
from typer.testing import CliRunner

from gazeport import cli
from tests import fixtures
from tests.neon_factories import write_neon

runner = CliRunner()
S = 1_000_000_000
EYE = "Neon Sensor Module v1"


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def export(copy: Path, *args: str) -> Path:
    before = set((copy / "exports").glob("*")) if (copy / "exports").exists() else set()
    result = runner.invoke(cli.app, ["export", str(copy), "--with", "eye-video", *args])
    assert result.exit_code == 0, result.output
    (folder,) = set((copy / "exports").glob("*")) - before
    return folder


def in_window(copy: Path, parts: tuple[int, ...], lo_s: str, hi_s: str) -> np.ndarray:
    start = int(np.fromfile(copy / "event.time", dtype="<i8").min())  # recording.begin
    lo, hi = (start + round(float(v) * 10) * S // 10 for v in (lo_s, hi_s))
    t = np.sort(np.concatenate([np.fromfile(copy / f"{EYE} ps{n}.time", "<i8") for n in parts]))
    return t[(t >= lo) & (t <= hi)]


@fixtures.needs_recordings
def test_sensor_module_video_of_a_window(tmp_path: Path):
    """neon23_multipart: eye parts ps1 (20.6 .. 25.4 s) and ps2 (39.9 .. 44.9 s). The window
    24 .. 41 s takes the end of ps1 and the start of ps2; with ps2's MP4 lost, only ps1's."""
    copy = tmp_path / "neon23_multipart"
    shutil.copytree(fixtures.recording("neon23_multipart"), copy)
    folder = export(copy, "--start-s", "24", "--end-s", "41")
    expected = in_window(copy, (1, 2), "24", "41")
    raw = (folder / "eye_timestamps.csv").read_bytes()
    lines = raw.split(b"\r\n")
    assert lines[0] == b"recording id,timestamp [ns]" and lines[-1] == b""
    assert b"\n" not in raw.replace(b"\r\n", b"")
    rec_id = json.loads((copy / "info.json").read_text())["recording_id"].encode()
    assert all(line.split(b",")[0] == rec_id for line in lines[1:-1])
    stamps = np.array([int(line.split(b",")[1]) for line in lines[1:-1]])
    assert expected.size > 200 and np.array_equal(stamps, expected)
    frames = frames_of(folder / "eye.mp4")
    assert len(frames) == expected.size and frames[0].shape == (192, 384, 3)
    # Real pictures (the IR eye images), not gray stand-ins.
    assert all(np.abs(f.astype(int) - 128).max() > 40 for f in frames[:: len(frames) // 5])
    summary = json.loads((folder / "gazeport_export.json").read_text())
    assert "eye video" not in json.dumps(summary.get("skipped", {}))

    (copy / f"{EYE} ps2.mp4").unlink()
    result = runner.invoke(
        cli.app, ["export", str(copy), "--with", "eye-video", "--start-s", "24", "--end-s", "41"]
    )
    assert result.exit_code == 0, result.output
    assert f"{EYE} ps2.mp4" in result.output and "left out" in result.output
    folder = sorted((copy / "exports").glob("*"))[-1]
    only_ps1 = in_window(copy, (1,), "24", "41")
    assert 0 < only_ps1.size < expected.size
    assert len(frames_of(folder / "eye.mp4")) == only_ps1.size
    text = (folder / "eye_timestamps.csv").read_text(encoding="utf-8")
    assert text.count("\n") == only_ps1.size + 1


@fixtures.needs_recordings
def test_window_without_eye_frames_is_skipped_with_a_reason(tmp_path: Path):
    """5 .. 10 s of neon23_multipart has no eye frame (the eye parts start at 20.6 s)."""
    copy = tmp_path / "neon23_multipart"
    shutil.copytree(fixtures.recording("neon23_multipart"), copy)
    result = runner.invoke(
        cli.app, ["export", str(copy), "--with", "eye-video", "--start-s", "5", "--end-s", "10"]
    )
    assert result.exit_code == 0, result.output
    assert "eye video" in result.output and "export range" in result.output
    assert not list((copy / "exports").glob("*/eye.mp4"))


def test_recording_without_sensor_module_video_is_skipped(tmp_path: Path):
    """write_neon writes no MP4: the eye video is skipped, naming the sensor module files."""
    truth = write_neon(tmp_path / "rec", parts=((0.5, 1.0),))
    result = runner.invoke(cli.app, ["export", str(truth.root), "--with", "eye-video"])
    assert result.exit_code == 0, result.output
    assert "no decodable sensor module video" in result.output and EYE in result.output
    assert not list(truth.root.glob("exports/*/eye.mp4"))
