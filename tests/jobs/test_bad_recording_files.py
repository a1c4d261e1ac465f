"""Damaged files in a real recording, through the library and through ``gazeport export``.

Every variant runs on a copy of ``core358_artemisge_003`` (1,841 gaze and 3,682 pupil samples):

* a bad ``world_timestamps.npy`` (NaN, infinity, integers, 2-D, pickled objects) stops the export
  before anything is written, with one sentence naming the file;
* a bad ``gaze_timestamps.npy`` or a random-bytes ``gaze.pldata`` fails the gaze stream only:
  ``pupil_positions.csv`` is still written, the job record says what failed, the CLI exits 1;
* a zero-byte or dangling-symlink ``gaze.pldata`` exports the rest with a warning naming the file
  and what is missing, in the summary and in ``gazeport_export.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.errors import CorruptFileError, GazeportWarning
from gazeport.jobs import export_recording
from tests import fixtures, oracle

FIXTURES = fixtures.RECORDINGS
CORE358 = FIXTURES / "core358_artemisge_003"
pytestmark = fixtures.needs_recordings

GAZE_HEADER = (
    b"gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,base_data,"
    b"gaze_point_3d_x,gaze_point_3d_y,gaze_point_3d_z,"
    b"eye_center0_3d_x,eye_center0_3d_y,eye_center0_3d_z,gaze_normal0_x,gaze_normal0_y,gaze_normal0_z,"
    b"eye_center1_3d_x,eye_center1_3d_y,eye_center1_3d_z,gaze_normal1_x,gaze_normal1_y,gaze_normal1_z\r\n"
)
MISSING_GAZE = "gaze.pldata holds 0 of the 1,841 samples that gaze_timestamps.npy lists"


def _copy(tmp_path: Path) -> Path:
    rec = Path(shutil.copytree(CORE358, tmp_path / "rec"))
    for root, dirs, files in os.walk(rec):
        for name in dirs + files:
            path = Path(root, name)
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    rec.chmod(rec.stat().st_mode | stat.S_IWUSR)
    return rec


def _rewrite_npy(name: str, change: Callable[[np.ndarray], np.ndarray], *, pickled: bool = False):
    def corrupt(rec: Path) -> None:
        path = rec / name
        values = change(np.load(path))
        path.unlink()
        np.save(path, values, allow_pickle=pickled)

    return corrupt


def _set(index: int, value: float) -> Callable[[np.ndarray], np.ndarray]:
    def change(ts: np.ndarray) -> np.ndarray:
        ts = ts.copy()
        ts[index] = value
        return ts

    return change


def _bad_npy_variants(name: str) -> list:
    return [
        pytest.param(_rewrite_npy(name, _set(10, np.nan)), "holds nan at index 10", id="nan"),
        pytest.param(_rewrite_npy(name, _set(-1, np.inf)), "holds inf at index", id="inf"),
        pytest.param(
            _rewrite_npy(name, lambda ts: (ts * 1e9).astype(np.int64)),
            "holds int64 values, not float64 seconds",
            id="int-dtype",
        ),
        pytest.param(
            _rewrite_npy(name, lambda ts: ts[: ts.size // 2 * 2].reshape(-1, 2)),
            "should hold a 1-D array",
            id="2-d",
        ),
        pytest.param(
            _rewrite_npy(name, lambda ts: np.array(list(ts), dtype=object), pickled=True),
            "is not a plain NumPy array of numbers",
            id="pickled-objects",
        ),
    ]


def _zero_bytes(rec: Path) -> None:
    (rec / "gaze.pldata").write_bytes(b"")


def _dangling_symlink(rec: Path) -> None:
    (rec / "gaze.pldata").unlink()
    (rec / "gaze.pldata").symlink_to(rec / "moved-away" / "gaze.pldata")


def _random_bytes(rec: Path) -> None:
    size = (rec / "gaze.pldata").stat().st_size
    (rec / "gaze.pldata").write_bytes(np.random.default_rng(9).bytes(size))


runner = CliRunner()


def _cli_export(rec: Path):
    return runner.invoke(cli.app, ["export", str(rec), "--quiet"])


def _no_part_files(rec: Path) -> None:
    assert not [p for p in rec.rglob("*") if p.name.endswith(".part")]


# --- world_timestamps.npy: nothing can be exported ---------------------------------------------


@pytest.mark.parametrize(("corrupt", "message"), _bad_npy_variants("world_timestamps.npy"))
def test_bad_world_timestamps_library(tmp_path: Path, corrupt, message: str) -> None:
    rec = _copy(tmp_path)
    corrupt(rec)
    with pytest.raises(CorruptFileError, match=message) as info:
        export_recording(rec)
    assert info.value.path == rec / "world_timestamps.npy"
    assert not (rec / "exports").exists()


@pytest.mark.parametrize(("corrupt", "message"), _bad_npy_variants("world_timestamps.npy"))
def test_bad_world_timestamps_cli(tmp_path: Path, corrupt, message: str) -> None:
    rec = _copy(tmp_path)
    corrupt(rec)
    result = _cli_export(rec)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {rec / 'world_timestamps.npy'} ")
    assert message in lines[0]
    assert "unexpected" not in result.stderr and "unsafe" not in result.stderr
    assert "Traceback" not in result.output
    assert not (rec / "exports").exists()


# --- gaze files that cannot be read: the gaze stream fails alone ------------------------------


FAILING_GAZE = [
    *(
        pytest.param(p.values[0], "gaze_timestamps.npy", p.values[1], id=f"timestamps-{p.id}")
        for p in _bad_npy_variants("gaze_timestamps.npy")
    ),
    pytest.param(_random_bytes, "gaze.pldata", "is damaged", id="pldata-random-bytes"),
]


def _check_partial_export(rec: Path, bad_file: str) -> dict:
    out = rec / "exports" / "000"
    names = {p.name for p in out.iterdir()}
    assert "pupil_positions.csv" in names and "gaze_positions.csv" not in names
    assert "fixations.csv" not in names  # fixations need gaze: that task failed too
    assert {"annotations.csv", "blinks.csv", "export_info.csv", "gazeport_export.json"} <= names
    expected = oracle.expected_csv(rec, "pupil")
    assert (out / "pupil_positions.csv").read_bytes() == expected
    record = json.loads((out / "gazeport_export.json").read_text())
    assert record["outcome"] == "failed"
    assert record["tasks"]["raw"]["status"] == "completed"
    assert bad_file in record["tasks"]["raw"]["failed"]["gaze"]
    assert record["tasks"]["raw"]["files"] == [
        "pupil_positions.csv",
        "pupil_gaze_positions_info.txt",
    ]
    assert record["rows"] == {"pupil": 3624}
    _no_part_files(rec)
    return record


@pytest.mark.parametrize(("corrupt", "bad_file", "message"), FAILING_GAZE)
def test_unreadable_gaze_fails_only_gaze_library(
    tmp_path: Path, corrupt, bad_file: str, message: str
) -> None:
    rec = _copy(tmp_path)
    corrupt(rec)
    with pytest.raises(CorruptFileError, match=message) as info:
        export_recording(rec)
    assert info.value.path == rec / bad_file
    _check_partial_export(rec, bad_file)


@pytest.mark.parametrize(("corrupt", "bad_file", "message"), FAILING_GAZE)
def test_unreadable_gaze_fails_only_gaze_cli(
    tmp_path: Path, corrupt, bad_file: str, message: str
) -> None:
    rec = _copy(tmp_path)
    corrupt(rec)
    result = _cli_export(rec)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: {rec / bad_file} ") and message in lines[-1]
    assert "raw completed except gaze" in result.stderr  # what was kept, and where
    assert "Traceback" not in result.output and "unexpected" not in result.stderr
    _check_partial_export(rec, bad_file)


# --- gaze.pldata empty or a dangling link: exported with a warning ----------------------------


EMPTY_GAZE = [
    pytest.param(_zero_bytes, "(the file is empty)", id="zero-byte"),
    pytest.param(_dangling_symlink, "which does not exist)", id="dangling-symlink"),
]


def _check_warned_export(rec: Path, why: str) -> None:
    out = rec / "exports" / "000"
    assert (out / "gaze_positions.csv").read_bytes() == GAZE_HEADER
    assert (out / "pupil_positions.csv").read_bytes() == oracle.expected_csv(rec, "pupil")
    record = json.loads((out / "gazeport_export.json").read_text())
    assert record["outcome"] == "completed"
    assert record["rows"] == {"pupil": 3624, "gaze": 0}
    [warning] = record["warnings"]
    assert warning.startswith(MISSING_GAZE) and why in warning
    _no_part_files(rec)


@pytest.mark.parametrize(("corrupt", "why"), EMPTY_GAZE)
def test_empty_gaze_pldata_warns_library(tmp_path: Path, corrupt, why: str) -> None:
    rec = _copy(tmp_path)
    corrupt(rec)
    with pytest.warns(GazeportWarning, match=MISSING_GAZE):
        result = export_recording(rec)
    assert len(result.warnings) == 1 and result.warnings[0].startswith(MISSING_GAZE)
    _check_warned_export(rec, why)


@pytest.mark.parametrize(("corrupt", "why"), EMPTY_GAZE)
def test_empty_gaze_pldata_warns_cli(tmp_path: Path, corrupt, why: str) -> None:
    rec = _copy(tmp_path)
    corrupt(rec)
    result = _cli_export(rec)
    assert result.exit_code == 0, result.output
    assert MISSING_GAZE in result.stdout  # the export summary's notes
    assert [line for line in result.stderr.splitlines() if MISSING_GAZE in line] == [
        line for line in result.stderr.splitlines() if line.startswith("warning: ")
    ]
    assert result.stderr.count(MISSING_GAZE) == 1  # said once, though two tasks read gaze
    _check_warned_export(rec, why)


@pytest.mark.parametrize(("corrupt", "why"), EMPTY_GAZE)
def test_info_flags_empty_gaze_pldata(tmp_path: Path, corrupt, why: str) -> None:
    rec = _copy(tmp_path)
    corrupt(rec)
    result = runner.invoke(cli.app, ["info", str(rec), "--json"])
    assert result.exit_code == 0, result.output
    gaze = {s["name"]: s for s in json.loads(result.stdout)["streams"]}["gaze"]
    assert gaze["count"] == 1841
    assert gaze["problem"].startswith(MISSING_GAZE) and why in gaze["problem"]
    text = runner.invoke(cli.app, ["info", str(rec)])
    assert text.exit_code == 0 and MISSING_GAZE in text.stdout
