"""The exporters an export job can run, one task each.

Each exporter is a function ``run(ctx)`` that writes through ``ctx.staging`` (temporary names,
renamed when the task completes), reports progress with ``ctx.progress`` and records what had
nothing to export with ``ctx.skip``. ``kind`` is the concurrency class (the queue caps how many
tasks of a kind run at once) and ``weight`` its share of the job's progress bar.

An exporter imports what only it needs when it runs: a raw data export does not load the
annotation, event, table or video writers (the video ones alone take about 10 ms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExportCancelled, GazeportError
from ..exporters import raw_data
from ..exporters.dialects import TABLE_DIALECTS
from ..exporters.field_info import FIELD_INFO
from ..exporters.parallel import default_workers
from ..recording.window import ExportWindow
from .context import TaskContext

if TYPE_CHECKING:
    from ..exporters.event_files import EventFiles
    from ..exporters.video_options import VideoOptions, VideoOutcome

RAW_FILES = {"pupil": "pupil_positions", "gaze": "gaze_positions"}


@dataclass(frozen=True)
class ExporterTask:
    run: Callable[[TaskContext], None]
    kind: str = "data"
    weight: float = 1.0
    heading: str = ""


def _absent(ctx: TaskContext, name: str, header_only: bool) -> str:
    """Why stream ``name`` has no rows, and what was written instead."""
    problem = next((s.problem for s in ctx.core.stream_summaries() if s.name == name), None)
    why = (problem or f"the recording has no {name} data").rstrip(".")
    if not header_only:
        return why
    if ctx.options.fmt == "csv":
        return f"{why}; {RAW_FILES[name]}.csv holds only the header, as Pupil Player writes it"
    return f"{why}; {RAW_FILES[name]}.{ctx.options.fmt} has no rows"


def run_raw(ctx: TaskContext) -> None:
    """``pupil_positions`` and ``gaze_positions`` (+ the field description).

    Like Player, a stream without data gets a header-only file (gaze always, pupil unless the
    recording is a Pupil Invisible one). A stream whose files cannot be read fails alone
    (:meth:`TaskContext.fail_part`): the other stream is still written.
    """
    rec, window, opts = ctx.core, ctx.window, ctx.options
    present = [name for name in RAW_FILES if rec.has_stream(name)]
    written = [name for name in RAW_FILES if name in present or name in rec.raw_streams()]
    for name in RAW_FILES:
        if name not in present:
            ctx.skip(name, _absent(ctx, name, name in written))
    totals: dict[str, int] = {}
    for name in present:
        try:
            totals[name] = rec.count(name, window)
        except ExportCancelled:
            raise
        except GazeportError as exc:  # e.g. an unusable gaze_timestamps.npy
            ctx.fail_part(name, exc)
            written.remove(name)
    grand_total = max(sum(totals.values()), 1)
    done = 0

    def on_rows(n: int) -> None:
        nonlocal done
        done += n
        ctx.progress(min(done / grand_total, 1.0), f"{done:,} of {grand_total:,} rows")

    for name in written:
        target = ctx.staging.path(f"{RAW_FILES[name]}.{opts.fmt}")
        chunks = rec.iter_batches(name, window) if name in totals else iter(())
        try:
            rows = _write_raw(ctx, name, chunks, target, totals.get(name, 0), on_rows)
        except ExportCancelled:
            raise
        except GazeportError as exc:  # a damaged pldata file: this stream fails alone
            ctx.staging.forget(target)
            ctx.fail_part(name, exc)
            continue
        ctx.result.rows[name] = rows
        ctx.count(f"{RAW_FILES[name]}.{opts.fmt}", rows, "rows")
        shortfall = rec.stream_shortfall(name)
        if shortfall:
            ctx.warn(shortfall)
    if opts.field_info:
        ctx.staging.path("pupil_gaze_positions_info.txt").write_text(
            FIELD_INFO, encoding="utf-8", newline=""
        )


def _write_raw(
    ctx: TaskContext,
    name: str,
    chunks: Iterator[Any],
    target: Path,
    total: int,
    on_rows: Callable[[int], None],
) -> int:
    """Write one raw stream to its staged file; returns the rows written."""
    opts = ctx.options
    if opts.fmt != "csv":
        return raw_data.write_parquet(
            name, chunks, target, min_confidence=opts.min_confidence, on_rows=on_rows
        )
    n_workers = opts.workers or (default_workers() if total >= raw_data.PARALLEL_MIN_ROWS else 1)
    with target.open("wb") as out:
        return raw_data.write_csv(
            name,
            chunks,
            out,
            min_confidence=opts.min_confidence,
            on_rows=on_rows,
            workers=n_workers,
        )


def _write_files(ctx: TaskContext, files: dict[str, str]) -> None:
    for file_name, text in files.items():
        ctx.staging.path(file_name).write_text(text, encoding="utf-8", newline="")


def _write_events(ctx: TaskContext, name: str, found: EventFiles | str) -> None:
    """The events file and its report, each with the number of events it holds."""
    if isinstance(found, str):
        ctx.skip(name, found)
        return
    _write_files(ctx, found.files)
    events_file, report = found.files
    ctx.count(events_file, found.written, name, found.outside)
    ctx.count(report, found.written, f"{name} counted")


def run_annotations(ctx: TaskContext) -> None:
    from ..exporters.annotations_csv import annotations_csv
    from ..recording.annotations import load_annotations

    ctx.progress(0.0, "reading annotations")
    notes = load_annotations(ctx.core.path)
    text, count = annotations_csv(notes, ctx.core.world_timestamps, ctx.window)
    _write_files(ctx, {"annotations.csv": text})
    ctx.count("annotations.csv", count, "annotations", len(notes) - count)


def run_fixations(ctx: TaskContext) -> None:
    from ..exporters.event_files import fixation_files

    ctx.progress(0.0, "detecting fixations")
    found = fixation_files(ctx.core, ctx.window, ctx.options.fixation_params)
    _write_events(ctx, "fixations", found)


def run_blinks(ctx: TaskContext) -> None:
    from ..exporters.event_files import blink_files

    ctx.progress(0.0, "detecting blinks")
    _write_events(ctx, "blinks", blink_files(ctx.core, ctx.window, ctx.options.blink_params))


def run_online_events(ctx: TaskContext) -> None:
    """Capture's recorded fixations and blinks, when the recording has them."""
    from ..exporters.online_events import online_blinks_csv, online_fixations_csv

    for i, (name, build) in enumerate(
        (("fixations", online_fixations_csv), ("blinks", online_blinks_csv))
    ):
        ctx.progress(i / 2, f"online {name}")
        datums = ctx.core.datums(name)
        if not datums:
            ctx.skip(f"online {name}", f"the recording has no {name}.pldata from Capture")
            continue
        text, count = build(datums, ctx.core.world_timestamps, ctx.window)
        ctx.staging.path(f"online_{name}.csv").write_text(text, encoding="utf-8", newline="")
        # Capture repeats a fixation while it grows: one row per id, as the file has
        total = len({d.get("id") for d in datums}) if name == "fixations" else len(datums)
        unit = "fixations" if name == "fixations" else "blink events"
        ctx.count(f"online_{name}.csv", count, unit, total - count)


