"""Every advertised option of the video exporters, rendered through ``gazeport export``.

One synthetic Capture recording (:mod:`gazeport.synthetic`: fixations, a blink, both eyes) gets
numbered world and eye videos and Capture-like audio. Each option is exported through the CLI and
compared with a plain export: the video must decode frame for frame, and it must differ from the
plain one where the overlay belongs (gaze points, polyline, cross arms, fixation ring, eye
pictures, pupil ellipses) and not elsewhere. Where things belong comes from the CLI's own CSV
export (``gaze_positions.csv``, ``fixations.csv``) and the recording's files, drawn again here
with plain NumPy geometry. :func:`test_every_advertised_video_option_is_rendered` fails when a
new video option appears in ``--help`` without a case here.
"""

from __future__ import annotations

import csv
import itertools
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from gazeport import cli
from gazeport.synthetic import generate_capture_recording
from tests import fixtures
from tests.video.test_writer import make_audio, tone
from tests.video_factories import frame_number, write_video

WORLD = (320, 240)  #: world frame (width, height): room for both eye pictures and the cross
EYE = (192, 192)  #: eye frames as Capture records them (the synthetic ellipses fit them)
NO_GAZE = ("--no-gaze-circle", "--no-gaze-polyline")
runner = CliRunner()


def decode(path: Path) -> tuple[list[np.ndarray], list[int], str, int]:
    """All frames (BGR), their pts, the video codec and the number of audio streams."""
    with av.open(str(path)) as container:
        codec = container.streams.video[0].codec_context.name
        n_audio = len(container.streams.audio)
        images, pts = [], []
        for frame in container.decode(video=0):
            images.append(frame.to_ndarray(format="bgr24"))
            pts.append(int(frame.pts))
    return images, pts, codec, n_audio


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass
class Export:
    folder: Path

    def video(self, name: str = "world") -> tuple[list[np.ndarray], str, int]:
        """Frames, codec and audio stream count of ``<name>.mp4``, checked to be playable."""
        images, pts, codec, n_audio = decode(self.folder / f"{name}.mp4")
        ts = np.load(self.folder / f"{name}_timestamps.npy")
        assert len(images) == ts.shape[0] > 0, name
        assert pts == sorted(set(pts)), f"{name}: pts not increasing"
        return images, codec, n_audio


class Scene:
    """The recording, its plain exports, and where each overlay must appear."""

    def __init__(self, root: Path) -> None:
        self.rec = generate_capture_recording(root / "rec", minutes=0.03, seed=4)
        self.world_ts = np.load(self.rec / "world_timestamps.npy")
        write_video(self.rec / "world.mp4", len(self.world_ts), size=WORLD)
        self.eye_ts = {}
        for eye in (0, 1):
            self.eye_ts[eye] = np.load(self.rec / f"eye{eye}_timestamps.npy")
            write_video(self.rec / f"eye{eye}.mp4", len(self.eye_ts[eye]), size=EYE)
        span = float(self.world_ts[-1] - self.world_ts[0]) + 0.5
        audio_ts = make_audio(self.rec / "audio.mp4", tone(span, [(0, span)]), self.world_ts[0])
        np.save(self.rec / "audio_timestamps.npy", audio_ts)
        self._runs = itertools.count()
        data = self.export("--only", "raw,fixations,blinks")
        gaze = read_csv(data.folder / "gaze_positions.csv")
        self.gaze_t = np.array([float(r["gaze_timestamp"]) for r in gaze])
        self.gaze_conf = np.array([float(r["confidence"]) for r in gaze])
        self.gaze_norm = np.array([[float(r["norm_pos_x"]), float(r["norm_pos_y"])] for r in gaze])
        self.fixations = read_csv(data.folder / "fixations.csv")
        self.blinks = read_csv(data.folder / "blinks.csv")
        self.pupil = read_csv(data.folder / "pupil_positions.csv")
        self.plain, _, _ = self.export("--only", "world-video", "--no-audio", *NO_GAZE).video()

    def export(self, *args: str) -> Export:
        out = self.rec.parent / f"out{next(self._runs):02d}"
        result = runner.invoke(
            cli.app, ["export", str(self.rec), "--out", str(out), "--quiet", *args]
        )
        assert result.exit_code == 0, (args, result.output)
        return Export(out)

    # --- where overlays belong ------------------------------------------------------------------

    def window(self, k: int, trail_s: float = 0.0) -> np.ndarray:
        """Pixel positions of the drawn gaze of world frame ``k`` (spec 4.2 enclosing window,
        gaze of the range ``[t[0], t[-1])``, confidence >= 0.6); with ``trail_s`` the window
        starts that long before the frame's own time instead."""
        ts = self.world_ts
        lo = -np.inf if k == 0 else (ts[k - 1] + ts[k]) / 2
        hi = np.inf if k == len(ts) - 1 else (ts[k] + ts[k + 1]) / 2
        if trail_s:
            lo = ts[k] - trail_s
        t = self.gaze_t
        keep = (t >= lo) & (t < hi) & (t >= ts[0]) & (t < ts[-1]) & (self.gaze_conf >= 0.6)
        w, h = WORLD
        norm = self.gaze_norm[keep]
        return np.column_stack([norm[:, 0] * w, (1 - norm[:, 1]) * h])


