"""The Neon Player tables stream their samples in chunks: any chunk size gives the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazeport.exporters import neon_text
from gazeport.jobs.runner import export_recording
from gazeport.recording.neon import NeonRecording
from tests.neon_factories import write_neon

#: synthetic recordings have no calibration.bin (the default intrinsics are used)
pytestmark = pytest.mark.filterwarnings(
    r"ignore:.*calibration.bin does not exist:gazeport.errors.GazeportWarning"
)

TABLES = ("gaze.csv", "imu.csv", "3d_eye_states.csv", "fixations.csv", "blinks.csv",
          "saccades.csv", "events.csv", "world_timestamps.csv")  # fmt: skip


def _export(rec: Path, **kwargs: object) -> dict[str, bytes]:
    out = export_recording(rec, dialect="neon-player", **kwargs).export_dir  # type: ignore[arg-type]
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name in TABLES}


def _seven_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    original = NeonRecording.iter_chunks

    def seven_rows(self, name, window_ns=None, rows=7):  # type: ignore[no-untyped-def]
        return original(self, name, window_ns, rows=7)

    monkeypatch.setattr(NeonRecording, "iter_chunks", seven_rows)
    monkeypatch.setattr(neon_text, "CHUNK_ROWS", 5)  # text chunks across stream chunks


@pytest.mark.parametrize("data_format", ["2.5", "2.3"])
@pytest.mark.parametrize("window", [{}, {"start_s": 1.0, "end_s": 3.0}], ids=["whole", "window"])
def test_tiny_chunks_write_the_same_bytes(
    tmp_path: Path, data_format: str, window: dict[str, float], monkeypatch: pytest.MonkeyPatch
):
    rec = tmp_path / "rec"
    # parts out of order by number, with gaps: chunks must cross part boundaries by time
    write_neon(rec, data_format=data_format, numbers=(2, 1, 3))
    whole = _export(rec, **window)
    assert {"gaze.csv", "imu.csv"} <= set(whole)
    assert whole["gaze.csv"].count(b"\n") > 100  # many chunks of 7 rows
    _seven_rows(monkeypatch)
    chunked = _export(rec, **window)
    assert chunked.keys() == whole.keys()
    for name in whole:
        assert chunked[name] == whole[name], name
