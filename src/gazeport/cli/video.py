"""Video options shared by ``gazeport export`` and ``gazeport transcode``, and the transcode command."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from .commands import _QUIET, _out, app
from .progress import job_bars

if TYPE_CHECKING:  # the exporters and OpenCV load when a video is made, not for --help
    from ..analysis.fixations import FixationParams
    from ..exporters.video_options import VideoOptions

_VIDEO = "Video exporters (world-video, eye-video, transcode)"


class VideoCodec(str, enum.Enum):
    """Codecs of exported videos."""

    h264 = "h264"
    mpeg4 = "mpeg4"


def _codec_option() -> Any:
    return typer.Option(
        help="h264 plays in browsers; mpeg4 is what Pupil Player writes.", rich_help_panel=_VIDEO
    )


def _crf_option() -> Any:
    return typer.Option(
        min=0, max=51, help="H.264 quality: lower is better and larger.", rich_help_panel=_VIDEO
    )


def _video_options(
    codec: VideoCodec,
    crf: int,
    gaze_circle: bool,
    gaze_polyline: bool,
    gaze_cross: bool,
    fixation_ring: bool,
    eye_overlay: bool,
    gaze_color: str | None,
    gaze_radius: int,
    trail_s: float,
    audio: bool,
    pupil_overlay: bool,
    fixation_params: FixationParams,
) -> VideoOptions:
    """The video exporters' options from the command line (bad colours are usage errors)."""
    from ..exporters.video_options import VideoOptions
    from ..render import (
        CircleStyle,
        CrossStyle,
        EyeOverlayStyle,
        FixationStyle,
        OverlayConfig,
        PolylineStyle,
        parse_color,
    )

    circle = None
    if gaze_circle:
        try:
            color = CircleStyle().color
            if gaze_color is not None:
                color = parse_color(gaze_color, default_alpha=color[3])
            circle = CircleStyle(radius=gaze_radius, color=color)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--gaze-color'") from None
    overlay = OverlayConfig(
        circle=circle,
        polyline=PolylineStyle() if gaze_polyline else None,
        cross=CrossStyle() if gaze_cross else None,
        fixation=FixationStyle() if fixation_ring else None,
        eye=EyeOverlayStyle() if eye_overlay else None,
    )
    return VideoOptions(
        codec=codec.value,
        crf=crf,
        overlay=overlay,
        trail_s=trail_s,
        audio=audio,
        pupil_overlay=pupil_overlay,
        fixation_params=fixation_params,
    )


@app.command(
    help=(
        "Write browser-playable copies (H.264, yuv420p) of the recording's world and eye videos.\n\n"
        "The copies keep the true frame timing (pts from the frame timestamps, gaps as gray "
        "frames) and the audio, have no overlays, and go to REC/exports/NNN/transcoded/ with "
        "their timestamp files. The recording itself is never changed."
    ),
    epilog="[bold]Examples[/]\n  gazeport transcode ~/recordings/2024_01_25/003",
)
def transcode(
    recording: Annotated[
        Path, typer.Argument(metavar="REC", help="The recording folder.", show_default=False)
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", file_okay=False, help="Write into this folder (default: REC/exports/NNN)."
        ),
    ] = None,
    crf: Annotated[int, _crf_option()] = 20,
    audio: Annotated[
        bool, typer.Option(help="Keep the recording's audio.", rich_help_panel=_VIDEO)
    ] = True,
    quiet: Annotated[bool, _QUIET] = False,
) -> None:
    """``gazeport transcode``: the ``transcode`` exporter over the whole recording."""
    from ..exporters.video_options import VideoOptions
    from ..jobs import export_recording
    from ..recording import Recording

    rec = Recording(recording)
    with job_bars(quiet) as bars:
        result = export_recording(
            rec,
            exporters=("transcode",),
            out_dir=out,
            video=VideoOptions(crf=crf, audio=audio, overlay=None, pupil_overlay=False),
            listener=bars.listener,
        )
    _out.print(f"Export folder: {escape(str(result.export_dir))}", soft_wrap=True)
    for path in result.files:
        _out.print(f"  {escape(str(path.relative_to(result.export_dir)))}", soft_wrap=True)
    for name, why in result.skipped.items():
        _out.print(f"  skipped {escape(name)}: {escape(why)}", soft_wrap=True)
    for message in result.warnings:
        _out.print(f"  {escape(message)}", soft_wrap=True)
