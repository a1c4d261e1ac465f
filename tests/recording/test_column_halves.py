"""Recording.columns reading a file as two halves at once: the same columns, warnings and errors
as the ordinary front-to-back read, and the ordinary read wherever the halves are in doubt."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from tests import fixtures
from tests.factories import CoreSpec, make_core_recording

from gazeport import _native
from gazeport.recording import column_halves, open_recording

pytestmark = pytest.mark.skipif(
    not _native.compiled(), reason="the halves need the compiled gather (GAZEPORT_PURE is set)"
)

GAZE = ("timestamp", "confidence", "norm_pos_x", "gaze_point_3d_z", "base_count", "data_ts")
PUPIL = ("timestamp", "confidence", "method", "eye_id", "diameter_3d", "file_index")


@pytest.fixture
def halves_used(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every file size is worth two halves; records how many spans were read."""
    monkeypatch.setattr(column_halves, "MIN_BYTES", 1)
    monkeypatch.setenv("GAZEPORT_READER_THREADS", "2")
    spans: list[int] = []
    real = column_halves.iter_span

    def counted(*args: Any, **kwargs: Any) -> Any:
        spans.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(column_halves, "iter_span", counted)
    return spans


def _read(path: Path, name: str, fields: tuple[str, ...], threads: str, monkeypatch) -> Any:
    """(columns or the error's text, the warnings' texts) of a fresh open of ``path``."""
    monkeypatch.setenv("GAZEPORT_READER_THREADS", threads)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out: Any = open_recording(path).columns(name, fields)
        except Exception as exc:
            out = f"{type(exc).__name__}: {exc}"
    return out, [str(w.message) for w in caught]


def _same(a: Any, b: Any) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        if a[k].dtype == object:
            assert a[k].tolist() == b[k].tolist(), k
        else:
            assert a[k].tobytes() == b[k].tobytes(), k


SPECS = {
    "plain": CoreSpec(n_frames=240),
    "ext base data": CoreSpec(n_frames=240, base_data="ext"),
    "monocular 2d": CoreSpec(n_frames=240, gaze="2d", eyes=(0,)),
}
DOUBTFUL = {
    "irregular datums": CoreSpec(n_frames=240, irregular=True),
    "eyes out of order": CoreSpec(n_frames=240, order="arrival"),
    "cut-off end": CoreSpec(n_frames=240, truncate=("pupil", "gaze")),
    "garbage inside": CoreSpec(n_frames=240, garbage=("pupil", "gaze")),
    "no timestamps files": CoreSpec(n_frames=240, missing_timestamps=("pupil", "gaze")),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_two_halves_read_what_the_ordinary_reader_reads(
    name: str, tmp_path: Path, halves_used: list[int], monkeypatch
) -> None:
    rec = make_core_recording(tmp_path / "rec", SPECS[name])
    for stream, fields in (("gaze", GAZE), ("pupil", PUPIL)):
        halves_used.clear()
        fast, fast_warnings = _read(rec, stream, fields, "2", monkeypatch)
        assert halves_used == [1, 1], stream  # both halves read
        slow, slow_warnings = _read(rec, stream, fields, "1", monkeypatch)
        assert halves_used == [1, 1]  # the ordinary reader reads no span
        _same(fast, slow)
        assert fast_warnings == slow_warnings
        assert len(fast["timestamp"]) > 500


@pytest.mark.parametrize("name", list(DOUBTFUL))
def test_in_doubt_the_ordinary_reader_answers(
    name: str, tmp_path: Path, halves_used: list[int], monkeypatch
) -> None:
    rec = make_core_recording(tmp_path / "rec", DOUBTFUL[name])
    for stream, fields in (("gaze", GAZE), ("pupil", PUPIL)):
        fast, fast_warnings = _read(rec, stream, fields, "2", monkeypatch)
        slow, slow_warnings = _read(rec, stream, fields, "1", monkeypatch)
        _same(fast, slow)
        assert fast_warnings == slow_warnings


def test_a_window_or_world_index_is_left_to_the_ordinary_reader(
    tmp_path: Path, halves_used: list[int]
) -> None:
    rec = open_recording(make_core_recording(tmp_path / "rec", SPECS["plain"]))
    t = rec.columns("gaze", ("timestamp",))["timestamp"]
    halves_used.clear()
    part = rec.columns("gaze", ("timestamp",), window=(float(t[10]), float(t[-10])))
    indexed = rec.columns("gaze", ("timestamp", "world_index"))
    assert halves_used == []
    assert len(part["timestamp"]) == len(t) - 20
    assert indexed["world_index"].min() >= 0


def test_small_files_are_read_the_ordinary_way(tmp_path: Path, monkeypatch) -> None:
    spans: list[int] = []
    monkeypatch.setattr(column_halves, "iter_span", lambda *a, **k: spans.append(1) or iter(()))
    rec = open_recording(make_core_recording(tmp_path / "rec", SPECS["plain"]))
    assert len(rec.columns("gaze", ("timestamp",))["timestamp"]) > 500
    assert spans == []  # below MIN_BYTES


@pytest.mark.parametrize("name", ["core121_eyedoit_001", "core358_artemisge_003", "core116_vedb"])
def test_real_recordings(name: str, halves_used: list[int], monkeypatch) -> None:
    path = fixtures.recording(name)
    for stream, fields in (("gaze", GAZE), ("pupil", PUPIL)):
        if not (path / f"{stream}.pldata").exists():
            continue
        halves_used.clear()
        fast, fast_warnings = _read(path, stream, fields, "2", monkeypatch)
        slow, slow_warnings = _read(path, stream, fields, "1", monkeypatch)
        _same(fast, slow)
        assert fast_warnings == slow_warnings
