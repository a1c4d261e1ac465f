"""Pupil and gaze datums as columns: what each CSV column means and where it comes from.

Two equivalent routes produce a row: the columnar fast path (a *plan* per datum layout for
:func:`gazeport.formats.datum_columns.decode_columns`) and the reference path (``*_cells`` from
one decoded datum, Pupil Player's rules written out). Datums the fast path cannot prove regular
go through the reference path, so both routes always agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._types import (
    GAZE_DTYPE,
    GAZE_EYE0_FIELDS,
    GAZE_EYE1_FIELDS,
    GAZE_POINT_FIELDS,
    PUPIL_3D_FIELDS,
    PUPIL_DTYPE,
    PUPIL_ELLIPSE_FIELDS,
)
from ..formats.datum_columns import Layout, Plan, Scalar

_FLOAT_KINDS = ("f64", "f32")

# --- pupil -------------------------------------------------------------------------------------

_PUPIL_REQUIRED = {
    "confidence": ("confidence",),
    "norm_pos_x": ("norm_pos", 0),
    "norm_pos_y": ("norm_pos", 1),
    "diameter": ("diameter",),
}
_PUPIL_ELLIPSE_PATHS = dict(
    zip(
        PUPIL_ELLIPSE_FIELDS,
        [("ellipse", "center", 0), ("ellipse", "center", 1), ("ellipse", "axes", 0),
         ("ellipse", "axes", 1), ("ellipse", "angle")],
        strict=True,
    )
)  # fmt: skip
_PUPIL_3D_PATHS = dict(
    zip(
        PUPIL_3D_FIELDS,
        [("diameter_3d",), ("model_confidence",),
         ("sphere", "center", 0), ("sphere", "center", 1), ("sphere", "center", 2), ("sphere", "radius"),
         ("circle_3d", "center", 0), ("circle_3d", "center", 1), ("circle_3d", "center", 2),
         ("circle_3d", "normal", 0), ("circle_3d", "normal", 1), ("circle_3d", "normal", 2),
         ("circle_3d", "radius"), ("theta",), ("phi",),
         ("projected_sphere", "center", 0), ("projected_sphere", "center", 1),
         ("projected_sphere", "axes", 0), ("projected_sphere", "axes", 1), ("projected_sphere", "angle")],
        strict=True,
    )
)  # fmt: skip

#: Columns decoded from pupil datums (``world_index`` is added by the recording).
PUPIL_DECODED = {
    name: PUPIL_DTYPE[name] for name in PUPIL_DTYPE.names or () if name != "world_index"
}
PUPIL_FILL: dict[str, Any] = {
    name: (None if dt == np.dtype("O") else (-1 if dt.kind == "i" else np.nan))
    for name, dt in PUPIL_DECODED.items()
}


def _is_float_slot(s: Scalar | None) -> bool:
    return s is not None and s.kind in _FLOAT_KINDS


def _group(layout: Layout, paths: Mapping[str, tuple[Any, ...]], plan: Plan) -> bool:
    """Add an all-or-nothing group of float columns; False if the datum is irregular."""
    scalars = {name: layout.get(path) for name, path in paths.items()}
    if any(s is None for s in scalars.values()):
        return True  # absent: Player leaves every column of the group empty
    if not all(_is_float_slot(s) for s in scalars.values()):
        return False
    for name, s in scalars.items():
        plan[name] = ("slot", s)
    return True


def pupil_plan(layout: Layout) -> Plan | None:
    """Column plan for one pupil datum layout, or None when it needs the reference path."""
    plan: Plan = {}
    ts = layout.get(("timestamp",))
    eye = layout.get(("id",))
    method = layout.get(("method",))
    if not _is_float_slot(ts) or eye is None or method is None:
        return None
    if not (isinstance(eye.value, int) and not isinstance(eye.value, bool)):
        return None
    if not isinstance(method.value, str):
        return None
    plan["timestamp"] = ("slot", ts)
    plan["eye_id"] = ("const", eye.value)
    plan["method"] = ("const", method.value)
    for name, path in _PUPIL_REQUIRED.items():
        s = layout.get(path)
        if not _is_float_slot(s):
            return None
        plan[name] = ("slot", s)
    if not _group(layout, _PUPIL_ELLIPSE_PATHS, plan) or not _group(layout, _PUPIL_3D_PATHS, plan):
        return None
    model_id = layout.get(("model_id",))
    if model_id is not None and model_id.kind != "const":
        return None  # a float model id: written as Player writes it by the reference route
    if model_id is not None and model_id.value is not None:
        if (
            model_id.kind != "const"
            or not isinstance(model_id.value, int)
            or isinstance(model_id.value, bool)
        ):
            return None
        plan["model_id"] = ("const", model_id.value)
    return plan


#: Which decoded column each cell of :func:`pupil_cells` fills (None: not a decoded column).
PUPIL_CELL_FIELDS: tuple[str | None, ...] = (
    "timestamp", None, "eye_id", "confidence", "norm_pos_x", "norm_pos_y", "diameter", "method",
    *PUPIL_ELLIPSE_FIELDS, "diameter_3d", "model_confidence", "model_id", *PUPIL_3D_FIELDS[2:],
)  # fmt: skip


def _dig(datum: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        datum = datum[key]
    return datum


def pupil_cells(datum: Mapping[str, Any]) -> list[Any]:
    """Player's pupil_positions.csv cells for one datum, without ``pupil_timestamp`` text and
    ``world_index`` (returned as the float timestamp and a ``None`` placeholder)."""
    cells: list[Any] = [
        datum["timestamp"], None, datum["id"], datum["confidence"],
        datum["norm_pos"][0], datum["norm_pos"][1], datum["diameter"], datum["method"],
    ]  # fmt: skip
    try:
        cells += [_dig(datum, p) for p in _PUPIL_ELLIPSE_PATHS.values()]
    except (KeyError, IndexError, TypeError):
        cells += [None] * len(_PUPIL_ELLIPSE_PATHS)
    try:
        block = [_dig(datum, p) for p in _PUPIL_3D_PATHS.values()]
    except (KeyError, IndexError, TypeError):
        block = [None] * len(_PUPIL_3D_PATHS)
    cells += [*block[:2], datum.get("model_id"), *block[2:]]
    return cells


# --- gaze --------------------------------------------------------------------------------------

GAZE_DECODED = {name: GAZE_DTYPE[name] for name in GAZE_DTYPE.names or () if name != "world_index"}
GAZE_FILL: dict[str, Any] = {
    name: (-1 if dt.kind == "i" else np.nan) for name, dt in GAZE_DECODED.items()
}
GAZE_FILL["base_count"] = 0
_VEC3 = (0, 1, 2)


def _vec_slots(layout: Layout, prefix: tuple[Any, ...]) -> list[Scalar] | None:
    out = [layout.get((*prefix, i)) for i in _VEC3]
    if any(s is None for s in out):
        return None
    return out  # type: ignore[return-value]


def _first_truthy_vector(layout: Layout, prefix: str, eye: int) -> list[Scalar] | bool | None:
    """Player's ``d[prefix].get("<eye>") or d[prefix].get(<eye>)``: the float slots of the first
    non-empty entry, None when there is none, False when it is not three floats."""
    for key in (str(eye), eye):
        path = (prefix, key)
        container = layout.containers.get(path)
        if container is not None:
            if container[1] == 0:
                continue  # an empty tuple is falsy: Player moves on
            slots = _vec_slots(layout, path)
            if container != ("array", 3) or slots is None or not all(map(_is_float_slot, slots)):
                return False
            return slots
        scalar = layout.get(path)
        if scalar is not None and scalar.value:
            return False  # a truthy non-vector: leave it to the reference route
    return None


def gaze_plan(layout: Layout) -> Plan | None:
    """Column plan for one gaze datum layout, or None when it needs the reference path."""
    plan: Plan = {}
    for name, path in (("timestamp", ("timestamp",)), ("confidence", ("confidence",)),
                       ("norm_pos_x", ("norm_pos", 0)), ("norm_pos_y", ("norm_pos", 1))):  # fmt: skip
        s = layout.get(path)
        if not _is_float_slot(s):
            return None
        plan[name] = ("slot", s)
    base = layout.containers.get(("base_data",))
    base_ids: list[int] = []
    if base is None:
        bd = layout.get(("base_data",))
        if bd is not None and bd.value is not None:
            return None
        plan["base_count"] = ("absent", None)  # no base data at all (Parquet: null)
    else:
        kind, count = base
        if kind != "array" or count > 2:
            return None
        plan["base_count"] = ("const", count)
        for i in range(count):
            ts = layout.get(("base_data", i, "timestamp"))
            eid = layout.get(("base_data", i, "id"))
            if (
                not _is_float_slot(ts)
                or eid is None
                or not isinstance(eid.value, int)
                or isinstance(eid.value, bool)
            ):
                return None
            plan[f"base{i}_timestamp"] = ("slot", ts)
            plan[f"base{i}_eye_id"] = ("const", eid.value)
            base_ids.append(eid.value)
    point = layout.get(("gaze_point_3d",))
    if point is not None and point.value is None:
        return plan  # explicit null: no 3D columns
    slots = _vec_slots(layout, ("gaze_point_3d",))
    if slots is None:
        if ("gaze_point_3d",) in layout.containers:
            return None
        return plan
    if not all(_is_float_slot(s) for s in slots):
        return None
    for name, s in zip(GAZE_POINT_FIELDS, slots, strict=True):
        plan[name] = ("slot", s)
    if ("eye_centers_3d",) in layout.containers:
        for eye, fields in ((0, GAZE_EYE0_FIELDS), (1, GAZE_EYE1_FIELDS)):
            for prefix, names in (("eye_centers_3d", fields[:3]), ("gaze_normals_3d", fields[3:])):
                found = _first_truthy_vector(layout, prefix, eye)
                if found is None:
                    continue
                if not isinstance(found, list):
                    return None
                for name, s in zip(names, found, strict=True):
                    plan[name] = ("slot", s)
    elif ("eye_center_3d",) in layout.containers:
        if not base_ids or str(base_ids[0]) not in ("0", "1"):
            return None  # Player warns and leaves the eye columns empty; reference path does it
        fields = GAZE_EYE0_FIELDS if str(base_ids[0]) == "0" else GAZE_EYE1_FIELDS
        center = _vec_slots(layout, ("eye_center_3d",))
        normal = _vec_slots(layout, ("gaze_normal_3d",))
        if center is None or normal is None or not all(_is_float_slot(s) for s in center + normal):
            return None
        for name, s in zip(fields, center + normal, strict=True):
            plan[name] = ("slot", s)
    return plan


#: Which decoded column each cell of :func:`gaze_cells` fills.
GAZE_CELL_FIELDS: tuple[str | None, ...] = (
    "timestamp", None, "confidence", "norm_pos_x", "norm_pos_y", None,
    *GAZE_POINT_FIELDS, *GAZE_EYE0_FIELDS, *GAZE_EYE1_FIELDS,
)  # fmt: skip


def _three(vec: Any) -> list[Any]:
    """The first three values of a vector, padded with empty cells (never shifts columns)."""
    out = list(vec[:3])
    return out + [None] * (3 - len(out))


def base_data_text(base: Any) -> str:
    """Player's ``base_data`` cell: ``"<timestamp>-<eye id>"`` items joined by spaces."""
    if not base:
        return ""
    return " ".join(f"{b['timestamp']}-{b['id']}" for b in base)


