"""``gazeport dataset export``: the label store's tasks as a COCO, YOLO, VOC, CSV or JSON dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..datasets import (
    DatasetOptions,
    StoreExport,
    export_store,
    parse_category_map,
    parse_date,
    parse_frame_range,
    parse_size,
    parse_split,
)
from ..errors import GazeportError
from ..labels import STATUSES
from .commands import _QUIET, _err, _out, app
from .help_text import App
from .progress import progress_bars

dataset_app = App(
    help="Export labelled scene frames as an ML dataset (COCO, YOLO, Pascal VOC, CSV, JSON).",
    no_args_is_help=True,
)
app.add_typer(dataset_app, name="dataset")

_FILTERS = "Filters"
_SPLIT = "Splits"
_OUT = "Output"


def _usage(hint: str, exc: ValueError) -> typer.BadParameter:
    return typer.BadParameter(str(exc), param_hint=hint)


def _csv_list(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def _category_map(path: Path | None) -> dict[str, str | None]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise GazeportError(f"The category map {path} does not exist; check the path.") from None
    except (ValueError, UnicodeDecodeError):
        raise GazeportError(
            f"The category map {path} is not valid JSON; write it as an object such as "
            '{"sedan": "car", "truck": null}.'
        ) from None
    try:
        return parse_category_map(data, f"The category map {path}")
    except ValueError as exc:
        raise GazeportError(str(exc)) from None


#: What each reason the filters give for leaving something out means, as a count's noun.
_LEFT_OUT = {
    "task_status": ("task of another status", "tasks of another status"),
    "task_recording": ("task of another recording", "tasks of other recordings"),
    "task_frame_range": ("task outside the frame range", "tasks outside the frame range"),
    "task_date": ("task outside the dates", "tasks outside the dates"),
    "box_category_dropped": ("box of a dropped class", "boxes of dropped classes"),
    "box_label": ("box of another class", "boxes of other classes"),
    "box_confidence": ("box below --min-confidence", "boxes below --min-confidence"),
    "box_min_size": ("box smaller than --min-size", "boxes smaller than --min-size"),
    "box_no_gaze_hit": ("box without a gaze hit", "boxes without a gaze hit"),
    "task_image_size": ("task with a smaller frame", "tasks with smaller frames"),
    "image_failed": ("task without an image", "tasks without an image"),
}


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _print_report(result: StoreExport, options: DatasetOptions) -> None:
    report = result.report
    _out.print(
        f"[bold]{_n(report.tasks, 'image')}[/], [bold]{_n(report.boxes, 'box', 'boxes')}[/]"
        f" → {escape(str(report.out_dir))} ({options.format})",
        soft_wrap=True,
    )
    if report.splits:
        _out.print(
            "  splits   " + ", ".join(f"{k} {v:,}" for k, v in sorted(report.splits.items()))
        )
    if report.dropped:
        left = [
            _n(n, *_LEFT_OUT.get(reason, (reason.replace("_", " "),)))
            for reason, n in sorted(report.dropped.items())
        ]
        _out.print("  left out " + ", ".join(left), soft_wrap=True)
    if report.unchanged:
        _out.print("  nothing changed since the last export; the folder was left as it was")
    elif options.incremental:
        _out.print(
            f"  changes  {len(report.added):,} added, {len(report.changed):,} changed, "
            f"{len(report.removed):,} removed; {_n(report.images_written, 'image')} written, "
            f"{report.images_reused:,} kept"
        )
    notes = []
    if (
        len(options.split) > 1
        and len(report.splits) < len(options.split)
        and report.tasks
        and options.group_by == "recording"
    ):
        missing = ", ".join(s for s in options.split if s not in report.splits)
        notes.append(
            f"{missing} got no images: splits are made of whole recordings "
            "(--group-by recording), so add recordings or use --group-by none"
        )
    if report.clipped:
        notes.append(f"{_n(report.clipped, 'box', 'boxes')} reaching outside the image clipped")
    if report.dropped_zero_size:
        notes.append(f"{_n(report.dropped_zero_size, 'zero-size box', 'zero-size boxes')} dropped")
    notes += [str(p) for p in result.image_problems]
    for line in notes:
        _err.print(f"[yellow]note:[/] {escape(line)}", soft_wrap=True)


@dataset_app.command(
    "export",
    help=(
        "Export the label store's tasks as a dataset in one format.\n\n"
        "Images are decoded from the recordings' scene videos at each task's frame (in frame "
        "order, each video read once). The dataset is written into a temporary folder next to "
        "--out and swapped in when complete; with --incremental only new and changed tasks are "
        "written and ids and splits stay as they were."
    ),
    epilog=(
        "[bold]Examples[/]\n"
        "  gazeport dataset export --db study.sqlite --format yolo --out yolo/ "
        "--split train=70,val=20,test=10 --seed 1\n"
        "  gazeport dataset export --db study.sqlite --format coco --out coco/ --status reviewed\n"
        "  gazeport dataset export --db study.sqlite --format csv --out csv/ --no-images "
        "--coords normalized"
    ),
)
def export(
    db: Annotated[Path, typer.Option("--db", help="The label store (SQLite file).")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="coco, yolo, voc, csv or json.", metavar="FORMAT")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The dataset folder to write.")],
    no_images: Annotated[
        bool, typer.Option("--no-images", help="Write annotations only.", rich_help_panel=_OUT)
    ] = False,
    image_format: Annotated[
        str, typer.Option(help="jpg or png.", metavar="jpg|png", rich_help_panel=_OUT)
    ] = "jpg",
    absolute_paths: Annotated[
        bool,
        typer.Option(help="Absolute image paths (YOLO data.yaml).", rich_help_panel=_OUT),
    ] = False,
    category_map: Annotated[
        Path | None,
        typer.Option(
            help="A JSON object mapping class names to new names (rename, merge) or null (drop).",
            rich_help_panel=_OUT,
        ),
    ] = None,
    coords: Annotated[
        str,
        typer.Option(
            help="CSV only: absolute pixels or normalized 0..1.",
            metavar="absolute|normalized",
            rich_help_panel=_OUT,
        ),
    ] = "absolute",
    incremental: Annotated[
        bool,
        typer.Option(
            help="Update an earlier export: add, rewrite and remove only what changed.",
            rich_help_panel=_OUT,
        ),
    ] = False,
    status: Annotated[
        str | None,
        typer.Option(
            help="Task statuses to keep, e.g. reviewed,finished.", rich_help_panel=_FILTERS
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(help="Class names to keep, e.g. car,person.", rich_help_panel=_FILTERS),
    ] = None,
    date_from: Annotated[
        str | None,
        typer.Option(
            "--from", help="Tasks created on or after (ISO date).", rich_help_panel=_FILTERS
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        typer.Option("--to", help="Tasks created before (ISO date).", rich_help_panel=_FILTERS),
    ] = None,
    min_confidence: Annotated[
        float | None,
        typer.Option(help="Drop imported boxes below this confidence.", rich_help_panel=_FILTERS),
    ] = None,
    min_size: Annotated[
        str | None,
        typer.Option(
            help="Drop boxes smaller than WxH pixels, e.g. 8x8.",
            metavar="WxH",
            rich_help_panel=_FILTERS,
        ),
    ] = None,
    recording: Annotated[
        str | None,
        typer.Option(
            help="Recordings to keep (glob on the path in the store).", rich_help_panel=_FILTERS
        ),
    ] = None,
    frame_range: Annotated[
        str | None,
        typer.Option(
            help="Scene frames FIRST-LAST (inclusive), e.g. 100-500.",
            metavar="A-B",
            rich_help_panel=_FILTERS,
        ),
    ] = None,
    min_image_size: Annotated[
        str | None,
        typer.Option(
            help="Leave out frames smaller than WxH pixels.",
            metavar="WxH",
            rich_help_panel=_FILTERS,
        ),
    ] = None,
    gaze_hit_only: Annotated[
        bool,
        typer.Option(help="Keep only boxes the wearer looked at.", rich_help_panel=_FILTERS),
    ] = False,
    split: Annotated[
        str | None,
        typer.Option(help="Ratios, e.g. train=70,val=20,test=10.", rich_help_panel=_SPLIT),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split.", rich_help_panel=_SPLIT)] = 0,
    stratify: Annotated[
        bool, typer.Option(help="Balance classes across splits.", rich_help_panel=_SPLIT)
    ] = False,
    group_by: Annotated[
        str,
        typer.Option(
            help="Keep a recording's frames in one split (recording) or not (none).",
            metavar="recording|none",
            rich_help_panel=_SPLIT,
        ),
    ] = "recording",
    quiet: Annotated[bool, _QUIET] = False,
) -> None:
    """``gazeport dataset export``: parse the options, export, print what was written."""
    try:
        ratios = parse_split(split) if split else {"train": 1.0}
    except ValueError as exc:
        raise _usage("--split", exc) from None
    try:
        size = parse_size(min_size) if min_size else None
    except ValueError as exc:
        raise _usage("--min-size", exc) from None
    try:
        image_size = parse_size(min_image_size) if min_image_size else None
    except ValueError as exc:
        raise _usage("--min-image-size", exc) from None
    try:
        frames = parse_frame_range(frame_range) if frame_range else None
    except ValueError as exc:
        raise _usage("--frame-range", exc) from None
    try:
        since = parse_date(date_from, "--from") if date_from else None
        until = parse_date(date_to, "--to") if date_to else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    statuses = _csv_list(status)
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise typer.BadParameter(
            f"{', '.join(unknown)} is not a task status; use {', '.join(STATUSES)}.",
            param_hint="--status",
        )
    try:
        options = DatasetOptions(
            format=fmt.lower(),  # type: ignore[arg-type]
            include_images=not no_images,
            image_format=image_format.lower(),  # type: ignore[arg-type]
            absolute_paths=absolute_paths,
            category_map=_category_map(category_map),
            statuses=statuses,
            labels=_csv_list(label),
            date_from=since,
            date_to=until,
            min_confidence=min_confidence,
            min_size=size,
            recording_glob=recording,
            frame_range=frames,
            min_image_size=None if image_size is None else (int(image_size[0]), int(image_size[1])),
            gaze_hit_only=gaze_hit_only,
            split=ratios,
            seed=seed,
            stratify=stratify,
            group_by=group_by,  # type: ignore[arg-type]
            incremental=incremental,
            coords=coords,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        if isinstance(exc, GazeportError):
            raise
        raise typer.BadParameter(str(exc)) from None
    with progress_bars(quiet) as phase:
        bar = phase("images")
        result = export_store(
            db,
            out,
            options,
            progress=lambda done, total: bar(done / max(total, 1), f"{done:,}/{total:,}"),
        )
    _print_report(result, options)
