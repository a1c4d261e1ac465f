"""Every ``--help`` of the ``gazeport`` command, rendered as a user sees it.

The command tree is walked, so a new command or subcommand is checked without touching this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from rich.text import Text
from typer.testing import CliRunner

from gazeport import cli

#: ``[ms]``, ``[degrees]``, ``gazeport[dask]``, ``#rrggbb[aa]``: brackets rich could take for markup.
BRACKETED = re.compile(r"\[[^\[\]]+\]")


def _commands() -> Iterator[tuple[list[str], Any]]:
    """``(arguments that reach the command, command)`` for the app and everything below it
    (typer's own command classes: typer may vendor click, so no ``isinstance`` with click's).

    A group's own arguments (``gazeport annotate REC …``) are filled with their names. The
    commands' modules are loaded first: ``gazeport`` imports each only when it runs.
    """
    cli.load_commands()
    root = typer.main.get_command(cli.app)

    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        yield path, command
        own = [
            p.metavar or (p.name or "arg").upper()
            for p in command.params
            if p.param_type_name == "argument"
        ]
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, *own, name])

    yield from walk(root, [])


COMMANDS = list(_commands())


def _expected_brackets(command: Any) -> set[str]:
    """Bracketed text the sources put in the command's help: option and argument help is plain
    text, command help is rich markup (``[bold]…[/]`` is not shown, anything else is)."""
    found = set()
    for param in command.params:
        found.update(BRACKETED.findall(getattr(param, "help", None) or ""))
    for text in (command.help, command.epilog):
        if text:
            found.update(BRACKETED.findall(Text.from_markup(text).plain))
    return found


def _help(path: list[str]) -> str:
    result = CliRunner().invoke(cli.app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_walk_reaches_every_command() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "export", "fixations", "demo", "annotate", "annotate REC add"} <= names


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "gazeport" for p, _ in COMMANDS]
)
def test_help_keeps_units_and_shows_no_artefacts(path: list[str], command: Any) -> None:
    text = _help(path)
    missing = sorted(b for b in _expected_brackets(command) if b not in text)
    assert not missing, f"lost from the help of {' '.join(['gazeport', *path])}: {missing}"
    assert "<bool>" not in text
    assert not re.search(r"\{[^{}]*\}", text), text  # click's {REC}, {PATH...}...
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "......" not in usage


def test_units_of_the_detector_and_video_options() -> None:
    text = _help(["export"])
    for unit in ("[degrees]", "[ms]", "[s]", "[px]", "gazeport[dask]", "#rrggbb[aa]"):
        assert unit in text
    assert re.search(r"Usage: gazeport export \[OPTIONS\] PATH\.\.\.\s*$", text, re.M)


def test_version_flag_has_no_type() -> None:
    line = next(line for line in _help([]).splitlines() if "--version" in line)
    assert "<" not in line
    assert "Show the gazeport version and exit." in line


def test_subcommand_help_needs_no_recording() -> None:
    text = _help(["annotate", "no/such/recording", "add"])
    assert "Usage: gazeport annotate REC add [OPTIONS] LABEL" in text
