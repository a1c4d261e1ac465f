from __future__ import annotations

import hashlib
import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from gazeport._types import GAZE_DTYPE
from gazeport.errors import GazeportWarning
from gazeport.recording.invisible import (
    invisible_core_name,
    invisible_files,
    invisible_gaze,
    invisible_timestamps,
    invisible_video_names,
    pi_seconds,
)

START_NS = 1_636_000_000_123_456_789


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class GazePart:
    """Raw content of one gaze stream: pixels, Unix ns, worn bytes (None: no worn file)."""

    xy: list[tuple[float, float]]
    t_ns: list[int]
    worn: list[int] | None = None


@dataclass
class PiSpec:
    parts: dict[int, GazePart] = field(default_factory=dict)
    gaze_200hz: GazePart | None = None
    worn_200hz_file: bool = True  # write gaze_200hz.worn as worn_200hz.raw


def write_ns(path: Path, values: list[int]) -> None:
    path.write_bytes(b"".join(struct.pack("<Q", v) for v in values))


def write_xy(path: Path, xy: list[tuple[float, float]]) -> None:
    path.write_bytes(b"".join(struct.pack("<ff", x, y) for x, y in xy))


def make_pi_recording(root: Path, spec: PiSpec, *, version: str = "1.3") -> Path:
    """A Pupil Invisible folder with world (2 parts), both eyes, IMU and the given gaze files."""
    root.mkdir(parents=True, exist_ok=True)
    info = {"data_format_version": version, "start_time": START_NS, "duration": 5_000_000_000,
            "recording_id": "abc", "app_version": "1.4.30"}  # fmt: skip
    (root / "info.json").write_text(json.dumps(info))
    videos = {
        "PI world v1 ps1": [START_NS + 10_000_000, START_NS + 43_000_000],
        "PI world v1 ps2": [START_NS + 2_000_000_000],
        "PI left v1 ps1": [START_NS + 1, START_NS + 5_000_001],
        "PI right v1 ps1": [START_NS + 2, START_NS + 5_000_002, START_NS + 10_000_002],
    }
    for stem, ns in videos.items():
        (root / f"{stem}.mp4").write_bytes(b"fake video")
        write_ns(root / f"{stem}.time", ns)
    write_ns(root / "extimu ps1.time", [START_NS + 7])
    (root / "extimu ps1.raw").write_bytes(bytes(10))
    for n, part in spec.parts.items():
        write_xy(root / f"gaze ps{n}.raw", part.xy)
        write_ns(root / f"gaze ps{n}.time", part.t_ns)
        if part.worn is not None:
            (root / f"worn ps{n}.raw").write_bytes(bytes(part.worn))
    if spec.gaze_200hz is not None:
        write_xy(root / "gaze_200hz.raw", spec.gaze_200hz.xy)
        write_ns(root / "gaze_200hz.time", spec.gaze_200hz.t_ns)
        if spec.worn_200hz_file and spec.gaze_200hz.worn is not None:
            (root / "worn_200hz.raw").write_bytes(bytes(spec.gaze_200hz.worn))
    return root


def f32(v: float) -> float:
    return struct.unpack("<f", struct.pack("<f", v))[0]


def oracle_rows(xy: list[tuple[float, float]], t_ns: list[int], conf: list[float]) -> list[tuple]:
    """Independent expectation: Python floats, exact integer ns difference, one rounding."""
    n = min(len(xy), len(t_ns))
    return [
        (float(t_ns[i] - START_NS) * 1e-9, conf[i], f32(xy[i][0]) / 1088, 1 - f32(xy[i][1]) / 1080)
        for i in range(n)
    ]


def worn_conf(part: GazePart) -> list[float]:
    n = min(len(part.xy), len(part.t_ns))
    if part.worn is None or len(part.worn) != n:
        return [1.0] * n
    return [min(max(w / 255, 0.0), 1.0) for w in part.worn]


def assert_rows(gaze: np.ndarray, expected: list[tuple]) -> None:
    assert gaze.dtype == GAZE_DTYPE
    columns = ("timestamp", "confidence", "norm_pos_x", "norm_pos_y")
    got = list(zip(*(gaze[c].tolist() for c in columns), strict=True))
    assert got == expected  # bit-exact
    assert (gaze["world_index"] == 0).all()
    assert (gaze["base_count"] == 0).all()
    assert (gaze["base0_eye_id"] == -1).all() and (gaze["base1_eye_id"] == -1).all()
    for name in ("base0_timestamp", "gaze_point_3d_x", "eye_center1_3d_z", "gaze_normal0_y"):
        assert np.isnan(gaze[name]).all()


def part(n: int, t0_ms: int, worn: bool = True) -> GazePart:
    xy = [(544.123 + 10.7 * i, 540.987 - 3.3 * i) for i in range(n)]
    t_ns = [START_NS + t0_ms * 1_000_000 + i * 4_000_123 for i in range(n)]
    return GazePart(xy, t_ns, [255 if i % 3 else 0 for i in range(n)] if worn else None)


