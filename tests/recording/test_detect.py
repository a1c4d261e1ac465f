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
    ],
)
def test_unusable_info_json(tmp_path: Path, write: Callable[[Path], object]) -> None:
    folder = make_folder(tmp_path, write)
    with pytest.raises(NoInfoFileError) as info:
        detect_kind(folder)
    assert str(info.value).startswith(
        f"{folder / 'info.json'} has no readable data_format_version, so it is not the info file "
        "of a Pupil Invisible or Neon recording;"
    )


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda f: None, id="empty"),
        pytest.param(lambda f: (f / "notes.txt").write_text("hello"), id="unrelated-file"),
        pytest.param(
            lambda f: (f / "results.csv").write_text("subject,score\n1,2\n"), id="own-csv"
        ),
        pytest.param(lambda f: (f / "data").mkdir(), id="empty-subfolder"),
    ],
)
def test_no_info_file(tmp_path: Path, write: Callable[[Path], object]) -> None:
    folder = make_folder(tmp_path, write)
    with pytest.raises(NoInfoFileError) as info:
        detect_kind(folder)
    assert str(info.value) == (
        f"{folder} is not a recording: it has no info file (info.player.json, info.csv or "
        "info.json); pass the folder of a Pupil Capture, Pupil Mobile or Pupil Invisible "
        "recording."
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
    """Neon recordings are no longer refused: they open as NeonRecording."""
    assert check_recording(make_folder(tmp_path, add_neon)) is RecordingKind.NEON


def test_check_recording_cloud_csv(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, add_cloud_csvs)
    with pytest.raises(UnsupportedRecordingError) as info:
        check_recording(folder)
    assert str(info.value) == (
        f"{folder} looks like a Pupil Cloud CSV export without gaze.csv and info.json (an "
        "enrichment?); gazeport opens Cloud's Timeseries Data downloads, open these CSV "
        "files directly."
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
    assert check_recording(folder) is RecordingKind.NEON


# --- what a folder is when it is not a recording ----------------------------------------------


def add_core_data(folder: Path) -> None:
    """A Pupil Capture recording's data files, without its info file."""
    for name in ("gaze.pldata", "gaze_timestamps.npy", "world_timestamps.npy", "world.mp4"):
        (folder / name).write_bytes(b"")
    (folder / "user_info.csv").write_text("key,value\n")  # once taken for a Cloud export


def add_neon_data(folder: Path) -> None:
    """A native Neon recording's files (spec neon-format.md 1.1), without info.json."""
    for name in ("gaze ps1.raw", "gaze ps1.time", "Neon Scene Camera v1 ps1.mp4", "event.time"):
        (folder / name).write_bytes(b"")
    (folder / "wearer.json").write_text('{"name": "w"}')


def make_recording(folder: Path, *parts: Callable[[Path], object]) -> Path:
    folder.mkdir(parents=True)
    for add in parts:
        add(folder)
    return folder


def diagnosis(path: Path) -> str:
    with pytest.raises(NoInfoFileError) as info:
        detect_kind(path)
    return str(info.value)


def test_study_folder_counts_its_recordings(tmp_path: Path) -> None:
    study = tmp_path / "study"
    make_recording(study / "p01" / "rec", add_player_info)
    make_recording(study / "p02" / "rec", add_legacy_info_csv)
    make_recording(study / "p03" / "session" / "neon", add_neon)
    make_recording(study / "p04" / "broken", add_core_data)
    make_recording(study / "p01" / "rec" / "exports" / "000" / "copy", add_player_info)
    (study / "notes").mkdir()
    (study / ".hidden" / "rec").mkdir(parents=True)
    add_player_info(study / ".hidden" / "rec")
    assert diagnosis(study) == (
        f"{study} holds 4 recordings (p01/rec, p02/rec, …) and is not one itself; pass one of "
        "them, or add --recursive (-r) to gazeport export to export them all."
    )
    one = make_recording(tmp_path / "one" / "rec", add_player_info).parent
    assert f"{one} holds 1 recording (rec) and is not one itself;" in diagnosis(one)


def test_recording_count_is_bounded_in_depth_and_time(tmp_path: Path) -> None:
    from gazeport.recording.diagnose import count_recordings

    study = tmp_path / "study"
    make_recording(study / "a" / "rec", add_player_info)
    make_recording(study / "b" / "c" / "d" / "e" / "rec", add_player_info)  # 5 levels down
    assert count_recordings(study) == ([study / "a" / "rec"], False)
    assert count_recordings(study, max_depth=5) == (
        [study / "a" / "rec", study / "b" / "c" / "d" / "e" / "rec"],
        True,
    )
    assert count_recordings(study, budget_s=0.0) == ([], False)
    (study / "b" / "c" / "d" / "e" / "rec" / "info.player.json").unlink()
    assert "holds at least 1 recording (a/rec)" in diagnosis(study)


def test_export_folder_names_its_recording(tmp_path: Path) -> None:
    rec = make_recording(tmp_path / "rec", add_player_info, add_core_data)
    export = make_recording(rec / "exports" / "000")
    assert diagnosis(export) == f"{export} is an export of {rec}, not a recording; pass {rec}."
    (export / "export_info.csv").write_text("key,value\nPlayer Software Version,3.5.1\n")
    (export / "gaze_positions.csv").write_text("gaze_timestamp,world_index\n")
    (export / "fixations.csv").write_text("id,start_timestamp\n")
    assert diagnosis(export) == f"{export} is an export of {rec}, not a recording; pass {rec}."
    assert diagnosis(rec / "exports") == (
        f"{rec / 'exports'} holds the exports of {rec}, not a recording; pass {rec}."
    )
    offline = make_recording(rec / "offline_data" / "tokens")
    assert diagnosis(offline) == (
        f"{offline} is a folder inside the recording {rec}, not a recording; pass {rec}."
    )


def test_export_written_elsewhere_is_told_by_its_job_record(tmp_path: Path) -> None:
    out = make_recording(tmp_path / "out" / "p01")
    (out / "export_info.csv").write_text("key,value\n")
    assert diagnosis(out) == (
        f"{out} is an export (it holds export_info.csv), not a recording; pass the recording "
        "folder it was exported from."
    )
    rec = tmp_path / "somewhere" / "rec"
    (out / "gazeport_export.json").write_text(json.dumps({"recording": str(rec)}))
    assert diagnosis(out) == f"{out} is an export of {rec}, not a recording; pass {rec}."


def test_neon_player_export_is_an_export_not_a_cloud_export(tmp_path: Path) -> None:
    export = make_recording(tmp_path / "2024-01-01_10-00-00_export", add_neon)
    (export / "export_info.csv").write_text("key,value\nPlayer Software Version,6.0.13\n")
    (export / "gaze.csv").write_text("recording id,timestamp [ns],gaze x [px]\n")
    assert diagnosis(export).startswith(f"{export} is an export (it holds export_info.csv),")


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param(
            [add_core_data],
            "{f} holds Pupil Capture recording files (gaze.pldata, gaze_timestamps.npy, …) but no "
            "info.player.json or info.csv, which gazeport (like Pupil Player) needs to open it; "
            "copy the info file back from the original recording.",
            id="core",
        ),
        pytest.param(
            [lambda f: (f / "world.mp4").write_bytes(b"")],
            "{f} holds Pupil Capture recording files (world.mp4) but no info.player.json or "
            "info.csv, which gazeport (like Pupil Player) needs to open it; copy the info file "
            "back from the original recording.",
            id="only-a-world-video",
        ),
        pytest.param(
            [add_neon_data],
            "{f} holds Neon recording files (Neon Scene Camera v1 ps1.mp4, event.time, …) but "
            "no info.json, which is needed to open it; copy info.json back from the original "
            "recording.",
            id="neon",
        ),
        pytest.param(
            [lambda f: (f / "PI world v1 ps1.mp4").write_bytes(b"")],
            "{f} holds Pupil Invisible recording files (PI world v1 ps1.mp4) but no info.json, "
            "which is needed to open it; copy info.json back from the original recording.",
            id="invisible",
        ),
    ],
)
def test_recording_without_its_info_file(
    tmp_path: Path, parts: list[Callable[[Path], object]], expected: str
) -> None:
    folder = make_folder(tmp_path, *parts)
    message = diagnosis(folder)
    assert message == expected.format(f=folder)
    assert "Cloud" not in message


