"""Checks of every value a user can hand the label store, each failing with one plain sentence.

Label names end up as folder-free file content in five dataset formats (JSON, CSV, XML, YAML),
so quotes, commas, XML specials and any unicode are fine; what is refused is what breaks a name
as a name or as a path part when a tool makes folders per class: empty names, ``/`` and ``\\``,
``.`` and ``..``, and control characters.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable

from gazeport.errors import LabelError
from gazeport.labels.records import BOX_SOURCES, STATUSES, BoxSource, TaskStatus

MAX_NAME_LENGTH = 200
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def label_name(name: object, what: str = "label") -> str:
    """A class name with its surrounding white space removed, or :class:`LabelError`."""
    if not isinstance(name, str):
        raise LabelError(f"A {what} must be text, not {type(name).__name__}.")
    text = unicodedata.normalize("NFC", name.strip())
    if not text:
        raise LabelError(f"A {what} cannot be empty.")
    if "/" in text or "\\" in text:
        raise LabelError(f"The {what} {text!r} contains a slash or backslash; pick a name without.")
    if text in (".", ".."):
        raise LabelError(f"The {what} {text!r} is a path part, not a name; pick another.")
    if _has_control(text):
        raise LabelError(f"The {what} {text!r} contains a control character; remove it.")
    if len(text) > MAX_NAME_LENGTH:
        raise LabelError(f"The {what} {text[:20]!r}… is longer than {MAX_NAME_LENGTH} characters.")
    return text


def name_key(name: str) -> str:
    """The key under which class names are unique: names differing only in case collide."""
    return unicodedata.normalize("NFC", name).casefold()


def hotkey(key: str | None) -> str | None:
    """One printable, non-space character, or None."""
    if key is None or key == "":
        return None
    if len(key) != 1 or key.isspace() or _has_control(key):
        raise LabelError(f"The hotkey {key!r} must be one printable character.")
    return key


def color(value: str | None) -> str | None:
    """``#rrggbb`` in lower case, or None."""
    if value is None or value == "":
        return None
    if not _COLOR.fullmatch(value.strip()):
        raise LabelError(f"The colour {value!r} is not of the form #rrggbb (e.g. #00aa00).")
    return value.strip().lower()


def optional_text(value: str | None, what: str) -> str | None:
    """Free text without control characters (supercategory, author, reviewer), or None."""
    if value is None or not value.strip():
        return None
    if _has_control(value.replace("\n", "").replace("\t", "")):
        raise LabelError(f"The {what} {value!r} contains a control character; remove it.")
    return value.strip()


def xywh(x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
    """A box in pixels: finite numbers, width and height above zero."""
    try:
        vals = tuple(float(v) for v in (x, y, w, h))
    except (TypeError, ValueError):
        raise LabelError(f"The box {x!r},{y!r},{w!r},{h!r} is not four numbers x,y,w,h.") from None
    if not all(math.isfinite(v) for v in vals):
        raise LabelError(f"The box {vals} has a value that is not a finite number.")
    if vals[2] <= 0 or vals[3] <= 0:
        raise LabelError(
            f"The box at {vals[0]:g},{vals[1]:g} has zero or negative size "
            f"{vals[2]:g}x{vals[3]:g} px; width and height must be above 0."
        )
    return vals[0], vals[1], vals[2], vals[3]


def confidence(value: float | None) -> float | None:
    """A score in [0, 1], or None."""
    if value is None:
        return None
    c = float(value)
    if not (0.0 <= c <= 1.0):
        raise LabelError(f"The confidence {value!r} is outside 0 to 1.")
    return c


def tags(values: Iterable[str] | None) -> tuple[str, ...]:
    """Tags without surrounding space, empty ones and duplicates (first kept)."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = (values,)
    out: list[str] = []
    for v in values:
        if not isinstance(v, str):
            raise LabelError(f"A tag must be text, not {type(v).__name__}.")
        t = v.strip()
        if _has_control(t):
            raise LabelError(f"The tag {t!r} contains a control character; remove it.")
        if t and t not in out:
            out.append(t)
    return tuple(out)


def status(value: str) -> TaskStatus:
    """One of draft, finished, reviewed."""
    for s in STATUSES:
        if value == s:
            return s
    raise LabelError(f"The status {value!r} is not one of {', '.join(STATUSES)}.")


def source(value: str) -> BoxSource:
    """One of manual, import, suggested, interpolated."""
    for s in BOX_SOURCES:
        if value == s:
            return s
    raise LabelError(f"The box source {value!r} is not one of {', '.join(BOX_SOURCES)}.")


def split_name(value: str | None) -> str | None:
    """A dataset split name (letters, digits, ``_-``), or None to clear it."""
    if value is None:
        return None
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", value):
        raise LabelError(f"The split name {value!r} must be letters, digits, _ or -.")
    return value


_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def file_name_part(part: str) -> str:
    """A file-system-safe name part: ASCII letters, digits, ``._-``; never empty or dot-only.
    The dataset export names its files with it, and prediction import matches them with it."""
    s = _UNSAFE_FILE_CHARS.sub("_", part).strip("._")
    return s or "rec"
