"""Raw data export (pupil_positions.csv, gaze_positions.csv) against the independent oracle.

Every CSV must equal, byte for byte, what ``tests/oracle.py`` (msgpack + csv.DictWriter, Pupil
Player's rules) writes from the same files: on the real Pupil Core recordings and on synthetic
recordings with every oddity ``tests/factories.py`` can produce.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gazeport
from gazeport.errors import CorruptFileError, ExportError, GazeportWarning, TrimRangeError
from gazeport.jobs import export_raw
from tests import fixtures, oracle
from tests.factories import (
    GARBAGE,
    CoreSpec,
    Record,
    gaze_binocular_3d,
    make_core_recording,
    make_legacy_recording,
    make_world_only_recording,
    pupil_3d,
    tree_hashes,
    write_info_player_json,
    write_pldata,
)

# Every test runs through the compiled CSV formatter and through the pure path.
pytestmark = pytest.mark.usefixtures("formatter_path")

FIXTURES = fixtures.RECORDINGS
CORE = ("core358_artemisge_003", "core121_eyedoit_001", "core116_vedb")

PUPIL_HEADER_LINE = (
    b"pupil_timestamp,world_index,eye_id,confidence,norm_pos_x,norm_pos_y,diameter,method,"
    b"ellipse_center_x,ellipse_center_y,ellipse_axis_a,ellipse_axis_b,ellipse_angle,"
    b"diameter_3d,model_confidence,model_id,sphere_center_x,sphere_center_y,sphere_center_z,"
    b"sphere_radius,circle_3d_center_x,circle_3d_center_y,circle_3d_center_z,"
    b"circle_3d_normal_x,circle_3d_normal_y,circle_3d_normal_z,circle_3d_radius,theta,phi,"
    b"projected_sphere_center_x,projected_sphere_center_y,projected_sphere_axis_a,"
    b"projected_sphere_axis_b,projected_sphere_angle\r\n"
)
GAZE_HEADER_LINE = (
    b"gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,base_data,"
    b"gaze_point_3d_x,gaze_point_3d_y,gaze_point_3d_z,"
    b"eye_center0_3d_x,eye_center0_3d_y,eye_center0_3d_z,gaze_normal0_x,gaze_normal0_y,gaze_normal0_z,"
    b"eye_center1_3d_x,eye_center1_3d_y,eye_center1_3d_z,gaze_normal1_x,gaze_normal1_y,gaze_normal1_z\r\n"
)
HEADER_LINES = {"pupil": PUPIL_HEADER_LINE, "gaze": GAZE_HEADER_LINE}


def fixture(name: str) -> Path:
    return fixtures.recording(name)


def first_difference(expected: bytes, got: bytes) -> str:
    """A readable hint at the first differing line (for assertion messages)."""
    exp, act = expected.split(b"\r\n"), got.split(b"\r\n")
    for i, (a, b) in enumerate(zip(exp, act, strict=False)):
        if a != b:
            return f"line {i}:\n  oracle:   {a[:300]!r}\n  gazeport: {b[:300]!r}"
    return f"line counts differ: oracle {len(exp)}, gazeport {len(act)}"


def assert_same_csv(expected: bytes, got: bytes) -> None:
    assert got == expected, first_difference(expected, got)


# --- real Pupil Core recordings -----------------------------------------------------------------


@pytest.fixture(scope="module", params=CORE)
def core_export(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Any]:
    """(recording, ExportResult) of a full export of a real recording into a temporary folder."""
    rec = fixture(request.param)
    before = tree_hashes(rec)
    result = export_raw(rec, out_dir=tmp_path_factory.mktemp(request.param))
    assert tree_hashes(rec) == before
    return rec, result


@pytest.mark.parametrize("name", ["pupil", "gaze"])
def test_core_recording_csv_equals_oracle(core_export: tuple[Path, Any], name: str) -> None:
    rec, result = core_export
    out = result.export_dir / f"{name}_positions.csv"
    if not oracle.has_stream(rec, name):
        assert out.read_bytes() == HEADER_LINES[name]  # Player writes the header-only file
        assert result.rows[name] == 0
        return
    expected = oracle.expected_csv(rec, name)
    got = out.read_bytes()
    assert got.startswith(HEADER_LINES[name])
    assert_same_csv(expected, got)
    assert result.rows[name] == len(oracle.export_rows(rec, name))


def test_core_recording_row_counts(core_export: tuple[Path, Any]) -> None:
    rec, result = core_export
    expected = {
        "core358_artemisge_003": {"pupil": 3624, "gaze": 1811},
        "core121_eyedoit_001": {"pupil": 949, "gaze": 949},
        "core116_vedb": {"pupil": 5144, "gaze": 0},
    }[rec.name]
    assert result.rows == expected
    for name, n in expected.items():
        text = (result.export_dir / f"{name}_positions.csv").read_bytes()
        assert text.count(b"\r\n") == n + 1


def test_core116_without_gaze_pldata_writes_header_only_gaze(
    core_export: tuple[Path, Any],
) -> None:
    rec, result = core_export
    names = sorted(p.name for p in result.files)
    if rec.name != "core116_vedb":
        assert names == sorted(
            [
                "export_info.csv",
                "pupil_positions.csv",
                "gaze_positions.csv",
                "pupil_gaze_positions_info.txt",
                "gazeport_export.json",
            ]
        )
        assert result.skipped == {}
        return
    assert (rec / "gaze_timestamps.npy").exists() and not (rec / "gaze.pldata").exists()
    assert list(result.skipped) == ["gaze"]
    assert "gaze.pldata is missing" in result.skipped["gaze"]
    assert "gaze_positions.csv holds only the header" in result.skipped["gaze"]
    assert result.warnings == []  # a recording without gaze data is nothing to warn about
    assert names == [
        "export_info.csv", "gaze_positions.csv", "gazeport_export.json",
        "pupil_gaze_positions_info.txt", "pupil_positions.csv",
    ]  # fmt: skip
    assert (result.export_dir / "gaze_positions.csv").read_bytes() == GAZE_HEADER_LINE
    assert sorted(p.name for p in result.export_dir.iterdir()) == names


@pytest.mark.parametrize("name", ["core116_vedb", "core121_eyedoit_001"])
def test_oracle_world_table_equals_players_lookup_file(name: str) -> None:
    """Validates the oracle: its gap filling reproduces the lookup table Pupil Player saved."""
    rec = fixture(name)
    player = np.load(rec / "world_lookup.npy")["timestamp"]
    assert np.array_equal(oracle.world_timestamps(rec), player)
    with gazeport.open(rec) as recording:
        assert np.array_equal(recording.world_timestamps, player)
    if name == "core116_vedb":
        assert player.size == 542 > np.load(rec / "world_timestamps.npy").size == 504


@pytest.mark.parametrize(
    ("kwargs", "trim"),
    [
        pytest.param({"start_frame": 100, "end_frame": 200}, (100, 200), id="frames"),
        pytest.param({"start_s": 2.5, "end_s": 7.25}, None, id="seconds"),
        pytest.param({"end_frame": 1}, (0, 1), id="first-frames"),
    ],
)
def test_core358_trimmed_export_equals_oracle(
    tmp_path: Path, kwargs: dict[str, Any], trim: Any
) -> None:
    rec = fixture("core358_artemisge_003")
    t = oracle.world_timestamps(rec)
    trim = trim or oracle.frame_range(t, **kwargs)
    result = export_raw(rec, out_dir=tmp_path, **kwargs)
    assert result.frame_range == trim
    for name in ("pupil", "gaze"):
        assert_same_csv(
            oracle.expected_csv(rec, name, trim), (tmp_path / f"{name}_positions.csv").read_bytes()
        )


# --- synthetic recordings -----------------------------------------------------------------------

MISSING = r"_timestamps\.npy is missing"
TRUNCATED = r"ends with an incomplete record|holds \d+ of the \d+ samples that \w+_timestamps"

#: id -> (spec, regex of the GazeportWarning expected, or None)
VARIANTS: dict[str, tuple[CoreSpec, str | None]] = {
    "pye3d-2d+3d-binocular": (CoreSpec(), None),
    "2d-pupil-2d-gaze": (CoreSpec(pupil="2d", gaze="2d"), None),
    "pye3d-only-binocular-gaze": (CoreSpec(pupil="3d", gaze="3d_binocular"), None),
    "legacy-3d-c++-model-id-int-eye-keys": (
        CoreSpec(pupil="legacy3d", topics="v1", eye_keys="int"),
        None,
    ),
    "topic-pupil.0-monocular-2d": (CoreSpec(pupil="2d", topics="v1", eyes=(0,), gaze="2d"), None),
    "topic-pupil_positions.0": (CoreSpec(topics="legacy"), None),
    "monocular-3d-gaze-both-eyes": (CoreSpec(gaze="3d_monocular"), None),
    "monocular-3d-gaze-eye1-only": (CoreSpec(eyes=(1,), gaze="3d_monocular"), None),
    "binocular-int-eye-keys": (CoreSpec(eye_keys="int", gaze="3d_binocular"), None),
    "base-data-ext13": (CoreSpec(base_data="ext"), None),
    "base-data-ext13-int-keys-arrival": (
        CoreSpec(base_data="ext", eye_keys="int", order="arrival"),
        None,
    ),
    "out-of-order-arrival": (CoreSpec(order="arrival"), None),
    "out-of-order-2d-only": (CoreSpec(pupil="2d", gaze="2d", order="arrival", seed=4), None),
    "negative-timestamps": (CoreSpec(t0=-3.0, order="arrival"), None),
    "world-gap": (CoreSpec(world_gap_s=2.5), None),
    "world-gap-negative-arrival": (
        CoreSpec(world_gap_s=2.5, t0=-1.0, order="arrival", seed=2),
        None,
    ),
    "world-backward-glitch": (CoreSpec(world_glitch=True), None),
    "sidecar-differs-from-datum-timestamps": (
        CoreSpec(sidecar_shift_s=1 / 256 + 1e-7, order="arrival"),
        None,
    ),
    "irregular-datums": (CoreSpec(irregular=True), None),
    "irregular-datums-arrival-ext13": (
        CoreSpec(irregular=True, order="arrival", base_data="ext", seed=9),
        None,
    ),
    "irregular-datums-legacy-topics": (
        CoreSpec(irregular=True, pupil="legacy3d", topics="legacy"),
        None,
    ),
    "missing-pupil-timestamps": (CoreSpec(missing_timestamps=("pupil",)), MISSING),
    "missing-both-timestamps-arrival": (
        CoreSpec(missing_timestamps=("pupil", "gaze"), order="arrival"),
        MISSING,
    ),
    "missing-timestamps-irregular": (
        CoreSpec(missing_timestamps=("gaze",), irregular=True),
        MISSING,
    ),
    "truncated-pupil": (CoreSpec(truncate=("pupil",)), TRUNCATED),
    "truncated-gaze-arrival": (CoreSpec(truncate=("gaze",), order="arrival"), TRUNCATED),
    "truncated-without-timestamps": (
        CoreSpec(truncate=("pupil",), missing_timestamps=("pupil",)),
        f"{MISSING}|{TRUNCATED}",
    ),
    "no-gaze": (CoreSpec(gaze="none"), None),
}


def expect(regex: str | None) -> contextlib.AbstractContextManager[Any]:
    return pytest.warns(GazeportWarning, match=regex) if regex else contextlib.nullcontext()


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every synthetic variant, written once (tests export into copies or into out_dir)."""
    root = tmp_path_factory.mktemp("variants")
    return {key: make_core_recording(root / key, spec) for key, (spec, _) in VARIANTS.items()}


