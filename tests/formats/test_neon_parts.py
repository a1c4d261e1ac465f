"""map_records of formats/neon_parts.py: whole records, a warning for stray bytes, and a
``quiet`` flag instead of ``warnings.catch_warnings`` (which would silence other threads)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from gazeport.errors import GazeportWarning
from gazeport.formats.neon_parts import map_records


def test_stray_bytes_warn_unless_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "gaze ps1.time"
    path.write_bytes(np.arange(3, dtype="<i8").tobytes() + b"\x01\x02")
    with pytest.warns(GazeportWarning, match="last 2 bytes"):
        assert map_records(path, np.dtype("<i8")).tolist() == [0, 1, 2]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("catch_warnings changes every thread's filters")

    monkeypatch.setattr(warnings, "catch_warnings", refuse)
    assert map_records(path, np.dtype("<i8"), quiet=True).tolist() == [0, 1, 2]  # no warning
