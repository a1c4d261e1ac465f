"""``gazeport info``: what a recording holds, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .. import _native
from .._version import __version__
from ..recording import Recording, open_recording
from .commands import _out, app


@app.command(
    help=(
        "Show what a recording holds: software, start times, world frames and streams.\n\n"
        "Stream times are seconds from the recording start (Pupil time). Nothing is written. "
        "For a Neon recording: app and data-format version, wearer, streams with their parts "
        "and gaps, scene and eye frames, and the manifest check."
    ),
    epilog=(
        "[bold]Examples[/]\n"
        "  gazeport info ~/recordings/2024_01_25/003\n"
        "  gazeport info ~/recordings/2024_01_25/003 --json | jq .world_frames.count\n"
        "  gazeport info --versions"
    ),
)
def info(
    recording: Annotated[
        Path | None,
        typer.Argument(
            metavar="REC",
            help="The recording folder (not needed with --versions).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (stable keys) and nothing else.")
    ] = False,
    show_versions: Annotated[
        bool,
        typer.Option(
            "--versions",
            help=(
                "Show gazeport's, Python's and the libraries' versions, and whether CSV text "
                "comes from the compiled extension or the pure Python/NumPy path."
            ),
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="With REC: also show gazeport's version and CSV formatting path.",
        ),
    ] = False,
) -> None:
    """``gazeport info``: the facts of one recording, as text or JSON."""
    if show_versions:
        _show_versions(as_json)
        return
    if recording is None:
        raise typer.BadParameter("give a recording folder, or --versions", param_hint="REC")
    rec = open_recording(recording)
    if not isinstance(rec, Recording):  # Neon or Cloud (their modules load only for them)
        from .info_neon import neon_facts, print_neon_facts

        facts, show = neon_facts(rec), print_neon_facts
    else:
        facts, show = _facts(rec), _print_facts
    if verbose:
        facts["gazeport"] = {"version": __version__, "csv_formatting": _native.describe()}
    if as_json:
        typer.echo(json.dumps(facts, indent=2, ensure_ascii=False, allow_nan=False))
        return
    show(facts)
    if verbose:
        _out.print(f"[dim]gazeport {__version__}; CSV formatting: {_native.describe()}[/]")


def _show_versions(as_json: bool) -> None:
    from .info_versions import version_lines, versions  # importlib.metadata: only here

    v = versions()
    if as_json:
        typer.echo(json.dumps(v, indent=2))
        return
    for label, text in version_lines(v):
        _out.print(f"  [bold]{label:<24}[/] {escape(text)}", soft_wrap=True)


def _facts(rec: Recording) -> dict[str, Any]:
    """Everything ``gazeport info`` shows, as JSON-ready values (the keys are stable)."""
    inf = rec.info
    start_pupil_s = rec.start_time_s
    table = rec.frame_table
    real = int(table.real_mask().sum())
    recorded = int(table.recorded_mask().sum())
    streams = [
        {
            "name": s.name,
            "count": s.count,
            "rate_hz": s.rate_hz,
            "first_s": s.first_s,
            "last_s": s.last_s,
            "first_rel_s": None if s.first_s is None else s.first_s - start_pupil_s,
            "last_rel_s": None if s.last_s is None else s.last_s - start_pupil_s,
            "source": s.source,
            "problem": s.problem,
        }
        for s in rec.stream_summaries()
    ]
    return {
        "path": str(rec.path),
        "kind": rec.kind.value,
        "recording_software_name": inf.recording_software_name,
        "recording_software_version": inf.recording_software_version,
        "recording_name": inf.recording_name,
        "recording_uuid": inf.recording_uuid,
        "meta_version": inf.meta_version,
        "min_player_version": inf.min_player_version,
        "info_file": inf.source_file,
        "inferred": list(inf.inferred),
        "duration_s": inf.duration_s,
        "start_time_system_s": inf.start_time_system_s,
        "start_utc": rec.start_datetime.isoformat(),
        "start_local": rec.start_datetime.astimezone().isoformat(),
        "start_time_synced_s": inf.start_time_synced_s,
        "start_pupil_time_s": start_pupil_s,
        "wall_clock_offset_s": rec.wall_clock_offset_s,
        "world_frames": {
            "count": len(table),
            "source": table.source,
            "real": real,
            "virtual": len(table) - real,
            "recorded": recorded,
            "gap_filled": len(table) - recorded,
            "frame_size": list(table.frame_size),
            "video_parts": [p.name for p in table.parts],
        },
        "streams": streams,
    }


def _seconds(value: float | None, digits: int = 3, sign: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _rate(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if value >= 1 else f"{value:.3f}"


def _print_facts(f: dict[str, Any]) -> None:
    frames = f["world_frames"]
    width, height = frames["frame_size"]
    rows = [
        ("kind", f"{f['kind']} ({f['info_file']}, meta {f['meta_version']})"),
        ("software", f"{f['recording_software_name']} {f['recording_software_version']}"),
        ("recording", f"{f['recording_name']}  (uuid {f['recording_uuid']})"),
        ("duration", f"{_seconds(f['duration_s'])} s"),
        ("start (UTC)", f["start_utc"]),
        ("start (local)", f["start_local"]),
        ("start (Pupil time)", f"{_seconds(f['start_pupil_time_s'], 6)} s"),
        (
            "wall-clock offset",
            f"{_seconds(f['wall_clock_offset_s'], 6)} s  (Unix time = Pupil time + offset)",
        ),
        (
            "world frames",
            (
                f"{frames['count']:,} from {frames['source']}: {frames['real']:,} with video, "
                f"{frames['virtual']:,} gray; {frames['gap_filled']:,} fill gaps; "
                f"{width}×{height} px"
            ),
        ),
        ("video parts", ", ".join(frames["video_parts"]) or "none"),
    ]
    if f["inferred"]:
        rows.append(("guessed", ", ".join(f["inferred"])))
    _out.print(f"[bold]{escape(f['path'])}[/]", soft_wrap=True)
    for key, value in rows:
        _out.print(f"  [bold]{key:<19}[/] {escape(str(value))}", soft_wrap=True)

    # No box and one space of padding: the table fits 80 columns (pipes, CI logs) unwrapped
    streams = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold underline")
    for header in ("stream", "count", "rate Hz", "first s", "last s", "source"):
        right = header in ("count", "rate Hz", "first s", "last s")
        streams.add_column(header, justify="right" if right else "left", no_wrap=True)
    for s in f["streams"]:
        streams.add_row(
            escape(s["name"]),
            f"{s['count']:,}",
            _rate(s["rate_hz"]),
            _seconds(s["first_rel_s"], sign=True),
            _seconds(s["last_rel_s"], sign=True),
            escape(s["source"]),
        )
    _out.print()
    _out.print(streams)
    _out.print("[dim]first s / last s: seconds from the recording start[/]")
    problems = [s for s in f["streams"] if s["problem"]]
    if problems:
        _out.print("[bold yellow]Problems[/]")
        for s in problems:
            _out.print(f"  {escape(s['name'])}: {escape(s['problem'])}", soft_wrap=True)
