"""Any exception, not only gazeport's own errors, leaves no files: in a task, while finishing the
job (``export_info.csv``, the job record), in the API, the queue and the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.jobs import (
    EXPORTER_TASKS,
    JOB_RECORD,
    JobQueue,
    TaskContext,
    export_recording,
    prepare_export,
    raise_for_outcome,
)
from gazeport.jobs import runner as jobs_runner
from gazeport.jobs.exporter_tasks import ExporterTask
from tests.factories import CoreSpec, make_core_recording


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    return make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d", n_frames=24))


def everything_below(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def raising(exc: BaseException) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return fail


# Where finishing a job can fail after every task completed: the info file, the job record.
FINISH_POINTS = [
    pytest.param("export_info_text", ValueError("cannot convert float NaN to integer"), id="info"),
    pytest.param("job_record", RuntimeError("record broke"), id="record"),
]


@pytest.mark.parametrize(("point", "exc"), FINISH_POINTS)
def test_failure_while_finishing_leaves_no_folder(
    rec: Path, monkeypatch: pytest.MonkeyPatch, point: str, exc: Exception
) -> None:
    monkeypatch.setattr(jobs_runner, point, raising(exc))
    with pytest.raises(type(exc), match=str(exc)):
        export_recording(rec)
    assert everything_below(rec / "exports") == []  # no exports/000, no CSV, no .part


@pytest.mark.parametrize(("point", "exc"), FINISH_POINTS)
def test_failure_while_finishing_in_an_existing_out_dir_leaves_only_what_was_there(
    rec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, exc: Exception
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    monkeypatch.setattr(jobs_runner, point, raising(exc))
    with pytest.raises(type(exc)):
        export_recording(rec, out_dir=out)
    assert everything_below(out) == ["mine.txt"]


def test_failure_while_finishing_in_a_queue_ends_the_job(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_runner, "export_info_text", raising(ValueError("NaN")))
    with JobQueue() as queue:
        job = queue.submit(prepare_export(rec))
        assert job.wait(20), "the job never finished"
    assert job.outcome == "failed"
    assert job.error == "unexpected ValueError: NaN"
    with pytest.raises(ValueError, match="NaN"):
        raise_for_outcome(job)
    assert everything_below(rec / "exports") == []


def test_keyboard_interrupt_while_finishing_cancels_and_leaves_nothing(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_runner, "job_record", raising(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        export_recording(rec)
    assert everything_below(rec / "exports") == []


@pytest.mark.parametrize("exc", [ValueError("bad value"), RuntimeError("bad state")])
@pytest.mark.parametrize("when", ["before-writing", "while-writing"])
def test_unexpected_exception_in_the_only_task_leaves_no_folder(
    rec: Path, monkeypatch: pytest.MonkeyPatch, exc: Exception, when: str
) -> None:
    def broken(ctx: TaskContext) -> None:
        if when == "while-writing":
            with ctx.staging.path("pupil_positions.csv").open("w") as fh:
                fh.write("half")
                raise exc
        raise exc

    monkeypatch.setitem(EXPORTER_TASKS, "raw", ExporterTask(broken, weight=6.0))
    with pytest.raises(type(exc)):
        export_recording(rec, exporters=("raw",))
    assert everything_below(rec / "exports") == []


def test_unexpected_exception_after_a_completed_task_keeps_only_that_task(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(EXPORTER_TASKS, "fixations", ExporterTask(raising(ValueError("oops"))))
    with pytest.raises(ValueError, match="oops"):
        export_recording(rec, exporters=("annotations", "fixations"))
    (folder,) = (rec / "exports").iterdir()
    assert everything_below(folder) == ["annotations.csv", "export_info.csv", JOB_RECORD]
    record = json.loads((folder / JOB_RECORD).read_text(encoding="utf-8"))
    assert record["outcome"] == "failed"
    assert record["tasks"]["fixations"]["reason"] == "unexpected ValueError: oops"


def test_cli_unexpected_exception_while_finishing(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_runner, "export_info_text", raising(ValueError("NaN")))
    result = CliRunner().invoke(cli.app, ["export", str(rec), "--quiet"])
    assert result.exit_code == 1
    assert "unexpected ValueError: NaN" in result.stderr
    assert "Traceback" not in result.output
    assert everything_below(rec / "exports") == []
