"""``gazeport export``: one recording or a batch, with live progress."""

from __future__ import annotations

import contextlib
import enum
import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from ..analysis.blinks import BlinkParams
from ..analysis.fixations import FixationParams
from ..errors import GazeportError
from ..exporters.dialects import DIALECT_NAMES
from ..jobs import DEFAULT_EXPORTERS, EXPORTERS, ExportResult, Job, export_recording
from ..recording import open_recording
from .commands import _QUIET, _err, _out, app
from .detector_options import (
    _BP,
    _FP,
    GazeConfidence,
    HistoryLength,
    MaxDispersion,
    MaxDuration,
    MinDuration,
    OffsetThreshold,
    OnsetThreshold,
    check_detector_params,
)
from .progress import batch_bars, job_bars, task_summary
from .video import _VIDEO, VideoCodec, _codec_option, _crf_option, _video_options

if TYPE_CHECKING:
    from rich.table import Table

    from ..batch import BatchItem


def _exporters(only: str | None, skip: str | None, with_: str | None = None) -> tuple[str, ...]:
    """The exporters to run from ``--only``/``--skip``/``--with`` (comma-separated names).

    Without options the default exporters run; ``--with`` adds to them (e.g. video exporters,
    which run only when asked), ``--skip`` removes from them, ``--only`` names them all.
    """

    def names(text: str, option: str) -> list[str]:
        items = [n.strip() for n in text.split(",") if n.strip()]
        bad = [n for n in items if n not in EXPORTERS]
        if bad or not items:
            raise typer.BadParameter(
                f"unknown exporter {', '.join(bad) or repr(text)}; choose from {', '.join(EXPORTERS)}.",
                param_hint=option,
            )
        return items

    if only is not None and (skip is not None or with_ is not None):
        raise typer.BadParameter(
            "use --only alone, or --skip and --with.", param_hint="'--only/--skip/--with'"
        )
    if only is not None:
        chosen = names(only, "'--only'")
        return tuple(n for n in EXPORTERS if n in chosen)
    added = names(with_, "'--with'") if with_ is not None else []
    base = [n for n in EXPORTERS if n in DEFAULT_EXPORTERS or n in added]
    if skip is not None:
        dropped = names(skip, "'--skip'")
        base = [n for n in base if n not in dropped]
        if not base:
            raise typer.BadParameter("--skip leaves nothing to export.", param_hint="'--skip'")
    return tuple(base)


# --- export ---------------------------------------------------------------------------------------


Dialect = enum.Enum("Dialect", {name.replace("-", "_"): name for name in DIALECT_NAMES}, type=str)  # type: ignore[misc]


class ExportFormat(str, enum.Enum):
    """The raw data formats :func:`gazeport.jobs.export_recording` writes (``jobs.FORMATS``)."""

    csv = "csv"
    parquet = "parquet"


