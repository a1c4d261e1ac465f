"""What an export killed with SIGKILL (or a crash, a power cut) leaves, and removing it safely.

While an export runs, its folder holds an early job record, ``.gazeport_export.json.part``: the
name under which the final ``gazeport_export.json`` is written and renamed at the end, so it is
never left behind by an export that ended in any way other than being killed. It names the process
that writes into the folder (pid, host, and on Linux the boot and the process start time, so that
a reused pid is recognised) and whether the export created the folder.

:func:`clean_exports` (``gazeport clean``; also run before every export of a recording) removes,
only from folders whose record names a process that is gone, gazeport's temporary files
(``.<name>.part``, ``<name>.writing``, ``<name>.canceled``), the record itself, and the folder
when the export created it and nothing finished is left in it. A folder without such a record, a
folder whose process still runs or cannot be checked (another host), and every other file are
never touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GazeportError, NotARecordingError, RecordingNotFoundError

#: The export's own record: what ran, with which parameters and versions, how long, the outcome.
JOB_RECORD = "gazeport_export.json"
#: The record while the export runs (and the temporary name of the final record).
PROGRESS_RECORD = f".{JOB_RECORD}.part"
#: Suffixes of gazeport's temporary files: staged outputs, videos being written or cancelled.
TEMP_SUFFIXES = (".part", ".writing", ".canceled")


def process_identity(pid: int | None = None) -> dict[str, Any]:
    """Who writes an export: ``pid``, ``host`` and, on Linux, ``boot_id`` and ``start_ticks``
    (the process start in clock ticks after boot), which tell a reused pid apart."""
    pid = os.getpid() if pid is None else pid
    identity: dict[str, Any] = {"pid": pid, "host": socket.gethostname()}
    boot, start = _boot_id(), _start_ticks(pid)
    if boot is not None and start is not None:
        identity["boot_id"], identity["start_ticks"] = boot, start
    return identity


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3… of ``/proc/<pid>/stat`` (after the command name, which may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[-1].split()


def _start_ticks(pid: int) -> int | None:
    fields = _proc_stat(pid)
    try:
        return int(fields[19]) if fields else None  # field 22, starttime
    except (IndexError, ValueError):
        return None


def process_state(identity: Any) -> str:
    """``"running"``, ``"gone"`` (ended, or its pid now belongs to a newer process) or
    ``"unknown"`` (another host, or nothing to check it with) for a :func:`process_identity`."""
    if not isinstance(identity, dict):
        return "unknown"
    pid, host = identity.get("pid"), identity.get("host")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or not isinstance(host, str):
        return "unknown"
    if host != socket.gethostname():
        return "unknown"
    boot, start = identity.get("boot_id"), identity.get("start_ticks")
    if boot is not None and start is not None and _boot_id() is not None:
        if boot != _boot_id():
            return "gone"  # the machine was restarted since
        fields = _proc_stat(pid)
        if fields is None or fields[0] == "Z":
            return "gone"  # no such process, or only its exit status is left
        return "running" if _start_ticks(pid) == start else "gone"
    if sys.platform == "win32":
        return "unknown"  # os.kill would end the process there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        return "running"  # someone else's process
    except OSError:
        return "unknown"
    return "running"


def write_progress_record(
    folder: Path, *, recording: Path, started_utc: dt.datetime, folder_created: bool
) -> Path:
    """Write ``.gazeport_export.json.part`` into a new export's folder; returns its path."""
    record = {
        "recording": str(recording),
        "outcome": "running",
        "started_utc": started_utc.isoformat(),
        "folder_created": folder_created,
        "process": process_identity(),
    }
    path = folder / PROGRESS_RECORD
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8", newline="")
    return path


@dataclass
class StaleExport:
    """An export folder with a running-export record, and what cleaning it did (or would do).

    ``state`` is the writing process's (:func:`process_state`); only ``"gone"`` folders are
    cleaned. ``removed`` lists the files removed, ``folder_removed`` says whether the folder
    went too; ``kept`` are files a finished task of the export left (they stay). ``bytes`` is the
    size of what was removed.
    """

    folder: Path
    state: str
    process: dict[str, Any] = field(default_factory=dict)
    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    folder_removed: bool = False
    bytes: int = 0

    @property
    def describe_process(self) -> str:
        pid, host = self.process.get("pid", "?"), self.process.get("host", "?")
        return f"process {pid} on {host}"


