"""Warnings raised while export tasks run reach the task that raised them, also when tasks run
at once in threads, and the job record (jobs/task_warnings.py, issue 10)."""

from __future__ import annotations

import contextvars
import json
import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gazeport.errors import GazeportWarning
from gazeport.jobs import (
    EXPORTER_TASKS,
    JOB_RECORD,
    Job,
    JobQueue,
    TaskContext,
    export_recording,
    prepare_export,
    run_job,
)
from gazeport.jobs.exporter_tasks import ExporterTask
from gazeport.jobs.model import add_note
from gazeport.jobs.task_warnings import collected, current_task, hook_installed, routed_to
from tests.factories import CoreSpec, make_core_recording
from tests.neon_factories import append_bytes, write_neon

WAIT = 20.0  # seconds; only reached when something hangs


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    return make_core_recording(tmp_path / "rec", CoreSpec(pupil="2d", gaze="2d", n_frames=24))


def record_of(folder: Path) -> dict:
    return json.loads((folder / JOB_RECORD).read_text(encoding="utf-8"))


def warning_exporter(name: str, together: threading.Barrier) -> Callable[[TaskContext], None]:
    """Warns ``<name> 0..2`` (and ``<name> 0`` again, and one text both tasks share), meeting
    the other task at ``together`` after each step, so the two tasks' warnings interleave."""

    def run(ctx: TaskContext) -> None:
        for i in range(3):
            warnings.warn(f"{name} {i}", GazeportWarning, stacklevel=1)
            together.wait(WAIT)
        warnings.warn(f"{name} 0", GazeportWarning, stacklevel=1)
        warnings.warn("shared by both", GazeportWarning, stacklevel=1)
        ctx.warn(f"{name} made a note")
        with ctx.staging.path(f"{name}.txt").open("w") as fh:
            fh.write(name)

    return run


