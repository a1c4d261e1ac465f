"""Tests of the info file readers: info.player.json, legacy/Mobile info.csv, PI info.json."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests import fixtures

from gazeport.errors import GazeportWarning, InvalidInfoFileError, UnsupportedRecordingError
from gazeport.formats.info_files import (
    RecordingInfo,
    first_video_timestamp,
    read_invisible_info,
    read_mobile_info,
    read_old_style_info,
    read_player_info,
    wall_clock_offset_s,
)

RECORDINGS = fixtures.RECORDINGS
needs_recordings = fixtures.needs_recordings

PLAYER_INFO: dict[str, Any] = {
    "duration_s": 61.532911,
    "meta_version": "2.3",
    "min_player_version": "2.0",
    "recording_name": "2024_01_31",
    "recording_software_name": "Pupil Capture",
    "recording_software_version": "3.5.1",
    "recording_uuid": "0b4e7a2c-3f51-4a8e-9a57-0c9f5d0e2b11",
    "start_time_synced_s": 5123.456789,
    "start_time_system_s": 1706700000.123456,
    "system_info": "User: lab, Platform: Linux",
}

LEGACY_ROWS: dict[str, str] = {
    "Recording Name": "2017_05_04",
    "Start Date": "04.05.2017",
    "Start Time": "14:03:21",
    "Start Time (System)": "1493899401.5",
    "Start Time (Synced)": "1234.25",
    "Recording UUID": "6b1d0b2e-9d3c-4a56-8b1e-1c2f0e8a9d77",
    "Duration Time": "01:02:03",
    "World Camera Frames": "1000",
    "World Camera Resolution": "1280x720",
    "Capture Software Version": "1.0.4",
    "Data Format Version": "1.0.4",
    "System Info": "User: lab, Platform: Darwin, Machine: mac",
}

INVISIBLE_INFO: dict[str, Any] = {
    "recording_id": "9c5f9b62-4e0a-4c55-8d3e-2f5b1e0c7a11",
    "data_format_version": "1.4",
    "app_version": "1.4.23-prod",
    "start_time": 1600000000123456789,
    "duration": 12500000000,
    "android_device_id": "abc123",
    "android_device_name": "OnePlus 8",
    "android_device_model": "IN2013",
}


def make_rec_dir(tmp_path: Path, name: str = "rec_001") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


def write_player_info(folder: Path, **changes: Any) -> Path:
    data = {**PLAYER_INFO, **changes}
    data = {k: v for k, v in data.items() if v is not ...}
    path = folder / "info.player.json"
    path.write_text(json.dumps(data, indent=4))
    return path


def write_info_csv(folder: Path, rows: dict[str, str]) -> Path:
    """Write rows the way Capture < 1.16 did: header, escaped commas, CRLF."""
    lines = ["key,value"] + [f"{k},{v.replace(',', chr(92) + ',')}" for k, v in rows.items()]
    path = folder / "info.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return path


def write_json(folder: Path, data: Any, name: str = "info.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data))
    return path


def without(rows: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in rows.items() if k not in keys}


def never_called() -> float | None:
    raise AssertionError("first_timestamps must not be called when Start Time (Synced) exists")


# --- info.player.json ------------------------------------------------------------------------


def test_player_info_reads_every_field(tmp_path: Path) -> None:
    info = read_player_info(write_player_info(make_rec_dir(tmp_path)))
    assert info == RecordingInfo(source_file="info.player.json", **PLAYER_INFO)
    assert info.start_time_system_ns == 1706700000123456000
    assert info.start_time_synced_ns == 5123456789000
    assert info.duration_ns == 61532911000


def test_player_info_defaults(tmp_path: Path) -> None:
    folder = make_rec_dir(tmp_path, "my_session")
    path = write_player_info(
        folder, meta_version="2.1", min_player_version=..., recording_uuid=...,
        recording_name=..., system_info=...,
    )  # fmt: skip
    info = read_player_info(path)
    assert info.min_player_version == "1.16"
    assert info.recording_name == "my_session"
    assert info.system_info == ""
    assert str(uuid.UUID(info.recording_uuid)) == info.recording_uuid
    # derived, not random: the same id every time the recording is opened (the label store
    # and exports key on it), another id for another recording
    assert read_player_info(path).recording_uuid == info.recording_uuid
    other = write_player_info(
        make_rec_dir(tmp_path, "other"), meta_version="2.1", recording_uuid=...,
        start_time_system_s=1706700001.5,
    )  # fmt: skip
    assert read_player_info(other).recording_uuid != info.recording_uuid
    assert info.inferred == (
        "min_player_version",
        "recording_uuid",
        "recording_name",
        "system_info",
    )


@pytest.mark.parametrize(
    ("meta", "expected_min"),
    [("2.0", "1.16"), ("2.1", "1.16"), ("2.2", "2.0"), ("2.3", "2.0"), (..., "1.16")],
)
def test_player_info_min_player_version_default_follows_meta(
    tmp_path: Path, meta: Any, expected_min: str
) -> None:
    path = write_player_info(make_rec_dir(tmp_path), meta_version=meta, min_player_version=...)
    info = read_player_info(path)
    assert info.min_player_version == expected_min
    assert info.meta_version == ("2.0" if meta is ... else meta)


def test_player_info_accepts_integer_times(tmp_path: Path) -> None:
    path = write_player_info(
        make_rec_dir(tmp_path), duration_s=12, start_time_synced_s=0, start_time_system_s=1700000000
    )
    info = read_player_info(path)
    assert (info.duration_s, info.start_time_synced_s, info.start_time_system_s) == (
        12.0,
        0.0,
        1700000000.0,
    )
    assert isinstance(info.duration_s, float)


@pytest.mark.parametrize(
    "key",
    [
        "start_time_system_s",
        "start_time_synced_s",
        "duration_s",
        "recording_software_name",
        "recording_software_version",
    ],
)
def test_player_info_missing_required_key(tmp_path: Path, key: str) -> None:
    path = write_player_info(make_rec_dir(tmp_path), **{key: ...})
    with pytest.raises(InvalidInfoFileError) as info:
        read_player_info(path)
    assert str(info.value).startswith(f'{path} is missing the required key "{key}";')


@pytest.mark.parametrize(
    ("key", "value", "expected", "got"),
    [
        pytest.param("duration_s", "12.5", "a number", "a JSON string", id="time-string"),
        pytest.param("duration_s", True, "a number", "a JSON boolean", id="time-bool"),
        pytest.param("start_time_system_s", None, "a number", "a JSON null", id="time-null"),
        pytest.param("recording_software_version", 3.5, "a string", "a JSON number", id="ver"),
        pytest.param("recording_uuid", [1], "a string", "a JSON array", id="uuid-array"),
        pytest.param("meta_version", {"v": 2}, "a string", "a JSON object", id="meta-object"),
    ],
)
def test_player_info_wrong_type_names_key_and_types(
    tmp_path: Path, key: str, value: Any, expected: str, got: str
) -> None:
    path = write_player_info(make_rec_dir(tmp_path), **{key: value})
    with pytest.raises(InvalidInfoFileError) as info:
        read_player_info(path)
    assert str(info.value).startswith(f'{path}: "{key}" should be {expected} but is {got} (')


def test_player_info_rejects_non_finite_time(tmp_path: Path) -> None:
    path = make_rec_dir(tmp_path) / "info.player.json"
    path.write_text(json.dumps({**PLAYER_INFO, "duration_s": float("nan")}))
    with pytest.raises(InvalidInfoFileError, match=r'"duration_s" is nan, which is not a finite'):
        read_player_info(path)


def test_player_info_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = make_rec_dir(tmp_path) / "info.player.json"
    path.write_text('{\n    "duration_s": 1.0,\n    "meta_version": "2.3"\n    "x": 1\n}')
    with pytest.raises(InvalidInfoFileError) as info:
        read_player_info(path)
    assert str(info.value).startswith(
        f"{path} is not valid JSON (Expecting ',' delimiter at line 4"
    )


def test_player_info_must_be_an_object(tmp_path: Path) -> None:
    path = write_json(make_rec_dir(tmp_path), [1, 2], "info.player.json")
    with pytest.raises(
        InvalidInfoFileError, match=r"should hold a JSON object but holds a JSON list"
    ):
        read_player_info(path)


def test_player_info_newer_meta_version_warns_and_reads(tmp_path: Path) -> None:
    path = write_player_info(make_rec_dir(tmp_path), meta_version="2.4", min_player_version="3.7")
    with pytest.warns(GazeportWarning, match=r"meta_version 2\.4, newer .* Pupil Player >= 3\.7"):
        info = read_player_info(path)
    assert (info.meta_version, info.min_player_version, info.duration_s) == (
        "2.4",
        "3.7",
        61.532911,
    )


def test_player_info_newer_meta_version_without_min_player_version(tmp_path: Path) -> None:
    path = write_player_info(make_rec_dir(tmp_path), meta_version="3.0", min_player_version=...)
    with pytest.raises(
        UnsupportedRecordingError, match=r"meta_version 3\.0, newer .*update gazeport"
    ):
        read_player_info(path)


@pytest.mark.parametrize("meta", ["1.9", "two", "2.x"])
def test_player_info_bad_meta_version(tmp_path: Path, meta: str) -> None:
    path = write_player_info(make_rec_dir(tmp_path), meta_version=meta)
    with pytest.raises(InvalidInfoFileError, match=rf'"meta_version" .*{meta}'):
        read_player_info(path)


@needs_recordings
@pytest.mark.parametrize(
    ("folder", "meta", "minimum", "software_version", "duration", "synced", "system", "uuid_"),
    [
        pytest.param(
            "core358_artemisge_003", "2.3", "2.0", "3.5.8", 14.045537420000983,
            1.5892504839994217, 1706189348.297847, "f5158290-5f91-44bf-839a-1eb24c5f78d0",
            id="core358",
        ),
        pytest.param(
            "core121_eyedoit_001", "2.1", "1.16", "1.21.5", 8.662413000012748,
            523599.170657, 1581935741.353782, "5d294b9f-6c5a-4d4d-97fe-38b524a0420b",
            id="core121",
        ),
        pytest.param(
            "core116_vedb", "2.0", "1.16", "1.16.95", 21.111775958999715,
            2294.807856069, 1570725800.220913, "e5059604-26f1-42ed-8e35-354198b56021",
            id="core116",
        ),
    ],
)  # fmt: skip
def test_real_player_info(
    folder: str,
    meta: str,
    minimum: str,
    software_version: str,
    duration: float,
    synced: float,
    system: float,
    uuid_: str,
) -> None:
    info = read_player_info(RECORDINGS / folder / "info.player.json")
    assert info.meta_version == meta
    assert info.min_player_version == minimum
    assert info.recording_software_name == "Pupil Capture"
    assert info.recording_software_version == software_version
    assert info.duration_s == duration
    assert info.start_time_synced_s == synced
    assert info.start_time_system_s == system
    assert info.recording_uuid == uuid_
    assert info.source_file == "info.player.json"
    assert info.inferred == ()
    assert wall_clock_offset_s(info, is_invisible=False) == system - synced


# --- legacy info.csv -------------------------------------------------------------------------


def test_old_style_with_all_keys(tmp_path: Path) -> None:
    path = write_info_csv(make_rec_dir(tmp_path), LEGACY_ROWS)
    info = read_old_style_info(path, never_called)
    assert info == RecordingInfo(
        meta_version="2.0",
        min_player_version="1.16",
        recording_uuid="6b1d0b2e-9d3c-4a56-8b1e-1c2f0e8a9d77",
        start_time_system_s=1493899401.5,
        start_time_synced_s=1234.25,
        duration_s=3723.0,
        recording_software_name="Pupil Capture",
        recording_software_version="1.0.4",
        recording_name="2017_05_04",
        system_info="User: lab, Platform: Darwin, Machine: mac",
        source_file="info.csv",
        inferred=("recording_software_name",),
    )


def test_old_style_without_start_times_infers_them(tmp_path: Path) -> None:
    folder = make_rec_dir(tmp_path, "old_rec")
    rows = without(
        LEGACY_ROWS, "Start Time (System)", "Start Time (Synced)", "Recording UUID",
        "Recording Name", "System Info",
    )  # fmt: skip
    rows["Capture Software Version"] = "v0.9.14"
    path = write_info_csv(folder, rows)
    info = read_old_style_info(path, lambda: 42.5)
    assert info.start_time_system_s == datetime(2017, 5, 4, 14, 3, 21).timestamp()
    assert info.start_time_synced_s == 42.5
    assert info.recording_software_version == "v0.9.14"
    assert info.recording_name == "old_rec"
    assert info.system_info == ""
    assert str(uuid.UUID(info.recording_uuid)) == info.recording_uuid
    assert info.inferred == (
        "start_time_system_s",
        "start_time_synced_s",
        "recording_software_name",
        "recording_uuid",
        "recording_name",
        "system_info",
    )


def test_old_style_opened_mobile_recording_uses_mobile_date_format(tmp_path: Path) -> None:
    rows = without(LEGACY_ROWS, "Start Time (System)")
    rows.update({"Capture Software": "Pupil Mobile", "Start Date": "04:05:2017"})
    info = read_old_style_info(write_info_csv(make_rec_dir(tmp_path), rows), never_called)
    assert info.start_time_system_s == datetime(2017, 5, 4, 14, 3, 21).timestamp()
    assert info.recording_software_name == "Pupil Mobile"


def test_old_style_synced_start_from_video_timestamps(tmp_path: Path) -> None:
    folder = make_rec_dir(tmp_path)
    np.save(folder / "world_timestamps.npy", np.array([10.5, 10.6]))
    np.save(folder / "eye0_timestamps.npy", np.array([10.25, 10.3]))
    np.save(folder / "eye1_timestamps.npy", np.array([], dtype=np.float64))
    np.save(folder / "gaze_timestamps.npy", np.array([1.0]))  # not a video: ignored
    path = write_info_csv(folder, without(LEGACY_ROWS, "Start Time (Synced)"))
    assert first_video_timestamp(folder) == 10.25
    info = read_old_style_info(path, lambda: first_video_timestamp(folder))
    assert info.start_time_synced_s == 10.25
    assert info.inferred == ("start_time_synced_s", "recording_software_name")


def test_old_style_without_any_synced_start(tmp_path: Path) -> None:
    path = write_info_csv(make_rec_dir(tmp_path), without(LEGACY_ROWS, "Start Time (Synced)"))
    with pytest.raises(InvalidInfoFileError, match=r'no "Start Time \(Synced\)" entry and there'):
        read_old_style_info(path, lambda: None)


@pytest.mark.parametrize("key", ["Capture Software Version", "Duration Time"])
def test_old_style_missing_required_key(tmp_path: Path, key: str) -> None:
    path = write_info_csv(make_rec_dir(tmp_path), without(LEGACY_ROWS, key))
    with pytest.raises(InvalidInfoFileError) as info:
        read_old_style_info(path, never_called)
    assert str(info.value).startswith(f'{path} has no "{key}" entry; the recording is too old')


def test_old_style_missing_start_date(tmp_path: Path) -> None:
    rows = without(LEGACY_ROWS, "Start Time (System)", "Start Date")
    path = write_info_csv(make_rec_dir(tmp_path), rows)
    with pytest.raises(InvalidInfoFileError, match=r'no "Start Time \(System\)" entry and no'):
        read_old_style_info(path, never_called)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("Start Time (System)", "TODO", r"\"Start Time \(System\)\" is 'TODO', which is not a"),
        ("Start Time (Synced)", "nan", r"\"Start Time \(Synced\)\" is 'nan', which is not a"),
        ("Duration Time", "TODO", r"\"Duration Time\" is 'TODO', which is not a duration"),
        ("Duration Time", "00:-1:00", r"\"Duration Time\" is '00:-1:00'"),
    ],
)  # fmt: skip
def test_old_style_unparsable_values(tmp_path: Path, key: str, value: str, message: str) -> None:
    path = write_info_csv(make_rec_dir(tmp_path), {**LEGACY_ROWS, key: value})
    with pytest.raises(InvalidInfoFileError, match=message):
        read_old_style_info(path, never_called)


def test_old_style_unparsable_start_date(tmp_path: Path) -> None:
    rows = {**without(LEGACY_ROWS, "Start Time (System)"), "Start Time": "TODO"}
    path = write_info_csv(make_rec_dir(tmp_path), rows)
    with pytest.raises(InvalidInfoFileError, match=r"'TODO' do not form a date like 31\.10\.2019"):
        read_old_style_info(path, never_called)


@needs_recordings
def test_real_legacy_info_csv_agrees_with_its_player_info() -> None:
    folder = RECORDINGS / "core116_vedb"
    legacy = read_old_style_info(folder / "info.csv", never_called)
    player = read_player_info(folder / "info.player.json")
    assert legacy.start_time_system_s == player.start_time_system_s == 1570725800.220913
    assert legacy.start_time_synced_s == player.start_time_synced_s == 2294.807856069
    assert legacy.duration_s == 21.0  # "00:00:21": whole seconds only
    assert legacy.recording_uuid == player.recording_uuid
    assert legacy.recording_software_version == "1.16.95"
    assert legacy.system_info == player.system_info == "User: test_user, Platform: Linux"
    assert legacy.inferred == ("recording_software_name",)
    assert first_video_timestamp(folder) == 2294.825315


# --- Pupil Mobile info.csv -------------------------------------------------------------------

MOBILE_ROWS = {
    **without(LEGACY_ROWS, "Data Format Version"),
    "Capture Software": "Pupil Mobile",
    "Capture Software Version": "1.2.3",
    "Start Date": "04:05:2017",
}


def test_mobile_info(tmp_path: Path) -> None:
    info = read_mobile_info(write_info_csv(make_rec_dir(tmp_path), MOBILE_ROWS))
    assert (info.meta_version, info.min_player_version) == ("2.3", "2.0")
    assert info.recording_software_name == "Pupil Mobile"
    assert info.recording_software_version == "1.2.3"
    assert (info.start_time_system_s, info.start_time_synced_s) == (1493899401.5, 1234.25)
    assert info.duration_s == 3723.0
    assert info.inferred == ()


def test_mobile_infers_start_from_mobile_date_format(tmp_path: Path) -> None:
    rows = without(MOBILE_ROWS, "Start Time (System)")
    info = read_mobile_info(write_info_csv(make_rec_dir(tmp_path), rows))
    assert info.start_time_system_s == datetime(2017, 5, 4, 14, 3, 21).timestamp()
    assert info.inferred == ("start_time_system_s",)


@pytest.mark.parametrize("version", ["1.3", "1.3.0", "2.0.1"])
def test_mobile_version_1_3_and_newer_is_unsupported(tmp_path: Path, version: str) -> None:
    folder = make_rec_dir(tmp_path)
    path = write_info_csv(folder, {**MOBILE_ROWS, "Capture Software Version": version})
    with pytest.raises(UnsupportedRecordingError) as info:
        read_mobile_info(path)
    assert str(info.value).startswith(f"{folder} was recorded with Pupil Mobile {version};")


@pytest.mark.parametrize(
    "key", ["Start Time (Synced)", "Duration Time", "Capture Software Version"]
)
def test_mobile_missing_key_asks_for_format_update(tmp_path: Path, key: str) -> None:
    path = write_info_csv(make_rec_dir(tmp_path), without(MOBILE_ROWS, key))
    with pytest.raises(InvalidInfoFileError) as info:
        read_mobile_info(path)
    assert str(info.value).startswith(f'{path} has no "{key}" entry; this Pupil Mobile recording')
    assert "open it once in Pupil Player v1.17" in str(info.value)


# --- Pupil Invisible info.json ---------------------------------------------------------------


def test_invisible_info(tmp_path: Path) -> None:
    folder = make_rec_dir(tmp_path, "pi_rec")
    info, raw = read_invisible_info(write_json(folder, INVISIBLE_INFO))
    assert raw == INVISIBLE_INFO
    assert info == RecordingInfo(
        meta_version="2.1",
        min_player_version="1.16",
        recording_uuid="9c5f9b62-4e0a-4c55-8d3e-2f5b1e0c7a11",
        start_time_system_s=1600000000.1234567,
        start_time_synced_s=1600000000.1234567,
        duration_s=12.5,
        recording_software_name="Pupil Invisible",
        recording_software_version="1.4.23-prod",
        recording_name="pi_rec",
        system_info=(
            "Android device ID: abc123; Android device name: OnePlus 8; "
            "Android device model: IN2013"
        ),
        source_file="info.json",
    )
    assert wall_clock_offset_s(info, is_invisible=True) == 1600000000.1234567
    assert wall_clock_offset_s(info, is_invisible=False) == 0.0


def test_invisible_missing_device_fields_and_id(tmp_path: Path) -> None:
    data = without(INVISIBLE_INFO, "android_device_name", "android_device_model", "recording_id")
    path = write_json(make_rec_dir(tmp_path), data)
    info, _ = read_invisible_info(path)
    assert info.system_info == (
        "Android device ID: abc123; Android device name: ?; Android device model: ?"
    )
    assert str(uuid.UUID(info.recording_uuid)) == info.recording_uuid
    assert read_invisible_info(path)[0].recording_uuid == info.recording_uuid  # not random
    assert info.inferred == ("recording_uuid",)


@pytest.mark.parametrize("version", ["1.0", "1.4", "0.9.1"])
def test_invisible_supported_versions(tmp_path: Path, version: str) -> None:
    data = {**INVISIBLE_INFO, "data_format_version": version}
    info, _ = read_invisible_info(write_json(make_rec_dir(tmp_path), data))
    assert info.recording_software_name == "Pupil Invisible"


@pytest.mark.parametrize(
    ("version", "kind"), [("1.5", "too new"), ("2.0", "a Neon recording"), ("2.5", "a Neon")]
)
def test_invisible_unsupported_versions(tmp_path: Path, version: str, kind: str) -> None:
    path = write_json(make_rec_dir(tmp_path), {**INVISIBLE_INFO, "data_format_version": version})
    with pytest.raises(UnsupportedRecordingError) as info:
        read_invisible_info(path)
    assert str(info.value).startswith(f"{path} has data_format_version {version} ({kind}")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"start_time": ...}, r'missing the required key "start_time"', id="start"),
        pytest.param({"duration": "12"}, r'"duration" should be a number', id="duration-str"),
        pytest.param({"app_version": ...}, r'missing the required key "app_version"', id="app"),
        pytest.param({"recording_id": 7}, r'"recording_id" should be a string', id="id"),
        pytest.param({"data_format_version": ...}, r'no "data_format_version" key', id="dfv"),
        pytest.param({"data_format_version": "x"}, r"'x', which is not a version", id="dfv-x"),
    ],
)
def test_invisible_invalid_info(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    data = {k: v for k, v in {**INVISIBLE_INFO, **change}.items() if v is not ...}
    with pytest.raises(InvalidInfoFileError, match=message):
        read_invisible_info(write_json(make_rec_dir(tmp_path), data))


@needs_recordings
def test_real_neon_info_json_is_not_invisible() -> None:
    path = RECORDINGS / "neon_demo" / "info.json"
    with pytest.raises(UnsupportedRecordingError, match=r"data_format_version 2\.5 \(a Neon"):
        read_invisible_info(path)


# --- wall clock ------------------------------------------------------------------------------


def _info(system: float, synced: float) -> RecordingInfo:
    values = {**PLAYER_INFO, "start_time_system_s": system, "start_time_synced_s": synced}
    return RecordingInfo(source_file="info.player.json", **values)


@pytest.mark.parametrize(
    ("system", "synced", "invisible", "expected"),
    [
        (1706700000.5, 5123.25, False, 1706694877.25),
        (1706700000.5, -100.0, False, 1706700100.5),
        (1600000000.5, 1600000000.5, True, 1600000000.5),
    ],
)
def test_wall_clock_offset(system: float, synced: float, invisible: bool, expected: float) -> None:
    assert wall_clock_offset_s(_info(system, synced), invisible) == expected
