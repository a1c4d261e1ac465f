"""Synthetic Pupil Capture 3.x recordings (:mod:`gazeport.synthetic`).

The files are read back with plain ``msgpack``/``numpy`` here; the datum shapes are compared with
what the real Capture 3.5.8 recording in the shared fixtures holds.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest

import gazeport
from gazeport.synthetic import EYE_RADIUS_MM, PYE3D_METHOD, generate_capture_recording
from tests import fixtures

FIXTURES = fixtures.RECORDINGS
CORE358 = FIXTURES / "core358_artemisge_003"
needs_fixtures = fixtures.needs_recordings
MINUTES = 0.05  # 3 s
N_EYE = 600  # 3 s x 200 Hz per eye
N_WORLD = 90  # 3 s x 30 fps


def read_pldata(path: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    with path.open("rb") as fh:
        for topic, payload in msgpack.Unpacker(fh, raw=False, use_list=False):
            out.append((topic, msgpack.unpackb(payload, raw=False, use_list=False)))
    return out


def signature(value: Any) -> Any:
    """Keys (in order) and value types of a datum, recursively."""
    if isinstance(value, dict):
        return tuple((k, signature(v)) for k, v in value.items())
    if isinstance(value, tuple):
        return tuple(signature(v) for v in value)
    return type(value).__name__


def key_sets(value: Any) -> Any:
    """Like :func:`signature` but ignoring key order."""
    if isinstance(value, dict):
        return frozenset((k, key_sets(v)) for k, v in value.items())
    if isinstance(value, tuple):
        return tuple(key_sets(v) for v in value)
    return type(value).__name__


def shapes_by_topic(records: list[tuple[str, dict[str, Any]]], fn: Any) -> dict[str, set[Any]]:
    out: dict[str, set[Any]] = {}
    for topic, datum in records:
        if isinstance(datum.get("base_data"), tuple):
            datum = {**datum, "base_data": datum["base_data"][:1]}
        out.setdefault(topic, set()).add(fn(datum))
    return out


@pytest.fixture(scope="module")
def rec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_capture_recording(tmp_path_factory.mktemp("synthetic") / "rec", MINUTES)


@pytest.fixture(scope="module")
def pupil_records(rec_path: Path) -> list[tuple[str, dict[str, Any]]]:
    return read_pldata(rec_path / "pupil.pldata")


@pytest.fixture(scope="module")
def gaze_records(rec_path: Path) -> list[tuple[str, dict[str, Any]]]:
    return read_pldata(rec_path / "gaze.pldata")


def test_files_written(rec_path: Path) -> None:
    assert sorted(p.name for p in rec_path.iterdir()) == [
        "eye0_timestamps.npy",
        "eye1_timestamps.npy",
        "gaze.pldata",
        "gaze_timestamps.npy",
        "info.player.json",
        "notify.pldata",
        "notify_timestamps.npy",
        "pupil.pldata",
        "pupil_timestamps.npy",
        "world_timestamps.npy",
    ]


def test_info_file(rec_path: Path) -> None:
    info = json.loads((rec_path / "info.player.json").read_text())
    assert info["meta_version"] == "2.3"
    assert info["min_player_version"] == "2.0"
    assert info["recording_software_name"] == "Pupil Capture"
    assert info["recording_software_version"].startswith("3.")
    assert info["duration_s"] == 3.0
    assert info["start_time_synced_s"] == 1234.5
    assert info["recording_name"] == "rec"


def test_opens_with_gazeport(rec_path: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in rec_path.iterdir()}
    with gazeport.open(rec_path) as rec:
        assert rec.info.duration_s == 3.0
        assert rec.info.recording_software_version == "3.5.8"
        pupil = rec.pupil
        gaze = rec.gaze
        world = rec.world_timestamps
    assert pupil.shape == (2 * N_EYE * 2,)
    assert Counter(pupil["eye_id"].tolist()) == {0: 2 * N_EYE, 1: 2 * N_EYE}
    assert Counter(pupil["method"].tolist()) == {"2d c++": 2 * N_EYE, PYE3D_METHOD: 2 * N_EYE}
    assert np.all(np.diff(pupil["timestamp"]) >= 0)
    assert gaze.shape[0] == len(read_pldata(rec_path / "gaze.pldata"))
    assert world.shape == (N_WORLD,)
    # Opening and reading never writes into the recording.
    assert {p.name: p.stat().st_mtime_ns for p in rec_path.iterdir()} == before


def test_pupil_counts_per_topic(pupil_records: list[tuple[str, dict[str, Any]]]) -> None:
    assert Counter(topic for topic, _ in pupil_records) == {
        "pupil.0.2d": N_EYE,
        "pupil.0.3d": N_EYE,
        "pupil.1.2d": N_EYE,
        "pupil.1.3d": N_EYE,
    }
    for topic, datum in pupil_records:
        assert datum["topic"] == topic
        assert datum["id"] == int(topic.split(".")[1])


def test_timestamp_files_match_the_data(
    rec_path: Path,
    pupil_records: list[tuple[str, dict[str, Any]]],
    gaze_records: list[tuple[str, dict[str, Any]]],
) -> None:
    for name, records in (("pupil", pupil_records), ("gaze", gaze_records)):
        ts = np.load(rec_path / f"{name}_timestamps.npy")
        assert ts.dtype == np.float64
        assert ts.tolist() == [d["timestamp"] for _, d in records]
    for eye in (0, 1):
        eye_ts = np.load(rec_path / f"eye{eye}_timestamps.npy")
        assert eye_ts.shape == (N_EYE,)
        assert np.all(np.diff(eye_ts) > 0)
        pupil_ts = sorted(d["timestamp"] for t, d in pupil_records if t == f"pupil.{eye}.2d")
        assert pupil_ts == eye_ts.tolist()


def test_pupil_data_arrive_slightly_out_of_order(rec_path: Path) -> None:
    ts = np.load(rec_path / "pupil_timestamps.npy")
    backwards = np.diff(ts) < 0
    assert backwards.any()
    assert float(np.min(np.diff(ts))) > -0.01


def test_world_is_30_fps(rec_path: Path) -> None:
    ts = np.load(rec_path / "world_timestamps.npy")
    assert ts.shape == (N_WORLD,)
    assert np.all(np.diff(ts) > 0)
    assert abs(float(np.median(np.diff(ts))) - 1 / 30) < 1e-3
    assert 1234.5 <= ts[0] < 1234.5 + 0.1


def test_pupil_values(pupil_records: list[tuple[str, dict[str, Any]]]) -> None:
    for topic, d in pupil_records:
        assert 0.0 <= d["confidence"] <= 1.0
        if topic.endswith(".2d"):
            assert d["method"] == "2d c++"
        else:
            assert d["method"] == PYE3D_METHOD
            assert d["sphere"]["radius"] == EYE_RADIUS_MM == 10.392304845413264
            assert d["model_confidence"] == 1.0


def test_gaze_base_data(gaze_records: list[tuple[str, dict[str, Any]]]) -> None:
    topics = Counter(t for t, _ in gaze_records)
    assert set(topics) <= {"gaze.3d.01.", "gaze.3d.0.", "gaze.3d.1."}
    assert topics["gaze.3d.01."] > 0
    assert topics["gaze.3d.0."] + topics["gaze.3d.1."] > 0
    for topic, d in gaze_records:
        base = d["base_data"]
        assert all(b["topic"] == f"pupil.{b['id']}.3d" for b in base)
        if topic == "gaze.3d.01.":
            assert sorted(b["id"] for b in base) == [0, 1]
            assert d["timestamp"] == (base[0]["timestamp"] + base[1]["timestamp"]) / 2
        else:
            assert [b["id"] for b in base] == [int(topic.split(".")[2])]
            assert d["timestamp"] == base[0]["timestamp"]


def test_notifications(rec_path: Path) -> None:
    records = read_pldata(rec_path / "notify.pldata")
    assert [d["subject"] for _, d in records] == ["recording.started", "recording.stopped"]
    assert [d["timestamp"] for _, d in records] == [1234.5, 1237.5]


@needs_fixtures
def test_pupil_datums_look_like_capture_358(
    pupil_records: list[tuple[str, dict[str, Any]]],
) -> None:
    real = shapes_by_topic(read_pldata(CORE358 / "pupil.pldata"), signature)
    synthetic = shapes_by_topic(pupil_records, signature)
    assert synthetic == real


@needs_fixtures
def test_gaze_datums_have_capture_358_keys(
    gaze_records: list[tuple[str, dict[str, Any]]],
) -> None:
    real = shapes_by_topic(read_pldata(CORE358 / "gaze.pldata"), key_sets)
    synthetic = shapes_by_topic(gaze_records, key_sets)
    assert synthetic == real


@needs_fixtures
def test_gaze_datum_key_order_like_capture_358(
    gaze_records: list[tuple[str, dict[str, Any]]],
) -> None:
    real = shapes_by_topic(read_pldata(CORE358 / "gaze.pldata"), signature)
    synthetic = shapes_by_topic(gaze_records, signature)
    assert synthetic == real


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = generate_capture_recording(tmp_path / "a", 0.01, seed=5)
    b = generate_capture_recording(tmp_path / "b", 0.01, seed=5)
    c = generate_capture_recording(tmp_path / "c", 0.01, seed=6)
    for name in ("pupil.pldata", "gaze.pldata", "world_timestamps.npy", "eye0_timestamps.npy"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
        assert (a / name).read_bytes() != (c / name).read_bytes(), name
    info_a = json.loads((a / "info.player.json").read_text())
    info_b = json.loads((b / "info.player.json").read_text())
    assert info_a["recording_uuid"] == info_b["recording_uuid"]


def test_progress_reaches_one(tmp_path: Path) -> None:
    calls: list[tuple[float, str]] = []
    generate_capture_recording(
        tmp_path / "p", 0.01, progress=lambda f, what: calls.append((f, what))
    )
    fractions = [f for f, _ in calls]
    assert fractions
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert all(isinstance(what, str) and what for _, what in calls)
