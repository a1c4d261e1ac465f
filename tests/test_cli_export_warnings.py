"""`gazeport export`: warnings raised while the export ran are in its gazeport_export.json and,
once each, in the Notes of the summary, also of a batch (issue 10)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests import fixtures
from tests.neon_factories import SCENE, write_neon
from tests.test_cli import run

#: No calibration.bin in synthetic recordings: the default intrinsics are used, with a warning.
pytestmark = pytest.mark.filterwarnings(r"ignore:.*calibration.bin:gazeport.errors.GazeportWarning")


def _record(folder: Path) -> dict:
    return json.loads((folder / "gazeport_export.json").read_text(encoding="utf-8"))


def _notes(stdout: str) -> list[str]:
    """The lines of the summary's Notes section, without their indent."""
    lines = stdout.splitlines()
    start = lines.index("Notes") + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("  "))
    return [line.strip() for line in lines[start:end]]


def test_a_lost_scene_video_is_noted_in_the_record_and_the_summary(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec", parts=((0.5, 1.0),))  # no MP4: every frame gray
    result = run(
        "export", truth.root, "--with", "world-video", "--start-s", "0.8", "--end-s", "1.2"
    )
    assert result.exit_code == 0, result.output
    lost = f"12 of 12 frames could not be decoded and are gray ({SCENE} ps1.mp4: 12, the file is missing)."
    record = _record(truth.root / "exports" / "000")
    task_notes = record["tasks"]["world-video"]["warnings"]
    assert task_notes == [f"rec world video: {lost}"]  # the warning's text, once
    assert [n for n in record["warnings"] if lost in n] == task_notes
    # The tables task read the recording without calibration.bin: its warning is its own.
    (calibration,) = record["tasks"]["tables"]["warnings"]
    assert "calibration.bin does not exist" in calibration and calibration in record["warnings"]
    notes = _notes(result.stdout)
    assert [n for n in notes if lost in n] == task_notes
    assert calibration in notes and len(notes) == len(set(notes)) == 2
    assert f"warning: rec world video: {lost}" in result.stderr  # still shown as it happens


@fixtures.needs_recordings
def test_the_lost_part_of_a_real_neon_recording(tmp_path: Path) -> None:
    """neon23_multipart: ps2 of the scene video is lost; a window inside it is gray."""
    copy = tmp_path / "neon23_multipart"
    shutil.copytree(fixtures.recording("neon23_multipart"), copy)
    result = run(
        "export", copy, "--with", "world-video", "--start-s", "20.5", "--end-s", "20.8",
        "--no-audio",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = _record(copy / "exports" / "000")
    video = record["tasks"]["world-video"]["warnings"]
    (lost,) = [n for n in video if f"{SCENE} ps2.mp4" in n]
    assert "the file is missing" in lost and lost not in record["tasks"]["tables"]["warnings"]
    notes = _notes(result.stdout)
    assert lost in record["warnings"] and notes.count(lost) == 1
    # Both tasks read the worn stream, one record short: each task says so, the notes once.
    (worn,) = [n for n in record["tasks"]["tables"]["warnings"] if "worn_200hz.raw" in n]
    assert worn in video and notes.count(worn) == record["warnings"].count(worn) == 1


def test_a_batch_lists_the_notes_of_each_recording(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_neon(tmp_path / "batch" / name, parts=((0.5, 1.0),))
    result = run(
        "export", tmp_path / "batch", "-r", "--with", "world-video", "--start-s", "0.8",
        "--end-s", "0.9", "--no-audio",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    notes = _notes(result.stdout)
    for name in ("a", "b"):
        folder = tmp_path / "batch" / name
        (lost,) = _record(folder / "exports" / "000")["tasks"]["world-video"]["warnings"]
        at = notes.index(str(folder))
        assert lost in notes[at + 1 : at + 3] and notes.count(lost) == 1