def test_two_tasks_in_threads_each_get_only_their_own_warnings(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    together = threading.Barrier(3)  # both tasks and this thread, which warns meanwhile
    for name in ("warn-a", "warn-b"):
        monkeypatch.setitem(EXPORTER_TASKS, name, ExporterTask(warning_exporter(name, together)))
    before = warnings.showwarning
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        shown = warnings.showwarning
        with JobQueue(caps={"data": 2}) as queue:
            job = queue.submit(prepare_export(rec, exporters=("warn-a", "warn-b")))
            for _ in range(3):
                together.wait(WAIT)
                warnings.warn("raised outside the tasks", GazeportWarning, stacklevel=1)
            assert queue.wait(WAIT)
        assert warnings.showwarning is shown  # the hook is gone with the last task
    assert warnings.showwarning is before and not hook_installed()
    assert job.outcome == "completed"
    for name in ("warn-a", "warn-b"):
        expected = [f"{name} 0", f"{name} 1", f"{name} 2", "shared by both", f"{name} made a note"]
        assert job.task(name).warnings == expected
        assert record_of(job.export_dir)["tasks"][name]["warnings"] == expected
    # Every warning still reached the hook that was there before (here: the recorder).
    texts = [str(w.message) for w in seen]
    assert texts.count("raised outside the tasks") == 3 and texts.count("shared by both") == 2
    assert len(texts) == 3 + 2 * 5
    notes = record_of(job.export_dir)["warnings"]
    assert notes.count("shared by both") == 1 and "raised outside the tasks" not in notes
    assert {f"{n} {i}" for n in ("warn-a", "warn-b") for i in range(3)} <= set(notes)


def test_warnings_in_a_thread_the_task_starts_belong_to_it_only_with_its_context(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exporter(ctx: TaskContext) -> None:
        copied = threading.Thread(
            target=contextvars.copy_context().run,
            args=(warnings.warn, "from a thread with the task's context", GazeportWarning),
        )
        plain = threading.Thread(
            target=warnings.warn, args=("from a plain thread", GazeportWarning)
        )
        for thread in (copied, plain):
            thread.start()
            thread.join()

    monkeypatch.setitem(EXPORTER_TASKS, "threads", ExporterTask(exporter))
    job = prepare_export(rec, exporters=("threads",))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        run_job(job)
    assert len(seen) == 2
    assert job.task("threads").warnings == ["from a thread with the task's context"]


def test_a_task_that_fails_keeps_its_warnings_in_the_record(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exporter(ctx: TaskContext) -> None:
        warnings.warn("the data look odd", GazeportWarning, stacklevel=1)
        raise ValueError("and then it broke")

    monkeypatch.setitem(EXPORTER_TASKS, "odd", ExporterTask(exporter))
    job = prepare_export(rec, exporters=("annotations", "odd"))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        run_job(job)
    record = record_of(job.export_dir)
    assert record["tasks"]["odd"]["status"] == "failed"
    assert record["tasks"]["odd"]["warnings"] == ["the data look odd"]
    assert "warnings" not in record["tasks"]["annotations"]  # no empty lists
    assert record["warnings"] == ["the data look odd"]


def test_other_categories_are_named_and_pytest_errors_still_raise(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exporter(ctx: TaskContext) -> None:
        warnings.warn("numbers overflowed", RuntimeWarning, stacklevel=1)

    monkeypatch.setitem(EXPORTER_TASKS, "numbers", ExporterTask(exporter))
    job = prepare_export(rec, exporters=("numbers",))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        run_job(job)
    assert job.task("numbers").warnings == ["RuntimeWarning: numbers overflowed"]
    # The filters decide first: under pytest's "error" the warning fails the task.
    job = prepare_export(rec, exporters=("numbers",))
    run_job(job)
    assert job.task("numbers").error == "unexpected RuntimeWarning: numbers overflowed"


def test_collected_in_another_thread_neither_takes_a_tasks_warnings_nor_drops_the_hook() -> None:
    """What the web server does while exports run: describing a recording keeps that thread's
    warnings (as catch_warnings(record=True) did, which swapped the process's hook)."""
    job = Job(Path("rec"))
    task = job.add_task("export")
    entered, described, done = threading.Event(), threading.Event(), threading.Event()
    kept: list[list[str]] = []

    def describe() -> None:
        entered.wait(WAIT)
        with collected() as notes:
            warnings.warn("describing the recording", GazeportWarning, stacklevel=1)
            described.set()
            done.wait(WAIT)  # still collecting while the task warns
        kept.append(list(notes))

    with warnings.catch_warnings(record=True):  # the task's warnings are shown too: kept here
        warnings.simplefilter("always")
        other = threading.Thread(target=describe)
        other.start()
        with routed_to(task):
            entered.set()
            described.wait(WAIT)
            warnings.warn("exporting", GazeportWarning, stacklevel=1)
            done.set()
            other.join(WAIT)
            assert hook_installed()
            warnings.warn("after the describe ended", GazeportWarning, stacklevel=1)
    assert task.warnings == ["exporting", "after the describe ended"]
    assert kept == [["describing the recording"]]


def test_routed_to_nests_and_restores_the_hook() -> None:
    job = Job(Path("rec"))
    outer, inner = job.add_task("outer"), job.add_task("inner")
    before = warnings.showwarning
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        shown = warnings.showwarning
        with routed_to(outer):
            warnings.warn("one", GazeportWarning, stacklevel=1)
            with routed_to(inner):
                assert current_task() is inner
                warnings.warn("two", GazeportWarning, stacklevel=1)
            assert current_task() is outer and hook_installed()
        assert current_task() is None and warnings.showwarning is shown
    assert warnings.showwarning is before
    assert (outer.warnings, inner.warnings) == (["one"], ["two"])


@pytest.mark.parametrize(
    ("notes", "message", "expected"),
    [
        pytest.param(["a"], "a", ["a"], id="same-text-once"),
        pytest.param(["b"], "a", ["b", "a"], id="new-text-appended"),
        pytest.param(["world video: a: b"], "a: b", ["world video: a: b"], id="said-already"),
        pytest.param(["a: b", "c"], "world video: a: b", ["world video: a: b", "c"], id="replaced"),
    ],
)
def test_add_note_keeps_each_text_once(notes: list[str], message: str, expected: list[str]) -> None:
    add_note(notes, message)
    assert notes == expected


def test_a_neon_export_never_swaps_the_global_warning_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``catch_warnings`` in a task would hide or steal the other tasks' warnings."""
    truth = write_neon(tmp_path / "rec")
    append_bytes(truth.root / "gaze ps2.raw")

    class Refused(warnings.catch_warnings):
        def __enter__(self) -> Any:
            if sys._getframe(1).f_globals.get("__name__", "").startswith("gazeport."):
                raise AssertionError("catch_warnings changes the warning state of every thread")
            return super().__enter__()

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        monkeypatch.setattr(warnings, "catch_warnings", Refused)
        try:
            result = export_recording(truth.root, exporters=("tables", "world-video"), end_s=0.7)
        finally:
            monkeypatch.undo()
    tables = result.tasks[0]
    assert tables.name == "tables" and any("gaze ps2.raw" in n for n in tables.warnings)
