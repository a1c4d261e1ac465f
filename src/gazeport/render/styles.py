"""Overlay styles (Pupil Player's defaults) and the colour parser of the command line.

Every colour is an ``RGBA`` tuple of four floats from 0 to 1 in the order red, green, blue,
alpha, whatever OpenCV wants underneath (it draws in BGR, see :func:`bgr255`). Styles are frozen
dataclasses that check their fields when built and raise ``ValueError`` with one plain sentence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Integral, Real

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
    "PolylineStyle",
    "PupilStyle",
    "bgr255",
    "parse_color",
]

#: ``(red, green, blue, alpha)``, each from 0 to 1; alpha 1 is opaque.
RGBA = tuple[float, float, float, float]

#: CSS colour names accepted by :func:`parse_color` (0–255 RGB).
NAMED_COLORS: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0), "white": (255, 255, 255), "gray": (128, 128, 128),
    "grey": (128, 128, 128), "silver": (192, 192, 192), "red": (255, 0, 0),
    "maroon": (128, 0, 0), "lime": (0, 255, 0), "green": (0, 128, 0), "blue": (0, 0, 255),
    "navy": (0, 0, 128), "yellow": (255, 255, 0), "olive": (128, 128, 0), "cyan": (0, 255, 255),
    "aqua": (0, 255, 255), "teal": (0, 128, 128), "magenta": (255, 0, 255),
    "fuchsia": (255, 0, 255), "purple": (128, 0, 128), "orange": (255, 165, 0),
    "pink": (255, 192, 203),
}  # fmt: skip

_CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
_MAX_PX = 10_000  # no overlay of a video frame is meaningfully larger; catches unit mix-ups


def bgr255(color: RGBA) -> tuple[float, float, float]:
    """OpenCV's BGR colour (0–255 floats) of an ``RGBA`` colour; alpha is blended separately."""
    r, g, b, _ = color
    return (255.0 * b, 255.0 * g, 255.0 * r)


def parse_color(text: str, *, default_alpha: float = 1.0) -> RGBA:
    """Parse a colour written by a user, e.g. for ``--gaze-color``.

    Accepted forms (case and surrounding spaces do not matter):

    * hex: ``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa`` (``"#00b34033"``);
    * numbers: ``"r,g,b"`` or ``"r,g,b,a"``, optionally inside ``rgb(...)``/``rgba(...)``. Whole
      numbers are 0–255 (``"0,179,64,0.2"``); if any of r, g, b has a decimal point, all three
      are 0–1 (``"0.0,0.7,0.25,0.2"``). Alpha is always 0–1;
    * a CSS name from :data:`NAMED_COLORS` (``"red"``);
    * any form without alpha may end in ``@alpha`` (``"red@0.5"``, ``"#00b340@0.2"``).

    A form that gives no alpha gets ``default_alpha`` (so a front-end can keep a style's own
    transparency when only the hue is given). Returns ``(r, g, b, a)`` floats from 0 to 1;
    raises ``ValueError`` naming the text and the accepted forms otherwise.
    """
    if not isinstance(text, str):
        raise ValueError(f"A colour must be given as text; got {type(text).__name__}.")
    _check_unit(default_alpha, "default_alpha")
    s = text.strip().lower()
    alpha: float | None = None
    alpha_text = ""
    if "@" in s:
        s, _, alpha_text = s.partition("@")
        alpha = _parse_unit(alpha_text, text, "alpha")
        s = s.strip()
    rgba = _parse_base(s, text)
    if rgba[3] is not None and alpha is not None:
        raise ValueError(f"The colour {text!r} gives alpha twice; drop the '@{alpha_text}'.")
    a = rgba[3] if rgba[3] is not None else alpha if alpha is not None else float(default_alpha)
    return (rgba[0], rgba[1], rgba[2], a)