def grid(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w]
    return xs + 0.0, ys + 0.0


def dist_points(pts: np.ndarray, size: tuple[int, int] = WORLD) -> np.ndarray:
    """Distance of every pixel to the nearest of ``pts`` (inf without points)."""
    xs, ys = grid(size)
    d = np.full(xs.shape, np.inf)
    for x, y in pts:
        d = np.minimum(d, np.hypot(xs - x, ys - y))
    return d


def dist_polyline(pts: np.ndarray) -> np.ndarray:
    """Distance of every pixel to the open polyline through ``pts``."""
    xs, ys = grid(WORLD)
    d = np.full(xs.shape, np.inf)
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        u = np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0, 1) if length2 else 0.0
        d = np.minimum(d, np.hypot(xs - (x0 + u * dx), ys - (y0 + u * dy)))
    return d


def dist_cross(pts: np.ndarray, inner: int = 20, outer: int = 100) -> np.ndarray:
    """Distance of every pixel to the four arms (``inner`` to ``outer`` px) of each cross."""
    arms = []
    for x, y in pts:
        for sx, sy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            arms.append([(x + sx * inner, y + sy * inner), (x + sx * outer, y + sy * outer)])
    d = np.full(WORLD[::-1], np.inf)
    for arm in arms:
        d = np.minimum(d, dist_polyline(np.array(arm)))
    return d


def diff(a: np.ndarray, b: np.ndarray, channel: int | None = None) -> np.ndarray:
    """Per-pixel absolute difference (largest over channels, or of one BGR channel)."""
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return d.max(axis=2) if channel is None else d[..., channel]


def assert_drawn(
    d: np.ndarray, inside: np.ndarray, outside: np.ndarray, *, min_in: float, max_out: float = 4.0
) -> None:
    """The change ``d`` is large ``inside`` the overlay and compression noise ``outside`` it."""
    assert inside.sum() >= 3 and outside.sum() > 100
    assert d[inside].mean() > min_in, (d[inside].mean(), min_in)
    assert d[outside].mean() < max_out, (d[outside].mean(), max_out)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    scene = Scene(tmp_path_factory.mktemp("video_options"))
    assert scene.fixations and scene.blinks, "the recording must have fixations and a blink"
    return scene


def gaze_frames(scene: Scene, *, min_points: int = 1) -> list[int]:
    """World frames (every third, to stay quick) with at least ``min_points`` drawn gaze points."""
    frames = [k for k in range(0, len(scene.plain), 3) if len(scene.window(k)) >= min_points]
    assert len(frames) >= 5
    return frames


# --- the cases: one per option -------------------------------------------------------------------


def check_circle(scene: Scene, images: list[np.ndarray], radius: int = 20, *, channel: int = 1):
    """A filled disc of ``radius`` around every gaze point (green by default: BGR channel 1)."""
    for k in gaze_frames(scene):
        d = dist_points(scene.window(k))
        assert_drawn(
            diff(images[k], scene.plain[k], channel), d <= radius - 4, d > radius + 6, min_in=12
        )