# --- names and timestamps ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "core"),
    [
        pytest.param("PI world v1 ps1.mp4", "world.mp4", id="world"),
        pytest.param("PI world v1 ps2.time", "world_001.time", id="world-part2"),
        pytest.param("PI world v1 ps12.mp4", "world_011.mp4", id="world-part12"),
        pytest.param("PI left v1 ps1.mp4", "eye1.mp4", id="left-is-eye1"),
        pytest.param("PI right v2 ps3.time", "eye0_002.time", id="right-is-eye0"),
        pytest.param("gaze ps1.raw", None, id="gaze"),
        pytest.param("PI extimu v1 ps1.raw", None, id="imu"),
    ],
)
def test_invisible_core_name(name: str, core: str | None) -> None:
    assert invisible_core_name(name) == core


def test_video_names(tmp_path: Path) -> None:
    rec = make_pi_recording(tmp_path / "rec", PiSpec())
    before = snapshot(rec)
    assert invisible_video_names(rec) == {
        "world": [rec / "PI world v1 ps1.mp4", rec / "PI world v1 ps2.mp4"],
        "eye0": [rec / "PI right v1 ps1.mp4"],
        "eye1": [rec / "PI left v1 ps1.mp4"],
    }
    assert invisible_files(rec)["world_001.time"] == rec / "PI world v1 ps2.time"
    assert snapshot(rec) == before


def test_timestamps_are_seconds_since_start(tmp_path: Path) -> None:
    spec = PiSpec(parts={1: part(3, 100)}, gaze_200hz=part(2, 50))
    rec = make_pi_recording(tmp_path / "rec", spec)
    before = snapshot(rec)
    ts = invisible_timestamps(rec, START_NS)
    assert sorted(ts) == ["extimu ps1", "eye0", "eye1", "gaze ps1", "gaze_200hz", "world",
                          "world_001"]  # fmt: skip
    # Player multiplies by 1e-9 (not divides by 1e9): 43e6 ns -> 0.043000000000000003 s
    assert ts["world"].tolist() == [10_000_000 * 1e-9, 43_000_000 * 1e-9]
    assert ts["world"][1] != 0.043
    assert ts["world_001"].tolist() == [2.0]
    assert ts["eye1"].tolist() == [1e-9, float(5_000_001) * 1e-9]
    assert ts["gaze ps1"].tolist() == [float(t - START_NS) * 1e-9 for t in spec.parts[1].t_ns]
    assert all(v.dtype == np.float64 for v in ts.values())
    assert snapshot(rec) == before


def test_drop_first_timestamp(tmp_path: Path) -> None:
    rec = make_pi_recording(tmp_path / "rec", PiSpec())
    ts = invisible_timestamps(rec, START_NS, drop_first={"world", "world_001"})
    assert ts["world"].tolist() == [43_000_000 * 1e-9]
    assert ts["world_001"].tolist() == [2.0]  # a single timestamp is kept


def test_pi_seconds_before_start_is_negative() -> None:
    out = pi_seconds(np.array([START_NS - 1_500_000_000, START_NS], dtype=np.int64), START_NS)
    assert out.tolist() == [-1.5, 0.0]


# --- gaze ----------------------------------------------------------------------------------


def test_realtime_gaze_parts_in_numeric_order(tmp_path: Path) -> None:
    # part 10 sorts before part 2 by name; Player would take it first, gazeport by number
    spec = PiSpec(parts={1: part(5, 0), 2: part(4, 100, worn=False), 10: part(3, 300)})
    rec = make_pi_recording(tmp_path / "rec", spec)
    before = snapshot(rec)
    gaze = invisible_gaze(rec, START_NS)
    expected = [
        row for n in (1, 2, 10) for row in oracle_rows(spec.parts[n].xy, spec.parts[n].t_ns,
                                                        worn_conf(spec.parts[n]))
    ]  # fmt: skip
    assert_rows(gaze, expected)
    assert sorted(set(gaze["confidence"].tolist())) == [0.0, 1.0]
    assert snapshot(rec) == before


def test_norm_pos_is_float64_of_float32_pixels(tmp_path: Path) -> None:
    spec = PiSpec(parts={1: GazePart([(0.1, 0.1), (1088.0, 1080.0)], [START_NS, START_NS + 1])})
    rec = make_pi_recording(tmp_path / "rec", spec)
    gaze = invisible_gaze(rec, START_NS)
    assert gaze["norm_pos_x"][0] == float(np.float32(0.1)) / 1088
    assert gaze["norm_pos_x"][0] != float(np.float32(np.float32(0.1) / np.float32(1088)))
    assert gaze["norm_pos_x"][1] == 1.0 and gaze["norm_pos_y"][1] == 0.0