@app.command(
    help=(
        "Export a recording like its own player does: Pupil Player's files for Pupil Core, "
        "Mobile and Invisible recordings, Neon Player v6's for Neon recordings.\n\n"
        "Core: export_info.csv, pupil_positions and gaze_positions (CSV or Parquet) with "
        "pupil_gaze_positions_info.txt, annotations.csv, fixations.csv with "
        "fixation_report.csv and blinks.csv with blink_detection_report.csv. Neon: gaze.csv, "
        "fixations.csv, saccades.csv, blinks.csv, events.csv, imu.csv, 3d_eye_states.csv, "
        "world_timestamps.csv, info.json, calibration.json and export_info.csv; --dialect cloud "
        "writes Pupil Cloud's Timeseries files instead. Everything goes into a new "
        "REC/exports/NNN folder. Choose exporters with --only, --skip or --with (raw, "
        "annotations, fixations, blinks, online-events, and the video exporters). Give the "
        "range in world frames, in seconds or (Neon) as events, in one way only; without a "
        "range the whole recording is exported. The recording itself is never changed."
    ),
    epilog=(
        "[bold]Examples[/]\n"
        "  gazeport export ~/recordings/2024_01_25/003\n"
        "  gazeport export ~/recordings/2024_01_25/003 --start-s 10 --end-s 20\n"
        "  gazeport export REC --only raw --format parquet --min-confidence 0.6\n"
        "  gazeport export REC --skip blinks --max-dispersion 1.0 --min-duration 100\n"
        "  gazeport export NEON_REC --from-event stim.on --to-event stim.off\n"
        "  gazeport export NEON_REC --dialect cloud"
    ),
)
def export(
    recordings: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            help="Recording folders (or, with --recursive, folders that contain recordings).",
            show_default=False,
        ),
    ],
    start_frame: Annotated[
        int | None, typer.Option(min=0, help="First world frame to export (inclusive).")
    ] = None,
    end_frame: Annotated[
        int | None,
        typer.Option(min=0, help="Last world frame to export, inclusive (default: the last)."),
    ] = None,
    start_s: Annotated[
        float | None, typer.Option(min=0.0, help="Start, in seconds after the first world frame.")
    ] = None,
    end_s: Annotated[
        float | None, typer.Option(min=0.0, help="End, in seconds after the first world frame.")
    ] = None,
    from_event: Annotated[
        str | None,
        typer.Option(help="Neon: start at the first event of this name (as a Cloud section)."),
    ] = None,
    to_event: Annotated[
        str | None,
        typer.Option(help="Neon: end at the first event of this name after the start."),
    ] = None,
    dialect: Annotated[
        Dialect | None,
        typer.Option(
            help="Files to write: pupil-player, neon-player or cloud "
            "(default: the recording's own tool's, neon-player for Neon)."
        ),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(help=f"Run only these exporters ({', '.join(EXPORTERS)})."),
    ] = None,
    skip: Annotated[str | None, typer.Option(help="Run the default exporters but these.")] = None,
    with_: Annotated[
        str | None,
        typer.Option(
            "--with",
            help="Run these exporters too (the defaults are: "
            + ", ".join(DEFAULT_EXPORTERS)
            + ").",
        ),
    ] = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="File format of the raw data.")
    ] = ExportFormat.csv,
    min_confidence: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Leave out raw data rows with a lower confidence."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", file_okay=False, help="Write into this folder (default: REC/exports/NNN)."
        ),
    ] = None,
    no_field_info: Annotated[
        bool, typer.Option("--no-field-info", help="Do not write pupil_gaze_positions_info.txt.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help=(
                "Workers that build CSV text: threads with the compiled formatter, processes "
                "without it (default: one per CPU for large recordings)."
            ),
        ),
    ] = None,
    max_dispersion: MaxDispersion = _FP.max_dispersion_deg,
    min_duration: MinDuration = _FP.min_duration_ms,
    max_duration: MaxDuration = _FP.max_duration_ms,
    gaze_confidence: GazeConfidence = _FP.min_confidence,
    history_length: HistoryLength = _BP.history_length_s,
    onset_threshold: OnsetThreshold = _BP.onset_confidence_threshold,
    offset_threshold: OffsetThreshold = _BP.offset_confidence_threshold,
    online_events: Annotated[
        bool,
        typer.Option(
            "--online-events",
            help="Also export Capture's recorded fixations and blinks (Player ignores them).",
        ),
    ] = False,
    recursive: Annotated[
        bool,
        typer.Option("--recursive", "-r", help="Export every recording below the given folders."),
    ] = False,
    jobs: Annotated[
        int, typer.Option(min=1, help="Recordings exported at the same time (processes).")
    ] = 1,
    out_root: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="Batch: mirror every export into this folder tree."),
    ] = None,
    report: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Batch: write a CSV line per recording.")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Batch: run on this Dask scheduler (tcp://host:port); needs gazeport[dask]."
        ),
    ] = None,
    dask: Annotated[
        bool, typer.Option("--dask", help="Batch: run on a local Dask cluster with --jobs workers.")
    ] = False,
    codec: Annotated[VideoCodec, _codec_option()] = VideoCodec.h264,
    crf: Annotated[int, _crf_option()] = 20,
    gaze_circle: Annotated[
        bool,
        typer.Option(help="Draw the gaze circle (Player's default).", rich_help_panel=_VIDEO),
    ] = True,
    gaze_polyline: Annotated[
        bool,
        typer.Option(help="Draw the gaze polyline (Player's default).", rich_help_panel=_VIDEO),
    ] = True,
    gaze_cross: Annotated[
        bool, typer.Option(help="Draw a cross at the gaze.", rich_help_panel=_VIDEO)
    ] = False,
    fixation_ring: Annotated[
        bool,
        typer.Option(help="Draw the current fixation with its id.", rich_help_panel=_VIDEO),
    ] = False,
    eye_overlay: Annotated[
        bool,
        typer.Option(
            help="Show both eye videos as pictures in the picture.", rich_help_panel=_VIDEO
        ),
    ] = False,
    gaze_color: Annotated[
        str | None,
        typer.Option(
            help="Gaze circle colour: #rrggbb[aa], r,g,b[,a], a name, or name@alpha.",
            rich_help_panel=_VIDEO,
        ),
    ] = None,
    gaze_radius: Annotated[
        int, typer.Option(min=1, max=500, help="Gaze circle radius [px].", rich_help_panel=_VIDEO)
    ] = 20,
    trail_s: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=10.0,
            help="Gaze polyline trail length [s] (0: the frame's own gaze).",
            rich_help_panel=_VIDEO,
        ),
    ] = 0.0,
    audio: Annotated[
        bool, typer.Option(help="Add the recording's audio to world.mp4.", rich_help_panel=_VIDEO)
    ] = True,
    pupil_overlay: Annotated[
        bool, typer.Option(help="Draw pupil ellipses on eye videos.", rich_help_panel=_VIDEO)
    ] = True,
    quiet: Annotated[bool, _QUIET] = False,
) -> None:
    """``gazeport export``: run :func:`gazeport.jobs.export_recording` for one recording, or
    :func:`gazeport.batch.export_many` for several, and report what was written."""
    if (start_frame is not None or end_frame is not None) and (
        start_s is not None or end_s is not None
    ):
        raise typer.BadParameter(
            "give the range either in frames or in seconds, not both.",
            param_hint="'--start-frame/--end-frame' and '--start-s/--end-s'",
        )
    exporters = _exporters(only, skip, with_)
    fixation_params = FixationParams(max_dispersion, min_duration, max_duration, gaze_confidence)
    blink_params = BlinkParams(history_length, onset_threshold, offset_threshold)
    check_detector_params(fixation_params, blink_params)
    options: dict[str, Any] = {
        "exporters": exporters,
        "start_frame": start_frame,
        "end_frame": end_frame,
        "start_s": start_s,
        "end_s": end_s,
        "from_event": from_event,
        "to_event": to_event,
        "dialect": None if dialect is None else dialect.value,
        "fmt": fmt.value,
        "min_confidence": min_confidence,
        "field_info": not no_field_info,
        "fixation_params": fixation_params,
        "blink_params": blink_params,
        "online_events": online_events,
        "video": _video_options(
            codec,
            crf,
            gaze_circle,
            gaze_polyline,
            gaze_cross,
            fixation_ring,
            eye_overlay,
            gaze_color,
            gaze_radius,
            trail_s,
            audio,
            pupil_overlay,
            fixation_params,
        ),
    }
    if scheduler is not None and dask:
        raise typer.BadParameter("use --dask or --scheduler, not both.", param_hint="'--dask'")
    if dask:
        scheduler = "local"
    if len(recordings) > 1 or recursive or out_root or report or scheduler:
        if out is not None:
            raise typer.BadParameter("use --out-root for several recordings.", param_hint="'--out'")
        _batch(
            recordings,
            recursive,
            jobs,
            out_root,
            report,
            quiet,
            {**options, "scheduler": scheduler},
        )
        return
    rec = open_recording(recordings[0])
    with job_bars(quiet) as bars:
        try:
            result = export_recording(
                rec,
                exporters=exporters,
                out_dir=out,
                start_frame=start_frame,
                end_frame=end_frame,
                start_s=start_s,
                end_s=end_s,
                from_event=from_event,
                to_event=to_event,
                dialect=options["dialect"],
                fmt=fmt.value,
                min_confidence=min_confidence,
                field_info=not no_field_info,
                fixation_params=options["fixation_params"],
                blink_params=options["blink_params"],
                online_events=online_events,
                video=options["video"],
                listener=bars.listener,
                workers=workers,
            )
        except KeyboardInterrupt:  # Ctrl+C, SIGTERM or SIGHUP
            with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
                _report_unfinished(bars.last_job, interrupted=True)
            raise
        except Exception:  # ours or not: say which tasks kept their files
            _report_unfinished(bars.last_job, interrupted=False)
            raise
    _print_export(result)


