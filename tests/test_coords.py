"""Normalized (origin bottom-left) <-> pixel (origin top-left) conversions of :mod:`gazeport.coords`."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazeport.coords import norm_to_pixels, pixels_to_norm

FAST = settings(max_examples=60, deadline=None)
SIZE = (1280, 720)  # (width, height)


@pytest.mark.parametrize(
    ("norm", "pixels"),
    [
        pytest.param((0.0, 0.0), (0.0, 720.0), id="bottom-left"),
        pytest.param((0.0, 1.0), (0.0, 0.0), id="top-left"),
        pytest.param((1.0, 0.0), (1280.0, 720.0), id="bottom-right"),
        pytest.param((1.0, 1.0), (1280.0, 0.0), id="top-right"),
        pytest.param((0.5, 0.5), (640.0, 360.0), id="centre"),
        pytest.param((0.25, 0.75), (320.0, 180.0), id="upper-left-quadrant"),
        pytest.param((-0.5, 1.5), (-640.0, -360.0), id="outside-image-not-clipped"),
    ],
)
def test_origin_conventions(norm: tuple[float, float], pixels: tuple[float, float]) -> None:
    assert norm_to_pixels(norm, SIZE).tolist() == list(pixels)
    assert pixels_to_norm(pixels, SIZE).tolist() == list(norm)


def test_width_and_height_are_not_swapped() -> None:
    assert norm_to_pixels((1.0, 0.0), (200, 100)).tolist() == [200.0, 100.0]
    assert pixels_to_norm((200.0, 0.0), (200, 100)).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("shape", [(2,), (5, 2), (3, 4, 2)], ids=["point", "rows", "grid"])
def test_shapes_are_kept_and_inputs_untouched(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    norm = rng.random(shape)
    keep = norm.copy()
    px = norm_to_pixels(norm, SIZE)
    assert px.shape == shape
    assert px.dtype == np.float64
    assert np.array_equal(norm, keep)
    flat = norm.reshape(-1, 2)
    expected = [[x * 1280, (1.0 - y) * 720] for x, y in flat.tolist()]
    assert px.reshape(-1, 2).tolist() == expected
    back = pixels_to_norm(px, SIZE)
    assert back.shape == shape
    assert np.array_equal(px, norm_to_pixels(norm, SIZE))


def test_integer_input_gives_float_output() -> None:
    px = pixels_to_norm(np.array([[640, 360], [0, 720]]), SIZE)
    assert px.dtype == np.float64
    assert px.tolist() == [[0.5, 0.5], [0.0, 0.0]]


# Multiples of 1/256 and power-of-two frame sizes: every product and difference is exact.
dyadic = st.integers(min_value=-512, max_value=768).map(lambda k: k / 256)
pow2 = st.sampled_from([64, 128, 256, 512, 1024, 2048])


@FAST
@given(x=dyadic, y=dyadic, w=pow2, h=pow2)
def test_round_trip_is_exact_for_exact_values(x: float, y: float, w: int, h: int) -> None:
    px = norm_to_pixels((x, y), (w, h))
    assert px.tolist() == [x * w, (1.0 - y) * h]
    assert pixels_to_norm(px, (w, h)).tolist() == [x, y]


unit = st.floats(min_value=-2.0, max_value=3.0, allow_nan=False)
sizes = st.tuples(st.integers(1, 4096), st.integers(1, 4096))


@FAST
@given(points=st.lists(st.tuples(unit, unit), min_size=1, max_size=20), size=sizes)
def test_round_trip_any_frame_size(
    points: list[tuple[float, float]], size: tuple[int, int]
) -> None:
    norm = np.array(points)
    back = pixels_to_norm(norm_to_pixels(norm, size), size)
    np.testing.assert_allclose(back, norm, rtol=0, atol=1e-12)
    px = norm * size  # pixels through the other direction
    px[:, 1] = size[1] - px[:, 1]
    np.testing.assert_allclose(norm_to_pixels(pixels_to_norm(px, size), size), px, atol=1e-9)


def test_nan_passes_through() -> None:
    px = norm_to_pixels((np.nan, 0.5), SIZE)
    assert np.isnan(px[0])
    assert px[1] == 360.0