def check_polyline(scene: Scene, images: list[np.ndarray], trail_s: float = 0.0) -> None:
    """An opaque line through the gaze points (of the trail, with ``trail_s``)."""
    checked = 0
    for k in range(0, len(scene.plain), 5 if trail_s else 2):
        pts = scene.window(k, trail_s)
        own = dist_polyline(scene.window(k)) if trail_s else np.full(WORLD[::-1], np.inf)
        d = dist_polyline(pts) if len(pts) > 1 else np.full(WORLD[::-1], np.inf)
        inside = (d <= 0.5) & (own > 4)  # with a trail: the part the frame's own gaze lacks
        if inside.sum() < 10:
            continue
        assert_drawn(diff(images[k], scene.plain[k]), inside, d > 6, min_in=40)
        checked += 1
    assert checked >= 3


def check_cross(scene: Scene, images: list[np.ndarray]) -> None:
    for k in gaze_frames(scene):
        d = dist_cross(scene.window(k))
        assert_drawn(diff(images[k], scene.plain[k]), d <= 0.5, d > 5, min_in=20)


def check_fixation_ring(scene: Scene, images: list[np.ndarray]) -> None:
    """A ring of radius 25 around the fixation of every frame well inside one, and its id."""
    w, h = WORLD
    checked = 0
    for fixation in scene.fixations:
        first, last = int(fixation["start_frame_index"]), int(fixation["end_frame_index"])
        x = float(fixation["norm_pos_x"]) * w
        y = (1 - float(fixation["norm_pos_y"])) * h
        d = dist_points(np.array([[x, y]]))
        xs, ys = grid(WORLD)
        text = (xs >= x + 30) & (xs < x + 30 + 14 * len(fixation["id"])) & (ys > y - 16) & (ys < y)
        for k in range(first + 1, last):
            change = diff(images[k], scene.plain[k])
            assert_drawn(change, np.abs(d - 25) <= 1, (d > 32) & (xs < x + 25), min_in=60)
            assert change[text].mean() > 10, f"fixation {fixation['id']}: no id at frame {k}"
            checked += 1
    assert checked >= 5


def check_eye_overlay(scene: Scene, images: list[np.ndarray]) -> None:
    """Both eye pictures (0.6 x 192 px, opacity 0.8) in a row from the top-left corner: eye1
    (mirrored), then eye0 (upside down), each the eye frame closest in time to the world frame."""
    xs, ys = grid(WORLD)
    side = round(EYE[0] * 0.6)
    pictures = (ys >= 12) & (ys < 10 + side - 2)
    pictures &= ((xs >= 12) & (xs < 10 + side - 2)) | ((xs >= 10 + side + 12) & (xs < 318))
    for k in range(0, len(scene.plain), 5):
        assert_drawn(diff(images[k], scene.plain[k]), pictures, ys > 10 + side + 4, min_in=8)
        for eye, x0, flip in ((1, 10, 1), (0, 10 + side + 10, 0)):
            box = (slice(10, 10 + side), slice(x0, x0 + side))
            unblended = (images[k][box].astype(float) - 0.2 * scene.plain[k][box]) / 0.8
            picture = np.flip(np.clip(unblended, 0, 255).astype(np.uint8), axis=flip)
            closest = int(np.argmin(np.abs(scene.eye_ts[eye] - scene.world_ts[k])))
            assert frame_number(picture) == closest, (k, eye)


def check_gaze_color(scene: Scene, images: list[np.ndarray]) -> None:
    """``red``: inside the disc the red channel (BGR 2) rises and the green one (1) does not."""
    for k in gaze_frames(scene):
        inside = dist_points(scene.window(k)) <= 16
        change = images[k].astype(np.int16) - scene.plain[k].astype(np.int16)
        assert change[..., 2][inside].mean() > 12 and change[..., 1][inside].mean() < 2, k
    check_circle(scene, images, channel=2)


def check_gaze_radius(scene: Scene, images: list[np.ndarray]) -> None:
    check_circle(scene, images, radius=40)


def check_trail(scene: Scene, images: list[np.ndarray]) -> None:
    check_polyline(scene, images, trail_s=0.5)


def check_default_overlay(scene: Scene, images: list[np.ndarray]) -> None:
    """Player's default: polyline and circle (the circle is checked off the polyline)."""
    for k in gaze_frames(scene):
        pts = scene.window(k)
        d = dist_points(pts)
        off_line = dist_polyline(pts) > 3 if len(pts) > 1 else True
        assert_drawn(diff(images[k], scene.plain[k], 1), (d <= 16) & off_line, d > 26, min_in=12)


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    check: Callable[[Scene, list[np.ndarray]], None]