def _video_progress(ctx: TaskContext, share: float, offset: float) -> Callable[[float, str], None]:
    def progress(fraction: float, text: str) -> None:
        ctx.progress(offset + share * fraction, text)

    return progress


def _record_video(ctx: TaskContext, name: str, outcome: VideoOutcome | None, reason: str) -> None:
    if outcome is None:
        ctx.skip(name, reason)
        return
    for path in outcome.files:
        ctx.add_file(path)
        unit = "frames" if path.suffix == ".mp4" else "timestamps"
        ctx.count(path.relative_to(ctx.folder).as_posix(), outcome.frames, unit)
    if outcome.frames:
        ctx.result.frames[name] = outcome.frames
    elif not outcome.files:
        ctx.skip(name, "; ".join(outcome.messages) or reason)
    for message in outcome.messages:  # named after the video, unless it names it itself
        ctx.warn(message if f"{name}: " in message else f"{name}: {message}")


def _export_window(ctx: TaskContext) -> ExportWindow:
    return ExportWindow(ctx.frame_range, ctx.window, ctx.window_ns)


def _world_video(
    ctx: TaskContext, folder: str, options: VideoOptions, share: float, label: str
) -> None:
    from ..exporters.video_kinds import videos_for

    path = ctx.staging.final_path(f"{folder}world.mp4")
    progress = _video_progress(ctx, share, 0.0)
    outcome = videos_for(ctx.rec).world(ctx.rec, _export_window(ctx), path, options, progress)
    _record_video(ctx, f"{label}world video", outcome, "")
    if outcome is not None and not folder:
        _frame_times_without_tables(ctx)


def _frame_times_without_tables(ctx: TaskContext) -> None:
    """A table dialect's ``world_timestamps.csv`` belongs with its world video (Neon Player
    writes it with the video): when the job runs no ``tables`` task, the video task writes it."""
    dialect = TABLE_DIALECTS.get(ctx.dialect)
    if dialect is None or any(t.name == "tables" for t in ctx.result.tasks):
        return
    spec = next((s for s in dialect.tables if s.file == "world_timestamps.csv"), None)
    if spec is None or dialect.missing(ctx.rec, spec):
        return
    with ctx.staging.path(spec.file).open("wb") as out:
        count = spec.write(ctx.rec, ctx.window_ns, out)
    ctx.count(spec.file, count, spec.unit)


def _eye_videos(
    ctx: TaskContext, folder: str, options: VideoOptions, offset: float, label: str
) -> None:
    from ..exporters.video_kinds import videos_for

    eyes = videos_for(ctx.rec).eyes
    share = (1.0 - offset) / len(eyes)
    for i, eye in enumerate(eyes):
        path = ctx.staging.final_path(f"{folder}{eye.file}")
        progress = _video_progress(ctx, share, offset + share * i)
        outcome = eye.export(ctx.rec, _export_window(ctx), path, options, progress)
        _record_video(ctx, f"{label}{eye.label}", outcome, eye.absent)


