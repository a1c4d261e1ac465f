"""manifest.json checks of Neon recordings: never fatal, a list of what differs."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from tests import fixtures

from gazeport.formats.neon_manifest import check_manifest

LFS = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"cd" * 32 + b"\nsize 4000\n"


def found(folder: Path, crc_limit_bytes: int | None) -> set[tuple[str, str]]:
    return {(m.name, m.problem) for m in check_manifest(folder, crc_limit_bytes=crc_limit_bytes)}


def make_recording(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    manifest = json.dumps(
        [{"name": n, "size": len(d), "crc": format(zlib.crc32(d), "x")} for n, d in files.items()],
        separators=(",", ":"),
    ).encode()
    (folder / "manifest.json").write_bytes(manifest)
    (folder / "manifest.json.crc").write_text(format(zlib.crc32(manifest), "x"))
    return folder


FILES = {
    "info.json": b'{"data_format_version":"2.5"}',
    "gaze ps1.raw": bytes(range(200)) * 20,
    "Neon Scene Camera v1 ps1.mp4": b"\0\0\0\x18ftypmp42" + b"\1" * 4000,
}


def test_neon_demo_lacks_only_its_two_videos() -> None:
    folder = fixtures.recording("neon_demo")
    assert found(folder, crc_limit_bytes=None) == {
        ("Neon Scene Camera v1 ps1.mp4", "missing"),
        ("Neon Sensor Module v1 ps1.mp4", "missing"),
    }


def test_neon23_multipart_finds_exactly_the_known_changes() -> None:
    folder = fixtures.recording("neon23_multipart")
    mismatches = check_manifest(folder, crc_limit_bytes=None)
    assert {(m.name, m.problem) for m in mismatches} == {
        # prettier reformatted the manifest and the JSON files after recording
        ("manifest.json", "manifest-crc"),
        ("info.json", "size"),
        ("wearer.json", "size"),
        ("template.json", "size"),
        # end-of-file-fixer appended a newline to every worn file
        ("worn ps1.raw", "size"),
        ("worn ps2.raw", "size"),
        ("worn ps3.raw", "size"),
        # the lost scene video parts
        ("Neon Scene Camera v1 ps2.mp4", "missing"),
        ("Neon Scene Camera v1 ps3.mp4", "missing"),
    }
    worn = next(m for m in mismatches if m.name == "worn ps1.raw")
    assert (worn.expected_size_bytes, worn.actual_size_bytes) == (639, 640)
    assert worn.message == (
        "worn ps1.raw is 640 bytes but manifest.json says 639; it was changed after recording."
    )


def test_intact_synthetic_recording_has_no_mismatch(tmp_path: Path) -> None:
    assert check_manifest(make_recording(tmp_path / "rec", FILES)) == []
    # files the manifest does not list (Cloud's gaze_200hz) are not checked
    (tmp_path / "rec" / "gaze_200hz.raw").write_bytes(b"x")
    assert check_manifest(tmp_path / "rec") == []


def test_each_kind_of_damage(tmp_path: Path) -> None:
    folder = make_recording(tmp_path / "rec", FILES)
    (folder / "info.json").unlink()
    gaze = bytearray(FILES["gaze ps1.raw"])
    gaze[17] ^= 0xFF
    (folder / "gaze ps1.raw").write_bytes(bytes(gaze))
    (folder / "Neon Scene Camera v1 ps1.mp4").write_bytes(LFS)
    mismatches = check_manifest(folder)
    assert [(m.name, m.problem) for m in mismatches] == [
        ("info.json", "missing"),
        ("gaze ps1.raw", "crc"),
        ("Neon Scene Camera v1 ps1.mp4", "lfs-placeholder"),
    ]
    assert mismatches[0].message == (
        "info.json is listed in manifest.json but is not in the recording folder."
    )
    assert mismatches[1].message.startswith("gaze ps1.raw has the size manifest.json gives but ")
    assert mismatches[2].message == (
        "Neon Scene Camera v1 ps1.mp4 is a Git LFS placeholder, not the file; fetch it with git "
        "lfs pull."
    )
    # a CRC limit skips the content check of larger files, never the size check
    assert found(folder, crc_limit_bytes=100) == {
        ("info.json", "missing"),
        ("Neon Scene Camera v1 ps1.mp4", "lfs-placeholder"),
    }


def test_truncated_file_and_changed_manifest(tmp_path: Path) -> None:
    folder = make_recording(tmp_path / "rec", FILES)
    (folder / "gaze ps1.raw").write_bytes(FILES["gaze ps1.raw"][:-8])
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps(json.loads(manifest.read_text()), indent=2))
    mismatches = check_manifest(folder)
    assert [(m.name, m.problem) for m in mismatches] == [
        ("manifest.json", "manifest-crc"),
        ("gaze ps1.raw", "size"),
    ]
    assert mismatches[1].message == (
        "gaze ps1.raw is 3992 bytes but manifest.json says 4000; it was cut short or changed "
        "after recording."
    )


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"name": "x"}', LFS, b'[{"name": "../outside", "size": 1, "crc": "0"}]'],
    ids=["bad-json", "not-a-list", "lfs", "path"],
)
def test_a_bad_manifest_is_reported_not_raised(tmp_path: Path, content: bytes) -> None:
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "manifest.json").write_bytes(content)
    (mismatch,) = check_manifest(folder)
    assert mismatch.problem in {"unreadable", "lfs-placeholder"}
    assert "manifest.json" in mismatch.message


def test_no_manifest_is_nothing_to_check(tmp_path: Path) -> None:
    assert check_manifest(tmp_path) == []
