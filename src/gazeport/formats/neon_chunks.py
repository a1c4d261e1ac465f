"""Neon sample streams read in time-ordered chunks: memory bounded by the chunk, not the length.

:func:`plan_chunks` looks at a stream's parts once — record counts (each part cut to the shorter
of its data and time files), first and last timestamps — with the same warnings and errors as
:func:`.neon_streams.read_stream`, reading the files ``scan_rows`` records at a time. Then
:func:`iter_chunks` yields the rows :func:`~.neon_streams.read_stream` would return (same
columns, same order), at most ``rows`` at a time, restricted to a window ``start <= t <= stop``.
Rows are read with ``np.fromfile`` at an offset, not through a memory map, so no page of a long
part stays resident.

Only sample streams whose joined parts never go back in time stream this way. Event streams
(fixations, saccades, blinks), format 2.3's protobuf ``extimu`` parts, streams without parts and
streams whose samples go backwards get ``None`` from :func:`plan_chunks`: the caller reads them
whole with :func:`~.neon_streams.read_stream` (which sorts them, warns, or raises).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .neon_parts import (
    TIME_DTYPE,
    NeonPart,
    check_times,
    map_records,
    pair_records,
    read_rows,
)
from .neon_streams import StreamSpec, copy_records, output_dtype, record_dtype, stream_parts

#: Records read at a time while planning (8 MB of timestamps).
SCAN_ROWS = 1 << 20


@dataclass(frozen=True)
class PartRows:
    """One non-empty part of a planned stream: the records used and its first/last ``timestamp_ns``."""

    part: NeonPart
    count: int
    first_ns: int
    last_ns: int


@dataclass(frozen=True)
class ChunkPlan:
    """What :func:`iter_chunks` reads: the parts in time order and the record layouts."""

    spec: StreamSpec
    dtype: np.dtype  # on disk
    out_dtype: np.dtype  # gazeport's columns (:func:`~.neon_streams.output_dtype`)
    parts: tuple[PartRows, ...]
    #: ``timestamp_ns`` comes from the records themselves (IMU), not from the ``.time`` file.
    keyed_by_records: bool

    @property
    def rows(self) -> int:
        """Rows of the whole stream."""
        return sum(p.count for p in self.parts)


def _keys(part: NeonPart, dtype: np.dtype, keyed: bool, start: int, count: int) -> np.ndarray:
    if keyed and part.data_file is not None:
        return np.asarray(read_rows(part.data_file, dtype, start, count)["timestamp_ns"])
    return read_rows(part.time_file, TIME_DTYPE, start, count)


def _span(part: NeonPart, count: int, dtype: np.dtype, keyed: bool, rows: int) -> PartRows | None:
    """The part's first and last key, or ``None`` when its keys go back in time."""
    first = last = None
    for start in range(0, count, rows):
        keys = _keys(part, dtype, keyed, start, min(rows, count - start))
        if (last is not None and int(keys[0]) < last) or not bool(np.all(keys[1:] >= keys[:-1])):
            return None
        first = int(keys[0]) if first is None else first
        last = int(keys[-1])
    assert first is not None and last is not None
    return PartRows(part, count, first, last)


def plan_chunks(
    folder: Path | str, spec: StreamSpec, scan_rows: int = SCAN_ROWS
) -> ChunkPlan | None:
    """The chunk plan of sample stream ``spec`` in ``folder``, or ``None`` when it must be read
    whole (see the module docstring). Warns and raises as :func:`read_stream` does."""
    folder = Path(folder)
    if spec.is_event or spec.event_type is not None:
        return None
    parts = stream_parts(folder, spec)
    if not parts:  # no parts, or format 2.3's protobuf IMU: read_stream decides
        return None
    dtype, source = record_dtype(folder, spec, parts)
    out_dtype = output_dtype(spec, dtype, Path(source))
    keyed = "timestamp_ns" in (dtype.names or ())
    used = []
    for part in parts:  # the checks of pair_part, in its order, without touching the pages
        times = map_records(part.time_file, TIME_DTYPE)
        check_times(part.time_file, len(times), scan_rows)
        if part.data_file is not None:
            times, _ = pair_records(part, times, map_records(part.data_file, dtype))
        if len(times):
            used.append((part, len(times), int(read_rows(part.time_file, TIME_DTYPE, 0, 1)[0])))
        del times
    used.sort(key=lambda item: (item[2], item[0].number or 0))  # order_by_time's order
    spans: list[PartRows] = []
    for part, count, _ in used:
        span = _span(part, count, dtype, keyed, scan_rows)
        if span is None or (spans and span.first_ns < spans[-1].last_ns):
            return None
        spans.append(span)
    return ChunkPlan(spec, dtype, out_dtype, tuple(spans), keyed)


def iter_chunks(
    plan: ChunkPlan, window_ns: tuple[int, int] | None = None, rows: int = SCAN_ROWS
) -> Iterator[np.ndarray]:
    """The stream's rows with ``start <= timestamp_ns <= stop`` (all without a window), in time
    order, as arrays of ``plan.out_dtype`` of at most ``rows`` rows. None is empty, except the
    single one given when no row is in the window (so the caller always sees the columns)."""
    given = False
    for span in plan.parts:
        start, stop = 0, span.count
        if window_ns is not None:
            if span.last_ns < window_ns[0] or span.first_ns > window_ns[1]:
                continue
            if not plan.keyed_by_records:  # binary search touches a few pages of the map only
                mapped = np.memmap(span.part.time_file, TIME_DTYPE, mode="r", shape=(span.count,))
                start = int(np.searchsorted(mapped, window_ns[0], side="left"))
                stop = int(np.searchsorted(mapped, window_ns[1], side="right"))
                del mapped
        for at in range(start, stop, rows):
            n = min(rows, stop - at)
            times = read_rows(span.part.time_file, TIME_DTYPE, at, n)
            data_file = span.part.data_file
            records = times if data_file is None else read_rows(data_file, plan.dtype, at, n)
            out = np.empty(n, dtype=plan.out_dtype)
            copy_records(plan.spec, out, times, records)
            if window_ns is not None and plan.keyed_by_records:
                t = out["timestamp_ns"]
                out = out[(t >= window_ns[0]) & (t <= window_ns[1])]
            if len(out):
                given = True
                yield out
    if not given:
        yield np.empty(0, dtype=plan.out_dtype)


__all__ = ["SCAN_ROWS", "ChunkPlan", "PartRows", "iter_chunks", "plan_chunks"]
