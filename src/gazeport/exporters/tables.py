"""Tables of a dialect: which file each is, which streams it needs, and how it is written.

A dialect (Neon Player v6, Pupil Cloud) is an ordered tuple of :class:`TableSpec`. Each spec
names the streams it needs; the recording says which it has (``rec.has_stream``), so an
exporter never asks what kind a recording is. A table whose streams are missing is skipped
with the reason, the others are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

#: ``write(rec, window_ns, out) -> items written``: the window is ``(start_ns, stop_ns)`` in
#: UTC nanoseconds, both ends inclusive; ``out`` is a binary file opened by the caller.
TableWriter = Callable[[Any, tuple[int, int], BinaryIO], int]


@dataclass(frozen=True)
class TableSpec:
    """One file of a dialect."""

    #: File name inside the export folder, e.g. ``"gaze.csv"``.
    file: str
    write: TableWriter
    #: Streams the recording must have (:meth:`has_stream`); the table is skipped otherwise.
    needs: tuple[str, ...] = ()
    #: What ``write`` counts, plural (``"rows"``, ``"fixations"``); ``""`` for files without
    #: countable items (``info.json``).
    unit: str = "rows"


@dataclass(frozen=True)
class Dialect:
    """A family of export files: its name (``--dialect``) and tables, in writing order."""

    name: str
    tables: tuple[TableSpec, ...]
    #: ``export_info.csv`` text: ``(rec, window_ns, frame_range) -> str``; ``None`` when the
    #: dialect writes none.
    info_text: Callable[[Any, tuple[int, int], tuple[int, int]], str] | None = None
    #: ``(rec, options) -> rec``: what the tables read for a recording (e.g. a Core recording
    #: seen through the Neon interface), called once per job; ``None``: the recording itself.
    view: Callable[[Any, Any], Any] | None = None

    def source(self, rec: Any, options: Any) -> Any:
        """The object the tables of this dialect read for ``rec`` (see :attr:`view`)."""
        return rec if self.view is None else self.view(rec, options)

    def missing(self, rec: Any, spec: TableSpec) -> list[str]:
        """The streams of ``spec`` that ``rec`` lacks."""
        return [name for name in spec.needs if not rec.has_stream(name)]


def rows_between(rec: Any, name: str, times_ns: np.ndarray) -> np.ndarray:
    """The rows of stream ``name`` from the first to the last of the sorted ``times_ns``
    (both included), joined: what a table reads of a second stream for one chunk of its
    first (worn for a chunk of gaze). No rows for no times."""
    if len(times_ns) == 0:
        return next(iter(rec.iter_chunks(name, (1, 0))))
    window = (int(times_ns[0]), int(times_ns[-1]))
    return np.concatenate(list(rec.iter_chunks(name, window)))


class TableSkipped(Exception):
    """Raised by a table writer that has nothing honest to write for this recording (e.g. no
    scene camera model); the table is skipped with the message as its reason."""


__all__ = ["Dialect", "TableSkipped", "TableSpec", "TableWriter", "rows_between"]
