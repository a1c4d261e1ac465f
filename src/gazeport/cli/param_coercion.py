"""typer's coercion of command-line values, with pydantic imported only when a value needs it.

Newer typer releases (0.29 here) turn every value into its parameter's type through a pydantic
``TypeAdapter``; importing pydantic takes about 0.1 s, the largest part of ``gazeport info``'s
start-up. Most values need none of it (see :func:`defer_pydantic`). This uses typer's private
coercion interface; where it is missing, typer's own coercion runs unchanged.
"""

from __future__ import annotations

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
        if _plain_path(param) and isinstance(value, (str, Path)):
            path = value if isinstance(value, Path) else Path(value)
            return coerce_cli_path(path, desc.parameter_info, path_type=Path, param=param, ctx=ctx)
        if self.typers is None:
            self.typers = build_runtime_param(desc)
        return self.typers.coerce(value, param=param, ctx=ctx)


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