def gaze_cells(datum: Mapping[str, Any]) -> tuple[list[Any], bool]:
    """Player's gaze_positions.csv cells for one datum (timestamp as float, world_index None).

    The flag is True when a monocular datum's eye could not be told from its base data (Player
    warns and leaves the eye columns empty).
    """
    base = datum.get("base_data")
    cells: list[Any] = [
        datum["timestamp"], None, datum["confidence"], datum["norm_pos"][0], datum["norm_pos"][1],
        base_data_text(base),
    ]  # fmt: skip
    unknown_eye = False
    point = datum.get("gaze_point_3d")
    eye_cells: list[Any] = [None] * 12
    if point is not None:
        cells += _three(point)
        if "eye_centers_3d" in datum:
            centers = datum["eye_centers_3d"] or {}
            normals = datum.get("gaze_normals_3d") or {}
            for eye in (0, 1):
                for k, source in ((0, centers), (3, normals)):
                    vec = source.get(str(eye)) or source.get(eye)
                    if vec:
                        eye_cells[eye * 6 + k : eye * 6 + k + 3] = _three(vec)
        elif "eye_center_3d" in datum:
            try:
                eye_key = str(base[0]["id"])  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                eye_key = ""
            if eye_key in ("0", "1"):
                k = int(eye_key)
                eye_cells[k * 6 : k * 6 + 6] = [
                    *_three(datum["eye_center_3d"]),
                    *_three(datum["gaze_normal_3d"]),
                ]
            else:
                unknown_eye = True
        cells += eye_cells
    else:
        cells += [None] * 15
    return cells, unknown_eye


def as_float(value: Any) -> float:
    """A cell value as float for the numeric columns (NaN when it is not a number)."""
    if isinstance(value, bool) or value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
