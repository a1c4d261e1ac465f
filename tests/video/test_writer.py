"""Tests of gazeport.video.writer (and the audio track of gazeport.video.audio).

Oracles written here: Player's pts rule in exact Fraction arithmetic, ``np.savetxt`` for the CSV,
and PyAV decoding of the written files (frame pts, pixels, audio samples).
"""

from __future__ import annotations

import errno
import io
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from gazeport.errors import ExportCancelled, ExportError, GazeportWarning
from gazeport.video.writer import VideoWriter, timestamps_csv_text, write_timestamp_files

HAS_X264 = "libx264" in av.codecs_available
needs_x264 = pytest.mark.skipif(not HAS_X264, reason="libx264 not available")
CODECS = [pytest.param("h264", marks=needs_x264, id="h264"), pytest.param("mpeg4", id="mpeg4")]
W, H = 64, 48
SR = 16000  # audio sample rate of the test files (Hz)


def player_pts(timestamps, start):
    """Oracle: Player's pts of the frames it keeps: ``int(offset / Fraction(1, 65535))``, at
    least the previous pts + 1."""
    out: list[int] = []
    for t in timestamps:
        if float(t) < start:
            continue
        pts = int((float(t) - start) / Fraction(1, 65535))
        if out and pts <= out[-1]:
            pts = out[-1] + 1
        out.append(pts)
    return out


def image(i: int, size=(W, H)) -> np.ndarray:
    width, height = size
    return np.full((height, width, 3), (20 * i) % 256, dtype=np.uint8)


def write_all(path: Path, timestamps, start: float, codec="h264", size=(W, H), **kw) -> VideoWriter:
    with VideoWriter(
        path, width=size[0], height=size[1], start_time=start, codec=codec, **kw
    ) as writer:
        for i, t in enumerate(timestamps):
            writer.write(image(i, size), t)
    return writer


