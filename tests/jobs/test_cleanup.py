"""Cleaning up after exports that were killed: only their temporary files and empty folders, only
when their process is gone, never a running export's folder or a file that is not gazeport's."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.errors import NotARecordingError, RecordingNotFoundError
from gazeport.jobs import JOB_RECORD, JobQueue, clean_exports, export_recording, prepare_export
from gazeport.jobs.cleanup import PROGRESS_RECORD, process_identity, process_state
from tests.factories import CoreSpec, make_core_recording

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    return make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d", n_frames=24))


@pytest.fixture(scope="module")
def dead() -> dict[str, Any]:
    """The identity of a process that has ended (taken while it ran)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        identity = process_identity(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    return identity


def fabricate(
    folder: Path,
    process: dict[str, Any],
    files: dict[str, str],
    *,
    created: bool = True,
    started: dt.datetime | None = None,
) -> Path:
    """An export folder as a killed (or running) export leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    started = started or dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    record = {
        "recording": str(folder.parent.parent),
        "outcome": "running",
        "started_utc": started.isoformat(),
        "folder_created": created,
        "process": process,
    }
    (folder / PROGRESS_RECORD).write_text(json.dumps(record))
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


KILLED_FILES = {
    ".pupil_positions.csv.part": "pupil" * 100,
    "world.mp4.writing": "video",
    "eye0.mp4.canceled": "video",
    "transcoded/.world.mp4.part": "video",
}


# --- who wrote it -----------------------------------------------------------------------------


def test_process_states(dead: dict[str, Any]) -> None:
    me = process_identity()
    assert process_state(me) == "running"
    assert process_state(dead) == "gone"
    assert process_state({**me, "host": socket.gethostname() + "-elsewhere"}) == "unknown"
    for broken in (None, {}, {"pid": "12", "host": me["host"]}, {"pid": True, "host": "x"}):
        assert process_state(broken) == "unknown"


@linux_only
def test_a_reused_pid_or_a_restart_counts_as_gone() -> None:
    me = process_identity()
    assert process_state({**me, "start_ticks": me["start_ticks"] - 1}) == "gone"
    assert process_state({**me, "boot_id": "not-this-boot"}) == "gone"


# --- what is removed and what stays -----------------------------------------------------------


def test_a_killed_exports_temporary_files_and_empty_folder_go(
    rec: Path, dead: dict[str, Any]
) -> None:
    stale = fabricate(rec / "exports" / "003", dead, KILLED_FILES)
    size = sum(p.stat().st_size for p in stale.rglob("*") if p.is_file())
    (entry,) = clean_exports(rec)
    assert entry.state == "gone" and entry.folder == stale and entry.folder_removed
    assert sorted(str(p.relative_to(stale)) for p in entry.removed) == sorted(
        [*KILLED_FILES, PROGRESS_RECORD]
    )
    assert entry.bytes == size
    assert not stale.exists()
    assert tree(rec / "exports") == []


def test_finished_files_and_files_that_are_not_ours_stay(rec: Path, dead: dict[str, Any]) -> None:
    files = {**KILLED_FILES, "annotations.csv": "done", "notes.txt": "mine", "x.part": "mine"}
    stale = fabricate(rec / "exports" / "000", dead, files)
    (entry,) = clean_exports(rec)
    assert not entry.folder_removed
    assert tree(stale) == ["annotations.csv", "notes.txt", "transcoded", "x.part"]
    assert sorted(p.name for p in entry.kept) == ["annotations.csv", "notes.txt", "x.part"]


def test_an_out_dir_that_existed_keeps_older_temporary_files_and_itself(
    tmp_path: Path, dead: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    old = out / ".from-before.part"
    old.write_text("not this export's")
    an_hour_ago = dt.datetime.now().timestamp() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    fabricate(out, dead, {".gaze_positions.csv.part": "gaze"}, created=False)
    (entry,) = clean_exports(out)
    assert not entry.folder_removed
    assert tree(out) == [".from-before.part"]


def test_a_running_export_and_one_on_another_host_are_left_alone(
    rec: Path, dead: dict[str, Any]
) -> None:
    running = fabricate(rec / "exports" / "000", process_identity(), KILLED_FILES)
    elsewhere = {**dead, "host": socket.gethostname() + "-elsewhere"}
    remote = fabricate(rec / "exports" / "001", elsewhere, KILLED_FILES)
    before = tree(rec / "exports")
    entries = clean_exports(rec)
    assert [(e.folder, e.state) for e in entries] == [(running, "running"), (remote, "unknown")]
    assert all(not e.removed and not e.folder_removed for e in entries)
    assert tree(rec / "exports") == before


def test_folders_without_a_running_record_are_never_touched(rec: Path) -> None:
    player = rec / "exports" / "000"  # e.g. Pupil Player's, or an export that finished
    player.mkdir(parents=True)
    (player / ".pupil_positions.csv.part").write_text("someone else's")
    (rec / "exports" / "001").mkdir()
    (rec / "exports" / "002").mkdir()
    (rec / "exports" / "002" / PROGRESS_RECORD).write_text("{truncated")
    assert clean_exports(rec) == []
    assert tree(rec / "exports") == [
        "000",
        "000/.pupil_positions.csv.part",
        "001",
        "002",
        f"002/{PROGRESS_RECORD}",
    ]


def test_dry_run_removes_nothing(rec: Path, dead: dict[str, Any]) -> None:
    fabricate(rec / "exports" / "000", dead, KILLED_FILES)
    before = tree(rec)
    (entry,) = clean_exports(rec, dry_run=True)
    assert entry.folder_removed and len(entry.removed) == len(KILLED_FILES) + 1
    assert tree(rec) == before


def test_missing_path_or_a_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingNotFoundError):
        clean_exports(tmp_path / "nope")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(NotARecordingError, match="is a file"):
        clean_exports(tmp_path / "file.txt")


# --- exports write the record and clean up before they start -----------------------------------


def test_a_running_export_has_the_record_and_a_finished_one_has_none_left(rec: Path) -> None:
    seen: list[dict[str, Any]] = []

    def listener(job: Any, task: Any) -> None:
        if job.export_dir is not None and (job.export_dir / PROGRESS_RECORD).exists():
            seen.append(json.loads((job.export_dir / PROGRESS_RECORD).read_text()))

    result = export_recording(rec, exporters=("raw",), listener=listener)
    assert seen and seen[0]["outcome"] == "running"
    assert seen[0]["process"] == process_identity()
    assert seen[0]["folder_created"] is True
    assert PROGRESS_RECORD not in tree(result.export_dir)
    record = json.loads((result.export_dir / JOB_RECORD).read_text())
    assert record["process"] == process_identity()


def test_the_next_export_removes_a_killed_one_first(rec: Path, dead: dict[str, Any]) -> None:
    fabricate(rec / "exports" / "000", dead, KILLED_FILES)
    result = export_recording(rec, exporters=("raw",))
    assert result.export_dir == rec / "exports" / "000"  # the number is free again
    assert not [p for p in tree(rec / "exports") if p.endswith((".part", ".writing", ".canceled"))]
    (note,) = result.warnings
    assert "killed" in note and str(dead["pid"]) in note


def test_the_next_export_leaves_a_running_one_alone(rec: Path) -> None:
    with JobQueue() as queue:
        running = fabricate(rec / "exports" / "000", process_identity(), KILLED_FILES)
        job = queue.submit(prepare_export(rec, exporters=("raw",)))
        assert job.wait(20)
    assert job.outcome == "completed" and job.export_dir == rec / "exports" / "001"
    assert tree(running) == sorted([*KILLED_FILES, "transcoded", PROGRESS_RECORD])


# --- gazeport clean ---------------------------------------------------------------------------


def test_cli_clean_lists_what_it_removed(rec: Path, dead: dict[str, Any]) -> None:
    stale = fabricate(rec / "exports" / "000", dead, {".pupil_positions.csv.part": "x" * 1500})
    running = fabricate(rec / "exports" / "001", process_identity(), {})
    runner = CliRunner()
    result = runner.invoke(cli.app, ["clean", str(rec), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would remove .pupil_positions.csv.part" in result.stdout
    assert stale.exists()
    result = runner.invoke(cli.app, ["clean", str(rec)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0] == f"{stale}: interrupted export (process {dead['pid']} on {dead['host']} is gone)"
    )
    assert lines[1:4] == [
        "  removed .pupil_positions.csv.part",
        f"  removed {PROGRESS_RECORD}",
        "  removed the folder, which holds nothing else",
    ]
    assert lines[4].startswith(f"{running}: left alone, its export is still running")
    assert lines[5].startswith("Removed 2 files (") and lines[5].endswith(" and 1 folder.")
    assert not stale.exists() and running.exists()
    result = runner.invoke(cli.app, ["clean", str(rec)])
    assert "Nothing to clean" in result.stdout.splitlines()[-1]


def test_cli_clean_missing_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["clean", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
