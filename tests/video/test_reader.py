"""Tests of gazeport.video.reader (and the Recording's video methods) on videos written here.

Every frame of a test video shows its own frame number (``tests/video_factories.py``), so a
returned image is checked by reading the number back. Which frames of a damaged file can be
decoded at all comes from an independent oracle: plain PyAV decoding of the whole file, packet
by packet. Frame tables are built by hand here (rows of ``FRAME_TABLE_DTYPE``) unless the test
is about a recording.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import av
import numpy as np
import pytest

import gazeport
from gazeport._types import FRAME_TABLE_DTYPE
from gazeport.errors import GazeportWarning, StreamNotFoundError
from gazeport.recording.frame_table import build_frame_table
from gazeport.video import reader as reader_module
from gazeport.video.demux import keyframe_pts
from gazeport.video.reader import GRAY_LEVEL, FrameReader, VideoFrame
from tests import fixtures
from tests.factories import CoreSpec, make_core_recording
from tests.video_factories import (
    HAS_X264,
    corrupt_middle,
    decoded_pts,
    frame_number,
    number_image,
    truncate,
    write_video,
)

FIXTURES = fixtures.RECORDINGS
SIZE = (64, 48)
needs_x264 = pytest.mark.skipif(not HAS_X264, reason="libx264 not available")

CODECS = [
    pytest.param("mpeg4", "mp4", None, id="mpeg4-mp4"),
    pytest.param("mjpeg", "mjpeg", "mjpeg", id="mjpeg-raw"),
    pytest.param("mjpeg", "avi", None, id="mjpeg-avi"),
    pytest.param("libx264", "mp4", None, id="h264-mp4", marks=needs_x264),
    pytest.param("libx264", "mkv", None, id="h264-mkv", marks=needs_x264),
]


def table_rows(pts_per_part: list[list[int]], gaps: dict[int, int] | None = None) -> np.ndarray:
    """Rows for parts played one after the other at 30 fps; ``gaps[k]`` virtual rows are put
    before the k-th real row (counting over all parts)."""
    gaps = gaps or {}
    records: list[tuple[int, int, int]] = []
    real = 0
    for ci, pts in enumerate(pts_per_part):
        for fi, p in enumerate(pts):
            records.extend([(-1, -1, -1)] * gaps.get(real, 0))
            records.append((ci, fi, p))
            real += 1
    rows = np.empty(len(records), dtype=FRAME_TABLE_DTYPE)
    columns = zip(*records, strict=True)
    for name, values in zip(("container_idx", "container_frame_idx", "pts"), columns, strict=True):
        rows[name] = values
    rows["timestamp"] = 100.0 + np.arange(len(records)) / 30
    return rows


def numbers(frames: list[VideoFrame]) -> list[int | None]:
    return [None if f.virtual else frame_number(f.image) for f in frames]


def within(seconds: float, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a thread and fail if it does not return in ``seconds`` (hang guard)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"reading did not finish within {seconds} s"
    if "error" in result:
        raise result["error"]
    return result["value"]


# --- decoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("codec", "ext", "fmt"), CODECS)
def test_random_access_equals_sequential(tmp_path, codec, ext, fmt):
    path = tmp_path / f"world.{ext}"
    pts = write_video(path, 40, codec=codec, fmt=fmt)
    rows = table_rows([pts])
    with FrameReader(rows, [path], SIZE) as reader:
        sequential = list(reader.frames())
    assert numbers(sequential) == list(range(40))
    order = np.random.default_rng(1).permutation(40).tolist()
    with FrameReader(rows, [path], SIZE) as reader:
        random = {i: reader.frame(i) for i in order}
        assert reader.failure_summary() is None
    for frame in sequential:
        other = random[frame.index]
        assert np.array_equal(frame.image, other.image)
        assert frame.timestamp == other.timestamp == rows["timestamp"][frame.index]
        assert not frame.virtual


def test_images_are_bgr_arrays_the_caller_owns(tmp_path):
    path = tmp_path / "world.mp4"
    rows = table_rows([write_video(path, 6, size=(100, 50))], gaps={3: 2})
    with FrameReader(rows, [path], (100, 50)) as reader:
        frames = list(reader.frames())
        for frame in frames:
            image = frame.image
            assert image.shape == (50, 100, 3)  # 300-byte rows: PyAV pads them, we must not
            assert image.dtype == np.uint8
            assert image.flags.c_contiguous and image.flags.writeable
            image[:] = 0  # drawing on one frame changes nothing else
        again = list(reader.frames())
    assert numbers(again) == [0, 1, 2, None, None, 3, 4, 5]
    for a, b in itertools.pairwise(frames):
        assert not np.shares_memory(a.image, b.image)
    # Blue cells come out blue: the image is BGR, not RGB.
    assert again[1].image[..., 0].max() > 150 and again[1].image[..., 2].max() < 100


def test_virtual_rows_are_gray(tmp_path):
    path = tmp_path / "world.mp4"
    rows = table_rows([write_video(path, 10)], gaps={0: 2, 5: 3})
    with FrameReader(rows, [path], SIZE) as reader:
        frames = list(reader.frames())
        counters = reader.counters
        assert reader.failure_summary() is None
    assert [f.index for f in frames] == list(range(15))
    assert numbers(frames) == [None, None, 0, 1, 2, 3, 4, None, None, None, 5, 6, 7, 8, 9]
    for frame in frames:
        if frame.virtual:
            assert frame.image.shape == (48, 64, 3)
            assert np.all(frame.image == GRAY_LEVEL)
    assert (counters.returned, counters.gray_gaps, counters.gray_failed) == (15, 5, 0)
    assert counters.virtual == 5


def test_gap_in_timestamps_end_to_end(tmp_path):
    # A 2 s pause in the recording: Player fills it with virtual frames (spec 3.2).
    ts = np.concatenate([np.arange(20) / 30, 2.0 + 19 / 30 + np.arange(20) / 30])
    np.save(tmp_path / "world_timestamps.npy", ts)
    write_video(tmp_path / "world.mp4", 40)
    table = build_frame_table(tmp_path)
    with FrameReader(table.rows, table.parts, table.frame_size) as reader:
        frames = list(reader.frames())
        assert reader.counters.seeks == 0
    real = [n for n in numbers(frames) if n is not None]
    assert real == list(range(40))
    assert len(frames) == len(table) > 40
    assert reader.counters.gray_gaps == len(table) - 40
    assert [f.timestamp for f in frames] == table.timestamps.tolist()


@pytest.mark.parametrize(("codec", "ext", "fmt"), [CODECS[0], CODECS[1], CODECS[3]])
def test_multi_part_video(tmp_path, codec, ext, fmt):
    np.save(tmp_path / "world_timestamps.npy", np.arange(30) / 30)
    np.save(tmp_path / "world_001_timestamps.npy", 1.0 + np.arange(25) / 30)
    write_video(tmp_path / f"world.{ext}", 30, codec=codec, fmt=fmt)
    write_video(tmp_path / f"world_001.{ext}", 25, codec=codec, fmt=fmt, first=30)
    table = build_frame_table(tmp_path)
    assert [p.name for p in table.parts] == [f"world.{ext}", f"world_001.{ext}"]
    with FrameReader(table.rows, table.parts, table.frame_size) as reader:
        assert numbers(list(reader.frames())) == list(range(55))
        assert reader.counters.seeks == 0  # both parts read from their start
    with FrameReader(table.rows, table.parts, table.frame_size) as reader:
        assert numbers([reader.frame(i) for i in (54, 3, 31, 29, 30, 0)]) == [54, 3, 31, 29, 30, 0]


def test_parts_of_another_size_are_scaled(tmp_path):
    small, large = tmp_path / "world.mp4", tmp_path / "world_001.mp4"
    rows = table_rows([write_video(small, 5), write_video(large, 5, size=(128, 96), first=5)])
    with FrameReader(rows, [small, large], SIZE) as reader:
        frames = list(reader.frames())
    assert {f.image.shape for f in frames} == {(48, 64, 3)}
    assert numbers(frames) == list(range(10))


# --- counters: seeks and decodes -------------------------------------------------------------


def test_sequential_range_seeks_once_random_access_more(tmp_path):
    path = tmp_path / "world.mp4"
    rows = table_rows([write_video(path, 200)])
    with FrameReader(rows, [path], SIZE) as reader:
        assert numbers(list(reader.frames(0, 60))) == list(range(60))
        assert (reader.counters.seeks, reader.counters.decoded) == (0, 60)  # from the top
    with FrameReader(rows, [path], SIZE) as reader:
        assert numbers(list(reader.frames(90, 190))) == list(range(90, 190))
        c = reader.counters
        assert (c.seeks, c.returned) == (1, 100)
        assert 100 <= c.decoded < 100 + 15  # from the keyframe before frame 90 on
        # The next frame follows on without a seek, whichever method asks for it.
        assert frame_number(reader.frame(190).image) == 190
        assert numbers(list(reader.frames(191, 195))) == [191, 192, 193, 194]
        assert c.seeks == 1
        assert frame_number(reader.frame(10).image) == 10  # going back seeks again
        assert c.seeks == 2
    order = np.random.default_rng(7).permutation(200)[:30].tolist()
    with FrameReader(rows, [path], SIZE) as reader:
        assert numbers([reader.frame(i) for i in order]) == order
        assert reader.counters.seeks > 10 and reader.counters.returned == 30


def test_jumps_decode_forward_or_seek_to_the_keyframe_whichever_is_less(tmp_path):
    # mpeg4 here has a keyframe every 12 frames; the reader knows them from one demux pass.
    path = tmp_path / "world.mp4"
    pts = write_video(path, 200)
    rows = table_rows([pts])
    assert keyframe_pts(path).tolist() == pts[::12]
    with FrameReader(rows, [path], SIZE) as reader:
        c = reader.counters
        assert numbers([reader.frame(i) for i in (0, 10)]) == [0, 10]
        assert (c.seeks, c.decoded) == (0, 11)  # 10 frames on is less than a seek
        assert reader.frames_to_decode(50) == 50 - 48 + 1 + reader_module.SEEK_FRAMES
        assert frame_number(reader.frame(50).image) == 50
        assert (c.seeks, c.decoded) == (1, 14)  # from keyframe 48: 48, 49, 50
        assert reader.frames_to_decode(53) == 3
        assert frame_number(reader.frame(53).image) == 53
        assert (c.seeks, c.decoded) == (1, 17)  # on from 50
        assert frame_number(reader.frame(40).image) == 40
        assert (c.seeks, c.decoded) == (2, 22)  # back to keyframe 36: 36 - 40


@needs_x264
def test_random_access_after_seeks_equals_sequential_h264(tmp_path):
    # Long keyframe intervals (x264's default) and jumps both ways, then sequential reading on.
    path = tmp_path / "world.mp4"
    pts = write_video(path, 300, codec="libx264")
    rows = table_rows([pts], gaps={100: 3})
    with FrameReader(rows, [path], SIZE) as reader:
        sequential = list(reader.frames())
    order = np.random.default_rng(3).permutation(len(rows))[:60].tolist()
    with FrameReader(rows, [path], SIZE) as reader:
        for i in order + list(range(order[-1], min(order[-1] + 20, len(rows)))):
            frame = reader.frame(i)
            assert frame.virtual == sequential[i].virtual
            assert np.array_equal(frame.image, sequential[i].image), f"frame {i}"
        assert reader.failure_summary() is None


def test_number_frames_oracle():
    for n in (0, 1, 5, 255, 4097, 65535):
        assert frame_number(number_image(n, (64, 48))) == n
        assert frame_number(number_image(n, (37, 21))) == n
    assert frame_number(np.full((48, 64, 3), GRAY_LEVEL, np.uint8)) is None
    assert frame_number(number_image(5, (64, 48))[..., ::-1]) is None  # RGB is not BGR


# --- frame and timestamp counts that differ -----------------------------------------------------


@pytest.mark.parametrize(
    ("n_frames", "n_ts", "warning", "expected"),
    [
        pytest.param(30, 40, "the last 10 timestamps get gray", [*range(30), *[None] * 10]),
        pytest.param(40, 30, "the last 10 frames are discarded", list(range(30))),
    ],
)
def test_frame_and_timestamp_counts_differ(tmp_path, n_frames, n_ts, warning, expected):
    np.save(tmp_path / "world_timestamps.npy", np.arange(n_ts) / 30)
    write_video(tmp_path / "world.mp4", n_frames)
    with pytest.warns(GazeportWarning, match=warning):
        table = build_frame_table(tmp_path)
    with FrameReader(table.rows, table.parts, table.frame_size) as reader:
        assert numbers(list(reader.frames())) == expected
        assert reader.counters.gray_gaps == expected.count(None)
        assert reader.failure_summary() is None  # the table already warned


# --- damaged and missing files ---------------------------------------------------------------


def check_against_oracle(reader: FrameReader, pts: list[int], path: Path, fmt: str | None):
    """Sequential reading returns a real frame exactly for the pts the oracle can decode."""
    survivors = set(decoded_pts(path, fmt))
    frames = within(30, lambda: list(reader.frames()))
    assert [not f.virtual for f in frames] == [p in survivors for p in pts]
    failed = len(pts) - sum(p in survivors for p in pts)
    assert reader.counters.gray_failed == failed == len(reader.failed_indices())
    return frames, failed


@pytest.mark.parametrize(
    ("codec", "ext", "fmt"),
    [CODECS[1], pytest.param("mpeg4", "mkv", None, id="mpeg4-mkv"), CODECS[2]],
)
def test_truncated_video(tmp_path, codec, ext, fmt):
    path = tmp_path / f"world.{ext}"
    pts = write_video(path, 60, codec=codec, fmt=fmt)
    truncate(path, 0.5)
    with FrameReader(table_rows([pts]), [path], SIZE) as reader:
        frames, failed = check_against_oracle(reader, pts, path, fmt)
        assert 10 < failed < 60
        assert numbers(frames)[: 60 - failed] == list(range(60 - failed))
        assert reader.failure_summary() == (
            f"{failed} of 60 frames could not be decoded and are gray "
            f"(world.{ext}: {failed}, damaged or truncated data)."
        )
        # Random access into the lost part comes back gray, quickly.
        virtual = within(30, lambda: [reader.frame(i).virtual for i in (59, 2, 58)])
        assert virtual == [True, False, True]


@pytest.mark.parametrize(
    ("codec", "ext", "fraction", "at", "intact"),
    [
        pytest.param("mpeg4", "mp4", 0.2, 0.5, 20, id="mpeg4-mp4"),
        pytest.param("mjpeg", "mjpeg", 0.2, 0.5, 20, id="mjpeg-raw"),
        # Small mp4 files keep their index in the last third: damage frame data, not it.
        pytest.param("libx264", "mp4", 0.15, 0.3, 10, id="h264-mp4", marks=needs_x264),
        # FFmpeg's avi demuxer resynchronises after garbage and hands out frames out of pts
        # order, and seeking in the damaged file fails (EPERM): the reader reopens it instead.
        pytest.param("mpeg4", "avi", 0.2, 0.5, 0, id="mpeg4-avi"),
    ],
)
def test_garbage_in_the_middle(tmp_path, codec, ext, fraction, at, intact):
    path = tmp_path / f"world.{ext}"
    fmt = "mjpeg" if ext == "mjpeg" else None
    pts = write_video(path, 80, codec=codec, fmt=fmt)
    corrupt_middle(path, fraction, at=at)
    with FrameReader(table_rows([pts]), [path], SIZE) as reader:
        frames, failed = check_against_oracle(reader, pts, path, fmt)
        assert 0 < failed < 80
        assert numbers(frames)[:intact] == list(range(intact))  # before the damage
        assert reader.failure_summary() == (
            f"{failed} of 80 frames could not be decoded and are gray "
            f"(world.{ext}: {failed}, damaged or truncated data)."
        )
        # Random access may lose other frames (it starts at keyframes), but never raises and
        # never hangs either.
        order = np.random.default_rng(3).permutation(80).tolist()
        frames += within(30, lambda: [reader.frame(i) for i in order])
        assert reader.counters.returned == len(frames) == 160
        assert reader.counters.gray_failed == sum(f.virtual for f in frames)


class StuckContainer:
    """A container whose demuxer fails forever without moving on."""

    def __init__(self) -> None:
        self.streams = SimpleNamespace(video=[SimpleNamespace(thread_type=None)])
        self.demux_calls = 0

    def demux(self, stream: Any) -> Iterator[Any]:
        self.demux_calls += 1
        raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")
        yield  # a generator, like PyAV's

    def seek(self, offset: int, stream: Any = None) -> None:
        pass


def test_demuxer_failing_forever_does_not_hang(tmp_path, monkeypatch):
    path = tmp_path / "world.mp4"
    pts = write_video(path, 5)
    stuck = StuckContainer()

    @contextlib.contextmanager
    def open_stuck(p: Path) -> Iterator[StuckContainer]:
        yield stuck

    monkeypatch.setattr(reader_module, "_open_input", open_stuck)
    with FrameReader(table_rows([pts]), [path], SIZE) as reader:
        frames = within(10, lambda: [*reader.frames(), reader.frame(0)])
        assert all(f.virtual for f in frames)
        assert reader.counters.gray_failed == 6
    assert stuck.demux_calls < 6 * (reader_module.MAX_DEMUX_ERRORS + 2)


def test_missing_part_gives_gray_frames(tmp_path):
    first, second = tmp_path / "world.mp4", tmp_path / "world_001.mp4"
    rows = table_rows([write_video(first, 10), write_video(second, 10, first=10)])
    second.unlink()
    with FrameReader(rows, [first, second], SIZE) as reader:
        assert numbers(list(reader.frames())) == [*range(10), *[None] * 10]
        assert reader.failed_indices().tolist() == list(range(10, 20))
        assert reader.failure_summary() == (
            "10 of 20 frames could not be decoded and are gray "
            "(world_001.mp4: 10, the file is missing)."
        )


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b""), id="empty"),
        pytest.param(lambda path: path.write_bytes(bytes(range(256)) * 40), id="garbage"),
        # mp4 keeps its index at the end: without it no frame can be found.
        pytest.param(lambda path: truncate(path, 0.7), id="truncated-mp4"),
    ],
)
def test_unreadable_container_gives_gray_frames(tmp_path, damage):
    path = tmp_path / "world.mp4"
    pts = write_video(path, 8)
    damage(path)
    with FrameReader(table_rows([pts]), [path], SIZE) as reader:
        assert all(f.virtual for f in within(30, lambda: list(reader.frames())))
        assert reader.counters.gray_failed == 8
        assert reader.failure_summary() == (
            "8 of 8 frames could not be decoded and are gray "
            "(world.mp4: 8, the file cannot be opened as a video)."
        )


def test_recorded_rows_without_video_count_as_failed(tmp_path):
    # Timestamps without a video file: every recorded frame is gray, and the reader says so.
    np.save(tmp_path / "eye0_timestamps.npy", np.arange(12) / 120)
    table = build_frame_table(tmp_path, "eye0")
    assert table.source == "timestamps"
    with FrameReader(table.rows, table.parts, table.frame_size) as reader:
        frames = list(reader.frames())
        assert all(f.virtual for f in frames) and frames[0].image.shape == (720, 1280, 3)
        assert reader.failure_summary() == (
            "12 of 12 frames could not be decoded and are gray (12 without a decodable video file)."
        )


# --- argument checks ---------------------------------------------------------------------------


def test_bad_arguments(tmp_path):
    path = tmp_path / "world.mp4"
    rows = table_rows([write_video(path, 4)])
    with pytest.raises(ValueError, match="FRAME_TABLE_DTYPE"):
        FrameReader(np.zeros(4), [path], SIZE)
    with pytest.raises(ValueError, match=r"lack the frame table fields \['pts'\]"):
        FrameReader(rows[["container_idx", "container_frame_idx", "timestamp"]], [path], SIZE)
    with pytest.raises(ValueError, match="only 0 parts"):
        FrameReader(rows, [], SIZE)
    with pytest.raises(ValueError, match="frame size"):
        FrameReader(rows, [path], (0, 48))
    reader = FrameReader(rows, [path], SIZE)
    assert len(reader) == 4 and reader.parts == (path,)
    with pytest.raises(IndexError, match="outside the frame table"):
        reader.frame(4)
    with pytest.raises(IndexError, match="outside the frame table"):
        reader.frame(-1)
    with pytest.raises(IndexError, match="range 3 - 2"):
        reader.frames(3, 2)
    with pytest.raises(IndexError, match="range 0 - 5"):
        reader.frames(0, 5)
    assert numbers(list(reader)) == [0, 1, 2, 3]
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.frame(0)


# --- the Recording's video methods -------------------------------------------------------------


def test_recording_world_and_eye_videos(tmp_path):
    rec_dir = make_core_recording(tmp_path / "rec", CoreSpec(n_frames=24, pupil="none"))
    write_video(rec_dir / "world.mp4", 24)
    eye_ts = 100.0 + np.arange(40) / 128
    np.save(rec_dir / "eye0_timestamps.npy", eye_ts)
    write_video(rec_dir / "eye0.mp4", 40, codec="mjpeg", size=(32, 32))
    with gazeport.open(rec_dir) as rec:
        assert rec.video_frame_table("world") is rec.frame_table
        with rec.open_video("world") as reader:
            assert numbers(list(reader.frames())) == list(range(24))
        eye = rec.video_frame_table("eye0")
        assert eye is rec.video_frame_table("eye0")
        assert eye.timestamps.tolist() == eye_ts.tolist() and eye.frame_size == (32, 32)
        with rec.open_video("eye0") as reader:
            frames = list(reader.frames())
            assert numbers(frames) == list(range(40))
            assert frames[0].image.shape == (32, 32, 3)
        assert len(rec.video_frame_table("eye1")) == 0
        with pytest.raises(StreamNotFoundError, match="no eye1 video and no eye1 timestamps"):
            rec.open_video("eye1")
        with pytest.raises(StreamNotFoundError, match="choose one of world, eye0, eye1"):
            rec.video_frame_table("eye2")


def test_recording_without_world_video_or_timestamps(tmp_path):
    rec_dir = make_core_recording(tmp_path / "rec", CoreSpec(n_frames=24, pupil="none"))
    (rec_dir / "world_timestamps.npy").unlink()
    with gazeport.open(rec_dir) as rec:
        assert rec.frame_table.source == "artificial"
        with pytest.raises(StreamNotFoundError, match="no world video"):
            rec.open_video("world")


PI_START_NS = 1_636_000_000_123_456_789


def make_mobile(root: Path, videos: dict[str, int]) -> None:
    """Pupil Mobile: ``info.csv`` and ``<stem>.mp4`` + big-endian float64 ``<stem>.time``."""
    info = [("key", "value"), ("Start Time (System)", "1500000000.5"), ("Start Time (Synced)", "2345.25"), ("Duration Time", "00:00:03"), ("Capture Software", "Pupil Mobile"), ("Capture Software Version", "1.2.3")]  # fmt: skip
    (root / "info.csv").write_text("".join(f"{k},{v}\r\n" for k, v in info), newline="")
    for stem, n in videos.items():
        ts = 2345.3 + np.arange(n) / 30
        (root / f"{stem}.time").write_bytes(struct.pack(f">{n}d", *ts))
        write_video(root / f"{stem}.mp4", n)


def make_invisible(root: Path, videos: dict[str, int]) -> None:
    """Pupil Invisible: ``info.json`` and ``<stem>.mp4`` + little-endian uint64 ns ``.time``."""
    info = {"data_format_version": "1.3", "start_time": PI_START_NS, "duration": 2_000_000_000, "app_version": "1.4.30", "recording_id": "5f2c2d0e-8a3b-4a57-9e3c-2b7c1f0a9d61"}  # fmt: skip
    (root / "info.json").write_text(json.dumps(info))
    for stem, n in videos.items():
        t_ns = [PI_START_NS + 100_000_000 + k * 33_333_333 for k in range(n)]
        (root / f"{stem}.time").write_bytes(struct.pack(f"<{n}Q", *t_ns))
        write_video(root / f"{stem}.mp4", n)


@pytest.mark.parametrize(
    ("make", "world", "eye", "eye_name", "absent"),
    [
        pytest.param(make_mobile, "Pupil Cam1 ID2", "Pupil Cam1 ID0", "eye0", "eye1", id="mobile"),
        pytest.param(make_invisible, "PI world v1 ps1", "PI left v1 ps1", "eye1", "eye0", id="pi"),
    ],
)
def test_recording_videos_by_player_names(tmp_path, make, world, eye, eye_name, absent):
    make(tmp_path, {world: 9, eye: 14})
    with gazeport.open(tmp_path) as rec:
        assert [p.name for p in rec.video_frame_table(eye_name).parts] == [f"{eye}.mp4"]
        with rec.open_video(eye_name) as reader:
            assert numbers(list(reader.frames())) == list(range(14))
        with rec.open_video("world") as reader:
            assert numbers(list(reader.frames())) == list(range(9))
        assert len(rec.video_frame_table(absent)) == 0


# --- real recordings (shipped without videos: we add one) ------------------------------------


@pytest.mark.parametrize("name", ["core358_artemisge_003", "core121_eyedoit_001", "core116_vedb"])
def test_real_recording_with_generated_world_video(tmp_path, name):
    fixtures.recording(name)
    rec_dir = tmp_path / name
    shutil.copytree(FIXTURES / name, rec_dir)
    n = np.load(rec_dir / "world_timestamps.npy").shape[0]
    write_video(rec_dir / "world.mp4", n)
    with gazeport.open(rec_dir) as rec:
        table = rec.video_frame_table("world")
        with rec.open_video("world") as reader:
            frames = within(60, lambda: list(reader.frames()))
            assert reader.counters.seeks == 0 and reader.failure_summary() is None
    assert len(frames) == len(table)
    assert [k for k in numbers(frames) if k is not None] == list(range(n))
    assert [f.virtual for f in frames] == (~table.real_mask()).tolist()
    lookup_path = FIXTURES / name / "world_lookup.npy"
    if lookup_path.exists():
        # Player's own lookup marks the same frames virtual (core116 has 38 gap frames).
        lookup = np.load(lookup_path)
        assert [f.virtual for f in frames] == (lookup["container_idx"] < 0).tolist()


def test_real_recording_with_generated_eye_video(tmp_path):
    name = "core121_eyedoit_001"
    fixtures.recording(name)
    rec_dir = tmp_path / name
    shutil.copytree(FIXTURES / name, rec_dir)
    n = np.load(rec_dir / "eye0_timestamps.npy").shape[0]
    write_video(rec_dir / "eye0.mp4", n, codec="mjpeg", size=(32, 32))
    lookup = np.load(rec_dir / "eye0_lookup.npy")
    with gazeport.open(rec_dir) as rec:
        table = rec.video_frame_table("eye0")
        assert table.rows["container_frame_idx"].tolist() == lookup["container_frame_idx"].tolist()
        assert table.timestamps.tolist() == lookup["timestamp"].tolist()
        with rec.open_video("eye0") as reader:
            assert numbers(within(60, lambda: list(reader.frames()))) == list(range(n))
        with pytest.raises(StreamNotFoundError):
            rec.open_video("eye1")
