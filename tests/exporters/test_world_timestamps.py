"""``world_timestamps.csv`` of the Neon Player dialect (exporters/world_timestamps.py), alone and
through ``gazeport export`` on copies of the real recordings, against Neon Player's own files."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import gazeport
from gazeport import cli
from gazeport.exporters.neon_player_tables import NEON_PLAYER
from gazeport.exporters.world_timestamps import WORLD_TIMESTAMPS, write_world_timestamps
from tests import fixtures
from tests.neon_factories import START_NS, write_neon

GOLDEN = fixtures.NEON_PLAYER_EXPORTS
HEADER = b"recording id,timestamp [ns]\r\n"
runner = CliRunner()


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_writes_crlf_integer_rows_inside_the_window(tmp_path: Path):
    truth = write_neon(tmp_path / "rec")
    with gazeport.open(truth.root) as rec:
        stamps = rec.timeline.timestamps_ns
        window = (int(stamps[10]), int(stamps[40]))
        out = io.BytesIO()
        count = write_world_timestamps(rec, window, out)
        rid = rec.recording_id
    data = out.getvalue()
    assert count == 31
    assert data.startswith(HEADER) and data.endswith(b"\r\n")
    assert data.count(b"\r\n") == 32 and b"\n" not in data.replace(b"\r\n", b"")
    body = rows(data)[1:]
    assert {r[0] for r in body} == {rid}
    assert [int(r[1]) for r in body] == stamps[10:41].tolist()


def test_an_empty_window_writes_the_header_only(tmp_path: Path):
    truth = write_neon(tmp_path / "rec")
    with gazeport.open(truth.root) as rec:
        t = int(rec.timeline.timestamps_ns[5])
        out = io.BytesIO()
        assert write_world_timestamps(rec, (t + 1, t + 2), out) == 0
    assert out.getvalue() == HEADER


def test_is_the_last_table_of_the_neon_player_dialect():
    assert NEON_PLAYER.tables[-1] is WORLD_TIMESTAMPS
    assert WORLD_TIMESTAMPS.file == "world_timestamps.csv" and WORLD_TIMESTAMPS.needs == ()


def test_export_writes_world_timestamps_for_a_synthetic_recording(tmp_path: Path):
    truth = write_neon(tmp_path / "rec")
    result = runner.invoke(cli.app, ["export", str(truth.root), "--start-s", "1", "--end-s", "3"])
    assert result.exit_code == 0, result.output
    written = rows((truth.root / "exports" / "000" / "world_timestamps.csv").read_bytes())
    stamps = np.array([int(r[1]) for r in written[1:]])
    assert stamps.min() >= START_NS + 1_000_000_000 and stamps.max() <= START_NS + 3_000_000_000
    with gazeport.open(truth.root) as rec:
        tl = rec.timeline
        expected = tl.timestamps_ns[tl.in_window((START_NS + 10**9, START_NS + 3 * 10**9))]
    np.testing.assert_array_equal(stamps, expected)


@fixtures.needs_recordings
@pytest.mark.parametrize(("name", "count"), [("neon_demo", 375), ("neon23_multipart", 1345)])
def test_export_matches_neon_players_world_timestamps(tmp_path: Path, name: str, count: int):
    golden_file = GOLDEN / name / "world_timestamps.csv"
    if not golden_file.is_file():
        pytest.skip(f"Neon Player reference exports not found in {GOLDEN}")
    copy = tmp_path / name
    shutil.copytree(fixtures.recording(name), copy)
    result = runner.invoke(cli.app, ["export", str(copy)])
    assert result.exit_code == 0, result.output
    assert "world_timestamps.csv" in result.stdout
    data = (copy / "exports" / "000" / "world_timestamps.csv").read_bytes()
    golden = golden_file.read_bytes()
    # Same header and line ending as Neon Player (CRLF), same rows.
    assert data.split(b"\r\n", 1)[0] == golden.split(b"\r\n", 1)[0] == HEADER[:-2]
    assert data.count(b"\r\n") == golden.count(b"\r\n") == count + 1
    ours, theirs = rows(data)[1:], rows(golden)[1:]
    assert [r[0] for r in ours] == [r[0] for r in theirs]
    mine = np.array([int(r[1]) for r in ours], dtype=np.int64)  # exact integers
    assert np.abs(mine - np.array([float(r[1]) for r in theirs]).astype(np.int64)).max() <= 512
