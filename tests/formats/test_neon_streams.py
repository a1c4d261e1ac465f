"""The Neon stream decoder on the two real recordings, against pupil-labs-neon-recording."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from tests import fixtures
from tests.neon_factories import tree_sha as sha
from tests.neon_oracle import FIELDS, assert_fields_equal, link_copy, oracle_streams

from gazeport.errors import GazeportWarning, StreamNotFoundError
from gazeport.formats.neon_inventory import list_neon_streams
from gazeport.formats.neon_parts import map_times
from gazeport.formats.neon_streams import STREAM_NAMES, neon_stream

RECORDINGS = ["neon_demo", "neon23_multipart"]


def decode(folder: Path, name: str) -> np.ndarray:
    """``neon_stream`` with the warnings the real recordings are known to give collected."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = neon_stream(folder, name)
    assert all(issubclass(w.category, GazeportWarning) for w in caught)
    return data


@pytest.fixture(scope="module", params=RECORDINGS)
def real(request: pytest.FixtureRequest) -> tuple[Path, dict[str, np.ndarray]]:
    folder = fixtures.recording(request.param)
    return folder, oracle_streams(folder)


def _ours_for(folder: Path, oracle_name: str) -> np.ndarray:
    """The gazeport stream the oracle's ``oracle_name`` reads (it prefers Cloud's 200 Hz files)."""
    target = FIELDS[oracle_name][0]
    if target in ("gaze", "worn") and (folder / f"{target}_200hz.raw").exists():
        target = f"{target}_200hz"
    return decode(folder, target)


@pytest.mark.parametrize(
    "oracle_name",
    ["gaze", "worn", "imu", "pupil", "eyeball", "eyelid", "saccades", "blinks", "events"],
)
def test_stream_equals_the_vendor_reader(real, oracle_name: str) -> None:
    folder, oracle = real
    if oracle_name not in oracle:
        with pytest.raises((StreamNotFoundError, KeyError)):
            ours = _ours_for(folder, oracle_name)
            ours[list(FIELDS[oracle_name][1].values())]
        return
    assert_fields_equal(_ours_for(folder, oracle_name), oracle[oracle_name], oracle_name)


def test_fixations_equal_the_vendor_reader_after_its_offset_rule(real) -> None:
    """The reader adds the gaze offset to fixation means of app < 2.9.31 (x +, y −); gazeport
    keeps the file's values, so the oracle's means are ours shifted by the offset."""
    folder, oracle = real
    if "fixations" not in oracle:
        pytest.skip("no fixations in this recording (format 2.3)")
    info = json.loads((folder / "info.json").read_text())
    assert info["app_version"].startswith("2.9.19")
    ours = decode(folder, "fixations")
    ours["mean_gaze_x_px"] += info["gaze_offset"][0]
    ours["mean_gaze_y_px"] -= info["gaze_offset"][1]
    assert_fields_equal(ours, oracle["fixations"], "fixations")


def test_gaze_right_values_equal_and_times_are_its_own(real) -> None:
    """The reader times gaze_right by ``gaze psN.time``; gazeport uses gaze_right's own .time
    (5-7 ms later in format 2.3, identical in 2.5)."""
    folder, oracle = real
    ours = decode(folder, "gaze_right")
    theirs = oracle["gaze_monocular_right"]
    assert_fields_equal(ours[["x", "y"]], theirs[["x", "y"]], "gaze_right")
    own = np.concatenate([map_times(p) for p in sorted(folder.glob("gaze_right ps*.time"))])
    assert np.array_equal(ours["timestamp_ns"], own)


def test_video_times_equal_the_vendor_reader_for_parts_with_video(real) -> None:
    folder, oracle = real
    for camera in ("scene", "eye"):
        ours = decode(folder, camera)
        parts = {p.number for p in list_neon_streams(folder)[camera].parts if p.video_file}
        with_video = ours[np.isin(ours["part"], list(parts))]
        if camera in oracle:
            assert_fields_equal(with_video, oracle[camera], camera)
        else:
            assert not parts  # neon_demo ships no MP4: the oracle cannot load it, we still can
            assert len(ours) > 0


