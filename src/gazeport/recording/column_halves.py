"""Some columns of a whole pupil or gaze file, read as two halves at once.

:meth:`gazeport.recording.Recording.columns` reads one stream front to back: one thread reads
and frames the blocks while others decode them, and the reading thread is the bottleneck
(ten minutes of 400 Hz gaze are 327 MB of msgpack). Here each of two threads reads, frames and
decodes its own half of the file (:mod:`gazeport.formats.pldata_span`), which takes that from
~0.12 s to ~0.09 s on two cores.

Only the plain case takes this path: a whole file, with the compiled gather (which releases
the GIL), sort keys that already increase (so file order is time order), as many records as
the timestamps file lists and every datum of a layout the columnar decoder knows. Anything else
— and any doubt about where the second half starts — returns ``None``, and the caller reads the
file the ordinary way, with its warnings and error messages.
"""

from __future__ import annotations

import contextvars
from collections.abc import Collection

import numpy as np

from ..errors import GazeportError
from ..formats.pldata_span import SpanMismatch, find_record_start, iter_span
from .datum_stream import DatumStream, RecordBatch

#: Files smaller than this are read the ordinary way (a thread costs more than it saves).
MIN_BYTES = 32 << 20

Parts = dict[str, list[np.ndarray]]


def columns_in_halves(stream: DatumStream, fields: Collection[str]) -> dict[str, np.ndarray] | None:
    """``fields`` of every datum of ``stream``'s file in file order (which is time order), or
    ``None`` where the ordinary reader must do it (see the module docstring). ``data_ts`` and
    ``file_index`` may be asked for; ``world_index`` may not."""
    if not stream.reads_file() or "world_index" in fields:
        return None
    path = stream.path
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if size < MIN_BYTES:
        return None
    keys = stream.data_ts()
    if not keys.is_increasing():
        return None
    try:
        split = find_record_start(path, size // 2)
    except OSError:
        return None  # the ordinary reader says what is wrong with the file
    if split is None:
        return None
    from concurrent.futures import ThreadPoolExecutor  # ~3 ms to import: only when used

    wanted = [f for f in fields if f not in ("data_ts", "file_index")]
    ctx = contextvars.copy_context()
    with ThreadPoolExecutor(1, thread_name_prefix="gazeport-half") as pool:
        second = pool.submit(ctx.run, _decode_span, stream, split, size, size, wanted)
        first = _decode_span(stream, 0, split, size, wanted)
        later = second.result()
    if first is None or later is None:
        return None
    (head, n_head), (tail, n_tail) = first, later
    if n_head + n_tail != len(keys):
        return None  # more or fewer records than timestamps: the ordinary reader says so
    stream.shortfall = None  # what a full read by the ordinary reader records here
    out = {f: np.concatenate(head[f] + tail[f]) for f in wanted}
    if "data_ts" in fields:
        out["data_ts"] = np.asarray(keys.read(0, len(keys)), dtype=np.float64)
    if "file_index" in fields:
        out["file_index"] = np.arange(len(keys), dtype=np.int64)
    return {f: out[f] for f in fields}


def _decode_span(
    stream: DatumStream, begin: int, end: int, size: int, fields: list[str]
) -> tuple[Parts, int] | None:
    """The decoded ``fields`` of the records in ``[begin, end)`` and their count, or ``None``
    (damage, a false start, a datum the columnar decoder leaves to the reference path)."""
    parts: Parts = {f: [] for f in fields}
    count = 0
    try:
        for rc in iter_span(stream.path, begin, end, size):
            n = len(rc)
            index = np.arange(count, count + n, dtype=np.int64)  # span-relative: not shown
            batch = RecordBatch(
                stream.kind, str(stream.path), rc.payloads,
                {"data_ts": np.zeros(n), "file_index": index},
            )  # fmt: skip
            chunk = batch.decode(fields)
            if chunk.reference:
                return None  # irregular datums: their messages need the real file index
            for f in fields:
                parts[f].append(chunk.values[f])
            count += n
    except (SpanMismatch, GazeportError, ValueError, OSError):
        return None  # the ordinary reader reads it again and says what is wrong
    return parts, count
