"""Framing a pldata file from its middle: where the second half starts, and the two spans
holding exactly the records the front-to-back reader finds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.factories import CoreSpec, make_core_recording

from gazeport.formats import pldata_span
from gazeport.formats.pldata import iter_records
from gazeport.formats.pldata_span import SpanMismatch, find_record_start, iter_span


@pytest.fixture(scope="module")
def gaze_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rec = make_core_recording(tmp_path_factory.mktemp("span") / "rec", CoreSpec(n_frames=120))
    return rec / "gaze.pldata"


def _payloads(chunks) -> list[bytes]:
    return [bytes(p) for rc in chunks for p in rc.payloads]


def _record_starts(path: Path) -> list[int]:
    """Every record's start, framing the whole file as one block."""
    data = path.read_bytes()
    framed = pldata_span._frame(data)
    assert framed.status == "end"
    ends = (framed.payload_off + framed.payload_len).tolist()
    return [0, *ends[:-1]]


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.77])
def test_the_second_half_starts_at_the_next_record(gaze_file: Path, fraction: float) -> None:
    starts = _record_starts(gaze_file)
    near = int(gaze_file.stat().st_size * fraction)
    found = find_record_start(gaze_file, near)
    assert found == min(s for s in starts if s >= near)


def test_two_spans_hold_every_record_once(gaze_file: Path) -> None:
    size = gaze_file.stat().st_size
    split = find_record_start(gaze_file, size // 2)
    assert split is not None
    whole = _payloads(iter_records(gaze_file))
    first = list(iter_span(gaze_file, 0, split, size, block_bytes=1 << 12))
    second = list(iter_span(gaze_file, split, size, size, block_bytes=1 << 12))
    assert len(first) > 3 and len(second) > 3  # many small blocks
    assert _payloads(first) + _payloads(second) == whole
    assert [rc.start for rc in first][:2] == [0, len(first[0])]  # counted from the span's start


def test_a_false_start_is_caught_by_the_first_span(gaze_file: Path) -> None:
    size = gaze_file.stat().st_size
    split = find_record_start(gaze_file, size // 2)
    assert split is not None
    with pytest.raises(SpanMismatch, match="cross byte"):
        list(iter_span(gaze_file, 0, split + 1, size))


def test_damage_or_a_cut_end_in_a_span_is_refused(tmp_path: Path, gaze_file: Path) -> None:
    data = bytearray(gaze_file.read_bytes())
    size = len(data)
    split = find_record_start(gaze_file, size // 2)
    assert split is not None
    cut = tmp_path / "cut.pldata"
    cut.write_bytes(bytes(data[:-7]))
    with pytest.raises(SpanMismatch):
        list(iter_span(cut, split, size - 7, size - 7))
    broken = tmp_path / "broken.pldata"
    starts = _record_starts(gaze_file)
    hit = next(s for s in starts if s > split + 2000)
    data[hit] = 0xC1  # a record start that is no record
    broken.write_bytes(bytes(data))
    with pytest.raises(SpanMismatch):
        list(iter_span(broken, split, size, size))


def test_no_record_start_in_bytes_without_records(tmp_path: Path) -> None:
    noise = tmp_path / "noise.pldata"
    noise.write_bytes(np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes())
    assert find_record_start(noise, 1000) is None