def _batch(
    paths: list[Path],
    recursive: bool,
    jobs: int,
    out_root: Path | None,
    report: Path | None,
    quiet: bool,
    options: dict[str, Any],
) -> None:
    """Export several recordings, print a summary table, exit 1 if any is not ok."""
    from ..batch import discover, export_many, write_report  # not for one recording

    found = discover(paths, recursive)
    if not found:
        raise GazeportError(
            f"No recordings found in {', '.join(str(p) for p in paths)}"
            + ("" if recursive else "; use --recursive to search below folders")
            + "."
        )
    with batch_bars(quiet, [rec for rec, _ in found]) as bars:
        items = export_many(
            found,
            jobs=jobs,
            out_root=out_root,
            on_done=bars.done,
            on_progress=bars.update,
            **options,
        )
    _print_summary(items)
    _print_batch_notes(items)
    failed = [i for i in items if i.status != "ok"]
    if report is not None:
        write_report(items, report)
        _out.print(f"Report: {escape(str(report))}", soft_wrap=True)
    _out.print(f"{len(items) - len(failed)} of {len(items)} recordings exported.")
    if failed:
        raise typer.Exit(1)


#: How each status of a batch item is shown.
_STATUS_STYLES = {"ok": "green", "failed": "red", "unsupported": "yellow", "cancelled": "yellow"}
_COLUMNS = ("recording", "status", "rows", "seconds", "output")
#: Narrowest the recording and output columns may get in a terminal before the summary is
#: printed as one block per recording instead [characters].
_MIN_FOLDED_WIDTH = 12
#: Line width of the summary when stdout is no terminal: wide enough for any row.
_UNBOUNDED_WIDTH = 100_000


