"""Damaged Neon recordings through `gazeport export`: a warning and the good data, or one plain
sentence; never a traceback, never a write into the recording (issue 10, bad input)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests import fixtures
from tests.factories import tree_hashes
from tests.neon_factories import DTYPES, append_bytes, cut_records, empty_stream, write_neon
from tests.test_cli import assert_one_error_line, run

POINTER = (
    b"version https://git-lfs.github.com/spec/v1\n"
    b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    b"size 7933531\n"
)
#: No calibration.bin in synthetic recordings: the default intrinsics are used, with a warning.
pytestmark = pytest.mark.filterwarnings(r"ignore:.*calibration.bin:gazeport.errors.GazeportWarning")


def _export(root: Path) -> tuple[object, Path]:
    before = tree_hashes(root)
    result = run("export", root)
    assert "Traceback" not in result.output
    assert tree_hashes(root) == before  # only exports/ was written
    return result, root / "exports" / "000"


def _failed_in_part(result, contains: str, out: Path) -> str:
    """A table failed and the others were kept: exit 1, the summary of what was kept, and
    the reason as the one error line."""
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.stderr.splitlines() if not ln.startswith("warning: ")]
    assert lines[-1].startswith("error: ") and contains in lines[-1], result.stderr
    assert f"kept files are in {out}" in lines[0]
    assert [ln for ln in lines if ln.startswith("error: ")] == [lines[-1]]
    return lines[-1]


def _rows(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) - 1


def test_stray_bytes_warn_and_keep_the_whole_records(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    append_bytes(truth.root / "gaze ps2.raw")
    result, out = _export(truth.root)
    assert result.exit_code == 0, result.output
    assert "gaze ps2.raw" in result.stderr and "warning" in result.stderr
    assert _rows(out / "gaze.csv") == sum(len(t) for _, t, _ in truth.parts["gaze"])


def test_a_part_with_fewer_records_than_times_is_cut_alone(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    cut_records(truth.root / "imu ps1.raw", DTYPES["imu"].itemsize, 5)
    result, out = _export(truth.root)
    assert result.exit_code == 0, result.output
    assert "imu ps1" in result.stderr
    assert _rows(out / "imu.csv") == sum(len(t) for _, t, _ in truth.parts["imu"]) - 5


def test_an_empty_stream_writes_its_header(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    empty_stream(truth.root, "blinks")
    result, out = _export(truth.root)
    assert result.exit_code == 0, result.output
    assert (out / "blinks.csv").read_text(encoding="utf-8").splitlines() == [
        "recording id,blink id,start timestamp [ns],end timestamp [ns],duration [ms]"
    ]


def test_an_lfs_pointer_fails_its_table_alone_in_one_sentence(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    (truth.root / "eye_state ps1.raw").write_bytes(POINTER)
    result, out = _export(truth.root)
    line = _failed_in_part(
        result, "is a Git LFS placeholder, not the file; fetch it with git lfs pull", out
    )
    assert "eye_state ps1.raw" in line
    assert not (out / "3d_eye_states.csv").exists()
    assert (out / "gaze.csv").is_file() and (out / "imu.csv").is_file()
    record = json.loads((out / "gazeport_export.json").read_text(encoding="utf-8"))
    assert record["outcome"] == "failed"


def test_a_damaged_calibration_is_one_sentence(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    from tests.formats.test_neon_calibration import calibration_bytes

    data = bytearray(calibration_bytes()[0])
    data[20] ^= 0xFF
    (truth.root / "calibration.bin").write_bytes(bytes(data))
    result, out = _export(truth.root)
    _failed_in_part(result, "calibration.bin is damaged", out)
    assert (out / "imu.csv").is_file()  # tables without angles are written


def test_an_unknown_data_format_is_one_sentence(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    info = json.loads((truth.root / "info.json").read_text(encoding="utf-8"))
    info["data_format_version"] = "9.0"
    (truth.root / "info.json").write_text(json.dumps(info), encoding="utf-8")
    before = tree_hashes(truth.root)
    result = run("export", truth.root)
    assert_one_error_line(result, contains="9.0")
    assert tree_hashes(truth.root) == before and not (truth.root / "exports").exists()


def test_unsorted_events_are_written_in_time_order(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")  # write_neon writes event.txt out of time order
    result, out = _export(truth.root)
    assert result.exit_code == 0, result.output
    times = [int(r.split(",")[1]) for r in (out / "events.csv").read_text().splitlines()[1:]]
    assert times == sorted(times) and len(times) == len(truth.events)


def test_a_missing_scene_part_keeps_the_others(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    (truth.root / "Neon Scene Camera v1 ps2.time").unlink()
    result, out = _export(truth.root)
    assert result.exit_code == 0, result.output
    assert _rows(out / "gaze.csv") == sum(len(t) for _, t, _ in truth.parts["gaze"])
    assert (out / "world_timestamps.csv").is_file()


@pytest.mark.parametrize("video", ["Neon Scene Camera v1 ps1.mp4", "Neon Sensor Module v1 ps2.mp4"])
def test_an_lfs_pointer_in_place_of_a_video_fails_the_video_alone(tmp_path: Path, video: str):
    root = tmp_path / "neon23"
    shutil.copytree(fixtures.recording("neon23_multipart"), root)
    (root / video).write_bytes(POINTER)
    exporter = "world-video" if "Scene" in video else "eye-video"
    before = tree_hashes(root)
    result = run("export", root, "--with", exporter)
    assert "Traceback" not in result.output
    assert tree_hashes(root) == before
    out = root / "exports" / "000"
    line = _failed_in_part(
        result, "is a Git LFS placeholder, not the file; fetch it with git lfs pull", out
    )
    assert video in line
    assert (out / "gaze.csv").is_file() and (out / "imu.csv").is_file()
    assert not list(out.glob("*.mp4"))
