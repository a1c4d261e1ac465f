"""Eye Video Exporter: ``eye0.mp4`` / ``eye1.mp4`` of the export range, as Pupil Player writes them.

Range (spec 10.3): ``window = (t_world[left], t_world[right])``; the eye frames exported are
``from <= index < to`` with ``(from, to) = find_closest(eye_ts, window)``, and the video's pts
count from ``t_world[left]``. With ``pupil_overlay`` the 2D and 3D pupil datums whose timestamp
equals the frame's are drawn: the 2D ellipse, the 3D ellipse and, when the eye model's
confidence is at least 0.6, the eyeball outline.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..errors import GazeportWarning, StreamNotFoundError
from ..recording import Recording
from ..render import EYE_MODEL_STYLE, PUPIL_2D_STYLE, PUPIL_3D_STYLE, draw_pupil_ellipse
from ..timeseries import find_closest
from ..video.writer import VideoWriter, timestamp_paths
from .world_video import PROGRESS_EVERY, Progress, VideoOptions, VideoOutcome, nominal_rate

#: Eye models less confident than this are not drawn (Player's threshold for a good model).
MODEL_CONFIDENCE_MIN = 0.6
_PUPIL_FIELDS = (
    "timestamp", "eye_id", "confidence", "ellipse_center_x", "ellipse_center_y",
    "ellipse_axis_a", "ellipse_axis_b", "ellipse_angle", "diameter_3d", "model_confidence",
    "projected_sphere_center_x", "projected_sphere_center_y", "projected_sphere_axis_a",
    "projected_sphere_axis_b", "projected_sphere_angle",
)  # fmt: skip


def eye_frame_range(
    world_ts: np.ndarray, frame_range: tuple[int, int], eye_ts: np.ndarray
) -> tuple[int, int]:
    """Half-open eye frame range ``[from, to)`` for world frames ``left … right`` (Player's rule)."""
    left, right = frame_range
    window = np.array([world_ts[left], world_ts[right]])
    first, stop = find_closest(eye_ts, window)
    return int(first), int(stop)


class _Pupils:
    """Pupil datums of one eye, found by exact timestamp."""

    def __init__(self, rec: Recording, eye: int) -> None:
        self.ts = np.empty(0)
        self.cols: dict[str, np.ndarray] = {}
        if not rec.has_stream("pupil"):
            return
        cols = rec.columns("pupil", _PUPIL_FIELDS)
        keep = cols["eye_id"] == eye
        self.cols = {name: np.asarray(values)[keep] for name, values in cols.items()}
        self.ts = self.cols["timestamp"]

    def draw(self, image: np.ndarray, t: float) -> bool:
        """Draw every datum stamped exactly ``t``; ``False`` if there was none."""
        a = int(np.searchsorted(self.ts, t, "left"))
        b = int(np.searchsorted(self.ts, t, "right"))
        c = self.cols
        for i in range(a, b):
            if not c["confidence"][i] > 0:
                continue
            three_d = bool(np.isfinite(c["diameter_3d"][i]))
            center = (c["ellipse_center_x"][i], c["ellipse_center_y"][i])
            axes = (c["ellipse_axis_a"][i], c["ellipse_axis_b"][i])
            style = PUPIL_3D_STYLE if three_d else PUPIL_2D_STYLE
            draw_pupil_ellipse(image, center, axes, c["ellipse_angle"][i], style)
            if three_d and c["model_confidence"][i] >= MODEL_CONFIDENCE_MIN:
                draw_pupil_ellipse(
                    image,
                    (c["projected_sphere_center_x"][i], c["projected_sphere_center_y"][i]),
                    (c["projected_sphere_axis_a"][i], c["projected_sphere_axis_b"][i]),
                    c["projected_sphere_angle"][i],
                    EYE_MODEL_STYLE,
                )
        return b > a


def export_eye_video(
    rec: Recording,
    eye: int,
    frame_range: tuple[int, int],
    path: Path,
    options: VideoOptions,
    progress: Progress,
) -> VideoOutcome | None:
    """Write ``eye<eye>.mp4`` (+ timestamp files) for the world frame range, or return ``None``
    when the recording has no decodable video of that eye (Player skips it silently)."""
    options.validate()
    world_ts = rec.world_timestamps
    try:
        reader = rec.open_video(f"eye{eye}")
    except StreamNotFoundError:
        return None
    outcome = VideoOutcome()
    with reader:
        if not (reader.rows["container_idx"] >= 0).any():
            return None
        eye_ts = np.asarray(reader.rows["timestamp"], dtype=np.float64)
        first, stop = eye_frame_range(world_ts, frame_range, eye_ts)
        n = stop - first
        if n <= 0:
            outcome.messages.append(f"no eye{eye} frames fall into the export range")
            return outcome
        pupils = _Pupils(rec, eye) if options.pupil_overlay else None
        missing = 0
        width, height = reader.frame_size
        with VideoWriter(
            path,
            width=width,
            height=height,
            start_time=float(world_ts[frame_range[0]]),
            codec="mpeg4" if options.codec == "mpeg4" else "h264",
            frame_rate=nominal_rate(eye_ts),
            crf=options.crf,
            preset=options.preset,
        ) as writer:
            progress(0.0, f"eye{eye}: 0 of {n:,} frames")
            for k, frame in enumerate(reader.frames(first, stop)):
                if pupils is not None and not frame.virtual:
                    missing += not pupils.draw(frame.image, frame.timestamp)
                if writer.write(frame.image, frame.timestamp):
                    outcome.frames += 1
                    outcome.gray_frames += int(frame.virtual)
                if (k + 1) % PROGRESS_EVERY == 0 or k + 1 == n:
                    progress((k + 1) / n, f"eye{eye}: {k + 1:,} of {n:,} frames")
        summary = reader.failure_summary()
    if summary:
        message = f"{rec.path.name} eye{eye} video: {summary}"
        warnings.warn(message, GazeportWarning, stacklevel=2)
        outcome.messages.append(message)
    if pupils is not None and missing:
        outcome.messages.append(
            f"{missing} of {n} eye{eye} frames have no pupil datum with their timestamp, so no "
            "pupil was drawn on them"
        )
    outcome.files = [path, *timestamp_paths(path)]
    return outcome
