"""``gazeport labels sample``: scene frames of one or many recordings become labelling tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..batch import discover
from ..errors import GazeportError
from ..labels import open_store
from ..labels.sampling import sample_frames
from .commands import _err, _out
from .labels import Db, labels_app

_MODE = "What to sample (exactly one)"


def _frame_list(text: str) -> list[int]:
    try:
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a list of frame indices such as 10,20,30.", param_hint="--frames"
        ) from None


@labels_app.command(
    help=(
        "Sample scene frames of recordings as draft tasks to label.\n\n"
        "Every N seconds or frames, one frame per fixation (its middle scene frame; Pupil "
        "Player's detector on Core recordings, the Companion's fixations on Neon), given "
        "frames, or the frames at events. Each task keeps the frame's gaze and fixation. Gray "
        "frames (gaps without video) are never sampled; a frame already in the store is "
        "skipped, so running the same command twice adds nothing."
    ),
    epilog=(
        "[bold]Examples[/]\n"
        "  gazeport labels sample --db study.sqlite ~/study -r --every-s 2\n"
        "  gazeport labels sample --db study.sqlite REC --per-fixation --min-duration-ms 300\n"
        '  gazeport labels sample --db study.sqlite REC --at-events "stim on"'
    ),
)
def sample(
    db: Db,
    recordings: Annotated[
        list[Path],
        typer.Argument(metavar="REC...", help="Recording folders (or, with -r, folders of them)."),
    ],
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Find recordings below each folder.")
    ] = False,
    every_s: Annotated[
        float | None, typer.Option(help="A frame every S seconds.", rich_help_panel=_MODE)
    ] = None,
    every_n: Annotated[
        int | None, typer.Option(help="Every N-th frame.", rich_help_panel=_MODE)
    ] = None,
    per_fixation: Annotated[
        bool, typer.Option(help="The middle frame of each fixation.", rich_help_panel=_MODE)
    ] = False,
    min_duration_ms: Annotated[
        float | None,
        typer.Option(help="With --per-fixation: only longer fixations.", rich_help_panel=_MODE),
    ] = None,
    frames: Annotated[
        str | None, typer.Option(help="Frame indices, e.g. 10,20,30.", rich_help_panel=_MODE)
    ] = None,
    at_events: Annotated[
        list[str] | None,
        typer.Option(
            help="The frame at each event of this name (repeat for more names).",
            rich_help_panel=_MODE,
        ),
    ] = None,
) -> None:
    """``gazeport labels sample``: sample, store, print a line per recording."""
    given = _frame_list(frames) if frames is not None else None
    modes = [
        every_s is not None,
        every_n is not None,
        per_fixation,
        given is not None,
        bool(at_events),
    ]
    if sum(modes) != 1:
        raise typer.BadParameter(
            "give exactly one of --every-s, --every-n, --per-fixation, --frames, --at-events."
        )
    if min_duration_ms is not None and not per_fixation:
        raise typer.BadParameter("--min-duration-ms goes with --per-fixation.")
    found = discover(recordings, recursive=recursive)
    if not found:
        raise GazeportError("No recordings were found there; check the paths or add -r.")
    failed = 0
    total_added = total_skipped = 0
    with open_store(db) as store:
        for rec, _root in found:
            try:
                candidates = sample_frames(
                    rec,
                    every_s=every_s,
                    every_n=every_n,
                    per_fixation=per_fixation,
                    min_duration_ms=min_duration_ms,
                    frames=given,
                    at_events=at_events,
                )
            except GazeportError as exc:
                if len(found) == 1:
                    raise
                failed += 1
                _err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
                continue
            added, skipped = store.add_tasks(candidates)
            total_added += added
            total_skipped += skipped
            note = f" ({skipped:,} already there)" if skipped else ""
            word = "task" if added == 1 else "tasks"
            _out.print(f"{escape(str(rec))}: {added:,} {word} added{note}", soft_wrap=True)
    if len(found) > 1:
        _out.print(
            f"[bold]{total_added:,}[/] tasks added from {len(found) - failed:,} "
            f"recording{'' if len(found) - failed == 1 else 's'}"
            + (f", {total_skipped:,} already there" if total_skipped else "")
            + (f"; {failed:,} failed" if failed else "")
        )
    if failed:
        raise typer.Exit(1)
