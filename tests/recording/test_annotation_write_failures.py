"""A failed write of the annotation files (a full disk, Ctrl-C) leaves the recording as it was."""

from __future__ import annotations

import errno
import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.factories import make_world_only_recording
from typer.testing import CliRunner

from gazeport import cli
from gazeport.errors import FileWriteError
from gazeport.formats import pldata
from gazeport.recording import annotations as ann
from gazeport.recording.annotations import Annotation


def enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _FullDisk(io.RawIOBase):
    """A file on a full disk: writes go to the buffer, and fail once it is flushed."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, b: Any) -> int:
        raise enospc()

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def full_disk_fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    buffered = io.BufferedWriter(_FullDisk(fd))
    return buffered if "b" in mode else io.TextIOWrapper(buffered, encoding="utf-8")


def _raise(exc: BaseException) -> Callable[..., Any]:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return boom


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder below ``folder`` (hidden ones too) with its content's hash."""
    return {
        str(p.relative_to(folder)): "dir"
        if p.is_dir()
        else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    """A recording that already holds an annotation added by gazeport."""
    folder = make_world_only_recording(tmp_path / "rec", [0.0, 1.0, 2.0, 10.0])
    ann.add_annotation(folder, Annotation(1.0, "kept"))
    return folder


# Where a full disk (or Ctrl-C) strikes while annotation_player.pldata is rewritten.
PLDATA_FAILURES = [
    pytest.param("os.fdopen", full_disk_fdopen, FileWriteError, id="buffered-write-ENOSPC"),
    pytest.param("os.fsync", _raise(enospc()), FileWriteError, id="fsync-ENOSPC"),
    pytest.param("np.save", _raise(enospc()), FileWriteError, id="timestamps-ENOSPC"),
    pytest.param("os.replace", _raise(enospc()), FileWriteError, id="rename-ENOSPC"),
    pytest.param("os.fsync", _raise(KeyboardInterrupt()), KeyboardInterrupt, id="ctrl-c"),
    pytest.param("np.save", _raise(KeyboardInterrupt()), KeyboardInterrupt, id="ctrl-c-npy"),
]


@pytest.mark.parametrize(("target", "replacement", "error"), PLDATA_FAILURES)
def test_failed_annotation_write_leaves_the_folder_as_it_was(
    rec: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    replacement: Callable[..., Any],
    error: type[BaseException],
) -> None:
    before = snapshot(rec)
    module, name = target.split(".")
    monkeypatch.setattr(getattr(pldata, module), name, replacement)
    with pytest.raises(error):
        ann.add_annotation(rec, Annotation(2.0, "lost"))
    monkeypatch.undo()
    assert snapshot(rec) == before
    assert [a.label for a in ann.load_annotations(rec)] == ["kept"]


def test_failed_write_names_the_file_and_what_to_do(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pldata.os, "fdopen", full_disk_fdopen)
    with pytest.raises(FileWriteError) as info:
        ann.save_annotations(rec, [Annotation(2.0, "lost")])
    message = str(info.value)
    assert str(rec / "annotation_player.pldata") in message
    assert "No space left on device" in message
    assert "unchanged" in message
    assert isinstance(info.value, OSError)


@pytest.mark.parametrize(
    ("target", "replacement", "error"),
    [
        pytest.param("os.fdopen", full_disk_fdopen, FileWriteError, id="buffered-write-ENOSPC"),
        pytest.param("os.fsync", _raise(enospc()), FileWriteError, id="fsync-ENOSPC"),
        pytest.param("json.dump", _raise(enospc()), FileWriteError, id="dump-ENOSPC"),
        pytest.param("os.replace", _raise(enospc()), FileWriteError, id="rename-ENOSPC"),
        pytest.param("json.dump", _raise(KeyboardInterrupt()), KeyboardInterrupt, id="ctrl-c"),
    ],
)
def test_failed_definitions_write_leaves_the_folder_as_it_was(
    rec: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    replacement: Callable[..., Any],
    error: type[BaseException],
) -> None:
    """Also when the write would have created ``offline_data/``."""
    before = snapshot(rec)
    assert not (rec / "offline_data").exists()
    module, name = target.split(".")
    monkeypatch.setattr(getattr(ann, module), name, replacement)
    with pytest.raises(error):
        ann.save_definitions(rec, {"a": "x"})
    monkeypatch.undo()
    assert snapshot(rec) == before
    ann.save_definitions(rec, {"a": "x"})
    before = snapshot(rec)
    monkeypatch.setattr(getattr(ann, module), name, replacement)
    with pytest.raises(error):
        ann.save_definitions(rec, {"b": "y"})
    monkeypatch.undo()
    assert snapshot(rec) == before
    assert ann.load_definitions(rec) == {"a": "x"}


def test_writer_failing_in_its_constructor_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pldata.os, "fchmod", _raise(enospc()))
    with pytest.raises(OSError, match="No space"):
        pldata.PldataWriter(tmp_path, "x")
    assert list(tmp_path.iterdir()) == []


def test_cli_full_disk_is_one_error_line(rec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(rec)
    monkeypatch.setattr(pldata.os, "fdopen", full_disk_fdopen)
    result = CliRunner().invoke(cli.app, ["annotate", str(rec), "add", "lost", "--timestamp", "2"])
    monkeypatch.undo()
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "annotation_player.pldata" in lines[0]
    assert "No space left on device" in lines[0]
    assert "Traceback" not in result.output
    assert snapshot(rec) == before


def test_cli_full_disk_for_definitions(rec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(rec)
    monkeypatch.setattr(ann.os, "fdopen", full_disk_fdopen)
    result = CliRunner().invoke(cli.app, ["annotate", str(rec), "definitions", "--set", "a=q"])
    monkeypatch.undo()
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "annotation_definitions.json" in lines[0]
    assert snapshot(rec) == before