def run_world_video(ctx: TaskContext) -> None:
    """``world.mp4`` with overlays, ``world_timestamps.npy`` and ``world_timestamps.csv``
    (Neon: on Neon Player's timeline; its ``world_timestamps.csv`` comes from the tables task,
    or from this one when the job runs no tables)."""
    _world_video(ctx, "", ctx.options.video, 1.0, "")


def run_eye_video(ctx: TaskContext) -> None:
    """``eye0.mp4`` and ``eye1.mp4`` (each with its timestamp files) when the eye video exists;
    Neon: ``eye.mp4`` and ``eye_timestamps.csv`` of the sensor module."""
    _eye_videos(ctx, "", ctx.options.video, 0.0, "")


def run_transcode(ctx: TaskContext) -> None:
    """Browser-playable H.264 copies of the world and eye videos in ``transcoded/``, without
    overlays; a recording without a decodable world video gets only its eye videos."""
    plain = replace(ctx.options.video, codec="h264", overlay=None, pupil_overlay=False)
    if ctx.core.frame_table.real_mask().any():
        _world_video(ctx, "transcoded/", plain, 0.5, "transcoded ")
    else:
        ctx.skip("transcoded world video", "the recording has no decodable world video")
    _eye_videos(ctx, "transcoded/", plain, 0.5, "transcoded ")


def run_tables(ctx: TaskContext) -> None:
    """Every table of the job's dialect (Neon Player v6, Pupil Cloud) whose streams the
    recording has; the others are skipped with the streams they lack. A table whose streams
    cannot be read fails alone (:meth:`TaskContext.fail_part`): the others are still written."""
    from ..exporters.tables import TableSkipped

    dialect = TABLE_DIALECTS[ctx.dialect]
    rec = dialect.source(ctx.rec, ctx.options)  # e.g. a Core recording in Neon's terms
    specs = dialect.tables
    for i, spec in enumerate(specs):
        ctx.progress(i / max(len(specs), 1), spec.file)
        missing = dialect.missing(rec, spec)
        if missing:
            ctx.skip(spec.file, f"the recording has no {' or '.join(missing)} data")
            continue
        tmp = ctx.staging.path(spec.file)
        try:
            with tmp.open("wb") as out:
                count = spec.write(rec, ctx.window_ns, out)
        except ExportCancelled:
            raise
        except TableSkipped as skipped:
            ctx.staging.forget(tmp)
            ctx.skip(spec.file, str(skipped))
            continue
        except GazeportError as exc:  # e.g. a damaged stream: this table fails, the rest goes on
            ctx.staging.forget(tmp)
            ctx.fail_part(spec.file, exc)
            continue
        finally:
            drop = getattr(rec, "drop_streams", None)  # one table's streams in memory at a time
            if drop is not None:
                drop()
        if spec.unit:
            ctx.count(spec.file, count, spec.unit)
            ctx.result.rows[spec.file.rsplit(".", 1)[0]] = count


#: Every exporter by name, in the order a job runs them.
EXPORTER_TASKS: dict[str, ExporterTask] = {
    "tables": ExporterTask(run_tables, weight=6.0, heading="Tables"),
    "raw": ExporterTask(run_raw, weight=6.0, heading="Raw data"),
    "annotations": ExporterTask(run_annotations, heading="Annotations"),
    "fixations": ExporterTask(run_fixations, heading="Fixations"),
    "blinks": ExporterTask(run_blinks, heading="Blinks"),
    "online-events": ExporterTask(run_online_events, heading="Online events"),
    "world-video": ExporterTask(run_world_video, kind="video", weight=20.0, heading="World video"),
    "eye-video": ExporterTask(run_eye_video, kind="video", weight=20.0, heading="Eye videos"),
    "transcode": ExporterTask(run_transcode, kind="video", weight=20.0, heading="Transcode"),
}
#: Exporter names ``gazeport export --only/--skip`` accepts.
EXPORTERS = tuple(EXPORTER_TASKS)
#: What ``gazeport export`` runs when no exporter is named.
DEFAULT_EXPORTERS = ("raw", "annotations", "fixations", "blinks")
#: The Pupil Player data exporters; a table dialect writes its own tables instead of them.
PLAYER_DATA_EXPORTERS = frozenset({"raw", "annotations", "fixations", "blinks", "online-events"})


def exporters_for(dialect: str, exporters: tuple[str, ...]) -> tuple[str, ...]:
    """The exporters a job in ``dialect`` runs for the requested ``exporters``: a table
    dialect runs ``tables`` in place of Pupil Player's data exporters (the video ones stay)."""
    if dialect not in TABLE_DIALECTS:
        return tuple(n for n in exporters if n != "tables")
    mapped = ["tables" if n in PLAYER_DATA_EXPORTERS else n for n in exporters]
    return tuple(dict.fromkeys(mapped))
