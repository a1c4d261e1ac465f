"""The ``gazeport`` command: exit codes, one-line errors, JSON facts, exports on fixture copies.

Expected values come from the fixtures' own files (read here with ``json``/``numpy``) or from
PROVENANCE.md, not from the library. The fixtures are read-only; exports run on copies.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import gazeport
from gazeport import cli
from gazeport.cli import export as cli_export
from gazeport.recording import open_recording
from tests import fixtures
from tests.factories import tree_hashes
from tests.neon_factories import START_NS, write_neon

FIXTURES = fixtures.RECORDINGS
CORE358 = FIXTURES / "core358_artemisge_003"
CORE121 = FIXTURES / "core121_eyedoit_001"
CORE116 = FIXTURES / "core116_vedb"
NEON = FIXTURES / "neon_demo"

needs_fixtures = fixtures.needs_recordings
runner = CliRunner()


def run(*args: str | Path):
    """Invoke the app in-process; stdout and stderr stay apart."""
    return runner.invoke(cli.app, [str(a) for a in args])


def assert_one_error_line(result, *, contains: str, code: int = 1) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert contains in lines[0]
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def rec_copy(tmp_path: Path):
    """A writable copy of a fixture recording (the originals are read-only)."""

    def copy(source: Path) -> Path:
        target = tmp_path / source.name
        shutil.copytree(source, target)
        for root, dirs, files in os.walk(target):
            for name in dirs + files:
                path = Path(root, name)
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
        target.chmod(target.stat().st_mode | stat.S_IWUSR)
        return target

    return copy


# --- info -----------------------------------------------------------------------------------------


def info_json(path: Path) -> dict:
    result = run("info", path, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def streams_by_name(facts: dict) -> dict[str, dict]:
    return {s["name"]: s for s in facts["streams"]}


@needs_fixtures
def test_info_json_core358_exact_values():
    facts = info_json(CORE358)
    raw = json.loads((CORE358 / "info.player.json").read_text())
    assert facts["path"] == str(CORE358)
    assert facts["kind"] == "pupil_player_format"
    assert facts["recording_software_name"] == "Pupil Capture"
    assert facts["recording_software_version"] == "3.5.8"
    assert facts["recording_name"] == "2024_01_25"
    assert facts["recording_uuid"] == raw["recording_uuid"]
    assert facts["meta_version"] == "2.3"
    assert facts["duration_s"] == raw["duration_s"]
    assert facts["start_time_system_s"] == raw["start_time_system_s"]
    assert facts["start_time_synced_s"] == raw["start_time_synced_s"]
    assert facts["start_pupil_time_s"] == raw["start_time_synced_s"]
    assert facts["start_utc"] == "2024-01-25T13:29:08.297847+00:00"
    assert facts["wall_clock_offset_s"] == raw["start_time_system_s"] - raw["start_time_synced_s"]
    assert facts["world_frames"] == {
        "count": 353,
        "source": "timestamps",
        "real": 0,
        "virtual": 353,
        "recorded": 353,
        "gap_filled": 0,
        "frame_size": [1280, 720],
        "video_parts": [],
    }
    counts = {name: s["count"] for name, s in streams_by_name(facts).items()}
    assert counts == {
        "blinks": 8,
        "eye0": 915,
        "eye1": 901,
        "fixations": 353,
        "gaze": 1841,
        "notify": 2,
        "pupil": 3682,
        "world": 353,
    }
    world = streams_by_name(facts)["world"]
    ts = np.load(CORE358 / "world_timestamps.npy")
    assert world["source"] == "world_timestamps.npy"
    assert world["first_s"] == float(ts.min())
    assert world["last_s"] == float(ts.max())
    assert world["first_rel_s"] == pytest.approx(ts.min() - raw["start_time_synced_s"])
    assert world["rate_hz"] == pytest.approx((ts.size - 1) / (ts.max() - ts.min()))
    # one fixation repeated on every frame: a single time, so no rate
    assert streams_by_name(facts)["fixations"]["rate_hz"] is None


@needs_fixtures
def test_info_json_core121():
    facts = info_json(CORE121)
    assert facts["recording_software_version"] == "1.21.5"
    assert facts["meta_version"] == "2.1"
    assert facts["world_frames"]["count"] == 256
    counts = {name: s["count"] for name, s in streams_by_name(facts).items()}
    assert counts == {"eye0": 960, "gaze": 964, "notify": 1, "pupil": 964, "world": 256}


@needs_fixtures
def test_info_json_core116():
    facts = info_json(CORE116)
    assert facts["recording_software_version"] == "1.16.95"
    assert facts["meta_version"] == "2.0"
    counts = {name: s["count"] for name, s in streams_by_name(facts).items()}
    assert counts["pupil"] == 5170
    assert counts["odometry"] == 4220
    assert counts["world"] == 504
    # 504 timestamps plus virtual frames filling the one 1.34 s gap (Player's lookup)
    assert facts["world_frames"]["count"] == 542
    assert facts["world_frames"]["virtual"] == 542


@needs_fixtures
def test_info_json_is_the_only_stdout_and_numbers_are_numbers():
    result = run("info", CORE358, "--json")
    facts = json.loads(result.stdout)  # nothing else on stdout
    assert isinstance(facts["duration_s"], float)
    assert isinstance(facts["world_frames"]["count"], int)
    assert all(isinstance(s["count"], int) for s in facts["streams"])


@needs_fixtures
def test_info_text_core358():
    result = run("info", CORE358)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Pupil Capture 3.5.8" in out
    assert "2024-01-25T13:29:08.297847+00:00" in out
    assert "353 from timestamps" in out
    assert "3,682" in out
    assert "fixations_timestamps.npy" in out
    assert result.stderr == ""


@needs_fixtures
@pytest.mark.parametrize("name", ["core358_artemisge_003", "core121_eyedoit_001", "core116_vedb"])
def test_info_text_fixtures_exit_0(name: str):
    result = run("info", FIXTURES / name)
    assert result.exit_code == 0, result.output
    assert "world frames" in result.stdout


@pytest.mark.parametrize("command", ["fixations", "blinks"])
def test_neon_fixations_and_blinks_summarise_the_companion_events(tmp_path: Path, command: str):
    truth = write_neon(tmp_path / "rec")
    rec = open_recording(truth.root)
    found = rec.fixations if command == "fixations" else rec.blinks
    assert found.shape[0] > 0
    before = tree_hashes(truth.root)
    result = run(command, truth.root, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["count"] == found.shape[0]
    durations = (found["end_timestamp_ns"] - found["start_timestamp_ns"]) / 1e6
    assert summary["mean_duration_ms"] == pytest.approx(float(durations.mean()))
    assert summary["rate_per_min"] == pytest.approx(found.shape[0] / (rec.duration_s / 60))
    assert "Companion" in summary["method"]
    text = run(command, truth.root)
    assert text.exit_code == 0 and f"count           {found.shape[0]:,}" in text.stdout
    assert tree_hashes(truth.root) == before


def test_neon_format_23_has_no_recorded_fixations_says_so(tmp_path: Path):
    truth = write_neon(tmp_path / "rec", data_format="2.3")
    result = run("fixations", truth.root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "data format 2.3 carry no fixations" in " ".join(result.output.split())


@needs_fixtures
def test_neon_fixations_real_recording_counts_the_stream():
    result = run("fixations", fixtures.recording("neon_demo"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["count"] == 23


@pytest.mark.parametrize("name", ["neon_demo", "neon23_multipart"])
def test_info_neon_real_recordings(name: str):
    folder = fixtures.recording(name)
    before = tree_hashes(folder)
    text = run("info", folder)
    assert text.exit_code == 0, text.output
    facts = json.loads(run("info", folder, "--json").stdout)
    assert facts["kind"] == "neon" and facts["wearer_name"] in text.stdout
    assert f"Neon Companion {facts['app_version']}" in text.stdout
    assert f"data format {facts['data_format_version']}" in text.stdout
    assert facts["start_utc"].endswith("+00:00") and facts["start_utc"] in text.stdout
    streams = {s["name"]: s for s in facts["streams"]}
    assert streams["gaze"]["rate_hz"] == pytest.approx(200, abs=1)
    assert 90 < streams["imu"]["rate_hz"] < 115 and "extimu" not in streams
    assert "Manifest" in text.stdout
    if name == "neon23_multipart":
        assert facts["data_format_version"] == "2.3" and streams["imu"]["layout"] == "protobuf"
        assert [round(g["seconds"], 2) for g in streams["gaze"]["gaps"]] == [13.56, 14.28]
        assert "gaze, worn, eye_state: gap of 13.56 s between parts at +7.076 s" in text.stdout
        scene = facts["videos"]["scene"]
        assert scene["parts"] == [1, 2, 3] and scene["missing_video_parts"] == [
            "Neon Scene Camera v1 ps2.mp4", "Neon Scene Camera v1 ps3.mp4"]  # fmt: skip
        assert facts["videos"]["eye"]["missing_video_parts"] == []
        assert "worn part 1: 640 records but 639 timestamps; 639 used" in text.stdout
        assert any(m["problem"] == "manifest-crc" for m in facts["manifest"]["problems"])
    else:
        assert streams["fixations"]["count"] == 23 and streams["fixations"]["rate_hz"] is None
    assert tree_hashes(folder) == before


def test_info_neon_synthetic(tmp_path: Path):
    truth = write_neon(tmp_path / "rec", data_format="2.3", parts=((0.5, 1.0), (3.0, 0.5)))
    (truth.root / "Neon Scene Camera v1 ps2.mp4").write_bytes(b"")
    before = tree_hashes(truth.root)
    facts = json.loads(run("info", truth.root, "--json").stdout)
    assert facts["start_time_ns"] == START_NS
    assert facts["start_utc"] == "2023-11-14T22:13:20+00:00"
    assert facts["wearer_name"] == "Synthetic"
    streams = {s["name"]: s for s in facts["streams"]}
    assert streams["gaze"]["count"] == 300 and streams["gaze"]["rate_hz"] == pytest.approx(200)
    assert [len(s["parts"]) for s in (streams["gaze"], streams["imu"])] == [2, 2]
    assert streams["gaze"]["gaps"][0]["seconds"] == pytest.approx(1.505, abs=0.01)
    assert facts["videos"]["scene"]["missing_video_parts"] == ["Neon Scene Camera v1 ps1.mp4"]
    assert facts["manifest"] == {"present": False, "problems": []}
    text = run("info", truth.root)
    assert text.exit_code == 0 and "manifest.json is missing" in text.stdout
    assert tree_hashes(truth.root) == before


def test_export_neon_writes_only_its_export_folder(tmp_path: Path):
    truth = write_neon(tmp_path / "rec")
    before = tree_hashes(truth.root)
    result = run("export", truth.root)
    assert result.exit_code == 0, result.output
    assert "exports/000" in result.stdout
    after = {k: v for k, v in tree_hashes(truth.root).items() if not k.startswith("exports")}
    assert after == before


@needs_fixtures
def test_info_does_not_write_into_the_recording():
    before = sorted(p.name for p in CORE121.iterdir())
    assert run("info", CORE121).exit_code == 0
    assert sorted(p.name for p in CORE121.iterdir()) == before


# --- export ---------------------------------------------------------------------------------------


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@needs_fixtures
def test_export_whole_recording(rec_copy):
    rec = rec_copy(CORE358)
    result = run("export", rec)
    assert result.exit_code == 0, result.output
    folder = rec / "exports" / "000"
    for name in (
        "export_info.csv",
        "pupil_positions.csv",
        "gaze_positions.csv",
        "pupil_gaze_positions_info.txt",
    ):
        assert (folder / name).is_file(), name
        assert name in result.stdout
    assert str(folder) in result.stdout
    pupil = csv_rows(folder / "pupil_positions.csv")
    gaze = csv_rows(folder / "gaze_positions.csv")
    assert f"{len(pupil):,}" in result.stdout
    assert f"{len(gaze):,}" in result.stdout
    assert "0 – 352" in result.stdout
    assert "Traceback" not in result.output


@needs_fixtures
def test_export_trim_frames(rec_copy):
    rec = rec_copy(CORE358)
    result = run("export", rec, "--start-frame", "10", "--end-frame", "20")
    assert result.exit_code == 0, result.output
    rows = csv_rows(rec / "exports" / "000" / "pupil_positions.csv")
    assert rows
    assert {int(r["world_index"]) for r in rows} <= set(range(10, 21))
    assert "10 – 20" in result.stdout


@needs_fixtures
def test_export_start_frame_alone_runs_to_the_last_frame(rec_copy):
    rec = rec_copy(CORE358)
    result = run("export", rec, "--start-frame", "300")
    assert result.exit_code == 0, result.output
    assert "300 – 352" in result.stdout


@needs_fixtures
def test_export_trim_seconds_and_second_export_gets_next_folder(rec_copy):
    rec = rec_copy(CORE358)
    assert run("export", rec).exit_code == 0
    result = run("export", rec, "--start-s", "2", "--end-s", "4")
    assert result.exit_code == 0, result.output
    ts = np.load(CORE358 / "world_timestamps.npy")
    rows = csv_rows(rec / "exports" / "001" / "gaze_positions.csv")
    times = np.array([float(r["gaze_timestamp"]) for r in rows])
    assert times.min() >= ts[0] + 2 - 0.1
    assert times.max() <= ts[0] + 4 + 0.1


@needs_fixtures
def test_export_parquet(rec_copy):
    pq = pytest.importorskip("pyarrow.parquet")
    rec = rec_copy(CORE358)
    result = run("export", rec, "--format", "parquet")
    assert result.exit_code == 0, result.output
    table = pq.read_table(rec / "exports" / "000" / "pupil_positions.parquet")
    assert table.num_rows > 0
    assert not (rec / "exports" / "000" / "pupil_positions.csv").exists()


@needs_fixtures
def test_export_options_out_no_field_info_min_confidence(rec_copy, tmp_path: Path):
    rec = rec_copy(CORE121)
    out = tmp_path / "elsewhere"
    result = run(
        "export", rec, "--out", out, "--no-field-info", "--min-confidence", "0.9", "--quiet"
    )
    assert result.exit_code == 0, result.output
    assert not (out / "pupil_gaze_positions_info.txt").exists()
    rows = csv_rows(out / "pupil_positions.csv")
    assert rows
    assert min(float(r["confidence"]) for r in rows) >= 0.9
    assert not (rec / "exports").exists()


@needs_fixtures
def test_export_reports_skipped_streams(rec_copy):
    rec = rec_copy(CORE116)  # gaze.pldata is absent
    result = run("export", rec)
    assert result.exit_code == 0, result.output
    assert "Skipped" in result.stdout
    assert "gaze: gaze.pldata is missing" in result.stdout
    # Pupil Player writes the header-only file for a recording without gaze data; so does gazeport
    gaze = rec / "exports" / "000" / "gaze_positions.csv"
    assert gaze.read_bytes() == (
        b"gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,base_data,"
        b"gaze_point_3d_x,gaze_point_3d_y,gaze_point_3d_z,eye_center0_3d_x,eye_center0_3d_y,"
        b"eye_center0_3d_z,gaze_normal0_x,gaze_normal0_y,gaze_normal0_z,eye_center1_3d_x,"
        b"eye_center1_3d_y,eye_center1_3d_z,gaze_normal1_x,gaze_normal1_y,gaze_normal1_z\r\n"
    )
    assert "gaze_positions.csv" in result.stdout


@needs_fixtures
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--start-frame", "1", "--end-s", "3"], id="frame-and-seconds"),
        pytest.param(["--start-s", "1", "--end-frame", "3"], id="seconds-and-frame"),
        pytest.param(["--format", "xlsx"], id="unknown-format"),
        pytest.param(["--min-confidence", "1.5"], id="confidence-above-1"),
        pytest.param(["--start-frame", "-1"], id="negative-frame"),
        pytest.param(["--start-frame", "ten"], id="not-a-number"),
    ],
)
def test_export_usage_errors_exit_2(rec_copy, args: list[str]):
    rec = rec_copy(CORE358)
    result = run("export", rec, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (rec / "exports").exists()


@needs_fixtures
def test_export_out_of_range_is_one_plain_error(rec_copy):
    rec = rec_copy(CORE358)
    result = run("export", rec, "--start-frame", "10", "--end-frame", "5000")
    line = assert_one_error_line(result, contains="0 - 352")
    assert "5000" in line
    assert not any((rec / "exports").glob("*/*.csv"))


def test_export_missing_path(tmp_path: Path):
    result = run("export", tmp_path / "nowhere")
    assert_one_error_line(result, contains="does not exist")


@needs_fixtures
def test_export_file_instead_of_folder(rec_copy):
    rec = rec_copy(CORE358)
    result = run("export", rec / "info.player.json")
    assert_one_error_line(result, contains="not a recording folder")


def test_export_folder_without_info_file(tmp_path: Path):
    result = run("export", tmp_path)
    assert_one_error_line(result, contains="no info file")


@pytest.mark.parametrize(
    "command",
    [["info"], ["export"], ["fixations"], ["blinks"], ["annotate", "{path}", "list"]],
    ids=["info", "export", "fixations", "blinks", "annotate"],
)
def test_every_command_says_what_a_folder_is(tmp_path: Path, command: list[str]):
    study = tmp_path / "study"
    for name in ("p01", "p02", "p03"):
        (study / name / "rec").mkdir(parents=True)
        (study / name / "rec" / "info.player.json").write_text('{"meta_version": "2.3"}')
    (study / "p03" / "rec" / "user_info.csv").write_text("key,value\n")
    export = study / "p03" / "rec" / "exports" / "000"
    export.mkdir(parents=True)
    (export / "export_info.csv").write_text("key,value\nPlayer Software Version,3.5.1\n")
    (export / "gaze_positions.csv").write_text("gaze_timestamp,world_index\n")
    broken = study / "p04" / "broken"
    broken.mkdir(parents=True)
    for name in ("user_info.csv", "gaze.pldata", "gaze_timestamps.npy", "world_timestamps.npy"):
        (broken / name).write_bytes(b"")

    def run_on(path: Path):
        args = [a.format(path=path) for a in command]
        return run(*(args if "{path}" in command else [*args, path]))

    line = assert_one_error_line(run_on(study), contains="holds 4 recordings (p01/rec, p02/rec, …)")
    assert "add --recursive (-r)" in line
    rec = study / "p03" / "rec"
    line = assert_one_error_line(run_on(export), contains=f"is an export of {rec}")
    assert line.endswith(f"pass {rec}.")
    line = assert_one_error_line(run_on(broken), contains="no info.player.json or info.csv")
    assert "Cloud" not in line
    assert_one_error_line(run_on(tmp_path / "study" / "p01"), contains="holds 1 recording (rec)")
    (tmp_path / "empty").mkdir()
    assert_one_error_line(run_on(tmp_path / "empty"), contains="is not a recording")


@needs_fixtures
def test_missing_info_key_names_the_key(rec_copy):
    rec = rec_copy(CORE358)
    info_file = rec / "info.player.json"
    data = json.loads(info_file.read_text())
    del data["start_time_synced_s"]
    info_file.write_text(json.dumps(data))
    for command in ("info", "export"):
        result = run(command, rec)
        assert_one_error_line(result, contains='"start_time_synced_s"')


@needs_fixtures
def test_file_system_error_is_one_plain_error(rec_copy, tmp_path: Path):
    rec = rec_copy(CORE121)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    result = run("export", rec, "--out", blocker / "sub")
    assert_one_error_line(result, contains=str(blocker))


@needs_fixtures
def test_gazeport_warnings_are_yellow_lines_on_stderr(rec_copy):
    rec = rec_copy(CORE121)
    info_file = rec / "info.player.json"
    data = json.loads(info_file.read_text())
    data["meta_version"] = "2.9"  # newer than gazeport knows: a warning, then read as 2.3
    info_file.write_text(json.dumps(data))
    result = run("info", rec, "--json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("warning: ")
    assert "2.9" in lines[0]
    assert "GazeportWarning" not in result.stderr


@needs_fixtures
def test_keyboard_interrupt_says_cancelled(rec_copy, monkeypatch: pytest.MonkeyPatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_export, "export_recording", interrupted)
    result = run("export", rec_copy(CORE121))
    assert result.exit_code == 130
    assert result.stderr.strip() == "cancelled"


@needs_fixtures
def test_ctrl_c_during_a_task_removes_partial_files_and_says_how_tasks_ended(
    rec_copy, monkeypatch: pytest.MonkeyPatch
):
    from gazeport.exporters import raw_data

    real = raw_data.write_csv

    def interrupted(kind, chunks, fh, **kwargs):
        if kind == "gaze":
            fh.write(b"half a file")
            raise KeyboardInterrupt
        return real(kind, chunks, fh, **kwargs)

    monkeypatch.setattr(raw_data, "write_csv", interrupted)
    rec = rec_copy(CORE121)
    result = run("export", rec, "--quiet")
    assert result.exit_code == 130
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "raw cancelled, annotations cancelled, fixations cancelled, blinks cancelled",
        "cancelled",
    ]
    # the raw task was running and nothing had completed: no folder, no partial file
    assert not (rec / "exports").exists() or list((rec / "exports").iterdir()) == []


@needs_fixtures
def test_unexpected_exception_is_one_line(rec_copy, monkeypatch: pytest.MonkeyPatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(cli_export, "export_recording", broken)
    rec = rec_copy(CORE121)
    result = run("export", rec)
    line = assert_one_error_line(result, contains="ZeroDivisionError: oops")
    assert "bug" in line
    result = run("--traceback", "export", rec)
    assert isinstance(result.exception, ZeroDivisionError)


# --- demo, version, help --------------------------------------------------------------------------


def test_demo_into_a_folder(tmp_path: Path):
    out = tmp_path / "demo"
    result = run("demo", "--minutes", "0.05", "--out", out)
    assert result.exit_code == 0, result.output
    recording = out / "demo_recording"
    folder = recording / "exports" / "000"
    pupil = csv_rows(folder / "pupil_positions.csv")
    assert len(pupil) > 0
    assert (folder / "gaze_positions.csv").is_file()
    assert f"Sample recording: {recording}" in result.stdout
    assert "which the next gazeport demo replaces" in result.stdout
    assert f"{len(pupil):,}" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [".gazeport-demo", "demo_recording"]
    with gazeport.open(recording) as rec:
        assert rec.info.recording_software_name == "Pupil Capture"


def test_demo_default_folder_is_gazeport_demo_here_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    here, temp = tmp_path / "here", tmp_path / "temp"
    here.mkdir()
    temp.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr("tempfile.tempdir", None)
    first = run("demo", "--minutes", "0.02")
    assert first.exit_code == 0, first.output
    recording = here / "gazeport-demo" / "demo_recording"
    assert str(recording) in first.stdout
    assert run("export", recording, "--only", "raw", "--quiet").exit_code == 0
    assert sorted(p.name for p in (recording / "exports").iterdir()) == ["000", "001"]
    second = run("demo", "--minutes", "0.02")
    assert second.exit_code == 0, second.output
    assert sorted(p.name for p in (recording / "exports").iterdir()) == ["000"]  # replaced
    assert sorted(p.name for p in here.iterdir()) == ["gazeport-demo"]
    assert list(temp.iterdir()) == []  # nothing left in the temporary folder


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param({"keep.txt": "mine"}, "was not made by gazeport demo", id="not-ours"),
        pytest.param(
            {".gazeport-demo": "", "demo_recording/info.player.json": "{}", "notes.txt": "mine"},
            "also holds notes.txt",
            id="ours-with-user-files",
        ),
        pytest.param(
            {".gazeport-demo": "", "demo_recording": "a file"}, "did not make", id="odd-recording"
        ),
    ],
)
def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path, files: dict[str, str], message: str):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    result = run("demo", "--minutes", "0.02", "--out", tmp_path)
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


def test_demo_refuses_a_symlinked_recording(tmp_path: Path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "data.txt").write_text("mine")
    out = tmp_path / "demo"
    out.mkdir()
    (out / ".gazeport-demo").write_text("")
    (out / "demo_recording").symlink_to(precious)
    result = run("demo", "--minutes", "0.02", "--out", out)
    assert result.exit_code == 2
    assert "did not make" in " ".join(result.output.replace("│", " ").split())
    assert (precious / "data.txt").read_text() == "mine"


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"gazeport {gazeport.__version__}"


def test_python_dash_m_version():
    done = subprocess.run(
        [sys.executable, "-m", "gazeport", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"gazeport {gazeport.__version__}"


@needs_fixtures
def test_python_dash_m_error_has_no_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "gazeport", "export", str(NEON), "--start-s", "9999"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert not (NEON / "exports").exists()
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["export", "info", "demo"])
def test_help_shows_examples(command: str):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Examples" in result.stdout
    assert f"gazeport {command}" in result.stdout


def test_no_arguments_shows_help():
    result = run()
    assert result.exit_code == 2
    assert "demo" in result.output


# --- batch summary --------------------------------------------------------------------------------


def _batch_items(tmp_path: Path) -> list:
    from gazeport.batch import BatchItem

    long_dir = tmp_path / ("participant_with_a_rather_long_name_" * 3) / "2024_01_25_session_003"
    error = f"Gaze datum 298 in {long_dir}/gaze.pldata is damaged; restore the file from a backup."
    return [
        BatchItem(long_dir, status="ok", rows={"gaze": 1841}, export_dir=long_dir / "exports/000"),
        BatchItem(long_dir.parent / "broken", status="failed", error=error),
        BatchItem(long_dir.parent / "neon", status="unsupported", error="a native Neon recording"),
    ]


def _terminal_summary(items: list, width: int) -> list[str]:
    from rich.console import Console

    console = Console(width=width, force_terminal=True, color_system=None, record=True)
    cli_export._print_summary(items, console)
    return console.export_text().splitlines()


def test_batch_summary_in_a_terminal_folds_paths_and_errors(tmp_path: Path):
    items = _batch_items(tmp_path)
    lines = _terminal_summary(items, 70)
    header = lines[0]
    assert header.split() == ["recording", "status", "rows", "seconds", "output"]
    starts = [header.index(name) - 1 for name in ("status", "rows", "seconds", "output")]
    cells: list[list[str]] = []  # per row: recording, status, output (unfolded)
    for line in lines[1:]:
        recording, status = line[: starts[0]].strip(), line[starts[0] : starts[1]].strip()
        output = line[starts[3] :].strip()
        if status:
            cells.append([recording, status, output])
        else:
            cells[-1][0] += recording
            cells[-1][2] += " " + output
    assert [c[1] for c in cells] == ["ok", "failed", "unsupported"]
    assert [c[0] for c in cells] == [str(i.recording) for i in items]
    outputs = [str(items[0].export_dir), items[1].error, items[2].error]
    assert [c[2].replace(" ", "") for c in cells] == [o.replace(" ", "") for o in outputs]
    assert "…" not in "".join(lines)


def test_batch_summary_in_a_very_narrow_terminal_is_a_block_per_recording(tmp_path: Path):
    items = _batch_items(tmp_path)
    lines = _terminal_summary(items, 40)
    assert lines == [
        line
        for i in items
        for line in (
            str(i.recording),
            f"  {i.status}  {i.total_rows:,} rows  0.00 s  {i.export_dir or i.error}",
        )
    ]


def test_batch_summary_off_a_terminal_keeps_each_row_on_one_line(tmp_path: Path):
    from rich.console import Console

    items = _batch_items(tmp_path)
    console = Console(file=io.StringIO(), width=40, record=True)  # as a pipe with COLUMNS=40
    cli_export._print_summary(items, console)
    lines = console.export_text().splitlines()
    assert lines[0].split() == ["recording", "status", "rows", "seconds", "output"]
    for item, line in zip(items, lines[1:], strict=True):
        assert line.startswith(f" {item.recording}  ")
        assert line.endswith(str(item.export_dir or item.error))
        assert f" {item.status} " in line


def test_batch_export_exports_neon_recordings(tmp_path: Path):
    truth = write_neon(tmp_path / "study" / "p01" / "neon")
    before = tree_hashes(truth.root)
    report = tmp_path / "report.csv"
    result = run(
        "export", tmp_path / "study", "-r", "--report", report, "--out-root", tmp_path / "out"
    )
    assert result.exit_code == 0, result.output
    rows = csv_rows(report)
    assert [(r["status"], r["error"]) for r in rows] == [("ok", "")]
    assert tree_hashes(truth.root) == before
