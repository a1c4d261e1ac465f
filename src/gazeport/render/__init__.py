"""Pure drawing of overlays on numpy frames (layer L2): arrays in, pixels changed in place.

Nothing here knows a ``Recording``, a video file or an export: the World Video Exporter gives
:func:`render_frame` a BGR frame and the data of the frame's window, the Eye Video Exporter
calls :func:`draw_pupil_ellipse` on eye frames. Styles carry Pupil Player's defaults
(``shared/spec/pupil-player-compat.md`` 10.2, 10.3); colours are ``(r, g, b, a)`` from 0 to 1,
and :func:`parse_color` reads them from the command line.

* :mod:`.styles` — style dataclasses, :func:`parse_color`;
* :mod:`.draw` — one shape per function (circle, cross, polyline, fixation, picture-in-picture,
  pupil ellipse), drawn anti-aliased inside a small region of interest;
* :mod:`.compose` — :class:`OverlayConfig` and :func:`render_frame`, the per-frame compositor.
"""

from __future__ import annotations

from .compose import OverlayConfig, draw_eye_overlays, eye_overlay_layout, render_frame
from .draw import (
    draw_fixation,
    draw_gaze_circles,
    draw_gaze_crosses,
    draw_gaze_polyline,
    draw_picture_in_picture,
    draw_pupil_ellipse,
)
from .styles import (
    EYE_MODEL_OUT_OF_BOUNDS_STYLE,
    EYE_MODEL_STYLE,
    NAMED_COLORS,
    PUPIL_2D_STYLE,
    PUPIL_3D_STYLE,
    RGBA,
    CircleStyle,
    CrossStyle,
    EyeOverlayStyle,
    FixationStyle,
    PolylineStyle,
    PupilStyle,
    bgr255,
    parse_color,
)

__all__ = [
    "EYE_MODEL_OUT_OF_BOUNDS_STYLE",
    "EYE_MODEL_STYLE",
    "NAMED_COLORS",
    "PUPIL_2D_STYLE",
    "PUPIL_3D_STYLE",
    "RGBA",
    "CircleStyle",
    "CrossStyle",
    "EyeOverlayStyle",
    "FixationStyle",
    "OverlayConfig",
    "PolylineStyle",
    "PupilStyle",
    "bgr255",
    "draw_eye_overlays",
    "draw_fixation",
    "draw_gaze_circles",
    "draw_gaze_crosses",
    "draw_gaze_polyline",
    "draw_picture_in_picture",
    "draw_pupil_ellipse",
    "eye_overlay_layout",
    "parse_color",
    "render_frame",
]
