"""gazeport._threads: how many threads a reader may use (the thread map itself is tested in
tests/exporters/test_parallel.py)."""

from __future__ import annotations

import pytest

from gazeport import _threads


@pytest.mark.parametrize(("value", "cpus", "expected"), [
    ("1", 4, 1), ("2", 1, 2), ("9", 4, 2), ("", 4, 2), ("", 1, 1), ("x", 3, 2), ("0", 1, 1),
])  # fmt: skip
def test_reader_threads(value: str, cpus: int, expected: int, monkeypatch) -> None:
    monkeypatch.setenv("GAZEPORT_READER_THREADS", value)
    monkeypatch.setattr(_threads.os, "sched_getaffinity", lambda _pid: set(range(cpus)))
    assert _threads.reader_threads() == expected
