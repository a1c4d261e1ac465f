"""Batch export: discovery, parallel processes, a failing recording in the middle, reports."""

from __future__ import annotations

import csv
import io
import os
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.batch import discover, export_many, write_report
from gazeport.errors import RecordingNotFoundError
from tests import fixtures

FIXTURES = fixtures.RECORDINGS
pytestmark = fixtures.needs_recordings


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    for root, dirs, files in os.walk(dst):
        for name in dirs + files:
            p = Path(root, name)
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dst


@pytest.fixture
def study(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    _copy(FIXTURES / "core358_artemisge_003", root / "p01" / "rec")
    _copy(FIXTURES / "core121_eyedoit_001", root / "p02" / "rec")
    broken = _copy(FIXTURES / "core121_eyedoit_001", root / "p03" / "broken")
    data = bytearray((broken / "gaze.pldata").read_bytes())
    data[100_000:100_010] = b"\xc1" * 10  # a damaged datum in the middle
    (broken / "gaze.pldata").write_bytes(bytes(data))
    (root / "notes").mkdir()
    (root / "notes" / "readme.txt").write_text("not a recording")
    # an earlier export inside a recording must not be searched
    _copy(FIXTURES / "core121_eyedoit_001", root / "p01" / "rec" / "exports" / "000" / "copy")
    return root


def test_discover_recursive_skips_exports_and_non_recordings(study: Path):
    found = discover([study], recursive=True)
    assert [str(r.relative_to(study)) for r, _ in found] == ["p01/rec", "p02/rec", "p03/broken"]
    assert all(root == study for _, root in found)
    assert discover([study / "p01" / "rec"]) == [(study / "p01" / "rec", study / "p01")]
    assert discover([study], recursive=False) == [(study, study.parent)]  # taken as given
    with pytest.raises(RecordingNotFoundError):
        discover([study / "missing"])


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_goes_on_after_a_failure(study: Path, tmp_path: Path, jobs: int):
    found = discover([study], recursive=True)
    done = []
    progress: dict[int, list[float]] = {}
    items = export_many(
        found, jobs=jobs, out_root=tmp_path / "out", on_done=lambda i: done.append(i.recording),
        on_progress=lambda i, f, text: progress.setdefault(i, []).append(f), exporters=("raw",),
    )  # fmt: skip
    assert [i.status for i in items] == ["ok", "ok", "failed"]
    assert sorted(done) == sorted(r for r, _ in found)
    # each recording reported its own progress, from whichever process ran it
    assert progress[0][-1] == progress[1][-1] == 1.0
    assert all(f < 1.0 for f in progress.get(2, []))
    assert "damaged" in items[2].error and "gaze.pldata" in items[2].error
    assert items[0].export_dir == tmp_path / "out" / "p01" / "rec"
    assert (tmp_path / "out" / "p02" / "rec" / "gaze_positions.csv").exists()
    # the damaged gaze stream failed alone: the pupil data of that recording was exported
    broken = tmp_path / "out" / "p03" / "broken"
    assert (broken / "pupil_positions.csv").exists()
    assert not (broken / "gaze_positions.csv").exists()
    assert not [p for p in broken.iterdir() if p.name.endswith(".part")]
    assert items[1].rows == {"pupil": 949, "gaze": 949}
    report = tmp_path / "report.csv"
    write_report(items, report)
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [r["status"] for r in rows] == ["ok", "ok", "failed"]
    assert rows[1]["rows"] == "1898"


def test_batch_without_out_root_uses_each_recordings_exports(study: Path):
    items = export_many(discover([study / "p02" / "rec"]), exporters=("annotations",))
    assert items[0].status == "ok"
    assert items[0].export_dir == study / "p02" / "rec" / "exports" / "000"


def test_cli_batch_summary_report_and_exit_code(study: Path, tmp_path: Path):
    runner = CliRunner()
    report = tmp_path / "batch.csv"
    result = runner.invoke(
        cli.app,
        ["export", str(study), "--recursive", "--jobs", "2", "--only", "raw", "--out-root",
         str(tmp_path / "o"), "--report", str(report), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "2 of 3 recordings exported." in result.stdout
    assert report.exists()
    ok = runner.invoke(
        cli.app,
        [
            "export",
            str(study / "p01" / "rec"),
            str(study / "p02" / "rec"),
            "--only",
            "raw",
            "--quiet",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "2 of 2 recordings exported." in ok.stdout
    empty = runner.invoke(cli.app, ["export", str(study / "notes"), "--recursive"])
    assert empty.exit_code == 1 and "No recordings found" in empty.stderr


def test_cancel_before_and_during_an_export(study: Path, tmp_path: Path):
    import threading

    import gazeport
    from gazeport.errors import ExportCancelled
    from gazeport.jobs import CancelToken, export_recording

    rec = study / "p01" / "rec"
    before = sorted(p.name for p in (rec / "exports").iterdir())
    token = CancelToken()
    token.cancel()
    with pytest.raises(ExportCancelled):
        export_recording(rec, cancel=token)
    assert sorted(p.name for p in (rec / "exports").iterdir()) == before  # no new exports/NNN

    event = threading.Event()

    def progress(fraction: float, text: str) -> None:
        if fraction > 0.1:
            event.set()  # cancel in the middle of the raw data

    out = tmp_path / "mid"
    with pytest.raises(ExportCancelled):
        export_recording(rec, out_dir=out, progress=progress, cancel=event)
    assert not out.exists()

    items = gazeport.export(study, recursive=True, exporters=("raw",), cancel=token)
    assert [i.status for i in items] == ["cancelled"] * 3


def test_top_level_export_accepts_one_path_or_a_recording(study: Path):
    import gazeport

    seen = []
    items = gazeport.export(
        study / "p02" / "rec", exporters=("annotations",), progress=lambda f, t: seen.append(f)
    )
    assert [i.status for i in items] == ["ok"]
    assert seen[-1] == 1.0 and seen == sorted(seen)
    rec = gazeport.open(study / "p01" / "rec")
    items = gazeport.export(rec, exporters=("annotations",))
    assert items[0].export_dir == study / "p01" / "rec" / "exports" / "001"  # 000 existed


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
# neon23_multipart's worn_200hz.raw has one byte more than its times (spec §1.9): a warning
@pytest.mark.filterwarnings(r"ignore:.*worn_200hz.raw holds:gazeport.errors.GazeportWarning")
def test_batch_on_a_local_dask_cluster(study: Path, tmp_path: Path):
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    _copy(FIXTURES / "neon23_multipart", study / "p04" / "neon")
    found = discover([study], recursive=True)
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        done = []
        progress: dict[int, list[float]] = {}
        items = export_many(
            found, scheduler=cluster.scheduler_address, out_root=tmp_path / "dask",
            on_done=lambda i: done.append(i.status), exporters=("raw",),
            on_progress=lambda i, f, text: progress.setdefault(i, []).append(f),
        )  # fmt: skip
    finally:
        cluster.close()
    assert [i.status for i in items] == ["ok", "ok", "failed", "ok"]
    assert progress[0][-1] == progress[1][-1] == progress[3][-1] == 1.0  # from the workers
    assert sorted(done) == ["failed", "ok", "ok", "ok"]
    export_many([*found[:2], found[3]], out_root=tmp_path / "local", exporters=("raw",))
    for name in ("pupil_positions.csv", "gaze_positions.csv"):
        for rel in ("p01/rec", "p02/rec"):
            assert (tmp_path / "dask" / rel / name).read_bytes() == (
                tmp_path / "local" / rel / name
            ).read_bytes()
    # the Neon recording is exported in Neon Player's files, the same wherever it ran
    neon = {p.name for p in (tmp_path / "local" / "p04/neon").iterdir()} - {"export_info.csv"}
    assert {p.name for p in (tmp_path / "dask" / "p04/neon").iterdir()} >= neon
    for name in neon - {"gazeport_export.json"}:
        assert (tmp_path / "dask" / "p04/neon" / name).read_bytes() == (
            tmp_path / "local" / "p04/neon" / name
        ).read_bytes()


def test_unreachable_scheduler_is_a_plain_error(study: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("distributed")
    import gazeport.batch
    from gazeport.errors import GazeportError

    monkeypatch.setattr(gazeport.batch, "DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(GazeportError, match="Cannot reach the Dask scheduler"):
        export_many(
            discover([study / "p02" / "rec"]), scheduler="tcp://127.0.0.1:9", exporters=("raw",)
        )


@pytest.fixture
def mixed_study(study: Path) -> Path:
    """The study plus folders a batch cannot export: Neon, a Cloud export, a lost info file."""
    _copy(FIXTURES / "neon_demo", study / "p04" / "neon")
    cloud = study / "p05" / "cloud_timeseries"
    cloud.mkdir(parents=True)
    (cloud / "gaze.csv").write_text("section id,recording id,timestamp [ns],gaze x [px]\n")
    (cloud / "info.json").write_text('{"data_format_version": "2.3"}')
    no_info = _copy(FIXTURES / "core121_eyedoit_001", study / "p06" / "no_info")
    (no_info / "info.player.json").unlink()
    return study


def test_every_folder_that_looks_like_a_recording_gets_a_status(mixed_study: Path, tmp_path: Path):
    found = discover([mixed_study], recursive=True)
    names = ["p01/rec", "p02/rec", "p03/broken", "p04/neon", "p05/cloud_timeseries", "p06/no_info"]
    assert [str(r.relative_to(mixed_study)) for r, _ in found] == names
    items = export_many(found, jobs=2, out_root=tmp_path / "out", exporters=("raw",))
    statuses = ["ok", "ok", "failed", "ok", "failed", "failed"]
    assert [i.status for i in items] == statuses
    # A Cloud download opens now; this one's info.json lacks the keys it needs.
    assert 'info.json is missing the required key "start_time"' in items[4].error
    assert "no info.player.json or info.csv" in items[5].error
    assert str(mixed_study / "p06" / "no_info") in items[5].error

    report = tmp_path / "report.csv"
    result = CliRunner().invoke(
        cli.app,
        ["export", str(mixed_study), "-r", "--only", "raw", "--out-root", str(tmp_path / "o"),
         "--report", str(report), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.stdout.strip().splitlines()[-1] == "3 of 6 recordings exported."
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [(r["recording"], r["status"]) for r in rows] == [
        (str(mixed_study / name), status) for name, status in zip(names, statuses, strict=True)
    ]
    assert all(r["error"] for r in rows if r["status"] != "ok")
    assert "failed" in result.stdout


def test_summary_never_cuts_a_path_or_an_error(mixed_study: Path, tmp_path: Path):
    import subprocess
    import sys

    deep = mixed_study / "participant_with_a_long_name_07" / "2024_01_25_session_recording_003"
    _copy(FIXTURES / "core121_eyedoit_001", deep)
    (deep / "info.player.json").unlink()
    env = {**os.environ, "COLUMNS": "40"}
    done = subprocess.run(
        [sys.executable, "-m", "gazeport", "export", str(mixed_study), "-r", "--only", "raw",
         "--out-root", str(tmp_path / "o"), "--report", str(tmp_path / "r.csv")],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 7
    for row in rows:
        line = next(ln for ln in done.stdout.splitlines() if ln.split()[:1] == [row["recording"]])
        assert row["status"] in line.split()
        assert line.endswith(row["export_dir"] if row["status"] == "ok" else row["error"])


def test_write_report_failure_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="No space"):
        write_report([], tmp_path / "report.csv")
    assert list(tmp_path.iterdir()) == []
