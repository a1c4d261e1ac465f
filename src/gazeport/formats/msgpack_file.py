"""Pupil's plain msgpack files: ``*.intrinsics``, ``world.fake``, surface definitions, ``*.meta``
and the single ``pupil_data`` map of Pupil Capture before v1.8.

These are one msgpack object per file (no ``[topic, payload]`` framing, no timestamps file).
Files from Pupil Capture before v0.9.4 are Python pickles; gazeport does not read those.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import msgpack

from ..errors import CorruptFileError

_PICKLE_HINT = (
    "if it was written by Pupil Capture older than v0.9.4 it is a Python pickle, which gazeport "
    "does not read; open the recording once in Pupil Player to convert it"
)

#: ``pupil_data`` key -> name of the pldata file the v1.8 migration writes it to.
LEGACY_FILE_NAMES: dict[str, str] = {
    "notifications": "notify",
    "gaze_positions": "gaze",
    "pupil_positions": "pupil",
}

# Topic that the pre-0.8.6 migrations give a datum that has none; used only as a fallback.
_LEGACY_DEFAULT_TOPIC = {
    "pupil_positions": "pupil",
    "gaze_positions": "gaze",
    "blinks": "blink",
    "fixations": "fixation",
}


def load_object(path: Path | str) -> Any:
    """Decode a whole msgpack file like Player's ``load_object`` (lists stay lists, str keys).

    Raises :class:`CorruptFileError` naming the file when it is not exactly one msgpack object.
    A missing file raises :class:`FileNotFoundError`.
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=True)
    except msgpack.ExtraData as exc:
        raise CorruptFileError(
            f"{path} holds extra bytes after its msgpack object (from byte "
            f"{len(data) - len(exc.extra)} of {len(data)}); {_PICKLE_HINT}.",
            path,
            len(data) - len(exc.extra),
        ) from exc
    except (msgpack.UnpackException, ValueError, TypeError) as exc:
        raise CorruptFileError(
            f"{path} is not a readable msgpack file ({exc}); {_PICKLE_HINT}.", path
        ) from exc


def iter_legacy_pupil_data(path: Path | str) -> Iterator[tuple[str, bytes]]:
    """Stream the pre-v1.8 ``pupil_data`` map ``{key: [datum, ...]}`` datum by datum.

    Yields ``(key, datum_bytes)`` in file order, where ``datum_bytes`` is the exact msgpack
    encoding of one datum as stored in the file (decode it with
    :func:`gazeport.formats.pldata.decode_datum`). Only one datum is held in memory at a time.
    Damage or truncation raises :class:`CorruptFileError` naming the file and byte offset;
    bytes after the map are ignored, as Player does.
    """
    path = Path(path)
    with path.open("rb") as fh:
        size = path.stat().st_size
        if size == 0:
            raise CorruptFileError(f"{path} is empty; {_PICKLE_HINT}.", path, 0)
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            yield from _iter_legacy_map(path, mm)


def _iter_legacy_map(path: Path, mm: mmap.mmap) -> Iterator[tuple[str, bytes]]:
    unpacker = msgpack.Unpacker(mm, raw=False, use_list=False, strict_map_key=False)
    offset = 0
    what = "the map header"
    try:
        n_keys = unpacker.read_map_header()
        for _ in range(n_keys):
            offset = unpacker.tell()
            what = "a key"
            key = unpacker.unpack()
            if isinstance(key, bytes):
                key = key.decode("utf-8", "replace")
            if not isinstance(key, str):
                raise CorruptFileError(
                    f"{path} has a non-text key {key!r} at byte {offset}; a pupil_data map "
                    "has topic names as keys, so the file is damaged.",
                    path,
                    offset,
                )
            offset = unpacker.tell()
            what = f"the list of {key!r}"
            n_items = unpacker.read_array_header()
            for i in range(n_items):
                offset = unpacker.tell()
                what = f"item {i} of {key!r}"
                unpacker.skip()
                yield key, mm[offset : unpacker.tell()]
    except CorruptFileError:
        raise
    except msgpack.OutOfData as exc:
        raise CorruptFileError(
            f"{path} ends inside {what} at byte {offset} of {len(mm)} (the file is truncated); "
            "restore it from a backup.",
            path,
            offset,
        ) from exc
    except (msgpack.UnpackException, ValueError, TypeError) as exc:
        raise CorruptFileError(
            f"{path} cannot be decoded at {what}, byte {offset} ({exc}); {_PICKLE_HINT}.",
            path,
            offset,
        ) from exc


def legacy_topic(key: str, datum: Mapping[str, Any]) -> str:
    """Topic the Player v1.8 migration gives a datum stored under ``key`` in ``pupil_data``.

    ``notifications`` -> ``notify.<subject>``; ``pupil_positions`` -> topic + ``.<id>``;
    ``surface*`` keys -> ``surfaces.<name>``; ``blinks``/``fixations`` -> topic + ``s``;
    anything else keeps its topic. A datum without ``topic`` gets the pre-0.8.6 default
    (``pupil``, ``gaze``, ``blink``, ``fixation`` or the key). A field the rule needs that is
    missing raises :class:`CorruptFileError` naming key and field.
    """
    file_name = LEGACY_FILE_NAMES.get(key, key)
    topic = datum.get("topic", _LEGACY_DEFAULT_TOPIC.get(key, key))
    if file_name == "notify":
        return "notify." + str(_required(key, datum, "subject"))
    if file_name == "pupil":
        return f"{topic}.{_required(key, datum, 'id')}"
    if file_name.startswith("surface"):
        return "surfaces." + str(_required(key, datum, "name"))
    if file_name in ("blinks", "fixations"):
        return f"{topic}s"
    return str(topic)


def legacy_file_name(key: str) -> str:
    """Name (without ``.pldata``) of the file the v1.8 migration writes ``key``'s data to."""
    return LEGACY_FILE_NAMES.get(key, key)


def _required(key: str, datum: Mapping[str, Any], field: str) -> Any:
    try:
        return datum[field]
    except KeyError:
        raise CorruptFileError(
            f"a {key!r} datum in pupil_data has no {field!r} field, which its topic is built "
            "from; the legacy file is damaged or from an unsupported Capture version."
        ) from None
