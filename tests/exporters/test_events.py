"""fixations.csv / blinks.csv and their reports: Player's columns, window rule and text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from gazeport.analysis.blinks import BLINK_DTYPE
from gazeport.analysis.fixations import FIXATION_DTYPE
from gazeport.exporters import events
from gazeport.jobs import export_recording
from tests import fixtures

FIXTURES = fixtures.RECORDINGS


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def make_fixations(starts_ms: list[tuple[float, float]]) -> np.ndarray:
    out = np.zeros(len(starts_ms), dtype=FIXATION_DTYPE)
    for i, (start, dur) in enumerate(starts_ms):
        out[i]["id"] = i
        out[i]["start_timestamp"] = start
        out[i]["duration_ms"] = dur
        out[i]["method"] = "3d gaze"
        out[i]["first_sample"] = 2 * i
        out[i]["last_sample"] = 2 * i + 1
        out[i]["gaze_point_3d_x"] = np.nan if i == 1 else 1.5
    return out


@pytest.mark.parametrize(
    ("window", "ids"),
    [
        pytest.param((0.0, 100.0), [0, 1, 2], id="all"),
        pytest.param((10.1, 100.0), [0, 1, 2], id="stop-equal-lo-included"),
        pytest.param((10.2, 100.0), [1, 2], id="stop-before-lo-excluded"),
        pytest.param((10.1, 20.0), [0, 1], id="start-equal-hi-excluded"),
        pytest.param((10.1001, 19.9), [1], id="overlap-counts"),
        pytest.param((30.0, 40.0), [], id="none"),
    ],
)
def test_fixation_window_is_players_affiliator(window, ids):
    fixations = make_fixations([(10.0, 100.0), (15.0, 200.0), (20.0, 50.0)])
    ts = np.arange(6, dtype=float)
    text, count = events.fixations_csv(fixations, ts, np.ones(6), 0.6, window)
    rows = rows_of(text)
    assert rows[0] == list(events.FIXATION_COLUMNS)
    assert [int(r[0]) for r in rows[1:]] == ids
    assert count == len(ids)


def test_fixation_row_text():
    fixations = make_fixations([(10.0, 100.0), (15.0, 200.0)])
    ts = np.array([10.0, 10.1, 15.0, 15.2])
    conf = np.array([0.9, 0.9, 0.5, 0.9])  # sample 2 was dropped by the detector's filter
    text, _ = events.fixations_csv(fixations, ts, conf, 0.6, (0.0, 100.0))
    lines = text.split("\r\n")
    assert lines[1] == "0,10.0,100.0,0,0,0.0,0.0,0.0,0.0,3d gaze,1.5,0.0,0.0,10.0 10.1"
    # a 2D fixation has empty 3D cells (Player: fixation.get("gaze_point_3d", [None] * 3))
    assert lines[2].split(",")[10:13] == ["", "0.0", "0.0"]
    assert lines[2].endswith(",15.2")
    assert text.endswith("\r\n")


def test_fixation_report_text():
    assert events.fixation_report_csv(1.5, 80.0, 220.0, 7) == (
        "fixation classifier,Dispersion_Duration\r\n"
        "max_dispersion,1.500 deg\r\n"
        "min_duration,80 ms\r\n"
        "max_duration,220 ms\r\n"
        "\r\n"
        "fixation_count,7\r\n"
    )


def test_blinks_csv_and_report():
    blinks = np.zeros(2, dtype=BLINK_DTYPE)
    blinks["id"] = [1, 2]
    blinks["start_timestamp"] = [1.0, 3.0]
    blinks["end_timestamp"] = [1.5, 3.25]
    blinks["duration_s"] = [0.5, 0.25]
    blinks["first_sample"] = [0, 3]
    blinks["last_sample"] = [1, 3]
    blinks["confidence"] = [0.75, 1.0]
    response = np.array([0.5, 1e-05, 0.0, -0.25])
    ts = np.array([1.0, 1.25, 2.0, 3.0])
    text, count = events.blinks_csv(blinks, response, ts, (1.5, 3.0))
    rows = rows_of(text)
    assert rows[0] == list(events.BLINK_COLUMNS)
    assert count == 1  # blink 2 starts at hi (3.0): excluded; blink 1 ends at lo: included
    assert rows[1] == ["1", "1.0", "0.5", "1.5", "0", "0", "0", "0.75", "0.5 1e-05", "1.0 1.25"]
    report = events.blink_report_csv(0.2, 0.5, 0.5, count)
    assert report == (
        "key,value\r\nhistory_length,0.2\r\nonset_confidence_threshold,0.5\r\n"
        "offset_confidence_threshold,0.5\r\nblinks_exported,1\r\n"
    )


@pytest.fixture
def core358() -> Path:
    path = fixtures.recording("core358_artemisge_003")
    return path


def test_export_recording_writes_all_event_files(core358, tmp_path):
    result = export_recording(core358, out_dir=tmp_path)
    names = sorted(f.name for f in result.files)
    assert names == sorted([
        "export_info.csv", "pupil_positions.csv", "gaze_positions.csv",
        "pupil_gaze_positions_info.txt", "annotations.csv", "fixations.csv", "fixation_report.csv",
        "gazeport_export.json",
        "blinks.csv", "blink_detection_report.csv",
    ])  # fmt: skip
    fix_rows = rows_of((tmp_path / "fixations.csv").read_text())
    report = rows_of((tmp_path / "fixation_report.csv").read_text())
    assert report[-1] == ["fixation_count", str(len(fix_rows) - 1)]
    assert all(r[9] == "3d gaze" for r in fix_rows[1:])
    blink_rows = rows_of((tmp_path / "blinks.csv").read_text())
    assert len(blink_rows) - 1 == 2
    assert not list(tmp_path.glob(".*.part"))


def test_only_and_skip_and_reasons(core358, tmp_path):
    result = export_recording(core358, out_dir=tmp_path / "a", exporters=("fixations",))
    assert sorted(f.name for f in result.files) == [
        "export_info.csv",
        "fixation_report.csv",
        "fixations.csv",
        "gazeport_export.json",
    ]
    strict = export_recording(
        core358,
        out_dir=tmp_path / "b",
        exporters=("blinks",),
    )
    assert "blinks.csv" in [f.name for f in strict.files]
    from gazeport.analysis.blinks import BlinkParams

    none = export_recording(
        core358, out_dir=tmp_path / "c", exporters=("blinks",),
        blink_params=BlinkParams(onset_confidence_threshold=1.0, offset_confidence_threshold=1.0),
    )  # fmt: skip
    assert "no blinks" in none.skipped["blinks"]
    assert not (tmp_path / "c" / "blinks.csv").exists()


def test_bad_parameters_are_plain_errors(core358, tmp_path):
    from gazeport.analysis.fixations import FixationParams
    from gazeport.errors import ExportError

    with pytest.raises(ExportError, match="min_duration"):
        export_recording(
            core358, out_dir=tmp_path, fixation_params=FixationParams(min_duration_ms=500.0)
        )
    with pytest.raises(ExportError, match="Unknown exporter"):
        export_recording(core358, out_dir=tmp_path, exporters=("video",))


def test_online_events_export(core358, tmp_path):
    from gazeport.exporters.online_events import online_fixations_csv

    result = export_recording(core358, out_dir=tmp_path, exporters=("blinks",), online_events=True)
    names = {f.name for f in result.files}
    assert {"online_fixations.csv", "online_blinks.csv"} <= names
    blink_rows = rows_of((tmp_path / "online_blinks.csv").read_text())
    assert blink_rows[0] == ["timestamp", "world_index", "type", "confidence"]
    assert len(blink_rows) - 1 == 8  # Capture recorded 8 onset/offset events
    assert {r[2] for r in blink_rows[1:]} == {"onset", "offset"}
    # Capture publishes a growing fixation under one id: one row per id, its longest version
    datums = [
        {"id": 4, "timestamp": 1.0, "duration": 100.0, "norm_pos": (0.5, 0.5), "base_data": [("g", 1.0)]},
        {"id": 4, "timestamp": 1.0, "duration": 300.0, "norm_pos": (0.5, 0.5), "base_data": [("g", 1.0), ("g", 1.3)]},
        {"id": 5, "timestamp": 2.0, "duration": 150.0, "norm_pos": (0.1, 0.2), "base_data": []},
    ]  # fmt: skip
    text, count = online_fixations_csv(datums, np.array([0.0, 1.0, 2.0, 3.0]), (0.0, 3.0))
    rows = rows_of(text)
    assert count == 2
    assert rows[1][:3] == ["4", "1.0", "300.0"] and rows[1][-1] == "1.0 1.3"
    assert rows[2][:5] == ["5", "2.0", "150.0", "2", "3"]


def test_missing_online_events_are_reported(tmp_path):
    src = fixtures.recording("core121_eyedoit_001")
    result = export_recording(src, out_dir=tmp_path, exporters=("annotations",), online_events=True)
    assert "fixations.pldata" in result.skipped["online fixations"]
    assert not (tmp_path / "online_fixations.csv").exists()


def test_2d_fixations_without_intrinsics_warn(tmp_path):
    import shutil

    from gazeport.errors import GazeportWarning

    src = fixtures.recording("core121_eyedoit_001")
    rec_dir = tmp_path / "rec"
    shutil.copytree(src, rec_dir)
    (rec_dir / "world.intrinsics").unlink()
    with pytest.warns(GazeportWarning, match="default pinhole camera"):
        result = export_recording(rec_dir, out_dir=tmp_path / "out", exporters=("fixations",))
    assert "fixations.csv" in {f.name for f in result.files}


def test_damaged_online_events_are_one_plain_error(tmp_path):
    import shutil

    from gazeport.errors import CorruptFileError

    rec_dir = tmp_path / "rec"
    shutil.copytree(fixtures.recording("core358_artemisge_003"), rec_dir)
    path = rec_dir / "blinks.pldata"
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[200:210] = b"\xc1" * 10  # inside the first datum's payload
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match=r"Datum 0 in .*blinks.pldata is damaged"):
        export_recording(
            rec_dir, out_dir=tmp_path / "out", exporters=("annotations",), online_events=True
        )
    # The annotations task completed and keeps its file; the failed task left nothing, and the
    # job record says what happened.
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "annotations.csv", "export_info.csv", "gazeport_export.json",
    ]  # fmt: skip
    record = json.loads((out / "gazeport_export.json").read_text(encoding="utf-8"))
    assert record["outcome"] == "failed"
    assert record["tasks"]["online-events"]["status"] == "failed"
    assert "blinks.pldata is damaged" in record["tasks"]["online-events"]["reason"]
