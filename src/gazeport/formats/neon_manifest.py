"""``manifest.json`` of a Neon recording: the size and CRC-32 of every file the app wrote.

The manifest is a JSON list of ``{"name": <file>, "size": <bytes>, "crc": <hex>}`` where
``crc`` is ``format(zlib.crc32(content), "x")``; ``manifest.json.crc`` holds the same kind of
hex CRC of ``manifest.json`` itself. Checking it finds truncated or damaged files, files changed
after recording (reformatted JSON, an appended newline), lost files and Git LFS placeholders.
Files the manifest does not list (Pupil Cloud's ``gaze_200hz.*``) are not checked.

The check never raises: it returns what it found, for ``gazeport info`` to show.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from .lfs_pointer import read_lfs_pointer

MANIFEST = "manifest.json"
MANIFEST_CRC = "manifest.json.crc"
#: Files larger than this are checked by size only by default (a CRC reads the whole file).
DEFAULT_CRC_LIMIT_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ManifestEntry:
    """One file listed in ``manifest.json``: its name, size in bytes and CRC-32 (or None)."""

    name: str
    size_bytes: int | None
    crc32: int | None


@dataclass(frozen=True)
class ManifestMismatch:
    """A file that differs from ``manifest.json`` (or a problem with the manifest itself).

    ``problem`` is one of ``"missing"``, ``"lfs-placeholder"``, ``"size"``, ``"crc"``,
    ``"unreadable"`` (the file or manifest cannot be read) and ``"manifest-crc"``
    (``manifest.json`` does not match ``manifest.json.crc``); ``message`` says it in a sentence.
    """

    name: str
    problem: str
    message: str
    expected_size_bytes: int | None = None
    actual_size_bytes: int | None = None
    expected_crc32: int | None = None
    actual_crc32: int | None = None


def _hex(text: object) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        return int(text.strip(), 16)
    except ValueError:
        return None


def parse_manifest(text: str) -> list[ManifestEntry]:
    """The entries of a manifest's JSON text; entries that are not objects with a string
    ``name`` are left out, a size or CRC of the wrong type reads as None.

    Invalid JSON or a top level that is not a list raises ``ValueError``.
    """
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("the manifest is not a JSON list")
    entries = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        size = item.get("size")
        valid_size = isinstance(size, int) and not isinstance(size, bool) and size >= 0
        entries.append(
            ManifestEntry(item["name"], size if valid_size else None, _hex(item.get("crc")))
        )
    return entries


def file_crc32(path: Path) -> int:
    """CRC-32 (zlib) of a file's content, read in 1 MiB chunks."""
    crc = 0
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def _check_entry(
    folder: Path, entry: ManifestEntry, crc_limit: int | None
) -> ManifestMismatch | None:
    name = entry.name
    path = folder / name
    if Path(name).name != name or name in ("", ".", ".."):
        return ManifestMismatch(
            name,
            "unreadable",
            f"{MANIFEST} lists {name!r}, which is not a file name in the recording folder.",
        )
    if not path.is_file():
        return ManifestMismatch(
            name,
            "missing",
            f"{name} is listed in {MANIFEST} but is not in the recording folder.",
            expected_size_bytes=entry.size_bytes,
        )
    try:
        size = path.stat().st_size
        if entry.size_bytes is not None and size != entry.size_bytes:
            pointer = read_lfs_pointer(path)
            if pointer is not None:
                return ManifestMismatch(
                    name,
                    "lfs-placeholder",
                    f"{name} is a Git LFS placeholder, not the file; fetch it with git lfs pull.",
                    entry.size_bytes,
                    size,
                )
            cause = "it was cut short or changed" if size < entry.size_bytes else "it was changed"
            return ManifestMismatch(
                name,
                "size",
                f"{name} is {size} bytes but {MANIFEST} says {entry.size_bytes}; {cause} after "
                "recording.",
                entry.size_bytes,
                size,
            )
        if entry.crc32 is None or (crc_limit is not None and size > crc_limit):
            return None
        crc = file_crc32(path)
    except OSError as exc:
        return ManifestMismatch(
            name, "unreadable", f"{name} cannot be read ({exc.strerror or exc})."
        )
    if crc != entry.crc32:
        return ManifestMismatch(
            name,
            "crc",
            f"{name} has the size {MANIFEST} gives but other content (CRC {crc:x}, listed "
            f"{entry.crc32:x}); it was damaged or changed after recording.",
            entry.size_bytes,
            size,
            entry.crc32,
            crc,
        )
    return None


def _check_manifest_crc(folder: Path, raw: bytes) -> ManifestMismatch | None:
    crc_path = folder / MANIFEST_CRC
    try:
        listed = _hex(crc_path.read_text("ascii", errors="replace"))
    except OSError:
        return None
    actual = zlib.crc32(raw)
    if listed is None or listed == actual:
        return None
    return ManifestMismatch(
        MANIFEST,
        "manifest-crc",
        f"{MANIFEST} does not match {MANIFEST_CRC} (CRC {actual:x}, listed {listed:x}); the "
        "manifest was changed after recording, so its other findings are less certain.",
        expected_crc32=listed,
        actual_crc32=actual,
    )


def check_manifest(
    folder: Path | str, *, crc_limit_bytes: int | None = DEFAULT_CRC_LIMIT_BYTES
) -> list[ManifestMismatch]:
    """Compare a Neon recording folder with its ``manifest.json``; never raises.

    Every listed file is checked for presence, size, Git LFS placeholders and, when it is at
    most ``crc_limit_bytes`` large (None: every file), its CRC-32. Returns the mismatches in
    manifest order, the manifest's own CRC first; an empty list when all fits or when there is
    no manifest.
    """
    folder = Path(folder)
    try:
        raw = (folder / MANIFEST).read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [
            ManifestMismatch(
                MANIFEST, "unreadable", f"{MANIFEST} cannot be read ({exc.strerror or exc})."
            )
        ]
    if read_lfs_pointer(folder / MANIFEST) is not None:
        return [
            ManifestMismatch(
                MANIFEST,
                "lfs-placeholder",
                f"{MANIFEST} is a Git LFS placeholder, not the file; fetch it with git lfs pull.",
            )
        ]
    try:
        entries = parse_manifest(raw.decode("utf-8", errors="strict"))
    except (UnicodeDecodeError, ValueError) as exc:
        return [
            ManifestMismatch(
                MANIFEST,
                "unreadable",
                f"{MANIFEST} cannot be read as a manifest ({exc}); the files were not checked.",
            )
        ]
    found: list[ManifestMismatch] = []
    own = _check_manifest_crc(folder, raw)
    if own is not None:
        found.append(own)
    for entry in entries:
        mismatch = _check_entry(folder, entry, crc_limit_bytes)
        if mismatch is not None:
            found.append(mismatch)
    return found