def _parse_base(s: str, text: str) -> tuple[float, float, float, float | None]:
    if s in NAMED_COLORS:
        r, g, b = NAMED_COLORS[s]
        return (r / 255.0, g / 255.0, b / 255.0, None)
    if s.startswith("#"):
        digits = s[1:]
        if not re.fullmatch(r"[0-9a-f]+", digits) or len(digits) not in (3, 4, 6, 8):
            raise ValueError(
                f"The colour {text!r} is not valid hex; write #rgb, #rgba, #rrggbb or #rrggbbaa."
            )
        if len(digits) <= 4:
            digits = "".join(c + c for c in digits)
        values = [int(digits[i : i + 2], 16) / 255.0 for i in range(0, len(digits), 2)]
        return (values[0], values[1], values[2], values[3] if len(values) == 4 else None)
    m = re.fullmatch(r"(?:rgba?\((.*)\)|(.*))", s)
    inner = (m.group(1) if m and m.group(1) is not None else s).strip()
    parts = [p.strip() for p in inner.split(",")]
    if len(parts) not in (3, 4) or not all(parts):
        raise ValueError(
            f"The colour {text!r} is not understood; write a name such as 'red', hex such as "
            "'#00b34033', or numbers such as '0,179,64,0.2' (0-255) or '0.0,0.7,0.25,0.2' (0-1)."
        )
    decimal = any(("." in p or "e" in p) for p in parts[:3])
    rgb: list[float] = []
    for name, p in zip("rgb", parts[:3], strict=False):
        if decimal:
            rgb.append(_parse_unit(p, text, name))
            continue
        if not re.fullmatch(r"\d+", p) or int(p) > 255:
            raise ValueError(
                f"The colour {text!r} has {name}={p!r}; whole numbers must lie from 0 to 255."
            )
        rgb.append(int(p) / 255.0)
    a = _parse_unit(parts[3], text, "alpha") if len(parts) == 4 else None
    return (rgb[0], rgb[1], rgb[2], a)


def _parse_unit(p: str, text: str, name: str) -> float:
    try:
        v = float(p)
    except ValueError:
        v = math.nan
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"The colour {text!r} has {name}={p.strip()!r}; it must lie from 0 to 1.")
    return v


# --- validation ----------------------------------------------------------------------------------


def _check_color(owner: str, name: str, value: object) -> RGBA:
    if isinstance(value, tuple | list) and len(value) == 4:
        comps = [float(c) for c in value if isinstance(c, Real) and not isinstance(c, bool)]
        if len(comps) == 4 and all(0.0 <= c <= 1.0 for c in comps):
            return (comps[0], comps[1], comps[2], comps[3])
    raise ValueError(
        f"{owner}.{name} must be four numbers (red, green, blue, alpha) from 0 to 1, "
        f"e.g. (0.0, 0.7, 0.25, 0.2); got {value!r}."
    )


def _check_int(owner: str, name: str, value: object, low: int, high: int = _MAX_PX) -> int:
    if isinstance(value, Integral) and not isinstance(value, bool) and low <= int(value) <= high:
        return int(value)
    raise ValueError(f"{owner}.{name} must be a whole number from {low} to {high}; got {value!r}.")


def _check_unit(value: object, name: str) -> float:
    if isinstance(value, Real) and not isinstance(value, bool) and 0.0 <= float(value) <= 1.0:
        return float(value)
    raise ValueError(f"{name} must be a number from 0 to 1; got {value!r}.")


def _check_bool(owner: str, name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{owner}.{name} must be True or False; got {value!r}.")


# --- styles --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CircleStyle:
    """Gaze circle (Player's ``Vis_Circle``): ``radius``/``thickness`` in pixels.

    ``fill=True`` draws a disc (``thickness`` unused), else a ring ``thickness`` pixels wide.
    The colour's alpha is the opacity of the whole shape over the frame.
    """

    radius: int = 20
    color: RGBA = (0.0, 0.7, 0.25, 0.2)
    thickness: int = 2
    fill: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "radius", _check_int("CircleStyle", "radius", self.radius, 1))
        object.__setattr__(self, "color", _check_color("CircleStyle", "color", self.color))
        t = _check_int("CircleStyle", "thickness", self.thickness, 1)
        object.__setattr__(self, "thickness", t)
        _check_bool("CircleStyle", "fill", self.fill)