def test_real_cloud_timeseries_export_is_still_recognised(tmp_path: Path) -> None:
    # the files of a Pupil Cloud "Timeseries Data" download (spec neon-format.md 3.1)
    folder = make_folder(tmp_path, add_neon)
    (folder / "gaze.csv").write_text(
        "section id,recording id,timestamp [ns],gaze x [px],gaze y [px],worn,fixation id,"
        "blink id,azimuth [deg],elevation [deg]\r\n"
    )
    (folder / "world_timestamps.csv").write_text(
        "section id,recording id,timestamp [ns]\r\n", encoding="utf-8-sig"
    )
    assert detect_kind(folder) is RecordingKind.CLOUD_CSV
    assert check_recording(folder) is RecordingKind.CLOUD_CSV  # opens as a CloudRecording
    enrichment = make_recording(tmp_path / "marker_mapper")
    (enrichment / "aoi_fixations.csv").write_text("aoi id,aoi name,section id,recording id\n")
    assert detect_kind(enrichment) is RecordingKind.CLOUD_CSV
    with pytest.raises(UnsupportedRecordingError, match=r"looks like a Pupil Cloud CSV export"):
        check_recording(enrichment)


def test_python_open_says_what_the_folder_is(tmp_path: Path) -> None:
    import gazeport

    study = tmp_path / "study"
    make_recording(study / "p01" / "rec", add_player_info)
    with pytest.raises(NoInfoFileError, match=r"holds 1 recording \(p01/rec\)"):
        gazeport.open(study)


@needs_recordings
def test_real_core_recording_without_its_info_file(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "rec"
    shutil.copytree(RECORDINGS / "core121_eyedoit_001", folder)
    folder.chmod(0o755)  # the fixtures are read-only
    (folder / "info.player.json").unlink()
    assert diagnosis(folder).startswith(
        f"{folder} holds Pupil Capture recording files (gaze.pldata, notify.pldata, …) but no "
        "info.player.json or info.csv"
    )
