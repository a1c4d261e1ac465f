"""World video of Neon recordings (exporters/neon_world_video.py, recording/neon_world.py):
frames on Neon Player's timeline, gray where there is no scene picture, Neon Player's gaze
circle where the gaze is. Expectations come from Neon Player's own world_timestamps.csv and
from the recording's files read here with numpy, not from the library."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.exporters.neon_world_video import _MeanGaze
from tests import fixtures
from tests.neon_factories import SCENE, START_NS, write_neon

EYE = "Neon Sensor Module v1"

GOLDEN = fixtures.NEON_PLAYER_EXPORTS
runner = CliRunner()
S = 1_000_000_000


def decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def csv_stamps(path: Path, kind: type = int) -> np.ndarray:
    """The ``timestamp [ns]`` column: exact integers (gazeport) or floats (Neon Player)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return np.array([kind(r[1]) for r in list(csv.reader(fh))[1:]])


def mean_gaze(g_ns: np.ndarray, xy: np.ndarray, lo: int, hi: int) -> tuple[float, float] | None:
    """Neon Player's circle position: the mean of the gaze in ``[lo, hi)``."""
    inside = (g_ns >= lo) & (g_ns < hi)
    return (float(xy[inside, 0].mean()), float(xy[inside, 1].mean())) if inside.any() else None


def assert_ring_at(image: np.ndarray, x: float, y: float, *, on_gray: bool) -> None:
    """Red at half opacity 30 px from the gaze (the ring's middle); inside the ring the frame."""
    w = image.shape[1]
    cx, cy = round(x), round(y)
    b, g, r = (int(v) for v in image[cy, min(cx + 30, w - 1)])
    assert r - max(g, b) > 80, (r, g, b)
    if on_gray:
        assert np.abs(image[cy, cx].astype(int) - 128).max() <= 12  # inside the ring: gray
        b, g, r = (int(v) for v in image[cy, min(cx + 30, w - 1)])
        assert r > 160 and g < 100 and b < 100  # 0.5 * (255, 0, 0) + 0.5 * 128