WORLD_CASES = {
    "gaze-circle": Case(("--gaze-circle", "--no-gaze-polyline"), check_circle),
    "gaze-polyline": Case(("--no-gaze-circle", "--gaze-polyline"), check_polyline),
    "default-overlay": Case((), check_default_overlay),
    "gaze-cross": Case(("--gaze-cross", *NO_GAZE), check_cross),
    "fixation-ring": Case(("--fixation-ring", *NO_GAZE), check_fixation_ring),
    "eye-overlay": Case(("--eye-overlay", *NO_GAZE), check_eye_overlay),
    "gaze-color": Case(("--gaze-color", "red", "--no-gaze-polyline"), check_gaze_color),
    "gaze-radius": Case(("--gaze-radius", "40", "--no-gaze-polyline"), check_gaze_radius),
    "trail-s": Case(("--trail-s", "0.5", "--no-gaze-circle"), check_trail),
    "codec-mpeg4": Case(("--codec", "mpeg4", "--no-gaze-polyline"), check_circle),
}


@pytest.mark.parametrize("name", list(WORLD_CASES))
def test_world_video_option(scene: Scene, name: str) -> None:
    case = WORLD_CASES[name]
    export = scene.export("--only", "world-video", "--no-audio", *case.args)
    images, codec, n_audio = export.video()
    assert len(images) == len(scene.plain) and n_audio == 0
    assert codec == ("mpeg4" if "mpeg4" in case.args else "h264")
    case.check(scene, images)


def test_audio_and_no_audio(scene: Scene) -> None:
    with_audio, _, n_audio = scene.export("--only", "world-video", "--audio").video()
    assert n_audio == 1 and len(with_audio) == len(scene.plain)
    _, _, n_audio = scene.export("--only", "world-video", "--no-audio").video()
    assert n_audio == 0


def test_crf_sets_the_quality(scene: Scene) -> None:
    sizes = {}
    for crf in ("5", "45"):
        export = scene.export("--only", "world-video", "--no-audio", *NO_GAZE, "--crf", crf)
        images, codec, _ = export.video()
        assert codec == "h264" and len(images) == len(scene.plain)
        error = np.mean([diff(a, b).mean() for a, b in zip(images, scene.plain, strict=True)])
        assert error < (3 if crf == "5" else 25), (crf, error)
        sizes[crf] = (export.folder / "world.mp4").stat().st_size
    assert sizes["45"] < 0.8 * sizes["5"]


def test_eye_video_pupil_overlay(scene: Scene) -> None:
    """Without the overlay the eye frames are the recording's; with it, each eye frame with a
    pupil datum of its timestamp gets the ellipse's centre dot, and nothing is drawn away from
    the ellipse and the eyeball outline (radius 85 around (96, 96) in this recording)."""
    world_range = ("--start-frame", "0", "--end-frame", "20")
    plain = scene.export("--only", "eye-video", *world_range, "--no-pupil-overlay")
    drawn = scene.export("--only", "eye-video", *world_range, "--pupil-overlay")
    for eye in (0, 1):
        without, _, _ = plain.video(f"eye{eye}")
        images, codec, _ = drawn.video(f"eye{eye}")
        assert codec == "h264" and len(images) == len(without) > 20
        eye_ts = np.load(plain.folder / f"eye{eye}_timestamps.npy")
        expected = np.searchsorted(scene.eye_ts[eye], eye_ts)
        assert [frame_number(img) for img in without] == expected.tolist()
        rows = [r for r in scene.pupil if r["eye_id"] == str(eye) and float(r["confidence"]) > 0]
        by_time = {float(r["pupil_timestamp"]): r for r in rows}
        checked = 0
        for k in range(0, len(images), 4):
            row = by_time.get(float(eye_ts[k]))
            if row is None:
                continue
            center = np.array([[float(row["ellipse_center_x"]), float(row["ellipse_center_y"])]])
            d = dist_points(center, EYE)
            reach = max(float(row["ellipse_axis_a"]), float(row["ellipse_axis_b"])) / 2 + 6
            outside = (d > reach) & (dist_points(np.array([[96.0, 96.0]]), EYE) > 92)
            assert_drawn(diff(images[k], without[k]), d <= 3, outside, min_in=60)
            checked += 1
        assert checked >= 5, eye


