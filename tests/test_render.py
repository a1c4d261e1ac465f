"""Tests of gazeport.render: where overlays land, how they blend, what is skipped.

Expected pixel values come from small oracles written here from the spec
(``shared/spec/pupil-player-compat.md`` 10.2, 10.3): ``x·W, (1 − y)·H`` for positions,
``(1 − a)·background + a·255·(b, g, r)`` for a translucent filled shape, block means for a
half-size picture-in-picture — not from the library's code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gazeport.render import (
    EYE_MODEL_STYLE,
    PUPIL_2D_STYLE,
    CircleStyle,
    CrossStyle,
    EyeOverlayStyle,
    FixationStyle,
    OverlayConfig,
    PolylineStyle,
    PupilStyle,
    bgr255,
    draw_eye_overlays,
    draw_fixation,
    draw_gaze_circles,
    draw_gaze_crosses,
    draw_gaze_polyline,
    draw_picture_in_picture,
    draw_pupil_ellipse,
    eye_overlay_layout,
    parse_color,
    render_frame,
)

BG = 100  # background grey of the test frames
RED = (1.0, 0.0, 0.0, 1.0)
GREEN = (0.0, 1.0, 0.0, 1.0)


def frame(h: int = 60, w: int = 80) -> np.ndarray:
    return np.full((h, w, 3), BG, np.uint8)


def blended(bg: float, rgba: tuple[float, float, float, float]) -> np.ndarray:
    """Oracle: BGR of an opaque-drawn colour blended with opacity ``a`` over ``bg``."""
    r, g, b, a = rgba
    return (1 - a) * bg + a * 255 * np.array([b, g, r])


def changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.any(before != after, axis=2)


def close(px: np.ndarray, expected: object, tol: float = 1.0) -> bool:
    return bool(np.all(np.abs(px.astype(float) - np.asarray(expected, float)) <= tol))


def distance_from(h: int, w: int, x: float, y: float) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.hypot(xx - x, yy - y)


# --- styles and colours --------------------------------------------------------------------------


def test_defaults_are_players() -> None:
    assert CircleStyle() == CircleStyle(20, (0.0, 0.7, 0.25, 0.2), 2, True)
    assert CrossStyle() == CrossStyle(20, 100, (1.0, 0.0, 0.0, 1.0), 1)
    assert PolylineStyle() == PolylineStyle((1.0, 0.0, 0.4, 1.0), 2)
    fix = FixationStyle()
    assert (fix.radius, fix.thickness, fix.text_scale, fix.text_offset) == (25, 3, 0.8, (30, 0))
    # Player hands (0, 1, 1, 1) to a BGR-reading function: yellow ring, BGR text (255, 150, 100).
    assert bgr255(fix.color) == (0.0, 255.0, 255.0)
    assert np.allclose(bgr255(fix.text_color), (255, 150, 100))
    assert np.allclose(bgr255(PUPIL_2D_STYLE.color), (0, 200, 250))  # #FAC800
    config = OverlayConfig()
    assert (config.circle, config.polyline) == (CircleStyle(), PolylineStyle())
    assert (config.cross, config.fixation, config.eye, config.min_confidence) == (
        None, None, None, 0.6,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("make", "words"),
    [
        pytest.param(lambda: CircleStyle(radius=0), "CircleStyle.radius", id="radius-zero"),
        pytest.param(lambda: CircleStyle(radius=2.5), "whole number", id="radius-float"),
        pytest.param(lambda: CircleStyle(color=(1, 0, 0)), "four numbers", id="color-3"),
        pytest.param(lambda: CircleStyle(color=(1.2, 0, 0, 1)), "from 0 to 1", id="color-big"),
        pytest.param(lambda: CircleStyle(color="red"), "CircleStyle.color", id="color-text"),
        pytest.param(lambda: CircleStyle(thickness=True), "thickness", id="thickness-bool"),
        pytest.param(lambda: CircleStyle(fill=1), "True or False", id="fill-int"),
        pytest.param(lambda: CrossStyle(inner=50, outer=20), "greater than", id="cross"),
        pytest.param(lambda: PolylineStyle(thickness=0), "thickness", id="polyline"),
        pytest.param(lambda: FixationStyle(text_scale=0), "text_scale", id="text-scale"),
        pytest.param(lambda: FixationStyle(text_offset=(1,)), "text_offset", id="offset"),
        pytest.param(lambda: EyeOverlayStyle(eyes=(2,)), "eye ids", id="eye-id"),
        pytest.param(lambda: EyeOverlayStyle(corner="middle"), "corner", id="corner"),
        pytest.param(lambda: EyeOverlayStyle(alpha=1.5), "alpha", id="alpha"),
        pytest.param(lambda: EyeOverlayStyle(scale=0), "scale", id="scale"),
        pytest.param(lambda: PupilStyle(center_radius=-1), "center_radius", id="pupil"),
        pytest.param(lambda: OverlayConfig(min_confidence=1.5), "min_confidence", id="conf"),
        pytest.param(lambda: OverlayConfig(circle=CrossStyle()), "CircleStyle", id="wrong-kind"),
    ],
)
def test_style_validation(make: Callable[[], object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        make()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("#00b34033", (0, 179 / 255, 64 / 255, 51 / 255), id="hex8"),
        pytest.param("#00B340", (0, 179 / 255, 64 / 255, 0.5), id="hex6-default-alpha"),
        pytest.param("#0b4", (0, 0xBB / 255, 0x44 / 255, 0.5), id="hex3"),
        pytest.param("#0b48", (0, 0xBB / 255, 0x44 / 255, 0x88 / 255), id="hex4"),
        pytest.param("0,179,64,0.2", (0, 179 / 255, 64 / 255, 0.2), id="ints-alpha"),
        pytest.param("0, 179, 64", (0, 179 / 255, 64 / 255, 0.5), id="ints"),
        pytest.param("0.0,0.7,0.25,0.2", (0.0, 0.7, 0.25, 0.2), id="floats"),
        pytest.param("1.0,0,0", (1.0, 0.0, 0.0, 0.5), id="floats-decimal-decides"),
        pytest.param("rgba(0, 179, 64, 0.2)", (0, 179 / 255, 64 / 255, 0.2), id="css-rgba"),
        pytest.param(" Red ", (1.0, 0.0, 0.0, 0.5), id="name"),
        pytest.param("red@0.25", (1.0, 0.0, 0.0, 0.25), id="name-at-alpha"),
        pytest.param("#00ff00@1", (0.0, 1.0, 0.0, 1.0), id="hex-at-alpha"),
    ],
)
def test_parse_color(text: str, expected: tuple[float, ...]) -> None:
    assert parse_color(text, default_alpha=0.5) == pytest.approx(expected)


def test_parse_color_default_alpha_is_opaque() -> None:
    assert parse_color("blue") == (0.0, 0.0, 1.0, 1.0)


@pytest.mark.parametrize(
    "text",
    ["", "banana", "#12345", "#ggg", "300,0,0", "0.5,128,0", "1,2", "0,0,0,2", "red@2",
     "#ff0000ff@0.5", "0,0,0,0,0", "-1,0,0"],
)  # fmt: skip
def test_parse_color_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="colour"):
        parse_color(text)


# --- gaze circle ---------------------------------------------------------------------------------


def test_filled_circle_blends_at_its_centre_and_touches_nothing_far_away() -> None:
    img = frame()
    before = img.copy()
    assert draw_gaze_circles(img, [(40.0, 30.0)]) == 1
    assert close(img[30, 40], blended(BG, CircleStyle().color))
    far = distance_from(60, 80, 40, 30) > 20 + 3
    assert not changed(before, img)[far].any()
    assert changed(before, img)[distance_from(60, 80, 40, 30) < 19].all()


def test_ring_leaves_its_middle_alone() -> None:
    img = frame()
    before = img.copy()
    draw_gaze_circles(img, [(40, 30)], CircleStyle(radius=15, color=RED, thickness=3, fill=False))
    assert (img[30, 40] == BG).all()
    assert close(img[30, 55], (0, 0, 255))  # on the ring, opaque red in BGR
    assert not changed(before, img)[distance_from(60, 80, 40, 30) > 15 + 1.5 + 2].any()


@pytest.mark.parametrize(
    "point",
    [
        pytest.param((np.nan, 5.0), id="nan"),
        pytest.param((np.inf, 5.0), id="inf"),
        pytest.param((1e12, -1e12), id="astronomic"),
        pytest.param((-500.0, 30.0), id="far-left"),
        pytest.param((40.0, 200.0), id="far-below"),
    ],
)
def test_points_outside_or_invalid_are_skipped(point: tuple[float, float]) -> None:
    img = frame()
    before = img.copy()
    assert draw_gaze_circles(img, [point]) == 0
    assert draw_gaze_crosses(img, [point]) == 0
    assert draw_gaze_polyline(img, [point]) is False
    assert draw_fixation(img, point, 3, FixationStyle(show_id=False)) is False
    assert (img == before).all()


def test_circle_partly_outside_is_clipped_the_same_at_every_edge() -> None:
    # Player's transparent_circle ends up opaque at the top/left edges and blended at the
    # bottom/right ones; gazeport clips and blends everywhere.
    style = CircleStyle(radius=10, color=(0.0, 0.0, 1.0, 0.5))
    expected = blended(BG, style.color)
    for x, y in [(0.0, 0.0), (79.0, 59.0), (0.0, 59.0), (79.0, 0.0)]:
        img = frame()
        before = img.copy()
        assert draw_gaze_circles(img, [(x, y)], style) == 1
        assert close(img[int(y), int(x)], expected)
        assert not changed(before, img)[distance_from(60, 80, x, y) > 13].any()


# --- cross, polyline, fixation -------------------------------------------------------------------


def test_cross_arms_leave_the_inner_gap() -> None:
    img = frame(220, 220)
    before = img.copy()
    assert draw_gaze_crosses(img, [(110, 110)], CrossStyle(thickness=2)) == 1
    red = (0, 0, 255)
    for x, y in [(60, 110), (160, 110), (110, 60), (110, 160)]:  # 50 px out on each arm
        assert close(img[y, x], red, 2), (x, y)
    assert (img[110, 100:121] == BG).all()  # inside the 20 px gap
    assert not changed(before, img)[150, 150]


def test_polyline_joins_points_in_order() -> None:
    img = frame()
    before = img.copy()
    style = PolylineStyle(color=RED, thickness=2)
    assert draw_gaze_polyline(img, [(10, 10), (np.nan, np.nan), (70, 10), (70, 50)], style)
    for x, y in [(40, 10), (70, 30), (15, 10)]:
        assert close(img[y, x], (0, 0, 255), 2), (x, y)
    assert not changed(before, img)[30, 40]  # not closed: no edge back from (70, 50) to (10, 10)
    assert not changed(before, img)[50, 10]


def test_translucent_polyline_blends() -> None:
    img = frame()
    style = PolylineStyle(color=(1.0, 0.0, 0.0, 0.4), thickness=3)
    draw_gaze_polyline(img, [(5, 30), (75, 30)], style)
    assert close(img[30, 40], blended(BG, style.color))


def test_fixation_ring_and_id() -> None:
    img = frame(100, 160)
    before = img.copy()
    assert draw_fixation(img, (50.7, 50.2), 17)
    assert close(img[50, 50 + 25], (0, 255, 255), 2)  # on the yellow ring
    assert (img[50, 50] == BG).all()
    text = img[30:56, 80:130]  # right of x + 30, around the baseline y
    blue = np.all(np.abs(text.astype(int) - (255, 150, 100)) <= 3, axis=2)
    assert blue.sum() > 10
    no_id = frame(100, 160)
    draw_fixation(no_id, (50.7, 50.2), 17, FixationStyle(show_id=False))
    assert (no_id[30:56, 80:130] == BG).all()
    assert changed(before, img)[30:56, 80:130].any()


# --- the compositor ------------------------------------------------------------------------------


def only_circle(color: tuple[float, float, float, float] = RED) -> OverlayConfig:
    return OverlayConfig(circle=CircleStyle(radius=3, color=color), polyline=None)


def test_render_frame_flips_y() -> None:
    img = frame(100, 200)
    before = img.copy()
    render_frame(img, only_circle(), [(0.25, 0.75)], [1.0])
    # Oracle: x·W = 50, (1 − y)·H = 25.
    assert close(img[25, 50], (0, 0, 255))
    assert not changed(before, img)[75, 50]
    assert changed(before, img).sum() < 60


def test_render_frame_confidence_threshold_is_inclusive() -> None:
    img = frame(100, 200)
    before = img.copy()
    gaze = [(0.2, 0.5), (0.5, 0.5), (0.8, 0.5)]
    render_frame(img, only_circle(), gaze, [0.59, 0.6, np.nan])
    assert not changed(before, img)[50, 40]
    assert changed(before, img)[50, 100]
    assert not changed(before, img)[50, 160]


def test_render_frame_draws_polyline_under_circle_and_eyes_first() -> None:
    img = frame(100, 200)
    config = OverlayConfig(
        circle=CircleStyle(radius=4, color=GREEN),
        polyline=PolylineStyle(color=RED, thickness=5),
        eye=EyeOverlayStyle(eyes=(0,), scale=1.0, alpha=1.0, vflip_eyes=(), margin=0),
    )
    eye = np.zeros((100, 200), np.uint8)  # covers the whole frame
    render_frame(img, config, [(0.1, 0.5), (0.5, 0.5)], [1.0, 1.0], eye_images={0: eye})
    assert close(img[50, 100], (0, 255, 0))  # circle over line over eye image
    assert close(img[50, 60], (0, 0, 255), 2)  # line over eye image
    assert (img[10, 10] == 0).all()  # eye image elsewhere


def test_render_frame_fixations_and_polyline_points() -> None:
    img = frame(100, 200)
    before = img.copy()
    config = OverlayConfig(circle=None, polyline=PolylineStyle(color=RED), fixation=FixationStyle())
    render_frame(
        img, config, np.empty((0, 2)), np.empty(0),
        fixations=[(0.25, 0.5, 4)],
        polyline_norm=[(0.5, 0.1), (0.9, 0.1)], polyline_conf=[1.0, 1.0],
    )  # fmt: skip
    assert close(img[50, 50 + 25], (0, 255, 255), 2)
    assert close(img[90, 140], (0, 0, 255), 2)
    assert not changed(before, img)[50, 150]
    off = frame(100, 200)
    render_frame(
        off, OverlayConfig(circle=None, polyline=None), [], None, fixations=[(0.25, 0.5, 4)]
    )
    assert (off == BG).all()


def test_render_frame_rejects_bad_input() -> None:
    img = frame()
    with pytest.raises(ValueError, match="BGR frame"):
        render_frame(img.astype(np.float32), OverlayConfig(), [(0.5, 0.5)], [1.0])
    with pytest.raises(ValueError, match="shape"):
        render_frame(img, OverlayConfig(), [(0.5, 0.5, 0.5)], [1.0])
    with pytest.raises(ValueError, match="one per position"):
        render_frame(img, OverlayConfig(), [(0.5, 0.5)], [1.0, 1.0])
    with pytest.raises(ValueError, match="fixations"):
        render_frame(img, OverlayConfig(fixation=FixationStyle()), [], None, fixations=[(1, 2)])
    ro = frame()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        render_frame(ro, OverlayConfig(), [(0.5, 0.5)], [1.0])
    with pytest.raises(ValueError, match="contiguous"):
        render_frame(frame()[::-1], OverlayConfig(), [(0.5, 0.5)], [1.0])


# --- picture-in-picture --------------------------------------------------------------------------


def eye_picture(h: int = 40, w: int = 60) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_eye_overlay_lands_in_the_corner_at_half_size() -> None:
    img = frame(200, 300)
    before = img.copy()
    eye = eye_picture()
    style = EyeOverlayStyle(
        eyes=(0,), scale=0.5, alpha=1.0, corner="bottom-right", margin=5, vflip_eyes=()
    )
    assert draw_eye_overlays(img, {0: eye, 1: eye_picture()}, style) == {0: (265, 175, 295, 195)}
    ys, xs = np.nonzero(changed(before, img))
    assert (xs.min(), ys.min(), xs.max(), ys.max()) == (265, 175, 294, 194)
    # Oracle for an exact half size: the mean of each 2 x 2 block.
    means = eye.reshape(20, 2, 30, 2, 3).astype(float).mean(axis=(1, 3))
    assert close(img[175:195, 265:295], means, 1)


def test_eye_overlay_layout_puts_eye1_left_of_eye0() -> None:
    style = EyeOverlayStyle(width=100, margin=10, gap=4)
    places = eye_overlay_layout((1280, 720), {0: (192, 192), 1: (400, 200)}, style)
    assert places == {1: (10, 10, 100, 50), 0: (114, 10, 100, 100)}
    right = EyeOverlayStyle(scale=0.5, corner="bottom-right", margin=10, gap=0)
    assert eye_overlay_layout((1280, 720), {0: (192, 192), 1: (192, 96)}, right) == {
        1: (1078, 662, 96, 48),
        0: (1174, 614, 96, 96),  # right edge at 1280 - 10
    }
    assert eye_overlay_layout((1280, 720), {}, style) == {}


def test_picture_in_picture_flips_blends_and_clips() -> None:
    eye = np.zeros((20, 30), np.uint8)  # grey input
    eye[:5, :5] = 200  # a mark in the top-left corner
    img = frame(100, 100)
    draw_picture_in_picture(img, eye, (10, 10), hflip=True, vflip=True)
    assert (img[10 + 17, 10 + 27] == 200).all()  # mark now bottom-right
    assert (img[10, 10] == 0).all()
    half = frame(100, 100)
    draw_picture_in_picture(half, eye, (10, 10), alpha=0.25)
    assert close(half[10, 10], 0.25 * 200 + 0.75 * BG)
    clipped = frame(100, 100)
    assert draw_picture_in_picture(clipped, eye, (-2, -3)) == (0, 0, 28, 17)
    assert (clipped[0, 0] == 200).all() and (clipped[2, 3] == 0).all()
    assert draw_picture_in_picture(frame(), eye, (500, 0)) is None


# --- pupil ellipse -------------------------------------------------------------------------------


def test_pupil_ellipse_axes_are_full_lengths() -> None:
    eye = np.zeros((100, 100, 3), np.uint8)
    assert draw_pupil_ellipse(eye, (50.0, 40.0), (40.0, 20.0), 0.0)
    lit = eye.max(axis=2) > 0
    assert lit[40, 69:72].any() and lit[29:32, 50].any()  # outline at half-axes 20 and 10
    assert not lit[40, 88:92].any()  # not at 40 (axes taken as half-axes)
    assert not lit[40, 60] and not lit[45, 62]  # inside: only the centre dot
    assert close(eye[40, 50], (0, 200, 250))  # centre dot, #FAC800 as BGR
    turned = np.zeros((100, 100, 3), np.uint8)
    draw_pupil_ellipse(turned, (50.0, 40.0), (40.0, 20.0), 90.0, EYE_MODEL_STYLE)
    lit = turned.max(axis=2) > 0
    assert lit[59:62, 50].any() and not lit[40, 69:72].any()
    assert not lit[40, 50]  # eye-model style has no centre dot


@pytest.mark.parametrize(
    ("center", "axes", "angle"),
    [((np.nan, 4), (10, 10), 0), ((50, 50), (0, 10), 0), ((50, 50), (10, 10), np.inf)],
)
def test_pupil_ellipse_skips_invalid(
    center: tuple[float, float], axes: tuple[float, float], angle: float
) -> None:
    eye = np.zeros((100, 100, 3), np.uint8)
    assert not draw_pupil_ellipse(eye, center, axes, angle)
    assert not eye.any()


# --- layering ------------------------------------------------------------------------------------


def test_render_imports_no_higher_layer_or_video_library() -> None:
    """DESIGN.md: render takes arrays; it never imports a Recording, exporters, jobs, cli or av."""
    package = Path(__file__).resolve().parents[1] / "src" / "gazeport" / "render"
    allowed = {"__future__", "collections", "dataclasses", "math", "numbers", "re", "typing"}
    allowed |= {"cv2", "numpy", "gazeport.coords", "gazeport.errors", "gazeport._lazy"}
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 1:  # a sibling inside gazeport.render
                    continue
                base = "gazeport" if node.level == 2 else ""
                names = [f"{base}.{node.module}".strip(".") if node.module else base]
            else:
                continue
            for name in names:
                parts = name.split(".")
                key = ".".join(parts[:2]) if parts[0] == "gazeport" else parts[0]
                assert key in allowed, f"{path.name} imports {name}"
