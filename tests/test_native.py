"""Which CSV formatting path runs (:mod:`gazeport._native`), and that the compiled one is there
wherever it can be built (a silently missing extension would fail here, not go unnoticed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from gazeport import _native

ROOT = Path(__file__).resolve().parents[1]


def c_compiler_present() -> bool:
    """A C compiler and the Python headers: what ``pip install`` needs to build the extension."""
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return shutil.which(cc) is not None and headers.exists()


def describe_in_subprocess(**env: str) -> str:
    code = "from gazeport import _native; print(_native.describe())"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def test_the_extension_is_built_where_a_compiler_is_present() -> None:
    if _native.pure_requested():
        pytest.skip("GAZEPORT_PURE is set: this run tests the pure path")
    if not c_compiler_present():
        pytest.skip("no C compiler or Python headers here: the pure path is expected")
    assert _native.compiled(), (
        f"a C compiler is present but {_native.describe()}; "
        "run `pip install -e .` again to build gazeport._csvfast"
    )
    assert _native.describe() == "compiled C extension (gazeport._csvfast)"


def test_gazeport_pure_turns_the_compiled_path_off() -> None:
    assert describe_in_subprocess(GAZEPORT_PURE="1") == "pure Python/NumPy (GAZEPORT_PURE=1 is set)"
    expected = _native.describe() if not _native.pure_requested() else None
    if expected is not None:
        assert describe_in_subprocess(GAZEPORT_PURE="0") == expected
        assert describe_in_subprocess(GAZEPORT_PURE="") == expected


def test_the_compiled_module_is_not_shipped_in_the_source_tree() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "src/gazeport"], cwd=ROOT, capture_output=True, text=True
    )
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    assert not [p for p in tracked.stdout.split() if "_csvfast" in p and not p.endswith(".py")]
