"""Pupil Mobile recordings seen the way Pupil Player sees them after converting them, in memory.

Player renames Mobile's files on disk (``Pupil Cam1 ID2.mp4`` -> ``world.mp4``) and writes every
``*.time`` file as ``<stem>_timestamps.npy``. gazeport never touches the folder: it maps each
real file to the name Player would give it and reads ``.time`` files directly.

The generic pieces (:func:`converted_files`, :func:`core_videos`) are shared with the Pupil
Invisible view.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from ..errors import GazeportWarning
from ..formats.raw_time import read_mobile_time

#: Extensions of real videos (Player's list without the pseudo-video ``fake``).
VIDEO_EXTENSIONS = ("mp4", "mjpeg", "h264", "mkv", "avi")
#: The video sets Player builds frame tables for.
CORE_VIDEO_NAMES = ("world", "eye0", "eye1")
_VIDEO_SUFFIXES = tuple(f".{ext}" for ext in VIDEO_EXTENSIONS)
#: Player's rename rules for Mobile: file-name prefix -> core name; the rest of the name
#: (part suffix, extension) is kept. Cameras ``ID3``... are not renamed.
MOBILE_NAME_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Pupil Cam\d ID0"), "eye0"),
    (re.compile(r"^Pupil Cam\d ID1"), "eye1"),
    (re.compile(r"^Pupil Cam\d ID2"), "world"),
    (re.compile(r"^Logitech Webcam C930e"), "world"),
)
#: Pupil Mobile versions from this one on are refused by Player.


def mobile_core_name(name: str) -> str | None:
    """The name Player's conversion gives the Mobile file ``name``, or ``None`` if unchanged."""
    for pattern, replacement in MOBILE_NAME_RULES:
        match = pattern.match(name)
        if match:
            return name.replace(match.group(0), replacement)
    return None


def converted_files(
    rec_dir: Path | str, rename: Callable[[str], str | None], *, quiet: bool = False
) -> dict[str, Path]:
    """Every file directly in ``rec_dir`` by the name it would have after Player's renaming.

    ``rename`` maps a file name to its new name (or ``None`` to keep it). Player renames in
    sorted order and overwrites, so a renamed file replaces a file already using that name
    and, of two files renamed to the same name, the later one in sorted order wins; each
    such clash emits a :class:`GazeportWarning` unless ``quiet`` (for a second look at files
    whose clashes were reported already: a flag, since ``warnings.catch_warnings`` would also
    silence the other threads). Returns ``{name: real path}``.
    """
    rec_dir = Path(rec_dir)
    files = sorted(p for p in rec_dir.iterdir() if p.is_file())
    view: dict[str, Path] = {}
    renamed: dict[str, Path] = {}
    for path in files:
        new_name = rename(path.name)
        if new_name is None:
            view[path.name] = path
            continue
        if new_name in renamed and not quiet:
            warnings.warn(
                f"{renamed[new_name].name!r} and {path.name!r} in {rec_dir} both become "
                f"{new_name!r} when converted; like Pupil Player, gazeport uses {path.name!r}.",
                GazeportWarning,
                stacklevel=3,
            )
        renamed[new_name] = path
    for new_name, path in renamed.items():
        if new_name in view and not quiet:
            warnings.warn(
                f"{path.name!r} in {rec_dir} becomes {new_name!r} when converted, which replaces "
                "the file of that name, as in Pupil Player.",
                GazeportWarning,
                stacklevel=3,
            )
        view[new_name] = path
    return view


def core_videos(files: Mapping[str, Path]) -> dict[str, list[Path]]:
    """``world``/``eye0``/``eye1`` -> real video paths in part order, from a converted view.

    Mirrors Player's video sets: every name matching ``<name>*.<video extension>`` (so also
    e.g. ``world_something.mp4``), sorted by converted name (``world.mp4``, ``world_001.mp4``...).
    """
    out: dict[str, list[Path]] = {}
    for core in CORE_VIDEO_NAMES:
        names = sorted(
            name
            for name in files
            if name.startswith(core) and name[len(core) :].endswith(_VIDEO_SUFFIXES)
        )
        out[core] = [files[name] for name in names]
    return out


def time_files(files: Mapping[str, Path]) -> dict[str, Path]:
    """Converted stem (``world``, ``world_001``, ``gaze ps1``...) -> real ``.time`` file."""
    return {name[: -len(".time")]: path for name, path in files.items() if name.endswith(".time")}


def mobile_files(rec_dir: Path | str, *, quiet: bool = False) -> dict[str, Path]:
    """Every file of a Mobile recording by its converted name: ``{name: real path}``."""
    return converted_files(rec_dir, mobile_core_name, quiet=quiet)


def mobile_video_names(rec_dir: Path | str) -> dict[str, list[Path]]:
    """``world``/``eye0``/``eye1`` -> real video files in Player's part order (maybe empty)."""
    return core_videos(mobile_files(rec_dir))


def mobile_timestamps(rec_dir: Path | str) -> dict[str, np.ndarray]:
    """Converted stem (``world``, ``eye0``, ``world_001``...) -> float64 Pupil-time seconds.

    Every ``*.time`` file is read as big-endian float64, exactly the values Player saves as
    ``<stem>_timestamps.npy``.
    """
    return {
        stem: read_mobile_time(path) for stem, path in time_files(mobile_files(rec_dir)).items()
    }
