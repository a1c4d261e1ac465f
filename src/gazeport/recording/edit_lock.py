"""The advisory lock that serialises edits of a recording's annotation files.

Player's annotation files are two (``annotation_player.pldata`` and its
``annotation_player_timestamps.npy``), each replaced by a rename, so no single rename can change
both: a reader between the two renames would see them disagree, and two writers doing
read-modify-write at once would lose one's change. So every writer (the CLI, the Python API, the
web server) holds an exclusive lock on ``<rec>/.annotation_player.lock`` for its whole
read-modify-write, and readers hold a shared lock on the same file while they read both files.

* The lock file sits next to the data, so it works across processes and, where the file system
  supports locks (NFS, SMB), across machines sharing the folder. It stays empty and stays in
  place (deleting it while a writer holds it would let a second writer in).
* Writers use the ``filelock`` library (``flock`` on POSIX, ``LockFileEx`` on Windows). The
  operating system frees the lock of a process that ends, even by ``SIGKILL``.
* Readers never create or write a file: they open the lock file read-only when it exists and
  take a shared lock on it. Without a lock file no writer has run since gazeport began locking;
  the reader reads without a lock and reads again under the lock if a writer created it
  meanwhile. Where a shared lock cannot be taken (no permission to open the file, a file system
  without locks), the reader retries briefly while the two files disagree.
* Locks are reentrant per thread: an edit may read and write under the lock it holds.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from ..errors import CorruptFileError, FileWriteError, RecordingLockedError

LOCK_NAME = ".annotation_player.lock"  #: in the recording folder, next to the annotation files
LOCK_TIMEOUT_S = 10.0  #: how long a writer or reader waits for another process's edit [s]
_POLL_S = 0.005  #: time between attempts to take a contended lock [s]
_CONTENDED = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES})

T = TypeVar("T")

_local = threading.local()


def lock_path(rec_dir: Path | str) -> Path:
    """``<rec>/.annotation_player.lock``."""
    return Path(rec_dir) / LOCK_NAME


def _held() -> dict[str, int]:
    """The locks this thread holds: canonical lock path -> nesting depth."""
    held: dict[str, int] | None = getattr(_local, "held", None)
    if held is None:
        held = _local.held = {}
    return held


def _key(path: Path) -> str:
    return os.path.realpath(path)


def _locked_message(path: Path, timeout_s: float) -> str:
    return (
        f"Another process has been editing the annotations of {path.parent} for more than "
        f"{timeout_s:g} s (it holds the lock file {path}); wait until it is done and try again, "
        "or end that process (the system frees the lock of a process that has ended; do not "
        "delete the lock file)."
    )


@contextlib.contextmanager
def edit_lock(rec_dir: Path | str, *, timeout_s: float | None = None) -> Iterator[Path]:
    """Hold the recording's exclusive edit lock; yields the lock file's path.

    Wrap a whole read-modify-write of the annotation files in it. Waits up to ``timeout_s``
    seconds (default :data:`LOCK_TIMEOUT_S`) for another process, then raises
    :class:`RecordingLockedError`. Reentrant within a thread.
    """
    path = lock_path(rec_dir)
    key = _key(path)
    held = _held()
    if key in held:
        held[key] += 1
        try:
            yield path
        finally:
            held[key] -= 1
        return
    import filelock  # with its logging and secrets: only when annotations are changed

    timeout = LOCK_TIMEOUT_S if timeout_s is None else timeout_s
    lock = filelock.FileLock(path, timeout=timeout)
    try:
        lock.acquire(poll_interval=_POLL_S)
    except filelock.Timeout:
        raise RecordingLockedError(_locked_message(path, timeout), path) from None
    except OSError as exc:
        raise FileWriteError(
            f"Cannot create the lock file {path} ({exc.strerror or exc}) needed to change the "
            "annotations; check that the recording folder is writable."
        ) from exc
    held[key] = 1
    try:
        yield path
    finally:
        del held[key]
        lock.release()


def _try_shared(fd: int) -> bool | None:
    """Try once to take a shared lock: ``True`` taken, ``False`` contended, ``None`` unusable."""
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows only
            # LockFileEx has no shared mode through filelock; an exclusive lock on a read-only
            # handle writes nothing and only makes concurrent readers take turns.
            import filelock

            return filelock.lock_descriptor(fd, blocking=False)
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in _CONTENDED:
            return False
        return None  # no locks on this file system (ENOLCK, EOPNOTSUPP, ENOSYS, ...)
    return True


def _unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":  # pragma: no cover - Windows only
            import filelock

            filelock.unlock_descriptor(fd)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)


def _open_read_only(path: Path) -> tuple[str, int]:
    """``("open", fd)`` read-only, or ``("missing", -1)``, or ``("unusable", -1)`` (no access)."""
    try:
        return "open", os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return "missing", -1
    except OSError:
        return "unusable", -1


def _read_unlocked(path: Path, read: Callable[[], T], deadline: float) -> T:
    """Read without a lock, again while the files disagree and a writer may be at work."""
    while True:
        try:
            return read()
        except CorruptFileError:
            if not path.exists() or time.monotonic() > deadline:
                raise
        time.sleep(_POLL_S)


def read_consistently(
    rec_dir: Path | str, read: Callable[[], T], *, timeout_s: float | None = None
) -> T:
    """Run ``read()`` (which reads the annotation files) so that no writer changes them meanwhile.

    Takes the shared lock when the lock file exists (waiting up to ``timeout_s`` seconds,
    default :data:`LOCK_TIMEOUT_S`, then :class:`RecordingLockedError`); never creates a file.
    """
    path = lock_path(rec_dir)
    if _key(path) in _held():
        return read()
    timeout = LOCK_TIMEOUT_S if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout
    while True:
        state, fd = _open_read_only(path)
        if state == "missing":
            try:
                result = read()
            except CorruptFileError:
                if not path.exists():
                    raise
                continue  # a writer created the lock file and was mid-way: read under the lock
            if not path.exists():
                return result  # no writer started before the read ended
            continue  # a writer created the lock file meanwhile: read again under the lock
        if state == "unusable":
            return _read_unlocked(path, read, deadline)
        try:
            while (taken := _try_shared(fd)) is False:
                if time.monotonic() > deadline:
                    raise RecordingLockedError(_locked_message(path, timeout), path)
                time.sleep(_POLL_S)
            if taken is None:
                return _read_unlocked(path, read, deadline)
            try:
                return read()
            finally:
                _unlock(fd)
        finally:
            os.close(fd)
