"""Concurrent edits of a recording's annotations: real processes, one advisory lock."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from tests.factories import make_world_only_recording

from gazeport.errors import CorruptFileError, RecordingLockedError
from gazeport.recording import annotations as ann
from gazeport.recording import edit_lock
from gazeport.recording.annotations import Annotation

SRC = Path(__file__).resolve().parents[2] / "src"
N_WRITERS = 8
ADDS_PER_WRITER = 3

# Each writer imports first, says it is ready, then waits for the start signal so all of them
# run their read-modify-write at the same moment (imports would otherwise spread them out).
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from gazeport.recording import annotations as ann
    rec, me, ready, go, n = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5])
    (ready / me).touch()
    while not go.exists():
        time.sleep(0.001)
    for i in range(n):
        ann.add_annotation(rec, ann.Annotation(1.0 + int(me) + i / 10, f"w{me}-{i}"))
    """
)

# Reads the annotations in a loop until told to stop; any exception fails the test.
READER = textwrap.dedent(
    """
    import sys, time, traceback
    from pathlib import Path
    from gazeport.recording import annotations as ann
    rec, ready, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    reads = 0
    (ready / "reader").touch()
    try:
        while not stop.exists():
            ann.load_annotations(rec)
            reads += 1
    except BaseException:
        traceback.print_exc()
        sys.exit(1)
    print(reads)
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env["PYTHONWARNINGS"] = "error"
    return env


def _wait_for(folder: Path, count: int, procs: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + 60
    while len(list(folder.iterdir())) < count:
        for p in procs:
            if p.poll() is not None and p.returncode != 0:
                pytest.fail(f"a helper process ended early: {p.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail("the helper processes did not start within 60 s")
        time.sleep(0.01)


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    return make_world_only_recording(tmp_path / "rec", [0.0, 1.0, 2.0, 10.0])


def test_concurrent_writers_keep_every_annotation_and_readers_never_fail(
    rec: Path, tmp_path: Path
) -> None:
    ready, go, stop = tmp_path / "ready", tmp_path / "go", tmp_path / "stop"
    ready.mkdir()
    env = _env()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(rec), str(ready), str(stop)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(rec),
                str(i),
                str(ready),
                str(go),
                str(ADDS_PER_WRITER),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(N_WRITERS)
    ]
    try:
        _wait_for(ready, N_WRITERS + 1, [reader, *writers])
        go.touch()
        results = [w.communicate(timeout=120) for w in writers]
    finally:
        stop.touch()
        reader_out, reader_err = reader.communicate(timeout=60)
    for w, (_, err) in zip(writers, results, strict=True):
        assert w.returncode == 0, err
    assert reader.returncode == 0, reader_err
    assert int(reader_out) > 0
    labels = sorted(a.label for a in ann.load_annotations(rec))
    assert labels == sorted(f"w{w}-{i}" for w in range(N_WRITERS) for i in range(ADDS_PER_WRITER))


def test_concurrent_cli_adds_keep_all(rec: Path) -> None:
    """The issue's report: eight ``gazeport annotate REC add`` started at once."""
    env = _env()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gazeport",
                "annotate",
                str(rec),
                "add",
                f"cli{i}",
                "--timestamp",
                str(1.0 + i),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(N_WRITERS)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert sorted(a.label for a in ann.load_annotations(rec)) == [
        f"cli{i}" for i in range(N_WRITERS)
    ]


def test_lock_file_is_hidden_next_to_the_data(rec: Path) -> None:
    ann.add_annotation(rec, Annotation(1.0, "a"))
    ann.save_definitions(rec, {"a": "x"})
    assert edit_lock.lock_path(rec) == rec / ".annotation_player.lock"
    names = {p.name for p in rec.iterdir()}
    assert names == {
        "info.player.json", "world_timestamps.npy", "annotation_player.pldata",
        "annotation_player_timestamps.npy", "offline_data", ".annotation_player.lock",
    }  # fmt: skip


def test_reading_never_creates_a_file(rec: Path) -> None:
    before = sorted(p.name for p in rec.rglob("*"))
    assert ann.load_annotations(rec) == []
    ann.load_definitions(rec)
    assert sorted(p.name for p in rec.rglob("*")) == before


def test_reading_a_read_only_recording_with_a_lock_file(rec: Path) -> None:
    ann.add_annotation(rec, Annotation(1.0, "a"))
    os.chmod(edit_lock.lock_path(rec), 0o444)
    rec.chmod(0o555)
    try:
        assert [a.label for a in ann.load_annotations(rec)] == ["a"]
    finally:
        rec.chmod(0o755)


def _hold_lock(rec: Path, held: threading.Event, release: threading.Event) -> None:
    with edit_lock.edit_lock(rec):
        held.set()
        release.wait(30)


def test_a_lock_held_too_long_names_the_lock_file(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edit_lock, "LOCK_TIMEOUT_S", 0.2)
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(rec, held, release))
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(RecordingLockedError, match=r"\.annotation_player\.lock") as info:
            ann.add_annotation(rec, Annotation(1.0, "a"))
        assert "try again" in str(info.value)
        with pytest.raises(RecordingLockedError, match=r"\.annotation_player\.lock"):
            ann.load_annotations(rec)
        with pytest.raises(RecordingLockedError):
            ann.save_definitions(rec, {"a": "x"})
    finally:
        release.set()
        holder.join()
    ann.add_annotation(rec, Annotation(1.0, "a"))
    assert [a.label for a in ann.load_annotations(rec)] == ["a"]