def test_synthetic_recording_without_scene_videos(tmp_path: Path):
    """write_neon writes no MP4: every frame is gray, each names its missing file, and the
    circle sits on the mean gaze of its scene frame."""
    truth = write_neon(tmp_path / "rec", parts=((0.5, 1.0),))
    result = runner.invoke(
        cli.app, ["export", str(truth.root), "--with", "world-video", "--start-s", "0.8",
                  "--end-s", "1.2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = truth.root / "exports" / "000"
    assert f"{SCENE} ps1.mp4" in result.output and "missing" in result.output
    assert not (folder / "world_timestamps.npy").exists()
    stamps = csv_stamps(folder / "world_timestamps.csv")
    frames = decode(folder / "world.mp4")
    # The scene frames 0.4 s + k/30 s + 9 ns for k = 12 .. 23 lie in 0.8 .. 1.2 s.
    assert len(frames) == stamps.size == 12
    assert frames[0].shape == (1200, 1600, 3)  # Neon Player's size without a video
    scene = np.fromfile(truth.root / f"{SCENE} ps1.time", dtype="<i8")
    g_ns = np.fromfile(truth.root / "gaze ps1.time", dtype="<i8")
    xy = np.fromfile(truth.root / "gaze ps1.raw", dtype="<f4").reshape(-1, 2).astype(np.float64)
    for k in (0, 6, 11):
        i = int(np.searchsorted(scene, stamps[k], side="right")) - 1
        assert scene[i] == stamps[k]
        x, y = mean_gaze(g_ns, xy, int(scene[i]), int(scene[i + 1]))
        if 35 <= x <= 1600 - 35 and 35 <= y <= 1200 - 35:
            assert_ring_at(frames[k], x, y, on_gray=True)
    assert stamps[0] >= START_NS + 8 * S // 10 and stamps[-1] <= START_NS + 12 * S // 10


@fixtures.needs_recordings
def test_multipart_recording_on_neon_players_timeline(tmp_path: Path):
    """neon23_multipart: ps1 is a real H.264 video, ps2 and ps3 have no MP4. One window runs
    from the end of ps1 into the 7.5 s gap after it, one lies in the lost ps2 where there is
    gaze (the gaze starts again at 20.6 s)."""
    golden_file = GOLDEN / "neon23_multipart" / "world_timestamps.csv"
    if not golden_file.is_file():
        pytest.skip(f"Neon Player reference exports not found in {GOLDEN}")
    copy = tmp_path / "neon23_multipart"
    shutil.copytree(fixtures.recording("neon23_multipart"), copy)
    start = int(np.fromfile(copy / "event.time", dtype="<i8").min())  # recording.begin
    golden = csv_stamps(golden_file, float)
    ps1, ps2, ps3 = (np.fromfile(copy / f"{SCENE} ps{n}.time", dtype="<i8") for n in (1, 2, 3))
    scene = np.concatenate([ps1, ps2, ps3])
    g_ns = np.fromfile(copy / "gaze_200hz.time", dtype="<i8")
    xy = np.fromfile(copy / "gaze_200hz.raw", dtype="<f4").reshape(-1, 2).astype(np.float64)
    for number, (lo_s, hi_s) in enumerate([("6.5", "8.0"), ("20.5", "21.5")]):
        result = runner.invoke(
            cli.app, ["export", str(copy), "--with", "world-video", "--start-s", lo_s,
                      "--end-s", hi_s],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        folder = copy / "exports" / f"{number:03d}"
        lo, hi = (start + round(float(v) * 10) * S // 10 for v in (lo_s, hi_s))
        expected = golden[(golden >= lo) & (golden <= hi)]
        frames = decode(folder / "world.mp4")
        assert len(frames) == expected.size == csv_stamps(folder / "world_timestamps.csv").size
        assert not (folder / "world_timestamps.npy").exists()
        real = expected <= ps1[-1] + 512
        if number == 1:
            assert f"{SCENE} ps2.mp4" in result.output and "missing" in result.output
        # Gap frames after ps1 and the frames of lost ps2 are gray (away from the circle).
        for k in np.flatnonzero(~real).tolist():
            assert np.abs(frames[k][:40, :40].astype(int) - 128).max() <= 12, k
        # The circle on a real ps1 frame (first window) and on a lost ps2 frame (second).
        k = int(np.sum(real)) - 5 if number == 0 else len(frames) // 2
        i = int(np.argmin(np.abs(scene - expected[k])))
        assert abs(int(scene[i]) - expected[k]) <= 512
        found = mean_gaze(g_ns, xy, int(scene[i]), int(scene[i + 1]))
        assert found is not None
        assert_ring_at(frames[k], *found, on_gray=not real[k])


class _Rec:
    """Just the streams the circle needs."""

    def __init__(self, gaze: np.ndarray, worn: np.ndarray | None) -> None:
        self.gaze, self.worn = gaze, worn

    def has_stream(self, name: str) -> bool:
        return getattr(self, name) is not None


def test_circle_rules_follow_neon_player():
    scene = np.array([100, 200, 300], dtype=np.int64)
    g_ns = np.arange(50, 400, 10, dtype=np.int64)
    gaze = np.zeros(
        g_ns.size, [("timestamp_ns", "<i8"), ("gaze_x_px", "<f4"), ("gaze_y_px", "<f4")]
    )
    gaze["timestamp_ns"], gaze["gaze_x_px"], gaze["gaze_y_px"] = g_ns, g_ns, 2 * g_ns
    worn = np.zeros(g_ns.size, [("timestamp_ns", "<i8"), ("worn", "u1")])
    worn["timestamp_ns"] = g_ns
    worn["worn"] = np.where((g_ns >= 200) & (g_ns < 300), 0, 255)  # taken off at 200 .. 300
    frames = np.array([60, 100, 150, 250, 310, 399], dtype=np.int64)
    m = _MeanGaze(_Rec(gaze, worn), frames, scene)
    # Before the first scene frame: none; taken off: none.
    assert m.show.tolist() == [False, True, True, False, True, True]
    # Mean of [100, 200) for frames at 100 and 150; the last scene frame's gaze runs to the end.
    assert m.x[1] == m.x[2] == 145.0 and m.y[1] == 290.0
    assert m.x[4] == m.x[5] == np.mean(np.arange(300, 400, 10))
    # Without worn data the circle shows wherever there is gaze.
    assert _MeanGaze(_Rec(gaze, None), frames, scene).show.tolist() == [False] + [True] * 5


def decode_audio(path: Path) -> tuple[int, np.ndarray, int]:
    """``(sample rate, mono samples, the stream's declared duration in samples)``."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return 0, np.empty(0), 0
        stream = container.streams.audio[0]
        rate, declared = int(stream.codec_context.sample_rate), int(stream.duration or 0)
        chunks = [f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)]
    return rate, np.concatenate(chunks), declared


@fixtures.needs_recordings
def test_scene_audio_on_the_timeline(tmp_path: Path):
    """neon23_multipart: only ps1 has an MP4 (and so audio). The window 1.8 .. 8.0 s runs from
    the gray pre-roll through ps1 into the gap after it: the track lasts from the first to the
    last frame (± one AAC frame), is silent before ps1's first frame and after its audio ends,
    and sounds in between. --no-audio leaves the track out."""
    copy = tmp_path / "neon23_multipart"
    shutil.copytree(fixtures.recording("neon23_multipart"), copy)
    start = int(np.fromfile(copy / "event.time", dtype="<i8").min())
    ps1 = np.fromfile(copy / f"{SCENE} ps1.time", dtype="<i8")
    source_rate, source, _ = decode_audio(copy / f"{SCENE} ps1.mp4")
    result = runner.invoke(
        cli.app, ["export", str(copy), "--with", "world-video", "--start-s", "1.8",
                  "--end-s", "8.0"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = copy / "exports" / "000"
    stamps = csv_stamps(folder / "world_timestamps.csv")
    rate, samples, declared = decode_audio(folder / "world.mp4")
    assert rate == source_rate == 44_100
    frame = 1024  # samples per AAC frame
    expected = (stamps[-1] - stamps[0]) * rate / S
    assert abs(declared - expected) <= frame and abs(samples.size - expected) <= frame
    loud = np.flatnonzero(np.abs(samples) > 1e-3)
    onset = (ps1[0] - stamps[0]) * rate / S  # ps1's audio starts with its first frame
    assert abs(loud[0] - onset) <= frame, (loud[0], onset)
    assert abs(loud[-1] - (onset + source.size)) <= 2 * frame, (loud[-1], onset + source.size)
    assert stamps[0] - start < 1.9 * S and stamps[-1] - start > 7.9 * S

    result = runner.invoke(
        cli.app, ["export", str(copy), "--with", "world-video", "--start-s", "2.5",
                  "--end-s", "2.7", "--no-audio"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert decode_audio(copy / "exports" / "001" / "world.mp4")[0] == 0


@fixtures.needs_recordings
def test_eye_overlay_in_the_corner(tmp_path: Path):
    """--eye-overlay on neon23_multipart at 21.0 .. 21.5 s (lost scene ps2: gray frames, eye
    ps1 recorded): the sensor-module frame closest in time (both eyes, unflipped) fills the
    Core overlay's place, 0.6 × 384×192 px at 10 px from the top-left corner; the rest of the
    frame is what the export without it shows. Frames without an eye frame within 1/30 s
    show none."""
    cv2 = pytest.importorskip("cv2")
    copy = tmp_path / "neon23_multipart"
    shutil.copytree(fixtures.recording("neon23_multipart"), copy)
    window = ["--start-s", "21.0", "--end-s", "21.5", "--no-gaze-circle", "--no-audio"]
    for extra in ([], ["--eye-overlay"]):
        result = runner.invoke(cli.app, ["export", str(copy), "--with", "world-video", *window,
                                         *extra])  # fmt: skip
        assert result.exit_code == 0, result.output
    plain = decode(copy / "exports" / "000" / "world.mp4")
    with_eyes = decode(copy / "exports" / "001" / "world.mp4")
    stamps = csv_stamps(copy / "exports" / "001" / "world_timestamps.csv")
    assert len(plain) == len(with_eyes) == stamps.size > 10
    x0, y0, w, h = 10, 10, round(384 * 0.6), round(192 * 0.6)
    eye_ns = np.fromfile(copy / f"{EYE} ps1.time", dtype="<i8")
    eye_frames = decode(copy / f"{EYE} ps1.mp4")
    # Neon Player's rule: only an eye frame within 1/30 s is shown (the eye video pauses at
    # 21.01 .. 21.25 s).
    shown = np.array([np.abs(eye_ns - t).min() <= S // 30 for t in stamps])
    assert shown.any() and not shown.all()
    for k, (a, b) in enumerate(zip(plain, with_eyes, strict=True)):
        diff = np.abs(a.astype(int) - b.astype(int))
        if shown[k]:
            assert diff[y0 : y0 + h, x0 : x0 + w].mean() > 20, k
        else:
            assert diff.max() <= 6, k
        rest = diff.copy()
        rest[: y0 + h + 4, : x0 + w + 4] = 0  # H.264 blocks may bleed a few pixels
        assert rest.max() <= 6, (k, rest.max())
    k = int(np.flatnonzero(shown)[0])
    closest = eye_frames[int(np.argmin(np.abs(eye_ns - stamps[k])))]
    small = cv2.resize(closest, (w, h), interpolation=cv2.INTER_AREA).astype(float)
    corner = with_eyes[k][y0 : y0 + h, x0 : x0 + w].astype(float)
    assert np.corrcoef(small.ravel(), corner.ravel())[0, 1] > 0.9


@pytest.mark.filterwarnings("ignore::gazeport.errors.GazeportWarning")
def test_world_video_alone_writes_its_frame_times(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gazeport import cli
    from tests.neon_factories import write_neon

    truth = write_neon(tmp_path / "rec")  # no MP4s: every frame is gray
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli.app,
        ["export", str(truth.root), "--only", "world-video", "--start-s", "0.5", "--end-s", "1",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert "world.mp4" in names and "world_timestamps.csv" in names and "gaze.csv" not in names
    rows = (out / "world_timestamps.csv").read_bytes().split(b"\r\n")
    assert rows[0] == b"recording id,timestamp [ns]" and len(rows) > 2
