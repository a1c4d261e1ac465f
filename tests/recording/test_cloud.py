"""Pupil Cloud Timeseries downloads as input: open through the facade, export in the cloud
dialect by default, round-trip our own Cloud exports byte for byte, batch discovery."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tests import fixtures
from tests.neon_factories import write_neon
from typer.testing import CliRunner

import gazeport
from gazeport import cli
from gazeport.batch import discover
from gazeport.recording.cloud import FILES, CloudRecording
from gazeport.recording.detect import RecordingKind

runner = CliRunner()
NO_CALIBRATION = "ignore:.*calibration.bin does not exist"
#: Files gazeport writes in the cloud dialect (the job record differs by nature).
CLOUD_FILES = (
    "gaze.csv", "fixations.csv", "saccades.csv", "blinks.csv", "events.csv", "imu.csv",
    "3d_eye_states.csv", "world_timestamps.csv", "scene_camera.json", "info.json",
)  # fmt: skip


def export(folder: Path, *args: str) -> Path:
    result = runner.invoke(cli.app, ["export", str(folder), *args])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    exports = sorted((folder / "exports").iterdir())
    return exports[-1]


def cloud_download(neon: Path, target: Path) -> Path:
    """A Cloud-style download of ``neon``: our own cloud-dialect export, moved to ``target``."""
    out = export(neon, "--dialect", "cloud")
    (out / "gazeport_export.json").unlink()
    shutil.move(out, target)
    return target


def assert_round_trip(cloud: Path) -> None:
    again = export(cloud)  # the cloud dialect is the default for a Cloud download
    written = {p.name for p in again.iterdir()} - {"gazeport_export.json"}
    assert written == {p.name for p in cloud.iterdir() if p.is_file()}
    for name in written:
        assert (again / name).read_bytes() == (cloud / name).read_bytes(), name


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_synthetic_download_opens_and_round_trips(tmp_path: Path):
    write_neon(tmp_path / "neon")
    cloud = cloud_download(tmp_path / "neon", tmp_path / "2023-11-14_22-13-20-00000000")
    with gazeport.open(cloud) as rec:
        assert isinstance(rec, CloudRecording) and rec.kind is RecordingKind.CLOUD_CSV
        assert rec.recording_id == "00000000-0000-4000-8000-000000000001"
        assert rec.wearer is not None and rec.wearer.name == "Synthetic"
        with gazeport.open(tmp_path / "neon") as neon:
            assert rec.info.start_time_ns == neon.start_time_ns
            t = neon.gaze["timestamp_ns"]
            inside = (t >= neon.start_time_ns) & (t <= neon.stop_time_ns)
            np.testing.assert_array_equal(rec.gaze["timestamp_ns"], t[inside])
            assert rec.gaze.dtype["gaze_x_px"] == np.float32
            np.testing.assert_array_equal(
                rec.fixations["start_timestamp_ns"], neon.fixations["start_timestamp_ns"]
            )
            assert set(rec.imu.dtype.names or ()) == set(neon.imu.dtype.names or ())
        assert rec.has_stream("blinks") and not rec.has_stream("eye")
        assert [e["type"] for e in rec.event_table()] == ["recording"] * 4
        window = rec.export_window(start_s=1.0, end_s=2.0)
        assert window.window_ns == (rec.start_time_ns + 10**9, rec.start_time_ns + 2 * 10**9)
        assert rec.export_window(from_event="stim.on").window_ns[0] == rec.start_time_ns + 3 * 10**9
        assert rec.calibration.scene_camera_matrix.shape == (3, 3)
    assert_round_trip(cloud)


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_a_window_of_a_download_gets_a_new_section_id(tmp_path: Path):
    write_neon(tmp_path / "neon")
    cloud = cloud_download(tmp_path / "neon", tmp_path / "cloud")
    out = export(cloud, "--start-s", "1", "--end-s", "3")
    rows = list(csv.DictReader(io.StringIO((out / "gaze.csv").read_text(), newline="")))
    original = list(csv.DictReader(io.StringIO((cloud / "gaze.csv").read_text(), newline="")))
    assert rows and {r["section id"] for r in rows} != {original[0]["section id"]}
    assert len(rows) < len(original)


@fixtures.needs_recordings
@pytest.mark.parametrize("name", ["neon_demo", "neon23_multipart"])
def test_real_recordings_round_trip(tmp_path: Path, name: str):
    neon = Path(shutil.copytree(fixtures.recording(name), tmp_path / name))
    cloud = cloud_download(neon, tmp_path / "cloud")
    assert_round_trip(cloud)
    assert not (fixtures.RECORDINGS / name / "exports").exists()


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_project_download_with_one_folder_per_recording_is_found_and_exported(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    for i, seed in enumerate((1, 2)):
        write_neon(tmp_path / f"neon{i}", seed=seed)
        cloud_download(tmp_path / f"neon{i}", project / f"2023-11-14_22-13-2{i}-0000000{i}")
    enrichment = project / "marker_mapper"
    enrichment.mkdir()
    (enrichment / "aoi_fixations.csv").write_text("aoi id,aoi name,section id,recording id\n")
    found = [p.relative_to(project).as_posix() for p, _ in discover([project], recursive=True)]
    assert found == [
        "2023-11-14_22-13-20-00000000",
        "2023-11-14_22-13-21-00000001",
        "marker_mapper",
    ]
    report = tmp_path / "report.csv"
    result = runner.invoke(
        cli.app, ["export", str(project), "-r", "--report", str(report), "--out-root",
                  str(tmp_path / "out"), "--quiet"],
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [r["status"] for r in rows] == ["ok", "ok", "unsupported"], result.output
    assert "enrichment" in rows[2]["error"]
    written = sorted(p.name for p in (tmp_path / "out").rglob("gaze.csv"))
    assert len(written) == 2


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_lf_csvs_and_crlf_json_read_the_same(tmp_path: Path):
    """Cloud's line ends are unverified (spec §6): LF CSVs and CRLF JSON files (as in the one
    real download) give the same data; re-exporting writes CRLF CSVs and LF JSON."""
    write_neon(tmp_path / "neon")
    cloud = cloud_download(tmp_path / "neon", tmp_path / "cloud")
    other = Path(shutil.copytree(cloud, tmp_path / "other"))
    for path in other.iterdir():
        data = path.read_bytes()
        if path.suffix == ".csv":
            path.write_bytes(data.replace(b"\r\n", b"\n"))
        else:
            path.write_bytes(data.replace(b"\n", b"\r\n"))
    with gazeport.open(cloud) as a, gazeport.open(other) as b:
        for name in ("gaze", "imu", "eye_state", "fixations", "blinks", "scene"):
            np.testing.assert_array_equal(a.stream(name), b.stream(name))
        assert (a.recording_id, a.start_time_ns) == (b.recording_id, b.start_time_ns)
    again = export(other)
    for name in ("gaze.csv", "info.json", "scene_camera.json"):
        assert (again / name).read_bytes() == (cloud / name).read_bytes(), name


def _csv_rows(path: Path) -> int:
    with path.open(newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1  # minus the header


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file()}  # fmt: skip


def assert_info_lists_every_stream(cloud: Path) -> None:
    """``gazeport info`` (text and JSON) of a download: one stream per Cloud CSV, one part each,
    counts equal to the CSV rows; the download is not written."""
    before = _snapshot(cloud)
    result = runner.invoke(cli.app, ["info", str(cloud), "--json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    facts = json.loads(result.stdout)
    assert facts["kind"] == "cloud_csv_export"
    assert facts["software"].startswith("Pupil Cloud download")
    streams = {s["name"]: s for s in facts["streams"]}
    expected = {name for name, file in FILES.items() if (cloud / file).is_file()}
    assert set(streams) == expected >= {"gaze", "worn", "fixations", "events", "scene"}
    for name, s in streams.items():
        assert {"count", "rate_hz", "first_rel_s", "last_rel_s", "layout", "parts", "gaps"} <= set(
            s
        )
        assert s["count"] == _csv_rows(cloud / FILES[name]), name
        assert len(s["parts"]) == 1 and s["parts"][0]["count"] == s["count"], name
        assert s["layout"].endswith(FILES[name]) and s["gaps"] == [], name
        if s["count"]:
            assert s["first_rel_s"] <= s["last_rel_s"], name
    assert streams["gaze"]["rate_hz"] == pytest.approx(200, rel=0.05)
    assert streams["fixations"]["rate_hz"] is None
    assert facts["videos"]["scene"]["frames"] == streams["scene"]["count"] > 0
    text = runner.invoke(cli.app, ["info", str(cloud)])
    assert text.exit_code == 0, (text.stdout, text.stderr)
    assert "Pupil Cloud download" in text.stdout and "world_timestamps.csv" in text.stdout
    assert _snapshot(cloud) == before


@pytest.mark.filterwarnings(NO_CALIBRATION)
def test_info_of_a_synthetic_download_lists_every_stream(tmp_path: Path):
    write_neon(tmp_path / "neon")
    assert_info_lists_every_stream(cloud_download(tmp_path / "neon", tmp_path / "cloud"))


@fixtures.needs_recordings
def test_info_of_a_real_download_lists_every_stream(tmp_path: Path):
    neon = Path(shutil.copytree(fixtures.recording("neon_demo"), tmp_path / "neon_demo"))
    assert_info_lists_every_stream(cloud_download(neon, tmp_path / "cloud"))
