"""Jobs made of tasks: phase transitions, cancel while queued or running, caps, the job list."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gazeport.errors import ExportCancelled, ExportError
from gazeport.jobs import (
    EXPORTER_TASKS,
    JOB_RECORD,
    CancelToken,
    Job,
    JobQueue,
    Task,
    TaskContext,
    TaskState,
    export_recording,
    prepare_export,
    run_job,
)
from gazeport.jobs.exporter_tasks import ExporterTask
from tests.factories import CoreSpec, make_core_recording

WAIT = 20.0  # seconds; only reached when something hangs


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    return make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d", n_frames=24))


class Gate:
    """A controllable exporter: writes a partial file, then waits for ``release`` while
    reporting progress (so a cancel is noticed), then finishes its file."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = threading.Event()
        self.release = threading.Event()
        self.running = 0
        self.max_running = 0
        self._lock = threading.Lock()

    def __call__(self, ctx: TaskContext) -> None:
        with self._lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            path = ctx.staging.path(f"{self.name}.txt")
            with path.open("w") as fh:
                fh.write("partial ")
                self.started.set()
                step = 0
                while not self.release.wait(0.01):
                    step += 1
                    ctx.progress(min(step / 1000, 0.99), f"step {step}")
                fh.write("complete")
            ctx.progress(1.0, "done")
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def gates(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Gate]]:
    """Exporters ``gate-a``/``gate-b`` (kind data) and ``video-a``/``video-b`` (kind video)."""
    made = {}
    for name, kind in (
        ("gate-a", "data"),
        ("gate-b", "data"),
        ("video-a", "video"),
        ("video-b", "video"),
    ):
        made[name] = Gate(name)
        monkeypatch.setitem(EXPORTER_TASKS, name, ExporterTask(made[name], kind=kind))
    yield made
    for gate in made.values():
        gate.release.set()


def failing_exporter(ctx: TaskContext) -> None:
    with ctx.staging.path("broken.txt").open("w") as fh:
        fh.write("half")
    raise ExportError("The broken exporter failed on purpose.")


def record_of(folder: Path) -> dict:
    return json.loads((folder / JOB_RECORD).read_text(encoding="utf-8"))


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def wait_for(predicate, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.005)


# --- phase transitions ----------------------------------------------------------------------------


def test_every_task_goes_queued_running_completed(rec: Path) -> None:
    seen: dict[str, list[str]] = {}

    def listener(job: Job, task: Task | None) -> None:
        if task is not None:
            states = seen.setdefault(task.name, [])
            if not states or states[-1] != task.state.value:
                states.append(task.state.value)

    job = prepare_export(rec, listener=listener)
    assert [t.state for t in job.tasks] == [TaskState.QUEUED] * 4
    assert job.export_dir is None and job.progress == 0.0
    run_job(job)
    assert seen == {
        name: ["running", "completed"] for name in ("raw", "annotations", "fixations", "blinks")
    }
    assert job.outcome == "completed" and job.done and job.progress == 1.0
    assert all(t.progress == 1.0 and t.seconds > 0 for t in job.tasks)
    assert job.task("raw").files and all(p.exists() for p in job.task("raw").files)
    record = record_of(job.export_dir)
    assert record["outcome"] == "completed"
    assert {name: t["status"] for name, t in record["tasks"].items()} == {
        "raw": "completed", "annotations": "completed", "fixations": "completed",
        "blinks": "completed",
    }  # fmt: skip


def test_progress_is_weighted_and_never_goes_back(rec: Path) -> None:
    fractions: list[float] = []
    export_recording(rec, progress=lambda f, text: fractions.append(f))
    assert fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions)


