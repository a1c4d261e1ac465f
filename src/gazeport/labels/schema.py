"""The label store's SQLite schema and its migrations.

The schema version lives in ``PRAGMA user_version`` and the file is marked as a gazeport label
store by ``PRAGMA application_id``, so a foreign SQLite file is told apart from an empty one.
Migrations are a list: migration ``n`` turns version ``n - 1`` into ``n``. All pending ones run in
one ``BEGIN IMMEDIATE`` transaction together with the version bump, so a crash or a second process
never sees a half-migrated file. Ids are ``AUTOINCREMENT``: SQLite then never hands out an id
again, even after the row with the highest id was deleted (dataset-export spec rule 5).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gazeport.errors import LabelStoreCorruptError, LabelStoreVersionError

#: "GZLB" as a big-endian int32: marks the file as a gazeport label store.
APPLICATION_ID = 0x475A4C42

_V1 = """
CREATE TABLE project (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created     TEXT NOT NULL
);
CREATE TABLE classes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL UNIQUE,  -- casefolded name: names differing in case collide
    hotkey        TEXT,
    color         TEXT CHECK (color IS NULL OR color GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    supercategory TEXT,
    retired       INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
    merged_into   INTEGER REFERENCES classes(id),
    created       TEXT NOT NULL
);
CREATE TABLE tasks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    recording     TEXT NOT NULL,     -- relative to the database's folder, POSIX separators
    recording_id  TEXT NOT NULL,
    frame_index   INTEGER NOT NULL CHECK (frame_index >= 0),
    timestamp_ns  INTEGER NOT NULL,
    width         INTEGER NOT NULL CHECK (width > 0),
    height        INTEGER NOT NULL CHECK (height > 0),
    status        TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'finished', 'reviewed')),
    gaze          TEXT NOT NULL DEFAULT '[]',  -- JSON [[timestamp_ns, x_px, y_px, confidence], ...]
    fixation_id   INTEGER,
    fixation_x    REAL,
    fixation_y    REAL,
    reason        TEXT NOT NULL DEFAULT '',
    split         TEXT,
    created       TEXT NOT NULL,
    updated       TEXT NOT NULL,
    UNIQUE (recording_id, frame_index)
);
CREATE INDEX tasks_status ON tasks (status);
CREATE INDEX tasks_recording ON tasks (recording);
CREATE TABLE boxes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id     INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    class_id    INTEGER NOT NULL REFERENCES classes(id),
    x           REAL NOT NULL,
    y           REAL NOT NULL,
    w           REAL NOT NULL CHECK (w > 0),
    h           REAL NOT NULL CHECK (h > 0),
    confidence  REAL CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
    tags        TEXT NOT NULL DEFAULT '[]',  -- JSON list of strings
    source      TEXT NOT NULL DEFAULT 'manual'
                CHECK (source IN ('manual', 'import', 'suggested', 'interpolated')),
    author      TEXT,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL
);
CREATE INDEX boxes_task ON boxes (task_id);
CREATE INDEX boxes_class ON boxes (class_id);
CREATE TABLE reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id     INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    who         TEXT,
    at          TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    comment     TEXT
);
CREATE INDEX reviews_task ON reviews (task_id);
"""

#: Version 2: boxes of one object on several frames share a ``track_id`` (keyframes drawn by
#: hand, the frames between them filled by :mod:`gazeport.labels.tracks`); NULL: no track.
_V2 = """
ALTER TABLE boxes ADD COLUMN track_id INTEGER;
CREATE INDEX boxes_track ON boxes (track_id);
"""

#: ``MIGRATIONS[n - 1]`` turns schema version ``n - 1`` into ``n``; append, never edit.
MIGRATIONS: tuple[str, ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's schema version (0: empty database)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_version(conn: sqlite3.Connection, path: Path) -> int:
    """Return the file's schema version; refuse foreign files and newer schemas."""
    version = schema_version(conn)
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and version > 0):
        raise LabelStoreCorruptError(
            f"{path} is a SQLite database but not a gazeport label store; "
            "pick another --db or make one with gazeport labels init.",
            path,
        )
    if version > SCHEMA_VERSION:
        raise LabelStoreVersionError(
            f"The label store {path} has schema version {version}, newer than the {SCHEMA_VERSION} "
            "this gazeport knows; upgrade gazeport to open it.",
            path,
        )
    return version


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION` in one transaction; return the version.

    The connection must be in autocommit mode (``isolation_level=None``).
    """
    if check_version(conn, path) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = check_version(conn, path)  # another process may have migrated meanwhile
        for script in MIGRATIONS[version:]:
            for statement in _statements(script):
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
