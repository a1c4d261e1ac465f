"""Tests of Pupil's key/value CSV reader and writer."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests import fixtures

from gazeport.errors import InvalidInfoFileError, NoInfoFileError
from gazeport.formats.keyvalue_csv import key_value_text, read_key_value_file

RECORDINGS = fixtures.RECORDINGS
needs_recordings = fixtures.needs_recordings


def write_bytes(folder: Path, data: bytes, name: str = "info.csv") -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def oracle_read(text: str) -> dict[str, str]:
    """Player's reading of a file it wrote itself: QUOTE_NONE, escape char, header skipped."""
    lines = text.splitlines(keepends=True)[1:]
    rows = csv.reader(lines, delimiter=",", quoting=csv.QUOTE_NONE, escapechar="\\")
    return {row[0]: row[1] for row in rows if row}


# --- writing ---------------------------------------------------------------------------------


def test_text_has_header_crlf_rows_and_escaped_commas() -> None:
    items = [("Recording Name", "2019_10_10"), ("System Info", "User: lab, Platform: Linux")]
    assert key_value_text(items) == (
        "key,value\r\nRecording Name,2019_10_10\r\nSystem Info,User: lab\\, Platform: Linux\r\n"
    )


def test_text_without_header_and_empty_value() -> None:
    assert key_value_text([("name", ""), ("a", "b")], header=False) == "name,\r\na,b\r\n"


def test_text_escapes_quotes_and_backslashes() -> None:
    assert key_value_text([("k", 'say "hi" \\o/')], header=False) == 'k,say \\"hi\\" \\\\o/\r\n'


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("plain", id="plain"),
        pytest.param("a, b, c", id="commas"),
        pytest.param('"quoted, start"', id="leading-quote"),
        pytest.param("back\\slash", id="backslash"),
        pytest.param("tab\there", id="tab"),
        pytest.param("", id="empty"),
    ],
)
def test_round_trip_matches_player_reading(tmp_path: Path, value: str) -> None:
    text = key_value_text([("first", "1"), ("k", value)])
    path = write_bytes(tmp_path, text.encode())
    assert read_key_value_file(path) == {"first": "1", "k": value}
    assert oracle_read(text) == {"first": "1", "k": value}


@needs_recordings
def test_text_reproduces_capture_user_info_byte_for_byte() -> None:
    expected = (RECORDINGS / "core358_artemisge_003" / "user_info.csv").read_bytes()
    text = key_value_text([("name", ""), ("additional_field", "change_me")])
    assert text.encode() == expected


# --- reading ---------------------------------------------------------------------------------


def test_header_is_skipped(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"key,value\nRecording Name,abc\nDuration Time,00:00:21\n")
    assert read_key_value_file(path) == {"Recording Name": "abc", "Duration Time": "00:00:21"}


def test_first_line_without_key_and_value_is_data(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"Recording Name,abc\r\nStart Date,10.10.2019\r\n")
    assert read_key_value_file(path) == {"Recording Name": "abc", "Start Date": "10.10.2019"}


def test_tab_delimiter_is_sniffed(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"key\tvalue\nSystem Info\tUser: a, Platform: b\nx\t1\n")
    assert read_key_value_file(path) == {"System Info": "User: a, Platform: b", "x": "1"}


def test_escaped_comma_in_value(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"key,value\r\nSystem Info,User: u\\, Platform: Linux\r\n")
    assert read_key_value_file(path) == {"System Info": "User: u, Platform: Linux"}


def test_double_quoted_value_keeps_its_commas(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b'key,value\nSystem Info,"User: u, Platform: Linux"\n')
    assert read_key_value_file(path) == {"System Info": "User: u, Platform: Linux"}


def test_blank_lines_are_ignored_and_later_keys_win(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"key,value\n\na,1\n\na,2\nb,\n")
    assert read_key_value_file(path) == {"a": "2", "b": ""}


def test_empty_file_gives_empty_mapping(tmp_path: Path) -> None:
    assert read_key_value_file(write_bytes(tmp_path, b"")) == {}


def test_utf8_bom_and_windows_1252_are_decoded(tmp_path: Path) -> None:
    bom = write_bytes(tmp_path, "\ufeffkey,value\nUser,Jürgen\n".encode(), "bom.csv")
    cp1252 = write_bytes(tmp_path, "key,value\nUser,Jürgen\n".encode("cp1252"), "cp.csv")
    assert read_key_value_file(bom) == {"User": "Jürgen"}
    assert read_key_value_file(cp1252) == {"User": "Jürgen"}


def test_binary_file_is_rejected_naming_it(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InvalidInfoFileError, match=r"info\.csv is a binary file"):
        read_key_value_file(path)


def test_undecodable_bytes_are_rejected_naming_file_and_offset(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"key,value\na,\x81\x8d\n")
    with pytest.raises(InvalidInfoFileError, match=r"info\.csv is neither UTF-8.*offset 12"):
        read_key_value_file(path)


def test_row_without_value_is_rejected_naming_file_and_row(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"key,value\na,1\njust some words\n")
    with pytest.raises(InvalidInfoFileError) as info:
        read_key_value_file(path)
    assert str(path) in str(info.value)
    assert "row 2 ('just some words') has no value" in str(info.value)


def test_missing_file_raises_no_info_file_error(tmp_path: Path) -> None:
    with pytest.raises(NoInfoFileError, match=r"missing\.csv does not exist"):
        read_key_value_file(tmp_path / "missing.csv")


@needs_recordings
def test_real_user_info_files() -> None:
    assert read_key_value_file(RECORDINGS / "core121_eyedoit_001" / "user_info.csv") == {
        "name": "",
        "additional_field": "change_me",
    }
    vedb = read_key_value_file(RECORDINGS / "core116_vedb" / "user_info.csv")
    assert vedb["name"] == "TEST"
    assert vedb["height"] == "180"
    assert len(vedb) == 8


@needs_recordings
def test_real_legacy_info_csv_with_quoted_system_info() -> None:
    info = read_key_value_file(RECORDINGS / "core116_vedb" / "info.csv")
    assert info["Start Time"] == "TODO"
    assert info["Start Time (System)"] == "1570725800.220913"
    assert info["Duration Time"] == "00:00:21"
    # The file quotes this value instead of escaping its comma; Player would cut it at the comma.
    assert info["System Info"] == "User: test_user, Platform: Linux"
    assert len(info) == 12
