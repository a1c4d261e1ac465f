"""``world_timestamps.csv`` of the Neon Player v6 dialect: one row per world frame.

Neon Player writes it beside ``world.mp4``: ``recording id,timestamp [ns]``, one row per frame of
its world timeline (scene frames and 30 fps gray frames, :mod:`gazeport.recording.neon_timeline`)
inside the export window ``start ≤ t ≤ stop``, CRLF line endings (``csv.DictWriter``). It writes
the timestamps from a float64 array (``1.7606767882523333e+18``, ~256 ns steps); gazeport writes
the same frames as exact integer nanoseconds (docs/compatibility.md, "Neon world timeline").
"""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np

from .csv_text import csv_cell, header_line, int_column
from .neon_text import chunks
from .tables import TableSpec

#: The header Neon Player writes.
COLUMNS = ("recording id", "timestamp [ns]")


def write_world_timestamps(rec: Any, window_ns: tuple[int, int], out: BinaryIO) -> int:
    """Write the rows of ``rec.timeline`` inside ``window_ns`` (UTC ns, both ends inclusive) to
    ``out``; returns the number of rows."""
    timeline = rec.timeline
    stamps = timeline.timestamps_ns[timeline.in_window(window_ns)]
    return write_timestamp_rows(str(rec.recording_id), stamps, out)


def write_timestamp_rows(recording_id: str, stamps_ns: np.ndarray, out: BinaryIO) -> int:
    """Neon Player's timestamps file (header, CRLF) of the int64 UTC ns ``stamps_ns``, one row
    each with ``recording_id``; returns the number of rows (also for the eye video's file)."""
    stamps = np.asarray(stamps_ns, dtype=np.int64)
    out.write(header_line(COLUMNS))
    if not stamps.size:
        return 0
    prefix = csv_cell(recording_id) + b","
    # One C-level join per chunk instead of a Python loop over the rows; chunks, so the text
    # held at once does not grow with the recording (4 hours: 430k frames, 26 MB of text).
    for part in chunks(int(stamps.size)):
        out.write(prefix + (b"\r\n" + prefix).join(int_column(stamps[part])) + b"\r\n")
    return int(stamps.size)


#: The table spec for :data:`gazeport.exporters.neon_player_tables.NEON_PLAYER`; it needs no
#: stream (a recording without scene frames gets gray frames only).
WORLD_TIMESTAMPS = TableSpec(
    "world_timestamps.csv", write_world_timestamps, needs=(), unit="frames"
)

__all__ = ["COLUMNS", "WORLD_TIMESTAMPS", "write_timestamp_rows", "write_world_timestamps"]
