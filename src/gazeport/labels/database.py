"""Making and opening label store files: :func:`init_store` and :func:`open_store`.

Opening checks the file first (exists, is SQLite, is a gazeport label store, schema not newer than
this gazeport) so each problem is one sentence naming the file, and migrates an older schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gazeport.errors import LabelError, LabelStoreExistsError, LabelStoreNotFoundError
from gazeport.labels import validation as check
from gazeport.labels.connection import check_header, connect, sqlite_errors, use_wal
from gazeport.labels.schema import check_version, migrate
from gazeport.labels.store import LabelStore
from gazeport.labels.store_rows import now_iso


def open_store(db: Path | str, timeout_s: float = 10.0) -> LabelStore:
    """Open an existing label store (a context manager); migrate an older schema in place."""
    path = Path(db)
    if not path.exists():
        raise LabelStoreNotFoundError(
            f"There is no label store {path}; make one with gazeport labels init --db {path} "
            "--classes NAME,….",
            path,
        )
    check_header(path)
    conn = connect(path, timeout_s)
    try:
        with sqlite_errors(path, timeout_s):
            if check_version(conn, path) == 0:
                raise LabelStoreNotFoundError(
                    f"{path} is an empty database, not a label store yet; make one with "
                    "gazeport labels init.",
                    path,
                )
            use_wal(conn)
            migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return LabelStore(conn, path, timeout_s)


def init_store(
    db: Path | str, classes: Iterable[str], name: str | None = None,
    description: str | None = None, timeout_s: float = 10.0,
) -> LabelStore:  # fmt: skip
    """Make a new label store with the given classes (ids 1, 2, … in that order).

    Refuses a path that already exists; on a bad class name nothing is left behind.
    """
    path = Path(db)
    names = [check.label_name(n, "class name") for n in classes]
    seen: dict[str, str] = {}
    for n in names:
        if check.name_key(n) in seen:
            raise LabelError(
                f"The classes {seen[check.name_key(n)]!r} and {n!r} differ only in case "
                "(or are the same); class names must be unique."
            )
        seen[check.name_key(n)] = n
    if path.exists():
        raise LabelStoreExistsError(
            f"{path} already exists; open it with the other labels commands or pick a new --db.",
            path,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path, timeout_s)
    try:
        with sqlite_errors(path, timeout_s):
            use_wal(conn)
            migrate(conn, path)
        store = LabelStore(conn, path, timeout_s)
        with store._write() as c:
            c.execute(
                "INSERT INTO project (id, name, description, created) VALUES (1, ?, ?, ?)",
                ((name or "").strip() or path.stem, (description or "").strip(), now_iso()),
            )
            for n in names:
                store._insert_class(c, n)
    except BaseException:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    return store
