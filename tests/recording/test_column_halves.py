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
from gazeport.recording import column_halves, facade, open_recording

pytestmark = pytest.mark.skipif(
    not _native.compiled(), reason="the halves need the compiled gather (GAZEPORT_PURE is set)"
)

GAZE = ("timestamp", "confidence", "norm_pos_x", "gaze_point_3d_z", "base_count", "data_ts")
PUPIL = ("timestamp", "confidence", "method", "eye_id", "diameter_3d", "file_index")


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every file size is worth two halves; records, per call, whether the halves answered
    (``False``: they left the file to the ordinary reader)."""
    monkeypatch.setattr(column_halves, "MIN_BYTES", 1)
    seen: list[bool] = []
    real = column_halves.columns_in_halves

    def recorded(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(facade, "columns_in_halves", recorded)
    return seen


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


def _compare(path: Path, monkeypatch, answered: list[bool]) -> list[bool]:
    """Both readers on both streams of ``path``: the same columns (or error) and warnings;
    per stream whether the halves answered."""
    halves: list[bool] = []
    for stream, fields in (("gaze", GAZE), ("pupil", PUPIL)):
        if not (path / f"{stream}.pldata").exists():
            continue
        answered.clear()
        fast, fast_warnings = _read(path, stream, fields, "2", monkeypatch)
        halves.append(answered == [True])
        slow, slow_warnings = _read(path, stream, fields, "1", monkeypatch)
        assert answered in ([True], [False], [])  # the ordinary run never asks the halves
        _same(fast, slow)
        assert fast_warnings == slow_warnings
    return halves


@pytest.mark.parametrize("name", list(SPECS))
def test_two_halves_read_what_the_ordinary_reader_reads(
    name: str, tmp_path: Path, answered: list[bool], monkeypatch
) -> None:
    rec = make_core_recording(tmp_path / "rec", SPECS[name])
    assert _compare(rec, monkeypatch, answered) == [True, True]
    assert len(open_recording(rec).columns("gaze", ("timestamp",))["timestamp"]) > 500


#: Doubtful files, and whether the halves may answer for (gaze, pupil): sorted keys decoded from
#: the datums themselves are as good as a timestamps file.
DOUBTFUL = {
    "irregular datums": (CoreSpec(n_frames=240, irregular=True), [False, False]),
    "eyes out of order": (CoreSpec(n_frames=240, order="arrival"), [False, False]),
    "cut-off end": (CoreSpec(n_frames=240, truncate=("pupil", "gaze")), [False, False]),
    "garbage inside": (CoreSpec(n_frames=240, garbage=("pupil", "gaze")), [False, False]),
    "no timestamps files": (
        CoreSpec(n_frames=240, missing_timestamps=("pupil", "gaze")),
        [True, True],
    ),
}


@pytest.mark.parametrize("name", list(DOUBTFUL))
def test_in_doubt_the_ordinary_reader_answers(
    name: str, tmp_path: Path, answered: list[bool], monkeypatch
) -> None:
    spec, halves = DOUBTFUL[name]
    rec = make_core_recording(tmp_path / "rec", spec)
    assert _compare(rec, monkeypatch, answered) == halves


def test_a_window_or_world_index_is_left_to_the_ordinary_reader(
    tmp_path: Path, answered: list[bool]
) -> None:
    rec = open_recording(make_core_recording(tmp_path / "rec", SPECS["plain"]))
    t = rec.columns("gaze", ("timestamp",))["timestamp"]
    answered.clear()
    part = rec.columns("gaze", ("timestamp",), window=(float(t[10]), float(t[-10])))
    indexed = rec.columns("gaze", ("timestamp", "world_index"))
    assert answered == [False]  # asked once (for world_index), and it declined
    assert len(part["timestamp"]) == len(t) - 20
    assert indexed["world_index"].min() >= 0


def test_small_files_are_read_the_ordinary_way(tmp_path: Path, monkeypatch) -> None:
    spans: list[int] = []
    monkeypatch.setattr(column_halves, "iter_span", lambda *a, **k: spans.append(1) or iter(()))
    rec = open_recording(make_core_recording(tmp_path / "rec", SPECS["plain"]))
    assert len(rec.columns("gaze", ("timestamp",))["timestamp"]) > 500
    assert spans == []  # below MIN_BYTES


@pytest.mark.parametrize(
    ("name", "halves"),
    [
        ("core121_eyedoit_001", [True, True]),
        ("core358_artemisge_003", [False, False]),  # its eyes interleave: keys not sorted
        ("core116_vedb", [False]),  # no gaze.pldata
    ],
)
def test_real_recordings(name: str, halves: list[bool], answered: list[bool], monkeypatch) -> None:
    assert _compare(fixtures.recording(name), monkeypatch, answered) == halves


@pytest.mark.parametrize("where", ["find_record_start", "iter_span"])
def test_a_read_error_in_the_halves_is_left_to_the_ordinary_reader(
    where: str, tmp_path: Path, answered: list[bool], monkeypatch
) -> None:
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    rec = make_core_recording(tmp_path / "rec", SPECS["plain"])
    monkeypatch.setattr(column_halves, where, failing)
    answered.clear()
    assert len(open_recording(rec).columns("gaze", ("timestamp",))["timestamp"]) > 500
    assert answered == [False]
