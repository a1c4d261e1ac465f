"""One vocabulary for recording kinds: the API's ``str(rec.kind)`` is what the CLI and files say.

Python prints a plain ``str`` enum as ``RecordingKind.NEW_STYLE``; users of ``gazeport info``
and readers of ``gazeport_export.json`` see ``pupil_player_format``. Both must be the latter.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.factories import CoreSpec, make_core_recording
from typer.testing import CliRunner

import gazeport
from gazeport import cli
from gazeport.jobs import export_recording
from gazeport.recording.detect import RecordingKind


@pytest.mark.parametrize("kind", list(RecordingKind), ids=lambda k: k.name)
def test_str_and_format_give_the_user_facing_name(kind: RecordingKind) -> None:
    name = kind.value
    assert str(kind) == name
    assert f"{kind}" == name and format(kind) == name and "%s" % kind == name  # noqa: UP031
    assert f"{kind:>24}" == f"{name:>24}"
    assert json.dumps(kind) == json.dumps(name)
    assert RecordingKind(name) is kind and kind == name


def test_every_output_names_the_kind_as_the_api_prints_it(tmp_path: Path) -> None:
    rec_dir = make_core_recording(tmp_path / "rec", CoreSpec(n_frames=12))
    rec = gazeport.open(rec_dir)
    printed = f"{rec.kind}"
    assert printed == str(rec.kind) == "pupil_player_format"
    assert printed in repr(rec)
    info = CliRunner().invoke(cli.app, ["info", str(rec_dir), "--json"])
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["kind"] == printed
    text = CliRunner().invoke(cli.app, ["info", str(rec_dir)])
    assert printed in text.stdout and "RecordingKind" not in text.stdout
    result = export_recording(rec, exporters=("annotations",))
    record = json.loads((result.export_dir / "gazeport_export.json").read_text())
    assert record["recording_kind"] == printed