def decoded(path: Path) -> tuple[list[int], list[np.ndarray], dict]:
    """Oracle: pts and BGR images of every decoded frame, plus stream facts."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        facts = {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "time_base": stream.time_base,
            "size": (stream.codec_context.width, stream.codec_context.height),
            "profile": stream.codec_context.profile,
            "audio": len(container.streams.audio),
        }
    frames.sort(key=lambda f: f.pts)
    return [int(f.pts) for f in frames], [f.to_ndarray(format="bgr24") for f in frames], facts


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


IRREGULAR = 500.0 + np.array(
    [0.0, 0.033, 0.034, 0.034, 0.034 + 1e-6, 0.1, 0.1001, 0.45, 0.46, 1.7, 1.71, 1.74]
)


@pytest.mark.parametrize("codec", CODECS)
def test_pts_follow_variable_timestamps(tmp_path, codec):
    start = float(IRREGULAR[1])
    writer = write_all(tmp_path / "world.mp4", IRREGULAR, start, codec)
    expected = player_pts(IRREGULAR, start)
    assert expected[:4] == [0, 65, 66, 67]  # the +1 rule for equal and sub-tick timestamps
    pts, _, facts = decoded(tmp_path / "world.mp4")
    assert pts == expected
    assert facts["time_base"] == Fraction(1, 65535)
    assert writer.pts.tolist() == expected
    assert writer.frame_count == len(IRREGULAR) - 1
    np.testing.assert_array_equal(writer.timestamps, IRREGULAR[1:])


@pytest.mark.parametrize("codec", CODECS)
def test_first_frame_after_the_start_keeps_its_exact_pts(tmp_path, codec):
    """An eye video starts a little after the world export start: its first pts is not 0 and
    must not be rounded to the mp4 movie time scale (FFmpeg's default is 1/1000 s)."""
    ts = 100.00147 + np.arange(8) / 30
    writer = write_all(tmp_path / "eye0.mp4", ts, 100.0, codec)
    expected = player_pts(ts, 100.0)
    assert expected[0] == 96
    pts, _, _ = decoded(tmp_path / "eye0.mp4")
    assert pts == expected == writer.pts.tolist()


@pytest.mark.parametrize("codec", CODECS)
def test_timestamp_files_match_player(tmp_path, codec):
    ts = 1234.5 + np.cumsum(np.random.default_rng(3).uniform(0.005, 0.07, 25))
    write_all(tmp_path / "eye0.mp4", ts, float(ts[0]), codec)
    assert names(tmp_path) == ["eye0.mp4", "eye0_timestamps.csv", "eye0_timestamps.npy"]
    saved = np.load(tmp_path / "eye0_timestamps.npy")
    assert saved.dtype == np.float64
    np.testing.assert_array_equal(saved, ts)
    oracle = io.StringIO()
    np.savetxt(
        oracle,
        np.column_stack([ts, player_pts(ts, float(ts[0]))]),
        delimiter=",",
        fmt=["%f", "%i"],
        header="timestamps [seconds],pts",
    )
    data = (tmp_path / "eye0_timestamps.csv").read_bytes()
    assert data.decode() == oracle.getvalue()
    assert data.startswith(b"# timestamps [seconds],pts\n1234.")
    assert b"\r" not in data


def test_frames_before_start_are_skipped(tmp_path):
    ts = 10.0 + np.arange(10) / 30
    with VideoWriter(tmp_path / "world.mp4", width=W, height=H, start_time=ts[4]) as writer:
        kept = [writer.write(image(i), t) for i, t in enumerate(ts)]
    assert kept == [False] * 4 + [True] * 6
    pts, images, _ = decoded(tmp_path / "world.mp4")
    assert pts[0] == 0 and len(pts) == 6
    assert abs(int(images[0][0, 0, 0]) - 80) <= 6  # frame 4 is the first one written
    np.testing.assert_array_equal(np.load(tmp_path / "world_timestamps.npy"), ts[4:])


def test_writing_name_until_closed(tmp_path):
    writer = VideoWriter(tmp_path / "world.mp4", width=W, height=H, start_time=0.0)
    writer.write(image(0), 0.0)
    writer.write(image(1), 0.05)
    assert names(tmp_path) == ["world.mp4.writing"]
    assert writer.partial_path == tmp_path / "world.mp4.writing"
    writer.close()
    assert writer.closed
    assert names(tmp_path) == ["world.mp4", "world_timestamps.csv", "world_timestamps.npy"]
    writer.close()  # a second close does nothing
    with pytest.raises(ValueError, match="already closed"):
        writer.write(image(2), 0.1)


def test_decreasing_timestamp_raises_and_leaves_nothing(tmp_path):
    with (
        pytest.raises(ExportError, match=r"earlier than the previous frame"),
        VideoWriter(tmp_path / "world.mp4", width=W, height=H, start_time=0.0) as writer,
    ):
        writer.write(image(0), 1.0)
        writer.write(image(1), 1.0)  # equal is allowed (pts + 1)
        writer.write(image(2), 0.99)
    assert names(tmp_path) == []


def test_cancel_renames_to_canceled_without_timestamp_files(tmp_path):
    writer = VideoWriter(tmp_path / "world.mp4", width=W, height=H, start_time=0.0)
    for i in range(3):
        writer.write(image(i), i / 30)
    writer.cancel()
    assert names(tmp_path) == ["world.mp4.canceled"]
    writer.close()  # nothing happens after a cancel
    assert names(tmp_path) == ["world.mp4.canceled"]


def test_cancel_can_remove(tmp_path):
    writer = VideoWriter(tmp_path / "world.mp4", width=W, height=H, start_time=0.0)
    writer.write(image(0), 0.0)
    writer.cancel(remove=True)
    assert names(tmp_path) == []


@pytest.mark.parametrize(
    ("exc", "left"),
    [
        pytest.param(RuntimeError("boom"), [], id="error-removes"),
        pytest.param(ExportCancelled("stop"), ["world.mp4.canceled"], id="cancelled-keeps"),
        pytest.param(KeyboardInterrupt(), ["world.mp4.canceled"], id="ctrl-c-keeps"),
    ],
)
def test_exception_inside_with_block(tmp_path, exc, left):
    with (
        pytest.raises(type(exc)),
        VideoWriter(tmp_path / "world.mp4", width=W, height=H, start_time=0.0) as writer,
    ):
        writer.write(image(0), 0.0)
        writer.write(image(1), 0.04)
        raise exc
    assert names(tmp_path) == left


def test_no_frame_in_range_is_an_error(tmp_path):
    with (
        pytest.raises(ExportError, match="zero-duration"),
        VideoWriter(tmp_path / "world.mp4", width=W, height=H, start_time=5.0) as writer,
    ):
        assert not writer.write(image(0), 4.0)
    assert names(tmp_path) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"codec": "vp9"}, "Unknown codec", id="codec"),
        pytest.param({"input_format": "yuv"}, "Unknown input format", id="input-format"),
        pytest.param({"width": 0}, "not positive", id="size"),
        pytest.param({"frame_rate": 0}, "frame rate", id="rate"),
        pytest.param({"crf": 60}, "crf must be", id="crf"),
        pytest.param({"preset": "nope"}, "rejects the settings", id="preset", marks=needs_x264),
    ],
)
def test_invalid_arguments(tmp_path, kwargs, message):
    args = {"width": W, "height": H, "start_time": 0.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        VideoWriter(tmp_path / "world.mp4", **args)
    with pytest.raises(ValueError, match=r"\.mp4 or \.mov"):
        VideoWriter(tmp_path / "world.avi", width=W, height=H, start_time=0.0)
    assert names(tmp_path) == []


def test_wrong_frame_shape(tmp_path):
    with (
        pytest.raises(ValueError, match=r"shape \(48, 64, 3\)"),
        VideoWriter(tmp_path / "world.mp4", width=W, height=H, start_time=0.0) as writer,
    ):
        writer.write(np.zeros((48, 64), np.uint8), 0.0)
    assert names(tmp_path) == []


@needs_x264
def test_h264_is_browser_friendly(tmp_path):
    ts = 3.0 + np.arange(20) / 30
    write_all(tmp_path / "world.mp4", ts, 3.0, "h264")
    pts, images, facts = decoded(tmp_path / "world.mp4")
    assert facts["codec"] == "h264" and facts["pix_fmt"] == "yuv420p"
    assert facts["profile"] == "High"
    assert len(pts) == 20
    for i, img in enumerate(images):
        assert abs(float(img.mean()) - (20 * i) % 256) < 6
    data = (tmp_path / "world.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: playable while downloading


def test_mpeg4_is_players_codec(tmp_path):
    ts = 3.0 + np.arange(8) / 30
    write_all(tmp_path / "world.mp4", ts, 3.0, "mpeg4")
    pts, _, facts = decoded(tmp_path / "world.mp4")
    assert facts["codec"] == "mpeg4" and facts["pix_fmt"] == "yuv420p"
    assert pts == player_pts(ts, 3.0)


@pytest.mark.parametrize("codec", CODECS)
def test_odd_frame_size(tmp_path, codec):
    size = (65, 47)
    rng = np.random.default_rng(0)
    picture = np.repeat(rng.integers(0, 200, (47, 65, 1), dtype=np.uint8), 3, axis=2)
    picture[:, -1] = 200  # a bright last column and last row, so the padding is visible
    picture[-1, :] = 200
    with VideoWriter(tmp_path / "world.mp4", width=65, height=47, start_time=0.0, codec=codec) as w:
        w.write(picture, 0.0)
        w.write(picture, 0.04)
    _, images, facts = decoded(tmp_path / "world.mp4")
    expected = (66, 48) if codec == "h264" else size
    assert facts["size"] == expected == w.encoded_size
    assert images[0].shape == (expected[1], expected[0], 3)
    if codec == "h264":
        # The pad repeats the edge: the extra column and row are as bright as the last ones.
        assert images[0][:, -1].mean() > 180 and images[0][-1, :].mean() > 180


def test_gray_input(tmp_path):
    with VideoWriter(
        tmp_path / "eye0.mp4", width=W, height=H, start_time=0.0, input_format="gray"
    ) as writer:
        writer.write(np.full((H, W), 90, np.uint8), 0.0)
    _, images, _ = decoded(tmp_path / "eye0.mp4")
    assert abs(float(images[0].mean()) - 90) < 3


def test_write_timestamp_files_helper(tmp_path):
    ts = 7.0 + np.arange(5) / 10
    write_all(tmp_path / "a.mp4", ts, 7.0, "mpeg4")
    (tmp_path / "a_timestamps.csv").unlink()
    npy, csv = write_timestamp_files(tmp_path / "a.mp4", ts)
    assert (npy.name, csv.name) == ("a_timestamps.npy", "a_timestamps.csv")
    assert csv.read_text() == timestamps_csv_text(ts, player_pts(ts, 7.0))
    with pytest.raises(ExportError, match="holds 5 frames but 4 timestamps"):
        write_timestamp_files(tmp_path / "a.mp4", ts[:4])
    assert not list(tmp_path.glob("*.writing"))


# -- audio ------------------------------------------------------------------------------------


def make_audio(path: Path, signal: np.ndarray, t0: float) -> np.ndarray:
    """Write mono ``signal`` (float32 at SR Hz, sample 0 at ``t0`` s) as AAC, like Capture's
    ``audio.mp4``; return one timestamp per demuxed packet (its pts in seconds + ``t0``)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=SR)
        stream.layout = "mono"
        for i in range(0, signal.size, 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(signal[None, i : i + 1024]), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = SR, i, Fraction(1, SR)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        pts = [p.pts for p in container.demux(stream) if p.pts is not None]
        return t0 + np.array(pts, dtype=np.float64) * float(stream.time_base)


def tone(seconds: float, spans: list[tuple[float, float]]) -> np.ndarray:
    """Silence of ``seconds`` with a 1 kHz tone (amplitude 0.5) in each ``(from, to)`` span."""
    t = np.arange(round(seconds * SR)) / SR
    on = np.zeros(t.size, bool)
    for a, b in spans:
        on |= (t >= a) & (t < b)
    return (0.5 * np.sin(2 * np.pi * 1000 * t) * on).astype(np.float32)


def decoded_audio(path: Path) -> tuple[np.ndarray, int, float]:
    """Oracle: mono samples of the first audio stream, its rate and duration in seconds."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = np.concatenate([f.to_ndarray()[0] for f in container.decode(stream)])
        return samples, stream.sample_rate, float(stream.duration * stream.time_base)


def loud(samples: np.ndarray, rate: int, a: float, b: float) -> float:
    """RMS of the samples between ``a`` and ``b`` seconds."""
    part = samples[round(a * rate) : round(b * rate)]
    return float(np.sqrt(np.mean(part**2)))


def export_with_audio(tmp_path, parts, start, end, codec="mpeg4"):
    frames = start + np.arange(-15, round((end - start) * 30) + 15) / 30
    with VideoWriter(
        tmp_path / "world.mp4", width=W, height=H, start_time=start, codec=codec
    ) as writer:
        outcome = writer.add_audio(parts, end_time=end)
        for i, t in enumerate(frames):
            if t <= end:
                writer.write(image(i), t)
    return outcome


@pytest.mark.parametrize("codec", CODECS)
def test_audio_is_cut_to_the_range(tmp_path, codec):
    t0 = 100.0
    # Tones before the range, inside it (0.2-0.4 s after the start) and after it.
    signal = tone(3.2, [(0.5, 0.9), (1.2, 1.4), (2.3, 2.6)])
    ts = make_audio(tmp_path / "audio.mp4", signal, t0)
    outcome = export_with_audio(tmp_path, [(tmp_path / "audio.mp4", ts)], t0 + 1.0, t0 + 2.0, codec)
    assert outcome.added and "audio.mp4" in outcome.message
    samples, rate, duration = decoded_audio(tmp_path / "world.mp4")
    assert rate == SR
    assert duration == pytest.approx(1.0, abs=0.03)
    assert loud(samples, rate, 0.22, 0.38) > 0.2
    assert loud(samples, rate, 0.0, 0.17) < 0.02  # the tone before the range was dropped
    assert loud(samples, rate, 0.45, 1.0) < 0.02  # ... and the one after it
    pts, _, facts = decoded(tmp_path / "world.mp4")
    assert facts["audio"] == 1 and len(pts) == 31  # the video is unchanged by the audio
    assert pts == player_pts(t0 + 1.0 + np.arange(31) / 30, t0 + 1.0)


def test_audio_parts_with_gap_and_jitter_stay_in_sync(tmp_path):
    t0 = 50.0
    rng = np.random.default_rng(7)
    first = make_audio(tmp_path / "audio.mp4", tone(1.5, []), t0)
    second = make_audio(tmp_path / "audio_001.mp4", tone(1.3, [(0.1, 0.2)]), t0 + 1.7)
    first = first + rng.uniform(-0.005, 0.005, first.size)  # clock jitter below the tolerance
    parts = [(tmp_path / "audio.mp4", first), (tmp_path / "audio_001.mp4", second)]
    outcome = export_with_audio(tmp_path, parts, t0 + 1.0, t0 + 2.5)
    assert outcome.added and outcome.skipped == ()
    samples, rate, duration = decoded_audio(tmp_path / "world.mp4")
    assert duration == pytest.approx(1.5, abs=0.03)
    # The second part's tone (1.8-1.9 s) lands at 0.8-0.9 s: the 0.2 s gap became silence.
    assert loud(samples, rate, 0.81, 0.89) > 0.2
    assert loud(samples, rate, 0.0, 0.78) < 0.02
    assert loud(samples, rate, 0.92, 1.5) < 0.02


def test_audio_at_a_rate_aac_lacks_is_resampled(tmp_path):
    # 12345 Hz stereo PCM in Matroska: converted to AAC 48 kHz stereo, tone still in place.
    rate = 12345
    t = np.arange(3 * rate) / rate
    signal = (0.5 * np.sin(2 * np.pi * 1000 * t) * ((t >= 1.2) & (t < 1.4))).astype(np.float32)
    with av.open(str(tmp_path / "audio.mkv"), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=rate)
        stream.layout = "stereo"
        for i in range(0, signal.size, 1000):
            block = np.repeat(signal[None, i : i + 1000], 2, 0).T.reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(
                (block * 32767).astype(np.int16), format="s16", layout="stereo"
            )
            frame.sample_rate, frame.pts, frame.time_base = rate, i, Fraction(1, rate)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with av.open(str(tmp_path / "audio.mkv")) as container:
        source = container.streams.audio[0]
        pts = [p.pts for p in container.demux(source) if p.pts is not None]
        ts = 100.0 + np.array(pts) * float(source.time_base)
    outcome = export_with_audio(tmp_path, [(tmp_path / "audio.mkv", ts)], 101.0, 102.0)
    assert outcome.added and "48000 Hz stereo" in outcome.message
    samples, out_rate, duration = decoded_audio(tmp_path / "world.mp4")
    assert out_rate == 48000
    assert duration == pytest.approx(1.0, abs=0.03)
    assert loud(samples, out_rate, 0.22, 0.38) > 0.2
    assert loud(samples, out_rate, 0.0, 0.17) < 0.02
    assert loud(samples, out_rate, 0.43, 1.0) < 0.02


def test_broken_audio_file_warns_and_video_is_written(tmp_path):
    (tmp_path / "audio.mp4").write_bytes(bytes(range(256)) * 8)
    ts = 10.0 + np.arange(40) * 0.064
    with pytest.warns(GazeportWarning, match=r"audio\.mp4 cannot be read"):
        outcome = export_with_audio(tmp_path, [(tmp_path / "audio.mp4", ts)], 10.0, 11.0)
    assert not outcome.added
    assert outcome.skipped == (tmp_path / "audio.mp4",)
    assert "damaged" in outcome.message
    pts, _, facts = decoded(tmp_path / "world.mp4")
    assert facts["audio"] == 0 and len(pts) == 31


def test_damaged_audio_packets_become_silence(tmp_path):
    ts = make_audio(tmp_path / "audio.mp4", tone(3.0, [(0.0, 3.0)]), 0.0)
    data = bytearray((tmp_path / "audio.mp4").read_bytes())
    assert data.index(b"mdat") < len(data) // 2 < data.index(b"moov")
    middle = len(data) // 2
    data[middle : middle + 3000] = np.random.default_rng(0).bytes(3000)
    (tmp_path / "audio.mp4").write_bytes(bytes(data))
    with pytest.warns(GazeportWarning, match=r"Audio packet \d+ of .*audio\.mp4 cannot be decoded"):
        outcome = export_with_audio(tmp_path, [(tmp_path / "audio.mp4", ts)], 0.0, 3.0)
    assert outcome.added
    samples, rate, duration = decoded_audio(tmp_path / "world.mp4")
    assert duration == pytest.approx(3.0, abs=0.03)
    assert loud(samples, rate, 0.1, 1.0) > 0.3  # before the damage
    assert loud(samples, rate, 2.5, 2.9) > 0.3  # after it: decoding went on
    assert len(decoded(tmp_path / "world.mp4")[0]) == 91


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        pytest.param("video-only", "has no audio stream", id="no-audio-stream"),
        pytest.param("no-timestamps", "has no audio timestamps", id="no-timestamps"),
        pytest.param("out-of-range", "no audio in the export range", id="out-of-range"),
        pytest.param("missing", "does not exist", id="missing-file"),
    ],
)
def test_no_audio_without_warning(tmp_path, setup, reason):
    path = tmp_path / "audio.mp4"
    ts: np.ndarray | None = None
    if setup == "video-only":
        write_all(tmp_path / "audio.mp4", [0.0, 0.1], 0.0, "mpeg4")
        ts = np.array([10.0, 10.5])
    elif setup in ("no-timestamps", "out-of-range"):
        ts = make_audio(path, tone(0.5, []), 500.0)
        ts = ts if setup == "out-of-range" else None
    outcome = export_with_audio(tmp_path, [(path, ts)], 10.0, 10.5)
    assert not outcome.added
    assert reason in outcome.message
    assert decoded(tmp_path / "world.mp4")[2]["audio"] == 0


def test_add_audio_only_before_the_first_frame(tmp_path):
    ts = make_audio(tmp_path / "audio.mp4", tone(0.5, []), 0.0)
    with VideoWriter(tmp_path / "world.mp4", width=W, height=H, start_time=0.0) as writer:
        writer.write(image(0), 0.0)
        with pytest.raises(ValueError, match="before the first frame"):
            writer.add_audio([(tmp_path / "audio.mp4", ts)], end_time=0.5)


def test_write_timestamp_files_failed_rename_leaves_no_temp(tmp_path, monkeypatch):
    ts = 7.0 + np.arange(5) / 10
    calls = []
    real_replace = os.replace

    def second_fails(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", second_fails)
    with pytest.raises(OSError, match="No space"):
        write_timestamp_files(tmp_path / "a.mp4", ts, pts=np.arange(5))
    assert not list(tmp_path.glob("*.writing"))
