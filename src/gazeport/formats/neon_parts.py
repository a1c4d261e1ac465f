"""Parts of a Neon stream on disk: discovery, ``.dtype`` files, memory-mapped records and times.

A Neon stream is written in parts ``<basename> psN.raw`` + ``<basename> psN.time`` (N = 1, 2, …;
Pupil Cloud adds unnumbered ``gaze_200hz.raw``/``.time``). ``.raw`` holds packed little-endian
records without a header, ``.time`` packed little-endian int64 UTC nanoseconds, one per record.
The record layout comes from ``<basename>.dtype`` (a Python literal list of ``(name, type)``
pairs) when that file exists, else from a fallback the caller gives.

Every part is paired and truncated on its own: a part whose data and time counts differ keeps the
shorter count (with a :class:`GazeportWarning` naming both files and counts), so one damaged part
never shifts the samples of the next. A ``.raw`` whose size is not a multiple of its record keeps
its whole records (warning). Parts are joined in the order of their first timestamp, never by
their number. Nothing here writes to the recording.
"""

from __future__ import annotations

import ast
import glob
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, GazeportWarning
from .lfs_pointer import MAX_POINTER_BYTES, check_not_lfs_pointer

#: On-disk dtype of every ``.time`` file: little-endian int64 UTC nanoseconds.
TIME_DTYPE = np.dtype("<i8")

_PART = re.compile(r" ps([0-9]+)$")


@dataclass(frozen=True)
class NeonPart:
    """One part of a stream: its number (``None`` for unnumbered Cloud files such as
    ``gaze_200hz``), its data file (``None`` when the ``.time`` file is the data, as for videos)
    and its time file."""

    number: int | None
    data_file: Path | None
    time_file: Path


def find_parts(
    folder: Path, basename: str, *, ext: str = ".raw", time_basename: str | None = None
) -> list[NeonPart]:
    """The numbered parts ``<basename> psN<ext>`` in ``folder`` whose time file exists, by number.

    ``time_basename`` names the stream whose ``psN.time`` times this one (``worn`` is timed by
    ``gaze psN.time``); its own ``.time`` is used first when it exists. With ``ext=".time"`` (or
    ``".time_aux"``) the time files themselves are the parts (video timestamps). Files whose
    suffix after ``" ps"`` is not a number are ignored.
    """
    parts = []
    for path in folder.glob(f"{glob.escape(basename)} ps*{ext}"):
        match = _PART.search(path.name[: -len(ext)])
        if match is None or path.name[: match.start()] != basename:
            continue
        number = int(match.group(1))
        if ext.startswith(".time"):
            parts.append(NeonPart(number, None, path))
            continue
        time_file = folder / f"{basename} ps{number}.time"
        if not time_file.is_file() and time_basename is not None:
            time_file = folder / f"{time_basename} ps{number}.time"
        if time_file.is_file():
            parts.append(NeonPart(number, path, time_file))
    return sorted(parts, key=lambda part: part.number or 0)


def read_dtype_file(path: Path) -> np.dtype:
    """The record dtype a ``.dtype`` file describes, little-endian.

    The file is a Python literal list of ``(name, type)`` pairs (read with ``ast.literal_eval``,
    never executed). Anything else raises :class:`CorruptFileError` naming the file.
    """
    try:
        text = path.read_text(encoding="utf-8")
        spec = ast.literal_eval(text)
        if not isinstance(spec, (list, tuple)) or not spec:
            raise ValueError("not a non-empty list")
        pairs = []
        for item in spec:
            name, kind = item
            if not isinstance(name, str) or not isinstance(kind, str):
                raise ValueError("not a (name, type) pair of strings")
            pairs.append((name, kind))
        dtype = np.dtype(pairs)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, TypeError) as error:
        raise CorruptFileError(
            f"{path} is not a list of (name, type) pairs ({error}); restore the file from the "
            "phone or delete it to use the built-in layout.",
            path,
        ) from None
    if any(dtype[name].kind not in "biuf" for name in dtype.names or ()):
        raise CorruptFileError(
            f"{path} names a field that is not a number; gazeport reads only numeric records.", path
        )
    return dtype.newbyteorder("<")


