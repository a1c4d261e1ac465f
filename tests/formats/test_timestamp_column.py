"""TimestampColumn: the same answers streamed from .npy as computed on the array in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazeport.errors import CorruptFileError
from gazeport.formats import timestamp_column as tc
from gazeport.formats.timestamp_column import TimestampColumn


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the block-wise route with tiny blocks."""
    monkeypatch.setattr(tc, "LOAD_BELOW", 0)
    monkeypatch.setattr(tc, "READ_BLOCK", 7)
    monkeypatch.setattr(tc, "MIN_BLOCK", 3)


def _save(tmp_path: Path, values: np.ndarray, name: str = "x_timestamps.npy") -> Path:
    path = tmp_path / name
    np.save(path, values)
    return path


@pytest.mark.parametrize("dtype", ["<f8", ">f8", "<f4"])
@pytest.mark.parametrize("sorted_", [True, False], ids=["sorted", "disordered"])
def test_streamed_column_equals_numpy(tmp_path, streamed, dtype, sorted_):
    rng = np.random.default_rng(3)
    values = np.cumsum(rng.integers(0, 5, 50)).astype(dtype)
    if not sorted_:
        values[[10, 30]] = values[[30, 10]]
    col = TimestampColumn.open_npy(_save(tmp_path, values))
    assert col is not None and col._array is None  # really streamed
    expect = values.astype(np.float64)
    assert len(col) == 50
    assert col.to_array().tolist() == expect.tolist()
    assert col.read(5, 17).tolist() == expect[5:17].tolist()
    assert col.read(45, 99).tolist() == expect[45:].tolist()
    assert col.is_increasing() is bool(np.all(np.diff(expect) >= 0))
    lo, hi = float(expect[12]), float(expect[33])
    assert col.count_in((lo, hi)) == int(np.count_nonzero((expect >= lo) & (expect < hi)))
    for k in range(52):
        want = float(expect[k:].min()) if k < 50 else np.inf
        assert col.suffix_min(k) == want, k
    starts = [s for s, _ in col.blocks()]
    assert starts == list(range(0, 50, 7))


def test_in_memory_column_matches_streamed(tmp_path, monkeypatch):
    values = np.array([3.0, 1.0, 2.0, 2.0, 5.0])
    col = TimestampColumn(values)
    assert not col.is_increasing()
    assert [col.suffix_min(k) for k in range(6)] == [1.0, 1.0, 2.0, 2.0, 5.0, np.inf]
    assert col.count_in((2.0, 5.0)) == 3


def test_missing_file_is_none(tmp_path):
    assert TimestampColumn.open_npy(tmp_path / "nope_timestamps.npy") is None


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(np.zeros((3, 2)), id="2-d"),
        pytest.param(np.array([1 + 2j]), id="complex"),
        pytest.param(np.array(["a", "b"]), id="strings"),
        pytest.param(np.arange(5, dtype="<i8"), id="int64"),
        pytest.param(np.arange(5, dtype="<u4"), id="uint32"),
    ],
)
def test_unusable_arrays_are_refused(tmp_path, values):
    with pytest.raises(CorruptFileError, match=r"x_timestamps\.npy (should hold|holds)"):
        TimestampColumn.open_npy(_save(tmp_path, values))


def test_truncated_and_garbage_files_are_refused(tmp_path):
    path = _save(tmp_path, np.arange(100.0))
    path.write_bytes(path.read_bytes()[:-16])
    with pytest.raises(CorruptFileError, match="shorter than its header"):
        TimestampColumn.open_npy(path)
    path.write_bytes(b"not numpy at all")
    with pytest.raises(CorruptFileError, match=str(path.name)):
        TimestampColumn.open_npy(path)


def test_version_2_header(tmp_path, streamed):
    path = tmp_path / "v2_timestamps.npy"
    values = np.linspace(0, 1, 20)
    with path.open("wb") as fh:
        np.lib.format.write_array(fh, values, version=(2, 0))
    col = TimestampColumn.open_npy(path)
    assert col is not None
    assert col.to_array().tolist() == values.tolist()