def _summary_cells(items: list[BatchItem]) -> list[tuple[str, str, str, str, str]]:
    """recording, status, rows, seconds and output (export folder or reason) as plain text."""
    return [
        (
            str(item.recording),
            item.status,
            f"{item.total_rows:,}",
            f"{item.seconds:.2f}",
            item.error or str(item.export_dir or ""),
        )
        for item in items
    ]


def _summary_table(items: list[BatchItem]) -> Table:
    """One row per recording; paths and errors fold onto more lines, never cut short."""
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in _COLUMNS:
        table.add_column(
            column,
            justify="right" if column in ("rows", "seconds") else "left",
            no_wrap=column not in ("recording", "output"),
            overflow="fold",
            min_width=len(column),
        )
    for recording, status, rows, seconds, output in _summary_cells(items):
        style = _STATUS_STYLES.get(status, "red")
        table.add_row(
            escape(recording), f"[{style}]{escape(status)}[/]", rows, seconds, escape(output)
        )
    return table


def _print_summary(items: list[BatchItem], console: Console | None = None) -> None:
    """The summary of a batch, whole: in a terminal a table whose paths and errors fold (or,
    where even that does not fit, a block per recording); elsewhere (a file, a pipe) a table
    with each row on one line."""
    console = console or _out
    if not console.is_terminal:
        wide = Console(file=io.StringIO(), width=_UNBOUNDED_WIDTH, color_system=None)
        with wide.capture() as captured:
            wide.print(_summary_table(items))
        for line in captured.get().splitlines():
            console.print(line.rstrip(), markup=False, soft_wrap=True)
        return
    cells = _summary_cells(items)
    fixed = sum(
        max([len(_COLUMNS[i]), *(len(row[i]) for row in cells)]) + 2 for i in (1, 2, 3)
    )  # status, rows, seconds and their padding
    if console.width >= fixed + 2 * (_MIN_FOLDED_WIDTH + 2):
        console.print(_summary_table(items))
        return
    for recording, status, rows, seconds, output in cells:
        style = _STATUS_STYLES.get(status, "red")
        console.print(escape(recording), soft_wrap=True)
        console.print(
            f"  [{style}]{escape(status)}[/]  {rows} rows  {seconds} s  {escape(output)}",
            soft_wrap=True,
        )


