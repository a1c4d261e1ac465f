"""typer's coercion of command-line values, with pydantic imported only when a value needs it.

Newer typer releases (0.29 here) turn every value into its parameter's type through a pydantic
``TypeAdapter``; importing pydantic takes about 0.1 s, the largest part of ``gazeport info``'s
start-up. Most values need none of it (see :func:`defer_pydantic`). This uses typer's private
coercion interface; where it is missing, typer's own coercion runs unchanged.
"""

from __future__ import annotations

import enum
import math
import os
import re
from pathlib import Path
from typing import Any

try:
    from typer._coercion import build_runtime_param
    from typer._param_types import coerce_cli_path

    _TYPER_COERCION = True
except ImportError:  # pragma: no cover - a typer without them: its coercion is used as it is
    _TYPER_COERCION = False


class _DeferredCoercion:
    """typer's coercion of one parameter, with its pydantic adapter built only when a value
    needs it (see :func:`defer_pydantic`)."""

    def __init__(self, param: Any) -> None:
        self.descriptor = param.type_descriptor
        self.typers: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        desc = self.descriptor
        if value is None and not (param.multiple or param.nargs == -1):
            return None  # as typer: no value stays None, before any adapter
        if desc.annotation is bool and isinstance(value, bool):
            return value
        single = param.nargs == 1 and not param.multiple
        if single and _unparsed(param) and desc.file_annotation is None:
            # A default of the parameter's own type (1.5 for a float, an enum member), or a
            # text option's text: typer's adapter would return them unchanged.
            if type(value) is desc.annotation and desc.annotation in (str, int, float):
                return value
            number = _plain_number(value, desc)
            if number is not None:
                return number
            enum_type = isinstance(desc.annotation, type) and issubclass(desc.annotation, enum.Enum)
            if enum_type and type(value) is desc.annotation:
                return value
        if _plain_path(param) and isinstance(value, (str, Path)):
            return _path(value, param, ctx)
        paths = _path_list(param) and isinstance(value, (list, tuple))
        if paths and all(isinstance(v, (str, Path)) for v in value):
            return [_path(v, param, ctx) for v in value]
        if self.typers is None:
            self.typers = build_runtime_param(desc)
        return self.typers.coerce(value, param=param, ctx=ctx)


def _path(value: str | Path, param: Any, ctx: Any) -> Path:
    path = value if isinstance(value, Path) else Path(value)
    info = param.type_descriptor.parameter_info
    checked = coerce_cli_path(path, info, path_type=Path, param=param, ctx=ctx)
    return checked if isinstance(checked, Path) else Path(os.fsdecode(checked))


_PLAIN_INT = re.compile(r"[0-9]+")
_PLAIN_FLOAT = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _plain_number(value: Any, desc: Any) -> int | float | None:
    """An ``int`` or ``float`` option's value written plainly ("4", "0.5", "1e-3") and inside
    its ``min``/``max``: the number typer's adapter would make. Anything else (signs, spaces,
    out of range, clamping) is left to the adapter, which also words the errors."""
    if not isinstance(value, str) or desc.annotation not in (int, float):
        return None
    pattern = _PLAIN_INT if desc.annotation is int else _PLAIN_FLOAT
    if not pattern.fullmatch(value):
        return None
    number: int | float = int(value) if desc.annotation is int else float(value)
    info = desc.parameter_info
    low, high = getattr(info, "min", None), getattr(info, "max", None)
    if getattr(info, "clamp", False) or not math.isfinite(number):
        return None
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number


def _unparsed(param: Any) -> bool:
    return getattr(param.type_descriptor.parameter_info, "parser", None) is None


def _path_list(param: Any) -> bool:
    """``list[Path]`` taking any number of values (``PATH...``), no parser or file mode."""
    desc = param.type_descriptor
    return (
        desc.annotation == list[Path]
        and desc.file_annotation is None
        and _unparsed(param)
        and getattr(desc.parameter_info, "path_type", None) in (None, Path)
        and param.nargs == -1
    )


def _plain_path(param: Any) -> bool:
    """A single ``Path`` without a parser or a file mode: typer's adapter only makes the
    ``Path`` before its own checks (exists, file_okay, readable, ...)."""
    desc = param.type_descriptor
    return (
        desc.annotation is Path
        and desc.file_annotation is None
        and getattr(desc.parameter_info, "parser", None) is None
        and getattr(desc.parameter_info, "path_type", None) in (None, Path)
        and param.nargs == 1
        and not param.multiple
    )


def defer_pydantic(param: Any) -> None:
    """Build typer's pydantic coercion of ``param`` only for a value that needs it.

    typer (0.29 here) builds a pydantic ``TypeAdapter`` for every parameter it processes,
    even for ``--help`` left unset; importing pydantic for it costs about 0.1 s, as much as
    all of ``gazeport info`` otherwise. No value, a flag's ``True``/``False`` and a plain ``Path``
    need no adapter: typer returns the first two as they are and checks a ``Path`` with its
    own code, called here. With a typer without these internals nothing changes.
    """
    if (
        not _TYPER_COERCION
        or getattr(param, "type_descriptor", None) is None
        or getattr(param, "_runtime_param", False) is not None  # built already, or no hook
    ):
        return
    param._runtime_param = _DeferredCoercion(param)
