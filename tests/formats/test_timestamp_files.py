"""Bad ``*_timestamps.npy`` files: every reader refuses them with one sentence naming the file.

Pupil Player repairs only backward jumps of video timestamps (tested with the frame table);
NaN, infinity, integers, a wrong shape or pickled objects are refused, and the message says what
the file holds and what to do, never how to load it unsafely.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gazeport.errors import CorruptFileError
from gazeport.formats import timestamp_column as tc
from gazeport.formats.pldata import load_timestamps
from gazeport.formats.timestamp_column import TimestampColumn

GOOD = np.linspace(100.0, 110.0, 64)


def _with(index: int, value: float) -> np.ndarray:
    out = GOOD.copy()
    out[index] = value
    return out


def _save_pickled(path: Path, values: np.ndarray) -> None:
    np.save(path, np.array(list(values), dtype=object), allow_pickle=True)


#: (how to write the file, what the message must say)
BAD_FILES = [
    pytest.param(lambda p: np.save(p, _with(10, np.nan)), r"holds nan at index 10 ", id="nan"),
    pytest.param(lambda p: np.save(p, _with(63, np.inf)), r"holds inf at index 63 ", id="inf"),
    pytest.param(
        lambda p: np.save(p, _with(0, -np.inf)), r"holds -inf at index 0 where", id="minus-inf"
    ),
    pytest.param(
        lambda p: np.save(p, (GOOD * 1e9).astype(np.int64)),
        r"holds int64 values, not float64 seconds",
        id="int-dtype",
    ),
    pytest.param(
        lambda p: np.save(p, GOOD.reshape(32, 2)), r"holds an array of shape \(32, 2\)", id="2-d"
    ),
    pytest.param(
        lambda p: _save_pickled(p, GOOD),
        r"is not a plain NumPy array of numbers: it holds pickled Python objects.*"
        r"np\.save\(path, np\.asarray\(ts, dtype=np\.float64\)\)",
        id="pickled-objects",
    ),
]

READERS: list[Callable[[Path], object]] = [load_timestamps, TimestampColumn.open_npy]


@pytest.mark.parametrize("reader", READERS, ids=["load_timestamps", "open_npy"])
@pytest.mark.parametrize(("write", "message"), BAD_FILES)
def test_bad_timestamp_file_is_refused_with_one_sentence(
    tmp_path: Path, reader: Callable[[Path], object], write: Callable[[Path], None], message: str
) -> None:
    path = tmp_path / "world_timestamps.npy"
    write(path)
    with pytest.raises(CorruptFileError, match=message) as info:
        reader(path)
    text = str(info.value)
    assert info.value.path == path
    assert text.startswith(str(path)) and text.endswith(".") and "\n" not in text
    assert "unsafe" not in text and "allow_pickle" not in text
    assert "restore it from a backup" in text
    assert "delete it" not in text  # world timestamps have no datums to fall back on


@pytest.mark.parametrize(("write", "message"), BAD_FILES)
def test_bad_sidecar_message_offers_the_datum_timestamps(
    tmp_path: Path, write: Callable[[Path], None], message: str
) -> None:
    (tmp_path / "gaze.pldata").write_bytes(b"")
    path = tmp_path / "gaze_timestamps.npy"
    write(path)
    with pytest.raises(CorruptFileError, match=message) as info:
        load_timestamps(path)
    assert "delete it so gazeport uses the timestamps stored in gaze.pldata" in str(info.value)


def test_nan_far_into_a_streamed_file_is_found(tmp_path: Path, monkeypatch) -> None:
    """Long files are checked block by block (memory stays flat); the index is the file's."""
    monkeypatch.setattr(tc, "LOAD_BELOW", 0)
    monkeypatch.setattr(tc, "READ_BLOCK", 7)
    path = tmp_path / "pupil_timestamps.npy"
    np.save(path, _with(50, np.nan))
    with pytest.raises(CorruptFileError, match="holds nan at index 50 "):
        TimestampColumn.open_npy(path)


def test_good_files_still_load(tmp_path: Path) -> None:
    path = tmp_path / "world_timestamps.npy"
    np.save(path, GOOD.astype(">f8"))
    loaded = load_timestamps(path)
    assert loaded is not None and loaded.tolist() == GOOD.tolist()
    column = TimestampColumn.open_npy(path)
    assert column is not None and column.to_array().tolist() == GOOD.tolist()
