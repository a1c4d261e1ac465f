"""The Recording facade's streams, frame table and clocks against the independent oracle."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gazeport
from gazeport.errors import GazeportWarning, StreamNotFoundError
from gazeport.recording.detect import RecordingKind
from tests import fixtures, oracle
from tests.factories import (
    LEGACY_START_SYNCED,
    LEGACY_START_SYSTEM,
    CoreSpec,
    make_core_recording,
    make_legacy_recording,
    tree_hashes,
)

FIXTURES = fixtures.RECORDINGS
CORE = ("core358_artemisge_003", "core121_eyedoit_001", "core116_vedb")

PUPIL_FLOATS = [
    n for n in oracle.PUPIL_HEADER[3:] if n not in ("method", "model_id")
]  # confidence ... projected_sphere_angle
GAZE_FLOATS = [n for n in oracle.GAZE_HEADER[2:] if n != "base_data"]


def fixture(name: str) -> Path:
    return fixtures.recording(name)


def sorted_stream(rec: Path, name: str) -> tuple[list[dict[str, Any]], list[float]]:
    """All datums of a stream in Player's order (stable by sort key) and their keys."""
    datums, keys = oracle.load_stream(rec, name)
    order = sorted(range(len(datums)), key=lambda i: keys[i])
    return [datums[i] for i in order], [keys[i] for i in order]


def as_float(cell: Any) -> float:
    return math.nan if cell is None else float(cell)


def same_floats(got: np.ndarray, want: list[float]) -> bool:
    return np.array_equal(
        np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), equal_nan=True
    )


def check_pupil(rec: Path, arr: np.ndarray) -> None:
    datums, keys = sorted_stream(rec, "pupil")
    t = oracle.world_timestamps(rec)
    rows = [
        oracle.pupil_row(d, wi) for d, wi in zip(datums, oracle.find_closest(t, keys), strict=True)
    ]
    assert arr.shape == (len(rows),)
    assert same_floats(arr["timestamp"], [float(d["timestamp"]) for d in datums])
    assert arr["world_index"].tolist() == [r["world_index"] for r in rows]
    assert arr["eye_id"].tolist() == [r["eye_id"] for r in rows]
    assert arr["method"].tolist() == [r["method"] for r in rows]
    assert arr["model_id"].tolist() == [
        -1 if r["model_id"] is None else r["model_id"] for r in rows
    ]
    for name in PUPIL_FLOATS:
        assert same_floats(arr[name], [as_float(r.get(name)) for r in rows]), name


def check_gaze(rec: Path, arr: np.ndarray) -> None:
    datums, keys = sorted_stream(rec, "gaze")
    t = oracle.world_timestamps(rec)
    rows = [
        oracle.gaze_row(d, wi) for d, wi in zip(datums, oracle.find_closest(t, keys), strict=True)
    ]
    assert arr.shape == (len(rows),)
    assert same_floats(arr["timestamp"], [float(d["timestamp"]) for d in datums])
    assert arr["world_index"].tolist() == [r["world_index"] for r in rows]
    for name in GAZE_FLOATS:
        if name != "world_index":
            assert same_floats(arr[name], [as_float(r.get(name)) for r in rows]), name
    bases = [d.get("base_data") or () for d in datums]
    assert arr["base_count"].tolist() == [len(b) for b in bases]
    for k in (0, 1):
        want_ts = [float(b[k]["timestamp"]) if len(b) > k else math.nan for b in bases]
        want_id = [b[k]["id"] if len(b) > k and type(b[k]["id"]) is int else -1 for b in bases]
        assert same_floats(arr[f"base{k}_timestamp"], want_ts)
        assert arr[f"base{k}_eye_id"].tolist() == want_id


# --- real recordings ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORE)
def test_core_pupil_stream_equals_oracle(name: str) -> None:
    rec = fixture(name)
    with gazeport.open(rec) as recording:
        pupil = recording.pupil
    check_pupil(rec, pupil)
    assert np.all(np.diff(pupil["timestamp"]) >= 0)


@pytest.mark.parametrize("name", ["core358_artemisge_003", "core121_eyedoit_001"])
def test_core_gaze_stream_equals_oracle(name: str) -> None:
    rec = fixture(name)
    recording = gazeport.open(rec)
    check_gaze(rec, recording.gaze)


