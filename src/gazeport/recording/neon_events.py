"""Events of a Neon recording, stored where and how Neon Player v6 keeps the events it edits.

Neon Player v6.0.13 (pupil-labs/neon-player@acd0ec1, ``plugins/events.py``) keeps two files in
the recording folder, both JSON (see docs/compatibility.md, "Events on Neon recordings"):

* ``.neon_player/cache/EventsPlugin/events.json``: ``{event type uid: [UTC ns, ...]}``, the
  whole event set the player shows, recording events included (it seeds the file from
  ``event.txt``/``event.time`` on first open). ``recording.begin``/``recording.end`` have their
  name as uid; every other type a random UUID4.
* ``.neon_player/settings.json``: ``plugin_states.EventsPlugin.event_types``, a list of
  ``{"name", "shortcut", "uid"}`` that gives the uids their names. Neon Player refuses to load an
  ``events.json`` that holds a uid of no known type, so a new type is written here first.

gazeport reads and writes the same two files, so both tools show the same events; it never
writes ``event.txt``/``event.time``. Writes are a temporary file plus a rename, under the edit
lock of :mod:`gazeport.recording.edit_lock`, whose lock file sits in ``.neon_player/`` so the
recording's own folder gains nothing but Neon Player's folder. Neon Player itself neither locks
nor re-reads these files while a recording is open: edit a recording in one tool at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CorruptFileError, FileWriteError, GazeportError, StreamNotFoundError
from .annotations import validate_label
from .edit_lock import edit_lock, read_consistently

PLAYER_DIR = ".neon_player"  #: Neon Player's folder inside the recording
EVENTS_FILE = f"{PLAYER_DIR}/cache/EventsPlugin/events.json"
SETTINGS_FILE = f"{PLAYER_DIR}/settings.json"
#: Neon Player's immutable events: never added, changed or deleted; uid == name.
RESERVED_NAMES = ("recording.begin", "recording.end")
#: Neon Player's built-in plugin defaults (``GeneralSettings``), for a settings.json made anew.
PLAYER_DEFAULT_PLUGINS = {
    "GazeDataPlugin": True,
    "AudioPlugin": True,
    "SceneRendererPlugin": True,
    "EventsPlugin": True,
    "ExportAllPlugin": True,
}
#: Neon Player's global settings, whose ``default_plugins`` a new settings.json starts from.
GLOBAL_SETTINGS = Path("Pupil Labs") / "Neon Player" / "settings.json"  # under the home folder

EVENT_DTYPE = np.dtype([("timestamp_ns", "<i8"), ("name", object), ("type", object)])


def events_path(rec_dir: Path | str) -> Path:
    """``<rec>/.neon_player/cache/EventsPlugin/events.json``."""
    return Path(rec_dir) / EVENTS_FILE


def settings_path(rec_dir: Path | str) -> Path:
    """``<rec>/.neon_player/settings.json``."""
    return Path(rec_dir) / SETTINGS_FILE


@dataclass
class _Store:
    """What the two files hold: ``events`` uid -> ns (file order), ``settings`` (or ``None``)."""

    events: dict[str, list[int]] | None
    settings: dict[str, Any] | None

    def types(self) -> list[dict[str, Any]]:
        """``plugin_states.EventsPlugin.event_types`` (empty when the settings have none)."""
        if self.settings is None:
            return []
        states = self.settings.get("plugin_states")
        plugin = states.get("EventsPlugin") if isinstance(states, dict) else None
        types = plugin.get("event_types") if isinstance(plugin, dict) else None
        return [t for t in types if isinstance(t, dict)] if isinstance(types, list) else []

    def names(self) -> dict[str, str]:
        """uid -> name; Neon Player's fallback for a uid without a type is the uid itself."""
        names = {str(t.get("uid")): str(t.get("name")) for t in self.types()}
        return {uid: names.get(uid, uid) for uid in self.events or {}}

    def uid_for(self, name: str) -> str:
        """The uid of type ``name``, making the type (random UUID4, no shortcut) if needed."""
        if name in RESERVED_NAMES:
            return name
        for t in self.types():
            if t.get("name") == name and isinstance(t.get("uid"), str):
                return str(t["uid"])
        uid = str(uuid.uuid4())
        settings = self.settings if self.settings is not None else {}
        self.settings = settings
        states = settings.setdefault("plugin_states", {})
        plugin = states.setdefault("EventsPlugin", {})
        types = plugin.get("event_types")
        if not isinstance(types, list):
            types = plugin["event_types"] = []
        types.append({"name": name, "shortcut": "", "uid": uid})
        return uid


