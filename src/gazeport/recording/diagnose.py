"""What a folder is when it is not a recording gazeport can open, told from its file names.

:func:`gazeport.recording.detect.detect_kind` asks :func:`diagnose` for the sentence to raise
when a folder has no usable info file, so the user learns what they passed: a study folder that
holds recordings, an export of a recording, a recording that lost its info file, or a folder
that has nothing to do with recordings. Batch discovery asks :func:`looks_like_recording`, which
decides from names alone, so it is cheap enough to call on every folder of a study.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

#: Folders never searched for recordings: Player's own folders inside a recording.
SKIP_DIRS = frozenset({"exports", "offline_data", "calibrations", "__pycache__"})
#: Files that mark an export folder (Pupil Player, Neon Player, gazeport).
EXPORT_MARKERS = ("gazeport_export.json", "export_info.csv")
#: Pupil Capture's own CSV files: they make a folder neither a Cloud export nor an export.
_CAPTURE_CSVS = frozenset({"info.csv", "user_info.csv"})
_INFO_FILES = ("info.player.json", "info.csv", "info.json")
_CORE_DATA = re.compile(r".+\.pldata|.+_timestamps\.npy|(world|eye[01])\.(mp4|mjpeg|h264|mkv|avi)")
_NATIVE_DATA = re.compile(r".+ ps\d+\.(raw|time|mp4|mjpeg)|event\.time|calibration\.bin")
#: A Pupil Cloud CSV starts with these columns (Timeseries Data and enrichments).
_CLOUD_COLUMNS = frozenset({"section id", "recording id"})
#: At most this many CSV headers are read per folder (a Cloud export has about a dozen CSVs).
_MAX_CSV_HEADERS = 16
#: How deep below a folder :func:`count_recordings` looks, and for how long at most [s].
COUNT_MAX_DEPTH = 4
COUNT_BUDGET_S = 1.0
_EXAMPLES = 2


def has_cloud_csv(path: Path, names: set[str]) -> bool:
    """True if a CSV file in ``path`` has the header of a Pupil Cloud export (``section id``,
    ``recording id``); only the first line of the first few CSV files is read."""
    csvs = sorted(n for n in names if n.endswith(".csv") and n not in _CAPTURE_CSVS)
    for name in csvs[:_MAX_CSV_HEADERS]:
        try:
            with (path / name).open("r", encoding="utf-8-sig", errors="replace") as fh:
                header = fh.readline(4096)
        except OSError:
            continue
        if _CLOUD_COLUMNS & {column.strip().lower() for column in header.split(",")}:
            return True
    return False


def _data_files(names: set[str]) -> tuple[list[str], list[str]]:
    """Pupil Capture data files and Invisible/Neon data files among ``names``, sorted."""
    core = sorted(
        (n for n in names if _CORE_DATA.fullmatch(n)), key=lambda n: (not n.endswith(".pldata"), n)
    )
    native = sorted(n for n in names if _NATIVE_DATA.fullmatch(n))
    return core, native


def looks_like_recording(path: Path) -> bool:
    """True for a folder that is, or was meant to be, a recording, judged from names alone.

    That is a folder with an info file, a Pupil Cloud CSV export, or a folder of recording data
    files whose info file is missing; not an export folder nor any other folder.
    """
    try:
        names = set(os.listdir(path))
    except OSError:
        return False
    return _names_look_like_recording(path, names)


def _names_look_like_recording(path: Path, names: set[str]) -> bool:
    if "info.player.json" in names or "info.csv" in names:
        return True
    if any(marker in names for marker in EXPORT_MARKERS):
        return False
    core, native = _data_files(names)
    return bool("info.json" in names or core or native or has_cloud_csv(path, names))


def count_recordings(
    path: Path, *, max_depth: int = COUNT_MAX_DEPTH, budget_s: float = COUNT_BUDGET_S
) -> tuple[list[Path], bool]:
    """Folders below ``path`` that look like recordings (:func:`looks_like_recording`), and
    whether the search was complete.

    The search goes at most ``max_depth`` folders deep and stops after ``budget_s`` seconds, so
    a huge folder (a home directory) answers quickly; it does not enter recordings, Player's
    folders (``exports`` …) or hidden folders.
    """
    deadline = time.monotonic() + budget_s
    found: list[Path] = []
    level = [path]
    for _depth in range(max_depth):
        below: list[Path] = []
        for folder in level:
            if time.monotonic() > deadline:
                return found, False
            try:
                entries = sorted(
                    e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith(".")
                )
            except OSError:
                continue
            for name in entries:
                if name in SKIP_DIRS:
                    continue
                child = folder / name
                if looks_like_recording(child):
                    found.append(child)
                else:
                    below.append(child)
        level = below
    return found, not level


def _has_info_file(folder: Path) -> bool:
    return any((folder / name).is_file() for name in _INFO_FILES)


def _recorded_source(path: Path, names: set[str]) -> Path | None:
    """The recording an export folder was made from, if the folder says or shows it."""
    if "gazeport_export.json" in names:
        try:
            record = json.loads((path / "gazeport_export.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        if isinstance(record, dict) and isinstance(record.get("recording"), str):
            return Path(record["recording"])
    if path.parent.name == "exports" and _has_info_file(path.parent.parent):
        return path.parent.parent
    return None


def _example_list(names: list[str]) -> str:
    shown = ", ".join(names[:_EXAMPLES])
    return shown + (", …" if len(names) > _EXAMPLES else "")


def diagnose(path: Path, names: set[str]) -> str:
    """One sentence on what the folder ``path`` (holding ``names``) is, since it is no
    recording gazeport can open, and what to pass instead."""
    source = _recorded_source(path, names)
    if source is not None:
        return f"{path} is an export of {source}, not a recording; pass {source}."
    if any(marker in names for marker in EXPORT_MARKERS):
        marker = next(m for m in EXPORT_MARKERS if m in names)
        return (
            f"{path} is an export (it holds {marker}), not a recording; pass the recording "
            "folder it was exported from."
        )
    if path.name == "exports" and _has_info_file(path.parent):
        return f"{path} holds the exports of {path.parent}, not a recording; pass {path.parent}."
    for parent in list(path.parents)[:3]:
        if _has_info_file(parent):
            return (
                f"{path} is a folder inside the recording {parent}, not a recording; pass {parent}."
            )
    core, native = _data_files(names)
    if "info.json" in names:
        return (
            f"{path / 'info.json'} has no readable data_format_version, so it is not the info "
            "file of a Pupil Invisible or Neon recording; copy info.json back from the original "
            "recording."
        )
    if core:
        return (
            f"{path} holds Pupil Capture recording files ({_example_list(core)}) but no "
            "info.player.json or info.csv, which gazeport (like Pupil Player) needs to open it; "
            "copy the info file back from the original recording."
        )
    if native:
        device = (
            "Pupil Invisible"
            if any(n.startswith("PI ") for n in native)
            else "Neon"
            if any(n.startswith("Neon ") for n in native)
            else "Pupil Invisible or Neon"
        )
        return (
            f"{path} holds {device} recording files ({_example_list(native)}) but no info.json, "
            "which is needed to open it; copy info.json back from the original recording."
        )
    recordings, complete = count_recordings(path)
    if recordings:
        count = f"{len(recordings)}" if complete else f"at least {len(recordings)}"
        noun = "recording" if len(recordings) == 1 else "recordings"
        shown = _example_list([str(r.relative_to(path)) for r in recordings])
        return (
            f"{path} holds {count} {noun} ({shown}) and is not one itself; pass one of them, or "
            "add --recursive (-r) to gazeport export to export them all."
        )
    return (
        f"{path} is not a recording: it has no info file (info.player.json, info.csv or "
        "info.json); pass the folder of a Pupil Capture, Pupil Mobile or Pupil Invisible "
        "recording."
    )