def test_transcode_options(scene: Scene) -> None:
    """``transcode --crf --no-audio``: plain copies without audio; ``--audio`` keeps it."""
    for name, args in (("quiet", ("--crf", "30", "--no-audio")), ("audio", ("--audio",))):
        out = scene.rec.parent / f"transcoded_{name}"
        result = runner.invoke(cli.app, ["transcode", str(scene.rec), "--out", str(out), *args])
        assert result.exit_code == 0, result.output
        export = Export(out / "transcoded")
        images, codec, n_audio = export.video()
        assert codec == "h264" and n_audio == (name == "audio")
        assert [frame_number(img) for img in images] == list(range(len(scene.world_ts)))
        for eye in (0, 1):
            eye_images, _, _ = export.video(f"eye{eye}")
            assert frame_number(eye_images[0]) is not None


#: Option names each test above passes (both spellings of a flag count as one option).
COVERED = {
    "export": {
        *itertools.chain.from_iterable(c.args for c in WORLD_CASES.values()),
        "--audio", "--no-audio", "--crf", "--pupil-overlay", "--no-pupil-overlay",
    },
    "transcode": {"--crf", "--audio", "--no-audio"},
}  # fmt: skip


def test_every_advertised_video_option_is_rendered() -> None:
    """Every option in the video panel of ``--help`` is exercised by a case of this module."""
    from gazeport.cli.video import _VIDEO

    cli.load_commands(*COVERED)  # gazeport imports a command's module when it runs
    group = typer.main.get_command(cli.app)
    for command_name, covered in COVERED.items():
        command = group.commands[command_name]  # type: ignore[attr-defined]
        video = [p for p in command.params if getattr(p, "rich_help_panel", None) == _VIDEO]
        assert video, command_name
        for param in video:
            names = [*param.opts, *param.secondary_opts]
            assert set(names) & covered, f"{command_name} {names[0]} has no rendering test"


# --- a real recording ---------------------------------------------------------------------------


def test_all_options_on_a_real_core_recording(tmp_path: Path) -> None:
    """core358 (binocular, real gaze and fixations) with generated videos: every overlay at once."""
    src = fixtures.recording("core358_artemisge_003")
    rec = Path(shutil.copytree(src, tmp_path / src.name))
    for root, dirs, files in os.walk(rec):
        for name in dirs + files:
            path = Path(root, name)
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    world = np.load(rec / "world_timestamps.npy")
    write_video(rec / "world.mp4", len(world), size=WORLD)
    for eye in (0, 1):
        write_video(
            rec / f"eye{eye}.mp4", len(np.load(rec / f"eye{eye}_timestamps.npy")), size=(96, 96)
        )
    # a gaze circle smaller than the ring (radius 25), so the ring shows around it
    options = [
        "--start-frame", "100", "--end-frame", "160", "--gaze-cross", "--eye-overlay",
        "--gaze-color", "#ff000080", "--gaze-radius", "12", "--trail-s", "0.5", "--codec", "mpeg4",
    ]  # fmt: skip
    exports = {}
    runs = {
        "ring": ["--only", "world-video,eye-video,fixations", "--fixation-ring"],
        "no-ring": ["--only", "world-video"],
    }
    for name, extra in runs.items():
        out = tmp_path / name
        args = ["export", str(rec), "--out", str(out), "--quiet", *options, *extra]
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 0, result.output
        exports[name] = Export(out)
    images, codec, _ = exports["ring"].video()
    without, _, _ = exports["no-ring"].video()
    assert len(images) == len(without) == 61 and codec == "mpeg4"
    for eye in (0, 1):
        assert exports["ring"].video(f"eye{eye}")[1] == "mpeg4"
    # the ring (radius 25) shows, under the other overlays, on every frame well inside a fixation
    w, h = WORLD
    checked = 0
    for fixation in read_csv(tmp_path / "ring" / "fixations.csv"):
        center = np.array(
            [[float(fixation["norm_pos_x"]) * w, (1 - float(fixation["norm_pos_y"])) * h]]
        )
        d = dist_points(center)
        for k in range(int(fixation["start_frame_index"]) + 1, int(fixation["end_frame_index"])):
            if 100 <= k <= 160:
                change = diff(images[k - 100], without[k - 100])
                assert_drawn(change, np.abs(d - 25) <= 1, d > 90, min_in=40, max_out=6)
                checked += 1
    assert checked >= 10
