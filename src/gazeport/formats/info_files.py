"""Recording info files, read into one :class:`RecordingInfo` without touching the recording.

* ``info.player.json`` — Pupil Player's own format (meta versions 2.0 to 2.3);
* ``info.csv`` of Pupil Capture before v1.16 and of Pupil Mobile (key/value CSV);
* ``info.json`` of Pupil Invisible.

Pupil Player converts the older files into ``info.player.json`` on disk; gazeport builds the same
values in memory instead, and lists in :attr:`RecordingInfo.inferred` what had to be guessed.
"""

from __future__ import annotations

import json
import math
import os
import re
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import GazeportWarning, InvalidInfoFileError, UnsupportedRecordingError
from .keyvalue_csv import read_key_value_file, read_text
from .pldata import load_timestamps

#: Newest ``info.player.json`` meta version gazeport (and Pupil Player v3.6) knows.
NEWEST_META_VERSION = "2.3"
_KNOWN_META_VERSIONS = ("2.0", "2.1", "2.2", "2.3")
_PLAYER_REQUIRED = (
    ("start_time_system_s", float),
    ("start_time_synced_s", float),
    ("duration_s", float),
    ("recording_software_name", str),
    ("recording_software_version", str),
)
_CAPTURE_DATE_FORMAT = "%d.%m.%Y %H:%M:%S"
_MOBILE_DATE_FORMAT = "%d:%m:%Y %H:%M:%S"
_VIDEO_TIMESTAMPS = re.compile(r"(world|eye0|eye1)(_\d+)?_timestamps\.npy")


@dataclass(frozen=True)
class RecordingInfo:
    """What a recording's info file says, in Pupil Player's ``info.player.json`` terms.

    Times are seconds: ``start_time_system_s`` is Unix epoch time, ``start_time_synced_s`` is
    Pupil time, both at the start of the recording.
    """

    meta_version: str
    min_player_version: str
    recording_uuid: str
    start_time_system_s: float
    start_time_synced_s: float
    duration_s: float
    recording_software_name: str
    recording_software_version: str
    recording_name: str
    system_info: str
    source_file: str
    inferred: tuple[str, ...] = ()

    @property
    def start_time_system_ns(self) -> int:
        """Recording start as Unix epoch nanoseconds."""
        return int(self.start_time_system_s * 1e9)

    @property
    def start_time_synced_ns(self) -> int:
        """Recording start in Pupil time, nanoseconds."""
        return int(self.start_time_synced_s * 1e9)

    @property
    def duration_ns(self) -> int:
        """Recording duration in nanoseconds."""
        return int(self.duration_s * 1e9)


def _version_tuple(text: str) -> tuple[int, ...] | None:
    """``"1.21.5"`` -> ``(1, 21, 5)``; trailing letters (``"2.9.19-stage"``) are ignored."""
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", text)
    if match is None:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def _default_min_player_version(meta: tuple[int, ...]) -> str:
    return "1.16" if meta < (2, 2) else "2.0"