def copy_of(recordings: dict[str, Path], key: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(recordings[key], tmp_path / key))


@pytest.mark.parametrize("key", list(VARIANTS))
def test_synthetic_export_equals_oracle(
    recordings: dict[str, Path], key: str, tmp_path: Path
) -> None:
    rec = copy_of(recordings, key, tmp_path)
    spec, warning = VARIANTS[key]
    before = tree_hashes(rec)
    with expect(warning):
        result = export_raw(rec)
    assert tree_hashes(rec) == before
    assert result.export_dir == rec / "exports" / "000"
    for name in ("pupil", "gaze"):
        out = result.export_dir / f"{name}_positions.csv"
        if name == "gaze" and spec.gaze == "none":
            assert out.read_bytes() == HEADER_LINES[name] and "gaze" in result.skipped
            continue
        expected = oracle.expected_csv(rec, name)
        got = out.read_bytes()
        assert got.startswith(HEADER_LINES[name])
        assert_same_csv(expected, got)
        assert result.rows[name] == len(oracle.export_rows(rec, name)) > 100


def test_variants_really_are_out_of_order_and_have_ties(recordings: dict[str, Path]) -> None:
    """Guards the factories: the data the tests above rely on has the oddities they claim."""
    rec = recordings["out-of-order-arrival"]
    _, keys = oracle.load_stream(rec, "pupil")
    assert len(keys) > 512 and sum(b < a for a, b in itertools.pairwise(keys)) > 20
    assert len(set(keys)) * 2 == len(keys)  # 2D and 3D datum of every eye frame share a timestamp
    _, gkeys = oracle.load_stream(rec, "gaze")
    assert sum(b < a for a, b in itertools.pairwise(gkeys)) > 5
    datums, _ = oracle.load_stream(rec, "pupil")
    first_of_pair = [
        d["method"] for d, k, k2 in zip(datums, keys, keys[1:], strict=False) if k == k2
    ]
    assert {"2d c++", "pye3d 0.3.0 real-time"} <= set(first_of_pair)  # both orders occur
    t = oracle.world_timestamps(recordings["world-gap"])
    assert t.size > 48 + 70  # virtual frames fill the gap
    t = oracle.world_timestamps(rec)
    mids = (t[:-1] + t[1:]) / 2
    assert np.isin(mids, keys).sum() > 10  # exact ties between two frames
    assert np.isin(t, keys).sum() > 10  # data exactly on frames (window bounds)


