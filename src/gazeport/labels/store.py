"""The label store: one SQLite file holding a study's classes, tasks (scene frames), boxes and
review history, next to (or above) its recordings.

Recording folders are stored relative to the database's folder, so moving the study folder as a
whole keeps every task pointing at its recording. Class, task and box ids are never reused (the
tables are ``AUTOINCREMENT``) and classes are never re-sorted: a class merged into another is
retired, not deleted (dataset-export spec rule 5). One :class:`LabelStore` may be shared by the
threads of a server: calls are serialised on its connection; several processes each open their own.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from gazeport.errors import LabelError, LabelNotFoundError
from gazeport.labels import validation as check
from gazeport.labels.connection import sqlite_errors, transaction
from gazeport.labels.records import (
    BoxRecord,
    ClassRecord,
    FrameCandidate,
    NewBox,
    ProjectRecord,
    ReviewRecord,
    TaskRecord,
    TaskStatus,
)
from gazeport.labels.store_rows import (
    BOX_SELECT,
    TASK_INSERT,
    class_record,
    now_iso,
    review_record,
    task_record,
    task_row,
)

if TYPE_CHECKING:
    from gazeport.labels.predictions import ImportReport
    from gazeport.labels.stats import LabelStats
    from gazeport.labels.tracks import SuggestedBox, TrackResult

_CHUNK = 500  # ids per IN (...) query, well below SQLite's parameter limit


def recording_matches(recording: str, pattern: str) -> bool:
    """Whether a stored recording path matches a glob: the whole relative path (``fnmatch``) or
    its trailing folder names (``rec2`` for ``recs/rec2``); ``labels tasks --recording`` and
    ``dataset export --recording`` both match this way."""
    return fnmatch.fnmatch(recording, pattern) or fnmatch.fnmatch(recording, "*/" + pattern)


def _names(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class LabelStore:
    """An open label store; use :func:`open_store` or :func:`init_store` to get one."""

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout_s: float) -> None:
        self._conn = conn
        self.path = path
        self.db_dir = path.resolve().parent
        self.timeout_s = timeout_s
        self._lock = threading.RLock()

    # --- life cycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (a no-op the second time)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self, write: bool) -> Iterator[sqlite3.Connection]:
        with (
            self._lock,
            sqlite_errors(self.path, self.timeout_s),
            transaction(self._conn, write) as conn,
        ):
            yield conn

    def _write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._tx(True)

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._tx(False)

    # --- project and classes --------------------------------------------------------------------

    def project(self) -> ProjectRecord:
        """The project's name, description and creation time."""
        with self._read() as c:
            row = c.execute("SELECT name, description, created FROM project").fetchone()
            version = int(c.execute("PRAGMA user_version").fetchone()[0])
        if row is None:
            return ProjectRecord(self.path.stem, "", "", self.path, version)
        return ProjectRecord(row[0], row[1], row[2], self.path, version)

    def classes(self, include_retired: bool = False) -> list[ClassRecord]:
        """The classes in id order (never alphabetical); retired (merged) ones on request."""
        sql = "SELECT * FROM classes" + ("" if include_retired else " WHERE retired = 0")
        with self._read() as c:
            return [class_record(r) for r in c.execute(sql + " ORDER BY id")]

    def _class(self, c: sqlite3.Connection, name: str, active: bool = True) -> sqlite3.Row:
        key = check.name_key(check.label_name(name))
        row = c.execute("SELECT * FROM classes WHERE name_key = ?", (key,)).fetchone()
        if row is None:
            known = [r[0] for r in c.execute("SELECT name FROM classes WHERE retired = 0")]
            raise LabelNotFoundError(
                f"There is no class {name!r} (known: {', '.join(known) or 'none'}); add it with "
                "gazeport labels classes --add."
            )
        if active and row["retired"]:
            into = c.execute("SELECT name FROM classes WHERE id = ?", (row["merged_into"],))
            target = (into.fetchone() or ["another class"])[0]
            raise LabelError(f"The class {row['name']!r} was merged into {target!r}; use that.")
        return row

    def _insert_class(
        self, c: sqlite3.Connection, name: str, hotkey: str | None = None,
        color: str | None = None, supercategory: str | None = None,
    ) -> ClassRecord:  # fmt: skip
        name = check.label_name(name, "class name")
        key, hotkey = check.name_key(name), check.hotkey(hotkey)
        old = c.execute("SELECT name FROM classes WHERE name_key = ?", (key,)).fetchone()
        if old is not None:
            same = "already exists" if old[0] == name else f"differs from {old[0]!r} only in case"
            raise LabelError(f"The class {name!r} {same}; class names must be unique.")
        if hotkey is not None:
            taken = c.execute(
                "SELECT name FROM classes WHERE hotkey = ? AND retired = 0", (hotkey,)
            ).fetchone()
            if taken is not None:
                raise LabelError(f"The hotkey {hotkey!r} is already used by class {taken[0]!r}.")
        cur = c.execute(
            "INSERT INTO classes (name, name_key, hotkey, color, supercategory, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (name, key, hotkey, check.color(color),
             check.optional_text(supercategory, "supercategory"), now_iso()),
        )  # fmt: skip
        return class_record(
            c.execute("SELECT * FROM classes WHERE id = ?", (cur.lastrowid,)).fetchone()
        )

    def add_class(
        self, name: str, hotkey: str | None = None, color: str | None = None,
        supercategory: str | None = None,
    ) -> ClassRecord:  # fmt: skip
        """Add a class; it gets the next id, never one used before."""
        with self._write() as c:
            return self._insert_class(c, name, hotkey, color, supercategory)

    def rename_class(self, old: str, new: str) -> ClassRecord:
        """Rename a class, keeping its id (a change of case only is allowed)."""
        with self._write() as c:
            row = self._class(c, old)
            name = check.label_name(new, "class name")
            clash = c.execute(
                "SELECT name FROM classes WHERE name_key = ? AND id != ?",
                (check.name_key(name), row["id"]),
            ).fetchone()
            if clash is not None:
                raise LabelError(f"Cannot rename {row['name']!r} to {name!r}: {clash[0]!r} exists.")
            c.execute(
                "UPDATE classes SET name = ?, name_key = ? WHERE id = ?",
                (name, check.name_key(name), row["id"]),
            )
            return class_record(
                c.execute("SELECT * FROM classes WHERE id = ?", (row["id"],)).fetchone()
            )

    def merge_classes(self, sources: Iterable[str], target: str) -> int:
        """Move the boxes of ``sources`` to ``target`` and retire the sources; return boxes moved."""
        when = now_iso()
        with self._write() as c:
            into = self._class(c, target)
            rows = [self._class(c, s) for s in _names(sources)]
            if not rows:
                raise LabelError("Name at least one class to merge.")
            moved = 0
            for row in rows:
                if row["id"] == into["id"]:
                    raise LabelError(f"Cannot merge the class {row['name']!r} into itself.")
                c.execute(
                    "UPDATE tasks SET updated = ? WHERE id IN "
                    "(SELECT task_id FROM boxes WHERE class_id = ?)",
                    (when, row["id"]),
                )
                moved += c.execute(
                    "UPDATE boxes SET class_id = ?, updated = ? WHERE class_id = ?",
                    (into["id"], when, row["id"]),
                ).rowcount
                c.execute(
                    "UPDATE classes SET retired = 1, merged_into = ?, hotkey = NULL WHERE id = ?",
                    (into["id"], row["id"]),
                )
            return moved

    # --- tasks ------------------------------------------------------------------------------

    def add_tasks(self, candidates: Iterable[FrameCandidate]) -> tuple[int, int]:
        """Store sampled frames as draft tasks; return ``(added, skipped_duplicates)``.

        A frame already stored (same recording id and frame index) is skipped, not duplicated.
        """
        when, added, skipped = now_iso(), 0, 0
        with self._write() as c:
            for cand in candidates:
                if cand.width <= 0 or cand.height <= 0 or cand.frame_index < 0:
                    raise LabelError(
                        f"The frame {cand.frame_index} of {cand.recording_dir} has size "
                        f"{cand.width}x{cand.height}; a task needs a frame index >= 0 and a size."
                    )
                n = c.execute(TASK_INSERT, task_row(cand, self.db_dir, when)).rowcount
                added += n
                skipped += 1 - n
        return added, skipped

    def _where(
        self, c: sqlite3.Connection, status: str | Iterable[str] | None,
        recording_glob: str | None, label: str | Iterable[str] | None,
    ) -> tuple[str, list[Any]]:  # fmt: skip
        clauses: list[str] = []
        params: list[Any] = []
        statuses = [check.status(s) for s in _names(status)]
        if statuses:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            params += statuses
        if recording_glob:  # fnmatch, as the dataset export's filter, or a trailing folder name
            recs = [r[0] for r in c.execute("SELECT DISTINCT recording FROM tasks")]
            recs = [r for r in recs if recording_matches(r, recording_glob)]
            clauses.append(f"recording IN ({','.join('?' * len(recs))})")
            params += recs
        ids = [self._class(c, n, active=False)["id"] for n in _names(label)]
        if ids:
            clauses.append(
                f"id IN (SELECT task_id FROM boxes WHERE class_id IN ({','.join('?' * len(ids))}))"
            )
            params += ids
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _records(self, c: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[TaskRecord]:
        boxes: dict[int, list[sqlite3.Row]] = defaultdict(list)
        ids = [r["id"] for r in rows]
        for i in range(0, len(ids), _CHUNK):
            part = ids[i : i + _CHUNK]
            sql = f"{BOX_SELECT} WHERE b.task_id IN ({','.join('?' * len(part))}) ORDER BY b.id"
            for b in c.execute(sql, part):
                boxes[b["task_id"]].append(b)
        return [task_record(r, boxes[r["id"]], self.db_dir) for r in rows]

    def tasks(
        self, status: str | Iterable[str] | None = None, recording_glob: str | None = None,
        label: str | Iterable[str] | None = None, limit: int | None = None, offset: int = 0,
        *, after_id: int = 0,
    ) -> list[TaskRecord]:  # fmt: skip
        """Tasks in id order with their boxes, filtered by status(es), recording glob (matched
        against the relative path or its trailing folder names), class name(s) and ids above
        ``after_id``."""
        with self._read() as c:
            where, params = self._where(c, status, recording_glob, label)
            where = f"{where} AND id > ?" if where else " WHERE id > ?"
            sql = f"SELECT * FROM tasks{where} ORDER BY id LIMIT ? OFFSET ?"
            limit_ = -1 if limit is None else int(limit)
            rows = c.execute(sql, [*params, int(after_id), limit_, int(offset)]).fetchall()
            return self._records(c, rows)

    def iter_tasks(self, page: int = _CHUNK, **filters: Any) -> Iterator[TaskRecord]:
        """Like :meth:`tasks`, one page (transaction) at a time, so an export never holds every
        task; paged by id, so tasks added meanwhile are neither skipped nor repeated."""
        last = 0
        while batch := self.tasks(limit=page, after_id=last, **filters):
            yield from batch
            last = batch[-1].id

    def count_tasks(
        self, status: str | Iterable[str] | None = None, recording_glob: str | None = None,
        label: str | Iterable[str] | None = None,
    ) -> int:  # fmt: skip
        """How many tasks :meth:`tasks` would return without a limit."""
        with self._read() as c:
            where, params = self._where(c, status, recording_glob, label)
            return int(c.execute(f"SELECT COUNT(*) FROM tasks{where}", params).fetchone()[0])

    def neighbours(
        self, task_id: int, status: str | Iterable[str] | None = None,
        recording_glob: str | None = None, label: str | Iterable[str] | None = None,
    ) -> tuple[int | None, int | None]:  # fmt: skip
        """The ids of the tasks before and after ``task_id`` (in id order) among those the
        filters select, the task itself need not be one of them: a labeller's previous/next."""
        with self._read() as c:
            where, params = self._where(c, status, recording_glob, label)
            join = " AND " if where else " WHERE "
            prev = c.execute(
                f"SELECT MAX(id) FROM tasks{where}{join}id < ?", [*params, int(task_id)]
            ).fetchone()[0]
            nxt = c.execute(
                f"SELECT MIN(id) FROM tasks{where}{join}id > ?", [*params, int(task_id)]
            ).fetchone()[0]
            return prev, nxt

    def _task_row(self, c: sqlite3.Connection, task_id: int) -> sqlite3.Row:
        row = c.execute("SELECT * FROM tasks WHERE id = ?", (int(task_id),)).fetchone()
        if row is None:
            raise LabelNotFoundError(f"There is no task {task_id} in {self.path}.")
        return row

    def task(self, task_id: int) -> TaskRecord:
        """One task with its boxes; :class:`LabelNotFoundError` if there is none."""
        with self._read() as c:
            return self._records(c, [self._task_row(c, task_id)])[0]

    def delete_task(self, task_id: int) -> None:
        """Delete a task with its boxes and review history (``ON DELETE CASCADE``); its id is
        never given to another task, and sampling the same frame again makes a new task."""
        with self._write() as c:
            self._task_row(c, task_id)
            c.execute("DELETE FROM tasks WHERE id = ?", (int(task_id),))

    # --- boxes ------------------------------------------------------------------------------

    def _box(self, c: sqlite3.Connection, task_id: int, box_id: int) -> BoxRecord:
        row = self._task_row(c, task_id)
        for b in self._records(c, [row])[0].boxes:
            if b.id == int(box_id):
                return b
        raise LabelNotFoundError(f"The task {task_id} has no box {box_id}.")

    def add_box(
        self, task_id: int, label: str, x: float, y: float, w: float, h: float,
        confidence: float | None = None, tags: Iterable[str] = (), source: str = "manual",
        author: str | None = None,
    ) -> BoxRecord:  # fmt: skip
        """Add a box (pixels of the task's frame, top-left origin) and return it."""
        with self._write() as c:
            class_id = self._class(c, label)["id"]
            new = NewBox(task_id, class_id, x, y, w, h, confidence, tuple(tags),
                         check.source(source), author)  # fmt: skip
            (box_id,) = self._insert_boxes(c, [new])
            return self._box(c, task_id, box_id)

    def add_boxes(self, boxes: Iterable[NewBox]) -> list[int]:
        """Insert many boxes in one transaction (all or none); return their ids."""
        with self._write() as c:
            return self._insert_boxes(c, list(boxes))

    def _insert_boxes(self, c: sqlite3.Connection, boxes: Sequence[NewBox]) -> list[int]:
        when, ids = now_iso(), []
        for b in boxes:
            self._task_row(c, b.task_id)
            x, y, w, h = check.xywh(b.x, b.y, b.w, b.h)
            cur = c.execute(
                "INSERT INTO boxes (task_id, class_id, x, y, w, h, confidence, tags, source, "
                "author, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (b.task_id, b.class_id, x, y, w, h, check.confidence(b.confidence),
                 _json_tags(b.tags), check.source(b.source),
                 check.optional_text(b.author, "author"), when, when),
            )  # fmt: skip
            ids.append(int(cur.lastrowid or 0))
            c.execute("UPDATE tasks SET updated = ? WHERE id = ?", (when, b.task_id))
        return ids

    def change_boxes(
        self, task_id: int, add: Iterable[NewBox] = (), remove: Iterable[int] = (),
        *, replace: bool = False,
    ) -> list[int]:  # fmt: skip
        """Add ``add`` to the task and delete its boxes ``remove`` (every old box with
        ``replace``) in one transaction: all or nothing. Returns the new boxes' ids."""
        with self._write() as c:
            self._task_row(c, task_id)
            old = {r[0] for r in c.execute("SELECT id FROM boxes WHERE task_id = ?", (task_id,))}
            gone = sorted(old) if replace else [int(i) for i in remove]
            for box_id in gone:
                if box_id not in old:
                    raise LabelNotFoundError(f"The task {task_id} has no box {box_id}.")
            new = list(add)
            for b in new:
                if b.task_id != int(task_id):
                    raise LabelError(f"A box for task {b.task_id} was given for task {task_id}.")
            ids = self._insert_boxes(c, new)
            c.executemany("DELETE FROM boxes WHERE id = ?", [(i,) for i in gone])
            c.execute("UPDATE tasks SET updated = ? WHERE id = ?", (now_iso(), int(task_id)))
            return ids

    def edit_box(
        self, task_id: int, box_id: int, label: str | None = None,
        xywh: Sequence[float] | None = None, tags: Iterable[str] | None = None,
        confidence: float | None = None, source: str | None = None,
    ) -> BoxRecord:  # fmt: skip
        """Change a box's class, geometry, tags, confidence or source (an accepted suggestion
        or import becomes ``manual``); the others stay."""
        when = now_iso()
        with self._write() as c:
            old = self._box(c, task_id, box_id)
            class_id = old.class_id if label is None else self._class(c, label)["id"]
            if xywh is not None and len(xywh) != 4:
                raise LabelError(f"The box {tuple(xywh)} is not four numbers x,y,w,h.")
            x, y, w, h = check.xywh(*(xywh if xywh is not None else (old.x, old.y, old.w, old.h)))
            new_tags = old.tags if tags is None else check.tags(tags)
            conf = old.confidence if confidence is None else check.confidence(confidence)
            src = old.source if source is None else check.source(source)
            c.execute(
                "UPDATE boxes SET class_id = ?, x = ?, y = ?, w = ?, h = ?, tags = ?, "
                "confidence = ?, source = ?, updated = ? WHERE id = ?",
                (class_id, x, y, w, h, _json_tags(new_tags), conf, src, when, old.id),
            )
            c.execute("UPDATE tasks SET updated = ? WHERE id = ?", (when, int(task_id)))
            return self._box(c, task_id, box_id)

    def delete_box(self, task_id: int, box_id: int) -> None:
        """Delete a box; its id is never given to another box."""
        with self._write() as c:
            old = self._box(c, task_id, box_id)
            c.execute("DELETE FROM boxes WHERE id = ?", (old.id,))
            c.execute("UPDATE tasks SET updated = ? WHERE id = ?", (now_iso(), int(task_id)))

    # --- review, splits -------------------------------------------------------------------------

    def set_status(
        self, task_id: int, status: str, by: str | None = None, comment: str | None = None
    ) -> ReviewRecord:
        """Move a task to draft, finished or reviewed, recording who, when, from → to and why."""
        new: TaskStatus = check.status(status)
        when = now_iso()
        with self._write() as c:
            old = self._task_row(c, task_id)["status"]
            c.execute("UPDATE tasks SET status = ?, updated = ? WHERE id = ?", (new, when, task_id))
            cur = c.execute(
                "INSERT INTO reviews (task_id, who, at, from_status, to_status, comment) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (int(task_id), check.optional_text(by, "reviewer name"), when, old, new,
                 None if comment is None else comment.strip() or None),
            )  # fmt: skip
            row = c.execute("SELECT * FROM reviews WHERE id = ?", (cur.lastrowid,)).fetchone()
            return review_record(row)

    def reviews(self, task_id: int | None = None) -> list[ReviewRecord]:
        """The review history (one task's, or all), oldest first."""
        with self._read() as c:
            if task_id is None:
                rows = c.execute("SELECT * FROM reviews ORDER BY id")
            else:
                self._task_row(c, task_id)
                rows = c.execute("SELECT * FROM reviews WHERE task_id = ? ORDER BY id", (task_id,))
            return [review_record(r) for r in rows]

    def set_splits(self, splits: Mapping[int, str | None]) -> None:
        """Remember each task's dataset split (sticky across exports); None clears it."""
        with self._write() as c:
            for task_id, split in splits.items():
                self._task_row(c, task_id)
                c.execute(
                    "UPDATE tasks SET split = ? WHERE id = ?", (check.split_name(split), task_id)
                )

    # --- import, stats --------------------------------------------------------------------------

    def import_predictions(
        self, path: Path | str, format: str = "coco", source: str | None = None
    ) -> ImportReport:
        """Import model predictions (COCO JSON or a YOLO txt folder) as boxes to review."""
        from gazeport.labels.predictions import import_predictions

        return import_predictions(self, Path(path), format=format, source=source)

    def interpolate_track(
        self, first: tuple[int, int], last: tuple[int, int], author: str | None = None
    ) -> TrackResult:
        """Interpolate the boxes ``(task_id, box_id)`` onto the tasks between (see tracks)."""
        from gazeport.labels.tracks import interpolate_track

        return interpolate_track(self, first, last, author)

    def suggest_box(self, task_id: int, size_px: float | None = None) -> SuggestedBox:
        """A box centred on the task's fixation or gaze median, not stored (see tracks)."""
        from gazeport.labels.tracks import suggest_box

        return suggest_box(self.task(task_id), size_px)

    def stats(self) -> LabelStats:
        """Tasks and boxes per status, class and recording; box sizes; review throughput."""
        from gazeport.labels.stats import compute_stats

        with self._read() as c:
            return compute_stats(c)


def _json_tags(tags: Iterable[str]) -> str:
    return json.dumps(list(check.tags(tags)), ensure_ascii=False)
