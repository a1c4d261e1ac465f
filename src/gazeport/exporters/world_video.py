"""World Video Exporter: the world frames of a range with gaze overlays, as Pupil Player writes it.

The exporter (:func:`write_world_video`) consumes a :class:`WorldSource`, which each recording
kind builds: a frame table, the frames to write, and how to draw each one's overlays.
:func:`core_world_source` builds Pupil Player's (Core, Mobile, Invisible), :mod:`.neon_world_video`
Neon Player's. For Core, frames ``left … right`` (inclusive, virtual gray frames included) are
decoded in order, drawn on with :func:`gazeport.render.render_frame` from the data of each
frame's enclosing window (spec 4.2) and encoded with true timing: ``world.mp4`` plus
``world_timestamps.npy`` and ``world_timestamps.csv`` (see :mod:`gazeport.video.writer`). Gaze,
like in Player, is taken from ``[t[left], t[min(right + 1, n - 1)])`` only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..analysis.fixations import FixationParams
from ..errors import ExportError, GazeportWarning, StreamNotFoundError
from ..recording import Recording
from ..recording.eye_frames import core_eye_frames
from ..recording.frame_table import FrameTable
from ..render import OverlayConfig, render_frame
from ..video.audio import AudioPart
from ..video.reader import FrameReader
from ..video.writer import VideoWriter, timestamp_paths
from .event_files import detect_recording_fixations
from .video_options import VideoOptions, VideoOutcome

Progress = Callable[[float, str], None]
#: ``draw(k, image)``: draw the overlays of the ``k``-th written frame on its BGR image, in place.
DrawFrame = Callable[[int, np.ndarray], None]
#: Frames between two progress reports (each report also checks for cancel).
PROGRESS_EVERY = 8


def frame_windows(ts: np.ndarray, left: int, right: int) -> tuple[np.ndarray, np.ndarray]:
    """Enclosing windows ``[lo, hi)`` of frames ``left … right`` (spec 4.2), shape ``(n,)`` each."""
    idx = np.arange(left, right + 1)
    n = ts.shape[0]
    lo = np.full(idx.shape, -np.inf)
    hi = np.full(idx.shape, np.inf)
    has_prev = idx > 0
    lo[has_prev] = (ts[idx[has_prev] - 1] + ts[idx[has_prev]]) / 2
    has_next = idx < n - 1
    hi[has_next] = (ts[idx[has_next]] + ts[idx[has_next] + 1]) / 2
    return lo, hi


def audio_parts(rec_dir: Path) -> list[tuple[Path, np.ndarray | None]]:
    """Capture's ``audio*.mp4`` files (sorted) with their ``*_timestamps.npy`` (``None`` if absent)."""
    parts: list[tuple[Path, np.ndarray | None]] = []
    for path in sorted(rec_dir.glob("audio*.mp4")):
        ts_path = path.with_name(f"{path.stem}_timestamps.npy")
        ts = None
        if ts_path.is_file():
            try:
                ts = np.load(ts_path)
            except (OSError, ValueError):
                ts = None
        parts.append((path, ts))
    return parts