def test_core358_first_five_gaze_rows() -> None:
    rec = fixture("core358_artemisge_003")
    first = gazeport.open(rec).gaze[:5]
    datums, keys = sorted_stream(rec, "gaze")
    assert first.shape == (5,)
    for row, d, key in zip(first, datums[:5], keys[:5], strict=True):
        assert row["timestamp"] == d["timestamp"] == key
        assert row["confidence"] == d["confidence"]
        assert (row["norm_pos_x"], row["norm_pos_y"]) == tuple(d["norm_pos"])
        assert (row["gaze_point_3d_x"], row["gaze_point_3d_y"], row["gaze_point_3d_z"]) == tuple(
            d["gaze_point_3d"]
        )
        assert row["base_count"] == len(d["base_data"])
        assert row["base0_timestamp"] == d["base_data"][0]["timestamp"]
        assert row["base0_eye_id"] == d["base_data"][0]["id"]
    assert first["world_index"].tolist() == oracle.find_closest(
        oracle.world_timestamps(rec), keys[:5]
    )


def test_core116_has_no_gaze_stream() -> None:
    recording = gazeport.open(fixture("core116_vedb"))
    assert not recording.has_stream("gaze")
    with pytest.raises(StreamNotFoundError):
        _ = recording.gaze


@pytest.mark.parametrize("name", CORE)
def test_core_world_index_equals_find_closest(name: str) -> None:
    rec = fixture(name)
    recording = gazeport.open(rec)
    t = oracle.world_timestamps(rec)
    assert np.array_equal(recording.world_timestamps, t)
    mids = (t[:-1] + t[1:]) / 2
    probes = np.concatenate(
        [t, mids, mids - 1e-9, mids + 1e-9, [t[0] - 100, t[-1] + 100, -1e9, 1e12]]
    )
    assert recording.world_index(probes).tolist() == oracle.find_closest(t, probes)


@pytest.mark.parametrize("name", CORE)
def test_core_to_wall_clock(name: str) -> None:
    rec = fixture(name)
    import json

    info = json.loads((rec / "info.player.json").read_text(encoding="utf-8"))
    recording = gazeport.open(rec)
    ts = np.array([info["start_time_synced_s"], 0.0, -12.5, 1234.5678])
    expected = ts + (info["start_time_system_s"] - info["start_time_synced_s"])
    assert np.array_equal(recording.to_wall_clock(ts), expected)
    assert recording.to_wall_clock(info["start_time_synced_s"]) == info["start_time_system_s"]


@pytest.mark.parametrize("name", CORE)
def test_opening_and_reading_never_writes(name: str, tmp_path: Path) -> None:
    import shutil

    rec = Path(shutil.copytree(fixture(name), tmp_path / name))
    before = tree_hashes(rec, ignore=())
    names_before = sorted(p.name for p in rec.rglob("*"))
    with gazeport.open(rec) as recording:
        _ = recording.pupil, recording.world_timestamps, recording.stream_summaries()
        if recording.has_stream("gaze"):
            _ = recording.gaze
    assert tree_hashes(rec, ignore=()) == before
    assert sorted(p.name for p in rec.rglob("*")) == names_before


# --- synthetic recordings -----------------------------------------------------------------------

