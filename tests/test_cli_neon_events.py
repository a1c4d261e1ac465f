"""CLI: ``gazeport annotate NEON_REC list|add|edit|delete|definitions`` (Neon Player's events)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.recording import neon_events as ne
from tests import fixtures
from tests.factories import tree_hashes
from tests.neon_factories import START_NS, write_neon

runner = CliRunner()
SRC = Path(__file__).resolve().parents[1] / "src"


def run(*args: str | Path):
    return runner.invoke(cli.app, [str(a) for a in args])


def _plain(text: str) -> str:
    """The words of an error box, without its frame."""
    return " ".join(w for w in text.split() if not set(w) <= set("│╭╮╰╯─"))


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    return write_neon(tmp_path / "rec").root


def test_list_shows_recording_events_with_seconds_ns_and_type(rec: Path) -> None:
    before = tree_hashes(rec)
    result = run("annotate", rec, "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["#", "seconds", "timestamp", "[ns]", "name", "type"]
    assert lines[1].split() == ["0", "0.000000", str(START_NS), "recording.begin", "recording"]
    assert lines[3].split() == ["2", "3.000000", str(START_NS + 3_000_000_000), "stim.on",
                                "recording"]  # fmt: skip
    assert tree_hashes(rec) == before  # listing writes nothing


def test_add_list_edit_delete_round_trip(rec: Path) -> None:
    result = run("annotate", rec, "add", "stimulus on", "--seconds", "3.2")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"Added stimulus on at 3.200000 s ({START_NS + 3_200_000_000} ns)."
    )
    rows = json.loads(run("annotate", rec, "list", "--json").stdout)
    assert rows[3] == {"index": 3, "seconds": 3.2, "timestamp_ns": START_NS + 3_200_000_000,
                       "name": "stimulus on", "type": "player"}  # fmt: skip
    ns = START_NS + 1_234_567_891
    assert run("annotate", rec, "add", "exact", "--timestamp-ns", str(ns)).exit_code == 0
    assert run("annotate", rec, "add", "on frame", "--frame", "3").exit_code == 0
    rows = json.loads(run("annotate", rec, "list", "--json").stdout)
    index = next(r["index"] for r in rows if r["name"] == "stimulus on")
    result = run("annotate", rec, "edit", str(index), "--label", "stimulus off", "--seconds", "4")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Changed event {index}."
    rows = json.loads(run("annotate", rec, "list", "--json").stdout)
    assert ("exact", ns) in [(r["name"], r["timestamp_ns"]) for r in rows]
    assert ("stimulus off", 4.0, "player") in [(r["name"], r["seconds"], r["type"]) for r in rows]
    index = next(r["index"] for r in rows if r["name"] == "stimulus off")
    result = run("annotate", rec, "delete", str(index))
    assert result.exit_code == 0 and result.stdout.strip() == f"Deleted event {index}."
    names = [r["name"] for r in json.loads(run("annotate", rec, "list", "--json").stdout)]
    assert "stimulus off" not in names and "exact" in names and "on frame" in names


@pytest.mark.parametrize("command", [["delete", "0"], ["edit", "2", "--label", "x"]])
def test_recording_events_cannot_be_edited_or_deleted(rec: Path, command: list[str]) -> None:
    before = tree_hashes(rec)
    result = run("annotate", rec, *command)
    assert result.exit_code == 1
    index = command[1]
    name = "recording.begin" if index == "0" else "stim.on"
    assert result.stderr.strip() == (
        f"error: Event {index} ({name}) is one of the recording's own events, which gazeport "
        "never changes; only events added in Neon Player or gazeport can be edited or deleted."
    )
    assert tree_hashes(rec) == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["recording.end", "--seconds", "1"], "is reserved by Neon Player"),
        (["late", "--seconds", "99"], "outside the recording"),
        (["pupil", "--timestamp", "1.5"], "UTC ns, not Pupil time"),
        (["long", "--seconds", "1", "--duration", "2"], "no duration or fields"),
    ],
    ids=["reserved", "outside", "pupil-time", "duration"],
)
def test_bad_adds_are_usage_errors_and_write_nothing(rec: Path, args: list[str], says: str):
    result = run("annotate", rec, "add", *args)
    assert result.exit_code == 2, result.output
    assert says in _plain(result.stderr)
    assert not (rec / ".neon_player").exists()


def test_a_bad_events_file_is_one_error_line(rec: Path) -> None:
    path = rec / ne.EVENTS_FILE
    path.parent.mkdir(parents=True)
    path.write_text("{broken")
    result = run("annotate", rec, "list")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path} is not valid JSON")


def test_definitions_show_neon_players_shortcuts(rec: Path) -> None:
    assert run("annotate", rec, "add", "button", "--seconds", "1").exit_code == 0
    settings = json.loads(ne.settings_path(rec).read_text())
    settings["plugin_states"]["EventsPlugin"]["event_types"][-1]["shortcut"] = "b"
    ne.settings_path(rec).write_text(json.dumps(settings, indent="\t"))
    result = run("annotate", rec, "definitions")
    assert result.exit_code == 0 and "b  button" in result.stdout
    refused = run("annotate", rec, "definitions", "--set", "x=y")
    assert refused.exit_code == 1 and "are set in Neon Player" in refused.stderr


def test_eight_parallel_cli_adds_keep_all(rec: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
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
                "--seconds",
                str(0.5 + i / 10),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    rows = json.loads(run("annotate", rec, "list", "--json").stdout)
    assert sorted(r["name"] for r in rows if r["type"] == "player") == [f"cli{i}" for i in range(8)]


@fixtures.needs_recordings
@pytest.mark.parametrize("name", ["neon_demo", "neon23_multipart"])
def test_real_recording_copy(tmp_path: Path, name: str) -> None:
    source = fixtures.recording(name)
    copy = tmp_path / name
    shutil.copytree(source, copy)
    before = tree_hashes(copy)
    listed = json.loads(run("annotate", copy, "list", "--json").stdout)
    assert listed and {r["type"] for r in listed} == {"recording"}
    assert run("annotate", copy, "add", "stimulus on", "--seconds", "3.2").exit_code == 0
    after = json.loads(run("annotate", copy, "list", "--json").stdout)
    assert len(after) == len(listed) + 1
    assert next(r for r in after if r["type"] == "player")["seconds"] == pytest.approx(3.2)
    hashes = tree_hashes(copy)
    assert {k: v for k, v in hashes.items() if not k.startswith(".neon_player/")} == before
