"""Export sessions: exports/NNN folders, export_info.csv, atomic results, untouched recordings."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path
from typing import Any

import pytest

import gazeport
from gazeport.errors import ExportError
from gazeport.exporters import raw_data
from gazeport.jobs import create_export_dir, export_info_text, export_raw
from tests import fixtures, oracle
from tests.factories import (
    CoreSpec,
    make_core_recording,
    make_legacy_recording,
    make_world_only_recording,
    tree_hashes,
)

FIXTURES = fixtures.RECORDINGS
EXPORT_FILES = [
    "export_info.csv",
    "gaze_positions.csv",
    "gazeport_export.json",
    "pupil_gaze_positions_info.txt",
    "pupil_positions.csv",
]
INFO_KEYS = [
    "Player Software Version",
    "Data Format Version",
    "Export Date",
    "Export Time",
    "Frame Index Range:",
    "Relative Time Range",
    "Absolute Time Range",
]


def fixture(name: str) -> Path:
    return fixtures.recording(name)


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    return make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d", n_frames=24))


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def leftovers(folder: Path) -> list[str]:
    """Temporary files an export might have left anywhere below ``folder``."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if ".part" in p.name or p.name.startswith(".")
    )


def parse_info(data: bytes) -> list[tuple[str, str]]:
    assert data.endswith(b"\r\n")
    lines = data.decode("utf-8").split("\r\n")[:-1]
    assert lines[0] == "key,value"
    pairs = []
    for line in lines[1:]:
        assert "\n" not in line and "\r" not in line
        key, _, value = line.partition(",")
        pairs.append((key, value))
    return pairs


# --- exports/NNN numbering ----------------------------------------------------------------------


def test_exports_are_numbered_000_001_002(rec: Path) -> None:
    dirs = [export_raw(rec).export_dir for _ in range(3)]
    assert dirs == [rec / "exports" / f"{i:03d}" for i in range(3)]
    for d in dirs:
        assert names(d) == EXPORT_FILES
    assert names(rec / "exports") == ["000", "001", "002"]


def test_create_export_dir_makes_exports_folder(tmp_path: Path) -> None:
    assert create_export_dir(tmp_path) == tmp_path / "exports" / "000"
    assert create_export_dir(tmp_path) == tmp_path / "exports" / "001"
    assert (tmp_path / "exports" / "001").is_dir()


def test_gaps_are_not_reused(rec: Path) -> None:
    (rec / "exports" / "000").mkdir(parents=True)
    (rec / "exports" / "005").mkdir()
    assert export_raw(rec).export_dir.name == "006"
    assert names(rec / "exports") == ["000", "005", "006"]


def test_existing_folders_and_files_are_never_reused(rec: Path) -> None:
    exports = rec / "exports"
    (exports / "000").mkdir(parents=True)
    (exports / "000" / "mine.txt").write_text("keep me", encoding="utf-8")
    (exports / "001").write_text("a file named like a folder", encoding="utf-8")
    for name in ("abc", "01", "x123"):
        (exports / name).mkdir()
    result = export_raw(rec)
    assert result.export_dir == exports / "002"
    assert names(exports / "000") == ["mine.txt"]
    assert (exports / "000" / "mine.txt").read_text(encoding="utf-8") == "keep me"
    assert (exports / "001").read_text(encoding="utf-8") == "a file named like a folder"


def test_numbering_goes_past_999_without_reusing(tmp_path: Path) -> None:
    (tmp_path / "exports" / "999").mkdir(parents=True)
    assert create_export_dir(tmp_path).name == "1000"
    # Player's three-digit glob would reuse 1000 forever; gazeport never reuses a folder
    assert create_export_dir(tmp_path).name == "1001"


def test_parallel_create_export_dir_gives_distinct_folders(tmp_path: Path) -> None:
    barrier = threading.Barrier(12)
    got: list[Path] = []
    lock = threading.Lock()

    def work() -> None:
        barrier.wait()
        path = create_export_dir(tmp_path)
        with lock:
            got.append(path)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(p.name for p in got) == [f"{i:03d}" for i in range(12)]