def map_records(path: Path, dtype: np.dtype, *, quiet: bool = False) -> np.ndarray:
    """The whole records of ``path`` as a read-only memory map (an empty array for 0 bytes).

    A size that is not a multiple of ``dtype.itemsize`` keeps the whole records and warns
    (unless ``quiet``: a flag, since ``warnings.catch_warnings`` would silence all threads); a
    Git LFS pointer file in place of the data raises :class:`CorruptFileError` saying so.
    """
    size = path.stat().st_size
    if size <= MAX_POINTER_BYTES:  # only a small file can be a pointer: no read otherwise
        check_not_lfs_pointer(path)
    count, rest = divmod(size, dtype.itemsize)
    if rest and not quiet:
        warnings.warn(
            f"{path} is {size} bytes, not a multiple of its {dtype.itemsize}-byte records; the "
            f"last {rest} bytes (an incomplete record) are ignored and {count} records are used.",
            GazeportWarning,
            stacklevel=3,
        )
    if count == 0:
        return np.empty(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(count,))


def map_times(path: Path) -> np.ndarray:
    """The timestamps of a ``.time`` file: int64 UTC ns, memory-mapped, whole records only.

    A negative value (above 2**63 on disk: not a clock) raises :class:`CorruptFileError`.
    """
    times = map_records(path, TIME_DTYPE)
    if times.size and int(times.min()) < 0:
        raise _negative_time(path, int(np.flatnonzero(times < 0)[0]))
    return times


def _negative_time(path: Path, bad: int) -> CorruptFileError:
    return CorruptFileError(
        f"{path} holds a timestamp outside the int64 nanosecond range at record {bad} "
        f"(byte {bad * 8}); the file is damaged.",
        path,
        bad * 8,
    )


def read_rows(path: Path, dtype: np.dtype, start: int, count: int) -> np.ndarray:
    """Records ``start`` to ``start + count`` of ``path``, read into memory (no map, so the
    memory held is the rows asked for, whatever the file's size)."""
    if count <= 0:
        return np.empty(0, dtype=dtype)
    return np.fromfile(path, dtype=dtype, count=count, offset=start * dtype.itemsize)


def check_times(path: Path, count: int, rows: int) -> None:
    """:func:`map_times`' check of the first ``count`` timestamps of ``path``, ``rows`` at a
    time: a negative value raises the same :class:`CorruptFileError`."""
    for start in range(0, count, rows):
        times = read_rows(path, TIME_DTYPE, start, min(rows, count - start))
        if int(times.min()) < 0:
            raise _negative_time(path, start + int(np.flatnonzero(times < 0)[0]))


def record_count(path: Path, itemsize: int) -> int:
    """How many whole ``itemsize``-byte records ``path`` holds (no reading, no warning)."""
    return path.stat().st_size // itemsize


def pair_part(part: NeonPart, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """``(times, records)`` of one part, both cut to the shorter count (warning when they differ).

    Both are memory maps (or empty arrays); ``records`` is ``times`` itself for a part without a
    data file.
    """
    times = map_times(part.time_file)
    if part.data_file is None:
        return times, times
    return pair_records(part, times, map_records(part.data_file, dtype))


def pair_records(
    part: NeonPart, times: np.ndarray, records: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(times, records)`` of one part, both cut to the shorter count, with a warning naming
    the part's files when the counts differ (records decoded by the caller, e.g. protobuf)."""
    if len(records) != len(times):
        keep = min(len(records), len(times))
        warnings.warn(
            f"{part.data_file} holds {len(records)} records but {part.time_file} holds "
            f"{len(times)} timestamps; the first {keep} of each are used and the rest of that "
            "part is ignored.",
            GazeportWarning,
            stacklevel=3,
        )
        times, records = times[:keep], records[:keep]
    return times, records


def order_by_time(
    parts: Sequence[NeonPart], pairs: Sequence[tuple[np.ndarray, np.ndarray]]
) -> list[tuple[NeonPart, np.ndarray, np.ndarray]]:
    """The non-empty parts sorted by their first timestamp (ties by part number), never by
    number alone: the app's part numbers need not follow time."""
    kept = [(part, t, r) for part, (t, r) in zip(parts, pairs, strict=True) if len(t)]
    return sorted(kept, key=lambda item: (int(item[1][0]), item[0].number or 0))


def warn_if_unsorted(times: np.ndarray, what: str) -> np.ndarray | None:
    """A stable order for ``times`` when they go backwards (with a warning naming ``what``),
    else ``None``."""
    if times.size < 2 or bool(np.all(times[1:] >= times[:-1])):
        return None
    back = int(np.count_nonzero(times[1:] < times[:-1]))
    warnings.warn(
        f"{what} goes back in time at {back} place(s) (overlapping parts or a damaged file); "
        "its samples are sorted by time.",
        GazeportWarning,
        stacklevel=3,
    )
    return np.argsort(times, kind="stable")
