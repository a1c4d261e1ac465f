"""A batch row for an export that failed in part says where the parts that worked went."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gazeport.batch import export_many
from tests.factories import make_core_recording


def test_a_failed_stream_reports_the_kept_files(tmp_path: Path) -> None:
    good = make_core_recording(tmp_path / "study" / "good")
    bad = make_core_recording(tmp_path / "study" / "bad")
    size = (bad / "gaze.pldata").stat().st_size
    (bad / "gaze.pldata").write_bytes(np.random.default_rng(9).bytes(size))

    ok, failed = export_many(
        [(good, tmp_path / "study"), (bad, tmp_path / "study")], exporters=("raw",)
    )
    assert ok.status == "ok"
    assert failed.status == "failed"
    assert failed.export_dir == bad / "exports" / "000"
    assert (failed.export_dir / "pupil_positions.csv").is_file()
    assert failed.rows["pupil"] > 0 and "gaze" not in failed.rows
    assert "gaze.pldata" in failed.error
    assert failed.error.endswith(f"The files that were exported are in {failed.export_dir}.")


def test_a_recording_that_failed_whole_keeps_no_folder(tmp_path: Path) -> None:
    rec = make_core_recording(tmp_path / "rec")
    (rec / "world_timestamps.npy").write_bytes(b"not numpy")
    (item,) = export_many([(rec, tmp_path)], exporters=("raw",))
    assert item.status == "failed"
    assert item.export_dir is None and item.rows == {}
    assert "exported are in" not in item.error