@dataclass(frozen=True)
class CrossStyle:
    """Gaze cross (Player's ``Vis_Cross``): four arms from ``inner`` to ``outer`` pixels off the
    gaze point, left, right, up and down, ``thickness`` pixels wide."""

    inner: int = 20
    outer: int = 100
    color: RGBA = (1.0, 0.0, 0.0, 1.0)
    thickness: int = 1

    def __post_init__(self) -> None:
        inner = _check_int("CrossStyle", "inner", self.inner, 0)
        outer = _check_int("CrossStyle", "outer", self.outer, 1)
        if outer <= inner:
            raise ValueError(
                f"CrossStyle.outer ({outer}) must be greater than CrossStyle.inner ({inner})."
            )
        object.__setattr__(self, "inner", inner)
        object.__setattr__(self, "outer", outer)
        object.__setattr__(self, "color", _check_color("CrossStyle", "color", self.color))
        t = _check_int("CrossStyle", "thickness", self.thickness, 1)
        object.__setattr__(self, "thickness", t)


@dataclass(frozen=True)
class PolylineStyle:
    """Gaze polyline (Player's ``Vis_Polyline``): one open line through the frame's gaze points,
    ``thickness`` pixels wide."""

    color: RGBA = (1.0, 0.0, 0.4, 1.0)
    thickness: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "color", _check_color("PolylineStyle", "color", self.color))
        t = _check_int("PolylineStyle", "thickness", self.thickness, 1)
        object.__setattr__(self, "thickness", t)


@dataclass(frozen=True)
class FixationStyle:
    """Current-fixation ring with its id (Player's offline fixation detector).

    Player passes ``(0.0, 1.0, 1.0, 1.0)`` to a function that reads it as *BGR*, so its ring
    is yellow, BGR (0, 255, 255); here colours are RGBA, hence ``(1.0, 1.0, 0.0, 1.0)``. The id
    is drawn with ``FONT_HERSHEY_DUPLEX`` at ``(x + text_offset[0], y + text_offset[1])`` pixels
    (the text's baseline-left corner), scale ``text_scale``, in Player's BGR (255, 150, 100).
    """

    radius: int = 25
    color: RGBA = (1.0, 1.0, 0.0, 1.0)
    thickness: int = 3
    fill: bool = False
    show_id: bool = True
    text_color: RGBA = (100 / 255, 150 / 255, 1.0, 1.0)
    text_scale: float = 0.8
    text_thickness: int = 1
    text_offset: tuple[int, int] = (30, 0)

    def __post_init__(self) -> None:
        o = "FixationStyle"
        object.__setattr__(self, "radius", _check_int(o, "radius", self.radius, 1))
        object.__setattr__(self, "color", _check_color(o, "color", self.color))
        object.__setattr__(self, "thickness", _check_int(o, "thickness", self.thickness, 1))
        _check_bool(o, "fill", self.fill)
        _check_bool(o, "show_id", self.show_id)
        object.__setattr__(self, "text_color", _check_color(o, "text_color", self.text_color))
        s = self.text_scale
        if not (isinstance(s, Real) and not isinstance(s, bool) and 0.05 <= s <= 20):
            raise ValueError(f"{o}.text_scale must be a number from 0.05 to 20; got {s!r}.")
        object.__setattr__(self, "text_scale", float(s))
        t = _check_int(o, "text_thickness", self.text_thickness, 1, 100)
        object.__setattr__(self, "text_thickness", t)
        off = self.text_offset
        if not (isinstance(off, tuple | list) and len(off) == 2):
            raise ValueError(f"{o}.text_offset must be two whole numbers (dx, dy); got {off!r}.")
        dx = _check_int(o, "text_offset[0]", off[0], -_MAX_PX)
        dy = _check_int(o, "text_offset[1]", off[1], -_MAX_PX)
        object.__setattr__(self, "text_offset", (dx, dy))


