"""SIGTERM, SIGHUP and SIGKILL of a real ``gazeport export`` process: exit codes, partial files,
worker processes.

The export runs in a subprocess whose CSV blocks take 30 s each (patched in the driver below), so
it is surely mid-raw-export, with its worker processes busy, when the signal arrives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gazeport import _native
from gazeport.jobs import clean_exports
from gazeport.jobs.signals import Interrupted, exit_code, interrupt_on_signals
from gazeport.synthetic import generate_capture_recording

psutil = pytest.importorskip("psutil")
posix_only = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")

# Runs ``gazeport`` with every raw CSV block delayed; picklable for the forked workers because
# ``slow`` lives in ``__main__``, which the workers share.
DRIVER = """
import sys, time
from gazeport.exporters import raw_data
real = raw_data._csv_block
def slow(job):
    time.sleep(30)
    return real(job)
raw_data._csv_block = slow
from gazeport.cli import main
sys.argv[0] = "gazeport"
main()
"""


#: Worker processes of a raw export with ``--workers 2``: none where the compiled formatter
#: runs (its workers are threads of the export's own process), two on the pure path.
RAW_WORKER_PROCESSES = 0 if _native.compiled() else 2


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_capture_recording(tmp_path_factory.mktemp("sig") / "rec", minutes=0.1)


def copy_of(recording: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for path in recording.iterdir():
        if path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    return target


def start(args: list[str], tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with (tmp_path / "stdout.txt").open("wb") as out, (tmp_path / "stderr.txt").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-c", DRIVER, *args],
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,  # a signal for the process group reaches only this export
        )


def wait_mid_export(proc: subprocess.Popen[bytes], root: Path, children: int) -> list:
    """Wait until a ``.part`` file exists and ``children`` worker processes run; returns them."""
    deadline = time.monotonic() + 20
    parent = psutil.Process(proc.pid)
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the export ended before it was signalled"
        kids = parent.children(recursive=True)
        if len(kids) >= children and list(root.rglob(".pupil_positions.csv.part")):
            return kids
        time.sleep(0.01)
    raise AssertionError("the export did not reach its raw data in time")


def alive(processes: list) -> list[int]:
    def running(p) -> bool:
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 10  # a loaded CI machine: cancelling takes a moment
    while time.monotonic() < deadline and any(running(p) for p in processes):
        time.sleep(0.02)
    left = [p.pid for p in processes if running(p)]
    for pid in left:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    return left


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("exports/**/*"))


@posix_only
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_stop_signal_cancels_a_single_export_like_ctrl_c(
    recording: Path, tmp_path: Path, signum: int, code: int
) -> None:
    rec = copy_of(recording, tmp_path / "rec")
    proc = start(["export", str(rec), "--only", "raw", "--workers", "2", "-q"], tmp_path)
    kids = wait_mid_export(proc, rec, children=RAW_WORKER_PROCESSES)
    proc.send_signal(signum)
    assert proc.wait(timeout=10) == code, (tmp_path / "stderr.txt").read_text()
    assert alive(kids) == []
    assert leftovers(rec) == []  # no .part file, and the empty exports/000 is gone
    lines = (tmp_path / "stderr.txt").read_text().splitlines()
    assert lines == ["raw cancelled", "cancelled"]
    assert (tmp_path / "stdout.txt").read_text() == ""


@posix_only
@pytest.mark.parametrize("to_group", [False, True], ids=["parent", "process-group"])
def test_sigterm_stops_a_batch_and_its_workers(
    recording: Path, tmp_path: Path, to_group: bool
) -> None:
    study = tmp_path / "study"
    for name in ("a", "b"):
        copy_of(recording, study / name)
    proc = start(["export", str(study), "-r", "--jobs", "2", "--only", "raw", "-q"], tmp_path)
    kids = wait_mid_export(proc, study, children=2)
    if to_group:  # a cluster scheduler ending the job, or a closed terminal
        os.killpg(proc.pid, signal.SIGTERM)
    else:  # kill PID
        proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 143, (tmp_path / "stderr.txt").read_text()
    assert alive(kids) == []
    assert leftovers(study) == []
    assert (tmp_path / "stderr.txt").read_text().strip() == "cancelled"


@posix_only
@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
def test_no_worker_outlives_a_killed_export(recording: Path, tmp_path: Path, batch: bool) -> None:
    """After SIGKILL nothing runs in the parent; the workers must still go."""
    rec = copy_of(recording, tmp_path / "rec")
    args = ["export", str(rec), "--only", "raw", "-q"]
    args += ["--jobs", "2"] if batch else ["--workers", "2"]
    if batch:
        copy_of(recording, tmp_path / "rec2")
        args.insert(2, str(tmp_path / "rec2"))
    proc = start(args, tmp_path)
    kids = wait_mid_export(proc, tmp_path, children=2 if batch else RAW_WORKER_PROCESSES)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert alive(kids) == []
    if batch:  # the workers were told (SIGTERM) and cancelled their exports themselves
        assert leftovers(tmp_path) == []
    else:  # nothing could run: gazeport clean removes what is left, the next export would too
        assert ".pupil_positions.csv.part" in "".join(leftovers(rec))
        (entry,) = clean_exports(rec)
        assert entry.state == "gone" and entry.folder_removed
        assert leftovers(rec) == []


# --- in this process --------------------------------------------------------------------------


@posix_only
def test_interrupt_on_signals_raises_once_and_restores_the_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as caught, interrupt_on_signals():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # a second one during clean-up is ignored
    assert caught.value.signum == signal.SIGTERM
    assert exit_code(caught.value) == 143
    assert isinstance(caught.value, KeyboardInterrupt)
    assert signal.getsignal(signal.SIGTERM) == before
    assert exit_code(KeyboardInterrupt()) == 130
