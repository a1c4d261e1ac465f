"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gazeport import _native


@pytest.fixture(params=["compiled", "pure"])
def formatter_path(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Run a test once through the compiled CSV formatter and once through the pure path.

    The compiled run is skipped where the extension is not built (or ``GAZEPORT_PURE=1``), so
    such a run still tests the pure path; ``tests/test_native.py`` fails where a compiler
    exists and the extension is missing.
    """
    if request.param == "compiled" and not _native.compiled():
        pytest.skip(f"CSV formatter: {_native.describe()}")
    if request.param == "pure":
        monkeypatch.setattr(_native, "csvfast", None)
    yield request.param
