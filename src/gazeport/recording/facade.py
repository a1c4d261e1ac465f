"""The read-only :class:`Recording` facade: one object per recording folder, streams on demand."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _native
from .._threads import ordered_thread_map, reader_threads
from .._types import GAZE_DTYPE, PUPIL_DTYPE
from ..coords import norm_to_pixels, pixels_to_norm
from ..errors import (
    CorruptFileError,
    GazeportWarning,
    StreamNotFoundError,
    TrimRangeError,
    UnsupportedRecordingError,
)
from ..formats.info_files import (
    RecordingInfo,
    first_video_timestamp,
    read_invisible_info,
    read_mobile_info,
    read_old_style_info,
    read_player_info,
    wall_clock_offset_s,
)
from ..formats.intrinsics import CameraIntrinsics, read_intrinsics_for
from ..formats.pldata import load_timestamps, read_datums, timestamps_path
from ..timeseries import exact_window
from . import sources
from .column_halves import columns_in_halves
from .columns import ColumnChunk, decode_rows, sorted_chunks
from .datum_stream import DatumStream
from .detect import RecordingKind, check_recording
from .frame_table import FrameTable
from .window import END_OF_TIME_NS, ExportWindow, checked_frame_range, seconds_to_ns

if TYPE_CHECKING:
    from ..video.reader import FrameReader  # PyAV: imported when a video is opened

DATA_STREAMS = ("pupil", "gaze")
#: Videos a recording can have frame tables for.
VIDEO_NAMES = ("world", "eye0", "eye1")


@dataclass(frozen=True)
class StreamSummary:
    """What ``gazeport info`` shows for one stream."""

    name: str
    count: int
    first_s: float | None
    last_s: float | None
    source: str
    #: What is wrong with the stream's files (one sentence), e.g. an empty ``gaze.pldata``.
    problem: str | None = None

    @property
    def rate_hz(self) -> float | None:
        if self.count < 2 or self.first_s is None or self.last_s is None:
            return None
        span = self.last_s - self.first_s
        return (self.count - 1) / span if span > 0 else None


class Recording:
    """A Pupil Core-family recording opened read-only.

    Use :func:`gazeport.open`. Nothing is read until it is needed and nothing is ever written
    into the recording folder. ``pupil`` and ``gaze`` are NumPy structured arrays sorted by
    time (``PUPIL_DTYPE`` / ``GAZE_DTYPE``) with ``world_index`` filled in.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(os.path.abspath(Path(path).expanduser()))
        self.kind: RecordingKind = check_recording(self.path)
        if self.kind in OWN_CLASS:
            from .neon import NOT_YET

            what = (
                "a Pupil Cloud download"
                if self.kind is RecordingKind.CLOUD_CSV
                else "a native Neon recording"
            )
            raise UnsupportedRecordingError(f"{self.path} is {what}: {NOT_YET}.")
        self._invisible_raw: dict[str, Any] | None = None
        self.info: RecordingInfo = self._read_info()
        self._sources = sources.for_recording(self.path, self.kind, self.info, self._invisible_raw)

    # --- metadata ------------------------------------------------------------------------------

    def _read_info(self) -> RecordingInfo:
        p = self.path
        if self.kind is RecordingKind.NEW_STYLE:
            return read_player_info(p / "info.player.json")
        if self.kind is RecordingKind.OLD_STYLE:
            return read_old_style_info(p / "info.csv", lambda: first_video_timestamp(p))
        if self.kind is RecordingKind.MOBILE:
            return read_mobile_info(p / "info.csv")
        info, raw = read_invisible_info(p / "info.json")
        self._invisible_raw = raw
        return info

    @property
    def is_invisible(self) -> bool:
        """Pupil Invisible data (native or converted by Player): timestamps start near 0."""
        return (
            self.kind is RecordingKind.INVISIBLE
            or self.info.recording_software_name == "Pupil Invisible"
        )

    @property
    def start_time_s(self) -> float:
        """Pupil time [s] of the recording start (0 for Invisible, whose times are rebased)."""
        return 0.0 if self.is_invisible else self.info.start_time_synced_s

    @property
    def wall_clock_offset_s(self) -> float:
        """Seconds to add to Pupil time to get Unix epoch seconds (UTC)."""
        return wall_clock_offset_s(self.info, self.is_invisible)

    @property
    def wall_clock_offset_ns(self) -> int:
        """Nanoseconds to add to Pupil time [ns] to get Unix epoch ns: :attr:`wall_clock_offset_s`
        with each start time converted exactly (their float64 difference loses ~100 ns)."""
        system = int(seconds_to_ns(self.info.start_time_system_s))
        return (
            system
            if self.is_invisible
            else system - int(seconds_to_ns(self.info.start_time_synced_s))
        )

    def to_wall_clock_ns(self, timestamps: Any) -> np.ndarray:
        """Pupil time [s] -> Unix epoch ns (int64), exact to the ns of each float timestamp."""
        return seconds_to_ns(timestamps) + self.wall_clock_offset_ns

    def to_wall_clock(self, timestamps: Any) -> np.ndarray:
        """Pupil time [s] -> Unix epoch seconds (float64)."""
        return np.asarray(timestamps, dtype=np.float64) + self.wall_clock_offset_s

    def to_datetime(self, timestamp: float) -> dt.datetime:
        """One Pupil timestamp [s] as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(float(self.to_wall_clock(timestamp)), tz=dt.timezone.utc)

    @property
    def start_datetime(self) -> dt.datetime:
        """Wall-clock start of the recording (UTC)."""
        return dt.datetime.fromtimestamp(self.info.start_time_system_s, tz=dt.timezone.utc)

    # --- world frames --------------------------------------------------------------------------

    @cached_property
    def frame_table(self) -> FrameTable:
        """World frame table (Player's lookup): index <-> timestamp <-> (video part, pts)."""
        return self._sources.frame_table(self.start_time_s, self.info.duration_s)

    @property
    def world_timestamps(self) -> np.ndarray:
        """Timestamp [s] of every world frame index, virtual frames included."""
        return self.frame_table.timestamps

    def world_index(self, timestamps: Any) -> np.ndarray:
        """Nearest world frame index for each timestamp (Player's ``find_closest``)."""
        return self.frame_table.index_for(timestamps)

    @cached_property
    def _video_tables(self) -> dict[str, FrameTable]:
        return {}

    def video_frame_table(self, name: str) -> FrameTable:
        """Frame table of the ``world``, ``eye0`` or ``eye1`` video, built once and cached.

        ``world`` is :attr:`frame_table`. Eye tables are built the same way from the eye
        video parts and their timestamps (Mobile and Invisible files by the names Player gives
        them), without an artificial table: empty when neither video nor timestamps exist.
        """
        if name == "world":
            return self.frame_table
        if name not in VIDEO_NAMES:
            raise StreamNotFoundError(
                f"There is no video called {name!r}; choose one of {', '.join(VIDEO_NAMES)}."
            )
        if name not in self._video_tables:
            parts = sources.converted_video_parts(self.path, self.kind, name)
            self._video_tables[name] = self._sources.video_table(name, parts)
        return self._video_tables[name]

    def open_video(self, name: str = "world") -> FrameReader:
        """A :class:`~gazeport.video.reader.FrameReader` over the frame table of video ``name``.

        Frames without a decodable video frame are gray. Raises :class:`StreamNotFoundError`
        if the recording has neither a ``name`` video nor ``name`` timestamps. Close the
        reader (or use it in a ``with`` block) when done.
        """
        table = self.video_frame_table(name)
        if len(table) == 0 or table.source == "artificial":
            raise StreamNotFoundError(
                f"{self.path} has no {name} video and no {name} timestamps, so there are no "
                f"{name} frames to read."
            )
        from ..video.reader import FrameReader

        return FrameReader(table.rows, table.parts, table.frame_size)

    def frame_range(
        self,
        start_frame: int | None = None,
        end_frame: int | None = None,
        start_s: float | None = None,
        end_s: float | None = None,
    ) -> tuple[int, int]:
        """Inclusive world frame range from frame indices or seconds after the first frame.

        Seconds map to frames like Player's trim inputs (first frame at or after the time; an
        end after the last frame means the last frame); missing ends default to the first and
        last frame. A range outside the recording raises :class:`TrimRangeError` in the units
        it was given in (frames or seconds), with the recording's valid range in those units.
        """
        ts = self.world_timestamps
        n = ts.shape[0]
        if n == 0:
            raise TrimRangeError(f"{self.path} has no world frames, so there is no range to trim.")
        if (start_frame is not None or end_frame is not None) and (
            start_s is not None or end_s is not None
        ):
            raise TrimRangeError("Give the range either in frames or in seconds, not both.")
        if start_s is not None or end_s is not None:
            return self._seconds_range(ts, start_s, end_s)
        return checked_frame_range(self.path, n, start_frame, end_frame)

    def _seconds_range(
        self, ts: np.ndarray, start_s: float | None, end_s: float | None
    ) -> tuple[int, int]:
        """:meth:`frame_range` for seconds after the first frame; errors speak seconds."""
        n = ts.shape[0]
        length = float(ts[-1] - ts[0])
        for name, value in (("start", start_s), ("end", end_s)):
            if value is not None and np.isnan(value):
                raise TrimRangeError(
                    f"The {name} time is not a number; give seconds after the first world frame "
                    f"(0 to {length:.3f} s)."
                )
        if start_s is not None and end_s is not None and start_s > end_s:
            raise TrimRangeError(
                f"The start time {start_s:g} s lies after the end time {end_s:g} s; swap them."
            )
        left, right = 0, n - 1
        if start_s is not None:
            left = int(np.searchsorted(ts, ts[0] + start_s, side="left"))
            if left > n - 1:
                raise TrimRangeError(
                    f"The start time {start_s:g} s lies after {self.path.name}'s last world frame, "
                    f"{length:.3f} s after the first; choose a start from 0 to {length:.3f} s."
                )
        if end_s is not None:
            right = min(int(np.searchsorted(ts, ts[0] + end_s, side="left")), n - 1)
        return left, right

    def ts_window(self, frame_range: tuple[int, int]) -> tuple[float, float]:
        """Player's data window ``(t[left], t[right])`` for an inclusive frame range."""
        return exact_window(self.world_timestamps, frame_range)

    def export_window(
        self,
        start_frame: int | None = None,
        end_frame: int | None = None,
        start_s: float | None = None,
        end_s: float | None = None,
        from_event: str | None = None,
        to_event: str | None = None,
    ) -> ExportWindow:
        """The export window of :meth:`frame_range` and :meth:`ts_window`, with its UTC ns
        equivalent (an open right end stays open). Event names are for Neon and Cloud
        recordings, whose events carry names; here they raise :class:`TrimRangeError`."""
        if from_event is not None or to_event is not None:
            raise TrimRangeError(
                f"{self.path.name} is a {self.kind} recording: --from-event/--to-event take the "
                "events of Neon and Cloud recordings; give frames or seconds instead."
            )
        frame_range = self.frame_range(start_frame, end_frame, start_s, end_s)
        lo, hi = self.ts_window(frame_range)

        def ns(t: float) -> int:
            return END_OF_TIME_NS if not np.isfinite(t) else int(self.to_wall_clock_ns(t))

        return ExportWindow(frame_range, (lo, hi), (ns(lo), ns(hi)))

    def norm_to_pixels(self, norm: Any) -> np.ndarray:
        """``(..., 2)`` normalized positions (origin bottom-left) -> world image pixels."""
        return norm_to_pixels(norm, self.frame_table.frame_size)

    def pixels_to_norm(self, pixels: Any) -> np.ndarray:
        """``(..., 2)`` world image pixels (origin top-left) -> normalized positions."""
        return pixels_to_norm(pixels, self.frame_table.frame_size)

    # --- data streams --------------------------------------------------------------------------

    def has_stream(self, name: str) -> bool:
        """Whether ``pupil`` or ``gaze`` data exist (files or converted data)."""
        return self._sources.has(name)

    def count(self, name: str, window: tuple[float, float] | None = None) -> int:
        """Number of datums in stream ``name`` (``pupil`` or ``gaze``) with ``lo <= t < hi``
        (all of them without a window)."""
        if not self._sources.has(name):
            raise StreamNotFoundError(f"{self.path} has no {name} data.")
        keys = self._sources.stream(name).data_ts()
        return len(keys) if window is None else keys.count_in(window)

    def iter_batches(self, name: str, window: tuple[float, float] | None = None) -> Iterator[Any]:
        """Like :meth:`iter_chunks` but undecoded: each item has ``decode() -> ColumnChunk``.

        Exporters hand these to worker processes; ``world_index`` is already filled.
        """
        return self._sorted_batches(name, window, world_index=True)

    def _sorted_batches(
        self, name: str, window: tuple[float, float] | None, *, world_index: bool
    ) -> Iterator[Any]:
        if name not in DATA_STREAMS:
            raise StreamNotFoundError(
                f"Unknown stream {name!r}; choose one of {', '.join(DATA_STREAMS)}."
            )
        if not self._sources.has(name):
            raise StreamNotFoundError(f"{self.path} has no {name} data.")
        stream = self._sources.stream(name)
        table = self.frame_table if world_index else None
        for batch in sorted_chunks(stream.iter_file_chunks(window), stream.data_ts(), window):
            if table is not None:
                key = batch.values["data_ts"]
                batch.values["world_index"] = (
                    table.index_for(key) if len(table) else np.zeros(len(batch), np.int64)
                )
            yield batch

    def iter_chunks(
        self, name: str, window: tuple[float, float] | None = None
    ) -> Iterator[ColumnChunk]:
        """Rows of ``pupil`` or ``gaze`` sorted by time, restricted to ``lo <= t < hi``, with
        ``world_index`` filled — streamed in chunks, whatever the recording's length."""
        for batch in self.iter_batches(name, window):
            chunk = decode_rows(batch)
            yield chunk

    def _load(self, name: str, dtype: np.dtype) -> np.ndarray:
        parts = []
        for chunk in self.iter_chunks(name):
            arr = np.empty(len(chunk), dtype=dtype)
            for field in dtype.names or ():
                arr[field] = chunk.values[field]
            parts.append(arr)
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    def columns(
        self, name: str, fields: tuple[str, ...], window: tuple[float, float] | None = None
    ) -> dict[str, np.ndarray]:
        """Only ``fields`` of stream ``name``, sorted by time (less memory than :attr:`pupil`).

        Absent optional values are NaN (floats) or -1 (ints). Only ``fields`` are decoded (and
        ``world_index`` only looked up when asked for).
        """
        threads = _native.compiled() and reader_threads() > 1
        stream = self._sources.stream(name) if self._sources.has(name) else None
        if threads and window is None and isinstance(stream, DatumStream):
            whole = columns_in_halves(stream, fields)  # two threads, each half of the file
            if whole is not None:
                return whole
        # With the compiled gather (which releases the GIL) two threads decode while this one
        # reads and frames the next blocks (10 min of 400 Hz gaze: ~0.12 s, ~0.13 in one).
        parts: dict[str, list[np.ndarray]] = {f: [] for f in fields}
        batches = self._sorted_batches(name, window, world_index="world_index" in fields)
        decoded = ordered_thread_map(
            lambda batch: batch.decode(fields), batches, 2 if threads else 1, name="gazeport-decode"
        )
        for chunk in decoded:
            for f in fields:
                parts[f].append(chunk.values[f])
        return {f: np.concatenate(v) if v else np.empty(0) for f, v in parts.items()}

    def datums(self, name: str) -> list[dict[str, Any]]:
        """All datums of ``<name>.pldata`` decoded (for small streams such as Capture's online
        ``fixations`` and ``blinks``), sorted stably by their ``*_timestamps.npy`` times
        (datum timestamps if that file is missing). A missing file gives ``[]``."""
        path = self.path / f"{name}.pldata"
        items = read_datums(path)
        sidecar = load_timestamps(timestamps_path(path))
        if sidecar is None or sidecar.shape[0] != len(items):
            keys = np.array([float(d.get("timestamp", np.nan)) for d in items])
        else:
            keys = sidecar
        return [items[i] for i in np.argsort(keys, kind="stable").tolist()]

    @cached_property
    def world_intrinsics(self) -> CameraIntrinsics | None:
        """World camera intrinsics for the world frame size from ``world.intrinsics`` (None if
        the file or that resolution is missing)."""
        path = self.path / "world.intrinsics"
        if not path.exists():
            return None
        try:
            return read_intrinsics_for(path, self.frame_table.frame_size)
        except CorruptFileError as exc:
            warnings.warn(
                f"{exc} gazeport uses a default pinhole camera for the world camera instead.",
                GazeportWarning,
                stacklevel=2,
            )
            return None

    @cached_property
    def pupil(self) -> np.ndarray:
        """All pupil datums (both eyes, all detectors), ``PUPIL_DTYPE``, sorted by time."""
        return self._load("pupil", PUPIL_DTYPE)

    @cached_property
    def gaze(self) -> np.ndarray:
        """All gaze datums, ``GAZE_DTYPE``, sorted by time."""
        return self._load("gaze", GAZE_DTYPE)

    def stream_summaries(self) -> list[StreamSummary]:
        """Every stream with its count and time span (cheap: timestamps only).

        A stream whose files have a problem (an unusable timestamp file, an empty or missing
        ``gaze.pldata`` whose timestamps list samples) says so in ``problem``.
        """
        out = []
        for name, (ts, source, problem) in self._sources.all_timestamps().items():
            if ts is None and problem is None:
                continue
            ts = np.empty(0) if ts is None else ts
            finite = ts[np.isfinite(ts)] if ts.size else ts
            out.append(
                StreamSummary(
                    name,
                    int(ts.shape[0]),
                    float(finite.min()) if finite.size else None,
                    float(finite.max()) if finite.size else None,
                    source,
                    problem,
                )
            )
        return out

    def raw_streams(self) -> tuple[str, ...]:
        """The streams Pupil Player's Raw Data Exporter writes a file for, data or not.

        Player writes ``gaze_positions.csv`` always and ``pupil_positions.csv`` whenever a
        pupil producer is available, which is every recording but Pupil Invisible ones; a
        stream without data gets a header-only file.
        """
        return ("gaze",) if self.is_invisible else DATA_STREAMS

    def stream_shortfall(self, name: str) -> str | None:
        """After stream ``name`` was read in full: the sentence saying that its data file
        holds fewer samples than its timestamps file lists (None when nothing is missing)."""
        if not self._sources.has(name):
            return None
        return getattr(self._sources.stream(name), "shortfall", None)

    # --- context manager -----------------------------------------------------------------------

    def close(self) -> None:
        """Drop cached data (nothing is held open between calls)."""
        for attr in ("pupil", "gaze", "frame_table"):
            self.__dict__.pop(attr, None)

    def __enter__(self) -> Recording:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Recording {self.path.name!r} {self.kind.value} {self.info.duration_s:.1f} s>"


#: Kinds with a class of their own (every other kind opens as a Core-family :class:`Recording`):
#: their modules are imported when such a recording is opened (~20 ms spared for the others).
OWN_CLASS: dict[RecordingKind, tuple[str, str]] = {
    RecordingKind.NEON: (".neon", "NeonRecording"),
    RecordingKind.CLOUD_CSV: (".cloud", "CloudRecording"),
}


def open_recording(path: Path | str) -> AnyRecording:
    """Open a recording folder read-only: a :class:`NeonRecording` for native Neon folders,
    else a :class:`Recording` (Pupil Core, Mobile, Invisible)."""
    own = OWN_CLASS.get(check_recording(path))
    if own is None:
        return Recording(path)
    opener: type[NeonRecording] = getattr(importlib.import_module(own[0], __package__), own[1])
    return opener(path)


if TYPE_CHECKING:
    from .neon import NeonRecording

    #: A recording of any kind :func:`open_recording` returns.
    AnyRecording = Recording | NeonRecording


def __getattr__(name: str) -> Any:
    """``NeonRecording`` and ``AnyRecording``, imported on first use (PEP 562)."""
    if name in ("NeonRecording", "AnyRecording"):
        from .neon import NeonRecording

        value = NeonRecording if name == "NeonRecording" else Recording | NeonRecording
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["AnyRecording", "NeonRecording", "Recording", "StreamSummary", "open_recording"]
