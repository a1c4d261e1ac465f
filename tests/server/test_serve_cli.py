"""``gazeport serve``: the address it prints, the token, and the web extra imported lazily."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from gazeport.cli import app
from gazeport.server import launch


@pytest.fixture
def runs(monkeypatch) -> list[dict]:
    calls: list[dict] = []
    monkeypatch.setattr(
        launch, "run", lambda application, **kw: calls.append({"app": application, **kw})
    )
    return calls


def test_serve_prints_the_loopback_address_without_a_token(study, runs) -> None:
    result = CliRunner().invoke(app, ["serve", str(study.root), "--port", "9123"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:9123/" in result.output
    assert "token" not in result.output
    assert runs[0]["host"] == "127.0.0.1" and runs[0]["port"] == 9123


def test_serve_on_all_addresses_generates_and_prints_a_token(study, runs) -> None:
    result = CliRunner().invoke(app, ["serve", str(study.root), "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    line = next(w for w in result.output.split() if "?token=" in w)
    token = line.split("?token=")[1]
    assert len(token) >= 24
    assert runs[0]["app"].state.gazeport.token_required


def test_serve_with_a_given_token(study, runs) -> None:
    result = CliRunner().invoke(app, ["serve", str(study.root), "--token", "abc"])
    assert result.exit_code == 0
    assert "?token=abc" in result.output


def test_serve_without_the_web_extra_says_what_to_install(study, monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    result = CliRunner().invoke(app, ["serve", str(study.root)])
    assert result.exit_code == 1
    assert "install gazeport[web]" in result.output


def test_serve_missing_root_is_a_usage_error(tmp_path) -> None:
    result = CliRunner().invoke(app, ["serve", str(tmp_path / "nothing")])
    assert result.exit_code == 2


def test_the_cli_does_not_import_the_server() -> None:
    code = ("import sys, gazeport.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'uvicorn') "
            "or m.startswith('gazeport.server')))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