def test_legacy_pre_1_8_recording_equals_oracle(tmp_path: Path) -> None:
    rec = make_legacy_recording(tmp_path / "legacy")
    before = tree_hashes(rec)
    result = export_raw(rec)
    assert tree_hashes(rec) == before
    for name in ("pupil", "gaze"):
        got = (result.export_dir / f"{name}_positions.csv").read_bytes()
        assert_same_csv(oracle.expected_csv(rec, name), got)
        assert result.rows[name] == len(oracle.export_rows(rec, name)) > 100


@pytest.mark.parametrize("name", ["pupil", "gaze"])
def test_garbage_in_the_middle_raises_corrupt_file_error(tmp_path: Path, name: str) -> None:
    rec = make_core_recording(tmp_path / "rec", CoreSpec(garbage=(name,)))
    offset = (rec / f"{name}.pldata").read_bytes().find(GARBAGE)
    before = tree_hashes(rec)
    with pytest.raises(CorruptFileError) as info:
        export_raw(rec)
    assert info.value.offset == offset
    assert info.value.path == rec / f"{name}.pldata"
    assert f"byte {offset}" in str(info.value)
    # The damaged stream fails alone: the other one is exported, the record says what failed.
    other = "gaze" if name == "pupil" else "pupil"
    out = rec / "exports" / "000"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["export_info.csv", f"{other}_positions.csv", "gazeport_export.json",
         "pupil_gaze_positions_info.txt"]
    )  # fmt: skip
    assert_same_csv(oracle.expected_csv(rec, other), (out / f"{other}_positions.csv").read_bytes())
    record = json.loads((out / "gazeport_export.json").read_text())
    assert record["outcome"] == "failed"
    assert record["tasks"]["raw"]["failed"] == {name: str(info.value)}
    assert tree_hashes(rec) == before
    with pytest.raises(CorruptFileError):
        getattr(gazeport.open(rec), name)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_recording_without_pupil_and_gaze_gets_header_only_files(tmp_path: Path, fmt: str) -> None:
    """Player's Raw Data Exporter writes both files whatever the data (spec 6.1, 6.3, 6.4)."""
    rec = make_world_only_recording(tmp_path / "rec", [10.0 + i / 30 for i in range(90)])
    result = export_raw(rec, out_dir=tmp_path / "out", fmt=fmt)
    assert result.rows == {"pupil": 0, "gaze": 0}
    for name in ("pupil", "gaze"):
        assert "holds only the header" in result.skipped[name] or fmt == "parquet"
        out = tmp_path / "out" / f"{name}_positions.{fmt}"
        if fmt == "csv":
            assert out.read_bytes() == HEADER_LINES[name]
        else:
            pq = pytest.importorskip("pyarrow.parquet")
            table = pq.read_table(out)
            assert table.num_rows == 0
            assert ",".join(table.schema.names).encode() + b"\r\n" == HEADER_LINES[name]


