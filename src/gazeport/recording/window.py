"""The part of a recording an export covers, in every time base the exporters need."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TrimRangeError

#: Right end of a UTC-ns window that runs to the end of everything.
END_OF_TIME_NS = 2**63 - 1


@dataclass(frozen=True)
class ExportWindow:
    """What an export covers.

    ``frame_range`` is inclusive world frame indices on the kind's frame timeline (Pupil
    Player's frame table for Core, Neon Player's scene timeline for Neon); ``window_s`` is the
    data window in the recording's own clock (Pupil time seconds for Core, seconds from the
    recording start for Neon); ``window_ns`` is the same window in UTC nanoseconds, both ends
    inclusive, for dialects that write UTC ns.
    """

    frame_range: tuple[int, int]
    window_s: tuple[float, float]
    window_ns: tuple[int, int]


def seconds_to_ns(seconds: Any) -> np.ndarray:
    """Float seconds → int64 nanoseconds, exact to the ns of each float64 value.

    ``round(t * 1e9)`` in float64 is off by up to ~128 ns at Unix-epoch magnitudes (the product
    has 256 ns spacing); splitting off the whole seconds first keeps every digit: ``t − ⌊t⌋`` is
    exact in float64, and its ns part needs only 30 bits. Non-finite values are not allowed.
    """
    t = np.asarray(seconds, dtype=np.float64)
    whole = np.floor(t)
    return whole.astype(np.int64) * 1_000_000_000 + np.rint((t - whole) * 1e9).astype(np.int64)


def checked_frame_range(
    path: Path, n: int, start_frame: int | None, end_frame: int | None
) -> tuple[int, int]:
    """The inclusive range ``start_frame .. end_frame`` of a recording with ``n`` world frames
    (missing ends: the first and last frame); outside or reversed raises
    :class:`TrimRangeError` naming the valid frames."""
    if n == 0:
        raise TrimRangeError(f"{path} has no world frames, so there is no range to trim.")
    left = 0 if start_frame is None else start_frame
    right = n - 1 if end_frame is None else end_frame
    for name, frame in (("start", left), ("end", right)):
        if not 0 <= frame <= n - 1:
            raise TrimRangeError(
                f"The {name} frame {frame} is outside {path.name}'s world frames "
                f"0 - {n - 1}; choose a frame from 0 to {n - 1}."
            )
    if left > right:
        raise TrimRangeError(f"The start frame {left} lies after the end frame {right}; swap them.")
    return left, right


#: Rows per chunk of the recordings' ``iter_chunks``: 1.5-6 MB of columns a chunk (gaze 24,
#: eye states 88 bytes a row), so a table's memory does not grow with the recording's length.
#: Not larger: with 2**18 rows (6-22 MB) the freed chunks fragment the heap and the peak RSS of
#: a Neon export crept up chunk by chunk (eye states of 4 hours: +95 MB, at 2**16: +30 MB),
#: and no faster (the text is made 10,000 rows at a time either way).
STREAM_ROWS = 1 << 16


def window_chunks(
    data: np.ndarray,
    window_ns: tuple[int, int] | None = None,
    rows: int = STREAM_ROWS,
    key: str = "timestamp_ns",
) -> Iterator[np.ndarray]:
    """The rows of ``data`` with ``start <= data[key] <= stop`` (all without a window), in
    their order, in pieces of at most ``rows`` rows (views or copies, read-only by convention):
    a whole array handed out the way :meth:`iter_chunks` streams a long one. Pieces are never
    empty, except the single one given when no row is in the window (so its columns are known)."""
    given = False
    for at in range(0, len(data), rows):
        piece = data[at : at + rows]
        if window_ns is not None:
            t = piece[key]
            piece = piece[(t >= window_ns[0]) & (t <= window_ns[1])]
        if len(piece):
            given = True
            yield piece
    if not given:
        yield data[:0]


__all__ = [
    "END_OF_TIME_NS", "STREAM_ROWS", "ExportWindow", "checked_frame_range", "seconds_to_ns",
    "window_chunks",
]  # fmt: skip
