"""Git LFS pointer files: the small text placeholders a clone holds until ``git lfs pull``.

A recording kept in a Git repository with LFS (like pl-neon-recording's test data) has, after
a plain ``git clone``, a ~130-byte text file in place of each video or data file::

    version https://git-lfs.github.com/spec/v1
    oid sha256:4d7a2146...
    size 7933531

Decoding such a file as data gives nonsense (or a short-file warning), so readers check for it
first and raise :func:`lfs_pointer_error` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorruptFileError

#: Git LFS pointer files are smaller than this (the LFS specification's limit).
MAX_POINTER_BYTES = 1024
_PREFIXES = (
    b"version https://git-lfs.github.com/spec/",
    b"version https://hawser.github.com/spec/",
)
_SIZE_LINE = re.compile(rb"^size (\d+)$", re.MULTILINE)
_OID_LINE = re.compile(rb"^oid (\w+:[0-9a-f]+)$", re.MULTILINE)


@dataclass(frozen=True)
class LfsPointer:
    """What a pointer file says about the real file: its ``oid`` and its ``size_bytes``."""

    oid: str
    size_bytes: int


def read_lfs_pointer(path: Path | str) -> LfsPointer | None:
    """The pointer in ``path``, or None when ``path`` is not a Git LFS pointer file.

    Only the first :data:`MAX_POINTER_BYTES` bytes are read; a missing or unreadable file is
    not a pointer (None).
    """
    try:
        with open(path, "rb") as file:
            head = file.read(MAX_POINTER_BYTES + 1)
    except OSError:
        return None
    if len(head) > MAX_POINTER_BYTES or not head.startswith(_PREFIXES):
        return None
    size = _SIZE_LINE.search(head)
    oid = _OID_LINE.search(head)
    return LfsPointer(
        oid=oid.group(1).decode("ascii") if oid else "",
        size_bytes=int(size.group(1)) if size else -1,
    )


def is_lfs_pointer(path: Path | str) -> bool:
    """True when ``path`` is a Git LFS pointer file instead of the real file."""
    return read_lfs_pointer(path) is not None


def lfs_pointer_error(path: Path | str) -> CorruptFileError:
    """The error for a pointer file found where data was expected (raise it)."""
    return CorruptFileError(
        f"{path} is a Git LFS placeholder, not the file; fetch it with git lfs pull.", path, 0
    )


def check_not_lfs_pointer(path: Path | str) -> None:
    """Raise :func:`lfs_pointer_error` when ``path`` is a Git LFS pointer file."""
    if is_lfs_pointer(path):
        raise lfs_pointer_error(path)