def test_parallel_exports_get_different_complete_folders(tmp_path: Path) -> None:
    rec = make_core_recording(tmp_path / "rec", CoreSpec(order="arrival"))
    barrier = threading.Barrier(4)
    results: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            results.append(export_raw(rec))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.export_dir.name for r in results) == ["000", "001", "002", "003"]
    expected = {name: oracle.expected_csv(rec, name) for name in ("pupil", "gaze")}
    for r in results:
        assert names(r.export_dir) == EXPORT_FILES
        for name, data in expected.items():
            assert (r.export_dir / f"{name}_positions.csv").read_bytes() == data


# --- export_info.csv ----------------------------------------------------------------------------


def test_export_info_keys_order_and_values(rec: Path) -> None:
    started = dt.datetime.now().replace(microsecond=0)
    result = export_raw(rec)
    finished = dt.datetime.now()
    data = (result.export_dir / "export_info.csv").read_bytes()
    pairs = parse_info(data)
    assert [k for k, _ in pairs] == INFO_KEYS
    info = dict(pairs)
    assert info["Player Software Version"] == f"gazeport {gazeport.__version__}"
    assert info["Data Format Version"] == "2.0"
    assert info["Frame Index Range:"] == "0 - 23"
    assert info["Relative Time Range"] == "00:00.000 - 00:00.718"  # 23/32 s = 0.71875, truncated
    assert info["Absolute Time Range"] == "100.0 - 100.71875"
    stamp = dt.datetime.strptime(
        f"{info['Export Date']} {info['Export Time']}", "%d.%m.%Y %H:%M:%S"
    )
    assert started <= stamp <= finished
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", info["Export Date"])
    assert re.fullmatch(r"\d\d:\d\d:\d\d", info["Export Time"])
    expected = oracle.export_info_items(rec, (0, 23), "2.0")
    assert {k: info[k] for k in expected} == expected


def test_export_info_text_with_fixed_clock(rec: Path) -> None:
    text = export_info_text(gazeport.open(rec), (2, 20), now=dt.datetime(2024, 1, 31, 14, 3, 7))
    assert text == (
        "key,value\r\n"
        f"Player Software Version,gazeport {gazeport.__version__}\r\n"
        "Data Format Version,2.0\r\n"
        "Export Date,31.01.2024\r\n"
        "Export Time,14:03:07\r\n"
        "Frame Index Range:,2 - 20\r\n"
        "Relative Time Range,00:00.062 - 00:00.625\r\n"
        "Absolute Time Range,100.0625 - 100.625\r\n"
    )


def test_relative_time_truncates_and_minutes_exceed_99(tmp_path: Path) -> None:
    rec = make_world_only_recording(tmp_path / "rec", [0.0, 61.4879, 3000.0, 6059.9996])
    result = export_raw(rec, start_frame=1, end_frame=3)
    info = dict(parse_info((result.export_dir / "export_info.csv").read_bytes()))
    assert info["Frame Index Range:"] == "1 - 3"
    assert info["Relative Time Range"] == "01:01.487 - 100:59.999"
    assert info["Absolute Time Range"] == "61.4879 - 6059.9996"
    assert (
        info["Relative Time Range"]
        == oracle.export_info_items(rec, (1, 3), "2.0")["Relative Time Range"]
    )
    assert sorted(result.skipped) == ["gaze", "pupil"]
    assert names(result.export_dir) == [
        "export_info.csv",
        "gaze_positions.csv",
        "gazeport_export.json",
        "pupil_gaze_positions_info.txt",
        "pupil_positions.csv",
    ]  # fmt: skip  (header-only data files, as Pupil Player writes them)


def test_absolute_time_range_of_negative_timestamps(tmp_path: Path) -> None:
    rec = make_core_recording(tmp_path / "rec", CoreSpec(t0=-3.0, pupil="2d", gaze="none"))
    result = export_raw(rec, start_frame=1, end_frame=40)
    info = dict(parse_info((result.export_dir / "export_info.csv").read_bytes()))
    assert info["Absolute Time Range"] == "-2.96875 - -1.75"
    assert info["Relative Time Range"] == "00:00.031 - 00:01.250"


