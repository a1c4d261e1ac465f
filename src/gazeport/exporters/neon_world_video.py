"""Neon Player v6's world video of a Neon recording: its timeline with its default gaze circle.

Frames are the world timeline's inside the export window (``start ≤ t ≤ stop``, the rows of
``world_timestamps.csv``): scene frames decoded from ``Neon Scene Camera v1 psN.mp4``, gray
frames where Neon Player adds them and where a part's MP4 is lost (with a warning naming it).
Each frame shows Neon Player's default gaze visualisation (``CircleViz``): the mean of the gaze
samples from the last scene frame at or before the frame to the next scene frame, as a ring of
radius 30 px and 10 px wide in red at half opacity (``QColor(255, 0, 0, 128)``), shown only
when the mean worn value of those samples is at least 128 of 255 (no worn data: shown); frames
before the first scene frame show none. The video's clock is seconds since the recording
start. Player's ``world_timestamps.npy``/``.csv`` are not written beside it: the dialect's
``world_timestamps.csv`` lists the same frames. Unless ``options.audio`` is off, the video
carries the audio of the scene MP4s (``recording.neon_world.neon_scene_audio``) on the same
clock, cut to the first to the last written frame and silent where a part is lost and in gray
frames between parts (:mod:`gazeport.video.audio`). With ``overlay.eye`` the sensor-module
frame closest in time is drawn picture-in-picture under the circle (:class:`_EyePicture`).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import ExportError, StreamNotFoundError
from ..recording.eye_frames import NEON_EYE_WITHIN_NS, nearest_ns, neon_eye_frames
from ..recording.neon_world import neon_eye_table, neon_scene_audio, neon_world_table
from ..render import CircleStyle, EyeOverlayStyle, draw_eye_overlays, draw_gaze_circles
from ..video.reader import FrameReader
from .world_video import VideoOptions, WorldSource

#: Neon Player's default gaze circle (``CircleViz``: radius 30, stroke 10, red at alpha 128).
NEON_PLAYER_CIRCLE = CircleStyle(
    radius=30, color=(1.0, 0.0, 0.0, 128 / 255), thickness=10, fill=False
)
#: Neon Player's frame rate of gray frames, the encoder's hint [Hz].
NEON_FPS = 30.0
#: Worn values are 0 or 255; Neon Player shows gaze when their mean is at least this.
WORN_AT_LEAST = 128
#: The eye picture shows the closest sensor-module frame only this close in time [ns]
#: (Neon Player's ``EyeOverlayPlugin``: 1/30 s).
EYE_WITHIN_NS = NEON_EYE_WITHIN_NS
_NO_END = np.iinfo(np.int64).max


def neon_world_source(
    rec: Any, window_ns: tuple[int, int], options: VideoOptions, stack: ExitStack
) -> WorldSource:
    """The world video of the Neon recording ``rec`` for ``window_ns`` (UTC ns, inclusive).

    Draws Neon Player's circle unless ``options.overlay`` is ``None`` or has no circle (the
    Pupil Player circle, polyline and cross styles do not apply). Readers it opens are closed
    with ``stack``. Raises :class:`ExportError` when the window holds no world frame.
    """
    timeline = rec.timeline
    frames = timeline.in_window(window_ns)
    if frames.stop <= frames.start:
        raise ExportError(
            f"{rec.path.name} has no world frame between {window_ns[0]} and {window_ns[1]} ns; "
            "choose a longer export range."
        )
    overlay = options.overlay
    frame_ns = timeline.timestamps_ns[frames]
    gaze = eyes = None
    if overlay is not None and overlay.circle is not None:
        gaze = _MeanGaze(rec, frame_ns, timeline.scene_ns)
    if overlay is not None and overlay.eye is not None:
        eyes = _EyePicture.open(rec, frame_ns, overlay.eye, stack)
    draw = None if gaze is None and eyes is None else _NeonOverlays(gaze, eyes).draw
    return WorldSource(
        rec.path.name,
        neon_world_table(rec),
        frames.start,
        frames.stop - 1,
        draw=draw,
        audio=list(neon_scene_audio(rec)) if options.audio else [],
        timestamp_files=False,
        frame_rate=NEON_FPS,
    )


class _MeanGaze:
    """Neon Player's aggregated gaze point of each written frame (module docstring)."""

    def __init__(self, rec: Any, frame_ns: np.ndarray, scene_ns: np.ndarray) -> None:
        fields = [("timestamp_ns", "<i8"), ("gaze_x_px", "<f4"), ("gaze_y_px", "<f4")]
        gaze = rec.gaze if rec.has_stream("gaze") else np.empty(0, dtype=fields)
        g_ns = np.asarray(gaze["timestamp_ns"], dtype=np.int64)
        worn = np.full(g_ns.size, 255.0)
        if rec.has_stream("worn") and g_ns.size:
            w = rec.worn
            if w.size:
                worn = np.asarray(w["worn"], dtype=np.float64)[nearest_ns(w["timestamp_ns"], g_ns)]
        scene = np.searchsorted(scene_ns, frame_ns, side="right") - 1
        if scene_ns.size:
            last = scene_ns.size - 1
            lo = scene_ns[np.clip(scene, 0, last)]
            # The last scene frame's gaze runs to the end (Neon Player's get_gazes_for_scene).
            hi = np.where(scene < last, scene_ns[np.clip(scene + 1, 0, last)], _NO_END)
        else:
            lo = hi = frame_ns
        a = np.searchsorted(g_ns, lo, side="left")
        b = np.searchsorted(g_ns, hi, side="left")
        count = b - a

        def mean(values: np.ndarray) -> np.ndarray:
            sums = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
            with np.errstate(invalid="ignore", divide="ignore"):
                return (sums[b] - sums[a]) / count

        self.x = mean(np.asarray(gaze["gaze_x_px"], dtype=np.float64))
        self.y = mean(np.asarray(gaze["gaze_y_px"], dtype=np.float64))
        with np.errstate(invalid="ignore"):
            self.show = (scene >= 0) & (count > 0) & (mean(worn) >= WORN_AT_LEAST)

    def draw(self, k: int, image: np.ndarray) -> None:
        if self.show[k]:
            draw_gaze_circles(image, [[self.x[k], self.y[k]]], NEON_PLAYER_CIRCLE)


