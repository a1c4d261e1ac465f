"""How gazeport's ``--help`` reads: units kept, no type noise, plain usage lines.

The help is rendered by typer with rich markup, so an option's ``help="… [ms]."`` would lose its
unit (rich takes ``[ms]`` for a style tag). Option and argument help is therefore plain text: it
is escaped once here, so sources write units as ``[ms]``, ``[s]``, ``[px]``, ``[degrees]``.
Command help and epilogs keep their markup (``[bold]…[/]``). Flags show no ``<bool>`` type,
and usage lines read ``REC`` and ``PATH...`` (``[NAME]`` when optional), not ``{PATH...}...``.

Every group and command of the app is built from these classes: :class:`App` makes them the
default for its commands and sub-apps. They also build typer's pydantic coercion of a
parameter only for a value that needs it (:mod:`.param_coercion`).
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from .param_coercion import defer_pydantic


def _tidy(param: Any) -> None:
    """Prepare one click parameter for rendering (once: the same objects render again)."""
    if getattr(param, "_gazeport_tidy", False):
        return
    param._gazeport_tidy = True
    if param.help:
        param.help = escape(param.help)
    if getattr(param, "is_flag", False) and param.metavar is None:
        param.metavar = ""  # the type column shows the metavar: nothing for a flag
    if param.param_type_name == "argument":
        if param.metavar is None:  # the arguments panel then names it as the usage line does
            param.metavar = (param.name or "").upper()
        piece = _usage_piece(param)
        # click builds usage lines and the command path of subcommands from this
        param.get_usage_pieces = lambda ctx: [piece]


def _usage_piece(param: Any) -> str:
    """``REC``, ``PATH...`` or ``[NAME]`` for an argument in the usage line."""
    name = param.metavar or (param.name or "").upper()
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name if param.required else f"[{name}]"


class _Tidy:
    """Mixin for typer's command and group classes (see the module docstring)."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            _tidy(param)
            defer_pydantic(param)
        return params


class Command(_Tidy, TyperCommand):
    """A gazeport command: typer's, with the help tidied."""


class Group(_Tidy, TyperGroup):
    """A gazeport command group: typer's, with the help tidied."""


class App(typer.Typer):
    """A typer app whose groups and commands are :class:`Group` and :class:`Command`."""

    def __init__(self, *, cls: type[TyperGroup] | None = None, **kwargs: Any) -> None:
        super().__init__(cls=cls or Group, **kwargs)

    def command(self, name: str | None = None, *, cls: Any = None, **kwargs: Any) -> Any:
        return super().command(name, cls=cls or Command, **kwargs)