SPECS = {
    "default": CoreSpec(),
    "arrival-ext13-int-keys": CoreSpec(order="arrival", base_data="ext", eye_keys="int"),
    "irregular": CoreSpec(irregular=True, order="arrival"),
    "gap-negative": CoreSpec(world_gap_s=2.5, t0=-1.0, order="arrival"),
    "legacy-3d": CoreSpec(pupil="legacy3d", topics="legacy"),
    "sidecar-shift": CoreSpec(sidecar_shift_s=1 / 256 + 1e-7, order="arrival"),
    "world-glitch": CoreSpec(world_glitch=True),
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("api")
    return {key: make_core_recording(root / key, spec) for key, spec in SPECS.items()}


@pytest.mark.parametrize("key", list(SPECS))
def test_synthetic_streams_equal_oracle(synthetic: dict[str, Path], key: str) -> None:
    rec = synthetic[key]
    recording = gazeport.open(rec)
    assert recording.kind is RecordingKind.NEW_STYLE
    assert np.array_equal(recording.world_timestamps, oracle.world_timestamps(rec))
    check_pupil(rec, recording.pupil)
    check_gaze(rec, recording.gaze)


def test_pupil_sorted_by_timestamp_keeping_file_order_for_ties(synthetic: dict[str, Path]) -> None:
    rec = synthetic["default"]
    pupil = gazeport.open(rec).pupil
    assert np.all(np.diff(pupil["timestamp"]) >= 0)
    datums, _ = oracle.load_stream(rec, "pupil")
    file_methods = {}
    for d in datums:
        file_methods.setdefault(float(d["timestamp"]), []).append(d["method"])
    got: dict[float, list[str]] = {}
    for ts, method in zip(pupil["timestamp"].tolist(), pupil["method"].tolist(), strict=True):
        got.setdefault(ts, []).append(method)
    assert got == file_methods
    assert sum(v == ["pye3d 0.3.0 real-time", "2d c++"] for v in got.values()) > 20


def test_first_five_gaze_rows_with_ext13_base_data(synthetic: dict[str, Path]) -> None:
    rec = synthetic["arrival-ext13-int-keys"]
    first = gazeport.open(rec).gaze[:5]
    datums, _keys = sorted_stream(rec, "gaze")
    for row, d in zip(first, datums[:5], strict=True):
        assert row["timestamp"] == d["timestamp"]
        assert row["base0_timestamp"] == d["base_data"][0]["timestamp"]
        if "eye_centers_3d" in d:
            assert row["eye_center1_3d_z"] == d["eye_centers_3d"][1][2]
            assert row["gaze_normal0_x"] == d["gaze_normals_3d"][0][0]


def test_world_index_ties_gaps_and_ends(synthetic: dict[str, Path]) -> None:
    rec = synthetic["gap-negative"]
    recording = gazeport.open(rec)
    t = oracle.world_timestamps(rec)
    mids = (t[:-1] + t[1:]) / 2
    probes = np.concatenate([t, mids, [t[0] - 5, t[-1] + 5], np.linspace(t[0] - 1, t[-1] + 1, 997)])
    got = recording.world_index(probes).tolist()
    assert got == oracle.find_closest(t, probes)
    # the midpoints of the 1/32 s grid are exact ties: they go to the later frame
    assert got[len(t) : 2 * len(t) - 1][:10] == list(range(1, 11))
    assert got[2 * len(t) - 1 : 2 * len(t) + 1] == [0, len(t) - 1]


def test_world_gap_is_filled_like_player(synthetic: dict[str, Path]) -> None:
    rec = synthetic["gap-negative"]
    t = gazeport.open(rec).world_timestamps
    raw = np.load(rec / "world_timestamps.npy")
    assert t.size > raw.size
    assert np.array_equal(t, oracle.world_timestamps(rec))
    assert np.isin(raw, t).all()
    inside = t[(t > raw[23]) & (t < raw[24])]
    assert inside.size == len(np.arange(raw[23] + 1 / 32, raw[24] - 1 / 32, 1 / 32))


def test_frame_range_and_ts_window_equal_oracle(synthetic: dict[str, Path]) -> None:
    rec = synthetic["gap-negative"]
    recording = gazeport.open(rec)
    t = oracle.world_timestamps(rec)
    for kwargs in (
        {},
        {"start_frame": 3, "end_frame": 40},
        {"start_s": 0.5, "end_s": 2.0},
        {"end_s": 99.0},
    ):
        trim = recording.frame_range(**kwargs)
        assert trim == oracle.frame_range(t, **kwargs)
        assert recording.ts_window(trim) == (t[trim[0]], t[trim[1]])


def test_worldless_recording_gets_the_artificial_frame_table(tmp_path: Path) -> None:
    rec = make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d"))
    (rec / "world_timestamps.npy").unlink()
    recording = gazeport.open(rec)
    t = oracle.world_timestamps(rec)
    assert t.size == 138 and t[0] == recording.info.start_time_synced_s
    assert np.array_equal(recording.world_timestamps, t)
    check_pupil(rec, recording.pupil)


def test_synthetic_to_wall_clock(synthetic: dict[str, Path]) -> None:
    recording = gazeport.open(synthetic["default"])
    system, synced = recording.info.start_time_system_s, recording.info.start_time_synced_s
    assert (system, synced) == (1_700_000_000.125, 100.0 - 0.0625)
    assert recording.to_wall_clock(100.0) == 100.0 + (system - synced)
    assert recording.to_datetime(synced).timestamp() == system


def test_missing_timestamps_falls_back_to_datum_timestamps(tmp_path: Path) -> None:
    rec = make_core_recording(
        tmp_path / "rec", CoreSpec(order="arrival", missing_timestamps=("pupil",))
    )
    recording = gazeport.open(rec)
    with pytest.warns(GazeportWarning, match="pupil_timestamps.npy is missing"):
        pupil = recording.pupil
    check_pupil(rec, pupil)


# --- Pupil Capture < 1.8 ------------------------------------------------------------------------


def test_legacy_recording_streams_and_clock(tmp_path: Path) -> None:
    rec = make_legacy_recording(tmp_path / "legacy")
    before = tree_hashes(rec, ignore=())
    recording = gazeport.open(rec)
    assert recording.kind is RecordingKind.OLD_STYLE
    check_pupil(rec, recording.pupil)
    check_gaze(rec, recording.gaze)
    system, synced = float(LEGACY_START_SYSTEM), float(LEGACY_START_SYNCED)
    assert (recording.info.start_time_system_s, recording.info.start_time_synced_s) == (
        system,
        synced,
    )
    ts = np.array([2345.75, 2346.5])
    assert np.array_equal(recording.to_wall_clock(ts), ts + (system - synced))
    assert tree_hashes(rec, ignore=()) == before


def test_recording_pixel_helpers_use_the_world_frame_size(tmp_path: Path) -> None:
    core = fixtures.recording("core358_artemisge_003")
    rec = gazeport.open(core)
    w, h = rec.frame_table.frame_size
    px = rec.norm_to_pixels([[0.5, 0.25], [0.0, 0.0], [1.0, 1.0]])
    assert px.tolist() == [[0.5 * w, 0.75 * h], [0.0, float(h)], [float(w), 0.0]]
    assert rec.pixels_to_norm(px).tolist() == [[0.5, 0.25], [0.0, 0.0], [1.0, 1.0]]


def test_damaged_world_intrinsics_fall_back_with_a_warning(tmp_path: Path) -> None:
    import shutil

    from gazeport.errors import GazeportWarning

    src = fixtures.recording("core121_eyedoit_001")
    rec_dir = tmp_path / "rec"
    shutil.copytree(src, rec_dir)
    (rec_dir / "world.intrinsics").chmod(0o644)
    (rec_dir / "world.intrinsics").write_bytes(b"\xc1 not msgpack")
    rec = gazeport.open(rec_dir)
    with pytest.warns(GazeportWarning, match="default pinhole camera"):
        assert rec.world_intrinsics is None
    good = gazeport.open(src)
    assert good.world_intrinsics is not None
    assert good.world_intrinsics.resolution == good.frame_table.frame_size


FIELD_SETS = {
    "fixations": ("timestamp", "confidence", "norm_pos_x", "norm_pos_y", "gaze_point_3d_x",
                  "gaze_point_3d_y", "gaze_point_3d_z"),
    "base-only": ("base_count", "base1_eye_id"),
    "with-world-index": ("world_index", "timestamp", "base0_timestamp"),
}  # fmt: skip


@pytest.mark.parametrize("key", ["default", "arrival-ext13-int-keys", "irregular"])
@pytest.mark.parametrize("fields", list(FIELD_SETS.values()), ids=list(FIELD_SETS))
def test_columns_decode_only_what_is_asked_and_equal_the_full_stream(
    synthetic: dict[str, Path], key: str, fields: tuple[str, ...]
) -> None:
    # columns() decodes only ``fields`` (and looks up world_index only when asked): every
    # value must still be the one of the fully decoded stream, irregular datums included.
    with gazeport.open(synthetic[key]) as recording:
        got = recording.columns("gaze", fields)
        full = recording.gaze
    assert list(got) == list(fields)
    for name in fields:
        assert got[name].tobytes() == np.ascontiguousarray(full[name]).tobytes(), name
