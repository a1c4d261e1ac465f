"""``gazeport annotate REC list|add|edit|delete|definitions``: Player-compatible annotations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import GazeportError
from ..recording import annotations as notes
from ..recording.annotation_stores import AnnotationStore, annotation_store
from .commands import _out, app
from .help_text import App

annotate_app = App(
    help=(
        "List, add, edit and delete annotations (annotation_player.pldata, shared with Pupil "
        "Player; on Neon recordings Neon Player's events in .neon_player/), and manage the label "
        "hotkey definitions."
    ),
    no_args_is_help=True,
)
app.add_typer(annotate_app, name="annotate")

Field = Annotated[
    list[str] | None,
    typer.Option("--field", "-f", help="Custom field key=value (int, float, true/false or text)."),
]
TimestampNs = Annotated[
    int | None, typer.Option("--timestamp-ns", help="UTC ns since the epoch (Neon recordings).")
]


@annotate_app.callback()
def _recording(
    ctx: typer.Context,
    recording: Annotated[
        Path, typer.Argument(metavar="REC", help="The recording folder.", show_default=False)
    ],
) -> None:
    # opened by the subcommand, so that ``gazeport annotate REC add --help`` needs no recording
    ctx.obj = {"path": recording}


def _store(ctx: typer.Context) -> AnnotationStore:
    if "store" not in ctx.obj:
        ctx.obj["store"] = annotation_store(ctx.obj["path"])
    store: AnnotationStore = ctx.obj["store"]
    return store


def _usage(exc: ValueError, hint: str | None = None) -> Exception:
    """A usage error (exit 2) for a bad value; gazeport's own errors stay themselves (exit 1)."""
    if isinstance(exc, GazeportError):
        return exc
    return typer.BadParameter(str(exc), param_hint=hint)


def _fields(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        try:
            key, value = notes.parse_field(item)
        except ValueError as exc:
            raise _usage(exc, "'--field'") from None
        out[key] = value
    return out


def _when(
    store: AnnotationStore,
    timestamp: float | None,
    timestamp_ns: int | None,
    frame: int | None,
    seconds: float | None,
) -> Any:
    try:
        return store.when(
            timestamp=timestamp, timestamp_ns=timestamp_ns, frame=frame, seconds=seconds
        )
    except ValueError as exc:
        raise _usage(exc, "'--timestamp/--frame/--seconds'") from None


@annotate_app.command("list", help="Show the annotations (Neon: the events), sorted by time.")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    store = _store(ctx)
    records = store.records()
    if as_json:
        _out.print_json(json.dumps(records, default=str))
        return
    if not records:
        _out.print(f"No {store.noun}s.")
        return
    table = Table(box=None, header_style="bold")
    for column, right in store.columns:
        table.add_column(escape(column), justify="right" if right else "left")
    for row in store.cells(records):
        table.add_row(*(escape(cell) for cell in row))
    _out.print(table)


@annotate_app.command(
    help="Add an annotation (Neon: an event) at a timestamp, a world frame or seconds from the "
    "start."
)
def add(
    ctx: typer.Context,
    label: Annotated[str, typer.Argument(help="The annotation's label (Neon: event name).")],
    timestamp: Annotated[float | None, typer.Option(help="Pupil time [s].")] = None,
    timestamp_ns: TimestampNs = None,
    frame: Annotated[int | None, typer.Option(help="World frame index.")] = None,
    seconds: Annotated[
        float | None,
        typer.Option(help="Seconds after the first world frame (Neon: after the start)."),
    ] = None,
    duration: Annotated[float, typer.Option(min=0.0, help="Duration [s].")] = 0.0,
    field: Field = None,
) -> None:
    store = _store(ctx)
    try:
        label = store.validate_label(label)
    except ValueError as exc:
        raise _usage(exc, "'LABEL'") from None
    when = _when(store, timestamp, timestamp_ns, frame, seconds)
    try:
        store.add(label, when, duration, _fields(field))
    except ValueError as exc:
        raise _usage(exc) from None
    _out.print(f"Added {escape(label)!s} at {store.when_text(when)}.")


@annotate_app.command(help="Change an annotation or event (by its number in `list`).")
def edit(
    ctx: typer.Context,
    index: Annotated[int, typer.Argument(help="Number shown by `gazeport annotate REC list`.")],
    label: Annotated[str | None, typer.Option(help="New label (Neon: event name).")] = None,
    timestamp: Annotated[float | None, typer.Option(help="New Pupil time [s].")] = None,
    timestamp_ns: TimestampNs = None,
    frame: Annotated[int | None, typer.Option(help="New world frame index.")] = None,
    seconds: Annotated[
        float | None, typer.Option(help="New time, seconds after the first frame.")
    ] = None,
    duration: Annotated[float | None, typer.Option(min=0.0, help="New duration [s].")] = None,
    field: Field = None,
    remove_field: Annotated[
        list[str] | None, typer.Option("--remove-field", help="Remove this custom field.")
    ] = None,
) -> None:
    store = _store(ctx)
    when = None
    if any(v is not None for v in (timestamp, timestamp_ns, frame, seconds)):
        when = _when(store, timestamp, timestamp_ns, frame, seconds)
    if label is not None:
        try:
            label = store.validate_label(label)
        except ValueError as exc:
            raise _usage(exc, "'--label'") from None
    try:
        store.edit(
            index, label=label, when=when, duration=duration, fields=_fields(field) or None,
            remove_fields=tuple(remove_field or ()),
        )  # fmt: skip
    except ValueError as exc:
        raise _usage(exc) from None
    _out.print(f"Changed {store.noun} {index}.")


@annotate_app.command(help="Delete an annotation or event (by its number in `list`).")
def delete(
    ctx: typer.Context,
    index: Annotated[int, typer.Argument(help="Number shown by `gazeport annotate REC list`.")],
) -> None:
    store = _store(ctx)
    store.delete(index)
    _out.print(f"Deleted {store.noun} {index}.")


@annotate_app.command(
    help="Show or change the label hotkeys (offline_data/annotation_definitions.json)."
)
def definitions(
    ctx: typer.Context,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="LABEL=HOTKEY to add or change.")
    ] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="LABEL to remove.")] = None,
) -> None:
    store = _store(ctx)
    changes: dict[str, str] = {}
    for item in set_ or []:
        label, sep, key = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r} is not LABEL=HOTKEY.", param_hint="'--set'")
        changes[label.strip()] = key.strip()
    if changes or remove:
        try:  # one locked read-modify-write, so concurrent edits are not lost
            defs = store.update_definitions(changes, remove or ())
        except KeyError as exc:
            raise typer.BadParameter(exc.args[0], param_hint="'--remove'") from None
        except ValueError as exc:
            raise _usage(exc) from None
    else:
        defs = store.definitions()
    for label, key in defs.items():
        _out.print(f"  {escape(key)}  {escape(label)}")
