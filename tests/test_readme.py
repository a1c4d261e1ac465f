"""The README's command examples are what the commands print on the recording they name.

The ``info`` and ``annotate`` blocks are run on a copy of the real Capture 3.5.8 recording (the
one the README calls ``~/recordings/2024_01_25/003`` and ``REC``) and compared line by line.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests import fixtures

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def _sessions(prefix: str) -> list[tuple[str, list[str]]]:
    """(command, printed lines) of every ``$ gazeport <prefix>`` line with its output."""
    found = []
    for block in _blocks():
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if not line.startswith(f"$ gazeport {prefix}"):
                continue
            out = []
            for follow in lines[i + 1 :]:
                if follow.startswith("$ "):
                    break
                out.append(follow)
            while out and not out[-1]:
                out.pop()
            found.append((line[2:].split("  #")[0].strip(), out))
    return found


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    dst = tmp_path / "recordings" / "2024_01_25" / "003"
    shutil.copytree(fixtures.recording("core358_artemisge_003"), dst)
    for p in [dst, *dst.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dst


def _run(command: str, rec: Path) -> list[str]:
    args = command.split(" ", 1)[1]
    args = args.replace("~/recordings/2024_01_25/003", str(rec)).replace("REC", str(rec))
    env = {**os.environ, "COLUMNS": "120", "TZ": "UTC", "HOME": str(rec.parents[2])}
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from gazeport.cli import main; sys.argv[0] = 'gazeport'; main()",
         *_split(args)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return [
        ln.rstrip().replace(str(rec), "~/recordings/2024_01_25/003")
        for ln in proc.stdout.splitlines()
    ]


def _split(args: str) -> list[str]:
    import shlex

    return shlex.split(args)


def test_info_example_is_real_output(rec: Path) -> None:
    (command, shown), *_ = _sessions("info ~/")
    printed = _run(command, rec)
    assert printed[0] == "~/recordings/2024_01_25/003"
    assert printed[1:] == shown


def test_annotate_example_is_real_output(rec: Path) -> None:
    sessions = _sessions("annotate REC")
    assert len(sessions) >= 3
    for command, shown in sessions:
        printed = _run(command, rec)
        if shown:  # a command shown without output may still print (e.g. "Edited …")
            assert printed == shown, command


NEON_HOME = "~/recordings/neon/2025-10-17_17-53-08"


def test_neon_example_is_real_output(tmp_path: Path) -> None:
    rec = tmp_path / "recordings" / "neon" / "2025-10-17_17-53-08"
    shutil.copytree(fixtures.recording("neon_demo"), rec)
    for p in [rec, *rec.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    sessions = [
        (command, shown)
        for command, shown in _sessions("")
        if command.split(" ")[2:3] == [NEON_HOME]
    ]
    assert [c.split(" ")[1] for c, _ in sessions] == ["annotate"] * 3 + ["export"]
    for command, shown in sessions:
        printed = [
            line.replace("~/recordings/2024_01_25/003", NEON_HOME)  # _run names rec so
            for line in _run(command.replace(NEON_HOME, str(rec)), rec)
            if not line.startswith("Done in ")
        ]
        assert printed == shown, command
    gaze = (rec / "exports" / "000" / "gaze.csv").read_text(encoding="utf-8").splitlines()
    readme = README.read_text(encoding="utf-8")
    assert "\n".join(gaze[:2]) in readme
