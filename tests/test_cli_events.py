"""CLI: gazeport fixations / blinks / annotate and export --only/--skip."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.synthetic import generate_capture_recording
from tests import fixtures

FIXTURES = fixtures.RECORDINGS
CORE358 = FIXTURES / "core358_artemisge_003"
needs_fixtures = fixtures.needs_recordings
runner = CliRunner()


def run(*args: str | Path):
    return runner.invoke(cli.app, [str(a) for a in args])


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    target = tmp_path / "rec"
    shutil.copytree(CORE358, target)
    for root, dirs, files in os.walk(target):
        for name in dirs + files:
            path = Path(root, name)
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    target.chmod(target.stat().st_mode | stat.S_IWUSR)
    return target


@needs_fixtures
def test_fixations_and_blinks_summaries_json():
    fix = run("fixations", CORE358, "--json")
    assert fix.exit_code == 0, fix.output
    facts = json.loads(fix.stdout)
    assert facts["method"] == "3d gaze" and facts["count"] > 0
    blinks = run("blinks", CORE358, "--json")
    assert blinks.exit_code == 0, blinks.output
    assert json.loads(blinks.stdout)["count"] == 2


@needs_fixtures
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["fixations", CORE358, "--min-duration", "300"], id="min-over-max"),
        pytest.param(["fixations", CORE358, "--max-dispersion", "-1"], id="negative-dispersion"),
        pytest.param(["blinks", CORE358, "--onset-threshold", "2"], id="threshold-over-1"),
    ],
)
def test_nonsense_parameters_are_usage_errors(args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@needs_fixtures
def test_export_only_and_skip(rec: Path):
    result = run("export", rec, "--only", "fixations,annotations", "--quiet")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (rec / "exports" / "000").iterdir())
    assert files == [
        "annotations.csv", "export_info.csv", "fixation_report.csv", "fixations.csv",
        "gazeport_export.json",
    ]  # fmt: skip
    result = run("export", rec, "--skip", "raw,annotations,fixations", "--quiet")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (rec / "exports" / "001").iterdir())
    assert files == [
        "blink_detection_report.csv", "blinks.csv", "export_info.csv", "gazeport_export.json",
    ]  # fmt: skip
    bad = run("export", rec, "--only", "video")
    assert bad.exit_code == 2 and "unknown exporter" in bad.output
    both = run("export", rec, "--only", "raw", "--skip", "blinks")
    assert both.exit_code == 2


@needs_fixtures
def test_annotate_round_trip(rec: Path):
    original = (rec / "info.player.json").read_bytes()
    assert run("annotate", rec, "list").stdout.strip() == "No annotations."
    added = run(
        "annotate", rec, "add", "stim, onset", "--frame", "10", "-f", "trial=3", "-f", "ok=true"
    )
    assert added.exit_code == 0, added.output
    assert (
        run("annotate", rec, "add", "end", "--seconds", "2.5", "--duration", "0.5").exit_code == 0
    )
    listed = json.loads(run("annotate", rec, "list", "--json").stdout)
    assert [a["label"] for a in listed] == ["stim, onset", "end"]
    assert listed[0]["trial"] == 3 and listed[0]["ok"] is True
    assert (
        run(
            "annotate", rec, "edit", "1", "--label", "stop", "--remove-field", "added_in_player"
        ).exit_code
        == 0
    )
    assert run("annotate", rec, "delete", "0").exit_code == 0
    listed = json.loads(run("annotate", rec, "list", "--json").stdout)
    assert [a["label"] for a in listed] == ["stop"] and "added_in_player" not in listed[0]
    exported = run("export", rec, "--only", "annotations", "--quiet")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO((rec / "exports" / "000" / "annotations.csv").read_text())))
    assert rows[0] == ["index", "timestamp", "label", "duration"]
    assert rows[1][2:] == ["stop", "0.5"]
    assert (rec / "info.player.json").read_bytes() == original


@needs_fixtures
def test_annotate_errors(rec: Path):
    out_of_range = run("annotate", rec, "add", "x", "--frame", "99999")
    assert out_of_range.exit_code == 2 and "99999" in out_of_range.output
    no_such = run("annotate", rec, "delete", "5")
    assert no_such.exit_code == 1
    assert no_such.stderr.strip().startswith("error: ")
    bad_field = run("annotate", rec, "add", "x", "--frame", "1", "-f", "novalue")
    assert bad_field.exit_code == 2
    dup = run("annotate", rec, "definitions", "--set", "a=k", "--set", "b=k")
    assert dup.exit_code == 2
    ok = run("annotate", rec, "definitions", "--set", "blink=b")
    assert ok.exit_code == 0 and "blink" in ok.stdout


# --- what the summaries count, and what an export writes -------------------------------------------


@pytest.fixture
def middle_third(tmp_path: Path) -> Path:
    """A synthetic recording whose world camera covers only the middle third of the gaze and
    pupil data, so events lie before and after the world frames."""
    folder = generate_capture_recording(tmp_path / "rec", 0.2, seed=3)
    world = np.load(folder / "world_timestamps.npy")
    np.save(folder / "world_timestamps.npy", world[len(world) // 3 : 2 * len(world) // 3])
    return folder


SUMMARY_KEYS = {
    "count", "count_in_world_frame_range", "world_frame_range", "mean_duration_ms",
    "rate_per_min", "data_span_s",
}  # fmt: skip


def test_event_summaries_say_how_many_the_export_writes(middle_third: Path):
    fix = json.loads(run("fixations", middle_third, "--json").stdout)
    blink = json.loads(run("blinks", middle_third, "--json").stdout)
    assert set(fix) == SUMMARY_KEYS | {"method"} and set(blink) == SUMMARY_KEYS
    assert fix["count"] > fix["count_in_world_frame_range"] > 0
    assert blink["count"] > blink["count_in_world_frame_range"]
    assert 100 < blink["mean_duration_ms"] < 1000  # milliseconds, like the fixations'
    left, right = fix["world_frame_range"]
    text = run("fixations", middle_third).stdout
    assert (
        f"{fix['count_in_world_frame_range']} of {fix['count']} fall within world frames "
        f"{left} – {right}, which is what gazeport export writes"
    ) in text

    exported = run("export", middle_third, "--skip", "raw", "--quiet")
    assert exported.exit_code == 0, exported.output
    folder = middle_third / "exports" / "000"
    written = len(csv_rows(folder / "fixations.csv"))
    assert written == fix["count_in_world_frame_range"]
    outside = fix["count"] - written
    lines = {
        line.split()[0]: line for line in exported.stdout.splitlines() if line.startswith("  ")
    }
    assert lines["fixations.csv"].split()[1:] == [
        str(written), "fixations;", str(outside), "more", "outside", "world", "frames",
        str(left), "–", f"{right},", "not", "written",
    ]  # fmt: skip
    assert lines["fixation_report.csv"].split()[1:3] == [str(written), "fixations"]
    blinks_written = len(csv_rows(folder / "blinks.csv"))
    assert f"{blinks_written} blink" in lines["blinks.csv"]
    assert "0 annotations" in lines["annotations.csv"]
    record = json.loads((folder / "gazeport_export.json").read_text())
    assert record["counts"]["fixations.csv"] == {
        "count": written, "unit": "fixations", "outside": outside,
    }  # fmt: skip


def test_export_summary_counts_raw_rows_per_file(middle_third: Path):
    exported = run("export", middle_third, "--only", "raw", "--quiet")
    assert exported.exit_code == 0, exported.output
    folder = middle_third / "exports" / "000"
    for name in ("pupil_positions.csv", "gaze_positions.csv"):
        rows = len(csv_rows(folder / name))
        assert re.search(rf"^  {name}\s+{rows:,} rows$", exported.stdout, re.M), exported.stdout


@needs_fixtures
def test_capture_358_fixations_58_detected_57_exported(rec: Path):
    """The recording of the report: gaze starts 0.3 s before the world camera."""
    text = run("fixations", rec).stdout
    assert "count           58" in text
    assert "57 of 58 fall within world frames 0 – 352" in text
    exported = run("export", rec, "--only", "fixations", "--quiet")
    assert "57 fixations; 1 more outside world frames 0 – 352, not written" in exported.stdout
    assert len(csv_rows(rec / "exports" / "000" / "fixations.csv")) == 57


def csv_rows(path: Path) -> list[list[str]]:
    """Data rows of a CSV file (without its header)."""
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))[1:]
