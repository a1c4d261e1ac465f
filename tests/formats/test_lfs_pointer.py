"""Git LFS pointer files in place of recording files."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazeport.errors import CorruptFileError
from gazeport.formats.lfs_pointer import (
    check_not_lfs_pointer,
    is_lfs_pointer,
    lfs_pointer_error,
    read_lfs_pointer,
)

POINTER = (
    b"version https://git-lfs.github.com/spec/v1\n"
    b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    b"size 7933531\n"
)


def test_pointer_is_recognised_with_its_size(tmp_path: Path) -> None:
    path = tmp_path / "Neon Scene Camera v1 ps1.mp4"
    path.write_bytes(POINTER)
    assert is_lfs_pointer(path)
    pointer = read_lfs_pointer(path)
    assert pointer is not None and pointer.size_bytes == 7933531
    assert pointer.oid.startswith("sha256:4d7a")


@pytest.mark.parametrize(
    "content",
    [b"", b"\0\0\0\x18ftypmp42", POINTER + b"x" * 1024, b"version 1\n"],
    ids=["empty", "video", "large", "other-text"],
)
def test_other_files_are_not_pointers(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    assert not is_lfs_pointer(path)
    check_not_lfs_pointer(path)


def test_missing_file_is_not_a_pointer(tmp_path: Path) -> None:
    assert not is_lfs_pointer(tmp_path / "absent")


def test_the_error_sentence(tmp_path: Path) -> None:
    path = tmp_path / "gaze ps1.raw"
    path.write_bytes(POINTER)
    with pytest.raises(CorruptFileError) as caught:
        check_not_lfs_pointer(path)
    assert str(caught.value) == (
        f"{path} is a Git LFS placeholder, not the file; fetch it with git lfs pull."
    )
    assert caught.value.path == path
    assert str(lfs_pointer_error("x.raw")) == (
        "x.raw is a Git LFS placeholder, not the file; fetch it with git lfs pull."
    )
