"""``gazeport … | head -1``: output into a pipe whose reader has gone ends quietly with 141."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gazeport.synthetic import generate_capture_recording

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")


def run_with_closed_stdout(*args: str) -> tuple[int, str]:
    """Start ``python -m gazeport ARGS`` and close the reading end of its stdout at once,
    before it has written anything (the interpreter needs far longer to start)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gazeport", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    return proc.wait(timeout=60), err


@pytest.mark.parametrize(
    "args",
    [["--help"], ["export", "--help"], ["--version"]],
    ids=["help", "export-help", "version"],
)
def test_closed_stdout_is_a_quiet_exit(args: list[str]) -> None:
    code, err = run_with_closed_stdout(*args)
    assert (code, err) == (141, "")


def test_closed_stdout_during_a_command_is_a_quiet_exit(tmp_path: Path) -> None:
    rec = generate_capture_recording(tmp_path / "rec", minutes=0.02)
    code, err = run_with_closed_stdout("info", str(rec), "--json")
    assert (code, err) == (141, "")


def test_open_stdout_still_exits_0(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gazeport", "--version"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == b""