def read_json_object(path: Path, remedy: str = "fix or restore the file") -> dict[str, Any]:
    """The JSON object in ``path``; :class:`InvalidInfoFileError` (ending with ``remedy``) when
    the file is not JSON or holds something else than an object."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInfoFileError(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            f"{remedy}."
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInfoFileError(
            f"{path} should hold a JSON object but holds a JSON {type(data).__name__}; {remedy}."
        )
    return data


def _json_type(value: Any) -> str:
    names = {type(None): "null", bool: "boolean", int: "number", float: "number", str: "string"}
    return names.get(type(value), "array" if isinstance(value, list) else "object")


def _checked(path: Path, key: str, value: Any, expected: type) -> Any:
    """``value`` if it has the expected JSON type (ints pass as floats), else a gazeport error."""
    if expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value):
                return float(value)
            raise InvalidInfoFileError(f'{path}: "{key}" is {value}, which is not a finite number.')
        expected_name = "a number"
    else:
        if isinstance(value, str):
            return value
        expected_name = "a string"
    raise InvalidInfoFileError(
        f'{path}: "{key}" should be {expected_name} but is a JSON {_json_type(value)} '
        f"({json.dumps(value)[:60]}); fix the value."
    )


#: Namespace of the UUIDs gazeport derives for recordings whose info file has none.
_UUID_NAMESPACE = uuid.UUID("5b0f7e52-3c1e-4d52-9a7c-6a2f0e8c9d41")


def stable_uuid(info_path: Path, *start: object) -> str:
    """A recording id for an info file without one: a UUID (version 5) of the folder's name and
    its start times, the same every time the recording is opened. Pupil Player writes a random
    ``uuid4`` into the file instead; gazeport never writes into a recording, and the label
    store and exports need an id that does not change between runs."""
    name = Path(os.path.abspath(info_path)).parent.name
    return str(uuid.uuid5(_UUID_NAMESPACE, "|".join([name, *map(repr, start)])))


def read_player_info(path: Path) -> RecordingInfo:
    """Read ``info.player.json`` (PPRF 2.0, meta versions 2.0 to 2.3).

    Unlike Pupil Player, integer time values are accepted. Unknown newer meta versions are read
    with the 2.3 layout and a :class:`GazeportWarning`.
    """
    path = Path(path)
    data = read_json_object(path)
    inferred: list[str] = []

    def optional_str(key: str) -> str | None:
        value = data.get(key)
        if value is None:
            inferred.append(key)
            return None
        return str(_checked(path, key, value, str))

    meta_version = optional_str("meta_version") or "2.0"
    if re.fullmatch(r"\d+(\.\d+)*", meta_version) is None:
        raise InvalidInfoFileError(
            f'{path}: "meta_version" is {meta_version!r}, which is not a version number; '
            f"expected one of {', '.join(_KNOWN_META_VERSIONS)}."
        )
    meta = _version_tuple(meta_version) or (2, 0)
    min_player_version = optional_str("min_player_version")
    if meta < (2, 0):
        raise InvalidInfoFileError(
            f'{path}: "meta_version" {meta_version} is unknown; Pupil recordings use '
            f"{', '.join(_KNOWN_META_VERSIONS)}."
        )
    if meta > (2, 3, 0) and min_player_version is None:
        raise UnsupportedRecordingError(
            f"{path} has meta_version {meta_version}, newer than the newest gazeport knows "
            f"({NEWEST_META_VERSION}), and no min_player_version; update gazeport."
        )
    if meta > (2, 3, 0):
        warnings.warn(
            f"{path} has meta_version {meta_version}, newer than the newest gazeport knows "
            f"({NEWEST_META_VERSION}); reading it as {NEWEST_META_VERSION} "
            f"(it asks for Pupil Player >= {min_player_version}).",
            GazeportWarning,
            stacklevel=2,
        )
    if min_player_version is None:
        min_player_version = _default_min_player_version(meta)

    values: dict[str, Any] = {}
    for key, expected in _PLAYER_REQUIRED:
        if key not in data:
            raise InvalidInfoFileError(
                f'{path} is missing the required key "{key}"; restore the file or add the key '
                "(Pupil Capture writes it when a recording stops)."
            )
        values[key] = _checked(path, key, data[key], expected)

    recording_uuid = optional_str("recording_uuid")
    if not recording_uuid:
        if recording_uuid == "":
            inferred.append("recording_uuid")
        recording_uuid = stable_uuid(
            path, values["start_time_system_s"], values["start_time_synced_s"]
        )
    recording_name = optional_str("recording_name")
    if recording_name is None:
        recording_name = path.absolute().parent.name
    system_info = optional_str("system_info") or ""
    return RecordingInfo(
        meta_version=meta_version,
        min_player_version=min_player_version,
        recording_uuid=recording_uuid,
        recording_name=recording_name,
        system_info=system_info,
        source_file=path.name,
        inferred=tuple(inferred),
        **values,
    )


def _required(path: Path, kv: Mapping[str, str], key: str, hint: str) -> str:
    if key not in kv:
        raise InvalidInfoFileError(f'{path} has no "{key}" entry; {hint}')
    return kv[key]


def _number(path: Path, key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInfoFileError(f'{path}: "{key}" is {text!r}, which is not a number.')
    return value


def _duration(path: Path, key: str, text: str) -> float:
    """``"H:M:S"`` (any number of colon-separated fields) -> seconds."""
    seconds = 0.0
    for part in text.strip().split(":"):
        if not re.fullmatch(r"\d+(\.\d*)?", part.strip()):
            raise InvalidInfoFileError(
                f'{path}: "{key}" is {text!r}, which is not a duration like 00:01:30.'
            )
        seconds = seconds * 60 + float(part)
    return seconds


def _start_from_date(path: Path, kv: Mapping[str, str], date_format: str, hint: str) -> float:
    """Unix seconds of the local ``Start Date`` + ``Start Time`` (1-s resolution)."""
    if "Start Date" not in kv or "Start Time" not in kv:
        raise InvalidInfoFileError(
            f'{path} has no "Start Time (System)" entry and no "Start Date" and "Start Time" '
            f"to infer it from; {hint}"
        )
    date, clock = kv["Start Date"], kv["Start Time"]
    try:
        return datetime.strptime(f"{date} {clock}", date_format).timestamp()
    except ValueError as exc:
        raise InvalidInfoFileError(
            f'{path}: "Start Date" {date!r} and "Start Time" {clock!r} do not form a date '
            f"like {datetime(2019, 10, 31, 13, 5, 0).strftime(date_format)}."
        ) from exc


def _csv_info(
    path: Path,
    kv: Mapping[str, str],
    *,
    hint: str,
    date_format: str,
    synced_fallback: Callable[[], float | None] | None,
    meta_version: str,
    min_player_version: str,
) -> RecordingInfo:
    """Build the PPRF 2.0 values from an ``info.csv`` key/value map."""
    inferred: list[str] = []
    software_version = _required(path, kv, "Capture Software Version", hint)
    duration_s = _duration(path, "Duration Time", _required(path, kv, "Duration Time", hint))

    if "Start Time (System)" in kv:
        system_s = _number(path, "Start Time (System)", kv["Start Time (System)"])
    else:
        system_s = _start_from_date(path, kv, date_format, hint)
        inferred.append("start_time_system_s")

    if "Start Time (Synced)" in kv:
        synced_s = _number(path, "Start Time (Synced)", kv["Start Time (Synced)"])
    else:
        if synced_fallback is None:
            raise InvalidInfoFileError(f'{path} has no "Start Time (Synced)" entry; {hint}')
        first = synced_fallback()
        if first is None:
            raise InvalidInfoFileError(
                f'{path} has no "Start Time (Synced)" entry and there are no world or eye '
                f"timestamps to infer it from; {hint}"
            )
        synced_s = float(first)
        inferred.append("start_time_synced_s")

    def text(key: str, field: str, default: str) -> str:
        if key in kv:
            return kv[key]
        inferred.append(field)
        return default

    software_name = text("Capture Software", "recording_software_name", "Pupil Capture")
    recording_uuid = text("Recording UUID", "recording_uuid", "") or stable_uuid(
        path, system_s, synced_s
    )
    recording_name = text("Recording Name", "recording_name", path.absolute().parent.name)
    system_info = text("System Info", "system_info", "")
    return RecordingInfo(
        meta_version=meta_version,
        min_player_version=min_player_version,
        recording_uuid=recording_uuid,
        start_time_system_s=system_s,
        start_time_synced_s=synced_s,
        duration_s=duration_s,
        recording_software_name=software_name,
        recording_software_version=software_version,
        recording_name=recording_name,
        system_info=system_info,
        source_file=path.name,
        inferred=tuple(inferred),
    )


def first_video_timestamp(rec_dir: Path) -> float | None:
    """Smallest first timestamp over the world/eye0/eye1 ``*_timestamps.npy`` files, or None.

    This is what Pupil Player takes as ``start_time_synced_s`` when a legacy ``info.csv`` lacks
    ``Start Time (Synced)``.
    """
    firsts = []
    for entry in sorted(Path(rec_dir).iterdir()):
        if _VIDEO_TIMESTAMPS.fullmatch(entry.name):
            timestamps = load_timestamps(entry)
            if timestamps is not None and timestamps.size:
                firsts.append(float(timestamps[0]))
    return min(firsts) if firsts else None


def read_old_style_info(path: Path, first_timestamps: Callable[[], float | None]) -> RecordingInfo:
    """Read the legacy ``info.csv`` of Pupil Capture < v1.16 (or a Mobile recording opened once).

    ``first_timestamps`` is called only when ``Start Time (Synced)`` is missing and should return
    the smallest first world/eye timestamp (see :func:`first_video_timestamp`).
    """
    path = Path(path)
    kv = read_key_value_file(path)
    is_mobile = kv.get("Capture Software") == "Pupil Mobile"
    return _csv_info(
        path,
        kv,
        hint="the recording is too old or incomplete to be opened; restore its original info.csv.",
        date_format=_MOBILE_DATE_FORMAT if is_mobile else _CAPTURE_DATE_FORMAT,
        synced_fallback=first_timestamps,
        meta_version="2.0",
        min_player_version="1.16",
    )


def read_mobile_info(path: Path) -> RecordingInfo:
    """Read the ``info.csv`` of a Pupil Mobile recording never opened in Pupil Player.

    Pupil Mobile 1.3 and newer are not supported (nor by Pupil Player).
    """
    path = Path(path)
    kv = read_key_value_file(path)
    hint = (
        "this Pupil Mobile recording needs a data format update first: open it once in "
        "Pupil Player v1.17, then open it with gazeport."
    )
    version_text = _required(path, kv, "Capture Software Version", hint)
    version = _version_tuple(version_text)
    if version is None:
        raise InvalidInfoFileError(
            f'{path}: "Capture Software Version" is {version_text!r}, which is not a version '
            "number."
        )
    if version >= (1, 3):
        raise UnsupportedRecordingError(
            f"{path.parent} was recorded with Pupil Mobile {version_text}; only recordings of "
            "Pupil Mobile older than 1.3 can be opened (Pupil Player cannot open them either)."
        )
    _required(path, kv, "Capture Software", hint)
    return _csv_info(
        path,
        kv,
        hint=hint,
        date_format=_MOBILE_DATE_FORMAT,
        synced_fallback=None,
        meta_version=NEWEST_META_VERSION,
        min_player_version="2.0",
    )


def read_invisible_info(path: Path) -> tuple[RecordingInfo, dict[str, Any]]:
    """Read a Pupil Invisible ``info.json``; returns the info and the raw JSON object.

    Both start times are the Unix start time, as Pupil Player's conversion writes them (see
    :func:`wall_clock_offset_s`). Data format versions above 1.4 raise
    :class:`UnsupportedRecordingError`.
    """
    path = Path(path)
    data = read_json_object(path)
    inferred: list[str] = []
    if "data_format_version" not in data:
        raise InvalidInfoFileError(
            f'{path} has no "data_format_version" key, so it is not a Pupil Invisible info file.'
        )
    format_text = str(data["data_format_version"])
    format_version = _version_tuple(format_text)
    if format_version is None:
        raise InvalidInfoFileError(
            f'{path}: "data_format_version" is {format_text!r}, which is not a version number.'
        )
    if format_version > (1, 4):
        kind = "a Neon recording" if format_version[0] >= 2 else "too new"
        raise UnsupportedRecordingError(
            f"{path} has data_format_version {format_text} ({kind}); gazeport reads Pupil "
            "Invisible recordings up to data format 1.4."
        )

    def required(key: str, expected: type) -> Any:
        if key not in data:
            raise InvalidInfoFileError(f'{path} is missing the required key "{key}".')
        _checked(path, key, data[key], expected)
        # int, not float: a float cannot hold every Unix time in nanoseconds exactly
        return int(data[key]) if expected is float else data[key]

    start_ns, duration_ns = required("start_time", float), required("duration", float)
    app_version = required("app_version", str)
    recording_id = data.get("recording_id")
    if recording_id is None:
        inferred.append("recording_uuid")
        recording_id = stable_uuid(path, start_ns, duration_ns)
    device = "; ".join(
        f"Android device {label}: {_or_question_mark(data.get('android_device_' + key))}"
        for label, key in (("ID", "id"), ("name", "name"), ("model", "model"))
    )
    info = RecordingInfo(
        meta_version="2.1",
        min_player_version="1.16",
        recording_uuid=str(_checked(path, "recording_id", recording_id, str)),
        start_time_system_s=start_ns / 1e9,
        start_time_synced_s=start_ns / 1e9,
        duration_s=duration_ns / 1e9,
        recording_software_name="Pupil Invisible",
        recording_software_version=app_version,
        recording_name=path.absolute().parent.name,
        system_info=device,
        source_file=path.name,
        inferred=tuple(inferred),
    )
    return info, data


def _or_question_mark(value: Any) -> str:
    return "?" if value is None else str(value)


def wall_clock_offset_s(info: RecordingInfo, is_invisible: bool) -> float:
    """Seconds to add to a Pupil timestamp to get Unix epoch seconds (UTC).

    Pupil Invisible timestamps are rebased to start at 0 while both start times hold the Unix
    start, so the offset is the Unix start itself; otherwise it is system minus synced start.
    """
    if is_invisible:
        return info.start_time_system_s
    return info.start_time_system_s - info.start_time_synced_s