def test_length_mismatch_truncates_and_drops_worn(tmp_path: Path) -> None:
    p = part(6, 0)
    p.t_ns = p.t_ns[:4]  # 6 samples, 4 timestamps, 6 worn values
    spec = PiSpec(parts={1: p})
    rec = make_pi_recording(tmp_path / "rec", spec)
    with pytest.warns(GazeportWarning) as record:
        gaze = invisible_gaze(rec, START_NS)
    messages = " ".join(str(w.message) for w in record)
    assert "6 gaze samples but 4 timestamps" in messages
    assert "6 worn samples for 4 gaze timestamps" in messages
    assert_rows(gaze, oracle_rows(p.xy, p.t_ns, [1.0] * 4))


def test_missing_raw_part_is_skipped_with_warning(tmp_path: Path) -> None:
    spec = PiSpec(parts={1: part(3, 0), 2: part(2, 100)})
    rec = make_pi_recording(tmp_path / "rec", spec)
    (rec / "gaze ps2.raw").unlink()
    with pytest.warns(GazeportWarning, match="'gaze ps2.raw'"):
        gaze = invisible_gaze(rec, START_NS)
    assert_rows(gaze, oracle_rows(spec.parts[1].xy, spec.parts[1].t_ns, worn_conf(spec.parts[1])))


def test_200hz_preferred_with_its_worn(tmp_path: Path) -> None:
    hz = part(8, 0)
    spec = PiSpec(parts={1: part(3, 0)}, gaze_200hz=hz)
    rec = make_pi_recording(tmp_path / "rec", spec)
    before = snapshot(rec)
    assert_rows(invisible_gaze(rec, START_NS), oracle_rows(hz.xy, hz.t_ns, worn_conf(hz)))
    assert snapshot(rec) == before


def nearest_later_on_tie(targets: list[float], value: float) -> int:
    best = 0
    for i, t in enumerate(targets):
        if abs(t - value) <= abs(targets[best] - value):
            best = i
    return best


def test_200hz_densifies_realtime_worn(tmp_path: Path) -> None:
    rt1 = GazePart([(1.0, 1.0)] * 3, [START_NS + k * 20_000_000 for k in range(3)], [0, 255, 0])
    rt2 = GazePart([(1.0, 1.0)] * 2, [START_NS + k * 20_000_000 for k in (5, 6)], None)
    hz = GazePart(
        [(100.5 + i, 200.25) for i in range(30)],
        [START_NS - 3_000_000 + i * 5_000_000 for i in range(30)],
    )
    spec = PiSpec(parts={1: rt1, 2: rt2}, gaze_200hz=hz)
    rec = make_pi_recording(tmp_path / "rec", spec)
    rt_ts = [float(t - START_NS) * 1e-9 for t in rt1.t_ns + rt2.t_ns]
    rt_conf = [0.0, 1.0, 0.0, 1.0, 1.0]
    conf = [rt_conf[nearest_later_on_tie(rt_ts, float(t - START_NS) * 1e-9)] for t in hz.t_ns]
    gaze = invisible_gaze(rec, START_NS)
    assert_rows(gaze, oracle_rows(hz.xy, hz.t_ns, conf))
    assert 0.0 in conf and 1.0 in conf


def test_200hz_without_any_worn_is_confident(tmp_path: Path) -> None:
    hz = part(4, 0, worn=False)
    rec = make_pi_recording(tmp_path / "rec", PiSpec(gaze_200hz=hz))
    assert_rows(invisible_gaze(rec, START_NS), oracle_rows(hz.xy, hz.t_ns, [1.0] * 4))


def test_200hz_raw_without_time_uses_realtime(tmp_path: Path) -> None:
    spec = PiSpec(parts={1: part(3, 0)}, gaze_200hz=part(8, 0))
    rec = make_pi_recording(tmp_path / "rec", spec)
    (rec / "gaze_200hz.time").unlink()
    p = spec.parts[1]
    assert_rows(invisible_gaze(rec, START_NS), oracle_rows(p.xy, p.t_ns, worn_conf(p)))


def test_no_gaze_files(tmp_path: Path) -> None:
    rec = make_pi_recording(tmp_path / "rec", PiSpec())
    gaze = invisible_gaze(rec, START_NS)
    assert gaze.dtype == GAZE_DTYPE and len(gaze) == 0


def test_incomplete_raw_record_warns(tmp_path: Path) -> None:
    p = part(3, 0)
    rec = make_pi_recording(tmp_path / "rec", PiSpec(parts={1: p}))
    with (rec / "gaze ps1.raw").open("ab") as fh:
        fh.write(b"\x00\x01\x02")
    with pytest.warns(GazeportWarning, match="incomplete record"):
        gaze = invisible_gaze(rec, START_NS)
    assert len(gaze) == 3 and not math.isnan(gaze["norm_pos_x"][2])
