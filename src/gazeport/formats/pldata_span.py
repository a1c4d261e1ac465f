"""Framing a stretch of a pldata file that starts in its middle, so two threads can each read half.

A pldata file is a chain of ``[topic, payload]`` records with no index, so the records of the
second half can only be found by looking for one: :func:`find_record_start` takes the first
offset after a point where a chain of whole records begins. The first half is then framed from
byte 0 and must end exactly at that offset (:func:`iter_span` checks it); if it does not, the
offset was a false start inside a payload and the caller reads the file the ordinary way
(:func:`gazeport.formats.pldata.iter_records`). Damage anywhere, a cut-off end or a record
that crosses the end of a span also make the caller fall back, so every error message and
warning stays that of the ordinary reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .pldata import RecordChunk, _chunk, _frame, _Framed, _read_at

#: Whole records that must follow a candidate start before it is taken for one (with the
#: first half ending exactly there, a false start is ruled out anyway).
MIN_CHAIN = 8
#: Bytes looked at after the middle of the file for a record start, and after each candidate.
PROBE_BYTES = 1 << 17
CHAIN_BYTES = 1 << 16


class SpanMismatch(Exception):
    """The records of a span do not end where they should, or the span is damaged: read the
    file the ordinary way."""


def find_record_start(path: Path, near: int, probe: int = PROBE_BYTES) -> int | None:
    """The first offset at or after ``near`` where :data:`MIN_CHAIN` whole records follow each
    other, or ``None`` if there is none within ``probe`` bytes."""
    with open(path, "rb") as fh:
        window = _read_at(fh, near, probe)
    view = memoryview(window)
    pos = window.find(b"\x92")
    while pos != -1:
        framed = _frame(view[pos : pos + CHAIN_BYTES].tobytes())
        if framed.status != "invalid" and len(framed) >= MIN_CHAIN:
            return near + pos
        pos = window.find(b"\x92", pos + 1)
    return None


def iter_span(
    path: Path, begin: int, end: int, size: int, block_bytes: int = 4 << 20
) -> Iterator[RecordChunk]:
    """The records that start in ``[begin, end)``, ``begin`` being a record start, in chunks of
    about ``block_bytes`` (``RecordChunk.start`` counts from the span's first record).

    Raises :class:`SpanMismatch` unless the last record ends exactly at ``end`` (``size``, the
    file's length, for the last span) and the framing found no damage on the way.
    """
    offset, start = begin, 0
    block = max(block_bytes, 1 << 12)
    with open(path, "rb") as fh:
        while offset < end:
            buf = _read_at(fh, offset, block)
            if not buf:
                raise SpanMismatch(f"{path} ends at byte {offset}, before byte {end}")
            framed = _frame(buf)
            n = len(framed)
            if n == 0:
                if framed.status == "invalid" or offset + len(buf) >= size:
                    raise SpanMismatch(f"no whole record at byte {offset} of {path}")
                block *= 2  # a record larger than the block
                continue
            ends = framed.payload_off + framed.payload_len  # record ends, block-relative
            starts = np.concatenate([[0], ends[:-1]]) + offset
            keep = int(np.searchsorted(starts, end, side="left"))  # records starting before end
            if keep < n:
                framed = _first(framed, keep)
            elif framed.status == "invalid" or (
                framed.status == "incomplete" and offset + len(buf) >= size
            ):
                raise SpanMismatch(f"{path} is damaged or cut off after byte {offset}")
            yield _chunk(start, buf, framed)
            start += keep
            offset += int(ends[keep - 1])
    if offset != end:
        raise SpanMismatch(f"the records of {path} cross byte {end} (they end at {offset})")


def _first(framed: _Framed, k: int) -> _Framed:
    """The first ``k`` records of a block."""
    stop = int(framed.payload_off[k - 1] + framed.payload_len[k - 1]) if k else 0
    return _Framed(
        framed.topic_off[:k],
        framed.topic_len[:k],
        framed.payload_off[:k],
        framed.payload_len[:k],
        stop,
        "end",
    )