def clean_exports(
    paths: Iterable[Path | str] | Path | str, *, dry_run: bool = False
) -> list[StaleExport]:
    """Remove what exports that were killed left in ``paths``; returns one entry per folder
    that holds a running-export record, cleaned or not.

    A path is a recording (its ``exports/*`` folders are looked at) or an export folder (e.g.
    one given to ``--out``). With ``dry_run`` nothing is removed; the entries say what would be.
    Raises :class:`RecordingNotFoundError` for a path that does not exist and
    :class:`NotARecordingError` for a file.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise RecordingNotFoundError(path)
        if not path.is_dir():
            raise NotARecordingError(
                f"{path} is a file; give a recording folder or an export folder."
            )
        for folder in _candidates(path):
            entry = _clean_folder(folder, dry_run)
            if entry is not None:
                found.append(entry)
    return found


def _candidates(path: Path) -> list[Path]:
    if (path / PROGRESS_RECORD).is_file():
        return [path]
    exports = path / "exports"
    try:
        folders = sorted(p for p in exports.iterdir() if p.is_dir())
    except OSError:  # no exports folder, or not readable
        return []
    return [p for p in folders if (p / PROGRESS_RECORD).is_file()]


def _read_record(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / PROGRESS_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # being written right now, or not ours
    return record if isinstance(record, dict) else None


def _clean_folder(folder: Path, dry_run: bool) -> StaleExport | None:
    record = _read_record(folder)
    if record is None:
        return None
    process = record.get("process")
    entry = StaleExport(
        folder, process_state(process), process if isinstance(process, dict) else {}
    )
    if entry.state != "gone":
        return entry
    started = _timestamp(record.get("started_utc"))
    created = record.get("folder_created") is True
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        if path.name == PROGRESS_RECORD and path.parent == folder:
            continue  # last, so that an interrupted clean can run again
        if _is_temp(path) and (created or _made_since(path, started)):
            entry.removed.append(path)
        else:
            entry.kept.append(path)
    entry.removed.append(folder / PROGRESS_RECORD)
    for path in entry.removed:
        try:
            entry.bytes += path.lstat().st_size
            if not dry_run:
                path.unlink()
        except FileNotFoundError:
            continue  # another clean-up was quicker
    if created and not entry.kept:
        entry.folder_removed = True
        if not dry_run:
            _remove_empty_tree(folder)
    return entry


def _is_temp(path: Path) -> bool:
    name = path.name
    if name.endswith(".part"):
        return name.startswith(".")  # Staging's ".<name>.part"
    return name.endswith(TEMP_SUFFIXES)


def _timestamp(text: Any) -> float | None:
    try:
        return dt.datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def _made_since(path: Path, started: float | None) -> bool:
    """In a folder the export did not create, a temporary file is the export's only if it was
    written after the export started (1 s of slack for coarse file-system clocks)."""
    if started is None:
        return False
    try:
        return path.lstat().st_mtime >= started - 1.0
    except OSError:
        return False


def _remove_empty_tree(folder: Path) -> None:
    """Remove ``folder`` and its empty subfolders; a folder that is not empty stays."""
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        try:
            sub.rmdir()
        except OSError:
            return
    with contextlib.suppress(OSError):
        folder.rmdir()


def notes_after_cleaning(where: Path) -> list[str]:
    """Before an export into ``where`` (a recording or an ``--out`` folder): clean up after
    killed exports there; one note per folder cleaned, for the export's notes."""
    if not where.is_dir():
        return []
    try:
        entries = clean_exports([where])
    except (OSError, GazeportError):  # e.g. a permission problem
        return []  # never a reason not to export
    return [
        f"Before this export, removed the temporary files of an earlier export that was killed "
        f"({entry.describe_process}) from {entry.folder}"
        + (", and the then empty folder." if entry.folder_removed else "; its other files stay.")
        for entry in entries
        if entry.state == "gone"
    ]


def remove_export_folder(folder: Path, created: bool) -> None:
    """Remove an export folder the job created, or only its running-export record."""
    if created:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            (folder / PROGRESS_RECORD).unlink()