@dataclass(frozen=True)
class EyeOverlayStyle:
    """Eye videos shown picture-in-picture on the world frame (Player's ``Eye_Overlay``).

    Each eye image is resized to ``width`` pixels (aspect kept) or, if ``width`` is None, by
    ``scale``; mirrored left-right if its id is in ``hflip_eyes`` and upside down if in
    ``vflip_eyes`` (Player's defaults: eye1 mirrored, eye0 — mounted upside down — flipped);
    then blended with opacity ``alpha``. The images of ``eyes`` that are given form one row,
    eye1 (the left eye) left of eye0, ``gap`` pixels apart, ``margin`` pixels from ``corner``.
    """

    eyes: tuple[int, ...] = (0, 1)
    scale: float = 0.6
    width: int | None = None
    alpha: float = 0.8
    corner: str = "top-left"
    margin: int = 10
    gap: int = 10
    hflip_eyes: tuple[int, ...] = (1,)
    vflip_eyes: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        o = "EyeOverlayStyle"
        for name in ("eyes", "hflip_eyes", "vflip_eyes"):
            ids = getattr(self, name)
            if not isinstance(ids, tuple | list) or not all(i in (0, 1) for i in ids):
                raise ValueError(f"{o}.{name} must be a tuple of eye ids 0 and/or 1; got {ids!r}.")
            object.__setattr__(self, name, tuple(int(i) for i in ids))
        s = self.scale
        if not (isinstance(s, Real) and not isinstance(s, bool) and 0.01 <= s <= 10):
            raise ValueError(f"{o}.scale must be a number from 0.01 to 10; got {s!r}.")
        object.__setattr__(self, "scale", float(s))
        if self.width is not None:
            object.__setattr__(self, "width", _check_int(o, "width", self.width, 1))
        object.__setattr__(self, "alpha", _check_unit(self.alpha, f"{o}.alpha"))
        if self.corner not in _CORNERS:
            raise ValueError(
                f"{o}.corner must be one of {', '.join(_CORNERS)}; got {self.corner!r}."
            )
        object.__setattr__(self, "margin", _check_int(o, "margin", self.margin, 0))
        object.__setattr__(self, "gap", _check_int(o, "gap", self.gap, 0))


@dataclass(frozen=True)
class PupilStyle:
    """Pupil ellipse on an eye frame (Player's Eye Video Exporter): an outline ``thickness``
    pixels wide and, if ``center_radius`` > 0, a filled dot of that radius at the centre."""

    color: RGBA = (250 / 255, 200 / 255, 0.0, 1.0)
    thickness: int = 1
    center_radius: int = 5

    def __post_init__(self) -> None:
        object.__setattr__(self, "color", _check_color("PupilStyle", "color", self.color))
        t = _check_int("PupilStyle", "thickness", self.thickness, 1)
        object.__setattr__(self, "thickness", t)
        c = _check_int("PupilStyle", "center_radius", self.center_radius, 0)
        object.__setattr__(self, "center_radius", c)


#: Player's colours for the eye video (``pupil_detector_plugins/color_scheme``): 2D ellipse
#: #FAC800, 3D ellipse #F92500, eye-model outline #0777FA (model confidence >= 0.6) or #80E0FF.
PUPIL_2D_STYLE = PupilStyle()
PUPIL_3D_STYLE = PupilStyle(color=(249 / 255, 37 / 255, 0.0, 1.0))
EYE_MODEL_STYLE = PupilStyle(
    color=(7 / 255, 119 / 255, 250 / 255, 1.0), thickness=2, center_radius=0
)
EYE_MODEL_OUT_OF_BOUNDS_STYLE = PupilStyle(
    color=(128 / 255, 224 / 255, 1.0, 1.0), thickness=2, center_radius=0
)