# --- trimming -----------------------------------------------------------------------------------

TRIM_KEY = "world-gap-negative-arrival"


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="default"),
        pytest.param({"start_frame": 5, "end_frame": 20}, id="frames"),
        pytest.param({"start_frame": 20, "end_frame": 60}, id="frames-across-gap"),
        pytest.param({"start_frame": 7, "end_frame": 7}, id="one-frame"),
        pytest.param({"end_frame": 30}, id="end-frame-only"),
        pytest.param({"start_s": 0.25, "end_s": 1.0}, id="seconds"),
        pytest.param({"start_s": 0.3}, id="start-seconds-only"),
        pytest.param({"end_s": 1000.0}, id="end-seconds-clamped"),
        pytest.param({"start_s": 0.75, "end_s": 3.0}, id="seconds-in-gap"),
    ],
)
def test_trimmed_export_equals_oracle(
    recordings: dict[str, Path], tmp_path: Path, kwargs: dict[str, Any]
) -> None:
    rec = recordings[TRIM_KEY]
    trim = oracle.frame_range(oracle.world_timestamps(rec), **kwargs)
    result = export_raw(rec, out_dir=tmp_path, **kwargs)
    assert result.frame_range == trim
    for name in ("pupil", "gaze"):
        assert_same_csv(
            oracle.expected_csv(rec, name, trim), (tmp_path / f"{name}_positions.csv").read_bytes()
        )
    info = (tmp_path / "export_info.csv").read_bytes().decode("utf-8")
    assert f"\r\nFrame Index Range:,{trim[0]} - {trim[1]}\r\n" in info


