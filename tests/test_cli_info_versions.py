"""``gazeport info --versions`` / ``--verbose``: versions and the CSV formatting path in use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from typer.testing import CliRunner

from gazeport import _native
from gazeport._version import __version__
from gazeport.cli import app
from gazeport.synthetic import generate_capture_recording

runner = CliRunner()


def test_versions_name_the_formatting_path_and_the_libraries() -> None:
    result = runner.invoke(app, ["info", "--versions", "--json"])
    assert result.exit_code == 0, result.output
    v = json.loads(result.output)
    assert v["gazeport"] == __version__
    assert v["csv_formatting"] == _native.describe()
    assert v["compiled"] is _native.compiled()
    assert v["packages"]["numpy"] == metadata.version("numpy")
    assert all(v["packages"].values()), v["packages"]  # every required library is installed
    text = runner.invoke(app, ["info", "--versions"])
    assert text.exit_code == 0
    assert "csv formatting" in text.output and _native.describe() in " ".join(text.output.split())


def test_gazeport_pure_shows_in_versions() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gazeport", "info", "--versions", "--json"],
        env={**os.environ, "GAZEPORT_PURE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    v = json.loads(proc.stdout)
    assert v["csv_formatting"] == "pure Python/NumPy (GAZEPORT_PURE=1 is set)"
    assert v["compiled"] is False


def test_verbose_adds_the_path_to_a_recordings_facts(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    generate_capture_recording(rec, 0.05)
    plain = json.loads(runner.invoke(app, ["info", str(rec), "--json"]).output)
    assert "gazeport" not in plain
    verbose = json.loads(runner.invoke(app, ["info", str(rec), "--json", "--verbose"]).output)
    assert verbose["gazeport"] == {"version": __version__, "csv_formatting": _native.describe()}
    assert {k: v for k, v in verbose.items() if k != "gazeport"} == plain
    shown = runner.invoke(app, ["info", str(rec), "-v"])
    assert shown.exit_code == 0
    assert f"gazeport {__version__}; CSV formatting:" in shown.output


def test_info_without_a_recording_or_versions_is_a_usage_error() -> None:
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 2
    assert "give a recording folder, or --versions" in result.output
