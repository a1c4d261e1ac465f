"""Export sessions on disk: ``exports/NNN`` folders, ``export_info.csv``, staged file names."""

from __future__ import annotations

import datetime as dt
import os
import re
from contextlib import suppress
from pathlib import Path

from .._version import __version__
from ..errors import ExportError
from ..formats.keyvalue_csv import key_value_text
from ..recording import Recording
from .signals import signals_deferred

_NUMBERED = re.compile(r"\d{3,}")


def create_export_dir(recording_dir: Path) -> Path:
    """Create and return the next free ``<rec>/exports/NNN`` folder.

    Numbered like Pupil Player (last number + 1, ``%03d``), but a folder is claimed with an
    atomic ``mkdir``, so two exports running at once get different folders, and an existing
    folder is never reused.
    """
    root = Path(recording_dir) / "exports"
    root.mkdir(exist_ok=True)
    used = [int(p.name) for p in root.iterdir() if _NUMBERED.fullmatch(p.name)]
    number = max(used) + 1 if used else 0
    while True:
        candidate = root / f"{number:03d}"
        try:
            candidate.mkdir()
        except FileExistsError:
            number += 1
            continue
        return candidate


def _mmss(seconds: float) -> str:
    """Player's ``MM:SS.mmm`` (minutes may exceed 99; all parts truncated)."""
    seconds = max(seconds, 0.0)
    minutes = int(seconds // 60)
    rest = seconds - minutes * 60
    whole = int(rest)
    millis = int((rest - whole) * 1000)
    return f"{minutes:02d}:{whole:02d}.{millis:03d}"


def player_data_format_version(min_player_version: str) -> str:
    """What Player writes as ``Data Format Version``: its upgrade of every recording to meta
    2.3 sets ``min_player_version`` to at least "2.0"."""
    try:
        parts = tuple(int(x) for x in min_player_version.split("."))
    except ValueError:
        return min_player_version
    return min_player_version if parts >= (2, 0) else "2.0"


def export_info_text(
    rec: Recording, frame_range: tuple[int, int], now: dt.datetime | None = None
) -> str:
    """``export_info.csv`` with Pupil Player's keys, order and quirks (spec 5.3)."""
    now = now or dt.datetime.now()
    ts = rec.world_timestamps
    left, right = frame_range
    items = [
        ("Player Software Version", f"gazeport {__version__}"),
        ("Data Format Version", player_data_format_version(rec.info.min_player_version)),
        ("Export Date", now.strftime("%d.%m.%Y")),
        ("Export Time", now.strftime("%H:%M:%S")),
        ("Frame Index Range:", f"{left} - {right}"),
        ("Relative Time Range", f"{_mmss(ts[left] - ts[0])} - {_mmss(ts[right] - ts[0])}"),
        ("Absolute Time Range", f"{float(ts[left])} - {float(ts[right])}"),
    ]
    return key_value_text(items)


class Staging:
    """Temporary output names inside an export folder, renamed together on success.

    ``path(name)`` hands out ``.<name>.part``; ``commit()`` renames every handed-out file to
    its final name, ``discard()`` deletes them. A final name that already exists is refused,
    so an export never overwrites anything.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pending: list[tuple[Path, Path]] = []

    def path(self, name: str) -> Path:
        final = self.folder / name
        if final.exists() or any(f == final for _, f in self.pending):
            raise ExportError(f"{final} already exists; gazeport never overwrites an export.")
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.part")
        self.pending.append((tmp, final))
        return tmp

    def final_path(self, name: str) -> Path:
        """A final path for a writer that stages its own file (e.g. ``world.mp4.writing``);
        refuses a name that exists, like :meth:`path`."""
        final = self.folder / name
        if final.exists():
            raise ExportError(f"{final} already exists; gazeport never overwrites an export.")
        final.parent.mkdir(parents=True, exist_ok=True)
        return final

    def commit(self) -> list[Path]:
        """Rename every staged file that was written; returns the final paths."""
        done = []
        with signals_deferred():  # an interrupt must not leave a renamed file unlisted
            for tmp, final in self.pending:
                if tmp.exists():
                    os.replace(tmp, final)
                    done.append(final)
            self.pending = []
        return done

    def forget(self, tmp: Path) -> None:
        """Delete one staged file (a part that failed) and never commit it."""
        with suppress(FileNotFoundError):
            tmp.unlink()
        self.pending = [(t, f) for t, f in self.pending if t != tmp]

    def discard(self) -> None:
        for tmp, _ in self.pending:
            with suppress(FileNotFoundError):
                tmp.unlink()
        self.pending = []
