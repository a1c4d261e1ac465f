"""``gazeport labels init|classes|tasks|box|status|import|stats``: the label store from the shell.

Each command opens the store named by ``--db``, calls one public function of
:mod:`gazeport.labels`, prints a rich table (or JSON with ``--json``) and closes it. Store errors
(missing, locked, damaged database; bad label or box) are gazeport errors: one line, exit 1.
Malformed option values (``--xywh 1,2``, ``--rename car``) are usage errors: exit 2.
``gazeport labels sample`` (sampling tasks from recordings) registers itself on ``labels_app``
from its own module.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table

from ..labels import STATUSES, LabelStore, TaskRecord, init_store, open_store
from .commands import _err, _out, app
from .help_text import App

labels_app = App(
    help=(
        "Bounding-box labels on scene frames, kept in one SQLite file (--db) next to the "
        "recordings: classes, tasks, boxes, review status, imported predictions, statistics."
    ),
    no_args_is_help=True,
    epilog=(
        "[bold]Examples[/]\n"
        "  gazeport labels init --db study.sqlite --classes car,person,sign\n"
        "  gazeport labels box --db study.sqlite 1 add --label car --xywh 100,200,150,100\n"
        "  gazeport labels status --db study.sqlite 1 finished --by ann"
    ),
)
app.add_typer(labels_app, name="labels")

Db = Annotated[
    Path,
    typer.Option(
        "--db", help="The label store file (SQLite), e.g. study.sqlite.", show_default=False
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _xywh(text: str, hint: str = "'--xywh'") -> tuple[float, float, float, float]:
    parts = text.split(",")
    try:
        if len(parts) != 4:
            raise ValueError
        x, y, w, h = (float(p) for p in parts)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not four numbers X,Y,W,H in pixels (e.g. 100,200,150,100).",
            param_hint=hint,
        ) from None
    return x, y, w, h


def _iso(ns: int) -> str:
    when = datetime.fromtimestamp(ns // 1_000_000_000, tz=timezone.utc)
    return f"{when:%Y-%m-%d %H:%M:%S}.{ns % 1_000_000_000 // 1_000_000:03d}"


def _json(value: Any) -> None:
    # written directly: rich's JSON rendering takes seconds for thousands of tasks
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


#: Above this many rows a table is printed as aligned plain text: rich lays out ~1 ms per row.
RICH_ROWS = 300


def _table(
    columns: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[str] = ()
) -> None:
    """Print rows of plain-text cells under ``columns`` (names in ``right`` right-aligned)."""
    if len(rows) <= RICH_ROWS:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for c in columns:
            table.add_column(c, justify="right" if c in right else "left", overflow="fold")
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))
        _out.print(table)
        return
    widths = [max(cell_len(r[i]) for r in [columns, *rows]) for i in range(len(columns))]

    def line(cells: Sequence[str]) -> str:
        out = []
        for c, w, name in zip(cells, widths, columns, strict=True):
            pad = " " * (w - cell_len(c))
            out.append(pad + c if name in right else c + pad)
        return " ".join(out).rstrip() + "\n"

    sys.stdout.write(line(columns) + "".join(line(r) for r in rows))


def _count(n: int, noun: str) -> str:
    """``1 box``, ``2 boxes``, ``3 tasks``."""
    if n == 1:
        return f"1 {noun}"
    return f"{n:,} {noun}{'es' if noun.endswith(('x', 's', 'ch')) else 's'}"


def _cell(v: Any) -> str:
    return "—" if v is None or v == "" else str(v)


# --- init, classes -----------------------------------------------------------------------------


@labels_app.command(help="Make a new label store with its classes (ids 1, 2, … in that order).")
def init(
    db: Db,
    classes: Annotated[
        str, typer.Option("--classes", help="Class names, comma-separated: car,person,sign.")
    ],
    name: Annotated[str | None, typer.Option("--name", help="Project name.")] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="Project description.")
    ] = None,
) -> None:
    names = _split(classes)
    if not names:
        raise typer.BadParameter("Name at least one class.", param_hint="'--classes'")
    with init_store(db, names, name=name, description=description) as store:
        project = store.project()
        _out.print(
            f"Made the label store {escape(str(db))} ({escape(project.name)}) with "
            f"{len(names)} classes: {escape(', '.join(names))}."
        )


@labels_app.command(
    help="Show the classes; add one (--add), rename one (--rename OLD=NEW) or merge classes "
    "into another (--merge A,B=TARGET: their boxes move, they are retired, ids never reused)."
)
def classes(
    db: Db,
    add: Annotated[str | None, typer.Option("--add", help="New class name.")] = None,
    hotkey: Annotated[str | None, typer.Option("--hotkey", help="Its hotkey (--add).")] = None,
    color: Annotated[
        str | None, typer.Option("--color", help="Its colour #rrggbb (--add).")
    ] = None,
    supercategory: Annotated[
        str | None, typer.Option("--supercategory", help="Its supercategory (--add).")
    ] = None,
    rename: Annotated[str | None, typer.Option("--rename", help="OLD=NEW.")] = None,
    merge: Annotated[str | None, typer.Option("--merge", help="SOURCE,SOURCE=TARGET.")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Also list retired (merged) classes.")
    ] = False,
    as_json: Json = False,
) -> None:
    if add is None and (hotkey or color or supercategory):
        raise typer.BadParameter("--hotkey, --color and --supercategory go with --add.")
    pairs = {}
    for opt, value in (("--rename", rename), ("--merge", merge)):
        if value is not None:
            left, sep, right = value.rpartition("=") if opt == "--merge" else value.partition("=")
            if not sep or not left.strip() or not right.strip():
                raise typer.BadParameter(f"{value!r} is not OLD=NEW.", param_hint=f"'{opt}'")
            pairs[opt] = (left, right)
    say = _err.print if as_json else _out.print  # stdout holds only the JSON
    with open_store(db) as store:
        if add is not None:
            c = store.add_class(add, hotkey=hotkey, color=color, supercategory=supercategory)
            say(f"Added class {c.id} {escape(c.name)}.")
        if "--rename" in pairs:
            old, new = pairs["--rename"]
            c = store.rename_class(old, new)
            say(f"Renamed class {c.id} to {escape(c.name)}.")
        if "--merge" in pairs:
            sources, target = pairs["--merge"]
            moved = store.merge_classes(_split(sources), target)
            say(f"Merged {escape(sources)} into {escape(target.strip())} ({moved} boxes moved).")
        records = store.classes(include_retired=all_)
    if as_json:
        _json([asdict(c) for c in records])
        return
    rows = [[str(c.id), c.name, _cell(c.hotkey), _cell(c.color), _cell(c.supercategory),
             _cell(c.merged_into)] for c in records]  # fmt: skip
    _table(["id", "name", "hotkey", "colour", "supercategory", "merged into"], rows, ["id"])


# --- tasks --------------------------------------------------------------------------------------


def task_json(t: TaskRecord) -> dict[str, Any]:
    """The ``labels tasks --json`` object of one task."""
    return {
        "id": t.id, "recording": t.recording, "recording_id": t.recording_id,
        "frame_index": t.frame_index, "timestamp_ns": t.timestamp_ns, "width": t.width,
        "height": t.height, "status": t.status, "split": t.split, "fixation_id": t.fixation_id,
        "gaze_samples": len(t.gaze),
        "boxes": [
            {"id": b.id, "label": b.label, "class_id": b.class_id, "x": b.x, "y": b.y, "w": b.w,
             "h": b.h, "confidence": b.confidence, "tags": list(b.tags), "source": b.source,
             "author": b.author, "gaze_hits": b.gaze_hits, "fixation_id": b.fixation_id}
            for b in t.boxes
        ],
    }  # fmt: skip


@labels_app.command(help="List the tasks (scene frames to label) with their boxes.")
def tasks(
    db: Db,
    status: Annotated[
        str | None, typer.Option("--status", help="Only these statuses: draft,finished,reviewed.")
    ] = None,
    recording: Annotated[
        str | None, typer.Option("--recording", help="Only recordings matching this glob.")
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="Only tasks with this class.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=0, help="At most this many.")] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many first.")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON list of tasks with their boxes.")
    ] = False,
) -> None:
    statuses = _split(status)
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise typer.BadParameter(
            f"{bad[0]!r} is not one of {', '.join(STATUSES)}.", param_hint="'--status'"
        )
    with open_store(db) as store:
        found = store.tasks(status=statuses or None, recording_glob=recording, label=label,
                            limit=limit, offset=offset)  # fmt: skip
    if as_json:
        _json([task_json(t) for t in found])
        return
    if not found:
        _out.print("No tasks.")
        return
    rows = [
        [str(t.id), t.recording, str(t.frame_index), _iso(t.timestamp_ns), t.status,
         f"{len(t.boxes)} {', '.join(sorted({b.label for b in t.boxes}))}".strip()]
        for t in found
    ]  # fmt: skip
    _table(["id", "recording", "frame", "time (UTC)", "status", "boxes"], rows, ["id", "frame"])


# --- box, status --------------------------------------------------------------------------------

box_app = App(help="Add, edit or delete a box on one task (pixels, top-left origin).")
labels_app.add_typer(box_app, name="box")


@box_app.callback()
def _box_task(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(metavar="TASK", help="The task id.", show_default=False)],
    db: Annotated[
        Path | None,
        typer.Option("--db", help="The label store file (SQLite).", show_default=False),
    ] = None,
) -> None:
    # checked by the subcommand, so that ``gazeport labels box --db x TASK add --help`` works
    ctx.obj = {"db": db, "task": task}


def _box_target(ctx: typer.Context) -> tuple[Path, int]:
    """The ``--db`` and ``TASK`` given to ``labels box``, checked."""
    if ctx.obj["db"] is None:
        raise typer.BadParameter("Give the label store with --db.", param_hint="'--db'")
    try:
        return ctx.obj["db"], int(ctx.obj["task"])
    except ValueError:
        raise typer.BadParameter(
            f"{ctx.obj['task']!r} is not a task id (a whole number).", param_hint="TASK"
        ) from None


def _print_box(verb: str, store: LabelStore, task_id: int, box_id: int) -> None:
    box = next(b for b in store.task(task_id).boxes if b.id == box_id)
    _out.print(
        f"{verb} box {box.id} ({escape(box.label)}) on task {task_id}: "
        f"{box.x:g},{box.y:g},{box.w:g},{box.h:g}; gaze hits {box.gaze_hits}."
    )


@box_app.command("add", help="Add a box: --label car --xywh X,Y,W,H in pixels, top-left origin.")
def box_add(
    ctx: typer.Context,
    label: Annotated[str, typer.Option("--label", help="Class name.")],
    xywh: Annotated[str, typer.Option("--xywh", help="X,Y,W,H [px], top-left origin.")],
    confidence: Annotated[float | None, typer.Option("--confidence", help="0 to 1.")] = None,
    tags: Annotated[str | None, typer.Option("--tags", help="Comma-separated tags.")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Who drew it.")] = None,
) -> None:
    x, y, w, h = _xywh(xywh)
    db, task_id = _box_target(ctx)
    with open_store(db) as store:
        box = store.add_box(task_id, label, x, y, w, h, confidence=confidence, tags=_split(tags),
                            author=author)  # fmt: skip
        _print_box("Added", store, task_id, box.id)


@box_app.command("edit", help="Change a box's class, geometry, tags or confidence.")
def box_edit(
    ctx: typer.Context,
    box: Annotated[int, typer.Argument(metavar="BOX", help="The box id.", show_default=False)],
    label: Annotated[str | None, typer.Option("--label", help="New class name.")] = None,
    xywh: Annotated[str | None, typer.Option("--xywh", help="New X,Y,W,H [px].")] = None,
    confidence: Annotated[float | None, typer.Option("--confidence", help="0 to 1.")] = None,
    tags: Annotated[str | None, typer.Option("--tags", help="New tags (empty: none).")] = None,
) -> None:
    geometry = None if xywh is None else _xywh(xywh)
    db, task_id = _box_target(ctx)
    with open_store(db) as store:
        store.edit_box(task_id, box, label=label, xywh=geometry,
                       tags=None if tags is None else _split(tags), confidence=confidence)  # fmt: skip
        _print_box("Changed", store, task_id, box)


@box_app.command("delete", help="Delete a box (its id is never reused).")
def box_delete(
    ctx: typer.Context,
    box: Annotated[int, typer.Argument(metavar="BOX", help="The box id.", show_default=False)],
) -> None:
    db, task_id = _box_target(ctx)
    with open_store(db) as store:
        store.delete_box(task_id, box)
    _out.print(f"Deleted box {box} of task {task_id}.")


@labels_app.command(help="Set a task's status (draft, finished, reviewed); kept in its history.")
def status(
    db: Db,
    task: Annotated[int, typer.Argument(metavar="TASK", help="The task id.", show_default=False)],
    new: Annotated[
        str,
        typer.Argument(metavar="STATUS", help="draft, finished or reviewed.", show_default=False),
    ],
    by: Annotated[str | None, typer.Option("--by", help="Who reviewed it.")] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="Why.")] = None,
) -> None:
    if new not in STATUSES:
        raise typer.BadParameter(
            f"{new!r} is not one of {', '.join(STATUSES)}.", param_hint="STATUS"
        )
    with open_store(db) as store:
        r = store.set_status(task, new, by=by, comment=comment)
    who = f" by {escape(r.who)}" if r.who else ""
    _out.print(f"Task {task}: {r.from_status} → {r.to_status}{who}.")


# --- import, stats ------------------------------------------------------------------------------


@labels_app.command("import", help="Import model predictions as boxes to review (source import).")
def import_(
    db: Db,
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PREDICTIONS", help="COCO JSON file or YOLO txt folder.", show_default=False
        ),
    ],
    format_: Annotated[str, typer.Option("--format", help="coco or yolo.")] = "coco",
    source: Annotated[
        str | None, typer.Option("--source", help="Name of the model (kept as the box author).")
    ] = None,
    as_json: Json = False,
) -> None:
    if format_ not in ("coco", "yolo"):
        raise typer.BadParameter(f"{format_!r} is not coco or yolo.", param_hint="'--format'")
    with open_store(db) as store:
        report = store.import_predictions(path, format=format_, source=source)
    if as_json:
        _json(asdict(report))
        return
    _out.print(f"Imported {_count(report.imported, 'box')} from {escape(str(path))}.")
    if report.unmatched_images:
        names = ", ".join(report.unmatched_names)
        what = "image" if report.unmatched_images == 1 else "images"
        _out.print(f"  {report.unmatched_images:,} {what} matched no task: {escape(names)}")
    for name, n in report.unknown_classes.items():
        _out.print(f"  {_count(n, 'box')} of unknown class {escape(name)} skipped")
    if report.invalid_boxes:
        _out.print(f"  {_count(report.invalid_boxes, 'malformed or zero-size box')} skipped")


@labels_app.command(help="Tasks and boxes per status, class and recording; box sizes; reviews.")
def stats(db: Db, as_json: Json = False) -> None:
    with open_store(db) as store:
        st = store.stats()
    if as_json:
        _json(st.to_dict())
        return
    totals = (
        f"{_count(st.tasks, 'task')}, {_count(st.boxes, 'box')}, "
        f"{_count(st.reviews, 'status change')}"
    )
    _out.print(f"[bold]{totals}[/]")
    counts = ("tasks", "boxes")
    rows = [[s, str(st.tasks_by_status[s]), str(st.boxes_by_status[s])] for s in STATUSES]
    _table(["status", *counts], rows, counts)
    rows = [[str(c["id"]), c["name"] + (" (retired)" if c["retired"] else ""), str(c["boxes"]),
             str(c["tasks"])] for c in st.by_class]  # fmt: skip
    _table(["id", "class", "boxes", "tasks"], rows, ["id", *counts])
    if st.by_recording:
        rows = [[r["recording"], str(r["tasks"]), str(r["boxes"]),
                 *(str(r["by_status"][s]) for s in STATUSES)] for r in st.by_recording]  # fmt: skip
        _table(["recording", *counts, *STATUSES], rows, [*counts, *STATUSES])
    if st.box_width_px is not None and st.box_height_px is not None:
        w, h = st.box_width_px, st.box_height_px
        _out.print(
            f"box width  px: min {w.min:g}, median {w.median:g}, max {w.max:g}\n"
            f"box height px: min {h.min:g}, median {h.median:g}, max {h.max:g}"
        )
    if st.reviews:
        days = ", ".join(f"{d}: {n}" for d, n in st.reviews_per_day.items())
        people = ", ".join(f"{escape(p)}: {n}" for p, n in st.reviews_per_reviewer.items())
        _out.print(f"status changes per day: {days}\nper reviewer: {people}")
