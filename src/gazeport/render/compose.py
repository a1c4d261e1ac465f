"""The per-frame compositor of the World Video Exporter: which overlays, in which order.

The exporter hands :func:`render_frame` one BGR world frame and the data of that frame's
enclosing window (``shared/spec/pupil-player-compat.md`` 4.2): gaze ``norm_pos`` and confidence,
the fixations overlapping the window, and the eye frames closest in time. Drawing order follows
Player's plugin order (ascending ``order``, ties in the order plugins were added): eye overlays
and the fixation ring (the base plugin ``order`` 0.5) first, then the visualisers (0.9) in the order of Player's
default set, the polyline under the circle, and the cross (added by the user) last, so gaze
stays on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import numpy.typing as npt

from ..coords import norm_to_pixels
from .draw import (
    _as_bgr,
    _check_bgr,
    draw_fixation,
    draw_gaze_circles,
    draw_gaze_crosses,
    draw_gaze_polyline,
    draw_picture_in_picture,
)
from .styles import (
    CircleStyle,
    CrossStyle,
    EyeOverlayStyle,
    FixationStyle,
    PolylineStyle,
)

__all__ = ["OverlayConfig", "draw_eye_overlays", "eye_overlay_layout", "render_frame"]

_EYE_STYLE = EyeOverlayStyle()
_DISPLAY_ORDER = (1, 0)  # eye1 is the left eye: shown on the left, as in Player


@dataclass(frozen=True)
class OverlayConfig:
    """What :func:`render_frame` draws; ``None`` switches an overlay off.

    The defaults are Player's default plugin set (gaze polyline and circle). Gaze with
    ``confidence >= min_confidence`` is drawn (Player's ``min_data_confidence``, default 0.6,
    inclusive for the visualisers); fixations and eye images are drawn as given.
    """

    circle: CircleStyle | None = field(default_factory=CircleStyle)
    polyline: PolylineStyle | None = field(default_factory=PolylineStyle)
    cross: CrossStyle | None = None
    fixation: FixationStyle | None = None
    eye: EyeOverlayStyle | None = None
    min_confidence: float = 0.6

    def __post_init__(self) -> None:
        kinds = {
            "circle": CircleStyle, "polyline": PolylineStyle, "cross": CrossStyle,
            "fixation": FixationStyle, "eye": EyeOverlayStyle,
        }  # fmt: skip
        for name, kind in kinds.items():
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise ValueError(
                    f"OverlayConfig.{name} must be a {kind.__name__} or None; "
                    f"got {type(value).__name__}."
                )
        c = self.min_confidence
        if not (isinstance(c, Real) and not isinstance(c, bool) and 0.0 <= c <= 1.0):
            raise ValueError(
                f"OverlayConfig.min_confidence must be a number from 0 to 1; got {c!r}."
            )
        object.__setattr__(self, "min_confidence", float(c))


def render_frame(
    img: np.ndarray,
    config: OverlayConfig,
    gaze_norm: npt.ArrayLike,
    gaze_conf: npt.ArrayLike | None = None,
    *,
    fixations: npt.ArrayLike | None = None,
    eye_images: Mapping[int, np.ndarray] | None = None,
    polyline_norm: npt.ArrayLike | None = None,
    polyline_conf: npt.ArrayLike | None = None,
) -> None:
    """Draw the overlays of ``config`` on one BGR world frame, in place.

    * ``gaze_norm``: ``(n, 2)`` gaze ``norm_pos`` (origin bottom-left, unit = frame size),
      mapped to pixels as ``x·W``, ``(1 − y)·H``; ``gaze_conf``: ``(n,)`` confidences, or None
      if the gaze is already filtered. Drawn as circles and crosses, and joined by the polyline.
    * ``fixations``: ``(k, 3)`` rows ``(norm_x, norm_y, id)`` (or one such row), e.g. the
      fixations overlapping the frame's window; drawn if ``config.fixation`` is set.
    * ``eye_images``: eye id → eye frame (BGR or grey ``uint8``), drawn if ``config.eye`` is set.
    * ``polyline_norm``/``polyline_conf``: another set of points for the polyline only (e.g. a
      longer trail of recent gaze); by default the polyline joins the frame's gaze.
    """
    h, w = _check_bgr(img, "img")
    if not isinstance(config, OverlayConfig):
        raise ValueError(f"config must be an OverlayConfig; got {type(config).__name__}.")
    size = (w, h)
    if config.eye is not None and eye_images:
        draw_eye_overlays(img, eye_images, config.eye)
    if config.fixation is not None and fixations is not None:
        rows = np.asarray(fixations, dtype=np.float64)
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
        if rows.ndim != 2 or rows.shape[1] != 3:
            raise ValueError(
                f"fixations must have shape (k, 3): norm_x, norm_y, id; got shape {rows.shape}."
            )
        centers = norm_to_pixels(rows[:, :2], size).tolist()
        for (x, y), fid in zip(centers, rows[:, 2].tolist(), strict=True):
            label = int(fid) if np.isfinite(fid) else None
            draw_fixation(img, (x, y), label, config.fixation)
    gaze = _gaze_px(gaze_norm, gaze_conf, config.min_confidence, size, "gaze")
    if config.polyline is not None:
        trail = (
            gaze
            if polyline_norm is None
            else _gaze_px(polyline_norm, polyline_conf, config.min_confidence, size, "polyline")
        )
        draw_gaze_polyline(img, trail, config.polyline)
    if config.circle is not None:
        draw_gaze_circles(img, gaze, config.circle)
    if config.cross is not None:
        draw_gaze_crosses(img, gaze, config.cross)


def eye_overlay_layout(
    frame_size: tuple[int, int],
    eye_sizes: Mapping[int, tuple[int, int]],
    style: EyeOverlayStyle = _EYE_STYLE,
) -> dict[int, tuple[int, int, int, int]]:
    """Where each eye image goes: eye id → ``(x, y, width, height)`` in frame pixels.

    ``frame_size`` and ``eye_sizes`` are ``(width, height)``. Only eyes in ``style.eyes`` and in
    ``eye_sizes`` get a place; see :class:`EyeOverlayStyle` for the arrangement. Places may
    reach outside a small frame; drawing clips them.
    """
    fw, fh = frame_size
    sizes: dict[int, tuple[int, int]] = {}
    for eye in _DISPLAY_ORDER:
        if eye not in style.eyes or eye not in eye_sizes:
            continue
        ew, eh = eye_sizes[eye]
        if style.width is not None:
            sizes[eye] = (style.width, max(1, round(style.width * eh / ew)))
        else:
            sizes[eye] = (max(1, round(ew * style.scale)), max(1, round(eh * style.scale)))
    if not sizes:
        return {}
    row_w = sum(s[0] for s in sizes.values()) + style.gap * (len(sizes) - 1)
    row_h = max(s[1] for s in sizes.values())
    x = style.margin if style.corner.endswith("left") else fw - style.margin - row_w
    top = style.corner.startswith("top")
    y_row = style.margin if top else fh - style.margin - row_h
    places: dict[int, tuple[int, int, int, int]] = {}
    for eye, (ew, eh) in sizes.items():
        # In a bottom corner images sit on the margin line, in a top corner they hang from it.
        places[eye] = (x, y_row if top else y_row + row_h - eh, ew, eh)
        x += ew + style.gap
    return places


def draw_eye_overlays(
    img: np.ndarray,
    eye_images: Mapping[int, np.ndarray],
    style: EyeOverlayStyle = _EYE_STYLE,
) -> dict[int, tuple[int, int, int, int]]:
    """Draw the eye frames ``eye_images`` (eye id → ``uint8`` BGR or grey image) on ``img``
    picture-in-picture; returns eye id → changed rectangle ``(x0, y0, x1, y1)``."""
    h, w = _check_bgr(img, "img")
    pictures = {eye: _as_bgr(pic) for eye, pic in eye_images.items() if eye in style.eyes}
    sizes = {eye: (pic.shape[1], pic.shape[0]) for eye, pic in pictures.items()}
    drawn: dict[int, tuple[int, int, int, int]] = {}
    for eye, (x, y, ew, eh) in eye_overlay_layout((w, h), sizes, style).items():
        rect = draw_picture_in_picture(
            img, pictures[eye], (x, y), size_px=(ew, eh), alpha=style.alpha,
            hflip=eye in style.hflip_eyes, vflip=eye in style.vflip_eyes,
        )  # fmt: skip
        if rect is not None:
            drawn[eye] = rect
    return drawn


def _gaze_px(
    norm: npt.ArrayLike,
    conf: npt.ArrayLike | None,
    min_confidence: float,
    size: tuple[int, int],
    name: str,
) -> np.ndarray:
    """``(m, 2)`` pixel positions of the points with ``conf >= min_confidence``."""
    pts = np.asarray(norm, dtype=np.float64)
    if pts.size == 0:
        return np.empty((0, 2))
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"{name} positions must have shape (n, 2); got shape {pts.shape}.")
    if conf is not None:
        c = np.asarray(conf, dtype=np.float64)
        if c.shape != (pts.shape[0],):
            raise ValueError(
                f"{name} confidences must have shape ({pts.shape[0]},), one per position; "
                f"got shape {c.shape}."
            )
        with np.errstate(invalid="ignore"):
            pts = pts[c >= min_confidence]  # NaN confidence compares False: not drawn
    return norm_to_pixels(pts, size)
