"""Synthetic native Neon recordings (:mod:`gazeport.synthetic_neon`).

A 1-minute recording in three parts is read back three ways: plain numpy on the files (counts,
rates, parts, the calibration CRC), ``gazeport.open`` and the vendor reader
pupil-labs-neon-recording, which must agree on every stream's length.
"""

from __future__ import annotations

import itertools
import json
import zlib
from pathlib import Path

import numpy as np
import pytest

import gazeport
from gazeport.synthetic_neon import DTYPES, EYE, SCENE, START_NS, generate_neon_recording
from tests.neon_oracle import FIELDS, assert_fields_equal, oracle_streams


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("synthetic-neon") / "rec"
    return generate_neon_recording(root, 1.0, part_minutes=0.4, gap_s=2.0)


def _times(path: Path) -> np.ndarray:
    return np.fromfile(path, "<i8")


def test_parts_counts_and_rates(rec) -> None:  # type: ignore[no-untyped-def]
    root = rec.root
    assert rec.parts == 3
    gaze_parts = [_times(root / f"gaze ps{n}.time") for n in (1, 2, 3)]
    assert sum(map(len, gaze_parts)) == rec.counts["gaze"]
    assert abs(rec.counts["gaze"] - 60 * 200) < 100  # a few eye frames dropped
    assert abs(rec.counts["imu"] / 60 - 110) < 5
    assert abs(rec.counts["scene"] / 60 - 30) < 2  # the scene starts 0.7 s before each part
    assert rec.counts["eye"] == sum(len(_times(root / f"{EYE} ps{n}.time")) for n in (1, 2, 3))
    for times in gaze_parts:
        assert np.all(np.diff(times) > 0)
        assert abs(np.median(np.diff(times)) - 5_000_000) < 200_000
    gaps = [b[0] - a[-1] for a, b in itertools.pairwise(gaze_parts)]
    assert all(1.9e9 < g < 2.1e9 for g in gaps)
    for n in (1, 2, 3):
        assert (root / f"worn ps{n}.raw").stat().st_size == len(gaze_parts[n - 1])
        eye = np.fromfile(root / f"eye_state ps{n}.raw", DTYPES["eye_state"])
        assert len(eye) == len(gaze_parts[n - 1]) and len(eye.dtype.names) == 20
        events = np.fromfile(root / f"fixations ps{n}.raw", DTYPES["fixations"])
        assert set(np.unique(events["event_type"])) == {0, 1}
        assert np.array_equal(_times(root / f"fixations ps{n}.time"), events["start_timestamp_ns"])
        assert np.all(events["end_timestamp_ns"] > events["start_timestamp_ns"])
        assert (root / f"{SCENE} ps{n}.time_aux").stat().st_size == (
            root / f"{SCENE} ps{n}.time"
        ).stat().st_size
    assert rec.counts["blinks"] > 5 and rec.counts["fixations"] > 100
    info = json.loads((root / "info.json").read_text())
    assert info["data_format_version"] == "2.5" and info["start_time"] == START_NS
    assert _times(root / "event.time")[-1] < START_NS + info["duration"]
    calib = (root / "calibration.bin").read_bytes()
    assert len(calib) == 803
    assert zlib.crc32(calib[:799]) == int.from_bytes(calib[799:], "little")


def test_gazeport_and_vendor_reader_agree(rec) -> None:  # type: ignore[no-untyped-def]
    with gazeport.open(rec.root) as ours:
        mine = {s: ours.stream(s) for s in rec.counts}
        assert not ours.calibration.is_default
        assert ours.check_manifest() == []
    assert {s: len(a) for s, a in mine.items()} == rec.counts
    theirs = oracle_streams(rec.root)  # scene/eye need the MP4s there, so they are left out
    assert set(theirs) >= {"gaze", "worn", "pupil", "eyeball", "eyelid", "imu", "fixations",
                           "saccades", "blinks", "events"}  # fmt: skip
    for name, data in theirs.items():
        assert_fields_equal(mine[FIELDS[name][0]], data, name)
