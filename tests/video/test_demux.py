"""Tests of gazeport.video.demux against videos generated here and decoded frame by frame."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from gazeport.errors import CorruptFileError
from gazeport.video.demux import (
    VideoStreamInfo,
    is_decodable,
    keyframe_pts,
    packet_pts,
    probe,
    scan,
)
from tests.video_factories import write_video as write_numbered

HAS_X264 = "libx264" in av.codecs_available


def write_video(
    path: Path,
    n_frames: int,
    codec: str = "mpeg4",
    size: tuple[int, int] = (64, 48),
    fmt: str | None = None,
) -> Path:
    """Encode ``n_frames`` frames at 30 fps (frame i is gray level 8*i)."""
    width, height = size
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        for i in range(n_frames):
            image = np.full((height, width, 3), (8 * i) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def decoded_pts(path: Path, fmt: str | None = None) -> list[int]:
    """Oracle: pts of every decoded frame, decoding the whole file."""
    with av.open(str(path), format=fmt) as container:
        return sorted(int(f.pts) for f in container.decode(video=0))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").exists() else 0


CASES = [
    pytest.param("mpeg4", "mp4", None, id="mpeg4-mp4"),
    pytest.param("mjpeg", "mjpeg", "mjpeg", id="mjpeg-raw"),
    pytest.param("mpeg4", "avi", None, id="mpeg4-avi"),
    pytest.param(
        "libx264",
        "mkv",
        None,
        id="h264-mkv",
        marks=pytest.mark.skipif(not HAS_X264, reason="libx264 not available"),
    ),
    pytest.param(
        "libx264",
        "mp4",
        None,
        id="h264-mp4",
        marks=pytest.mark.skipif(not HAS_X264, reason="libx264 not available"),
    ),
]


@pytest.mark.parametrize(("codec", "ext", "fmt"), CASES)
def test_packet_pts_equal_decoded_frame_pts(tmp_path, codec, ext, fmt):
    path = write_video(tmp_path / f"world.{ext}", 12, codec, fmt=fmt)
    pts = packet_pts(path)
    assert pts.dtype == np.int64
    assert pts.tolist() == decoded_pts(path, fmt)
    assert len(pts) == 12
    assert np.all(np.diff(pts) > 0)


@pytest.mark.parametrize(("codec", "ext", "fmt"), CASES)
def test_probe(tmp_path, codec, ext, fmt):
    path = write_video(tmp_path / f"world.{ext}", 7, codec, size=(64, 48), fmt=fmt)
    info = probe(path)
    assert isinstance(info, VideoStreamInfo)
    assert (info.width, info.height) == (64, 48)
    assert info.codec == ("h264" if codec == "libx264" else codec)
    assert info.packets == 7
    assert isinstance(info.time_base, Fraction)
    assert is_decodable(path)


def test_mp4_pts_follow_the_frame_rate(tmp_path):
    path = write_video(tmp_path / "world.mp4", 10)
    info, pts = scan(path)
    assert info.time_base is not None
    seconds = np.array([float(p * info.time_base) for p in pts])
    np.testing.assert_allclose(seconds, np.arange(10) / 30, atol=1e-9)


def test_last_packet_rule_keeps_every_frame(tmp_path):
    # PyAV ends demuxing with an empty flush packet; dropping "the last packet" drops only it.
    path = write_video(tmp_path / "world.mp4", 5)
    with av.open(str(path)) as container:
        packets = [(p.pts, p.size) for p in container.demux(video=0)]
    assert packets[-1] == (None, 0)
    assert len(packet_pts(path)) == len(packets) - 1 == 5


def test_misnamed_container_falls_back_to_autodetection(tmp_path):
    real = write_video(tmp_path / "real.mp4", 6)
    misnamed = tmp_path / "world.avi"
    misnamed.write_bytes(real.read_bytes())
    assert packet_pts(misnamed).tolist() == packet_pts(real).tolist()
    assert probe(misnamed).codec == "mpeg4"


@pytest.mark.skipif(not HAS_X264, reason="libx264 not available")
def test_raw_h264_has_no_pts(tmp_path):
    path = write_video(tmp_path / "world.h264", 6, "libx264", fmt="h264")
    info, pts = scan(path)
    assert info.packets == 6
    assert pts.size == 0  # raw streams carry no pts; such packets are skipped
    assert is_decodable(path)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(bytes(range(256)) * 20, id="garbage"),
        pytest.param(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, id="header-only"),
    ],
)
@pytest.mark.parametrize("ext", ["mp4", "mkv", "h264", "avi"])
def test_corrupt_file_raises(tmp_path, content, ext):
    path = tmp_path / f"world.{ext}"
    path.write_bytes(content)
    before = open_fds()
    with pytest.raises(CorruptFileError, match=r"world\.") as info:
        packet_pts(path)
    assert info.value.path == path
    assert str(path) in str(info.value)
    with pytest.raises(CorruptFileError):
        probe(path)
    assert not is_decodable(path)
    assert open_fds() == before


def test_garbage_mjpeg_is_not_decodable(tmp_path):
    path = tmp_path / "world.mjpeg"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    assert not is_decodable(path)


def test_audio_only_file_has_no_video_stream(tmp_path):
    if "aac" not in av.codecs_available:
        pytest.skip("aac encoder not available")
    path = tmp_path / "world.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=44100)
        samples = np.zeros((1, 1024), dtype=np.float32)
        for i in range(5):
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = 44100
            frame.pts = i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(CorruptFileError, match="no video stream"):
        probe(path)
    assert not is_decodable(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        packet_pts(tmp_path / "nope.mp4")
    with pytest.raises(FileNotFoundError):
        is_decodable(tmp_path / "nope.mp4")


def test_folder_is_not_a_video(tmp_path):
    folder = tmp_path / "world.mp4"
    folder.mkdir()
    with pytest.raises(CorruptFileError):
        probe(folder)


def test_containers_are_closed(tmp_path):
    path = write_video(tmp_path / "world.mp4", 4)
    before = open_fds()
    for _ in range(3):
        probe(path)
        packet_pts(path)
        is_decodable(path)
    assert open_fds() == before


def test_keyframe_pts_are_the_flagged_packets_cached_per_file(tmp_path):
    path = tmp_path / "world.mp4"
    pts = write_numbered(path, 30)  # mpeg4: a keyframe every 12 frames
    keys = keyframe_pts(path)
    assert keys.tolist() == pts[::12]
    assert keyframe_pts(path) is keys  # one demux pass per file version
    assert not keys.flags.writeable
    write_numbered(path, 5)  # rewritten: another size, so demuxed again
    assert keyframe_pts(path).tolist() == [pts[0]]
    mjpeg = tmp_path / "world.avi"
    write_numbered(mjpeg, 5, codec="mjpeg")  # every JPEG frame is a keyframe
    assert keyframe_pts(mjpeg).size == 5
    with pytest.raises(FileNotFoundError):
        keyframe_pts(tmp_path / "missing.mp4")
