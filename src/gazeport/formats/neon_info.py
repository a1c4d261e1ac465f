"""The JSON metadata of a native Neon recording: ``info.json``, ``wearer.json``, ``template.json``.

The Neon Companion app writes them compact; reformatted copies (prettier, an editor) read the
same. Times are int64 UTC nanoseconds, kept exact (never through a float). Keys the app may add
later are kept in :attr:`NeonInfo.raw`.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GazeportWarning, InvalidInfoFileError, UnsupportedRecordingError
from .info_files import read_json_object
from .lfs_pointer import check_not_lfs_pointer

#: Neon data-format versions this reader knows (2.3 and 2.5 are tested on real recordings; 2.4
#: lies between them, and the stream layouts of all three are described by ``.dtype`` files or
#: the 2.3 fallbacks).
KNOWN_DATA_FORMAT_VERSIONS = ("2.3", "2.4", "2.5")


@dataclass(frozen=True)
class NeonInfo:
    """What a Neon ``info.json`` says. Absent optional keys are None.

    ``gaze_offset_px`` is the offset (x, y) in scene-camera pixels that the app already applied
    to the real-time gaze; ``wearer_ied_mm`` is the wearer's inter-eye distance; ``raw`` is the
    whole JSON object in file order (for exports that copy it).
    """

    recording_id: str
    data_format_version: str
    app_version: str
    start_time_ns: int
    duration_ns: int
    workspace_id: str | None = None
    android_device_id: str | None = None
    android_device_name: str | None = None
    android_device_model: str | None = None
    module_serial_number: str | None = None
    wearer_id: str | None = None
    template_id: str | None = None
    recording_name: str | None = None
    gaze_offset_px: tuple[float, float] = (0.0, 0.0)
    calib_version: int | None = None
    pipeline_version: str | None = None
    os_version: str | None = None
    frame_id: str | None = None
    frame_name: str | None = None
    firmware_version: tuple[int, ...] = ()
    gaze_frequency_hz: int | None = None
    wearer_ied_mm: float | None = None
    gaze_mode: str | None = None
    source_file: str = "info.json"
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def stop_time_ns(self) -> int:
        """Recording end, UTC ns: start plus duration (streams may run a little past it)."""
        return self.start_time_ns + self.duration_ns

    @property
    def app_version_tuple(self) -> tuple[int, ...]:
        """The numeric part of ``app_version`` (``"2.9.19-stage"`` -> ``(2, 9, 19)``); () if none."""
        match = re.match(r"\s*v?(\d+(?:\.\d+)*)", self.app_version)
        return tuple(int(part) for part in match.group(1).split(".")) if match else ()

    @property
    def template_answers(self) -> Mapping[str, tuple[str, ...]]:
        """The answers given in the app's template form, by template item id."""
        data = self.raw.get("template_data")
        answers = data.get("data") if isinstance(data, Mapping) else None
        if not isinstance(answers, Mapping):
            return {}
        return {
            str(key): tuple(str(a) for a in (value if isinstance(value, list) else [value]))
            for key, value in answers.items()
        }


@dataclass(frozen=True)
class NeonWearer:
    """``wearer.json``: the wearer's ``uuid`` (== ``info.wearer_id``) and display ``name``."""

    uuid: str
    name: str