def test_trim_window_is_left_closed_right_open(tmp_path: Path) -> None:
    rec = make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", eyes=(0,), gaze="none"))
    t = oracle.world_timestamps(rec)
    export_raw(rec, out_dir=tmp_path / "out", start_frame=8, end_frame=16)
    lines = (tmp_path / "out" / "pupil_positions.csv").read_text(encoding="utf-8").splitlines()[1:]
    stamps = [float(line.split(",")[0]) for line in lines]
    # eye0 frames lie on the 1/128 s grid, so frames 8 and 16 both have a datum exactly on them
    assert stamps[0] == t[8] and stamps[-1] == t[16] - 1 / 128
    assert len(stamps) == 8 * 4


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"start_frame": -1}, id="negative-start"),
        pytest.param({"end_frame": 10_000}, id="end-after-last"),
        pytest.param({"start_frame": 30, "end_frame": 10}, id="start-after-end"),
        pytest.param({"start_s": 1000.0}, id="start-seconds-after-last"),
        pytest.param({"start_s": 1.0, "end_s": 0.5}, id="seconds-reversed"),
        pytest.param({"start_frame": 1, "end_s": 1.0}, id="frames-and-seconds"),
    ],
)
def test_trim_out_of_range_raises_and_creates_nothing(
    tmp_path: Path, kwargs: dict[str, Any]
) -> None:
    rec = make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d"))
    with pytest.raises(TrimRangeError):
        export_raw(rec, **kwargs)
    assert not (rec / "exports").exists()


# --- minimum confidence -------------------------------------------------------------------------

CONFIDENCE_KEY = "irregular-datums"


@pytest.mark.parametrize("threshold", [0.25, 0.6, 0.95, 1.0])
def test_min_confidence_drops_rows_strictly_below(
    recordings: dict[str, Path], tmp_path: Path, threshold: float
) -> None:
    rec = recordings[CONFIDENCE_KEY]
    result = export_raw(rec, out_dir=tmp_path, min_confidence=threshold)
    for name in ("pupil", "gaze"):
        expected = oracle.expected_csv(rec, name, min_confidence=threshold)
        assert_same_csv(expected, (tmp_path / f"{name}_positions.csv").read_bytes())
        assert result.rows[name] == len(oracle.export_rows(rec, name, min_confidence=threshold))
    all_rows = oracle.export_rows(rec, "pupil")
    assert result.rows["pupil"] < len(all_rows)
    if threshold == 0.6:
        kept = (tmp_path / "pupil_positions.csv").read_text(encoding="utf-8")
        assert ",0.6," in kept  # a confidence equal to the threshold is kept