class _Gaze:
    """Gaze of the export range, sliced per frame window."""

    def __init__(self, rec: Recording, window: tuple[float, float]) -> None:
        if rec.has_stream("gaze"):
            cols = rec.columns("gaze", ("timestamp", "confidence", "norm_pos_x", "norm_pos_y"))
            keep = (cols["timestamp"] >= window[0]) & (cols["timestamp"] < window[1])
            self.ts = np.ascontiguousarray(cols["timestamp"][keep])
            self.conf = np.ascontiguousarray(cols["confidence"][keep])
            self.norm = np.column_stack([cols["norm_pos_x"][keep], cols["norm_pos_y"][keep]])
        else:
            self.ts = np.empty(0)
            self.conf = np.empty(0)
            self.norm = np.empty((0, 2))

    def bounds(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.searchsorted(self.ts, lo, "left"), np.searchsorted(self.ts, hi, "left")


class _Fixations:
    """Fixations overlapping each frame window, as ``(k, 3)`` rows ``(norm_x, norm_y, id)``."""

    def __init__(self, rec: Recording, params: FixationParams) -> None:
        self.rows = np.empty((0, 3))
        self.start = np.empty(0)
        self.end = np.empty(0)
        if not rec.has_stream("gaze") or rec.is_invisible:
            return
        _, found = detect_recording_fixations(rec, params)
        if found.shape[0] == 0:
            return
        order = np.argsort(found["start_timestamp"], kind="stable")
        found = found[order]
        self.start = np.asarray(found["start_timestamp"], dtype=np.float64)
        self.end = self.start + np.asarray(found["duration_ms"], dtype=np.float64) / 1000.0
        self.rows = np.column_stack([found["norm_pos_x"], found["norm_pos_y"], found["id"]]).astype(
            np.float64
        )

    def at(self, lo: float, hi: float) -> np.ndarray | None:
        if self.rows.shape[0] == 0:
            return None
        # Fixations are disjoint and sorted, so their ends are sorted too.
        first = int(np.searchsorted(self.end, lo, "left"))
        last = int(np.searchsorted(self.start, hi, "left"))
        return self.rows[first:last] if last > first else None


class _EyePictures:
    """The eye frame closest to each exported world frame, for the picture-in-picture overlay."""

    def __init__(
        self, rec: Recording, eyes: tuple[int, ...], frame_ts: np.ndarray, stack: ExitStack
    ) -> None:
        #: eye -> (reader, eye frame index for every exported world frame)
        self.readers: dict[int, tuple[FrameReader, np.ndarray]] = {}
        for eye in eyes:
            try:
                reader = stack.enter_context(rec.open_video(f"eye{eye}"))
            except StreamNotFoundError:
                continue
            if not (reader.rows["container_idx"] >= 0).any():
                continue  # no decodable eye video: nothing worth showing
            eye_ts = np.asarray(reader.rows["timestamp"], dtype=np.float64)
            self.readers[eye] = (reader, core_eye_frames(eye_ts, frame_ts))

    def at(self, k: int) -> dict[int, np.ndarray] | None:
        """Eye images for the ``k``-th exported frame (``None`` without eye videos)."""
        if not self.readers:
            return None
        return {eye: reader.frame(int(idx[k])).image for eye, (reader, idx) in self.readers.items()}


@dataclass
class WorldSource:
    """The world frames of one export as a recording kind gives them to the exporter.

    ``table``: frame table (rows with ``timestamp`` [s] on the video's clock, video parts,
    frame size); frames ``first … last`` (inclusive) are written; ``draw`` draws each one's
    overlays (``None``: none); ``audio``: audio parts for the writer; ``timestamp_files``: write
    Player's ``world_timestamps.npy``/``.csv`` beside the video; ``frame_rate``: the encoder's
    hint [Hz]; ``name``: the recording folder's name, for messages.
    """

    name: str
    table: FrameTable
    first: int
    last: int
    draw: DrawFrame | None = None
    audio: list[AudioPart] = field(default_factory=list)
    timestamp_files: bool = True
    frame_rate: float = 30.0


def _world_table(rec: Recording) -> FrameTable:
    table = rec.frame_table
    if table.source != "video" or not table.real_mask().any():
        raise ExportError(
            f"{rec.path} has no decodable world video, so there is nothing for the World Video "
            "Exporter to export."
        )
    return table


def nominal_rate(ts: np.ndarray) -> float:
    """Mean frame rate [Hz] of ``ts`` (a hint for the encoder), 30 if it cannot be known."""
    if ts.shape[0] < 2 or not ts[-1] > ts[0]:
        return 30.0
    return float(min(max((ts.shape[0] - 1) / (ts[-1] - ts[0]), 1.0), 240.0))


def export_world_video(
    rec: Recording,
    frame_range: tuple[int, int],
    path: Path,
    options: VideoOptions,
    progress: Progress,
) -> VideoOutcome:
    """Write the world video of frames ``left … right`` to ``path`` (e.g. ``…/world.mp4``).

    ``progress(fraction, text)`` is called every few frames and may raise to cancel; the
    writer then leaves ``world.mp4.canceled`` (Player's name) and no timestamp files. Raises
    :class:`ExportError` when the recording has no decodable world video.
    """
    options.validate()
    with ExitStack() as stack:
        source = core_world_source(rec, frame_range, options, stack)
        return write_world_video(source, path, options, progress)


def core_world_source(
    rec: Recording, frame_range: tuple[int, int], options: VideoOptions, stack: ExitStack
) -> WorldSource:
    """Pupil Player's world video of frames ``left … right`` of a Core-family recording: its
    overlays (gaze, fixations, eye pictures) and Capture's audio. Readers it opens are closed
    with ``stack``."""
    left, right = frame_range
    table = _world_table(rec)
    ts = table.timestamps
    overlay = options.overlay
    draw = overlay is not None and any(
        s is not None for s in (overlay.circle, overlay.cross, overlay.polyline)
    )
    stop_ts = float(ts[min(right + 1, len(ts) - 1)])
    gaze = _Gaze(rec, (float(ts[left]), stop_ts)) if draw else None
    fixations = (
        _Fixations(rec, options.fixation_params)
        if overlay is not None and overlay.fixation is not None
        else None
    )
    eyes = (
        _EyePictures(rec, overlay.eye.eyes, ts[left : right + 1], stack)
        if overlay is not None and overlay.eye is not None
        else None
    )
    painter = (
        None
        if overlay is None
        else _CoreOverlays(ts, frame_range, overlay, gaze, fixations, eyes, options.trail_s)
    )
    return WorldSource(
        rec.path.name,
        table,
        left,
        right,
        draw=None if painter is None else painter.draw,
        audio=list(audio_parts(rec.path)) if options.audio else [],
        frame_rate=nominal_rate(ts),
    )


class _CoreOverlays:
    """Player's overlays of each written frame, from its enclosing window (spec 4.2)."""

    def __init__(
        self,
        ts: np.ndarray,
        frame_range: tuple[int, int],
        overlay: OverlayConfig,
        gaze: _Gaze | None,
        fixations: _Fixations | None,
        eyes: _EyePictures | None,
        trail_s: float,
    ) -> None:
        left, right = frame_range
        self.overlay, self.gaze, self.fixations, self.eyes = overlay, gaze, fixations, eyes
        self.lo, self.hi = frame_windows(ts, left, right)
        self.trail_first: np.ndarray | None = None
        if gaze is not None:
            self.first, self.last = gaze.bounds(self.lo, self.hi)
            if trail_s > 0:
                # the seconds before each frame's own time (a window end is +inf for the last frame)
                self.trail_first = np.searchsorted(gaze.ts, ts[left : right + 1] - trail_s, "left")

    def draw(self, k: int, image: np.ndarray) -> None:
        gaze, fixations, eyes = self.gaze, self.fixations, self.eyes
        gaze_norm = gaze_conf = trail = trail_conf = None
        if gaze is not None:
            a, b = int(self.first[k]), int(self.last[k])
            gaze_norm, gaze_conf = gaze.norm[a:b], gaze.conf[a:b]
            if self.trail_first is not None:
                t0 = int(self.trail_first[k])
                trail, trail_conf = gaze.norm[t0:b], gaze.conf[t0:b]
        render_frame(
            image,
            self.overlay,
            gaze_norm if gaze_norm is not None else np.empty((0, 2)),
            gaze_conf,
            fixations=fixations.at(self.lo[k], self.hi[k]) if fixations is not None else None,
            eye_images=eyes.at(k) if eyes is not None else None,
            polyline_norm=trail,
            polyline_conf=trail_conf,
        )


def write_world_video(
    source: WorldSource, path: Path, options: VideoOptions, progress: Progress
) -> VideoOutcome:
    """Write frames ``source.first … source.last`` with their overlays to ``path``.

    ``progress(fraction, text)`` is called every few frames and may raise to cancel (the writer
    then leaves ``world.mp4.canceled`` and no timestamp files). Frames that cannot be decoded
    are gray, with a :class:`GazeportWarning` saying how many and why.
    """
    options.validate()
    table, first, last = source.table, source.first, source.last
    ts = table.timestamps
    outcome = VideoOutcome()
    with FrameReader(table.rows, table.parts, table.frame_size) as reader:
        width, height = reader.frame_size
        writer = VideoWriter(
            path,
            width=width,
            height=height,
            start_time=float(ts[first]),
            codec="mpeg4" if options.codec == "mpeg4" else "h264",
            frame_rate=source.frame_rate,
            crf=options.crf,
            preset=options.preset,
            timestamp_files=source.timestamp_files,
        )
        with writer:
            if options.audio and source.audio:
                result = writer.add_audio(source.audio, end_time=float(ts[last]))
                outcome.messages.append(result.message)
            n = last - first + 1
            progress(0.0, f"0 of {n:,} frames")
            for k, frame in enumerate(reader.frames(first, last + 1)):
                if source.draw is not None:
                    source.draw(k, frame.image)
                writer.write(frame.image, frame.timestamp)
                outcome.frames += 1
                outcome.gray_frames += int(frame.virtual)
                if (k + 1) % PROGRESS_EVERY == 0 or k + 1 == n:
                    progress((k + 1) / n, f"{k + 1:,} of {n:,} frames")
        summary = reader.failure_summary()
    if summary:
        message = f"{source.name} world video: {summary}"
        warnings.warn(message, GazeportWarning, stacklevel=3)
        outcome.messages.append(message)
    outcome.files = [path, *timestamp_paths(path)] if source.timestamp_files else [path]
    return outcome