@dataclass(frozen=True)
class TemplateItem:
    """One question of a recording template (``widget_type`` e.g. ``"PARAGRAPH"``)."""

    id: str
    title: str
    widget_type: str | None = None
    input_type: str | None = None
    required: bool = False
    help_text: str | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class NeonTemplate:
    """``template.json``: the form the wearer filled in; the answers are in ``info.json``."""

    id: str
    name: str
    description: str | None
    items: tuple[TemplateItem, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class TemplateAnswer:
    """A template question with the answers given for it (empty strings when left blank)."""

    item: TemplateItem
    answers: tuple[str, ...]


def _read_object(path: Path) -> dict[str, Any]:
    check_not_lfs_pointer(path)
    return read_json_object(path, "restore the file from the original recording")


class _Fields:
    """Typed access to the keys of one JSON object, with errors that name the file and key."""

    def __init__(self, path: Path, data: Mapping[str, Any]) -> None:
        self.path, self.data = path, data

    def _bad(self, key: str, expected: str) -> InvalidInfoFileError:
        shown = json.dumps(self.data[key])[:60]
        return InvalidInfoFileError(
            f'{self.path}: "{key}" should be {expected} but is {shown}; restore the file from '
            "the original recording."
        )

    def present(self, key: str, required: bool) -> bool:
        if key in self.data and self.data[key] is not None:
            return True
        if required:
            raise InvalidInfoFileError(
                f'{self.path} is missing the required key "{key}"; restore the file from the '
                "original recording."
            )
        return False

    def text(self, key: str, required: bool = False) -> str | None:
        if not self.present(key, required):
            return None
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self._bad(key, "a string")
        return str(value)

    def integer(self, key: str, required: bool = False) -> int | None:
        if not self.present(key, required):
            return None
        value = self.data[key]
        # JSON floats cannot hold every ns time exactly; an integral float is accepted as is.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bad(key, "an integer")
        return value

    def number(self, key: str) -> float | None:
        if not self.present(key, False):
            return None
        value = self.data[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise self._bad(key, "a finite number")
        return float(value)

    def numbers(self, key: str, count: int | None, kind: type) -> tuple[Any, ...] | None:
        if not self.present(key, False):
            return None
        value = self.data[key]
        ok = isinstance(value, list) and (count is None or len(value) == count)
        ok = ok and all(
            isinstance(v, (int, float) if kind is float else int)
            and not isinstance(v, bool)
            and math.isfinite(v)
            for v in value
        )
        if not ok:
            size = f"{count} " if count else ""
            raise self._bad(key, f"a list of {size}{'numbers' if kind is float else 'integers'}")
        return tuple(kind(v) for v in value)


def check_data_format_version(version: str, path: Path | str) -> None:
    """Raise :class:`UnsupportedRecordingError` unless ``version`` is a known Neon format."""
    if version not in KNOWN_DATA_FORMAT_VERSIONS:
        raise UnsupportedRecordingError(
            f'{path} has data_format_version "{version}", which gazeport does not know (it reads '
            f"Neon data formats {', '.join(KNOWN_DATA_FORMAT_VERSIONS)}); update gazeport, or "
            "report the version with a sample recording."
        )


def read_neon_info(path: Path | str) -> NeonInfo:
    """Read a Neon ``info.json``.

    A missing file raises :class:`NoInfoFileError`; bad JSON, a missing required key
    (``recording_id``, ``data_format_version``, ``app_version``, ``start_time``, ``duration``) or
    a value of the wrong type raise :class:`InvalidInfoFileError`; an unknown data-format version
    raises :class:`UnsupportedRecordingError`; a Git LFS pointer raises
    :class:`CorruptFileError`.
    """
    path = Path(path)
    data = _read_object(path)
    f = _Fields(path, data)
    version = str(f.text("data_format_version", required=True))
    check_data_format_version(version, path)
    start, duration = f.integer("start_time", True), f.integer("duration", True)
    if duration is not None and duration < 0:
        raise f._bad("duration", "a duration in nanoseconds (not negative)")
    template = data.get("template_data")
    if template is not None and not isinstance(template, dict):
        raise f._bad("template_data", "a JSON object")
    template_fields = _Fields(path, template or {})
    offset = f.numbers("gaze_offset", 2, float)
    return NeonInfo(
        recording_id=str(f.text("recording_id", True)),
        data_format_version=version,
        app_version=str(f.text("app_version", True)),
        start_time_ns=int(start or 0),
        duration_ns=int(duration or 0),
        workspace_id=f.text("workspace_id"),
        android_device_id=f.text("android_device_id"),
        android_device_name=f.text("android_device_name"),
        android_device_model=f.text("android_device_model"),
        module_serial_number=f.text("module_serial_number"),
        wearer_id=f.text("wearer_id"),
        template_id=template_fields.text("id"),
        recording_name=template_fields.text("recording_name"),
        gaze_offset_px=(offset[0], offset[1]) if offset else (0.0, 0.0),
        calib_version=f.integer("calib_version"),
        pipeline_version=f.text("pipeline_version"),
        os_version=f.text("os_version"),
        frame_id=f.text("frame_id"),
        frame_name=f.text("frame_name"),
        firmware_version=f.numbers("firmware_version", None, int) or (),
        gaze_frequency_hz=f.integer("gaze_frequency"),
        wearer_ied_mm=f.number("wearer_ied"),
        gaze_mode=f.text("gaze_mode"),
        source_file=path.name,
        raw=data,
    )


def read_neon_wearer(path: Path | str) -> NeonWearer:
    """Read ``wearer.json`` (``{"uuid": ..., "name": ...}``); errors as :func:`read_neon_info`."""
    path = Path(path)
    f = _Fields(path, _read_object(path))
    return NeonWearer(uuid=str(f.text("uuid", True)), name=f.text("name") or "")


def _item(path: Path, index: int, data: Any) -> TemplateItem:
    if not isinstance(data, dict):
        raise InvalidInfoFileError(
            f'{path}: item {index} of "items" should be a JSON object; restore the file.'
        )
    f = _Fields(path, data)
    choices = data.get("choices")
    return TemplateItem(
        id=str(f.text("id", True)),
        title=f.text("title") or "",
        widget_type=f.text("widget_type"),
        input_type=f.text("input_type"),
        required=bool(data.get("required", False)),
        help_text=f.text("help_text"),
        choices=tuple(str(c) for c in choices) if isinstance(choices, list) else None,
    )


def read_neon_template(path: Path | str) -> NeonTemplate:
    """Read ``template.json``: the questions of the form (answers: :func:`template_answers`)."""
    path = Path(path)
    data = _read_object(path)
    f = _Fields(path, data)
    items = data.get("items") or []
    if not isinstance(items, list):
        raise f._bad("items", "a list")
    return NeonTemplate(
        id=str(f.text("id", True)),
        name=f.text("name") or "",
        description=f.text("description"),
        items=tuple(_item(path, i, item) for i, item in enumerate(items)),
        raw=data,
    )


def template_answers(info: NeonInfo, template: NeonTemplate) -> tuple[TemplateAnswer, ...]:
    """Every template question in form order with the answers ``info.json`` holds for it.

    When ``info.template_id`` names another template, a :class:`GazeportWarning` says so and
    the answers are still matched by item id.
    """
    if info.template_id is not None and info.template_id != template.id:
        warnings.warn(
            f"info.json names template {info.template_id} but template.json is template "
            f"{template.id}; the answers are matched by question id.",
            GazeportWarning,
            stacklevel=2,
        )
    answers = info.template_answers
    return tuple(TemplateAnswer(item, answers.get(item.id, ())) for item in template.items)
