"""The recordings below the served root: found once, listed with their facts, opened on demand.

:class:`Catalog` finds every recording with :func:`gazeport.batch.discover` (recursive) and
describes each in a :class:`RecordingEntry`: kind, duration, start, wearer, exports. A recording
that cannot be opened is listed too, with the reason, so the page can say why it is greyed out.

Ids are stable: the first 12 hex digits of a hash of the recording's path relative to the root,
so a bookmark of ``/player/<id>`` survives a restart and the id says nothing of the file system.
The list is cached; :meth:`Catalog.refresh` finds recordings again (``?refresh=true``).

Opened recordings (:class:`OpenRecording`) are cached per id with their scene frames and a
pool of frame readers (:class:`~gazeport.video.reader_pool.ReaderPool`): a reader decodes
sequentially and is not thread-safe, the server answers requests in a thread pool, and the
pool gives each request the reader that reaches its frame with the least decoding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..batch import discover
from ..errors import GazeportError
from ..jobs.task_warnings import collected
from ..recording import open_recording
from ..recording.facade import AnyRecording
from ..recording.scene_frames import SceneFrames, open_scene_reader, scene_frames
from ..video.reader_pool import ReaderPool
from .paths import is_inside, relative_posix

T = TypeVar("T")

#: What the recordings page calls each kind (``RecordingKind`` values).
KIND_LABELS = {
    "pupil_player_format": "Pupil Core",
    "pupil_capture_legacy": "Pupil Core (legacy)",
    "pupil_mobile": "Pupil Mobile",
    "pupil_invisible": "Pupil Invisible",
    "neon": "Neon",
    "cloud_csv_export": "Pupil Cloud",
}


def recording_id(relative: str) -> str:
    """The URL id of the recording at ``relative`` (POSIX path below the root)."""
    return hashlib.blake2s(relative.encode("utf-8"), digest_size=6).hexdigest()


@dataclass(frozen=True)
class RecordingEntry:
    """One row of the recordings page; ``error`` is set (and the facts empty) when the
    recording cannot be opened. ``start_utc`` is ISO 8601 UTC, ``duration_s`` seconds."""

    id: str
    path: Path
    relative: str
    name: str
    kind: str
    kind_label: str
    duration_s: float | None
    start_utc: str | None
    wearer: str | None
    exports: int
    error: str | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "path": self.relative, "name": self.name, "kind": self.kind,
            "kind_label": self.kind_label, "duration_s": self.duration_s,
            "start_utc": self.start_utc, "wearer": self.wearer, "exports": self.exports,
            "has_exports": self.exports > 0, "error": self.error, "notes": list(self.notes),
        }  # fmt: skip


def _count_exports(path: Path) -> int:
    exports = path / "exports"
    try:
        return sum(1 for p in exports.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return 0


def _start_utc(rec: AnyRecording) -> str | None:
    start_ns = getattr(rec, "start_time_ns", None)
    if start_ns is not None:
        moment = dt.datetime.fromtimestamp(start_ns / 1e9, tz=dt.timezone.utc)
    else:
        moment = rec.start_datetime.astimezone(dt.timezone.utc)  # type: ignore[union-attr]
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _wearer(rec: AnyRecording) -> str | None:
    wearer = getattr(rec, "wearer", None)
    name = getattr(wearer, "name", None)
    if name:
        return str(name)
    raw = getattr(rec, "_invisible_raw", None) or {}
    found = raw.get("wearer_name")
    return str(found) if found else None


def _duration_s(rec: AnyRecording) -> float | None:
    value = getattr(rec, "duration_s", None)
    if value is None:
        value = getattr(getattr(rec, "info", None), "duration_s", None)
    return float(value) if value is not None else None


def describe(path: Path, root: Path) -> RecordingEntry:
    """The :class:`RecordingEntry` of the recording folder ``path`` below ``root``."""
    relative = relative_posix(root, path)
    rid = recording_id(relative)
    name = path.name if relative != "." else path.resolve().name
    exports = _count_exports(path)
    with collected() as caught:
        try:
            with open_recording(path) as rec:
                kind = str(rec.kind)
                entry = RecordingEntry(
                    rid, path, relative, name, kind, KIND_LABELS.get(kind, kind),
                    _duration_s(rec), _start_utc(rec), _wearer(rec), exports,
                )  # fmt: skip
        except GazeportError as exc:
            entry = RecordingEntry(
                rid, path, relative, name, "unknown", "Not readable", None, None, None, exports,
                error=" ".join(str(exc).replace(f"{root}{os.sep}", "").split()),
            )  # fmt: skip
    notes = tuple(caught)
    return entry if not notes else _with_notes(entry, notes)


def _with_notes(entry: RecordingEntry, notes: tuple[str, ...]) -> RecordingEntry:
    from dataclasses import replace

    return replace(entry, notes=notes)


@dataclass
class OpenRecording:
    """A recording opened for the server, its scene frames and a lock for everything in it.

    ``memo`` keeps derived arrays (gaze in frame pixels, fixations, blinks) computed once.
    """

    entry: RecordingEntry
    rec: AnyRecording
    lock: threading.RLock = field(default_factory=threading.RLock)
    memo: dict[str, Any] = field(default_factory=dict)
    _frames: SceneFrames | None = None
    _reader: ReaderPool | None = None

    @property
    def frames(self) -> SceneFrames:
        with self.lock:
            if self._frames is None:
                self._frames = scene_frames(self.rec)
            return self._frames

    @property
    def reader(self) -> ReaderPool:
        """The scene frames' readers (thread-safe: no need to hold :attr:`lock` to read)."""
        with self.lock:
            if self._reader is None:
                frames = self.frames
                self._reader = ReaderPool(lambda: open_scene_reader(frames))
            return self._reader

    def cached(self, key: str, make: Callable[[], T]) -> T:
        """``make()`` once per key (under the lock), then the same value."""
        with self.lock:
            if key not in self.memo:
                with collected():  # dropped: the page shows the recording's notes once
                    self.memo[key] = make()
            value: T = self.memo[key]
            return value

    def close(self) -> None:
        with self.lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            for value in self.memo.values():  # e.g. the eye videos' reader pools
                if callable(getattr(value, "close", None)):
                    value.close()
            self.rec.close()