def test_min_confidence_zero_drops_negative_confidence(
    recordings: dict[str, Path], tmp_path: Path
) -> None:
    rec = recordings[CONFIDENCE_KEY]
    export_raw(rec, out_dir=tmp_path, min_confidence=0.0)
    expected = oracle.expected_csv(rec, "pupil", min_confidence=0.0)
    assert expected != oracle.expected_csv(rec, "pupil")  # the -0.5 datum is dropped
    assert_same_csv(expected, (tmp_path / "pupil_positions.csv").read_bytes())


@pytest.mark.parametrize("threshold", [-0.1, 1.5, math.nan])
def test_min_confidence_outside_0_1_is_refused(tmp_path: Path, threshold: float) -> None:
    rec = make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d"))
    with pytest.raises(ExportError, match="minimum confidence"):
        export_raw(rec, min_confidence=threshold)
    assert not (rec / "exports").exists()


# --- parquet ------------------------------------------------------------------------------------

INT_COLUMNS = {"world_index", "eye_id", "model_id"}
STRING_COLUMNS = {"method", "base_data"}


def check_parquet(
    path: Path, rows: list[dict[str, Any]], header: list[str], skip_columns: tuple[str, ...] = ()
) -> None:
    """Columns, dtypes, nulls and values of a Parquet export against the oracle's row dicts."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(path)
    assert table.column_names == header
    assert table.num_rows == len(rows)
    for name in header:
        column = table.column(name)
        if name in INT_COLUMNS:
            assert column.type == pa.int64(), name
        elif name in STRING_COLUMNS:
            assert column.type == pa.string(), name
        else:
            assert column.type == pa.float64(), name
        values = column.to_pylist()
        if name in skip_columns:
            continue
        for i, (row, got) in enumerate(zip(rows, values, strict=True)):
            cell = row.get(name)  # DictWriter writes a missing key as an empty cell
            where = f"{name} row {i}: oracle {cell!r}, parquet {got!r}"
            if cell is None:
                assert got is None, where
            elif name in INT_COLUMNS:
                assert got == int(cell) and type(got) is int, where
            elif name in STRING_COLUMNS:
                assert got == cell, where
            else:
                want = float(cell)
                assert got is not None, where
                assert got == want or (math.isnan(got) and math.isnan(want)), where


@pytest.mark.parametrize(
    "key",
    ["pye3d-2d+3d-binocular", "legacy-3d-c++-model-id-int-eye-keys", "monocular-3d-gaze-eye1-only"],
)
def test_parquet_export_equals_oracle(
    recordings: dict[str, Path], tmp_path: Path, key: str
) -> None:
    rec = recordings[key]
    result = export_raw(rec, out_dir=tmp_path, fmt="parquet")
    assert sorted(p.name for p in result.files) == sorted(
        [
            "export_info.csv",
            "pupil_positions.parquet",
            "gaze_positions.parquet",
            "pupil_gaze_positions_info.txt",
            "gazeport_export.json",
        ]
    )
    for name in ("pupil", "gaze"):
        rows = oracle.export_rows(rec, name)
        check_parquet(tmp_path / f"{name}_positions.parquet", rows, oracle.HEADERS[name])
        assert result.rows[name] == len(rows)


def test_parquet_irregular_datums_equal_oracle(recordings: dict[str, Path], tmp_path: Path) -> None:
    rec = recordings["irregular-datums"]
    export_raw(rec, out_dir=tmp_path, fmt="parquet", min_confidence=0.25)
    for name in ("pupil", "gaze"):
        rows = oracle.export_rows(rec, name, min_confidence=0.25)
        skip = ("base_data",) if name == "gaze" else ()
        check_parquet(
            tmp_path / f"{name}_positions.parquet", rows, oracle.HEADERS[name], skip_columns=skip
        )


def test_parquet_core358_equals_oracle(tmp_path: Path) -> None:
    rec = fixture("core358_artemisge_003")
    export_raw(rec, out_dir=tmp_path, fmt="parquet", start_frame=50, end_frame=150)
    for name in ("pupil", "gaze"):
        rows = oracle.export_rows(rec, name, (50, 150))
        check_parquet(tmp_path / f"{name}_positions.parquet", rows, oracle.HEADERS[name])


def test_parquet_missing_base_data_is_null(recordings: dict[str, Path], tmp_path: Path) -> None:
    rec = recordings["irregular-datums"]
    export_raw(rec, out_dir=tmp_path, fmt="parquet")
    rows = oracle.export_rows(rec, "gaze")
    assert any(row["base_data"] is None for row in rows)
    check_parquet(tmp_path / "gaze_positions.parquet", rows, oracle.HEADERS["gaze"])


@pytest.mark.parametrize("case", ["three-base-datums", "int-base-timestamp", "str-base-id"])
def test_parquet_base_data_of_irregular_datums_equals_csv(tmp_path: Path, case: str) -> None:
    d = _gaze_pair()
    p, q = d["base_data"]
    d["base_data"] = {
        "three-base-datums": [p, q, p],
        "int-base-timestamp": [dict(p, timestamp=100), q],
        "str-base-id": [dict(p, id="0"), q],
    }[case]
    rec = single_datum_recording(tmp_path / "rec", "gaze", d)
    export_raw(rec, out_dir=tmp_path / "out", fmt="parquet")
    check_parquet(
        tmp_path / "out" / "gaze_positions.parquet",
        oracle.export_rows(rec, "gaze"),
        oracle.HEADERS["gaze"],
    )


def test_parquet_with_no_rows_has_the_schema(recordings: dict[str, Path], tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    rec = recordings["pye3d-2d+3d-binocular"]
    export_raw(rec, out_dir=tmp_path, fmt="parquet", start_frame=3, end_frame=3)
    for name in ("pupil", "gaze"):
        table = pq.read_table(tmp_path / f"{name}_positions.parquet")
        assert table.num_rows == 0
        assert table.column_names == oracle.HEADERS[name]


# --- progress and field info --------------------------------------------------------------------


def test_progress_is_monotonic_and_reaches_one(recordings: dict[str, Path], tmp_path: Path) -> None:
    calls: list[tuple[float, str]] = []
    export_raw(
        recordings["out-of-order-arrival"],
        out_dir=tmp_path,
        progress=lambda f, text: calls.append((f, text)),
    )
    fractions = [f for f, _ in calls]
    assert len(fractions) >= 3
    assert fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions)
    assert all(isinstance(text, str) and text for _, text in calls)


@pytest.mark.parametrize("field_info", [True, False])
def test_field_info_file(recordings: dict[str, Path], tmp_path: Path, field_info: bool) -> None:
    result = export_raw(recordings["2d-pupil-2d-gaze"], out_dir=tmp_path, field_info=field_info)
    info = tmp_path / "pupil_gaze_positions_info.txt"
    assert info.exists() is field_info
    assert (info in result.files) is field_info
    if field_info:
        text = info.read_text(encoding="utf-8")
        for word in (
            "pupil_positions.csv",
            "gaze_positions.csv",
            "pupil_timestamp",
            "base_data",
            "world_index",
        ):
            assert word in text


# --- mismatches with Pupil Player found by probing single datums ------------------------------


def single_datum_recording(folder: Path, name: str, datum: dict[str, Any]) -> Path:
    folder.mkdir(parents=True)
    world = 100.0 + np.arange(20) / 32
    write_info_player_json(folder, start_time_synced_s=100.0, duration_s=0.6)
    np.save(folder / "world_timestamps.npy", world)
    write_pldata(folder, name, [Record(datum["topic"], datum)])
    return folder


def _gaze_pair(seed: int = 5) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    p = pupil_3d(0, 100.1, rng, "pupil.0.3d")
    q = pupil_3d(1, 100.1, rng, "pupil.1.3d")
    return gaze_binocular_3d(p, q, rng, keys="str", base="map")


def test_binocular_gaze_with_one_eye_in_both_maps(tmp_path: Path) -> None:
    d = _gaze_pair()
    d["eye_centers_3d"] = {"1": d["eye_centers_3d"]["1"]}
    d["gaze_normals_3d"] = {"1": d["gaze_normals_3d"]["1"]}
    rec = single_datum_recording(tmp_path / "rec", "gaze", d)
    export_raw(rec, out_dir=tmp_path / "out")
    assert_same_csv(
        oracle.expected_csv(rec, "gaze"), (tmp_path / "out" / "gaze_positions.csv").read_bytes()
    )


def test_binocular_gaze_with_a_normal_missing_writes_the_centre(tmp_path: Path) -> None:
    d = _gaze_pair()
    d["gaze_normals_3d"] = {"0": d["gaze_normals_3d"]["0"]}
    rec = single_datum_recording(tmp_path / "rec", "gaze", d)
    export_raw(rec, out_dir=tmp_path / "out")
    assert_same_csv(
        oracle.expected_csv(rec, "gaze"), (tmp_path / "out" / "gaze_positions.csv").read_bytes()
    )


def test_binocular_gaze_with_an_empty_centre_does_not_shift_columns(tmp_path: Path) -> None:
    d = _gaze_pair()
    d["eye_centers_3d"] = {"0": (), "1": d["eye_centers_3d"]["1"]}
    rec = single_datum_recording(tmp_path / "rec", "gaze", d)
    export_raw(rec, out_dir=tmp_path / "out")
    assert_same_csv(
        oracle.expected_csv(rec, "gaze"), (tmp_path / "out" / "gaze_positions.csv").read_bytes()
    )


def test_float_model_id_is_written(tmp_path: Path) -> None:
    d = pupil_3d(0, 100.2, np.random.default_rng(1), "pupil.0.3d")
    d["model_id"] = 1.0
    rec = single_datum_recording(tmp_path / "rec", "pupil", d)
    export_raw(rec, out_dir=tmp_path / "out")
    assert_same_csv(
        oracle.expected_csv(rec, "pupil"), (tmp_path / "out" / "pupil_positions.csv").read_bytes()
    )


def test_monocular_gaze_with_unknown_eye_warns_and_leaves_eye_columns_empty(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    p = dict(pupil_3d(0, 100.1, rng, "pupil.0.3d"), id=2)
    d = {
        "topic": "gaze.3d.2.",
        "eye_center_3d": (1.0, 2.0, 3.0),
        "gaze_normal_3d": (0.0, 0.0, 1.0),
        "gaze_point_3d": (4.0, 5.0, 6.0),
        "confidence": 0.9,
        "timestamp": 100.1,
        "base_data": [p],
        "norm_pos": (0.5, 0.5),
    }
    rec = single_datum_recording(tmp_path / "rec", "gaze", d)
    with pytest.warns(GazeportWarning, match="monocular"):
        export_raw(rec, out_dir=tmp_path / "out")
    got = (tmp_path / "out" / "gaze_positions.csv").read_bytes()
    assert_same_csv(oracle.expected_csv(rec, "gaze"), got)
    assert got.endswith(b",100.1-2,4.0,5.0,6.0,,,,,,,,,,,,\r\n")


@pytest.mark.parametrize(
    ("method", "irregular"),
    [
        pytest.param("a\nb", False, id="lf-fast-route"),
        pytest.param('x, "y"\r\nz', True, id="crlf-comma-quote-reference-route"),
        pytest.param("a\nb", True, id="lf-reference-route"),
        pytest.param("a\rb", False, id="cr-fast-route"),
        pytest.param("a\rb", True, id="cr-reference-route"),
    ],
)
def test_line_breaks_in_method_are_quoted(tmp_path: Path, method: str, irregular: bool) -> None:
    d = pupil_3d(0, 100.2, np.random.default_rng(1), "pupil.0.3d")
    d["method"] = method
    if irregular:
        d["diameter"] = 0  # an int: the datum is written through the reference route
    rec = single_datum_recording(tmp_path / "rec", "pupil", d)
    export_raw(rec, out_dir=tmp_path / "out")
    assert_same_csv(
        oracle.expected_csv(rec, "pupil"), (tmp_path / "out" / "pupil_positions.csv").read_bytes()
    )
