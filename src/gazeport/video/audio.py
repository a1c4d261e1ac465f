"""Audio for exported videos: Capture's ``audio*.mp4`` + ``*_timestamps.npy`` cut to a time range.

Pupil Capture stores one timestamp (seconds, Pupil time) per audio **packet**, in demux order
(Player pairs them the same way). :class:`AudioTrack` decodes those packets, places each one on
the export's time line at ``timestamp - start_time`` and re-encodes the result as AAC, so the
audio of the exported video stays in sync with frames whose pts come from their timestamps.

The output track is one continuous stream of samples covering ``[start_time, end_time]``:

* silence fills the time before the first source packet, gaps between packets or files longer
  than :data:`SYNC_TOLERANCE_S`, and the time after the last packet (as Player does);
* audio before ``start_time`` or after ``end_time`` is dropped sample-accurately;
* smaller deviations between a packet's timestamp and the end of the previous packet (clock
  jitter) are ignored and the samples are appended back to back, because cutting or padding a
  few samples at every packet would be audible as clicks. A slow drift between the audio and the
  Pupil clock is thus corrected in steps of about :data:`SYNC_TOLERANCE_S`.

Sources at a sample rate AAC lacks are resampled to 48 kHz; more than two channels are mixed down
to stereo. A file that cannot be opened is left out and a packet that cannot be decoded becomes
silence, each with a :class:`~gazeport.errors.GazeportWarning`; a file whose container breaks in
the middle is cut there. Audio never stops a video export.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._lazy import LazyModule

if TYPE_CHECKING:
    import av
else:  # imported on first use: it loads slowly and only writing needs it
    av = LazyModule("av")
import numpy as np
import numpy.typing as npt

from ..errors import GazeportWarning

#: Timestamp jitter (seconds) tolerated before samples are cut or silence is inserted.
SYNC_TOLERANCE_S = 0.04
#: Source packets decoded ahead of ``start_time`` (seconds) so the AAC decoder has settled.
_PREROLL_S = 0.5
#: Largest block of silence (seconds) handed to the encoder at once.
_SILENCE_BLOCK_S = 1.0
_AUDIO_BIT_RATE = 128_000
_FALLBACK_RATE = 48_000


def _av_errors() -> tuple[type[BaseException], ...]:
    """What PyAV raises on a bad file (a function: PyAV is imported on first use)."""
    return (av.FFmpegError, ValueError, OSError)


#: A source audio file and its timestamps (seconds, one per packet; ``None`` if missing).
AudioPart = tuple[Path | str, npt.ArrayLike | None]


@dataclass(frozen=True)
class AudioOutcome:
    """What became of the audio of an export.

    ``added`` is true when the video got an audio track; ``message`` is one plain sentence for
    the export log; ``skipped`` lists the source files that were left out (no audio stream, no
    timestamps, damaged, or no packet inside the export range).
    """

    added: bool
    message: str
    skipped: tuple[Path, ...] = ()


@dataclass(frozen=True)
class _Part:
    path: Path
    timestamps: npt.NDArray[np.float64]


def _warn(message: str) -> None:
    warnings.warn(message, GazeportWarning, stacklevel=4)


def _check_part(path: Path, timestamps: npt.NDArray[np.float64]) -> tuple[int, str] | str:
    """``(sample_rate, layout name)`` of the first audio stream, or why the part is unusable."""
    if not path.is_file():
        return f"{path.name} does not exist"
    if timestamps.size == 0:
        return f"{path.name} has no audio timestamps"
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return f"{path.name} has no audio stream"
            stream = container.streams.audio[0]
            ctx = stream.codec_context
            rate = int(ctx.sample_rate or 0)
            channels = int(ctx.channels or 0)
    except _av_errors() as exc:
        _warn(f"The audio file {path} cannot be read ({exc}); the video is exported without it.")
        return f"{path.name} is damaged"
    if rate <= 0 or channels <= 0:
        _warn(f"The audio file {path} declares no sample rate or channels; it is left out.")
        return f"{path.name} is damaged"
    # Browsers and AAC handle mono and stereo everywhere; more channels are downmixed.
    return rate, "mono" if channels == 1 else "stereo"


def _encoder_problem(rate: int, layout: str) -> str | None:
    """Why the AAC encoder cannot be opened for ``rate`` Hz ``layout``, or ``None`` if it can."""
    ctx: Any = av.CodecContext.create("aac", "w")
    ctx.sample_rate = rate
    ctx.layout = layout
    ctx.format = "fltp"
    ctx.time_base = Fraction(1, rate)
    try:
        ctx.open()
    except av.FFmpegError as exc:
        return str(exc)
    return None


class AudioTrack:
    """An AAC track fed from timestamped source audio, cut to ``[start_time, end_time]``.

    Build it with :meth:`open`; then :meth:`add_stream` once before any packet is muxed,
    :meth:`mux_until` as the video advances and :meth:`finish` before closing the container.
    """

    def __init__(
        self, parts: list[_Part], start_time: float, end_time: float, rate: int, layout: str
    ) -> None:
        self._parts = parts
        self._start = start_time
        self.rate = rate
        self.layout = layout
        self._end_samples = round((end_time - start_time) * rate)
        self._tolerance = round(SYNC_TOLERANCE_S * rate)
        self._time_base = Fraction(1, rate)
        self._channels = 1 if layout == "mono" else 2
        self._cursor = 0  # samples written so far, counted from start_time
        self._synced = False  # becomes true with the first source sample inside the range
        self._source_end = 0  # where the last source block ended (before any trimming)
        self._pending: tuple[int, npt.NDArray[np.float32]] | None = None
        self._frames = self._source_frames()
        self._stream: Any = None
        self._broken = False

    @classmethod
    def open(
        cls, parts: Sequence[AudioPart], *, start_time: float, end_time: float
    ) -> tuple[AudioTrack | None, AudioOutcome]:
        """Check the source files and plan a track; ``(None, outcome)`` if there is no audio.

        ``parts``: ``(audio file, timestamps)`` pairs, one float64 timestamp (seconds) per audio
        packet of the file, in demux order; ``None`` or an empty array when the timestamps are
        missing. Damaged files are reported with a :class:`GazeportWarning`.
        """
        if "aac" not in av.codecs_available:
            return None, AudioOutcome(False, "No audio: this FFmpeg build has no AAC encoder.")
        if not parts:
            return None, AudioOutcome(False, "No audio: no audio file was given.")
        if not end_time > start_time:
            return None, AudioOutcome(False, "No audio: the export range is empty.")
        usable: list[_Part] = []
        skipped: list[Path] = []
        reasons: list[str] = []
        fmt: tuple[int, str] | None = None
        for raw_path, raw_ts in parts:
            path = Path(raw_path)
            try:
                ts = np.asarray(raw_ts if raw_ts is not None else [], dtype=np.float64).ravel()
            except (TypeError, ValueError):
                ts = np.empty(0)
            checked = _check_part(path, ts)
            if isinstance(checked, str):
                skipped.append(path)
                reasons.append(checked)
                continue
            # Only packets that can reach the range matter; a part entirely outside is skipped
            # without decoding it.
            if not np.any((ts >= start_time - _PREROLL_S) & (ts <= end_time)):
                skipped.append(path)
                reasons.append(f"{path.name} has no audio in the export range")
                continue
            usable.append(_Part(path, ts))
            fmt = fmt or checked
        if fmt is None:
            return None, AudioOutcome(
                False, "No audio: " + "; ".join(reasons) + ".", tuple(skipped)
            )
        rate, layout = fmt
        # Checked before the stream is added: a stream whose encoder fails to open later would
        # stop the container from writing its header, and so the video. AAC knows only the
        # standard rates (8-96 kHz); other sources are resampled to 48 kHz.
        problem = _encoder_problem(rate, layout)
        if problem and _encoder_problem(_FALLBACK_RATE, layout) is None:
            rate, problem = _FALLBACK_RATE, None
        if problem:
            _warn(f"The AAC encoder cannot be opened ({problem}); no audio is exported.")
            return None, AudioOutcome(False, "No audio: the AAC encoder failed.", tuple(skipped))
        names = ", ".join(p.path.name for p in usable)
        message = f"Audio from {names}: AAC {rate} Hz {layout}."
        if reasons:
            message += " Left out: " + "; ".join(reasons) + "."
        track = cls(usable, start_time, end_time, rate, layout)
        return track, AudioOutcome(True, message, tuple(skipped))

    def add_stream(self, container: Any) -> None:
        """Add the AAC output stream to ``container`` (before its first packet is muxed)."""
        stream = container.add_stream("aac", rate=self.rate)
        stream.layout = self.layout
        stream.bit_rate = _AUDIO_BIT_RATE
        stream.time_base = self._time_base
        self._stream = stream

    # -- reading the sources ------------------------------------------------------------------

    def _source_frames(self) -> Generator[tuple[float | None, npt.NDArray[np.float32]], None, None]:
        """``(timestamp or None, samples (channels, n) float32)`` of every part, in order.

        ``None`` marks further frames decoded from the same packet (placed right after).
        """
        for part in self._parts:
            try:
                yield from self._part_frames(part)
            except _av_errors() as exc:
                _warn(
                    f"The audio file {part.path} could not be decoded to the end ({exc}); the "
                    "rest of it is left silent."
                )

    def _part_frames(self, part: _Part) -> Iterator[tuple[float | None, npt.NDArray[np.float32]]]:
        first = self._start - _PREROLL_S
        last = self._start + self._end_samples / self.rate
        with av.open(str(part.path)) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout=self.layout, rate=self.rate)
            index = damaged = 0
            for packet in container.demux(stream):
                if packet.pts is None:  # the closing flush packet carries no timestamp
                    continue
                if index >= part.timestamps.size:
                    break  # more packets than timestamps: Player stops there too
                packet_ts = float(part.timestamps[index])
                index += 1
                if packet_ts < first:
                    continue  # not decoded at all: long recordings, short exports
                if packet_ts > last:
                    break
                ts: float | None = packet_ts
                try:
                    frames = packet.decode()
                except av.FFmpegError as exc:
                    # One bad packet costs one frame of silence, not the rest of the file.
                    if not damaged:
                        _warn(
                            f"Audio packet {index - 1} of {part.path} cannot be decoded ({exc}); "
                            "damaged packets are left silent in the export."
                        )
                    damaged += 1
                    continue
                for frame in frames:
                    frame.pts = None  # timing comes from the timestamps, not the source pts
                    for out in resampler.resample(frame):
                        yield ts, np.asarray(out.to_ndarray(), dtype=np.float32)
                        ts = None

    # -- writing ------------------------------------------------------------------------------

    def _next_placed(self) -> tuple[int, npt.NDArray[np.float32]] | None:
        """The next source block with the sample position (from start_time) it should start at."""
        for ts, samples in self._frames:
            if ts is None:
                at = self._source_end  # another block of the same packet: right after it
            else:
                at = round((ts - self._start) * self.rate)
                # Blocks are placed exactly until the first one lands in the range; after that
                # only when they drift too far from the end of the previous block.
                if self._synced and abs(at - self._cursor) <= self._tolerance:
                    at = self._cursor
            self._source_end = at + samples.shape[1]
            return at, samples
        return None

    def _emit(self, container: Any, samples: npt.NDArray[np.float32]) -> None:
        samples = samples[:, : self._end_samples - self._cursor]
        if samples.shape[1] == 0:
            return
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples), format="fltp", layout=self.layout
        )
        frame.sample_rate = self.rate
        frame.time_base = self._time_base
        frame.pts = self._cursor
        self._cursor += samples.shape[1]
        for packet in self._stream.encode(frame):
            container.mux(packet)

    def _emit_silence(self, container: Any, until: int) -> None:
        block = max(1, round(_SILENCE_BLOCK_S * self.rate))
        until = min(until, self._end_samples)
        while self._cursor < until:
            n = min(block, until - self._cursor)
            self._emit(container, np.zeros((self._channels, n), dtype=np.float32))

    def mux_until(self, container: Any, time_s: float) -> None:
        """Encode and mux audio up to ``time_s`` seconds after ``start_time`` (or a bit beyond)."""
        if self._stream is None or self._broken:
            return
        limit = min(round(time_s * self.rate), self._end_samples)
        try:
            while self._cursor < limit:
                if self._pending is None:
                    self._pending = self._next_placed()
                    if self._pending is None:
                        return
                at, samples = self._pending
                if at > self._cursor:
                    self._emit_silence(container, min(at, limit))
                    if self._cursor < at:
                        return  # the block starts later than the video has got to
                elif at < self._cursor:
                    samples = samples[:, self._cursor - at :]
                self._pending = None
                if samples.shape[1] > 0:
                    self._synced = True
                    self._emit(container, samples)
        except av.FFmpegError as exc:
            self._broken = True
            _warn(f"Encoding the audio track failed ({exc}); the rest of the video has no sound.")

    def finish(self, container: Any) -> None:
        """Mux the rest up to ``end_time``, pad with silence, flush the encoder, close sources."""
        if self._stream is None:
            return
        self.mux_until(container, self._end_samples / self.rate)
        self.close()
        if self._broken:
            return
        try:
            self._emit_silence(container, self._end_samples)
            for packet in self._stream.encode(None):
                container.mux(packet)
        except av.FFmpegError as exc:
            self._broken = True
            _warn(f"Finishing the audio track failed ({exc}); its end may be missing.")

    def close(self) -> None:
        """Close the source file being read (the reading generator may be paused inside it)."""
        self._frames.close()
