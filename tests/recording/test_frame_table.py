"""Tests of gazeport.recording.frame_table: generated videos; Player's lookup files as oracle."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from tests import fixtures

from gazeport._types import FRAME_TABLE_DTYPE
from gazeport.errors import GazeportWarning
from gazeport.recording.frame_table import FrameTable, build_frame_table, find_video_parts

FIXTURES = fixtures.RECORDINGS
DT = 1 / 30


def write_video(path: Path, n_frames: int, codec: str = "mpeg4", fmt: str | None = None) -> Path:
    """Encode ``n_frames`` 64x48 frames at 30 fps."""
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        for i in range(n_frames):
            image = np.full((48, 64, 3), (8 * i) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def decoded_pts(path: Path, fmt: str | None = None) -> np.ndarray:
    """Oracle: sorted pts of all decoded frames."""
    with av.open(str(path), format=fmt) as container:
        return np.sort([int(f.pts) for f in container.decode(video=0)])


def add_part(rec: Path, stem: str, ts: np.ndarray, n_frames: int | None, ext: str = "mp4") -> Path:
    np.save(rec / f"{stem}_timestamps.npy", np.asarray(ts, dtype=np.float64))
    path = rec / f"{stem}.{ext}"
    if n_frames is not None:
        write_video(path, n_frames, "mjpeg" if ext == "mjpeg" else "mpeg4", fmt=None)
    return path


def nearest_oracle(t: np.ndarray, s: float) -> int:
    """Brute force: the nearest frame, ties to the later one (clipping is implied)."""
    d = np.abs(t - s)
    return int(np.flatnonzero(d == d.min()).max())


def check_rows(table: FrameTable) -> None:
    assert table.rows.dtype == FRAME_TABLE_DTYPE
    assert np.all(np.diff(table.timestamps) >= 0)
    virtual = ~table.real_mask()
    assert np.all(table.rows["pts"][virtual] == -1)


# -- part discovery -------------------------------------------------------------------------


def test_find_video_parts_skips_unrelated_files(tmp_path):
    names = [
        "world.mp4", "world_001.mp4", "world_002.mkv", "world_something.mp4", "world.intrinsics",
        "world_lookup.npy", "world_timestamps.npy", "world.fake", "world.pldata", "eye0.mp4",
        "world_001_timestamps.npy", "worldview.mp4", "world_01a.mp4", "world.time",
    ]  # fmt: skip
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    parts = find_video_parts(tmp_path)
    assert [p.name for p in parts] == ["world.mp4", "world_001.mp4", "world_002.mkv"]
    assert [p.name for p in find_video_parts(tmp_path, "eye0")] == ["eye0.mp4"]
    assert find_video_parts(tmp_path, "eye1") == []


# -- tables from videos ---------------------------------------------------------------------


def test_single_part(tmp_path):
    ts = 100 + np.arange(10) * DT
    video = add_part(tmp_path, "world", ts, 10)
    before = sorted(p.name for p in tmp_path.iterdir())
    table = build_frame_table(tmp_path)
    check_rows(table)
    assert table.source == "video"
    assert table.parts == (video,)
    assert table.frame_size == (64, 48)
    assert len(table) == 10
    np.testing.assert_array_equal(table.timestamps, ts)
    assert table.real_mask().all()
    np.testing.assert_array_equal(table.rows["container_idx"], 0)
    np.testing.assert_array_equal(table.rows["container_frame_idx"], np.arange(10))
    np.testing.assert_array_equal(table.rows["pts"], decoded_pts(video))
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_existing_lookup_file_is_ignored(tmp_path):
    add_part(tmp_path, "world", np.arange(5) * DT, 5)
    (tmp_path / "world_lookup.npy").write_bytes(b"not a numpy file")
    table = build_frame_table(tmp_path)
    assert len(table) == 5
    assert table.real_mask().all()


def test_multi_part_without_gap(tmp_path):
    ts0 = 10 + np.arange(8) * DT
    ts1 = ts0[-1] + 0.5 + np.arange(6) * DT
    v0 = add_part(tmp_path, "world", ts0, 8)
    v1 = add_part(tmp_path, "world_001", ts1, 6, ext="mjpeg")
    table = build_frame_table(tmp_path)
    check_rows(table)
    assert table.parts == (v0, v1)
    np.testing.assert_array_equal(table.timestamps, np.concatenate([ts0, ts1]))
    np.testing.assert_array_equal(table.rows["container_idx"], [0] * 8 + [1] * 6)
    np.testing.assert_array_equal(table.rows["container_frame_idx"], [*range(8), *range(6)])
    expected_pts = np.concatenate([decoded_pts(v0), decoded_pts(v1)])
    np.testing.assert_array_equal(table.rows["pts"], expected_pts)


def test_gap_is_filled_with_virtual_frames(tmp_path):
    ts0 = 100 + np.arange(10) * DT
    ts1 = ts0[-1] + 2.01 + np.arange(6) * DT
    v0 = add_part(tmp_path, "world", ts0, 10)
    v1 = add_part(tmp_path, "world_001", ts1, 6)
    table = build_frame_table(tmp_path)
    check_rows(table)

    concatenated = np.concatenate([ts0, ts1])
    m = float(np.median(np.diff(concatenated)))
    n_virtual = math.ceil(((ts1[0] - m) - (ts0[-1] + m)) / m)
    assert len(table) == 16 + n_virtual
    real = table.real_mask()
    assert real.sum() == 16
    np.testing.assert_array_equal(np.flatnonzero(~real), np.arange(10, 10 + n_virtual))
    virtual_ts = table.timestamps[~real]
    assert np.all((virtual_ts > ts0[-1]) & (virtual_ts < ts1[0]))
    np.testing.assert_allclose(np.diff(virtual_ts), m)

    rows = table.rows[real]
    np.testing.assert_array_equal(rows["timestamp"], concatenated)
    np.testing.assert_array_equal(rows["container_idx"], [0] * 10 + [1] * 6)
    np.testing.assert_array_equal(rows["container_frame_idx"], [*range(10), *range(6)])
    np.testing.assert_array_equal(rows["pts"], np.concatenate([decoded_pts(v0), decoded_pts(v1)]))
    assert np.all(table.rows["container_frame_idx"][~real] == -1)


def test_more_timestamps_than_frames(tmp_path):
    ts = np.arange(13) * DT
    video = add_part(tmp_path, "world", ts, 10)
    with pytest.warns(GazeportWarning, match=r"world\.mp4 has 10 video frames but 13 timestamps"):
        table = build_frame_table(tmp_path)
    check_rows(table)
    assert len(table) == 13
    np.testing.assert_array_equal(table.real_mask(), [True] * 10 + [False] * 3)
    np.testing.assert_array_equal(table.rows["pts"][:10], decoded_pts(video))
    np.testing.assert_array_equal(table.rows["container_frame_idx"], [*range(10), -1, -1, -1])


def test_more_frames_than_timestamps(tmp_path):
    ts = np.arange(7) * DT
    video = add_part(tmp_path, "world", ts, 10)
    with pytest.warns(GazeportWarning, match=r"10 video frames but 7 timestamps.*last 3 frames"):
        table = build_frame_table(tmp_path)
    assert len(table) == 7
    assert table.real_mask().all()
    np.testing.assert_array_equal(table.rows["pts"], decoded_pts(video)[:7])


def test_warning_points_at_the_caller(tmp_path):
    add_part(tmp_path, "world", np.arange(3) * DT, 5)
    with pytest.warns(GazeportWarning) as record:
        build_frame_table(tmp_path)
    assert record[0].filename == __file__


def test_corrupt_part_stays_virtual(tmp_path):
    ts0 = np.arange(10) * DT
    ts1 = ts0[-1] + DT + np.arange(5) * DT
    v0 = add_part(tmp_path, "world", ts0, 10)
    bad = tmp_path / "world_001.mp4"
    bad.write_bytes(bytes(range(256)) * 8)
    np.save(tmp_path / "world_001_timestamps.npy", ts1)
    table = build_frame_table(tmp_path)
    check_rows(table)
    assert table.parts == (v0, bad)
    assert len(table) == 15
    np.testing.assert_array_equal(table.rows["container_idx"], [0] * 10 + [-1] * 5)
    np.testing.assert_array_equal(table.rows["container_frame_idx"], [*range(10), *range(5)])


def test_only_corrupt_parts_default_frame_size(tmp_path):
    (tmp_path / "world.mp4").write_bytes(b"\x00" * 300)
    np.save(tmp_path / "world_timestamps.npy", np.arange(4) * DT)
    table = build_frame_table(tmp_path)
    assert table.source == "video"
    assert table.frame_size == (1280, 720)
    assert not table.real_mask().any()


def test_backward_jump_is_repaired(tmp_path):
    ts = np.arange(10) * DT
    ts[4] = ts[3] - 0.5  # one bad timestamp
    add_part(tmp_path, "world", ts, 10)
    table = build_frame_table(tmp_path)
    assert len(table) == 10
    expected = np.arange(10) * DT
    expected[4] = (expected[3] + expected[5]) / 2
    np.testing.assert_array_equal(table.timestamps, expected)
    np.testing.assert_array_equal(table.rows["container_frame_idx"], np.arange(10))
    assert table.real_mask().all()


def test_timestamps_for_callback(tmp_path):
    write_video(tmp_path / "world.mp4", 6)
    given = 5 + np.arange(6) * DT
    seen = []

    def timestamps_for(part: Path) -> np.ndarray:
        seen.append(part)
        return given

    table = build_frame_table(tmp_path, timestamps_for=timestamps_for)
    assert seen == [tmp_path / "world.mp4"]
    np.testing.assert_array_equal(table.timestamps, given)
    assert table.real_mask().all()


def test_video_without_timestamps_falls_back_to_artificial(tmp_path):
    write_video(tmp_path / "world.mp4", 4)
    with pytest.warns(GazeportWarning, match="4 video frames but 0 timestamps"):
        table = build_frame_table(tmp_path, artificial_start=2.0, artificial_duration_s=1.0)
    assert table.source == "artificial"
    assert table.frame_size == (64, 48)
    assert len(table) == len(np.arange(2.0, 6.0, 1 / 30))


# -- tables without video -------------------------------------------------------------------


def test_timestamps_without_video(tmp_path):
    ts0 = 50 + np.arange(20) * DT
    ts1 = ts0[-1] + 1.51 + np.arange(10) * DT
    np.save(tmp_path / "world_timestamps.npy", ts0)
    np.save(tmp_path / "world_001_timestamps.npy", ts1)
    np.save(tmp_path / "world_something_timestamps.npy", np.array([1.0]))  # not a part
    table = build_frame_table(tmp_path)
    check_rows(table)
    assert table.source == "timestamps"
    assert table.parts == ()
    assert table.frame_size == (1280, 720)
    assert not table.real_mask().any()
    m = DT
    n_virtual = math.ceil(((ts1[0] - m) - (ts0[-1] + m)) / m)
    assert len(table) == 30 + n_virtual
    filled = table.rows["container_frame_idx"] >= 0
    np.testing.assert_array_equal(table.timestamps[filled], np.concatenate([ts0, ts1]))
    np.testing.assert_array_equal(
        table.rows["container_frame_idx"][filled], [*range(20), *range(10)]
    )


@pytest.mark.parametrize(("start", "duration"), [(0.0, 14.0), (523599.19, 8.7), (10.0, 0.0)])
def test_artificial_table(tmp_path, start, duration):
    table = build_frame_table(tmp_path, artificial_start=start, artificial_duration_s=duration)
    check_rows(table)
    assert table.source == "artificial"
    assert table.frame_size == (1280, 720)
    assert len(table) == len(np.arange(start, start + duration + 3, 1 / 30))
    assert table.timestamps[0] == start
    assert not table.real_mask().any()


def test_empty_table(tmp_path):
    table = build_frame_table(tmp_path)
    assert len(table) == 0
    assert table.source == "artificial"
    with pytest.raises(ValueError, match="empty"):
        table.index_for([1.0])


# -- index_for ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ts",
    [
        pytest.param([0.0, 0.25, 0.5, 1.0, 2.0], id="uneven"),
        pytest.param([3.0, 3.5], id="two"),
        pytest.param([7.0], id="one"),
    ],
)
def test_index_for_matches_brute_force(tmp_path, ts):
    np.save(tmp_path / "world_timestamps.npy", np.array(ts))
    table = build_frame_table(tmp_path)
    t = table.timestamps
    queries = np.concatenate([t, (t[:-1] + t[1:]) / 2, t - 0.1, t + 0.1, [-100.0, 100.0]])
    got = table.index_for(queries)
    assert got.dtype == np.int64
    assert got.tolist() == [nearest_oracle(t, q) for q in queries]
    assert table.index_for(0.375).tolist() == nearest_oracle(t, 0.375)


# -- real recordings ------------------------------------------------------------------------


def fixture(name: str) -> Path:
    return fixtures.recording(name)


def test_core358_from_timestamps():
    rec = fixture("core358_artemisge_003")
    table = build_frame_table(rec)
    assert table.source == "timestamps"
    assert len(table) == 353
    np.testing.assert_array_equal(table.timestamps, np.load(rec / "world_timestamps.npy"))
    np.testing.assert_array_equal(table.rows["container_frame_idx"], np.arange(353))


LOOKUPS = [
    pytest.param("core121_eyedoit_001", "world", id="core121-world"),
    pytest.param("core121_eyedoit_001", "eye0", id="core121-eye0"),
    pytest.param("core116_vedb", "world", id="core116-world"),
    pytest.param("core116_vedb", "eye0", id="core116-eye0"),
    pytest.param("core116_vedb", "eye1", id="core116-eye1"),
]


@pytest.mark.parametrize(("rec_name", "name"), LOOKUPS)
def test_timestamps_table_matches_player_lookup(rec_name, name):
    rec = fixture(rec_name)
    lookup = np.load(rec / f"{name}_lookup.npy")
    table = build_frame_table(rec, name)
    assert table.source == "timestamps"
    np.testing.assert_array_equal(table.timestamps, lookup["timestamp"])
    real = lookup["container_idx"] >= 0
    np.testing.assert_array_equal(
        table.rows["container_frame_idx"][real], lookup["container_frame_idx"][real]
    )
    assert np.all(table.rows["container_frame_idx"][~real] == -1)


@pytest.mark.parametrize(("rec_name", "name"), LOOKUPS)
def test_generated_video_matches_player_lookup(tmp_path, rec_name, name):
    rec = tmp_path / rec_name
    shutil.copytree(fixture(rec_name), rec)
    n_frames = len(np.load(rec / f"{name}_timestamps.npy"))
    video = write_video(rec / f"{name}.mp4", n_frames)
    lookup = np.load(rec / f"{name}_lookup.npy")
    table = build_frame_table(rec, name)
    check_rows(table)
    assert table.source == "video"
    assert table.parts == (video,)
    np.testing.assert_array_equal(table.timestamps, lookup["timestamp"])
    np.testing.assert_array_equal(table.rows["container_idx"], lookup["container_idx"])
    real = lookup["container_idx"] >= 0
    assert real.sum() == n_frames
    np.testing.assert_array_equal(
        table.rows["container_frame_idx"][real], lookup["container_frame_idx"][real]
    )
    np.testing.assert_array_equal(table.rows["pts"][real], decoded_pts(video))
