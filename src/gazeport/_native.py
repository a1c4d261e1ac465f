"""The optional compiled hot path: ``gazeport._csvfast``, or why the pure path is in use.

The C extension (``csrc/csvfast.c``, built by ``pip install`` where a C compiler is found) only
formats and frames CSV text, frames pldata records and gathers datum float slots into columns
(byte loops; every decision stays in Python); every exporter and reader has a pure
Python/NumPy path that gives the same bytes and values. ``GAZEPORT_PURE=1`` in the environment uses the pure path even where the extension is
built (the test suite runs through both). :func:`describe` says which path is in use, for
``gazeport info --versions``.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

#: The environment variable that turns the compiled path off (any value but "" or "0").
PURE_ENV = "GAZEPORT_PURE"


def pure_requested() -> bool:
    return os.environ.get(PURE_ENV, "").strip() not in ("", "0")


def _load() -> tuple[ModuleType | None, str]:
    if pure_requested():
        return None, f"pure Python/NumPy ({PURE_ENV}=1 is set)"
    try:
        module = importlib.import_module("gazeport._csvfast")
    except ImportError as exc:
        return None, f"pure Python/NumPy (the C extension is not built here: {exc})"
    return module, "compiled C extension (gazeport._csvfast)"


#: The compiled module, or ``None`` when the pure path is in use.
csvfast, _DESCRIPTION = _load()


def describe() -> str:
    """One line: which CSV formatting path this process uses, and why."""
    return _DESCRIPTION


def compiled() -> bool:
    return csvfast is not None