@pytest.mark.parametrize("name", ["gaze", "worn"])
def test_realtime_gaze_and_worn_per_part(real, tmp_path: Path, name: str) -> None:
    """Without Cloud's 200 Hz files the reader falls back to the phone's parts. Gazeport equals
    it for gaze; for worn of format 2.3 (one extra byte per part) only gazeport pairs every part
    with its own times, so its result equals a per-part decode while the reader's is shifted."""
    folder, _ = real
    copy = link_copy(folder, tmp_path / "rec", without=("gaze_200hz.raw", "gaze_200hz.time", "worn_200hz.raw"))  # fmt: skip
    oracle = oracle_streams(copy)
    ours = decode(copy, name)
    times = [map_times(p) for p in sorted(copy.glob("gaze ps*.time"))]
    dtype = "<f4" if name == "gaze" else "u1"
    per_part = [np.fromfile(copy / f"{name} ps{i}.raw", dtype)[: len(t) * (2 if name == "gaze" else 1)] for i, t in enumerate(times, 1)]  # fmt: skip
    assert np.array_equal(ours["timestamp_ns"], np.concatenate(times))
    values = ours["worn"] if name == "worn" else np.stack([ours["gaze_x_px"], ours["gaze_y_px"]], 1).ravel()  # fmt: skip
    assert np.array_equal(values, np.concatenate(per_part))
    extra = sum(p.stat().st_size for p in copy.glob(f"{name} ps*.raw")) != sum(len(t) for t in times) * (8 if name == "gaze" else 1)  # fmt: skip
    if extra and len(times) > 1:
        assert not np.array_equal(ours["worn"], oracle["worn"]["worn"])
        first = len(times[0])
        assert np.array_equal(ours["worn"][:first], oracle["worn"]["worn"][:first])
    else:
        assert_fields_equal(ours, oracle[name], name)


def test_every_stream_in_the_listing_decodes_to_its_count(real) -> None:
    folder, _ = real
    before = sha(folder)
    listing = list_neon_streams(folder)
    for name, summary in listing.items():
        if name == "extimu":
            continue
        assert name in STREAM_NAMES
        data = decode(folder, name)
        assert len(data) == summary.count, name
        key = "start_timestamp_ns" if "start_timestamp_ns" in data.dtype.names else "timestamp_ns"
        if len(data):
            assert (int(data[key][0]), int(data[key][-1])) == (summary.first_ns, summary.last_ns)
    assert sha(folder) == before


def test_extimu_parts_are_listed_with_the_vendor_imu_times(real) -> None:
    folder, oracle = real
    summary = list_neon_streams(folder)["extimu"]
    times = np.concatenate([map_times(p.time_file) for p in summary.parts])
    assert summary.count == len(oracle["imu"])
    assert np.array_equal(times, oracle["imu"]["timestamp_ns"])


def test_multipart_listing_shows_lost_scene_parts_and_worn_extra_bytes() -> None:
    folder = fixtures.recording("neon23_multipart")
    listing = list_neon_streams(folder)
    assert [p.number for p in listing["scene"].parts] == [1, 2, 3]
    assert [p.video_file is not None for p in listing["scene"].parts] == [True, False, False]
    worn = listing["worn"].parts
    assert [(p.records, p.timestamps, p.used) for p in worn] == [(640, 639, 639), (848, 847, 847), (1174, 1173, 1173)]  # fmt: skip
    assert listing["eye_state"].layout == "built-in"
    assert "fixations" not in listing and "blinks" not in listing
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        neon_stream(folder, "worn")
    messages = [str(w.message) for w in caught if issubclass(w.category, GazeportWarning)]
    assert len(messages) == 3
    assert "worn ps2.raw holds 848 records but" in messages[1]
    assert "gaze ps2.time holds 847 timestamps" in messages[1]
