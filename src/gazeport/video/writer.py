"""Write exported videos with true variable frame timing, the way Pupil Player does.

Every frame's pts comes from its timestamp (seconds, Pupil time) in Player's time base
``1/65535`` s: ``pts = int((timestamp - start_time) / (1/65535))``, raised to ``previous + 1``
when two frames would share a tick. The first frame at ``start_time`` gets pts 0.

Files (for ``path = .../world.mp4``):

* ``world.mp4.writing`` while frames are written; renamed to ``world.mp4`` by
  :meth:`VideoWriter.close`, or to ``world.mp4.canceled`` by :meth:`VideoWriter.cancel` (Player's
  names).
* ``world_timestamps.npy`` (float64 timestamps of the frames written) and ``world_timestamps.csv``
  (``# timestamps [seconds],pts`` then ``%f,%i`` rows, pts read back from the written file) after a
  successful close only. They are written under temporary names and renamed, the video last, so a
  crash never leaves a file that looks finished.

Codecs: ``"h264"`` (default; libx264, yuv420p, High profile, ``movflags=faststart``) plays in
browsers and common players. ``"mpeg4"`` is Player's choice (MPEG-4 Part 2 at 150 Mb/s), which
browsers do not play.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from .._lazy import LazyModule

if TYPE_CHECKING:
    import av
else:  # imported on first use: it loads slowly and only writing needs it
    av = LazyModule("av")
import numpy as np
import numpy.typing as npt

from ..errors import CorruptFileError, ExportCancelled, ExportError
from .audio import AudioOutcome, AudioPart, AudioTrack
from .demux import packet_pts

#: Player's time base of exported videos: 1/65535 s per pts tick (the finest MPEG-4 Part 2 allows).
TIME_BASE = Fraction(1, 65535)
#: Player computes ``offset / time_base`` in floating point; dividing by this float reproduces it.
_TICK_S = float(TIME_BASE)
WRITING_SUFFIX = ".writing"
CANCELED_SUFFIX = ".canceled"
#: First line of ``<stem>_timestamps.csv`` (``np.savetxt`` header with its ``# `` prefix).
TIMESTAMPS_CSV_HEADER = "# timestamps [seconds],pts"

Codec = Literal["h264", "mpeg4"]
_CONTAINER_FORMATS = {".mp4": "mp4", ".mov": "mov"}
_INPUT_CHANNELS = {"bgr24": 3, "rgb24": 3, "gray": 1}
#: Player's MPEG_Writer bit rate (``15000 * 10e3`` b/s); its tolerance is a twentieth of it.
PLAYER_MPEG4_BIT_RATE = 150_000_000
#: Keyframe distance of H.264 output: short enough for quick seeking in the web player.
_KEYFRAME_INTERVAL_S = 2.0
# swscale converts bgr24/rgb24 to yuv420p with the BT.601 matrix in limited range; tagging the
# stream that way stops browsers from guessing BT.709 and shifting colours.
_COLORSPACE_BT601 = 6  # AVCOL_SPC_SMPTE170M
_COLOR_RANGE_LIMITED = 1  # AVCOL_RANGE_MPEG


def timestamp_paths(video_path: Path | str) -> tuple[Path, Path]:
    """``(<stem>_timestamps.npy, <stem>_timestamps.csv)`` next to ``video_path``."""
    video_path = Path(video_path)
    base = video_path.with_name(f"{video_path.stem}_timestamps")
    return base.with_name(base.name + ".npy"), base.with_name(base.name + ".csv")


def timestamps_csv_text(timestamps: npt.ArrayLike, pts: npt.ArrayLike) -> str:
    """Text of Player's ``<stem>_timestamps.csv``, byte-identical to ``np.savetxt``.

    ``timestamps`` in seconds (6 decimals), ``pts`` integer ticks; ``\\n`` line endings.
    """
    ts = np.asarray(timestamps, dtype=np.float64).ravel()
    ticks = np.asarray(pts, dtype=np.int64).ravel()
    if ts.shape != ticks.shape:
        raise ValueError(f"{ts.size} timestamps but {ticks.size} pts; they must pair up.")
    rows = [f"{t:f},{p:d}\n" for t, p in zip(ts.tolist(), ticks.tolist(), strict=True)]
    return TIMESTAMPS_CSV_HEADER + "\n" + "".join(rows)


def _discard(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _write_timestamp_temps(
    video_path: Path, timestamps: npt.NDArray[np.float64], pts: npt.NDArray[np.int64]
) -> list[tuple[Path, Path]]:
    """Write both timestamp files under ``.writing`` names; ``[(temp, final), ...]``."""
    npy_path, csv_path = timestamp_paths(video_path)
    npy_tmp = npy_path.with_name(npy_path.name + WRITING_SUFFIX)
    csv_tmp = csv_path.with_name(csv_path.name + WRITING_SUFFIX)
    try:
        text = timestamps_csv_text(timestamps, pts)
        with open(npy_tmp, "wb") as f:  # a file object: np.save would append ".npy" to a name
            np.save(f, timestamps)
        with open(csv_tmp, "wb") as f:
            f.write(text.encode("ascii"))
    except BaseException:
        _discard(npy_tmp, csv_tmp)
        raise
    return [(npy_tmp, npy_path), (csv_tmp, csv_path)]


def write_timestamp_files(
    video_path: Path | str, timestamps: npt.ArrayLike, *, pts: npt.ArrayLike | None = None
) -> tuple[Path, Path]:
    """Write ``<stem>_timestamps.npy`` and ``.csv`` for a finished video, like Player.

    ``timestamps``: float64 seconds, one per frame. ``pts``: the frames' pts; by default read back
    from ``video_path`` by demuxing (sorted packet pts, the final flush packet dropped). Raises
    :class:`ExportError` if the video holds a different number of frames. Returns the two paths.
    """
    video_path = Path(video_path)
    ts = np.asarray(timestamps, dtype=np.float64).ravel()
    ticks = packet_pts(video_path) if pts is None else np.asarray(pts, dtype=np.int64).ravel()
    if ticks.size != ts.size:
        raise ExportError(
            f"{video_path} holds {ticks.size} frames but {ts.size} timestamps were given; "
            "its timestamp files were not written."
        )
    renames = _write_timestamp_temps(video_path, ts, ticks)
    try:
        for tmp, final in renames:
            os.replace(tmp, final)
    except BaseException:
        _discard(*(tmp for tmp, _ in renames))
        raise
    return renames[0][1], renames[1][1]


class VideoWriter:
    """Encode BGR frames into an MP4 whose pts follow the frame timestamps (Player's rules).

    ``path``: the final ``.mp4``/``.mov`` path; ``width``/``height`` of the input frames in
    pixels; ``start_time``: the export start (seconds, Pupil time), frames before it are skipped.
    ``codec``: ``"h264"`` (libx264 ``crf``/``preset``, or ``bit_rate`` b/s when given) or
    ``"mpeg4"`` (``bit_rate`` defaults to Player's 150 Mb/s). ``input_format``: ``"bgr24"``
    (H x W x 3 uint8, default), ``"rgb24"`` or ``"gray"`` (H x W). ``frame_rate``: nominal frames
    per second, only a hint for rate control and the H.264 level (timing comes from the
    timestamps; the exporter should pass the recording's mean rate). ``threads``: encoder threads,
    ``None`` = FFmpeg's choice for this machine. ``timestamp_files=False`` leaves out Player's
    ``<stem>_timestamps.npy``/``.csv`` (a Neon export writes its own ``world_timestamps.csv``).
    ``<path>.writing`` is created at once.

    H.264 in yuv420p needs even sizes: an odd width or height is padded by repeating the last
    column/row, so the output is at most one pixel larger (see :attr:`encoded_size`) and every
    input pixel keeps its coordinates.

    Used as a context manager: a normal exit closes; :class:`ExportCancelled` or
    ``KeyboardInterrupt`` inside the block cancels (``.canceled`` file, like Player); any other
    exception removes the partial file. The exception always propagates.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        width: int,
        height: int,
        start_time: float,
        codec: Codec = "h264",
        input_format: str = "bgr24",
        frame_rate: float = 30.0,
        crf: int = 20,
        preset: str = "veryfast",
        bit_rate: int | None = None,
        threads: int | None = None,
        timestamp_files: bool = True,
    ) -> None:
        self.path = Path(path)
        self.timestamp_files = bool(timestamp_files)
        fmt = _CONTAINER_FORMATS.get(self.path.suffix.lower())
        if fmt is None:
            raise ValueError(f"{self.path.name}: videos are written as .mp4 or .mov.")
        if codec not in ("h264", "mpeg4"):
            raise ValueError(f"Unknown codec {codec!r}; choose 'h264' or 'mpeg4'.")
        if input_format not in _INPUT_CHANNELS:
            raise ValueError(f"Unknown input format {input_format!r}; use bgr24, rgb24 or gray.")
        if int(width) <= 0 or int(height) <= 0:
            raise ValueError(f"Frame size {width}x{height} px is not positive.")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must be between 0 (lossless) and 51, not {crf}.")
        if not frame_rate > 0:
            raise ValueError(f"The nominal frame rate must be positive, not {frame_rate}.")
        if codec == "h264" and "libx264" not in av.codecs_available:
            raise ExportError("This FFmpeg build has no libx264 encoder; use codec 'mpeg4'.")
        self.width, self.height = int(width), int(height)
        self.start_time = float(start_time)
        self.codec: Codec = codec
        self.input_format = input_format
        self._pad = (self.height % 2, self.width % 2) if codec == "h264" else (0, 0)
        self.partial_path = self.path.with_name(self.path.name + WRITING_SUFFIX)
        self._timestamps: list[float] = []
        self._pts: list[int] = []
        self._last_ts = -np.inf
        self._audio: AudioTrack | None = None
        self._state = "open"

        # movie_timescale: the mp4 edit list that shifts a first frame later than start_time is
        # stored in the movie time scale (default 1/1000 s), which would move every pts by up to
        # half a millisecond; in 1/65535 s the shift is exact.
        options = {"movie_timescale": "65535"}
        if codec == "h264":
            options["movflags"] = "+faststart"
        # PyAV creates the file only when the first packet is muxed (after the encoder's
        # look-ahead); creating it now shows the export in progress and fails early on an
        # unwritable folder.
        self.partial_path.write_bytes(b"")
        try:
            self._container: Any = av.open(str(self.partial_path), "w", format=fmt, options=options)
        except BaseException:
            _discard(self.partial_path)
            raise
        try:
            self._stream = self._add_video_stream(frame_rate, crf, preset, bit_rate, threads)
        except BaseException:
            self._abort(remove=True)
            raise

    def _add_video_stream(
        self, frame_rate: float, crf: int, preset: str, bit_rate: int | None, threads: int | None
    ) -> Any:
        rate = Fraction(frame_rate).limit_denominator(1001)
        if self.codec == "h264":
            options = {"preset": preset, "profile": "high"}
            if bit_rate is None:
                options["crf"] = str(int(crf))
            stream = self._container.add_stream("libx264", rate=rate, options=options)
            stream.gop_size = max(1, round(_KEYFRAME_INTERVAL_S * frame_rate))
            if bit_rate is not None:
                stream.bit_rate = int(bit_rate)
        else:
            stream = self._container.add_stream("mpeg4", rate=rate)
            stream.bit_rate = int(bit_rate or PLAYER_MPEG4_BIT_RATE)
            stream.bit_rate_tolerance = stream.bit_rate // 20
        stream.width, stream.height = self.encoded_size
        stream.pix_fmt = "yuv420p"
        # Both time bases must be set: the codec's for the frames we hand in, the stream's so the
        # mp4 muxer keeps 1/65535 as the track timescale instead of deriving one from the rate.
        stream.time_base = TIME_BASE
        ctx = stream.codec_context
        ctx.time_base = TIME_BASE
        ctx.thread_count = 0 if threads is None else max(1, int(threads))
        ctx.thread_type = "AUTO"
        ctx.colorspace = _COLORSPACE_BT601
        ctx.color_range = _COLOR_RANGE_LIMITED
        try:
            # PyAV would open the encoder at the first frame; opening it now reports bad
            # settings (preset, crf, size) before any work is done.
            ctx.open()
        except av.FFmpegError as exc:
            raise ValueError(
                f"The {self.codec} encoder rejects the settings for {self.path.name} "
                f"(preset {preset!r}, crf {crf}, bit rate {bit_rate}, {self.width}x{self.height} "
                f"px): {exc}"
            ) from exc
        return stream

    # -- properties ---------------------------------------------------------------------------

    @property
    def encoded_size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels as stored in the file (odd H.264 sizes padded by 1)."""
        return self.width + self._pad[1], self.height + self._pad[0]

    @property
    def frame_count(self) -> int:
        """Number of frames written so far (skipped frames not counted)."""
        return len(self._timestamps)

    @property
    def timestamps(self) -> npt.NDArray[np.float64]:
        """Timestamps (seconds) of the frames written, float64, shape ``(frame_count,)``."""
        return np.asarray(self._timestamps, dtype=np.float64)

    @property
    def pts(self) -> npt.NDArray[np.int64]:
        """Pts (1/65535 s ticks) of the frames written; after :meth:`close`, read back from the
        file. int64, shape ``(frame_count,)``."""
        return np.asarray(self._pts, dtype=np.int64)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` or :meth:`cancel` ran (successfully or not)."""
        return self._state != "open"

    # -- audio --------------------------------------------------------------------------------

    def add_audio(self, parts: Sequence[AudioPart], *, end_time: float) -> AudioOutcome:
        """Add an AAC track from Capture audio files, cut to ``[start_time, end_time]`` seconds.

        ``parts``: ``(audio.mp4 path, timestamps)`` pairs, one timestamp per audio packet (see
        :mod:`gazeport.video.audio`). Must be called before the first :meth:`write`. Files without
        an audio stream or timestamps are left out; damaged files too, with a
        :class:`~gazeport.errors.GazeportWarning`. The outcome says whether a track was added.
        """
        self._check_open()
        if self._timestamps or self._audio is not None:
            raise ValueError("add_audio() must be called once, before the first frame is written.")
        track, outcome = AudioTrack.open(parts, start_time=self.start_time, end_time=end_time)
        if track is not None:
            track.add_stream(self._container)
            self._audio = track
        return outcome

    # -- writing ------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._state != "open":
            raise ValueError(f"The video writer for {self.path.name} is already {self._state}.")

    def _to_frame(self, image: npt.NDArray[np.uint8]) -> Any:
        image = np.asarray(image)
        channels = _INPUT_CHANNELS[self.input_format]
        expected = (self.height, self.width) + ((channels,) if channels > 1 else ())
        if image.dtype != np.uint8 or image.shape != expected:
            raise ValueError(
                f"Frames for {self.path.name} must be uint8 arrays of shape {expected} "
                f"({self.input_format}), not {image.dtype} {image.shape}."
            )
        if any(self._pad):
            pad = ((0, self._pad[0]), (0, self._pad[1])) + (((0, 0),) if channels > 1 else ())
            image = np.pad(image, pad, mode="edge")
        fmt = "gray8" if self.input_format == "gray" else self.input_format
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format=fmt)

    def write(self, image: npt.NDArray[np.uint8], timestamp: float) -> bool:
        """Encode one frame shown at ``timestamp`` (seconds, Pupil time).

        ``image``: uint8 ``(height, width, 3)`` (``(height, width)`` for gray). Returns ``False``
        (nothing written) for frames before ``start_time``. A timestamp smaller than the
        previous frame's raises :class:`ExportError`; equal ones get consecutive pts.
        """
        self._check_open()
        ts = float(timestamp)
        if not np.isfinite(ts):
            raise ExportError(f"Frame {self.frame_count} of {self.path.name} has timestamp {ts}.")
        if ts < self.start_time:
            return False
        if ts < self._last_ts:
            raise ExportError(
                f"Frame {self.frame_count} of {self.path.name} has timestamp {ts:.6f} s, earlier "
                f"than the previous frame's {self._last_ts:.6f} s; video timestamps must not "
                "decrease."
            )
        frame = self._to_frame(image)
        pts = int((ts - self.start_time) / _TICK_S)
        if self._pts and pts <= self._pts[-1]:
            pts = self._pts[-1] + 1
        frame.pts = pts
        frame.time_base = TIME_BASE
        if self._audio is not None:
            # Audio up to this frame's time first, so both streams advance together.
            self._audio.mux_until(self._container, ts - self.start_time)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self._last_ts = ts
        self._timestamps.append(ts)
        self._pts.append(pts)
        return True

    # -- finishing ----------------------------------------------------------------------------

    def close(self) -> None:
        """Flush, finish the file, write the timestamp files, then rename all to final names.

        Raises :class:`ExportError` (and leaves no partial file) if no frame was written or the
        written file cannot be read back. Does nothing if already closed.
        """
        if self._state != "open":
            return
        if not self._timestamps:
            self._abort(remove=True)
            raise ExportError(
                f"No frame at or after the start time {self.start_time:.6f} s was written, so "
                f"{self.path.name} was not exported (zero-duration video)."
            )
        renamed: list[Path] = []
        temps: list[tuple[Path, Path]] = []
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            if self._audio is not None:
                self._audio.finish(self._container)
            self._container.close()
            self._state = "closed"
            pts = packet_pts(self.partial_path)
            if pts.size != len(self._timestamps):
                raise ExportError(
                    f"{self.path.name} holds {pts.size} frames after encoding but "
                    f"{len(self._timestamps)} were written; the export was discarded."
                )
            if self.timestamp_files:
                temps = _write_timestamp_temps(self.path, self.timestamps, pts)
            for tmp, final in temps:
                os.replace(tmp, final)
                renamed.append(final)
            os.replace(self.partial_path, self.path)
        except BaseException as exc:
            self._abort(remove=True)
            self._state = "failed"
            _discard(*(tmp for tmp, _ in temps), *renamed)
            if isinstance(exc, (av.FFmpegError, CorruptFileError, OSError)):
                raise ExportError(
                    f"Finishing {self.path} failed ({exc}); nothing was left behind."
                ) from exc
            raise
        self._pts = pts.tolist()

    def cancel(self, *, remove: bool = False) -> None:
        """Stop writing: the video is renamed to ``<path>.canceled`` (Player) or, with
        ``remove=True``, deleted. No timestamp files are written. Does nothing once closed.
        """
        if self._state != "open":
            return
        self._abort(remove=remove)

    def _abort(self, *, remove: bool) -> None:
        """Close the container without flushing and get rid of the partial file; never raises."""
        if self._state == "open":
            self._state = "canceled"
            with contextlib.suppress(Exception):
                self._container.close()
        if self._audio is not None:
            with contextlib.suppress(Exception):
                self._audio.close()
        if remove:
            _discard(self.partial_path)
        elif self.partial_path.exists():
            with contextlib.suppress(OSError):
                os.replace(self.partial_path, self.path.with_name(self.path.name + CANCELED_SUFFIX))

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        elif issubclass(exc_type, (ExportCancelled, KeyboardInterrupt)):
            self.cancel()
        else:
            self.cancel(remove=True)
