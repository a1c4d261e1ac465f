"""`gazeport export CORE_REC --dialect cloud`: Pupil Cloud's Timeseries files for Core
recordings (copies of the real ones in tmp_path, and synthetic ones), and a mixed study of Core
and Neon recordings exported in one format."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.recording.annotations import Annotation, add_annotation
from tests import fixtures
from tests.exporters.test_cloud_tables import SPEC_HEADERS
from tests.factories import CoreSpec, make_core_recording

runner = CliRunner()
CORE = ["core358_artemisge_003", "core121_eyedoit_001", "core116_vedb"]
SKIPPED = {"saccades.csv", "imu.csv", "3d_eye_states.csv"}


def export(rec_dir: Path, *args: str, out: Path | None = None) -> Path:
    target = ["--out", str(out)] if out is not None else []
    result = runner.invoke(cli.app, ["export", str(rec_dir), *args, *target])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return out if out is not None else rec_dir / "exports" / "000"


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode(), newline="")))


def header(path: Path) -> str:
    return path.read_bytes().decode().split("\r\n", 1)[0]


def wall_ns(rec_dir: Path, t: float) -> int:
    info = json.loads((rec_dir / "info.player.json").read_text())
    offset = Decimal(info["start_time_system_s"]) - Decimal(info["start_time_synced_s"])
    return int(((Decimal(t) + offset) * 10**9).to_integral_value())


@pytest.mark.parametrize("name", CORE)
def test_real_core_recording_in_clouds_format(name: str, tmp_path: Path):
    rec = shutil.copytree(fixtures.recording(name), tmp_path / name)
    world = np.load(rec / "world_timestamps.npy")
    add_annotation(rec, Annotation(float(world[3]), "task start"))
    folder = export(rec, "--dialect", "cloud", out=tmp_path / "cloud")
    record = json.loads((folder / "gazeport_export.json").read_text())
    assert set(record["skipped"]) >= SKIPPED
    for file, text in SPEC_HEADERS.items():
        if (folder / file).exists():
            assert header(folder / file) == text, file
    # world timestamps: every recorded frame, in UTC ns of Pupil time
    frames = rows(folder / "world_timestamps.csv")
    assert [int(r["timestamp [ns]"]) for r in frames[:3]] == [wall_ns(rec, t) for t in world[:3]]
    assert int(frames[-1]["timestamp [ns]"]) == wall_ns(rec, world[-1])
    # events are the annotations
    events = rows(folder / "events.csv")
    assert [(e["name"], e["type"]) for e in events] == [("task start", "recording")]
    assert int(events[0]["timestamp [ns]"]) == wall_ns(rec, float(world[3]))
    info = json.loads((folder / "info.json").read_text())
    assert info["recording_id"] == frames[0]["recording id"]
    if (folder / "gaze.csv").exists():
        gaze = rows(folder / "gaze.csv")
        assert gaze and all(g["worn"] == "" for g in gaze)
        player = export(rec, "--only", "fixations", out=tmp_path / "player")
        player_fix = rows(player / "fixations.csv")
        cloud_fix = rows(folder / "fixations.csv")
        assert len(cloud_fix) == len(player_fix) > 0
        assert [int(f["fixation id"]) for f in cloud_fix] == [int(f["id"]) + 1 for f in player_fix]
        first = player_fix[0]
        assert int(cloud_fix[0]["start timestamp [ns]"]) == wall_ns(
            rec, float(first["start_timestamp"])
        )


def test_fisheye_world_camera_leaves_angles_out(tmp_path: Path):
    rec = shutil.copytree(fixtures.recording("core116_vedb"), tmp_path / "vedb")
    folder = export(rec, "--dialect", "cloud", out=tmp_path / "cloud")
    record = json.loads((folder / "gazeport_export.json").read_text())
    assert "scene camera" in record["skipped"]["scene_camera.json"]
    assert not (folder / "scene_camera.json").exists()


def test_no_intrinsics_empty_angle_cells_and_pupil_player_unchanged(tmp_path: Path):
    rec = make_core_recording(tmp_path / "rec", CoreSpec(n_frames=90))
    folder = export(rec, "--dialect", "cloud", out=tmp_path / "cloud")
    gaze = rows(folder / "gaze.csv")
    assert gaze and all(g["azimuth [deg]"] == g["elevation [deg]"] == "" for g in gaze)
    assert all(g["gaze x [px]"] and g["worn"] == "" for g in gaze)
    assert not (folder / "scene_camera.json").exists()
    assert not (folder / "export_info.csv").exists()
    player = export(rec, out=tmp_path / "player")
    assert (player / "gaze_positions.csv").exists() and (player / "export_info.csv").exists()
    assert not (player / "world_timestamps.csv").exists()


@fixtures.needs_recordings
def test_mixed_study_writes_one_format(tmp_path: Path):
    study = tmp_path / "study"
    shutil.copytree(fixtures.recording("core358_artemisge_003"), study / "p01" / "core")
    shutil.copytree(fixtures.recording("neon_demo"), study / "p02" / "neon")
    out = tmp_path / "out"
    result = runner.invoke(
        cli.app,
        ["export", str(study), "-r", "--dialect", "cloud", "--out-root", str(out), "--quiet"],
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    core, neon = out / "p01" / "core", out / "p02" / "neon"
    for folder in (core, neon):
        assert not (folder / "export_info.csv").exists()
        assert not (folder / "gaze_positions.csv").exists()
    shared = {p.name for p in core.glob("*.csv")} & {p.name for p in neon.glob("*.csv")}
    assert {
        "gaze.csv",
        "fixations.csv",
        "blinks.csv",
        "events.csv",
        "world_timestamps.csv",
    } <= shared
    for name in shared:
        assert header(core / name) == header(neon / name) == SPEC_HEADERS[name]
    assert {p.name for p in core.glob("*.json")} == {p.name for p in neon.glob("*.json")}


def test_invisible_recording_in_clouds_format(tmp_path: Path):
    from tests.recording.test_converted_recordings import PI_INFO, PI_WORLD, make_invisible

    rec = tmp_path / "2021-11-04_PI"
    make_invisible(rec)
    folder = export(rec, "--dialect", "cloud", out=tmp_path / "cloud")
    assert not (folder / "fixations.csv").exists()  # Player detects none in Invisible data
    frames = [int(r["timestamp [ns]"]) for r in rows(folder / "world_timestamps.csv")]
    truth = [t for part in sorted(PI_WORLD) for t in PI_WORLD[part]]
    assert len(frames) == len(truth)
    assert np.abs(np.array(frames) - np.array(truth)).max() < 1_000  # float seconds on the way
    gaze = rows(folder / "gaze.csv")
    assert gaze and {g["recording id"] for g in gaze} == {PI_INFO["recording_id"]}
    info = json.loads((folder / "info.json").read_text())
    assert info["app_version"] == PI_INFO["app_version"]
    assert info["recording_id"] == PI_INFO["recording_id"]
    assert info["start_time"] == PI_INFO["start_time"]
