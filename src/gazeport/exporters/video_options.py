"""The options of the world and eye video exporters, and what an export of one video wrote.

Kept apart from :mod:`.world_video` (which re-exports both), so that an export job, whose
options always carry the video options, does not load the video exporters, their decoder and
encoder modules unless it writes a video.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.fixations import FixationParams
from ..errors import ExportError
from ..render import OverlayConfig


@dataclass(frozen=True)
class VideoOptions:
    """Options of the world and eye video exporters.

    ``codec``: ``"h264"`` (browser-playable, default) or ``"mpeg4"`` (Player's choice);
    ``crf``/``preset``: H.264 quality and speed; ``overlay``: what to draw on world frames
    (``OverlayConfig()`` = Player's default gaze circle and polyline; ``None`` draws nothing);
    ``trail_s``: the polyline shows the gaze of this many seconds before each frame instead of
    only the frame's own gaze; ``audio``: add Capture's audio; ``pupil_overlay``: draw pupil
    ellipses on eye videos; ``fixation_params`` for the fixation ring.
    """

    codec: str = "h264"
    crf: int = 20
    preset: str = "veryfast"
    overlay: OverlayConfig | None = field(default_factory=OverlayConfig)
    trail_s: float = 0.0
    audio: bool = True
    pupil_overlay: bool = True
    fixation_params: FixationParams = field(default_factory=FixationParams)

    def validate(self) -> None:
        if self.codec not in ("h264", "mpeg4"):
            raise ExportError(f"Unknown video codec {self.codec!r}; choose h264 or mpeg4.")
        if not 0 <= self.crf <= 51:
            raise ExportError(f"The H.264 quality (crf) must lie between 0 and 51, not {self.crf}.")
        if not self.trail_s >= 0:
            raise ExportError(f"The gaze trail must be 0 s or longer, not {self.trail_s}.")


@dataclass
class VideoOutcome:
    """What a video export wrote: files, frames, and what the user should know."""

    files: list[Path] = field(default_factory=list)
    frames: int = 0
    gray_frames: int = 0  #: gap frames plus frames that could not be decoded
    messages: list[str] = field(default_factory=list)


__all__ = ["VideoOptions", "VideoOutcome"]
