"""Every path a request names is resolved here, inside the served root, or refused.

One function, :func:`resolve_inside`, so that no route builds a file path of its own: a relative
path in POSIX form (``study/003``) is joined to the root and resolved, symlinks included, and it
must still lie inside the root. ``..`` components, absolute paths, drive letters, backslashes and
control characters are refused before touching the disk, so the message never depends on what
exists outside the root.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from ..errors import GazeportError


class PathOutsideRootError(GazeportError, PermissionError):
    """A request named a path outside the served root (``..``, absolute, or a symlink out)."""


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def resolve_inside(root: Path, relative: str) -> Path:
    """The real path of ``relative`` (POSIX, relative to ``root``), which must stay inside root.

    ``""`` and ``"."`` name the root itself. Raises :class:`PathOutsideRootError` for ``..``
    components, absolute paths, backslashes or control characters, and for a path whose
    symlinks lead out of the root. The path need not exist.
    """
    base = Path(os.path.realpath(root))
    if _has_control(relative) or "\\" in relative:
        raise PathOutsideRootError(
            f"The path {relative!r} has a backslash or a control character; give a relative path "
            "with forward slashes."
        )
    pure = PurePosixPath(relative)
    if pure.is_absolute() or (len(relative) > 1 and relative[1] == ":"):
        raise PathOutsideRootError(
            f"The path {relative!r} is absolute; give a path relative to the served folder."
        )
    if ".." in pure.parts:
        raise PathOutsideRootError(
            f"The path {relative!r} goes up with '..'; give a path inside the served folder."
        )
    resolved = Path(os.path.realpath(base.joinpath(*pure.parts)))
    if resolved != base and base not in resolved.parents:
        raise PathOutsideRootError(
            f"The path {relative!r} leads outside the served folder through a symbolic link."
        )
    return resolved


def is_inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (resolved, symlinks followed) lies inside ``root`` (or is it)."""
    base = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    return real == base or base in real.parents


def relative_posix(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (``"."`` for the root itself)."""
    rel = Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(root)))
    return rel.as_posix() or "."