def test_failed_task_keeps_its_reason_and_the_others_their_files(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(EXPORTER_TASKS, "broken", ExporterTask(failing_exporter))
    job = prepare_export(rec, exporters=("annotations", "broken", "blinks"))
    run_job(job)
    broken = job.task("broken")
    assert broken.state is TaskState.FAILED
    assert broken.error == "The broken exporter failed on purpose."
    assert job.task("annotations").state is TaskState.COMPLETED
    assert job.task("blinks").state is TaskState.COMPLETED  # ran after the failure
    assert job.outcome == "failed"
    names = files_in(job.export_dir)
    assert "annotations.csv" in names and "broken.txt" not in names
    assert not [n for n in names if n.endswith(".part")]
    assert record_of(job.export_dir)["tasks"]["broken"] == {
        "status": "failed", "seconds": pytest.approx(broken.seconds, abs=1e-5),
        "reason": "The broken exporter failed on purpose.", "files": [],
    }  # fmt: skip


def test_export_recording_raises_the_failure_after_the_other_tasks(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(EXPORTER_TASKS, "broken", ExporterTask(failing_exporter))
    with pytest.raises(ExportError, match="on purpose"):
        export_recording(rec, exporters=("broken", "annotations"))
    (folder,) = (rec / "exports").iterdir()
    assert files_in(folder) == ["annotations.csv", "export_info.csv", JOB_RECORD]
    assert record_of(folder)["outcome"] == "failed"


def test_a_job_where_nothing_completed_leaves_no_folder(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(EXPORTER_TASKS, "broken", ExporterTask(failing_exporter))
    with pytest.raises(ExportError):
        export_recording(rec, exporters=("broken",))
    assert list((rec / "exports").iterdir()) == []


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_a_running_task_removes_its_partial_file(rec: Path, gates: dict[str, Gate]) -> None:
    with JobQueue() as queue:
        job = queue.submit(prepare_export(rec, exporters=("gate-a", "annotations")))
        assert gates["gate-a"].started.wait(WAIT)
        task = job.task("gate-a")
        assert task.state is TaskState.RUNNING
        assert (job.export_dir / ".gate-a.txt.part").exists()
        queue.cancel(task)
        assert job.wait(WAIT)
    assert task.state is TaskState.CANCELLED
    assert job.task("annotations").state is TaskState.COMPLETED
    assert job.outcome == "cancelled"
    assert files_in(job.export_dir) == ["annotations.csv", "export_info.csv", JOB_RECORD]
    assert record_of(job.export_dir)["tasks"]["gate-a"]["status"] == "cancelled"


def test_cancel_a_queued_task_ends_it_at_once(rec: Path, gates: dict[str, Gate]) -> None:
    with JobQueue() as queue:
        job = queue.submit(prepare_export(rec, exporters=("gate-a", "gate-b")))
        assert gates["gate-a"].started.wait(WAIT)
        queued = job.task("gate-b")
        assert queued.state is TaskState.QUEUED
        queue.cancel(queued)
        assert queued.state is TaskState.CANCELLED  # no waiting for a queued task
        gates["gate-a"].release.set()
        assert job.wait(WAIT)
    assert not gates["gate-b"].started.is_set()
    assert job.task("gate-a").state is TaskState.COMPLETED
    assert (job.export_dir / "gate-a.txt").read_text() == "partial complete"
    assert not (job.export_dir / "gate-b.txt").exists()
    assert job.outcome == "cancelled"


def test_cancel_a_queued_job_creates_no_folder(rec: Path, gates: dict[str, Gate]) -> None:
    with JobQueue() as queue:
        first = queue.submit(prepare_export(rec, exporters=("gate-a",)))
        assert gates["gate-a"].started.wait(WAIT)
        second = queue.submit(prepare_export(rec, exporters=("gate-b", "annotations")))
        assert all(t.state is TaskState.QUEUED for t in second.tasks)
        queue.cancel(second)
        assert second.wait(WAIT)
        gates["gate-a"].release.set()
        assert first.wait(WAIT)
    assert second.outcome == "cancelled" and second.export_dir is None
    assert [t.state for t in second.tasks] == [TaskState.CANCELLED] * 2
    assert files_in(rec / "exports") == [first.export_dir.name]


def test_cancel_a_running_job_in_this_thread_with_a_token(rec: Path) -> None:
    token = CancelToken()

    def progress(fraction: float, text: str) -> None:
        if fraction > 0:
            token.cancel()

    with pytest.raises(ExportCancelled):
        export_recording(rec, progress=progress, cancel=token)
    assert list((rec / "exports").iterdir()) == []


def test_cancelled_job_keeps_completed_tasks(rec: Path, gates: dict[str, Gate]) -> None:
    with JobQueue() as queue:
        job = queue.submit(prepare_export(rec, exporters=("annotations", "gate-a", "blinks")))
        assert gates["gate-a"].started.wait(WAIT)
        queue.cancel(job)
        assert job.wait(WAIT)
    states = {t.name: t.state for t in job.tasks}
    assert states == {
        "annotations": TaskState.COMPLETED, "gate-a": TaskState.CANCELLED,
        "blinks": TaskState.CANCELLED,
    }  # fmt: skip
    assert files_in(job.export_dir) == ["annotations.csv", "export_info.csv", JOB_RECORD]


# --- caps and the job list ----------------------------------------------------------------------


def test_video_tasks_run_one_at_a_time_by_default(rec: Path, gates: dict[str, Gate]) -> None:
    with JobQueue() as queue:
        a = queue.submit(prepare_export(rec, exporters=("video-a",)))
        b = queue.submit(prepare_export(rec, exporters=("video-b",)))
        assert gates["video-a"].started.wait(WAIT)
        time.sleep(0.05)
        assert not gates["video-b"].started.is_set()
        assert queue.running("video") == 1
        assert b.task("video-b").state is TaskState.QUEUED
        gates["video-a"].release.set()
        assert gates["video-b"].started.wait(WAIT)
        gates["video-b"].release.set()
        assert queue.wait(WAIT)
    assert a.outcome == b.outcome == "completed"


def test_caps_are_per_kind(rec: Path, gates: dict[str, Gate]) -> None:
    with JobQueue(caps={"data": 2, "video": 1}) as queue:
        queue.submit(prepare_export(rec, exporters=("gate-a", "gate-b", "video-a")))
        for name in ("gate-a", "gate-b", "video-a"):
            assert gates[name].started.wait(WAIT)  # all three run at once
        assert queue.running("data") == 2 and queue.running("video") == 1
        for gate in gates.values():
            gate.release.set()
        assert queue.wait(WAIT)


def test_bad_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        JobQueue(caps={"video": 0})


def test_finished_jobs_stay_listed_until_removed(rec: Path) -> None:
    with JobQueue() as queue:
        ok = queue.submit(prepare_export(rec, exporters=("annotations",)))
        assert queue.wait(WAIT)
        assert queue.jobs == [ok]
        assert ok.outcome == "completed" and ok.export_dir == rec / "exports" / "000"
        assert ok.status == "completed"
        assert queue.remove_finished() == [ok]
        assert queue.jobs == []


def test_closing_the_queue_cancels_what_runs(rec: Path, gates: dict[str, Gate]) -> None:
    queue = JobQueue()
    job = queue.submit(prepare_export(rec, exporters=("gate-a",)))
    assert gates["gate-a"].started.wait(WAIT)
    queue.close()
    assert job.outcome == "cancelled"
    with pytest.raises(RuntimeError, match="closed"):
        queue.submit(prepare_export(rec, exporters=("annotations",)))


def test_a_folder_that_cannot_be_made_fails_every_task(rec: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with JobQueue() as queue:
        job = queue.submit(
            prepare_export(rec, exporters=("annotations", "blinks"), out_dir=blocker / "sub")
        )
        assert job.wait(WAIT)
    assert job.outcome == "failed"
    assert all(t.state is TaskState.FAILED and "Cannot create" in t.error for t in job.tasks)