def _print_batch_notes(items: list[BatchItem]) -> None:
    """The notes and warnings of each recording's export, under its path, each once."""
    noted = [item for item in items if item.warnings]
    if not noted:
        return
    _out.print("[bold]Notes[/]")
    for item in noted:
        _out.print(f"  {escape(str(item.recording))}", soft_wrap=True)
        for message in item.warnings:
            _out.print(f"    {escape(message)}", soft_wrap=True)


def _report_unfinished(job: Job | None, *, interrupted: bool) -> None:
    """After Ctrl+C, or a failure that left other tasks' files: how each task ended."""
    if job is None or not job.done:
        return
    if interrupted or any(t.files for t in job.tasks):
        _err.print(escape(task_summary(job)), soft_wrap=True)


def _units(count: int, unit: str) -> str:
    """``unit`` (plural: "rows", "blink events") for ``count`` items: "1 row", "1 blink event"."""
    if count != 1:
        return unit
    words = unit.split(" ")
    for i, word in enumerate(words):
        if word.endswith("s"):
            words[i] = word[:-1]
            break
    return " ".join(words)


def _print_export(result: ExportResult) -> None:
    """Where an export went, its files with what each holds, and what was skipped and why."""
    left, right = result.frame_range
    _out.print(f"Export folder:    {escape(str(result.export_dir))}", soft_wrap=True)
    _out.print(f"World frames:     {left} – {right}")
    _out.print("[bold]Files[/]")
    names = [path.relative_to(result.export_dir).as_posix() for path in result.files]
    width = max((len(name) for name in names), default=0)
    digits = max((len(f"{c.count:,}") for c in result.counts.values()), default=0)
    for name in names:
        line = f"  {escape(name):<{width}}"
        held = result.counts.get(name)
        if held is not None:
            line += f"  {held.count:>{digits},} {escape(_units(held.count, held.unit))}"
            if held.outside:
                line += (
                    f"; {held.outside:,} more outside world frames {left} – {right}, not written"
                )
        _out.print(line.rstrip(), soft_wrap=True)
    if result.skipped:
        _out.print("[bold]Skipped[/]")
        for name, why in result.skipped.items():
            _out.print(f"  {escape(name)}: {escape(why)}", soft_wrap=True)
    if result.warnings:
        _out.print("[bold]Notes[/]")
        for message in result.warnings:
            _out.print(f"  {escape(message)}", soft_wrap=True)
    _out.print(f"Done in {result.seconds:.2f} s.")
