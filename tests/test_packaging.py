"""The wheel ``pip`` builds (``hatch_build.py``): with a C compiler it carries the compiled CSV
formatter and a platform tag; with none (``CC=false``) it is a pure-Python wheel that installs and
exports the same bytes. Both are real ``pip wheel`` builds of this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gazeport.synthetic import generate_capture_recording
from tests.test_native import c_compiler_present

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not (ROOT / "pyproject.toml").exists() or not (ROOT / "hatch_build.py").exists(),
    reason="not a source checkout",
)


def build_wheel(out: Path, **env: str) -> Path:
    """``pip wheel`` of this checkout with the build tools of this environment (no download)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v", "-w",
         str(out), str(ROOT)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )  # fmt: skip
    if proc.returncode != 0 and "No module named" in proc.stdout + proc.stderr:
        pytest.skip("hatchling/setuptools/editables are not installed (the dev extra has them)")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = out.glob("gazeport-*.whl")
    return wheel


def names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


@pytest.fixture(scope="module")
def small_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rec = tmp_path_factory.mktemp("rec") / "recording"
    generate_capture_recording(rec, 0.1)
    return rec


def export_raw_with(target: Path | None, rec: Path, out: Path, **env: str) -> dict[str, bytes]:
    """``gazeport export --only raw`` in a fresh process, gazeport imported from ``target``."""
    full_env = {**os.environ, **env}
    if target is not None:
        full_env["PYTHONPATH"] = str(target)
        full_env.pop("GAZEPORT_PURE", None)  # the wheel itself has no compiled path to turn off
    code = (
        "import sys, gazeport._native as n; from gazeport.cli import main; "
        "print(n.describe(), file=sys.stderr); print(__import__('gazeport').__file__, file=sys.stderr); "
        "sys.argv = ['gazeport', 'export', sys.argv[1], '--only', 'raw', '--out', sys.argv[2]]; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(rec), str(out)],
        env=full_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = {p.name: p.read_bytes() for p in out.glob("*_positions.csv")}
    assert set(files) == {"pupil_positions.csv", "gaze_positions.csv"}
    return {
        "describe": proc.stderr.splitlines()[0].encode(),
        "module": proc.stderr.splitlines()[1].encode(),
        **files,
    }


def test_a_machine_without_a_compiler_gets_a_pure_wheel_that_exports_the_same_bytes(
    tmp_path: Path, small_recording: Path
) -> None:
    wheel = build_wheel(tmp_path / "wheel", CC="false")
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    assert not [n for n in names(wheel) if "_csvfast" in n]
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
         str(wheel)],
        check=True,
    )  # fmt: skip
    pure = export_raw_with(target, small_recording, tmp_path / "pure")
    assert pure["module"].decode().startswith(str(target))
    assert pure["describe"].startswith(b"pure Python/NumPy (the C extension is not built here")
    here = export_raw_with(None, small_recording, tmp_path / "here")
    assert pure["pupil_positions.csv"] == here["pupil_positions.csv"]
    assert pure["gaze_positions.csv"] == here["gaze_positions.csv"]


def test_with_a_compiler_the_wheel_carries_the_extension(tmp_path: Path) -> None:
    if not c_compiler_present():
        pytest.skip("no C compiler here")
    wheel = build_wheel(tmp_path / "wheel")
    assert not wheel.name.endswith("-none-any.whl"), wheel.name
    assert [
        n for n in names(wheel) if n.startswith("gazeport/_csvfast") and n.endswith((".so", ".pyd"))
    ]