def _corrupt(path: Path, what: str) -> CorruptFileError:
    return CorruptFileError(
        f"{path} {what}, so gazeport cannot read the events Neon Player keeps there; repair or "
        "delete the file (Neon Player then starts again from the recording's own events).",
        path,
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _corrupt(path, f"is not valid JSON ({exc})") from None


def _as_ns(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _read_events(path: Path) -> dict[str, list[int]] | None:
    content = _read_json(path)
    if content is None and not path.exists():
        return None
    if not isinstance(content, dict):
        raise _corrupt(path, "does not hold a JSON object of event type: timestamps")
    events: dict[str, list[int]] = {}
    for uid, stamps in content.items():
        ns = [_as_ns(v) for v in stamps] if isinstance(stamps, list) else [None]
        if any(v is None for v in ns):
            raise _corrupt(path, f"holds a value for {uid!r} that is not a list of integer ns")
        events[uid] = [int(v) for v in ns if v is not None]
    return events


def _read_settings(path: Path) -> dict[str, Any] | None:
    content = _read_json(path)
    if content is None and not path.exists():
        return None
    if not isinstance(content, dict):
        raise _corrupt(path, "does not hold a JSON object")
    return content


def _read(rec_dir: Path) -> _Store:
    return _Store(_read_events(events_path(rec_dir)), _read_settings(settings_path(rec_dir)))


def _load(rec_dir: Path) -> _Store:
    """Both files, read under the shared lock so a concurrent edit is seen whole or not at all."""
    return read_consistently(rec_dir / PLAYER_DIR, lambda: _read(rec_dir))


def event_table(rec_dir: Path | str, native: np.ndarray) -> np.ndarray:
    """The events Neon Player shows, as ``EVENT_DTYPE`` rows sorted by time (stable).

    ``native`` holds the recording's own events (``timestamp_ns``, ``name``). Without an
    ``events.json`` these are the events (Neon Player seeds the file from them). With one, its
    events count; ``type`` is ``"recording"`` where name and timestamp match a native event,
    else ``"player"`` (Neon Player's rule for ``events.csv``). Never writes.
    """
    return _table(_load(Path(rec_dir)), native)


def _table(store: _Store, native: np.ndarray) -> np.ndarray:
    if store.events is None:
        out = np.empty(len(native), dtype=EVENT_DTYPE)
        out["timestamp_ns"] = native["timestamp_ns"]
        out["name"] = native["name"]
        out["type"] = "recording"
    else:
        names = store.names()
        pairs = [(ts, names[uid]) for uid, stamps in store.events.items() for ts in stamps]
        out = np.empty(len(pairs), dtype=EVENT_DTYPE)
        if pairs:
            out["timestamp_ns"] = [ts for ts, _ in pairs]
            out["name"] = [name for _, name in pairs]
        known = set(zip(native["timestamp_ns"].tolist(), native["name"].tolist(), strict=True))
        out["type"] = ["recording" if pair in known else "player" for pair in pairs]
    return out[np.argsort(out["timestamp_ns"], kind="stable")]


def _default_plugins() -> dict[str, Any]:
    """``default_plugins`` of Neon Player's global settings if readable, else its built-ins."""
    with contextlib.suppress(OSError, ValueError):
        content = json.loads((Path.home() / GLOBAL_SETTINGS).read_text(encoding="utf-8"))
        plugins = content.get("default_plugins") if isinstance(content, dict) else None
        if isinstance(plugins, dict) and plugins:
            return dict(plugins)
    return dict(PLAYER_DEFAULT_PLUGINS)


def _seed(store: _Store, native: np.ndarray, window_ns: tuple[int, int]) -> None:
    """Start ``events.json`` (and settings.json) as Neon Player does on a recording's first open.

    Every native event, grouped by name in order of first appearance; a settings.json made
    here holds the export window, the default plugins and the event types.
    """
    if store.settings is None:
        store.settings = {
            "export_window": [int(window_ns[0]), int(window_ns[1])],
            "enabled_plugins": _default_plugins(),
            "plugin_states": {"EventsPlugin": {"event_types": []}},
        }
    events: dict[str, list[int]] = {}
    for ts, name in zip(native["timestamp_ns"].tolist(), native["name"].tolist(), strict=True):
        events.setdefault(store.uid_for(str(name)), []).append(int(ts))
    store.events = events


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, ``fsync``, rename; no leftovers.

    The temporary file is created with mode 0o666 less the umask, as Neon Player's own files.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def _save(rec_dir: Path, store: _Store) -> None:
    """Write settings.json (new types first: an unused type is harmless), then events.json.

    The text is Neon Player's: settings as its ``ComplexEncoder`` (``indent="\\t"``), events as
    plain ``json.dump``; both ASCII-escaped, no trailing newline.
    """
    for path, content, indent in (
        (settings_path(rec_dir), store.settings, "\t"),
        (events_path(rec_dir), store.events, None),
    ):
        try:
            _write_text(path, json.dumps(content, indent=indent))
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise FileWriteError(
                f"Cannot write {path} ({reason}); the events are unchanged. Free some disk "
                "space or check the folder's permissions, then try again."
            ) from exc


@contextlib.contextmanager
def _editing(rec_dir: Path, native: np.ndarray, window_ns: tuple[int, int]) -> Iterator[_Store]:
    """Hold the edit lock across read-modify-write; saves when the block ends without error."""
    (rec_dir / PLAYER_DIR).mkdir(exist_ok=True)
    with edit_lock(rec_dir / PLAYER_DIR):
        store = _read(rec_dir)
        if store.events is None:
            _seed(store, native, window_ns)
        yield store
        _save(rec_dir, store)


def check_name(name: str) -> str:
    """``name`` if it can be a new player event: a usable label, not a reserved name."""
    validate_label(name)
    if name in RESERVED_NAMES:
        raise ValueError(
            f"{name!r} is reserved by Neon Player for the recording's own start and end; "
            "choose another name."
        )
    return name


def check_time(timestamp_ns: int, window_ns: tuple[int, int]) -> int:
    """``timestamp_ns`` if it lies in the recording (start to start plus duration, UTC ns)."""
    start, stop = window_ns
    if not start <= int(timestamp_ns) <= stop:
        raise ValueError(
            f"{(int(timestamp_ns) - start) / 1e9:.3f} s is outside the recording, which runs "
            f"from 0 to {(stop - start) / 1e9:.3f} s."
        )
    return int(timestamp_ns)


def add_event(
    rec_dir: Path | str,
    name: str,
    timestamp_ns: int,
    *,
    native: np.ndarray,
    window_ns: tuple[int, int],
) -> None:
    """Add player event ``name`` at ``timestamp_ns`` (UTC ns), as Neon Player's ``add_events``.

    ``native`` are the recording's own events (to seed a missing ``events.json``), ``window_ns``
    the recording's span (start, start + duration).
    """
    check_name(name)
    ts = check_time(timestamp_ns, window_ns)
    with _editing(Path(rec_dir), native, window_ns) as store:
        assert store.events is not None  # seeded by _editing
        store.events.setdefault(store.uid_for(name), []).append(ts)


def _pick(table: np.ndarray, index: int) -> tuple[int, str]:
    n = len(table)
    if not 0 <= index < n:
        there = "there are none" if n == 0 else f"there are {n} (0 - {n - 1})"
        raise StreamNotFoundError(f"There is no event number {index}; {there}.")
    row = table[index]
    if row["type"] == "recording" or row["name"] in RESERVED_NAMES:
        raise GazeportError(
            f"Event {index} ({row['name']}) is one of the recording's own events, which "
            "gazeport never changes; only events added in Neon Player or gazeport can be "
            "edited or deleted."
        )
    return int(row["timestamp_ns"]), str(row["name"])


def _remove(store: _Store, ts: int, name: str) -> None:
    """Remove one instance of ``name`` at ``ts``; a type left without events loses its key."""
    assert store.events is not None
    names = store.names()
    for uid, stamps in store.events.items():
        if names[uid] == name and ts in stamps:
            stamps.remove(ts)
            if not stamps:
                del store.events[uid]
            return
    raise GazeportError(  # pragma: no cover - only if events.json changed under the lock
        f"The event {name!r} at {ts} ns is no longer in {EVENTS_FILE}; list the events again."
    )


def edit_event(
    rec_dir: Path | str,
    index: int,
    *,
    name: str | None = None,
    timestamp_ns: int | None = None,
    native: np.ndarray,
    window_ns: tuple[int, int],
) -> None:
    """Rename and/or move player event ``index`` (its number in :func:`event_table`)."""
    rec_dir = Path(rec_dir)
    if name is not None:
        check_name(name)
    if timestamp_ns is not None:
        check_time(timestamp_ns, window_ns)
    _pick(event_table(rec_dir, native), index)  # refuse before creating any file
    with _editing(rec_dir, native, window_ns) as store:
        old_ts, old_name = _pick(_table(store, native), index)
        _remove(store, old_ts, old_name)
        new_name = old_name if name is None else name
        new_ts = old_ts if timestamp_ns is None else int(timestamp_ns)
        assert store.events is not None
        store.events.setdefault(store.uid_for(new_name), []).append(new_ts)


def delete_event(
    rec_dir: Path | str, index: int, *, native: np.ndarray, window_ns: tuple[int, int]
) -> None:
    """Delete player event ``index`` (its number in :func:`event_table`); one instance only."""
    rec_dir = Path(rec_dir)
    _pick(event_table(rec_dir, native), index)  # refuse before creating any file
    with _editing(rec_dir, native, window_ns) as store:
        ts, name = _pick(_table(store, native), index)
        _remove(store, ts, name)


def event_shortcuts(rec_dir: Path | str) -> dict[str, str]:
    """Event type name -> keyboard shortcut, from ``settings.json`` (Neon Player's hotkeys)."""
    store = _load(Path(rec_dir))
    return {str(t.get("name")): str(t.get("shortcut") or "") for t in store.types()}
