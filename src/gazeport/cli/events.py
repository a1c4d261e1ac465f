"""``gazeport fixations`` and ``gazeport blinks``: detect events and print a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ..analysis.blinks import BlinkParams
from ..analysis.fixations import FixationParams
from ..errors import GazeportError
from ..exporters.event_files import blink_summary, fixation_summary
from ..recording import Recording, open_recording
from .commands import _out, app
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

Rec = Annotated[
    Path, typer.Argument(metavar="REC", help="The recording folder.", show_default=False)
]
Json = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")]


def _print_summary(title: str, summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _out.print_json(json.dumps(summary))
        return
    count = summary["count"]
    _out.print(f"[bold]{escape(title)}[/]")
    _out.print(f"  count           {count:,}")
    if count and summary["world_frame_range"] is not None:
        left, right = summary["world_frame_range"]
        _out.print(
            f"  in export range {summary['count_in_world_frame_range']:,} of {count:,} fall "
            f"within world frames {left} – {right}, which is what gazeport export writes",
            soft_wrap=True,
        )
    mean = summary["mean_duration_ms"]
    _out.print(f"  mean duration   {'—' if mean is None else f'{mean:.1f} ms'}")
    rate = summary["rate_per_min"]
    _out.print(f"  rate            {'—' if rate is None else f'{rate:.1f} per minute'}")
    _out.print(f"  data span       {summary['data_span_s']:.1f} s")
    if summary.get("method"):
        _out.print(f"  method          {summary['method']}")


@app.command(
    help=(
        "Detect fixations like Pupil Player's offline detector and print a summary.\n\n"
        "Dispersion-duration detection on the gaze data (3D gaze points when every sample has "
        "one, else 2D gaze through the world camera intrinsics). Export them with "
        "[bold]gazeport export REC --only fixations[/]. On Neon recordings and Pupil Cloud "
        "downloads it summarises the fixations the Companion app recorded."
    ),
    epilog="[bold]Examples[/]\n  gazeport fixations REC\n  gazeport fixations REC --max-dispersion 1.0 --json",
)
def fixations(
    recording: Rec,
    max_dispersion: MaxDispersion = _FP.max_dispersion_deg,
    min_duration: MinDuration = _FP.min_duration_ms,
    max_duration: MaxDuration = _FP.max_duration_ms,
    gaze_confidence: GazeConfidence = _FP.min_confidence,
    as_json: Json = False,
) -> None:
    """``gazeport fixations``: count, mean duration and rate of the recording's fixations."""
    params = FixationParams(max_dispersion, min_duration, max_duration, gaze_confidence)
    check_detector_params(params)
    rec = open_recording(recording)
    if not isinstance(rec, Recording):  # Neon or Cloud: the Companion's own fixations
        from ..exporters.neon_event_summary import recorded_event_summary

        _print_summary("Fixations", recorded_event_summary(rec, "fixations"), as_json)
        return
    if rec.is_invisible:
        raise GazeportError(
            f"{rec.path} is a Pupil Invisible recording; like Pupil Player, gazeport does not "
            "detect fixations in them."
        )
    _print_summary("Fixations", fixation_summary(rec, params), as_json)


@app.command(
    help=(
        "Detect blinks like Pupil Player's offline blink detector and print a summary.\n\n"
        "Confidence-drop filter on the pooled 2D pupil confidence of both eyes (3D when there "
        "is no 2D data). Export them with [bold]gazeport export REC --only blinks[/]. On Neon "
        "recordings and Pupil Cloud downloads it summarises the blinks the Companion app recorded."
    ),
    epilog="[bold]Examples[/]\n  gazeport blinks REC\n  gazeport blinks REC --onset-threshold 0.4 --json",
)
def blinks(
    recording: Rec,
    history_length: HistoryLength = _BP.history_length_s,
    onset_threshold: OnsetThreshold = _BP.onset_confidence_threshold,
    offset_threshold: OffsetThreshold = _BP.offset_confidence_threshold,
    as_json: Json = False,
) -> None:
    """``gazeport blinks``: count, mean duration and rate of the recording's blinks."""
    params = BlinkParams(history_length, onset_threshold, offset_threshold)
    check_detector_params(params)
    rec = open_recording(recording)
    if not isinstance(rec, Recording):  # Neon or Cloud: the Companion's own blinks
        from ..exporters.neon_event_summary import recorded_event_summary

        _print_summary("Blinks", recorded_event_summary(rec, "blinks"), as_json)
        return
    _print_summary("Blinks", blink_summary(rec, params), as_json)