def test_reader_waits_for_a_writer_to_finish(rec: Path) -> None:
    """A reader in another thread blocks while the lock is held, then sees the new set."""
    ann.add_annotation(rec, Annotation(1.0, "old"))
    got: list[list[str]] = []
    with edit_lock.edit_lock(rec):
        reader = threading.Thread(
            target=lambda: got.append([a.label for a in ann.load_annotations(rec)])
        )
        reader.start()
        time.sleep(0.2)
        assert got == []  # still waiting
        ann.save_annotations(rec, [Annotation(1.0, "new"), Annotation(2.0, "newer")])
    reader.join(10)
    assert got == [["new", "newer"]]


def test_nested_edits_in_one_thread_do_not_deadlock(rec: Path) -> None:
    with edit_lock.edit_lock(rec):
        ann.add_annotation(rec, Annotation(1.0, "a"))
        ann.edit_annotation(rec, 0, label="b")
        assert [a.label for a in ann.load_annotations(rec)] == ["b"]


def test_update_definitions_is_one_locked_step(rec: Path) -> None:
    ann.save_definitions(rec, {"a": "x", "b": "y"})
    assert ann.update_definitions(rec, set_={"c": "z"}, remove=["a"]) == {"b": "y", "c": "z"}
    assert ann.load_definitions(rec) == {"b": "y", "c": "z"}
    with pytest.raises(KeyError, match="'nope'"):
        ann.update_definitions(rec, remove=["nope"])
    assert ann.load_definitions(rec) == {"b": "y", "c": "z"}


def test_a_reader_racing_the_first_writer_reads_again_under_the_lock(rec: Path) -> None:
    """No lock file when the read starts; a writer creates it and is mid-way through."""
    calls: list[int] = []

    def read() -> str:
        calls.append(1)
        if len(calls) == 1:
            edit_lock.lock_path(rec).touch()  # the writer arrived
            raise CorruptFileError("the two files disagree")
        return "consistent"

    assert edit_lock.read_consistently(rec, read) == "consistent"
    assert len(calls) == 2


def test_without_a_lock_file_corrupt_files_are_reported_at_once(rec: Path) -> None:
    def read() -> str:
        raise CorruptFileError("really damaged")

    start = time.monotonic()
    with pytest.raises(CorruptFileError, match="really damaged"):
        edit_lock.read_consistently(rec, read)
    assert time.monotonic() - start < 1.0
    assert not edit_lock.lock_path(rec).exists()
