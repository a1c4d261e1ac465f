"""Which kind of recording a folder holds, decided in the same order as Pupil Player.

Only read access is needed: gazeport never writes into a recording, so unlike Pupil Player it
does not ask for write permission on the folder.
"""

from __future__ import annotations

import enum
import json
import os
import re
from pathlib import Path

from ..errors import (
    NoInfoFileError,
    NotARecordingError,
    RecordingNotFoundError,
    UnsupportedRecordingError,
)
from ..formats.keyvalue_csv import read_key_value_file

VIDEO_EXTENSIONS = frozenset({".mp4", ".mjpeg", ".h264", ".mkv", ".avi", ".fake"})
_PI_MJPEG_WORLD = re.compile(r"PI world v\d+ ps\d+.*\.mjpeg")


class RecordingKind(str, enum.Enum):
    """The kinds of folders :func:`detect_kind` tells apart.

    The value is the name users see (``gazeport info``, ``gazeport_export.json``), and ``str()``
    and ``format()`` give it too, so ``print(rec.kind)`` says ``pupil_player_format``, not
    ``RecordingKind.NEW_STYLE`` (the member names are for code).
    """

    NEW_STYLE = "pupil_player_format"  #: ``info.player.json`` (Capture >= 1.16, or converted)
    OLD_STYLE = "pupil_capture_legacy"  #: ``info.csv`` of Capture < 1.16 (or opened Mobile)
    MOBILE = "pupil_mobile"  #: ``info.csv`` of Pupil Mobile, never opened in Player
    INVISIBLE = "pupil_invisible"  #: ``info.json`` with data format < 2
    NEON = "neon"  #: ``info.json`` with data format >= 2 (native Neon)
    CLOUD_CSV = "cloud_csv_export"  #: a folder of CSV files, e.g. a Pupil Cloud export

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


def _list_folder(path: Path) -> list[str]:
    """Names in ``path`` after checking it is a readable folder."""
    if not path.exists():
        raise RecordingNotFoundError(path)
    if path.is_file():
        if path.suffix.lower() in VIDEO_EXTENSIONS:
            raise NotARecordingError(
                f"{path} is a video, not a recording folder; pass the folder that contains it."
            )
        raise NotARecordingError(
            f"{path} is a file, not a recording folder; pass the recording folder."
        )
    if not path.is_dir():
        raise NotARecordingError(f"{path} is not a folder; pass the recording folder.")
    unreadable = NotARecordingError(
        f"{path} cannot be read: gazeport needs permission to list and read the files in this "
        "folder; change its permissions."
    )
    if not os.access(path, os.R_OK | os.X_OK):
        raise unreadable
    try:
        return os.listdir(path)
    except PermissionError as exc:
        raise unreadable from exc


def _info_json_candidate(info_json: Path) -> RecordingKind | None:
    """INVISIBLE or NEON from ``info.json``'s ``data_format_version``; None if unusable."""
    try:
        data = json.loads(info_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "data_format_version" not in data:
        return None
    match = re.match(r"\s*(\d+)", str(data["data_format_version"]))
    if match is None:
        return None
    return RecordingKind.INVISIBLE if int(match.group(1)) < 2 else RecordingKind.NEON


def detect_kind(path: Path | str) -> RecordingKind:
    """Tell which kind of recording the folder ``path`` holds, without opening it.

    The order is Pupil Player's: ``info.player.json`` wins over ``info.csv``, which wins over
    a Cloud export's CSV files and over ``info.json`` (Invisible or Neon). Any other folder
    raises :class:`NoInfoFileError` saying what it is instead (:func:`.diagnose.diagnose`):
    an export, a study folder of recordings, a recording without its info file …
    """
    path = Path(path)
    names = set(_list_folder(path))

    if (path / "info.player.json").is_file():
        return RecordingKind.NEW_STYLE
    if (path / "info.csv").is_file():
        info = read_key_value_file(path / "info.csv")
        if "Data Format Version" in info or info.get("Capture Software") != "Pupil Mobile":
            return RecordingKind.OLD_STYLE
        return RecordingKind.MOBILE
    from .diagnose import EXPORT_MARKERS, diagnose, has_cloud_csv  # not for Pupil Capture's

    if not any(marker in names for marker in EXPORT_MARKERS):
        # Player takes any CSV file for a Cloud export; Capture's user_info.csv or a
        # Player export's CSVs are not one, so only a Cloud header counts here.
        if has_cloud_csv(path, names):
            return RecordingKind.CLOUD_CSV
        if "info.json" in names:
            candidate = _info_json_candidate(path / "info.json")
            if candidate is not None:
                return candidate
    raise NoInfoFileError(diagnose(path, names))


def check_recording(path: Path | str) -> RecordingKind:
    """The kind from :func:`detect_kind`; UnsupportedRecordingError for kinds not supported
    (Neon recordings open as :class:`~gazeport.recording.neon.NeonRecording`, Cloud Timeseries
    downloads with ``gaze.csv`` and ``info.json`` as :class:`~gazeport.recording.cloud.CloudRecording`)."""
    path = Path(path)
    kind = detect_kind(path)
    if kind is RecordingKind.CLOUD_CSV and not (
        (path / "info.json").is_file() and (path / "gaze.csv").is_file()
    ):
        raise UnsupportedRecordingError(
            f"{path} looks like a Pupil Cloud CSV export without gaze.csv and info.json (an "
            "enrichment?); gazeport opens Cloud's Timeseries Data downloads, open these CSV "
            "files directly."
        )
    if kind is RecordingKind.INVISIBLE:
        mjpeg = sorted(name for name in os.listdir(path) if _PI_MJPEG_WORLD.fullmatch(name))
        if mjpeg:
            raise UnsupportedRecordingError(
                f"{path} is a Pupil Invisible recording with an MJPEG scene video ({mjpeg[0]}), "
                "which neither Pupil Player nor gazeport can open; contact Pupil Labs support "
                "(info@pupil-labs.com)."
            )
    return kind
