"""The server's job registry: finished jobs are kept listed up to a limit, running ones always."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gazeport.server import web_jobs
from gazeport.server.web_jobs import JobRegistry, UnknownJobError


def _wait(job: Any) -> None:
    deadline = time.monotonic() + 30
    while not job.finished:
        assert time.monotonic() < deadline, f"job {job.id} did not finish"
        time.sleep(0.01)


def test_the_oldest_finished_jobs_are_forgotten(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(web_jobs, "MAX_FINISHED", 5)
    registry = JobRegistry(tmp_path)
    for i in range(8):
        _wait(registry.add_callable(f"done{i}", "dataset", f"job {i}", lambda job: {"ok": 1}))
    release = threading.Event()
    held = registry.add_callable("held", "dataset", "running", lambda job: release.wait(30))
    last = registry.add_callable("last", "dataset", "queued behind it", lambda job: None)
    listed = [e.id for e in registry.entries()]
    assert "held" in listed and not held.finished  # running and queued jobs are never forgotten
    assert "last" in listed
    finished = [jid for jid in listed if jid.startswith("done")]
    assert finished == ["done7", "done6", "done5", "done4", "done3"]  # the newest five
    with pytest.raises(UnknownJobError, match="no job with id 'done0'"):
        registry.entry("done0")
    _, changed = registry.changes_since(-1)
    assert "done0" not in {c["id"] for c in changed}
    release.set()
    _wait(last)
    _wait(registry.add_callable("after", "dataset", "one more", lambda job: None))
    registry.add_callable("again", "dataset", "and one more", lambda job: None)
    # the limit is applied when a job is added (before it starts): the five newest finished
    assert [e.id for e in registry.entries()] == [
        "again",
        "after",
        "last",
        "held",
        "done7",
        "done6",
    ]
