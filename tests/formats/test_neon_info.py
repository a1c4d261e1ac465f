"""info.json, wearer.json and template.json of Neon recordings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests import fixtures
from tests.neon_meta_oracle import oracle_values

from gazeport.errors import (
    CorruptFileError,
    GazeportWarning,
    InvalidInfoFileError,
    NoInfoFileError,
    UnsupportedRecordingError,
)
from gazeport.formats.neon_info import (
    read_neon_info,
    read_neon_template,
    read_neon_wearer,
    template_answers,
)

LFS = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"ab" * 32 + b"\nsize 950\n"


def info_object(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "recording_id": "d69bb34f-a63c-4a5c-8c52-5129b3082654",
        "data_format_version": "2.5",
        "app_version": "2.9.19-stage",
        # beyond 2**53: a float would not keep it exactly
        "start_time": 1760676788219000123,
        "duration": 12443000000,
        "module_serial_number": "578846",
        "wearer_id": "a156",
        "template_data": {"id": "t1", "recording_name": "r", "data": {"q1": ["yes"], "q2": [""]}},
        "gaze_offset": [27.237305, 6.635742],
        "firmware_version": [24, 8],
        "gaze_frequency": 200,
        "wearer_ied": 63.0,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["neon_demo", "neon23_multipart"])
def test_real_info_and_wearer_equal_the_vendor_reader(name: str) -> None:
    folder = fixtures.recording(name)
    expected = oracle_values(folder)
    info = read_neon_info(folder / "info.json")
    assert dict(info.raw) == expected["info"]
    assert info.recording_id == expected["id"]
    assert info.start_time_ns == expected["start_time"]
    assert info.duration_ns == expected["duration"]
    assert info.stop_time_ns == expected["start_time"] + expected["duration"]
    assert info.module_serial_number == expected["device_serial"]
    assert list(info.gaze_offset_px) == expected["info"]["gaze_offset"]
    assert info.data_format_version == expected["info"]["data_format_version"]
    assert info.app_version == expected["info"]["app_version"]
    assert info.wearer_id == expected["wearer"]["uuid"]
    wearer = read_neon_wearer(folder / "wearer.json")
    assert {"uuid": wearer.uuid, "name": wearer.name} == expected["wearer"]


def test_real_template_answers_are_kept_as_data() -> None:
    folder = fixtures.recording("neon23_multipart")
    info = read_neon_info(folder / "info.json")
    template = read_neon_template(folder / "template.json")
    assert template.id == info.template_id == "3af96b92-d20b-44e3-b2e2-a32a6b8ee110"
    (answer,) = template_answers(info, template)
    assert answer.item.title == "Notes" and answer.item.widget_type == "PARAGRAPH"
    assert answer.answers == ("",)
    assert info.recording_name == "2024-10-10_09:41:45"
    assert info.gaze_mode is None
    assert read_neon_info(fixtures.recording("neon_demo/info.json")).gaze_mode == "binocular"


def test_info_fields_have_units_and_exact_ns(tmp_path: Path) -> None:
    info = read_neon_info(write(tmp_path / "info.json", info_object()))
    assert info.start_time_ns == 1760676788219000123
    assert info.gaze_offset_px == (27.237305, 6.635742)
    assert info.firmware_version == (24, 8)
    assert info.gaze_frequency_hz == 200 and info.wearer_ied_mm == 63.0
    assert info.app_version_tuple == (2, 9, 19)
    assert info.template_answers == {"q1": ("yes",), "q2": ("",)}
    assert info.workspace_id is None and info.calib_version is None


def test_unknown_data_format_version_is_one_sentence(tmp_path: Path) -> None:
    path = write(tmp_path / "info.json", info_object(data_format_version="3.0"))
    with pytest.raises(UnsupportedRecordingError) as caught:
        read_neon_info(path)
    assert str(caught.value) == (
        f'{path} has data_format_version "3.0", which gazeport does not know (it reads Neon '
        "data formats 2.3, 2.4, 2.5); update gazeport, or report the version with a sample "
        "recording."
    )


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        pytest.param({"start_time": ...}, r'missing the required key "start_time"', id="missing"),
        pytest.param(
            {"duration": "12 s"}, r'"duration" should be an integer but is "12 s"', id="type"
        ),
        pytest.param({"duration": -5}, r'"duration" should be a duration', id="negative"),
        pytest.param(
            {"gaze_offset": [1.0]}, r'"gaze_offset" should be a list of 2 numbers', id="offset"
        ),
        pytest.param(
            {"template_data": [1]}, r'"template_data" should be a JSON object', id="template"
        ),
    ],
)
def test_bad_info_values_name_file_and_key(tmp_path: Path, changes: dict, match: str) -> None:
    path = write(tmp_path / "info.json", info_object(**changes))
    with pytest.raises(InvalidInfoFileError, match=match):
        read_neon_info(path)


def test_bad_json_missing_file_and_lfs_pointer(tmp_path: Path) -> None:
    path = tmp_path / "info.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InvalidInfoFileError, match=r"info\.json is not valid JSON"):
        read_neon_info(path)
    with pytest.raises(NoInfoFileError):
        read_neon_info(tmp_path / "absent.json")
    path.write_bytes(LFS)
    with pytest.raises(CorruptFileError) as caught:
        read_neon_info(path)
    assert str(caught.value) == (
        f"{path} is a Git LFS placeholder, not the file; fetch it with git lfs pull."
    )


def test_wearer_and_template(tmp_path: Path) -> None:
    wearer = read_neon_wearer(write(tmp_path / "wearer.json", {"name": "Marc", "uuid": "u"}))
    assert (wearer.uuid, wearer.name) == ("u", "Marc")
    with pytest.raises(InvalidInfoFileError, match=r'missing the required key "uuid"'):
        read_neon_wearer(write(tmp_path / "w2.json", {"name": "x"}))
    items = [
        {"id": "q1", "title": "Mood", "widget_type": "RADIO_LIST", "choices": ["ok", "bad"]},
        {"id": "q3", "title": "Unanswered", "required": True},
    ]
    template = read_neon_template(write(tmp_path / "template.json", {"id": "t2", "items": items}))
    assert template.items[0].choices == ("ok", "bad")
    assert template.items[1].required is True
    info = read_neon_info(write(tmp_path / "info.json", info_object()))
    with pytest.warns(GazeportWarning, match="names template t1 but template.json is template t2"):
        answers = template_answers(info, template)
    assert [(a.item.id, a.answers) for a in answers] == [("q1", ("yes",)), ("q3", ())]
