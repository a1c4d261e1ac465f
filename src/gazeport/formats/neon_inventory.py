"""Which streams a native Neon recording folder holds: parts, counts and time spans, for
``gazeport info``. Reads only sizes and the first and last timestamps of each part (plus the
``event_type`` column of the small fixation files); emits no warnings: a mismatch shows as
``records != timestamps`` in a part's summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .neon_parts import TIME_DTYPE, NeonPart, find_parts, map_records
from .neon_streams import (
    EVENTS_FILES,
    SPECS,
    VIDEOS,
    StreamSpec,
    record_dtype,
    stream_parts,
    video_parts,
)


@dataclass(frozen=True)
class PartSummary:
    """One part of a stream. ``records`` counts the data file's whole records (``None`` when the
    ``.time`` file is the data, or the records have no fixed size); ``used`` is what the decoder
    keeps (the shorter of records and timestamps, or the matching ``event_type`` rows)."""

    number: int | None
    data_file: Path | None
    time_file: Path
    records: int | None
    timestamps: int
    used: int
    first_ns: int | None
    last_ns: int | None
    video_file: Path | None = None  # the part's MP4 when it exists (video streams only)


@dataclass(frozen=True)
class StreamSummary:
    """One stream: its name, layout source (a ``.dtype`` path, ``"built-in"``, ``"text"`` or
    ``"protobuf"``), its parts in time order, and the total it decodes to."""

    name: str
    layout: str
    parts: tuple[PartSummary, ...]

    @property
    def count(self) -> int:
        """Samples (or events, or frame times) the stream decodes to."""
        return sum(part.used for part in self.parts)

    @property
    def first_ns(self) -> int | None:
        """The earliest timestamp over all parts, int64 UTC ns (``None`` when empty)."""
        values = [part.first_ns for part in self.parts if part.first_ns is not None]
        return min(values) if values else None

    @property
    def last_ns(self) -> int | None:
        """The latest timestamp over all parts, int64 UTC ns (``None`` when empty)."""
        values = [part.last_ns for part in self.parts if part.last_ns is not None]
        return max(values) if values else None


def _times(path: Path) -> np.ndarray:
    return map_records(path, TIME_DTYPE, quiet=True)


def _span(values: np.ndarray) -> tuple[int | None, int | None]:
    if not len(values):
        return None, None
    return int(values.min()), int(values.max())


def _time_only(part: NeonPart, data_file: Path | None, video_file: Path | None) -> PartSummary:
    times = _times(part.time_file)
    first, last = (int(times[0]), int(times[-1])) if len(times) else (None, None)
    return PartSummary(part.number, data_file, part.time_file, None, len(times), len(times),
                       first, last, video_file)  # fmt: skip


def _summarise_part(part: NeonPart, spec: StreamSpec, dtype: np.dtype) -> PartSummary:
    if part.data_file is None:
        return _time_only(part, None, None)
    times = _times(part.time_file)
    records = part.data_file.stat().st_size // dtype.itemsize
    used = min(records, len(times))
    if spec.event_type is not None:
        rows = map_records(part.data_file, dtype, quiet=True)[:used]
        starts = np.asarray(rows["start_timestamp_ns"][rows["event_type"] == spec.event_type])
        first, last = _span(starts)
        used = len(starts)
    else:
        first, last = (int(times[0]), int(times[used - 1])) if used else (None, None)
    return PartSummary(part.number, part.data_file, part.time_file, records, len(times), used,
                       first, last)  # fmt: skip


def _in_time_order(parts: list[PartSummary]) -> tuple[PartSummary, ...]:
    return tuple(sorted(parts, key=lambda p: (p.first_ns is None, p.first_ns or 0, p.number or 0)))


def list_neon_streams(folder: Path | str) -> dict[str, StreamSummary]:
    """Every stream present in the Neon recording ``folder``, by name (the names of
    :func:`~gazeport.formats.neon_streams.neon_stream`, plus ``extimu``), with its parts.

    A malformed ``.dtype`` file raises :class:`~gazeport.errors.CorruptFileError` as decoding
    would; nothing else is decoded.
    """
    folder = Path(folder)
    found: dict[str, StreamSummary] = {}
    for name, spec in SPECS.items():
        parts = stream_parts(folder, spec)
        if not parts:
            continue
        dtype, layout = record_dtype(folder, spec, parts)
        summaries = [_summarise_part(part, spec, dtype) for part in parts]
        found[name] = StreamSummary(name, layout, _in_time_order(summaries))
    extimu = [_time_only(part, part.data_file, None) for part in find_parts(folder, "extimu")]
    if extimu:
        found["extimu"] = StreamSummary("extimu", "protobuf", _in_time_order(extimu))
    text_file, time_file = (folder / name for name in EVENTS_FILES)
    if text_file.is_file() and time_file.is_file():
        lines = text_file.read_bytes().split(b"\n")
        count = len(lines) - (lines[-1] == b"")
        times = _times(time_file)
        first, last = _span(times)
        events = PartSummary(None, text_file, time_file, count, len(times),
                             min(count, len(times)), first, last)  # fmt: skip
        found["events"] = StreamSummary("events", "text", (events,))
    for camera, basename in VIDEOS.items():
        summaries = []
        for part in video_parts(folder, camera):
            video = folder / f"{basename} ps{part.number}.mp4"
            summaries.append(_time_only(part, None, video if video.is_file() else None))
        if summaries:
            found[camera] = StreamSummary(camera, "built-in", _in_time_order(summaries))
    return found