class _EyePicture:
    """The sensor-module frame (both eyes) closest in time to each written frame, drawn
    picture-in-picture where the Core eye overlay puts its row of eyes (``EyeOverlayStyle``:
    corner, margin, scale or width, opacity), unflipped; none when the closest frame is more
    than :data:`EYE_WITHIN_NS` away (Neon Player's rule), e.g. in gaps of the eye video."""

    def __init__(
        self, reader: FrameReader, index: np.ndarray, show: np.ndarray, style: EyeOverlayStyle
    ) -> None:
        self.reader, self.index, self.show = reader, index, show
        # One picture of both eyes, shown as the app records it (the Core flips do not apply).
        self.style = replace(style, eyes=(0,), hflip_eyes=(), vflip_eyes=())

    @classmethod
    def open(
        cls, rec: Any, frame_ns: np.ndarray, style: EyeOverlayStyle, stack: ExitStack
    ) -> _EyePicture | None:
        """``None`` when the recording has no decodable sensor module video."""
        try:
            table, times_ns, _ = neon_eye_table(rec)
        except StreamNotFoundError:
            return None
        decodable = table.rows["pts"] >= 0
        if not decodable.any():
            return None
        index, show = neon_eye_frames(times_ns, decodable, frame_ns)
        reader = stack.enter_context(FrameReader(table.rows, table.parts, table.frame_size))
        return cls(reader, index, show, style)

    def draw(self, k: int, image: np.ndarray) -> None:
        if self.show[k]:
            picture = self.reader.frame(int(self.index[k])).image
            draw_eye_overlays(image, {0: picture}, self.style)


class _NeonOverlays:
    """Neon Player's drawing order: the eye picture (layer 9) under the gaze circle (10)."""

    def __init__(self, gaze: _MeanGaze | None, eyes: _EyePicture | None) -> None:
        self.gaze, self.eyes = gaze, eyes

    def draw(self, k: int, image: np.ndarray) -> None:
        if self.eyes is not None:
            self.eyes.draw(k, image)
        if self.gaze is not None:
            self.gaze.draw(k, image)


__all__ = ["EYE_WITHIN_NS", "NEON_PLAYER_CIRCLE", "neon_world_source"]
