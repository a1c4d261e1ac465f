"""Build hook: compile the optional C extension ``gazeport._csvfast`` into the wheel.

gazeport runs without it (the pure Python/NumPy path, see ``gazeport._native``), so a machine
without a C compiler or without the Python headers still installs: the hook then says why in
pip's build log and the wheel stays a pure-Python one (``py3-none-any``). With a compiler the
wheel is tagged for this interpreter and platform.

* ``pip install .`` / ``python -m build``: the module is compiled in a temporary folder and
  added to the wheel.
* ``pip install -e .``: the module is compiled next to the sources (``src/gazeport/``), where
  the editable install imports it from; a module left there by an earlier build is removed
  first, so a failed build never leaves stale compiled code in use.

The compiler is found the standard way (setuptools' ``build_ext``: ``CC``, ``CFLAGS`` and the
flags Python was built with). ``GAZEPORT_BUILD_PURE=1`` skips the extension on purpose.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "gazeport._csvfast"
SOURCE = "csrc/csvfast.c"
#: Warnings the vendored code must not trigger either; -O3 for the formatter's inner loops.
UNIX_FLAGS = ["-O3", "-std=c99", "-Wall", "-Wextra", "-fvisibility=hidden"]


class CustomBuildHook(BuildHookInterface):  # type: ignore[misc]
    """hatchling's hook interface: ``initialize`` runs before the wheel's files are collected."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        in_place = root / "src" / "gazeport" / f"_csvfast{suffix}"
        if version == "editable":
            in_place.unlink(missing_ok=True)
        if os.environ.get("GAZEPORT_BUILD_PURE", "") not in ("", "0"):
            self.app.display_info(
                "gazeport: GAZEPORT_BUILD_PURE is set; not building the C extension"
            )
            return
        work = Path(tempfile.mkdtemp(prefix="gazeport-build-"))
        try:
            built = _compile(root, work)
        except Exception as exc:  # any compiler or setup failure: fall back, say why
            self.app.display_warning(
                "gazeport: the optional C extension was not built "
                f"({type(exc).__name__}: {exc}); gazeport will use its pure Python/NumPy path"
            )
            shutil.rmtree(work, ignore_errors=True)
            return
        if version == "editable":
            shutil.copy2(built, in_place)
        else:
            keep = root / "build" / "gazeport-ext" / built.name
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(built, keep)
            build_data["force_include"][str(keep)] = f"gazeport/{built.name}"
        shutil.rmtree(work, ignore_errors=True)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        self.app.display_info(f"gazeport: built the C extension {MODULE}")


def _compile(root: Path, work: Path) -> Path:
    """Compile ``SOURCE`` with setuptools' ``build_ext`` in ``work``; returns the module file."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    unix = sys.platform != "win32"
    ext = Extension(
        MODULE,
        sources=[str(root / SOURCE)],
        include_dirs=[str(root / "csrc")],
        extra_compile_args=UNIX_FLAGS if unix else ["/O2"],
    )
    dist = Distribution({"name": "gazeport", "ext_modules": [ext]})
    cmd = build_ext(dist)
    cmd.build_lib = str(work / "lib")
    cmd.build_temp = str(work / "tmp")
    cmd.ensure_finalized()
    cmd.run()
    built = Path(cmd.get_ext_fullpath(MODULE))
    if not built.exists():
        raise FileNotFoundError(f"the compiler produced no {built.name}")
    return built