class Catalog:
    """Every recording below ``root`` (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self._lock = threading.RLock()
        self._entries: dict[str, RecordingEntry] | None = None
        self._open: dict[str, OpenRecording] = {}

    def entries(self) -> list[RecordingEntry]:
        """Every recording, in discovery order (found on first use, then cached)."""
        with self._lock:
            if self._entries is None:
                self._entries = self._discover()
            return list(self._entries.values())

    def refresh(self) -> list[RecordingEntry]:
        """Find the recordings again and forget opened ones (they may have changed)."""
        with self._lock:
            self._entries = None
            for opened in self._open.values():
                opened.close()
            self._open.clear()
            return self.entries()

    def _discover(self) -> dict[str, RecordingEntry]:
        found: dict[str, RecordingEntry] = {}
        for path, _root in discover([self.root], recursive=True):
            if not is_inside(self.root, path):  # a recording reached through a symlink out
                continue
            entry = describe(path, self.root)
            found.setdefault(entry.id, entry)
        return found

    def get(self, rid: str) -> RecordingEntry:
        """The entry with id ``rid``; :class:`UnknownRecordingError` when there is none."""
        self.entries()
        with self._lock:
            entry = (self._entries or {}).get(rid)
        if entry is None:
            raise UnknownRecordingError(
                f"There is no recording with id {rid!r} under {self.root}; the list at "
                "/api/recordings has every id (add ?refresh=true after adding recordings)."
            )
        return entry

    def by_relative(self, relative_path: Path) -> RecordingEntry:
        """The entry of the recording folder at ``relative_path`` (already resolved inside)."""
        for entry in self.entries():
            if Path(os.path.realpath(entry.path)) == relative_path:
                return entry
        raise UnknownRecordingError(
            f"There is no recording at {relative_path}; /api/recordings lists them all."
        )

    def open(self, rid: str) -> OpenRecording:
        """The opened recording ``rid`` (opened once, then shared)."""
        entry = self.get(rid)
        with self._lock:
            opened = self._open.get(rid)
            if opened is None:
                if entry.error:
                    raise UnreadableRecordingError(entry.error)
                opened = OpenRecording(entry, open_recording(entry.path))
                self._open[rid] = opened
            return opened

    def close(self) -> None:
        with self._lock:
            for opened in self._open.values():
                opened.close()
            self._open.clear()


class UnknownRecordingError(GazeportError, LookupError):
    """No recording below the root has the id (or path) a request named; HTTP 404."""


class UnreadableRecordingError(GazeportError, ValueError):
    """The recording was found but cannot be opened; the message says why; HTTP 422."""