def test_export_info_escapes_nothing_and_uses_crlf(rec: Path) -> None:
    data = (export_raw(rec).export_dir / "export_info.csv").read_bytes()
    assert data.count(b"\r\n") == 8
    assert b"\r\r\n" not in data and b'"' not in data and b"\\" not in data


@pytest.mark.parametrize(
    "kind", ["core121-meta-2.1", "core116-meta-2.0", "capture-1.7-info.csv", "meta-2.1"]
)
def test_data_format_version_of_older_recordings_is_2_0(tmp_path: Path, kind: str) -> None:
    if kind == "core121-meta-2.1":
        rec = fixture("core121_eyedoit_001")
    elif kind == "core116-meta-2.0":
        rec = fixture("core116_vedb")
    elif kind == "capture-1.7-info.csv":
        rec = make_legacy_recording(tmp_path / "legacy")
    else:
        rec = make_core_recording(
            tmp_path / "rec", CoreSpec(meta_version="2.1", min_player_version="1.16")
        )
    export_raw(rec, out_dir=tmp_path / "out")
    info = dict(parse_info((tmp_path / "out" / "export_info.csv").read_bytes()))
    assert info["Data Format Version"] == "2.0"


def test_data_format_version_of_meta_2_3_recording(tmp_path: Path) -> None:
    export_raw(fixture("core358_artemisge_003"), out_dir=tmp_path)
    info = dict(parse_info((tmp_path / "export_info.csv").read_bytes()))
    assert info["Data Format Version"] == "2.0"
    assert info["Frame Index Range:"] == "0 - 352"
    assert info["Absolute Time Range"] == "1.7169240610000998 - 15.49021206100042"
    assert info["Relative Time Range"] == "00:00.000 - 00:13.773"


# --- results are complete or absent -------------------------------------------------------------


