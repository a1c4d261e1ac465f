"""The fixation and blink detector options shared by ``export``, ``fixations`` and ``blinks``.

Apart from :mod:`.commands` because the defaults come from the detectors (NumPy): only those
commands load them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..analysis.blinks import BlinkParams
from ..analysis.fixations import FixationParams

# Detector parameters, shared by export, fixations and blinks (defaults are Pupil Player's).
_FIX = "Fixation detector"
_BLINK = "Blink detector"
MaxDispersion = Annotated[
    float, typer.Option(help="Maximum dispersion [degrees].", rich_help_panel=_FIX)
]
MinDuration = Annotated[
    float, typer.Option(help="Minimum fixation duration [ms].", rich_help_panel=_FIX)
]
MaxDuration = Annotated[
    float, typer.Option(help="Maximum fixation duration [ms].", rich_help_panel=_FIX)
]
GazeConfidence = Annotated[
    float,
    typer.Option(
        "--gaze-confidence",
        help="Gaze with a confidence above this is used for fixations.",
        rich_help_panel=_FIX,
    ),
]
HistoryLength = Annotated[float, typer.Option(help="Filter length [s].", rich_help_panel=_BLINK)]
OnsetThreshold = Annotated[
    float, typer.Option(help="Onset confidence threshold.", rich_help_panel=_BLINK)
]
OffsetThreshold = Annotated[
    float, typer.Option(help="Offset confidence threshold.", rich_help_panel=_BLINK)
]
_FP, _BP = FixationParams(), BlinkParams()
#: The options above by the detector parameter they set, so errors speak the user's words.
DETECTOR_OPTIONS = {
    "max_dispersion_deg": "--max-dispersion", "min_duration_ms": "--min-duration",
    "max_duration_ms": "--max-duration", "min_confidence": "--gaze-confidence",
    "history_length_s": "--history-length", "onset_confidence_threshold": "--onset-threshold",
    "offset_confidence_threshold": "--offset-threshold",
}  # fmt: skip


def check_detector_params(*params: FixationParams | BlinkParams) -> None:
    """Raise a usage error (exit 2) naming the option of the first bad detector parameter."""
    for p in params:
        try:
            p.validate(names=DETECTOR_OPTIONS)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
