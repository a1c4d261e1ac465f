"""Tests of recording-kind detection (Pupil Player's order) and the unsupported-kind checks."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from tests import fixtures

from gazeport.errors import (
    GazeportError,
    InvalidInfoFileError,
    NoInfoFileError,
    NotARecordingError,
    RecordingNotFoundError,
    UnsupportedRecordingError,
)
from gazeport.recording.detect import RecordingKind, check_recording, detect_kind

RECORDINGS = fixtures.RECORDINGS
needs_recordings = fixtures.needs_recordings

# --- folder factories: each writes only the files detection looks at -----------------------


def add_player_info(folder: Path) -> None:
    (folder / "info.player.json").write_text('{"meta_version": "2.3"}')


def add_legacy_info_csv(folder: Path) -> None:
    (folder / "info.csv").write_text(
        "key,value\r\nRecording Name,x\r\nCapture Software Version,1.10.20\r\n"
        "Data Format Version,1.10\r\n"
    )


def add_mobile_info_csv(folder: Path, opened_in_player: bool = False) -> None:
    text = "key,value\r\nCapture Software,Pupil Mobile\r\nCapture Software Version,1.2.3\r\n"
    if opened_in_player:
        text += "Data Format Version,1.17\r\n"
    (folder / "info.csv").write_text(text)


def add_info_json(folder: Path, data_format_version: str | None) -> None:
    data = {"recording_id": "r", "start_time": 1, "duration": 2}
    if data_format_version is not None:
        data["data_format_version"] = data_format_version
    (folder / "info.json").write_text(json.dumps(data))


def add_invisible(folder: Path) -> None:
    add_info_json(folder, "1.4")
    (folder / "PI world v1 ps1.mp4").write_bytes(b"")


def add_neon(folder: Path) -> None:
    add_info_json(folder, "2.5")


def add_cloud_csvs(folder: Path) -> None:
    (folder / "gaze.csv").write_text("section id,recording id\n")


def make_folder(tmp_path: Path, *parts: Callable[[Path], object]) -> Path:
    folder = tmp_path / "rec"
    folder.mkdir()
    for add in parts:
        add(folder)
    return folder


# --- detection order -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "kind"),
    [
        pytest.param([add_player_info], RecordingKind.NEW_STYLE, id="player-json"),
        pytest.param([add_legacy_info_csv], RecordingKind.OLD_STYLE, id="legacy-csv"),
        pytest.param([add_mobile_info_csv], RecordingKind.MOBILE, id="mobile"),
        pytest.param(
            [lambda f: add_mobile_info_csv(f, opened_in_player=True)],
            RecordingKind.OLD_STYLE,
            id="mobile-opened-in-player-1.17",
        ),
        pytest.param([add_invisible], RecordingKind.INVISIBLE, id="invisible"),
        pytest.param([lambda f: add_info_json(f, "0.9")], RecordingKind.INVISIBLE, id="pi-0.9"),
        pytest.param([add_neon], RecordingKind.NEON, id="neon"),
        pytest.param([add_cloud_csvs], RecordingKind.CLOUD_CSV, id="cloud-csv"),
        # precedence
        pytest.param(
            [add_player_info, add_legacy_info_csv], RecordingKind.NEW_STYLE, id="json>csv"
        ),
        pytest.param([add_player_info, add_neon], RecordingKind.NEW_STYLE, id="json>neon"),
        pytest.param([add_player_info, add_cloud_csvs], RecordingKind.NEW_STYLE, id="json>cloud"),
        pytest.param(
            [add_invisible, add_legacy_info_csv], RecordingKind.OLD_STYLE, id="pi+info.csv"
        ),
        pytest.param([add_neon, add_mobile_info_csv], RecordingKind.MOBILE, id="neon+mobile.csv"),
        pytest.param([add_invisible, add_cloud_csvs], RecordingKind.CLOUD_CSV, id="pi+any-csv"),
        pytest.param([add_neon, add_cloud_csvs], RecordingKind.CLOUD_CSV, id="neon+any-csv"),
    ],
)
def test_detect_kind(
    tmp_path: Path, parts: list[Callable[[Path], object]], kind: RecordingKind
) -> None:
    assert detect_kind(make_folder(tmp_path, *parts)) is kind


def test_kind_values_are_stable_strings() -> None:
    assert {k.name: k.value for k in RecordingKind} == {
        "NEW_STYLE": "pupil_player_format",
        "OLD_STYLE": "pupil_capture_legacy",
        "MOBILE": "pupil_mobile",
        "INVISIBLE": "pupil_invisible",
        "NEON": "neon",
        "CLOUD_CSV": "cloud_csv_export",
    }
    assert RecordingKind("neon") == "neon"


def test_accepts_str_paths(tmp_path: Path) -> None:
    assert detect_kind(str(make_folder(tmp_path, add_player_info))) is RecordingKind.NEW_STYLE


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda f: (f / "info.json").write_text("{not json"), id="invalid-json"),
        pytest.param(lambda f: add_info_json(f, None), id="no-data-format-version"),
        pytest.param(lambda f: (f / "info.json").write_text("[1.4]"), id="not-an-object"),
        pytest.param(lambda f: add_info_json(f, "beta"), id="unparsable-version"),
        pytest.param(lambda f: (f / "world.mp4").write_bytes(b""), id="only-a-video"),
        pytest.param(lambda f: None, id="empty"),
    ],
)
def test_no_info_file(tmp_path: Path, write: Callable[[Path], object]) -> None:
    folder = make_folder(tmp_path, write)
    with pytest.raises(NoInfoFileError) as info:
        detect_kind(folder)
    assert str(info.value).startswith(
        f"There is no info file (info.player.json, info.csv or info.json) in {folder};"
    )


def test_garbage_info_csv_is_reported(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, lambda f: (f / "info.csv").write_bytes(b"\x00\x01\x02"))
    with pytest.raises(InvalidInfoFileError, match=r"info\.csv is a binary file"):
        detect_kind(folder)


# --- invalid paths ---------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(RecordingNotFoundError) as info:
        detect_kind(missing)
    assert str(missing) in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


@pytest.mark.parametrize(
    "name", ["world.mp4", "eye0.MJPEG", "a.h264", "b.mkv", "c.avi", "world.fake"]
)
def test_video_file_instead_of_folder(tmp_path: Path, name: str) -> None:
    video = tmp_path / name
    video.write_bytes(b"")
    with pytest.raises(NotARecordingError) as info:
        detect_kind(video)
    assert str(info.value) == (
        f"{video} is a video, not a recording folder; pass the folder that contains it."
    )


def test_other_file_instead_of_folder(tmp_path: Path) -> None:
    path = tmp_path / "info.player.json"
    path.write_text("{}")
    with pytest.raises(NotARecordingError, match=r"info\.player\.json is a file, not a recording"):
        detect_kind(path)


def test_unreadable_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(tmp_path, add_player_info)
    real_access = os.access
    # Simulated: tests may run as root, where chmod does not stop reading.
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == folder else real_access(p, mode)
    )
    with pytest.raises(GazeportError) as info:
        detect_kind(folder)
    assert str(info.value).startswith(f"{folder} cannot be read:")


def test_listing_refused_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(tmp_path, add_player_info)

    def refuse(path: object) -> list[str]:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "listdir", refuse)
    with pytest.raises(NotARecordingError, match=r"cannot be read"):
        detect_kind(folder)


def test_read_only_folder_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(tmp_path, add_player_info)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: not (mode & os.W_OK) and real_access(p, mode))
    assert check_recording(folder) is RecordingKind.NEW_STYLE


# --- check_recording -------------------------------------------------------------------------


def test_check_recording_neon(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, add_neon)
    with pytest.raises(UnsupportedRecordingError) as info:
        check_recording(folder)
    assert str(info.value) == (
        f"{folder} is a native Neon recording; gazeport cannot open Neon recordings yet — use "
        "Neon Player or the pupil-labs-neon-recording package for now."
    )


def test_check_recording_cloud_csv(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, add_cloud_csvs)
    with pytest.raises(UnsupportedRecordingError) as info:
        check_recording(folder)
    assert str(info.value) == (
        f"{folder} looks like a Pupil Cloud CSV export, not a recording; open the CSV files "
        "directly."
    )


@pytest.mark.parametrize("name", ["PI world v1 ps1.mjpeg", "PI world v2 ps3.mjpeg"])
def test_check_recording_invisible_with_mjpeg_world(tmp_path: Path, name: str) -> None:
    folder = make_folder(tmp_path, add_invisible, lambda f: (f / name).write_bytes(b""))
    with pytest.raises(UnsupportedRecordingError) as info:
        check_recording(folder)
    assert str(info.value).startswith(
        f"{folder} is a Pupil Invisible recording with an MJPEG scene video ({name}),"
    )


@pytest.mark.parametrize(
    ("parts", "kind"),
    [
        ([add_invisible], RecordingKind.INVISIBLE),
        ([add_invisible, lambda f: (f / "PI left v1 ps1.mjpeg").write_bytes(b"")],
         RecordingKind.INVISIBLE),
        ([add_player_info], RecordingKind.NEW_STYLE),
        ([add_legacy_info_csv], RecordingKind.OLD_STYLE),
        ([add_mobile_info_csv], RecordingKind.MOBILE),
    ],
)  # fmt: skip
def test_check_recording_passes_supported_kinds(
    tmp_path: Path, parts: list[Callable[[Path], object]], kind: RecordingKind
) -> None:
    assert check_recording(make_folder(tmp_path, *parts)) is kind


# --- real recordings -------------------------------------------------------------------------


@needs_recordings
@pytest.mark.parametrize("name", ["core358_artemisge_003", "core121_eyedoit_001", "core116_vedb"])
def test_real_core_recordings_are_new_style(name: str) -> None:
    # core116_vedb also holds a legacy info.csv; info.player.json wins.
    assert check_recording(RECORDINGS / name) is RecordingKind.NEW_STYLE


@needs_recordings
def test_real_neon_recording() -> None:
    folder = RECORDINGS / "neon_demo"
    assert detect_kind(folder) is RecordingKind.NEON
    with pytest.raises(UnsupportedRecordingError, match=r"is a native Neon recording"):
        check_recording(folder)
