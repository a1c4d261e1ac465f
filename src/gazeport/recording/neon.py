"""A native Neon recording opened read-only: the Neon kind of the :func:`gazeport.open` facade.

:class:`NeonRecording` says which streams a Neon folder has and hands them out by name, as the
decoder's columnar arrays (:mod:`gazeport.formats.neon_streams`) with int64 UTC nanosecond
timestamps kept exact; float seconds are derived at the edge (:meth:`NeonRecording.relative_s`).
Streams are decoded on first use and cached; nothing is ever written into the folder.

=====================  ===========================================================================
name                   what (decoder stream)
=====================  ===========================================================================
``gaze``, ``worn``     Pupil Cloud's 200 Hz files when the folder has them, else the phone's
                       real-time parts (the choice of pupil-labs-neon-recording and Neon Player)
``gaze_realtime``,     always the phone's ``gaze psN`` / ``worn psN`` parts
``worn_realtime``
``gaze_200hz``,        only Pupil Cloud's unnumbered 200 Hz files
``worn_200hz``
``gaze_right/left``    per-eye gaze of the app (units undocumented)
``eye_state``          pupil diameters, eyeball centres, optical axes (+ eyelids from format 2.5)
``imu``                ``imu psN.raw``, or the protobuf ``extimu psN.raw`` of format 2.3
``fixations``,         the app's fixations and saccades; for app versions before 2.9.31 the
``saccades``           fixation means get the gaze offset the app forgot (x +, y −, as
                       pupil-labs-neon-recording does)
``blinks``, ``events`` the app's blinks; ``event.txt`` with ``event.time``
``scene``, ``eye``     video frame times with ``part`` and ``frame_in_part``
=====================  ===========================================================================
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import warnings
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from ..errors import GazeportError, GazeportWarning, StreamNotFoundError, TrimRangeError
from ..formats.neon_calibration import NeonCalibration, read_calibration_or_default
from ..formats.neon_chunks import ChunkPlan, iter_chunks, plan_chunks
from ..formats.neon_info import NeonInfo, NeonWearer, read_neon_info, read_neon_wearer
from ..formats.neon_inventory import StreamSummary, list_neon_streams
from ..formats.neon_manifest import ManifestMismatch, check_manifest
from ..formats.neon_parts import map_times
from ..formats.neon_streams import SPECS, neon_stream, output_dtype, record_dtype
from . import neon_events
from .detect import RecordingKind
from .neon_timeline import NeonTimeline, neon_player_timeline
from .window import STREAM_ROWS, ExportWindow, checked_frame_range, window_chunks

#: Stream name → the decoder streams that can serve it, preferred first.
STREAMS: dict[str, tuple[str, ...]] = {
    "gaze": ("gaze_200hz", "gaze"),
    "worn": ("worn_200hz", "worn"),
    "gaze_realtime": ("gaze",),
    "worn_realtime": ("worn",),
    "gaze_200hz": ("gaze_200hz",),
    "worn_200hz": ("worn_200hz",),
    "gaze_right": ("gaze_right",),
    "gaze_left": ("gaze_left",),
    "eye_state": ("eye_state",),
    "imu": ("imu", "extimu"),
    "fixations": ("fixations",),
    "saccades": ("saccades",),
    "blinks": ("blinks",),
    "events": ("events",),
    "scene": ("scene",),
    "eye": ("eye",),
}


def _check_stream_name(name: str) -> None:
    if name not in STREAMS:
        raise StreamNotFoundError(
            f"{name!r} is not a Neon stream; use one of {', '.join(STREAMS)}."
        )


#: Before this app version the fixation means lack the gaze offset (pupil-labs-neon-recording).
FIXATION_OFFSET_FIXED_IN = (2, 9, 31)
#: The end of the sentence for the tools that work on Pupil Core-family recordings only
#: (transcoding, and code that asks for :class:`Recording` itself).
NOT_YET = (
    "this needs a Pupil Core, Mobile or Invisible recording; Neon's scene and eye videos are "
    "H.264 already, and `gazeport export` handles Neon recordings"
)


#: Streams of events (start/end records), not samples: no rate, no gaps.
EVENT_STREAMS = frozenset({"fixations", "saccades", "blinks", "events"})
#: A space between two parts longer than this counts as a gap [s] (Neon Player's gray-frame rule).
GAP_S = 0.5


def sample_rate_hz(summary: StreamSummary) -> float | None:
    """Samples per second of a sample stream: the inverse of the median interval between
    consecutive timestamps inside its parts (so gaps do not lower it); ``None`` for event
    streams and streams without two timestamps in a part. Reads only the ``.time`` files."""
    if summary.name in EVENT_STREAMS:
        return None
    steps = [np.diff(map_times(p.time_file)[: p.used]) for p in summary.parts if p.used > 1]
    if not steps:
        return None
    median = float(np.median(np.concatenate(steps)))
    return 1e9 / median if median > 0 else None


def part_gaps(summary: StreamSummary, min_gap_s: float = GAP_S) -> list[tuple[int, int]]:
    """``(last_ns, next_first_ns)`` of every space longer than ``min_gap_s`` between
    consecutive parts of a sample stream, in time order (none for event streams)."""
    if summary.name in EVENT_STREAMS:
        return []
    spans = [(p.first_ns, p.last_ns) for p in summary.parts
             if p.first_ns is not None and p.last_ns is not None]  # fmt: skip
    return [
        (end, nxt)
        for (_, end), (nxt, _) in itertools.pairwise(spans)
        if nxt - end > min_gap_s * 1e9
    ]


class NeonRecording:
    """A native Neon recording folder opened read-only (use :func:`gazeport.open`).

    ``info`` is the parsed ``info.json``; streams come by name from :meth:`stream` or as the
    attributes ``gaze``, ``worn``, ``imu``, ``eye_state``, ``fixations``, ``saccades``,
    ``blinks``, ``events`` (see the module docstring for every name). The attributes
    ``fixations``, ``saccades`` and ``blinks`` have no rows when the app did not compute them
    (format 2.3); :meth:`stream` raises :class:`StreamNotFoundError` for them then.
    """

    kind = RecordingKind.NEON

    def __init__(self, path: Path | str) -> None:
        self.path = Path(os.path.abspath(Path(path).expanduser()))
        self.info: NeonInfo = read_neon_info(self.path / "info.json")
        self._cache: dict[str, np.ndarray] = {}
        self._plans: dict[str, ChunkPlan | None] = {}

    # --- metadata ------------------------------------------------------------------------------

    @property
    def start_time_ns(self) -> int:
        """Recording start, UTC nanoseconds since the Unix epoch (``info.json`` ``start_time``)."""
        return self.info.start_time_ns

    @property
    def stop_time_ns(self) -> int:
        """Recording start plus ``duration``, UTC ns."""
        return self.info.stop_time_ns

    @property
    def duration_s(self) -> float:
        """Length of the recording [s] (``info.json`` ``duration``)."""
        return self.info.duration_ns / 1e9

    def relative_s(self, timestamps_ns: Any) -> np.ndarray:
        """UTC ns → seconds from the recording start (float64; exact ns stay in the arrays)."""
        return (np.asarray(timestamps_ns, dtype=np.int64) - self.start_time_ns) / 1e9

    @cached_property
    def wearer(self) -> NeonWearer | None:
        """``wearer.json`` (uuid, name); ``None`` with a warning when it is missing or broken."""
        try:
            return read_neon_wearer(self.path / "wearer.json")
        except (GazeportError, OSError) as exc:
            warnings.warn(f"{exc}; the wearer is unknown.", GazeportWarning, stacklevel=2)
            return None

    @cached_property
    def calibration(self) -> NeonCalibration:
        """Camera intrinsics and extrinsics from ``calibration.bin`` (defaults when absent)."""
        return read_calibration_or_default(self.path / "calibration.bin")

    def check_manifest(self) -> list[ManifestMismatch]:
        """Files that differ from ``manifest.json`` (never raises; empty when all fits)."""
        return check_manifest(self.path)

    # --- streams -------------------------------------------------------------------------------

    @cached_property
    def _inventory(self) -> dict[str, StreamSummary]:
        return list_neon_streams(self.path)

    def stream_summaries(self) -> list[StreamSummary]:
        """Every stream on disk with its parts, counts and time spans (no data decoded), by
        the names of :meth:`stream`: the protobuf ``extimu`` parts are the ``imu`` stream when
        there is no ``imu psN.raw`` and are left out when there is (the same samples)."""
        out = []
        for name, summary in self._inventory.items():
            if name == "extimu":
                if "imu" in self._inventory:
                    continue
                summary = dataclasses.replace(summary, name="imu")
            out.append(summary)
        return out

    @property
    def stream_names(self) -> tuple[str, ...]:
        """The names :meth:`stream` serves for this recording."""
        return tuple(name for name in STREAMS if self.has_stream(name))

    def has_stream(self, name: str) -> bool:
        """True if the folder holds stream ``name`` (possibly with no samples)."""
        return any(source in self._inventory for source in STREAMS.get(name, ()))

    def stream(self, name: str) -> np.ndarray:
        """Stream ``name`` as a structured array sorted by time, decoded once and cached.

        Unknown names and streams the recording lacks raise :class:`StreamNotFoundError`.
        """
        _check_stream_name(name)
        if name not in self._cache:
            data = neon_stream(self.path, self._source(name))
            if name == "fixations":
                data = self._with_fixation_offset(data)
            self._cache[name] = data
        return self._cache[name]

    def _source(self, name: str) -> str:
        """The decoder stream that serves ``name`` (the first of :data:`STREAMS` on disk)."""
        sources = [s for s in STREAMS[name] if s in self._inventory] or [STREAMS[name][0]]
        return "imu" if sources[0] == "extimu" else sources[0]

    def iter_chunks(
        self, name: str, window_ns: tuple[int, int] | None = None, rows: int = STREAM_ROWS
    ) -> Iterator[np.ndarray]:
        """The rows of sample stream ``name`` with ``start <= timestamp_ns <= stop`` (all
        without a window), in time order, at most ``rows`` at a time: the rows of
        ``stream(name)``, read from the parts chunk by chunk so memory does not grow with the
        recording. Streams that cannot be streamed (events, unsorted parts, format 2.3's
        protobuf IMU) and streams already decoded are cut from the whole array."""
        _check_stream_name(name)
        plan = None
        if name not in self._cache and name not in EVENT_STREAMS:
            source = self._source(name)
            if source not in self._plans:
                spec = SPECS.get(source)
                self._plans[source] = None if spec is None else plan_chunks(self.path, spec)
            plan = self._plans[source]
        if plan is None:
            return window_chunks(self.stream(name), window_ns, rows)
        return iter_chunks(plan, window_ns, rows)

    def _events_or_empty(self, name: str) -> np.ndarray:
        """Stream ``name``, or no rows of its built-in layout when the app did not compute it
        (format 2.3, or the real-time detectors switched off)."""
        if self.has_stream(name):
            return self.stream(name)
        spec = SPECS[name]
        dtype, source = record_dtype(self.path, spec, [])
        return np.empty(0, dtype=output_dtype(spec, dtype, Path(source)))

    def _with_fixation_offset(self, fixations: np.ndarray) -> np.ndarray:
        if self.info.app_version_tuple >= FIXATION_OFFSET_FIXED_IN:
            return fixations
        dx, dy = self.info.gaze_offset_px
        fixations["mean_gaze_x_px"] += np.float32(dx)
        fixations["mean_gaze_y_px"] -= np.float32(dy)
        return fixations

    @property
    def gaze(self) -> np.ndarray:
        """Gaze in scene pixels: ``timestamp_ns``, ``gaze_x_px``, ``gaze_y_px``."""
        return self.stream("gaze")

    @property
    def worn(self) -> np.ndarray:
        """Worn flags (``worn`` uint8, 0 or 255), on gaze's timestamps."""
        return self.stream("worn")

    @property
    def imu(self) -> np.ndarray:
        """IMU: gyro (deg/s), acceleration (g), orientation quaternion (w, x, y, z)."""
        return self.stream("imu")

    @property
    def eye_state(self) -> np.ndarray:
        """3D eye state: pupil diameters (mm), eyeball centres (mm), optical axes, eyelids."""
        return self.stream("eye_state")

    @property
    def fixations(self) -> np.ndarray:
        """The app's fixations (``start_timestamp_ns``, ``end_timestamp_ns``, gaze points px)."""
        return self._events_or_empty("fixations")

    @property
    def saccades(self) -> np.ndarray:
        """The app's saccades (start/end times ns, amplitudes, velocities)."""
        return self._events_or_empty("saccades")

    @property
    def blinks(self) -> np.ndarray:
        """The app's blinks: ``start_timestamp_ns``, ``end_timestamp_ns``."""
        return self._events_or_empty("blinks")

    @property
    def events(self) -> np.ndarray:
        """Recording events: ``timestamp_ns``, ``name``, sorted by time."""
        return self.stream("events")

    @property
    def recording_id(self) -> str:
        """``info.json`` ``recording_id``: the ``recording id`` column of every export row."""
        return self.info.recording_id

    def native_events(self) -> np.ndarray:
        """``event.txt``/``event.time`` as ``timestamp_ns``, ``name`` (no rows without them)."""
        if self.has_stream("events"):
            return self.events
        return np.empty(0, dtype=[("timestamp_ns", "<i8"), ("name", object)])

    def event_table(self) -> np.ndarray:
        """Every event Neon Player shows as ``timestamp_ns`` (int64), ``name`` and ``type``
        (``"recording"`` when name and time match an ``event.txt`` event, else ``"player"``
        for events added in Neon Player or gazeport), sorted by time (stable); see
        :mod:`gazeport.recording.neon_events`."""
        return neon_events.event_table(self.path, self.native_events())

    # --- world frames and export windows -------------------------------------------------------

    @cached_property
    def timeline(self) -> NeonTimeline:
        """Neon Player's world frame timeline (scene frames plus gray frames)."""
        if self.has_stream("scene"):
            scene = self.stream("scene")
        else:
            scene = np.empty(
                0, dtype=[("timestamp_ns", "<i8"), ("part", "<i8"), ("frame_in_part", "<i8")]
            )
        return neon_player_timeline(scene, self.start_time_ns, self.stop_time_ns)

    def export_window(
        self,
        start_frame: int | None = None,
        end_frame: int | None = None,
        start_s: float | None = None,
        end_s: float | None = None,
        from_event: str | None = None,
        to_event: str | None = None,
    ) -> ExportWindow:
        """The export window from world frames (Neon Player's timeline), seconds from the
        recording start, or event names (the first ``from_event``, then the first ``to_event``
        at or after it); without any, the whole recording (``info.json`` start to start plus
        duration). Ranges outside the recording raise :class:`TrimRangeError` in the units given.
        """
        given = [
            kind
            for kind, values in (
                ("frames", (start_frame, end_frame)),
                ("seconds", (start_s, end_s)),
                ("events", (from_event, to_event)),
            )
            if any(v is not None for v in values)
        ]
        if len(given) > 1:
            raise TrimRangeError(
                f"Give the export range in one way ({' or '.join(given)}), not {len(given)}."
            )
        start, stop = self.start_time_ns, self.stop_time_ns
        if start_s is not None or end_s is not None:
            start, stop = self._seconds_window(start_s, end_s)
        elif from_event is not None or to_event is not None:
            start, stop = self._event_window(from_event, to_event)
        elif start_frame is not None or end_frame is not None:
            start, stop = self._frame_window(start_frame, end_frame)
        tl = self.timeline
        left, right = tl.frame_at_or_before(start), tl.frame_at_or_before(stop)
        frame_range = (max(left, 0), max(right, 0))
        return ExportWindow(
            frame_range,
            ((start - self.start_time_ns) / 1e9, (stop - self.start_time_ns) / 1e9),
            (start, stop),
        )

    def _seconds_window(self, start_s: float | None, end_s: float | None) -> tuple[int, int]:
        duration = self.duration_s
        lo = 0.0 if start_s is None else float(start_s)
        hi = duration if end_s is None else float(end_s)
        if not (0.0 <= lo <= duration) or hi < 0.0 or lo > hi:
            raise TrimRangeError(
                f"The range {lo:g} – {hi:g} s is outside {self.path.name}, which runs "
                f"0 – {duration:.3f} s from its start; choose seconds in that range."
            )
        hi = min(hi, duration)
        return self.start_time_ns + round(lo * 1e9), self.start_time_ns + round(hi * 1e9)

    def _event_window(self, from_event: str | None, to_event: str | None) -> tuple[int, int]:
        events = self.event_table()
        names = list(dict.fromkeys(events["name"].tolist()))
        start, stop = self.start_time_ns, self.stop_time_ns
        if from_event is not None:
            hits = events["timestamp_ns"][events["name"] == from_event]
            if not hits.size:
                raise TrimRangeError(self._no_event(from_event, names))
            start = int(hits[0])
        if to_event is not None:
            mask = (events["name"] == to_event) & (events["timestamp_ns"] >= start)
            hits = events["timestamp_ns"][mask]
            if not hits.size:
                after = f" at or after {from_event!r}" if from_event is not None else ""
                raise TrimRangeError(self._no_event(to_event, names, after))
            stop = int(hits[0])
        return start, stop

    def _no_event(self, name: str, names: list[str], after: str = "") -> str:
        known = ", ".join(repr(n) for n in names) or "none"
        return (
            f"{self.path.name} has no event {name!r}{after}; its events are: {known} "
            "(list them with `gazeport annotate REC list`)."
        )

    def _frame_window(self, start_frame: int | None, end_frame: int | None) -> tuple[int, int]:
        ts = self.timeline.timestamps_ns
        left, right = checked_frame_range(self.path, ts.shape[0], start_frame, end_frame)
        return int(ts[left]), int(ts[right])

    # --- context manager -----------------------------------------------------------------------

    def drop_streams(self) -> None:
        """Forget the decoded streams (they are decoded again on next use): an exporter that
        is done with them keeps memory to one table's streams at a time."""
        self._cache.clear()
        self._plans.clear()

    def close(self) -> None:
        """Drop the decoded streams (no file stays open between calls)."""
        self._cache.clear()
        self._plans.clear()
        self.__dict__.pop("_inventory", None)
        self.__dict__.pop("timeline", None)

    def __enter__(self) -> NeonRecording:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<NeonRecording {self.path.name!r} neon {self.info.data_format_version} "
            f"{self.duration_s:.1f} s>"
        )


__all__ = ["NOT_YET", "STREAMS", "NeonRecording", "part_gaps", "sample_rate_hz"]