def failing(original: Any, kind: str, exc: BaseException) -> Any:
    def wrapper(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == kind:
            raise exc
        return original(name, *args, **kwargs)

    return wrapper


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(
    "exc",
    [RuntimeError("disk on fire"), KeyboardInterrupt()],
    ids=["RuntimeError", "KeyboardInterrupt"],
)
def test_failure_in_the_middle_leaves_no_export_folder(
    rec: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, exc: BaseException
) -> None:
    writer = "write_csv" if fmt == "csv" else "write_parquet"
    monkeypatch.setattr(raw_data, writer, failing(getattr(raw_data, writer), "gaze", exc))
    before = tree_hashes(rec)
    with pytest.raises(type(exc)):
        export_raw(rec, fmt=fmt)
    assert names(rec / "exports") == []
    assert leftovers(rec) == []
    assert tree_hashes(rec) == before
    monkeypatch.undo()
    assert export_raw(rec).export_dir.name == "000"


def test_failure_with_out_dir_leaves_nothing_in_it(
    rec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(
        raw_data, "write_csv", failing(raw_data.write_csv, "gaze", RuntimeError("boom"))
    )
    with pytest.raises(RuntimeError):
        export_raw(rec, out_dir=out)
    assert not out.exists()  # the export created it, so the failed export removed it
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(RuntimeError):
        export_raw(rec, out_dir=out)
    assert names(out) == ["keep.txt"]  # a folder that existed before stays, untouched


def test_os_error_becomes_export_error(rec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        raw_data, "write_csv", failing(raw_data.write_csv, "pupil", OSError(28, "No space left"))
    )
    with pytest.raises(ExportError, match="No space left"):
        export_raw(rec)
    assert names(rec / "exports") == [] and leftovers(rec) == []


@pytest.mark.parametrize("where", ["exports-is-a-file", "out-dir-is-a-file"])
def test_export_folder_that_cannot_be_created_raises_export_error(
    rec: Path, tmp_path: Path, where: str
) -> None:
    blocker = rec / "exports" if where == "exports-is-a-file" else tmp_path / "out"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ExportError):
        export_raw(rec, out_dir=None if where == "exports-is-a-file" else blocker)


def test_out_dir_is_never_overwritten(rec: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_raw(rec, out_dir=out)
    before = tree_hashes(out, ignore=())
    with pytest.raises(ExportError, match="already exists"):
        export_raw(rec, out_dir=out)
    assert tree_hashes(out, ignore=()) == before
    assert leftovers(out) == []


def test_unknown_format_is_refused_before_anything_is_created(rec: Path) -> None:
    with pytest.raises(ExportError, match="xlsx"):
        export_raw(rec, fmt="xlsx")
    assert not (rec / "exports").exists()


def test_export_result_describes_the_export(rec: Path) -> None:
    result = export_raw(rec, start_frame=2, end_frame=20)
    assert result.recording == rec.resolve()
    assert result.frame_range == (2, 20)
    assert sorted(p.name for p in result.files) == EXPORT_FILES
    assert all(p.parent == result.export_dir and p.is_file() for p in result.files)
    assert result.rows == {
        name: len(oracle.export_rows(rec, name, (2, 20))) for name in ("pupil", "gaze")
    }
    assert result.skipped == {}
    assert result.seconds > 0


def test_export_accepts_an_open_recording(rec: Path) -> None:
    with gazeport.open(rec) as recording:
        result = gazeport.export_raw(recording)
    assert (result.export_dir / "pupil_positions.csv").read_bytes() == oracle.expected_csv(
        rec, "pupil"
    )


@pytest.mark.parametrize("name", ["core358_artemisge_003", "core121_eyedoit_001", "core116_vedb"])
def test_real_recording_is_untouched_by_export(tmp_path: Path, name: str) -> None:
    import shutil

    rec = Path(shutil.copytree(fixture(name), tmp_path / name))
    before = tree_hashes(rec)
    result = export_raw(rec)
    assert result.export_dir == rec / "exports" / "000"
    assert tree_hashes(rec) == before
    assert sorted(set(names(rec)) - set(names(fixture(name)))) == ["exports"]


def test_export_with_streamed_timestamp_files_is_identical(tmp_path, monkeypatch):
    """Long recordings read *_timestamps.npy block by block; the output must not change."""
    import gazeport.formats.timestamp_column as tc

    src = fixtures.recording("core358_artemisge_003")
    export_raw(src, out_dir=tmp_path / "loaded")
    monkeypatch.setattr(tc, "LOAD_BELOW", 0)
    monkeypatch.setattr(tc, "READ_BLOCK", 97)
    monkeypatch.setattr(tc, "MIN_BLOCK", 13)
    export_raw(src, out_dir=tmp_path / "streamed")
    for name in ("pupil_positions.csv", "gaze_positions.csv"):
        assert (tmp_path / "streamed" / name).read_bytes() == (
            tmp_path / "loaded" / name
        ).read_bytes()


def test_job_record_describes_what_ran(tmp_path: Path) -> None:
    import json

    from gazeport.jobs import JOB_RECORD, export_recording

    src = fixtures.recording("core121_eyedoit_001")
    result = export_recording(src, out_dir=tmp_path, start_frame=10, end_frame=200)
    record = json.loads((tmp_path / JOB_RECORD).read_text(encoding="utf-8"))
    assert record["outcome"] == "completed"
    assert record["recording"] == str(src)
    assert record["parameters"]["frame_range"] == [10, 200]
    assert record["parameters"]["fixations"]["max_dispersion_deg"] == 1.5
    assert set(record["tasks"]) == {"raw", "annotations", "fixations", "blinks"}
    # a task with nothing to export completes and says why it wrote no file
    assert record["tasks"]["blinks"]["status"] == "completed"
    assert "no blinks" in record["tasks"]["blinks"]["skipped"]["blinks"]
    assert record["tasks"]["blinks"]["files"] == []
    assert record["tasks"]["raw"]["status"] == "completed"
    assert record["rows"] == result.rows
    assert sorted(record["files"]) == sorted(p.name for p in tmp_path.iterdir())
    assert record["versions"]["gazeport"] == gazeport.__version__
    assert record["started_utc"] <= record["finished_utc"]
