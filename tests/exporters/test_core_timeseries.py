"""CoreTimeseries: a Core recording through the Neon stream interface (UTC ns, scene pixels,
gazeport's detectors, annotations as events, the world camera as Neon's calibration)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import gazeport
from gazeport.exporters.core_timeseries import CoreTimeseries, cloud_view, scene_calibration
from gazeport.exporters.event_files import detect_recording_fixations
from gazeport.formats.intrinsics import CameraIntrinsics
from gazeport.recording.annotations import Annotation, add_annotation
from gazeport.recording.window import seconds_to_ns
from tests.factories import CoreSpec, make_core_recording


def oracle_ns(rec_dir: Path, t: np.ndarray) -> np.ndarray:
    """Wall-clock ns of Pupil times, exactly: t + start_time_system_s − start_time_synced_s."""
    info = json.loads((rec_dir / "info.player.json").read_text())
    offset = Decimal(info["start_time_system_s"]) - Decimal(info["start_time_synced_s"])
    return np.array([int(((Decimal(x) + offset) * 10**9).to_integral_value()) for x in t.tolist()])


@pytest.fixture
def core(tmp_path: Path) -> Path:
    return make_core_recording(tmp_path / "rec", CoreSpec(n_frames=60, t0=523599.170657))


def test_seconds_to_ns_is_exact_where_float_products_are_not():
    t = np.array([1706189348.297847, 0.1, 2294.807856069, 1.9999999999])
    exact = [int((Decimal(x) * 10**9).to_integral_value()) for x in t.tolist()]
    assert seconds_to_ns(t).tolist() == exact
    assert round(1706189348.297847 * 1e9) != exact[0]  # what the split avoids


def test_gaze_is_wall_clock_ns_and_top_left_pixels(core: Path):
    rec = gazeport.open(core)
    view = CoreTimeseries(rec)
    gaze = view.stream("gaze")
    cols = rec.columns("gaze", ("timestamp", "confidence", "norm_pos_x", "norm_pos_y"))
    keep = cols["confidence"] >= 0.6
    assert keep.sum() > 0 and len(gaze) == keep.sum()
    got = gaze["timestamp_ns"]
    assert np.abs(got - oracle_ns(core, cols["timestamp"][keep])).max() <= 1
    w, h = rec.frame_table.frame_size
    np.testing.assert_allclose(gaze["gaze_x_px"], cols["norm_pos_x"][keep] * w)
    np.testing.assert_allclose(gaze["gaze_y_px"], (1 - cols["norm_pos_y"][keep]) * h)
    everything = CoreTimeseries(rec, min_confidence=0.0).stream("gaze")
    assert len(everything) == len(cols["timestamp"])


def test_scene_and_window_share_one_clock(core: Path):
    rec = gazeport.open(core)
    scene = CoreTimeseries(rec).stream("scene")["timestamp_ns"]
    world = np.load(core / "world_timestamps.npy")
    assert len(scene) == len(world)
    assert np.abs(scene - oracle_ns(core, world)).max() <= 1
    lo, hi = rec.export_window().window_ns
    assert (lo, hi) == (scene[0], scene[-1])  # both edge frames are inside the window


def test_fixations_and_blinks_are_gazeports_detectors(core: Path):
    rec = gazeport.open(core)
    view = CoreTimeseries(rec)
    _, found = detect_recording_fixations(rec, view.fixation_params)
    fix = view.stream("fixations")
    assert len(fix) == len(found)
    if len(found):
        assert (
            np.abs(fix["start_timestamp_ns"] - oracle_ns(core, found["start_timestamp"])).max() <= 1
        )
        assert (fix["end_timestamp_ns"] > fix["start_timestamp_ns"]).all()
    blinks = view.stream("blinks")
    assert blinks.dtype.names == ("start_timestamp_ns", "end_timestamp_ns")


def test_streams_core_does_not_have(core: Path):
    view = CoreTimeseries(gazeport.open(core))
    for name in ("worn", "imu", "eye_state", "saccades", "gaze_200hz"):
        assert not view.has_stream(name)
    assert view.has_stream("gaze") and view.has_stream("scene") and view.has_stream("blinks")
    assert view.calibration is None  # the synthetic recording has no world.intrinsics


def test_events_are_the_annotations(core: Path):
    t0 = float(np.load(core / "world_timestamps.npy")[5])
    add_annotation(core, Annotation(t0, "start, task"))
    add_annotation(core, Annotation(t0 + 0.5, "stop"))
    events = CoreTimeseries(gazeport.open(core)).event_table()
    assert events["name"].tolist() == ["start, task", "stop"]
    assert events["type"].tolist() == ["recording", "recording"]
    assert np.abs(events["timestamp_ns"] - oracle_ns(core, np.array([t0, t0 + 0.5]))).max() <= 1


def test_info_json_keys(core: Path):
    info = CoreTimeseries(gazeport.open(core)).info_json()
    assert info["recording_id"] == "0b4e7a2c-3f51-4a8e-9a57-0c9f5d0e2b11"
    assert info["start_time"] == 1_700_000_000_125_000_000
    assert isinstance(info["duration"], int) and info["wearer_name"] is None


def _with(intrinsics: CameraIntrinsics | None) -> object:
    return SimpleNamespace(world_intrinsics=intrinsics)


def test_radial_intrinsics_become_neons_8_coefficients():
    k = np.array([[800.0, 0, 640], [0, 800, 360], [0, 0, 1]])
    five = np.array([[-0.3, 0.1, 0.001, 0.002, 0.03]])
    cal = scene_calibration(_with(CameraIntrinsics((1280, 720), k, five, "radial")))  # type: ignore[arg-type]
    assert cal is not None
    np.testing.assert_array_equal(cal.scene_camera_matrix, k)
    assert cal.scene_distortion_coefficients.tolist() == [-0.3, 0.1, 0.001, 0.002, 0.03, 0, 0, 0]
    fisheye = CameraIntrinsics((1280, 720), k, np.zeros((4, 1)), "fisheye")
    assert scene_calibration(_with(fisheye)) is None  # type: ignore[arg-type]
    assert scene_calibration(_with(None)) is None  # type: ignore[arg-type]


def test_cloud_view_leaves_neon_alone(core: Path):
    neon_like = SimpleNamespace(path=core)
    assert cloud_view(neon_like, None) is neon_like
    options = SimpleNamespace(fixation_params=None, blink_params=None, min_confidence=0.9)
    view = cloud_view(gazeport.open(core), options)
    assert isinstance(view, CoreTimeseries) and view.min_confidence == 0.9
