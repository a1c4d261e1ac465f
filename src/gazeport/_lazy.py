"""Package attributes imported on first use, so importing a package stays cheap.

A package ``__init__`` that re-exports names from heavy modules (NumPy, PyAV, OpenCV, whole
subpackages) would make every ``import gazeport…`` pay for them: ``gazeport --help`` would load
the video decoder. Instead it lists its public names here and imports each module when one of
its names is first used (PEP 562). ``from gazeport.jobs import Job`` works as before; type
checkers read the same names from an ``if TYPE_CHECKING:`` import block in the package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``; ``names`` maps a public name to the module
    that holds it (relative to ``package``: ``".runner"``), or to ``"module:attribute"`` where
    the name differs there."""
    namespace = sys.modules[package].__dict__  # the package being initialised

    def __getattr__(name: str) -> Any:
        where = names.get(name)
        if where is None:
            return _submodule(package, name)
        module, _, attribute = where.partition(":")
        value = getattr(importlib.import_module(module, package), attribute or name)
        namespace[name] = value  # later look-ups do not come here again
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *names})

    return __getattr__, __dir__


def _submodule(package: str, name: str) -> Any:
    """``package.name`` as an attribute when it is a module, as it was when the package
    imported everything (``import gazeport; gazeport.recording.open_recording``)."""
    if not name.startswith("__"):
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise  # the module exists but imports something missing: say so
    raise AttributeError(f"module {package!r} has no attribute {name!r}")


class LazyModule:
    """A module imported on first attribute use: ``cv2 = LazyModule("cv2")`` at the top of a
    module whose functions use OpenCV, so importing that module does not load OpenCV."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: Any = None

    def __getattr__(self, attribute: str) -> Any:
        # Only attributes this object lacks come here: ``_name`` and ``_module`` never do.
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"
