"""Finding the recordings of a study folder, with synthetic recordings (no fixtures needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazeport.batch import discover
from gazeport.synthetic import generate_capture_recording


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("elsewhere")
    for name in ("a", "b"):
        generate_capture_recording(base / name, 0.02, seed=1)
    return base


def test_linked_recordings_are_found_once(recordings: Path, tmp_path: Path) -> None:
    study = tmp_path / "study"
    (study / "group").mkdir(parents=True)
    (study / "p01").symlink_to(recordings / "a", target_is_directory=True)
    (study / "group" / "p02").symlink_to(recordings / "b", target_is_directory=True)
    (study / "group" / "again").symlink_to(recordings / "b", target_is_directory=True)
    (study / "group" / "loop").symlink_to(study, target_is_directory=True)  # must not hang
    found = discover([study], recursive=True)
    assert [str(r.relative_to(study)) for r, _ in found] == ["group/again", "p01"]
    assert {r.resolve() for r, _ in found} == {recordings / "a", recordings / "b"}
    assert all(root == study for _, root in found)


def test_a_linked_folder_of_recordings_is_searched(recordings: Path, tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    (study / "linked").symlink_to(recordings, target_is_directory=True)
    found = discover([study], recursive=True)
    assert [str(r.relative_to(study)) for r, _ in found] == ["linked/a", "linked/b"]
