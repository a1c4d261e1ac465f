"""Drawing primitives: gaze circle, cross and polyline, fixation ring, picture-in-picture, pupil.

Every function draws in place on a BGR frame (``uint8`` array of shape ``(height, width, 3)``)
with anti-aliased OpenCV calls at 1/16-pixel precision, and reports what it drew (a count, a
flag or a rectangle). Positions are image pixels, origin top-left, ``x`` right, ``y`` down (pixel ``i``'s
centre is at ``i``). Points that are NaN/infinite, or whose shape lies wholly outside the
frame, are skipped silently; a shape partly outside the frame is clipped (Player's
``transparent_circle`` instead ends up opaque at the top/left edges and clipped at the
bottom/right ones).

Transparency (``alpha < 1``) is applied inside the shape's bounding box only: that box is copied,
the shape drawn opaque, and the copy blended back as ``alpha·drawn + (1 − alpha)·before`` — the
result Player's ``transparent_circle`` gives, without touching the rest of the frame. Every
shape honours its alpha; Player's polyline and cross ignore it on BGR frames (their defaults are
opaque, so the defaults look alike).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._lazy import LazyModule

if TYPE_CHECKING:
    import cv2
else:  # imported on first use: it loads slowly and only writing needs it
    cv2 = LazyModule("cv2")
import numpy as np
import numpy.typing as npt

from .styles import (
    PUPIL_2D_STYLE,
    CircleStyle,
    CrossStyle,
    FixationStyle,
    PolylineStyle,
    PupilStyle,
    bgr255,
)

__all__ = [
    "draw_fixation",
    "draw_gaze_circles",
    "draw_gaze_crosses",
    "draw_gaze_polyline",
    "draw_picture_in_picture",
    "draw_pupil_ellipse",
]

_SHIFT = 4  # OpenCV fixed-point fraction bits: positions to 1/16 px, so AA edges do not jump
_ONE = 1 << _SHIFT
_AA_PAD = 2  # anti-aliasing spills about one pixel beyond a shape's nominal outline
_FAR_PX = 1 << 20  # larger ellipse axes are garbage and would overflow OpenCV's fixed point

# Shared default styles (frozen, so one instance can serve every call).
_CIRCLE, _CROSS, _POLYLINE, _FIXATION = (
    CircleStyle(),
    CrossStyle(),
    PolylineStyle(),
    FixationStyle(),
)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels, may reach outside the frame
_Draw = Callable[[np.ndarray, int, int], None]  # draw(roi, roi_x0, roi_y0)


def draw_gaze_circles(
    img: np.ndarray, points_px: npt.ArrayLike, style: CircleStyle = _CIRCLE
) -> int:
    """Draw one circle per point of ``points_px`` (``(n, 2)`` pixels); returns how many showed."""
    _check_bgr(img, "img")
    color, alpha = bgr255(style.color), style.color[3]
    thickness = -1 if style.fill else style.thickness
    drawn = 0
    for x, y in _points(points_px, "points_px").tolist():
        drawn += _circle(img, x, y, style.radius, color, thickness, alpha)
    return drawn


def draw_gaze_crosses(img: np.ndarray, points_px: npt.ArrayLike, style: CrossStyle = _CROSS) -> int:
    """Draw one cross per point of ``points_px`` (``(n, 2)`` pixels); returns how many showed."""
    _check_bgr(img, "img")
    color, alpha = bgr255(style.color), style.color[3]
    i, o = style.inner, style.outer
    reach = o + style.thickness / 2
    drawn = 0
    for x, y in _points(points_px, "points_px").tolist():
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        arms = np.array(
            [[(x - i, y), (x - o, y)], [(x + i, y), (x + o, y)],
             [(x, y - i), (x, y - o)], [(x, y + i), (x, y + o)]]
        )  # fmt: skip

        def draw(roi: np.ndarray, ox: int, oy: int, arms: np.ndarray = arms) -> None:
            lines = list(_fixed(arms - (ox, oy)))
            cv2.polylines(roi, lines, False, color, style.thickness, cv2.LINE_AA, _SHIFT)

        drawn += _draw_blended(img, (x - reach, y - reach, x + reach, y + reach), alpha, draw)
    return drawn


def draw_gaze_polyline(
    img: np.ndarray, points_px: npt.ArrayLike, style: PolylineStyle = _POLYLINE
) -> bool:
    """Draw one open line through ``points_px`` (``(n, 2)`` pixels, in time order).

    Non-finite points and points more than one frame size (``max(W, H)``) outside the frame
    are left out and the line joins the remaining ones; a single point draws a dot.
    """
    h, w = _check_bgr(img, "img")
    pts = _points(points_px, "points_px")
    m = float(max(w, h))
    with np.errstate(invalid="ignore"):
        keep = (
            (pts[:, 0] >= -m) & (pts[:, 0] <= w + m) & (pts[:, 1] >= -m) & (pts[:, 1] <= h + m)
        )  # NaN compares False, so this also drops non-finite points
    pts = pts[keep]
    if len(pts) == 0:
        return False
    half = style.thickness / 2
    lo, hi = pts.min(axis=0) - half, pts.max(axis=0) + half
    color = bgr255(style.color)

    def draw(roi: np.ndarray, ox: int, oy: int) -> None:
        line = _fixed(pts - (ox, oy))
        cv2.polylines(roi, [line], False, color, style.thickness, cv2.LINE_AA, _SHIFT)

    return _draw_blended(img, (lo[0], lo[1], hi[0], hi[1]), style.color[3], draw)


def draw_fixation(
    img: np.ndarray,
    point_px: npt.ArrayLike,
    fixation_id: int | str | None = None,
    style: FixationStyle = _FIXATION,
) -> bool:
    """Draw the fixation ring at ``point_px`` (``(x, y)`` pixels) and, if ``style.show_id`` and
    ``fixation_id`` is given, its id as text beside it. Returns whether anything showed."""
    _check_bgr(img, "img")
    p = _points(point_px, "point_px")
    if p.shape[0] != 1:
        raise ValueError(f"point_px must be one (x, y) pair; got shape {p.shape}.")
    x, y = float(p[0, 0]), float(p[0, 1])
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    thickness = -1 if style.fill else style.thickness
    drawn = _circle(img, x, y, style.radius, bgr255(style.color), thickness, style.color[3])
    if style.show_id and fixation_id is not None:
        text = str(fixation_id)
        # Player places the text from the centre truncated to whole pixels.
        tx, ty = int(x) + style.text_offset[0], int(y) + style.text_offset[1]
        (tw, th), baseline = cv2.getTextSize(
            text, cv2.FONT_HERSHEY_DUPLEX, style.text_scale, style.text_thickness
        )
        pad = style.text_thickness
        box = (tx - pad, ty - th - pad, tx + tw + pad, ty + baseline + pad)
        color = bgr255(style.text_color)

        def draw(roi: np.ndarray, ox: int, oy: int) -> None:
            cv2.putText(
                roi, text, (tx - ox, ty - oy), cv2.FONT_HERSHEY_DUPLEX, style.text_scale, color,
                style.text_thickness, cv2.LINE_AA,
            )  # fmt: skip

        drawn = _draw_blended(img, box, style.text_color[3], draw) or drawn
    return drawn


def draw_picture_in_picture(
    img: np.ndarray,
    picture: np.ndarray,
    origin_px: tuple[int, int],
    *,
    size_px: tuple[int, int] | None = None,
    alpha: float = 1.0,
    hflip: bool = False,
    vflip: bool = False,
) -> tuple[int, int, int, int] | None:
    """Paste ``picture`` (e.g. an eye frame) into ``img`` with its top-left corner at
    ``origin_px``.

    ``picture`` is ``uint8`` BGR ``(h, w, 3)`` or grey ``(h, w)``; it is resized to ``size_px``
    ``(width, height)`` (area averaging when shrinking to half or less, else bilinear),
    mirrored (``hflip``) and/or turned upside down (``vflip``), and blended with opacity
    ``alpha``. The part outside ``img`` is clipped. Returns the changed rectangle
    ``(x0, y0, x1, y1)`` (exclusive end) or None if nothing of it is inside the frame.
    """
    h, w = _check_bgr(img, "img")
    pic = _as_bgr(picture)
    ph, pw = pic.shape[:2]
    tw, th = (pw, ph) if size_px is None else size_px
    if not all(isinstance(v, int | np.integer) and v >= 1 for v in (tw, th)):
        raise ValueError(
            f"size_px must be two whole numbers >= 1 (width, height); got {size_px!r}."
        )
    if not (isinstance(alpha, int | float) and 0.0 <= alpha <= 1.0):
        raise ValueError(f"alpha must be a number from 0 to 1; got {alpha!r}.")
    x, y = (int(v) for v in origin_px)
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + tw, w), min(y + th, h)
    if x0 >= x1 or y0 >= y1 or alpha == 0.0:
        return None
    if (tw, th) != (pw, ph):
        pic = _resize(pic, tw, th)
    if hflip or vflip:
        pic = cv2.flip(pic, -1 if (hflip and vflip) else 1 if hflip else 0)
    src = pic[y0 - y : y1 - y, x0 - x : x1 - x]
    dst = img[y0:y1, x0:x1]
    if alpha >= 1.0:
        dst[...] = src
    else:
        cv2.addWeighted(src, alpha, dst, 1.0 - alpha, 0.0, dst=dst)
    return (x0, y0, x1, y1)


def draw_pupil_ellipse(
    eye_img: np.ndarray,
    center_px: tuple[float, float],
    axes_px: tuple[float, float],
    angle_deg: float,
    style: PupilStyle = PUPIL_2D_STYLE,
) -> bool:
    """Draw a pupil (or eyeball) ellipse on a BGR eye frame, in place.

    ``center_px``, ``axes_px`` and ``angle_deg`` are a pupil datum's ``ellipse`` fields:
    eye-image pixels, the *full* axis lengths (as ``cv2.fitEllipse`` returns them, not the
    half-axes ``cv2.ellipse`` takes) and the rotation in degrees. Returns False (nothing drawn)
    for non-finite values or axes that are not positive. Player draws a 10-point polygon; this
    draws the true ellipse, anti-aliased.
    """
    _check_bgr(eye_img, "eye_img")
    try:
        cx, cy = (float(v) for v in center_px)
        a, b = (float(v) for v in axes_px)
        angle = float(angle_deg)
    except (TypeError, ValueError):
        raise ValueError(
            f"A pupil ellipse needs center (x, y), axes (a, b) and an angle as numbers; got "
            f"{center_px!r}, {axes_px!r}, {angle_deg!r}."
        ) from None
    if not all(math.isfinite(v) for v in (cx, cy, a, b, angle)):
        return False
    if not (0.0 < a <= _FAR_PX and 0.0 < b <= _FAR_PX):
        return False
    reach = max(max(a, b) / 2 + style.thickness / 2, style.center_radius)
    color = bgr255(style.color)

    def draw(roi: np.ndarray, ox: int, oy: int) -> None:
        c = (_fx(cx - ox), _fx(cy - oy))
        cv2.ellipse(
            roi, c, (_fx(a / 2), _fx(b / 2)), angle, 0.0, 360.0, color, style.thickness,
            cv2.LINE_AA, _SHIFT,
        )  # fmt: skip
        if style.center_radius > 0:
            cv2.circle(roi, c, style.center_radius * _ONE, color, -1, cv2.LINE_AA, _SHIFT)

    box = (cx - reach, cy - reach, cx + reach, cy + reach)
    return _draw_blended(eye_img, box, style.color[3], draw)


# --- internals -----------------------------------------------------------------------------------


def _circle(
    img: np.ndarray,
    x: float,
    y: float,
    radius: int,
    color: tuple[float, float, float],
    thickness: int,
    alpha: float,
) -> bool:
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    reach = radius + (thickness / 2 if thickness > 0 else 0)

    def draw(roi: np.ndarray, ox: int, oy: int) -> None:
        center = (_fx(x - ox), _fx(y - oy))
        cv2.circle(roi, center, radius * _ONE, color, thickness, cv2.LINE_AA, _SHIFT)

    return _draw_blended(img, (x - reach, y - reach, x + reach, y + reach), alpha, draw)


def _draw_blended(img: np.ndarray, box: Box, alpha: float, draw: _Draw) -> bool:
    """Run ``draw`` on the part of ``img`` under ``box`` and blend it in with ``alpha``.

    ``box`` must be finite. Only that region (plus the anti-aliasing pad) is copied, so a
    translucent gaze circle costs a few kB of memory traffic, not a frame.
    """
    h, w = img.shape[:2]
    x0 = max(math.floor(box[0]) - _AA_PAD, 0)
    y0 = max(math.floor(box[1]) - _AA_PAD, 0)
    x1 = min(math.ceil(box[2]) + _AA_PAD + 1, w)
    y1 = min(math.ceil(box[3]) + _AA_PAD + 1, h)
    if x0 >= x1 or y0 >= y1 or alpha <= 0.0:
        return False
    roi = img[y0:y1, x0:x1]
    if alpha >= 1.0:
        draw(roi, x0, y0)
        return True
    before = roi.copy()
    draw(roi, x0, y0)
    cv2.addWeighted(roi, alpha, before, 1.0 - alpha, 0.0, dst=roi)
    return True


def _resize(pic: np.ndarray, tw: int, th: int) -> np.ndarray:
    """Resize to ``tw`` x ``th`` pixels without aliasing, fast.

    Bilinear sampling is fine down to half size; below that it skips source pixels, so the
    picture is first averaged over whole k x k blocks (``INTER_AREA``, which OpenCV does fast only
    for an integer ratio: hence the crop of up to k - 1 edge pixels) and then resized bilinearly.
    """
    ph, pw = pic.shape[:2]
    k = int(min(pw / tw, ph / th))
    if k >= 2:
        block = pic[: ph - ph % k, : pw - pw % k]
        pic = cv2.resize(block, (pw // k, ph // k), interpolation=cv2.INTER_AREA)
        if pic.shape[:2] == (th, tw):
            return pic
    return cv2.resize(pic, (tw, th), interpolation=cv2.INTER_LINEAR)


def _fx(v: float) -> int:
    return round(v * _ONE)


def _fixed(pts: np.ndarray) -> np.ndarray:
    return np.rint(pts * _ONE).astype(np.int32)


def _points(points: npt.ArrayLike, name: str) -> np.ndarray:
    try:
        p = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers of shape (n, 2) (x, y pixels).") from None
    if p.ndim == 1 and p.size == 2:
        p = p.reshape(1, 2)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2) (x, y pixels); got shape {p.shape}.")
    return p


def _check_bgr(img: object, name: str) -> tuple[int, int]:
    """``(height, width)`` of a drawable BGR frame, else a ``ValueError`` saying what is wrong."""
    if (
        not isinstance(img, np.ndarray)
        or img.dtype != np.uint8
        or img.ndim != 3
        or img.shape[2] != 3
    ):
        got = (
            f"{img.dtype} array of shape {img.shape}"
            if isinstance(img, np.ndarray)
            else type(img).__name__
        )
        raise ValueError(
            f"{name} must be a BGR frame, a uint8 array (height, width, 3); got {got}."
        )
    if not img.flags.writeable:
        raise ValueError(f"{name} is read-only; drawing happens in place, pass a writeable copy.")
    if img.strides[2] != 1 or img.strides[1] != 3 or img.strides[0] < 3 * img.shape[1]:
        # OpenCV cannot draw into flipped or strided views; it would fail, or draw on a copy.
        raise ValueError(f"{name} must have contiguous pixels and rows; pass np.ascontiguousarray.")
    return img.shape[0], img.shape[1]


def _as_bgr(picture: object) -> np.ndarray:
    if isinstance(picture, np.ndarray) and picture.dtype == np.uint8:
        if picture.ndim == 3 and picture.shape[2] == 3:
            return picture
        if picture.ndim == 2 or (picture.ndim == 3 and picture.shape[2] == 1):
            return cv2.cvtColor(
                np.ascontiguousarray(picture.reshape(picture.shape[:2])), cv2.COLOR_GRAY2BGR
            )
    got = (
        f"{picture.dtype} array of shape {picture.shape}"
        if isinstance(picture, np.ndarray)
        else type(picture).__name__
    )
    raise ValueError(f"picture must be a uint8 BGR (h, w, 3) or grey (h, w) image; got {got}.")
