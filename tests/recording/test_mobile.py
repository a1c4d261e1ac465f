from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from gazeport.errors import GazeportWarning
from gazeport.recording.mobile import (
    mobile_core_name,
    mobile_files,
    mobile_timestamps,
    mobile_video_names,
)


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def write_time(path: Path, values: list[float]) -> None:
    path.write_bytes(b"".join(struct.pack(">d", v) for v in values))


def make_mobile_recording(root: Path) -> dict[str, list[float]]:
    """A Pupil Mobile folder: two world parts, two eyes, an unrelated ``.time`` and audio."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "info.csv").write_text(
        "key,value\nCapture Software,Pupil Mobile\nCapture Software Version,1.2.3\n"
    )
    times = {
        "Pupil Cam1 ID2": [10.0, 10.033, 10.066],
        "Pupil Cam1 ID2_001": [20.0, 20.033],
        "Pupil Cam1 ID0": [10.001, 10.009, 10.017, 10.025],
        "Pupil Cam2 ID1": [10.002, 10.010],
        "imu": [10.5, 10.6],
    }
    for stem, values in times.items():
        write_time(root / f"{stem}.time", values)
    for name in (
        "Pupil Cam1 ID2.mp4",
        "Pupil Cam1 ID2_001.mp4",
        "Pupil Cam1 ID0.mjpeg",
        "Pupil Cam2 ID1.mjpeg",
        "Pupil Cam1 ID3.mp4",  # unknown camera id: Player leaves it alone
        "audio.mp4",
        "key_0001.txt",
    ):
        (root / name).write_bytes(b"not really a video " + name.encode())
    return times


@pytest.mark.parametrize(
    ("name", "core"),
    [
        pytest.param("Pupil Cam1 ID2.mp4", "world.mp4", id="world"),
        pytest.param("Pupil Cam1 ID2_001.mp4", "world_001.mp4", id="world-part"),
        pytest.param("Pupil Cam2 ID0.time", "eye0.time", id="eye0-time"),
        pytest.param("Pupil Cam3 ID1.mjpeg", "eye1.mjpeg", id="eye1"),
        pytest.param("Logitech Webcam C930e.h264", "world.h264", id="logitech"),
        pytest.param("Pupil Cam1 ID3.mp4", None, id="unknown-id"),
        pytest.param("world.mp4", None, id="already-core"),
        pytest.param("x Pupil Cam1 ID2.mp4", None, id="not-a-prefix"),
    ],
)
def test_mobile_core_name(name: str, core: str | None) -> None:
    assert mobile_core_name(name) == core


def test_videos_by_core_name_in_part_order(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    make_mobile_recording(rec)
    before = snapshot(rec)
    videos = mobile_video_names(rec)
    assert videos == {
        "world": [rec / "Pupil Cam1 ID2.mp4", rec / "Pupil Cam1 ID2_001.mp4"],
        "eye0": [rec / "Pupil Cam1 ID0.mjpeg"],
        "eye1": [rec / "Pupil Cam2 ID1.mjpeg"],
    }
    assert snapshot(rec) == before


def test_timestamps_by_converted_stem(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    times = make_mobile_recording(rec)
    before = snapshot(rec)
    ts = mobile_timestamps(rec)
    assert sorted(ts) == ["eye0", "eye1", "imu", "world", "world_001"]
    renamed = {"world": "Pupil Cam1 ID2", "world_001": "Pupil Cam1 ID2_001",
               "eye0": "Pupil Cam1 ID0", "eye1": "Pupil Cam2 ID1", "imu": "imu"}  # fmt: skip
    for stem, values in ts.items():
        assert values.dtype == np.float64 and values.dtype.isnative
        assert values.tolist() == times[renamed[stem]]
    assert snapshot(rec) == before


def test_files_view_keeps_other_files(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    make_mobile_recording(rec)
    files = mobile_files(rec)
    assert files["world.mp4"] == rec / "Pupil Cam1 ID2.mp4"
    assert files["info.csv"] == rec / "info.csv"
    assert files["Pupil Cam1 ID3.mp4"] == rec / "Pupil Cam1 ID3.mp4"
    assert "Pupil Cam1 ID2.mp4" not in files


def test_two_world_cameras_clash_later_wins(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    rec.mkdir()
    (rec / "Logitech Webcam C930e.mp4").write_bytes(b"a")
    (rec / "Pupil Cam1 ID2.mp4").write_bytes(b"b")
    with pytest.warns(GazeportWarning, match="both become 'world.mp4'"):
        videos = mobile_video_names(rec)
    assert videos["world"] == [rec / "Pupil Cam1 ID2.mp4"]


def test_renamed_file_replaces_existing_core_file(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    rec.mkdir()
    (rec / "world.mp4").write_bytes(b"a")
    (rec / "Pupil Cam1 ID2.mp4").write_bytes(b"b")
    with pytest.warns(GazeportWarning, match="replaces"):
        videos = mobile_video_names(rec)
    assert videos["world"] == [rec / "Pupil Cam1 ID2.mp4"]


def test_empty_folder_has_no_videos(tmp_path: Path) -> None:
    assert mobile_video_names(tmp_path) == {"world": [], "eye0": [], "eye1": []}
    assert mobile_timestamps(tmp_path) == {}
