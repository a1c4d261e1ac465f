"""``gazeport annotate REC list|add|edit|delete|definitions``: Player-compatible annotations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..recording import Recording
from ..recording import annotations as notes
from .commands import _out, app
from .help_text import App

annotate_app = App(
    help=(
        "List, add, edit and delete annotations (annotation_player.pldata, shared with Pupil "
        "Player), and manage the label hotkey definitions."
    ),
    no_args_is_help=True,
)
app.add_typer(annotate_app, name="annotate")

Field = Annotated[
    list[str] | None,
    typer.Option("--field", "-f", help="Custom field key=value (int, float, true/false or text)."),
]
When = dict[str, Any]


@annotate_app.callback()
def _recording(
    ctx: typer.Context,
    recording: Annotated[
        Path, typer.Argument(metavar="REC", help="The recording folder.", show_default=False)
    ],
) -> None:
    # opened by the subcommand, so that ``gazeport annotate REC add --help`` needs no recording
    ctx.obj = {"path": recording}


def _rec(ctx: typer.Context) -> Any:
    if "rec" not in ctx.obj:
        ctx.obj["rec"] = Recording(ctx.obj["path"])
    return ctx.obj["rec"]


def _usage(exc: ValueError, hint: str | None = None) -> typer.BadParameter:
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


def _when(rec: Any, timestamp: float | None, frame: int | None, seconds: float | None) -> float:
    try:
        return notes.timestamp_for(
            rec.world_timestamps, timestamp=timestamp, frame=frame, seconds=seconds
        )
    except ValueError as exc:
        raise _usage(exc, "'--timestamp/--frame/--seconds'") from None


@annotate_app.command("list", help="Show the annotations, sorted by time.")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    rec = _rec(ctx)
    items = notes.load_annotations(rec.path)
    if as_json:
        _out.print_json(json.dumps([
            {"index": i, "timestamp": a.timestamp, "label": a.label, "duration": a.duration, **a.fields}
            for i, a in enumerate(items)
        ], default=str))  # fmt: skip
        return
    if not items:
        _out.print("No annotations.")
        return
    frames = rec.world_index([a.timestamp for a in items]) if len(rec.frame_table) else None
    table = Table(box=None, header_style="bold")
    for column in ("#", "timestamp", "frame", "label", "duration", "fields"):
        table.add_column(
            column, justify="right" if column in ("#", "timestamp", "frame", "duration") else "left"
        )
    for i, a in enumerate(items):
        frame = "" if frames is None else str(int(frames[i]))
        extra = ", ".join(f"{k}={v!r}" for k, v in sorted(a.fields.items()))
        table.add_row(
            str(i), f"{a.timestamp:.6f}", frame, escape(a.label), f"{a.duration:g}", escape(extra)
        )
    _out.print(table)


@annotate_app.command(
    help="Add an annotation at a timestamp, a world frame or seconds from the start."
)
def add(
    ctx: typer.Context,
    label: Annotated[str, typer.Argument(help="The annotation's label.")],
    timestamp: Annotated[float | None, typer.Option(help="Pupil time [s].")] = None,
    frame: Annotated[int | None, typer.Option(help="World frame index.")] = None,
    seconds: Annotated[
        float | None, typer.Option(help="Seconds after the first world frame.")
    ] = None,
    duration: Annotated[float, typer.Option(min=0.0, help="Duration [s].")] = 0.0,
    field: Field = None,
) -> None:
    rec = _rec(ctx)
    try:
        label = notes.validate_label(label)
    except ValueError as exc:
        raise _usage(exc, "'LABEL'") from None
    when = _when(rec, timestamp, frame, seconds)
    item = notes.Annotation(when, label, duration, _fields(field))
    notes.add_annotation(rec.path, item)
    _out.print(f"Added {escape(label)!s} at {when:.6f}.")


@annotate_app.command(help="Change an annotation (by its number in `list`).")
def edit(
    ctx: typer.Context,
    index: Annotated[int, typer.Argument(help="Number shown by `gazeport annotate REC list`.")],
    label: Annotated[str | None, typer.Option(help="New label.")] = None,
    timestamp: Annotated[float | None, typer.Option(help="New Pupil time [s].")] = None,
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
    rec = _rec(ctx)
    when = None
    if timestamp is not None or frame is not None or seconds is not None:
        when = _when(rec, timestamp, frame, seconds)
    if label is not None:
        try:
            label = notes.validate_label(label)
        except ValueError as exc:
            raise _usage(exc, "'--label'") from None
    notes.edit_annotation(
        rec.path, index, label=label, timestamp=when, duration=duration,
        fields=_fields(field) or None, remove_fields=tuple(remove_field or ()),
    )  # fmt: skip
    _out.print(f"Changed annotation {index}.")


@annotate_app.command(help="Delete an annotation (by its number in `list`).")
def delete(
    ctx: typer.Context,
    index: Annotated[int, typer.Argument(help="Number shown by `gazeport annotate REC list`.")],
) -> None:
    notes.delete_annotation(_rec(ctx).path, index)
    _out.print(f"Deleted annotation {index}.")


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
    rec = _rec(ctx)
    changes: dict[str, str] = {}
    for item in set_ or []:
        label, sep, key = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r} is not LABEL=HOTKEY.", param_hint="'--set'")
        changes[label.strip()] = key.strip()
    if changes or remove:
        try:  # one locked read-modify-write, so concurrent edits are not lost
            defs = notes.update_definitions(rec.path, set_=changes, remove=remove or ())
        except KeyError as exc:
            raise typer.BadParameter(exc.args[0], param_hint="'--remove'") from None
        except ValueError as exc:
            raise _usage(exc) from None
    else:
        defs = notes.load_definitions(rec.path)
    for label, key in defs.items():
        _out.print(f"  {escape(key)}  {escape(label)}")
