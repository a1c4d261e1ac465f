"""Opening the label database: pragmas, busy timeout, and SQLite errors as gazeport sentences.

The store is written by a CLI and a web server at once, so every connection runs in WAL mode
(readers never block the writer), waits up to its busy timeout for a lock, and writes only in
``BEGIN IMMEDIATE`` transactions: the write lock is taken up front, so two writers queue instead of
one failing on a lock upgrade. Waiting longer than the timeout is a
:class:`LabelStoreLockedError`; a file that is not SQLite or is damaged a
:class:`LabelStoreCorruptError`, each naming the file.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from gazeport.errors import (
    LabelError,
    LabelStoreCorruptError,
    LabelStoreError,
    LabelStoreLockedError,
)

_SQLITE_MAGIC = b"SQLite format 3\x00"


def check_header(path: Path) -> None:
    """Refuse a non-empty file that does not start like a SQLite database."""
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except IsADirectoryError:
        raise LabelStoreError(
            f"{path} is a folder, not a label store file; give the .sqlite file as --db.", path
        ) from None
    if head and head != _SQLITE_MAGIC:
        raise LabelStoreCorruptError(
            f"{path} is not a SQLite database (not a gazeport label store); "
            "check the --db path or restore the file from a backup.",
            path,
        )


def connect(path: Path, timeout_s: float) -> sqlite3.Connection:
    """An autocommit connection (transactions are explicit) with the store's pragmas set."""
    with sqlite_errors(path, timeout_s):
        conn = sqlite3.connect(
            str(path), timeout=timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        except BaseException:
            conn.close()
            raise
    return conn


def use_wal(conn: sqlite3.Connection) -> None:
    """Switch a label store to WAL (persistent in the file; a no-op when it already is)."""
    if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL, and much faster


@contextlib.contextmanager
def sqlite_errors(path: Path, timeout_s: float) -> Iterator[None]:
    """Turn sqlite3's exceptions into gazeport's one-sentence errors naming ``path``."""
    try:
        yield
    except (sqlite3.IntegrityError, sqlite3.InterfaceError) as exc:
        raise LabelError(f"The label store {path} refused the change: {exc}.") from None
    except sqlite3.ProgrammingError as exc:  # e.g. used after close(): not the file's fault
        raise LabelStoreError(f"The label store {path} cannot be used: {exc}.", path) from None
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise LabelStoreLockedError(
                f"The label store {path} is locked by another writer for more than "
                f"{timeout_s:g} s; try again when it is done (or raise the timeout).",
                path,
            ) from None
        if "malformed" in text or "not a database" in text:
            raise _corrupt(path, exc) from None
        raise LabelStoreError(f"The label store {path} cannot be used: {text}.", path) from None
    except sqlite3.DatabaseError as exc:
        raise _corrupt(path, exc) from None


def _corrupt(path: Path, exc: Exception) -> LabelStoreCorruptError:
    return LabelStoreCorruptError(
        f"The label store {path} is damaged or not a SQLite database ({exc}); "
        "restore it from a backup.",
        path,
    )


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection, write: bool) -> Iterator[sqlite3.Connection]:
    """One transaction: ``BEGIN IMMEDIATE`` for writes, a consistent snapshot for reads."""
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
