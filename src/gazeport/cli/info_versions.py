"""``gazeport info --versions``: gazeport, Python, the libraries it runs on, and which CSV
formatting path is in use (the compiled extension or the pure Python/NumPy one).

Versions come from the installed packages' metadata, so nothing heavy is imported to print them.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import Any

from .. import _native
from .._version import __version__

#: Distributions gazeport always needs, then the extras' (``None`` where not installed).
REQUIRED = ("numpy", "msgpack", "orjson", "av", "scipy", "opencv-python-headless", "typer",
            "rich", "platformdirs", "filelock")  # fmt: skip
OPTIONAL = ("pyarrow", "distributed", "fastapi", "uvicorn", "strawberry-graphql",
            "python-multipart")  # fmt: skip


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, Any]:
    """Everything ``--versions`` shows, as JSON-ready values (the keys are stable)."""
    return {
        "gazeport": __version__,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": f"{platform.system()} {platform.machine()}",
        "executable": sys.executable,
        "csv_formatting": _native.describe(),
        "compiled": _native.compiled(),
        "packages": {name: _version(name) for name in REQUIRED},
        "optional_packages": {name: _version(name) for name in OPTIONAL},
    }


def version_lines(v: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) rows of :func:`versions` for the terminal."""
    rows = [
        ("gazeport", v["gazeport"]),
        ("python", f"{v['python']} on {v['platform']} ({v['executable']})"),
        ("csv formatting", v["csv_formatting"]),
    ]
    rows += [(name, ver or "MISSING") for name, ver in v["packages"].items()]
    rows += [(name, ver or "not installed") for name, ver in v["optional_packages"].items()]
    return rows
