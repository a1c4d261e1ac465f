"""Annotations of a recording, stored the way Pupil Player stores them.

Pupil Capture records annotations into ``annotation.pldata``; Pupil Player keeps its edited set in
``annotation_player.pldata`` (both in the recording folder, with ``*_timestamps.npy`` sidecars) and
the label/hotkey definitions in ``offline_data/annotation_definitions.json``. gazeport reads and
writes the same files so both tools can share a recording, and never modifies
``annotation.pldata``: the recorded set stays the way back (delete ``annotation_player.pldata``).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from ..errors import (
    CorruptFileError,
    FileWriteError,
    GazeportError,
    GazeportWarning,
    RecordingNotFoundError,
    StreamNotFoundError,
)
from ..formats.pldata import (
    PldataWriter,
    encode_datum,
    load_timestamps,
    read_datums,
    timestamps_path,
)
from .edit_lock import edit_lock, read_consistently

PLAYER_FILE = "annotation_player"  #: Player's edited set (rewritten by gazeport)
RECORDED_FILE = "annotation"  #: Capture's recorded set (never written)
DEFINITIONS_FILE = "annotation_definitions.json"
DEFINITIONS_VERSION = 1
#: Player's definitions when nothing is stored: label "My annotation" on hotkey "x".
PLAYER_DEFAULT_DEFINITIONS: dict[str, str] = {"My annotation": "x"}
RESERVED_KEYS = frozenset({"topic", "timestamp", "label", "duration"})


@dataclass
class Annotation:
    """One annotation: a labelled moment (or span) in Pupil time.

    ``duration`` is ``None`` only for stored datums without a ``duration`` key (old recordings);
    they keep it absent when written back, so exports stay identical to Player's.
    """

    timestamp: float  #: Pupil time [s]
    label: str
    duration: float | None = 0.0  #: [s]
    fields: dict[str, Any] = field(default_factory=dict)  #: custom keys, e.g. added_in_player

    def to_datum(self) -> dict[str, Any]:
        """The datum map as stored in ``.pldata``: topic, label, timestamp, duration, fields."""
        datum: dict[str, Any] = {
            "topic": "annotation",
            "label": self.label,
            "timestamp": self.timestamp,
        }
        if self.duration is not None:
            datum["duration"] = self.duration
        datum.update((k, v) for k, v in self.fields.items() if k not in RESERVED_KEYS)
        return datum

    @classmethod
    def from_datum(cls, datum: dict[str, Any], timestamp: float | None = None) -> Annotation:
        """Build from a decoded datum; ``timestamp`` is used when the datum has none."""
        ts = datum.get("timestamp", timestamp)
        if ts is None:
            raise ValueError("an annotation datum needs a timestamp")
        return cls(
            timestamp=ts,
            label=datum.get("label", ""),
            duration=datum.get("duration"),
            fields={k: v for k, v in datum.items() if k not in RESERVED_KEYS},
        )


def _check_rec_dir(rec_dir: Path) -> Path:
    rec_dir = Path(rec_dir)
    if not rec_dir.is_dir():
        raise RecordingNotFoundError(rec_dir)
    return rec_dir


def _read_file(rec_dir: Path, name: str) -> list[Annotation]:
    path = rec_dir / f"{name}.pldata"
    datums = read_datums(path)
    if not datums:
        return []
    ts_path = timestamps_path(path)
    ts = load_timestamps(ts_path)
    if ts is None:
        warnings.warn(
            f"{ts_path} is missing; the timestamps stored in the annotations are used instead.",
            GazeportWarning,
            stacklevel=3,
        )
    elif len(ts) != len(datums):
        raise CorruptFileError(
            f"{ts_path} holds {len(ts)} timestamps but {path} holds {len(datums)} annotations; "
            "restore the files from a backup or delete the timestamp file.",
            ts_path,
        )
    keys: list[float] = []
    annotations: list[Annotation] = []
    for i, datum in enumerate(datums):
        file_ts = float(ts[i]) if ts is not None else None
        if file_ts is None and "timestamp" not in datum:
            raise CorruptFileError(
                f"{path}: annotation {i} has no timestamp and {ts_path} is missing; restore "
                "the timestamp file.",
                path,
            )
        annotations.append(Annotation.from_datum(datum, file_ts))
        keys.append(file_ts if file_ts is not None else float(datum["timestamp"]))
    # Player keeps annotations sorted by the sidecar timestamps; a stable sort keeps file order
    # for equal timestamps.
    order = np.argsort(np.asarray(keys, dtype=np.float64), kind="stable")
    return [annotations[i] for i in order.tolist()]


def load_annotations(rec_dir: Path) -> list[Annotation]:
    """The recording's annotations sorted by time (Player's rule for which file counts).

    ``annotation_player.pldata`` is used unless it is missing or holds no record; then the
    recorded ``annotation.pldata``. No annotation file at all gives ``[]``. Reads under the
    shared edit lock (see :mod:`gazeport.recording.edit_lock`), so a concurrent edit is seen
    whole or not at all; reading never creates a file.
    """
    rec_dir = _check_rec_dir(rec_dir)
    return read_consistently(rec_dir, lambda: _load(rec_dir))


def _load(rec_dir: Path) -> list[Annotation]:
    return _read_file(rec_dir, PLAYER_FILE) or _read_file(rec_dir, RECORDED_FILE)


def _cannot_write(path: Path, exc: OSError, what: str) -> FileWriteError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return FileWriteError(
        f"Cannot write {path} ({reason}); the {what} are unchanged. Free some disk space or "
        "check the folder's permissions, then try again."
    )


def save_annotations(rec_dir: Path, annotations: Sequence[Annotation]) -> Path:
    """Rewrite ``annotation_player.pldata`` and its timestamps atomically; returns its path.

    Annotations are written sorted by timestamp (stable). Every value is encoded before the
    files are touched, so a value msgpack cannot hold raises ``ValueError`` and changes nothing;
    a failed write (a full disk) raises :class:`FileWriteError` and leaves the previous files
    and no temporary file. Holds the edit lock while writing.
    """
    rec_dir = _check_rec_dir(rec_dir)
    ordered = sorted(annotations, key=lambda a: float(a.timestamp))
    encoded: list[tuple[float, bytes]] = []
    for i, annotation in enumerate(ordered):
        try:
            payload = encode_datum(annotation.to_datum())
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(
                f"The annotation {annotation.label!r} at {annotation.timestamp} (number {i}) "
                f"cannot be stored: {exc}."
            ) from exc
        encoded.append((float(annotation.timestamp), payload))
    path = rec_dir / f"{PLAYER_FILE}.pldata"
    try:
        with edit_lock(rec_dir), PldataWriter(rec_dir, PLAYER_FILE) as writer:
            for ts, payload in encoded:
                writer.append_serialized(ts, "annotation", payload)
    except GazeportError:
        raise
    except OSError as exc:
        raise _cannot_write(path, exc, "annotations") from exc
    return path


def _checked_index(annotations: Sequence[Annotation], index: int) -> int:
    n = len(annotations)
    if not 0 <= index < n:
        if n == 0:
            raise StreamNotFoundError(f"There is no annotation number {index}; there are none.")
        raise StreamNotFoundError(
            f"There is no annotation number {index}; there are {n} (0 - {n - 1})."
        )
    return index


def add_annotation(rec_dir: Path, annotation: Annotation) -> list[Annotation]:
    """Add one annotation (marked ``added_in_player`` like Player does); returns the new list."""
    validate_label(annotation.label)
    new = Annotation(
        annotation.timestamp,
        annotation.label,
        annotation.duration,
        {**annotation.fields, "added_in_player": True},
    )
    with edit_lock(_check_rec_dir(rec_dir)):
        annotations = load_annotations(rec_dir)
        annotations.append(new)
        save_annotations(rec_dir, annotations)
        return load_annotations(rec_dir)


def edit_annotation(
    rec_dir: Path,
    index: int,
    *,
    label: str | None = None,
    timestamp: float | None = None,
    duration: float | None = None,
    fields: dict[str, Any] | None = None,
    remove_fields: Iterable[str] = (),
) -> list[Annotation]:
    """Change annotation ``index`` (position in the time-sorted list); returns the new list.

    ``fields`` are set (added or replaced), ``remove_fields`` deleted; removing a field that is
    not there raises ``KeyError``.
    """
    with edit_lock(_check_rec_dir(rec_dir)):
        annotations = load_annotations(rec_dir)
        _edit(annotations, index, label, timestamp, duration, fields, remove_fields)
        save_annotations(rec_dir, annotations)
        return load_annotations(rec_dir)


def _edit(
    annotations: list[Annotation],
    index: int,
    label: str | None,
    timestamp: float | None,
    duration: float | None,
    fields: dict[str, Any] | None,
    remove_fields: Iterable[str],
) -> None:
    a = annotations[_checked_index(annotations, index)]
    if label is not None:
        a.label = validate_label(label)
    if timestamp is not None:
        a.timestamp = float(timestamp)
    if duration is not None:
        if not np.isfinite(duration) or duration < 0:
            raise ValueError(f"The duration must be a finite number >= 0 seconds, not {duration}.")
        a.duration = float(duration)
    for key, value in (fields or {}).items():
        _check_key(key)
        a.fields[key] = value
    for key in remove_fields:
        if key not in a.fields:
            raise KeyError(f"Annotation {index} has no field {key!r}.")
        del a.fields[key]


def delete_annotation(rec_dir: Path, index: int) -> list[Annotation]:
    """Remove annotation ``index`` (position in the time-sorted list); returns the new list."""
    with edit_lock(_check_rec_dir(rec_dir)):
        annotations = load_annotations(rec_dir)
        del annotations[_checked_index(annotations, index)]
        save_annotations(rec_dir, annotations)
        return annotations


def _check_key(key: str) -> str:
    if not key or not key.strip():
        raise ValueError("A field needs a name before '='.")
    if key in RESERVED_KEYS:
        raise ValueError(
            f"{key!r} cannot be a custom field; it is one of the fixed keys "
            "topic, timestamp, label, duration."
        )
    return key


def parse_field(text: str) -> tuple[str, Any]:
    """``"key=value"`` -> ``(key, value)`` with value typed as int, float, bool or str."""
    key, sep, raw = text.partition("=")
    if not sep:
        raise ValueError(f"A field must be written as key=value, not {text!r}.")
    key = _check_key(key.strip())
    value: Any
    if raw.lower() in ("true", "false"):
        value = raw.lower() == "true"
    else:
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = raw
    return key, value


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text)


def validate_label(label: str) -> str:
    """Return ``label`` if usable: not blank and free of control characters."""
    if not isinstance(label, str) or not label.strip():
        raise ValueError("An annotation label must not be empty.")
    if _has_control(label):
        raise ValueError(f"The label {label!r} contains a control character; remove it.")
    return label


def timestamp_for(
    world_timestamps: np.ndarray,
    *,
    timestamp: float | None = None,
    frame: int | None = None,
    seconds: float | None = None,
) -> float:
    """Pupil time [s] for a new annotation from exactly one of the three ways to name a moment.

    ``frame``: the world frame's timestamp (what Player uses for the displayed frame);
    ``seconds``: seconds after the first world frame; ``timestamp``: Pupil time as is.
    """
    given = [v is not None for v in (timestamp, frame, seconds)]
    if sum(given) != 1:
        raise ValueError("Give exactly one of a timestamp, a frame index or seconds from start.")
    t = np.asarray(world_timestamps, dtype=np.float64)
    if timestamp is not None:
        if not np.isfinite(timestamp):
            raise ValueError(f"The timestamp must be a finite number, not {timestamp}.")
        return float(timestamp)
    if len(t) == 0:
        raise ValueError("The recording has no world frames to place the annotation on.")
    if frame is not None:
        if not 0 <= frame < len(t):
            raise ValueError(
                f"There is no world frame {frame}; the recording has frames 0 - {len(t) - 1}."
            )
        return float(t[frame])
    length = float(t[-1] - t[0])
    if seconds is None or not np.isfinite(seconds) or not 0 <= seconds <= length:
        raise ValueError(
            f"{seconds} s is outside the recording, which runs from 0 to {length:.3f} s."
        )
    return float(t[0] + seconds)


# --- definitions -------------------------------------------------------------------------------


def definitions_path(rec_dir: Path) -> Path:
    """``<rec>/offline_data/annotation_definitions.json``."""
    return Path(rec_dir) / "offline_data" / DEFINITIONS_FILE


def user_definitions_path() -> Path:
    """The per-user default definitions (same format as the recording's file)."""
    return platformdirs.user_config_path("gazeport") / DEFINITIONS_FILE


def _read_definitions(path: Path) -> dict[str, str]:
    """Parse a definitions file; raises ``ValueError`` saying what is wrong."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"it is not valid JSON ({exc})") from exc
    if not isinstance(content, dict):
        raise ValueError("it does not hold a JSON object")
    version = content.get("version", "unspecified")
    if version != DEFINITIONS_VERSION:
        raise ValueError(f"its version is {version}, expected {DEFINITIONS_VERSION}")
    if "definitions" not in content:
        raise ValueError('it has no "definitions"')
    definitions = content["definitions"]
    if not isinstance(definitions, dict) or not all(
        isinstance(v, str) for v in definitions.values()
    ):
        raise ValueError('its "definitions" is not an object of label: hotkey strings')
    return dict(definitions)


def _default_definitions() -> dict[str, str]:
    path = user_definitions_path()
    if path.is_file():
        try:
            return _read_definitions(path)
        except (ValueError, OSError) as exc:
            warnings.warn(
                f"Cannot use the annotation definitions in {path}: {exc}; using Player's default.",
                GazeportWarning,
                stacklevel=3,
            )
    return dict(PLAYER_DEFAULT_DEFINITIONS)


def load_definitions(rec_dir: Path) -> dict[str, str]:
    """Label -> hotkey definitions of the recording, or the defaults (Player's fallbacks).

    A missing file gives the defaults; an unreadable one a :class:`GazeportWarning` and the
    defaults. Defaults are the per-user file if valid, else ``{"My annotation": "x"}``.
    """
    path = definitions_path(_check_rec_dir(rec_dir))
    if not path.is_file():
        return _default_definitions()
    try:
        return _read_definitions(path)
    except (ValueError, OSError) as exc:
        warnings.warn(
            f"Cannot use the annotation definitions in {path}: {exc}; using the defaults.",
            GazeportWarning,
            stacklevel=2,
        )
    return _default_definitions()


def validate_definitions(definitions: dict[str, str]) -> dict[str, str]:
    """Check labels and hotkeys: no empty ones, and no hotkey used by two labels."""
    owner: dict[str, str] = {}
    for label, hotkey in definitions.items():
        validate_label(label)
        if not isinstance(hotkey, str) or not hotkey.strip():
            raise ValueError(f"The annotation {label!r} needs a hotkey.")
        if _has_control(hotkey):
            raise ValueError(f"The hotkey of {label!r} contains a control character.")
        if hotkey in owner:
            raise ValueError(
                f"The hotkey {hotkey!r} is used by both {owner[hotkey]!r} and {label!r}; "
                "give each label its own hotkey."
            )
        owner[hotkey] = label
    return definitions


def save_definitions(rec_dir: Path, definitions: dict[str, str]) -> Path:
    """Write ``offline_data/annotation_definitions.json`` atomically; returns its path.

    Holds the edit lock while writing; a failed write (a full disk) raises
    :class:`FileWriteError` and leaves the previous file and no temporary file.
    """
    validate_definitions(definitions)
    rec_dir = _check_rec_dir(rec_dir)
    path = definitions_path(rec_dir)
    content = {"version": DEFINITIONS_VERSION, "definitions": dict(definitions)}
    try:
        with edit_lock(rec_dir):
            _write_json(path, content)
    except GazeportError:
        raise
    except OSError as exc:
        raise _cannot_write(path, exc, "definitions") from exc
    return path


def _write_json(path: Path, content: dict[str, Any]) -> None:
    """Write ``content`` to a temporary file beside ``path``, ``fsync``, rename; no leftovers."""
    made_dir = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        tmp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(content, fh)  # Player's json.dump defaults
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        if made_dir:
            with contextlib.suppress(OSError):
                path.parent.rmdir()
        raise


def update_definitions(
    rec_dir: Path,
    *,
    set_: dict[str, str] | None = None,
    remove: Iterable[str] = (),
) -> dict[str, str]:
    """Add or change (``set_``) and remove label hotkeys in one locked step; returns the result.

    Starts from :func:`load_definitions` (so the defaults when the recording has none). Removing
    a label that is not defined raises ``KeyError``; invalid definitions ``ValueError``; in both
    cases nothing is written.
    """
    rec_dir = _check_rec_dir(rec_dir)
    with edit_lock(rec_dir):
        definitions = dict(load_definitions(rec_dir))
        definitions.update(set_ or {})
        for label in remove:
            if definitions.pop(label, None) is None:
                raise KeyError(f"There is no definition {label!r}.")
        save_definitions(rec_dir, definitions)
        return definitions
