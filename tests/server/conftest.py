"""Fixtures of the web server tests: a study folder of synthetic recordings and a test client.

Without the ``web`` extra (FastAPI) these tests are not collected: the rest of the suite runs.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

if importlib.util.find_spec("fastapi") is None:  # pragma: no cover - the dev extra has it
    collect_ignore_glob = ["test_*.py"]
else:
    from tests.server.server_factories import Study, make_client, make_study

    @pytest.fixture
    def study(tmp_path: Path) -> Study:
        """A Core recording (mpeg4 world video), a Neon one (H.264 scene part) and an
        unreadable folder below one root."""
        return make_study(tmp_path / "study")

    @pytest.fixture
    def client(study: Study, tmp_path: Path) -> Iterator[object]:
        """A TestClient on ``study`` as a browser on 127.0.0.1:8642 sees the server."""
        with make_client(study.root, cache_dir=tmp_path / "cache") as c:
            yield c
