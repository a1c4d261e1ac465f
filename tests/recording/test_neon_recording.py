"""Neon recordings through the one facade: ``gazeport.open`` returns a :class:`NeonRecording`."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from tests import fixtures
from tests.factories import tree_hashes
from tests.neon_factories import write_neon
from tests.neon_oracle import assert_fields_equal, oracle_streams

import gazeport
from gazeport.errors import StreamNotFoundError, UnsupportedRecordingError
from gazeport.formats.neon_streams import neon_stream
from gazeport.recording import NeonRecording, Recording, open_recording
from gazeport.recording.detect import RecordingKind

REAL = ["neon_demo", "neon23_multipart"]
IMU_FIELDS = ("timestamp_ns", "gyro_x_deg_s", "gyro_y_deg_s", "gyro_z_deg_s", "acceleration_x_g",
              "acceleration_y_g", "acceleration_z_g", "quaternion_w", "quaternion_x",
              "quaternion_y", "quaternion_z")  # fmt: skip


def quiet_open(folder: Path) -> NeonRecording:
    rec = gazeport.open(folder)
    assert isinstance(rec, NeonRecording)
    return rec


@pytest.mark.parametrize("name", REAL)
def test_real_neon_recordings_open_with_every_stream(name: str) -> None:
    folder = fixtures.recording(name)
    before = tree_hashes(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the real recordings carry known short parts
        with quiet_open(folder) as rec:
            assert rec.kind is RecordingKind.NEON and str(rec.kind) == "neon"
            assert rec.path == folder.absolute()
            info = json.loads((folder / "info.json").read_text())
            assert rec.start_time_ns == info["start_time"]
            assert rec.duration_s == pytest.approx(info["duration"] / 1e9)
            assert repr(rec).startswith(
                f"<NeonRecording {name!r} neon {info['data_format_version']}"
            )
            assert rec.gaze.dtype["timestamp_ns"] == np.int64
            assert rec.gaze["timestamp_ns"][0] >= rec.start_time_ns
            assert rec.imu.dtype.names == IMU_FIELDS and len(rec.imu) > 900
            assert np.array_equal(rec.events, neon_stream(folder, "events"))
            assert rec.has_stream("imu") and rec.has_stream("scene")
            assert rec.wearer is not None and rec.wearer.name
            if name == "neon23_multipart":
                assert not rec.has_stream("fixations") and len(rec.fixations) == 0
                assert rec.fixations.dtype.names[:2] == ("start_timestamp_ns", "end_timestamp_ns")
                with pytest.raises(StreamNotFoundError, match="has no fixations stream"):
                    rec.stream("fixations")
            names = {s.name for s in rec.stream_summaries()}
            assert {"gaze", "events", "scene", "eye"} <= names
    assert tree_hashes(folder) == before


@pytest.mark.parametrize("name", REAL)
def test_real_streams_equal_the_vendor_reader(name: str) -> None:
    """gaze (Cloud's 200 Hz files first), imu and fixations (offset rule of app < 2.9.31 applied,
    as the vendor reader does) equal pupil-labs-neon-recording."""
    folder = fixtures.recording(name)
    oracle = oracle_streams(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = quiet_open(folder)
        assert_fields_equal(rec.gaze, oracle["gaze"], "gaze")
        assert_fields_equal(rec.imu, oracle["imu"], "imu")
        if "fixations" in oracle:
            assert_fields_equal(rec.fixations, oracle["fixations"], "fixations")


def test_the_issue_check_runs(tmp_path: Path) -> None:
    folder = fixtures.recording("neon23_multipart")
    code = "import gazeport; r = gazeport.open(%r); print(r.gaze[:3], r.imu[:3], r.fixations[:3])"
    result = subprocess.run([sys.executable, "-c", code % str(folder)], capture_output=True,
                            text=True, check=False, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("(17285461") >= 6


@pytest.mark.parametrize("data_format", ["2.3", "2.5"])
def test_synthetic_streams_equal_the_truth(tmp_path: Path, data_format: str) -> None:
    truth = write_neon(tmp_path / "rec", data_format=data_format, numbers=(2, 3, 1))
    before = tree_hashes(truth.root)
    rec = quiet_open(truth.root)
    for name in truth.parts:
        assert_fields_equal(rec.stream(name), truth.expected(name), name)
    assert_fields_equal(rec.imu, truth.expected("imu"), "imu")
    assert rec.gaze is rec.stream("gaze")
    assert np.array_equal(rec.gaze, rec.stream("gaze_realtime"))
    assert rec.imu.dtype.names == IMU_FIELDS
    assert not rec.has_stream("gaze_200hz") and not rec.has_stream("nonsense")
    assert rec.has_stream("fixations") is (data_format == "2.5")
    assert len(rec.blinks) == (3 if data_format == "2.5" else 0)
    assert rec.relative_s(rec.events["timestamp_ns"][:1]).tolist() == [0.0]
    with pytest.raises(StreamNotFoundError, match=r"'pupil' is not a Neon stream; use one of"):
        rec.stream("pupil")
    rec.close()
    assert tree_hashes(truth.root) == before


def test_gaze_prefers_cloud_200hz_files(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec", cloud_200hz=True, parts=((0.5, 1.0),))
    (truth.root / "gaze_200hz.raw").write_bytes(
        truth.parts["gaze_200hz"][0][2][::2].tobytes()
        + truth.parts["gaze_200hz"][0][2][1::2].tobytes()
    )  # same samples, other values: tells the files apart
    rec = quiet_open(truth.root)
    assert np.array_equal(rec.gaze, rec.stream("gaze_200hz"))
    assert not np.array_equal(rec.gaze, rec.stream("gaze_realtime"))
    assert np.array_equal(rec.worn, rec.stream("worn_200hz"))


@pytest.mark.parametrize(("app", "shifted"), [("2.9.19-prod", True), ("2.9.31", False)])
def test_fixation_means_get_the_offset_before_app_2_9_31(tmp_path: Path, app: str, shifted: bool):
    truth = write_neon(tmp_path / "rec", app_version=app, gaze_offset=(12.5, -3.25))
    rec = quiet_open(truth.root)
    raw = neon_stream(truth.root, "fixations")
    dx, dy = (12.5, -3.25) if shifted else (0.0, 0.0)
    assert np.array_equal(rec.fixations["mean_gaze_x_px"], raw["mean_gaze_x_px"] + np.float32(dx))
    assert np.array_equal(rec.fixations["mean_gaze_y_px"], raw["mean_gaze_y_px"] - np.float32(dy))
    assert np.array_equal(rec.fixations["start_gaze_x_px"], raw["start_gaze_x_px"])


def test_core_only_tools_refuse_neon_with_one_sentence(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    assert isinstance(open_recording(truth.root), NeonRecording)
    with pytest.raises(UnsupportedRecordingError) as info:
        Recording(truth.root)
    assert str(info.value) == (
        f"{truth.root} is a native Neon recording: this needs a Pupil Core, Mobile or "
        "Invisible recording; Neon's scene and eye videos are H.264 already, and `gazeport "
        "export` handles Neon recordings."
    )


# The synthetic recording has no calibration.bin: its Neon Player tables warn about the default.
@pytest.mark.filterwarnings(
    "ignore:.*calibration.bin does not exist:gazeport.errors.GazeportWarning"
)
def test_an_opened_neon_recording_exports_into_its_exports_folder(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    rec = gazeport.open(truth.root)
    before = sorted(p.name for p in truth.root.iterdir())
    result = gazeport.export_raw(rec)
    assert result.export_dir == truth.root / "exports" / "000"
    assert sorted(p.name for p in truth.root.iterdir()) == sorted([*before, "exports"])
