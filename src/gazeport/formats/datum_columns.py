"""Columnar decoding of many msgpack datums that share a layout, without a Python loop per datum.

Datums written by Pupil Capture for one topic are byte-for-byte alike except for their float
values: the same keys in the same order, float64 values always 9 bytes, the same strings and
small ints. This module decodes one representative datum into a :class:`Layout` (where every
scalar sits), checks that other datums of the same length are identical outside their float
bytes, and then slices each float column out of all matching datums at once. Layouts are
remembered across calls (``_KNOWN``), so a recording's few layouts are parsed once.

The comparing and slicing is done by the compiled ``gazeport._csvfast.gather_slots`` where it is
built (reading the datums in place), else with NumPy on a byte matrix (``GAZEPORT_PURE=1``, see
:mod:`gazeport._native`); which layouts exist and what a layout fills stays here, in Python.

Datums that do not fit any layout, or whose layout the caller's ``plan`` rejects, are reported
as *irregular* so the caller decodes them one by one. The result is therefore always exactly
what decoding every datum with msgpack would give.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .. import _native
from .payloads import Payloads
from .pldata import SERIALIZED_DICT_EXT

PathKey = str | int
Path_ = tuple[PathKey, ...]

#: How many layouts one group of equal-length datums may produce before the rest is decoded
#: one by one (guards against pathological inputs).
MAX_LAYOUTS_PER_LENGTH = 256


@dataclass(frozen=True)
class Scalar:
    """Where one value sits in a datum: a float slot (``offset``/``width``) or a constant."""

    kind: str  #: "f64", "f32" (per-datum values) or "const" (same in every matching datum)
    offset: int = -1  #: first data byte of a float slot
    value: Any = None  #: the constant (int, str, bool, None, bytes)


@dataclass
class Layout:
    """Flattened description of one datum: path -> scalar, path -> container length."""

    scalars: dict[Path_, Scalar] = field(default_factory=dict)
    containers: dict[Path_, tuple[str, int]] = field(default_factory=dict)
    float_slots: list[tuple[int, int]] = field(default_factory=list)  # (offset, width)

    def get(self, path: Path_) -> Scalar | None:
        return self.scalars.get(path)


class _Unsupported(Exception):
    pass


def _walk(buf: bytes, pos: int, path: Path_, out: Layout, base: int) -> int:
    """Parse one msgpack object at ``pos`` into ``out``; returns the position after it."""
    b = buf[pos]
    if b <= 0x7F:
        out.scalars[path] = Scalar("const", value=b)
        return pos + 1
    if b >= 0xE0:
        out.scalars[path] = Scalar("const", value=b - 0x100)
        return pos + 1
    if 0x80 <= b <= 0x8F:
        return _walk_map(buf, pos + 1, b & 0x0F, path, out, base)
    if 0x90 <= b <= 0x9F:
        return _walk_array(buf, pos + 1, b & 0x0F, path, out, base)
    if 0xA0 <= b <= 0xBF:
        n = b & 0x1F
        out.scalars[path] = Scalar("const", value=buf[pos + 1 : pos + 1 + n].decode("utf-8"))
        return pos + 1 + n
    if b == 0xC0:
        out.scalars[path] = Scalar("const", value=None)
        return pos + 1
    if b in (0xC2, 0xC3):
        out.scalars[path] = Scalar("const", value=b == 0xC3)
        return pos + 1
    if b == 0xCB:
        out.scalars[path] = Scalar("f64", offset=base + pos + 1)
        out.float_slots.append((base + pos + 1, 8))
        return pos + 9
    if b == 0xCA:
        out.scalars[path] = Scalar("f32", offset=base + pos + 1)
        out.float_slots.append((base + pos + 1, 4))
        return pos + 5
    if 0xCC <= b <= 0xD3:
        fmt = {
            0xCC: ">B",
            0xCD: ">H",
            0xCE: ">I",
            0xCF: ">Q",
            0xD0: ">b",
            0xD1: ">h",
            0xD2: ">i",
            0xD3: ">q",
        }[b]
        width = struct.calcsize(fmt)
        out.scalars[path] = Scalar("const", value=struct.unpack_from(fmt, buf, pos + 1)[0])
        return pos + 1 + width
    if b in (0xD9, 0xDA, 0xDB, 0xC4, 0xC5, 0xC6):
        width = {0xD9: 1, 0xDA: 2, 0xDB: 4, 0xC4: 1, 0xC5: 2, 0xC6: 4}[b]
        n = int.from_bytes(buf[pos + 1 : pos + 1 + width], "big")
        start = pos + 1 + width
        raw = buf[start : start + n]
        if len(raw) != n:
            raise _Unsupported
        out.scalars[path] = Scalar("const", value=raw.decode("utf-8") if b >= 0xD9 else bytes(raw))
        return start + n
    if b in (0xDC, 0xDD):
        width = 2 if b == 0xDC else 4
        n = int.from_bytes(buf[pos + 1 : pos + 1 + width], "big")
        return _walk_array(buf, pos + 1 + width, n, path, out, base)
    if b in (0xDE, 0xDF):
        width = 2 if b == 0xDE else 4
        n = int.from_bytes(buf[pos + 1 : pos + 1 + width], "big")
        return _walk_map(buf, pos + 1 + width, n, path, out, base)
    if b in (0xC7, 0xC8, 0xC9):
        width = {0xC7: 1, 0xC8: 2, 0xC9: 4}[b]
        n = int.from_bytes(buf[pos + 1 : pos + 1 + width], "big")
        code = buf[pos + 1 + width]
        start = pos + 2 + width
        return _walk_ext(buf, start, n, code, path, out, base)
    if 0xD4 <= b <= 0xD8:
        n = 1 << (b - 0xD4)
        code = buf[pos + 1]
        return _walk_ext(buf, pos + 2, n, code, path, out, base)
    raise _Unsupported


def _walk_ext(
    buf: bytes, start: int, n: int, code: int, path: Path_, out: Layout, base: int
) -> int:
    if code != SERIALIZED_DICT_EXT:
        raise _Unsupported
    inner = buf[start : start + n]
    end = _walk(inner, 0, path, out, base + start)
    if end != n:
        raise _Unsupported
    return start + n


def _walk_array(buf: bytes, pos: int, n: int, path: Path_, out: Layout, base: int) -> int:
    out.containers[path] = ("array", n)
    for i in range(n):
        pos = _walk(buf, pos, (*path, i), out, base)
    return pos


def _walk_map(buf: bytes, pos: int, n: int, path: Path_, out: Layout, base: int) -> int:
    out.containers[path] = ("map", n)
    for _ in range(n):
        key_layout = Layout()
        pos = _walk(buf, pos, (), key_layout, 0)
        key = key_layout.scalars.get(())
        if key is None or key.kind != "const" or not isinstance(key.value, (str, int)):
            raise _Unsupported
        if isinstance(key.value, bool):
            raise _Unsupported
        sub = (*path, key.value)
        if sub in out.scalars or sub in out.containers:
            raise _Unsupported  # a repeated key: msgpack keeps the last value; decode one by one
        pos = _walk(buf, pos, sub, out, base)
    return pos


def scan_layout(payload: bytes) -> Layout | None:
    """Describe one datum, or ``None`` if it uses msgpack features the fast path skips."""
    layout = Layout()
    try:
        end = _walk(payload, 0, (), layout, 0)
    except (_Unsupported, IndexError, UnicodeDecodeError, struct.error):
        return None
    if end != len(payload):
        return None
    return layout


#: A plan says, for one layout, how to fill each output column: ("slot", Scalar) to slice float
#: bytes per datum, ("const", value) for one value in every datum, or ("absent", None).
Plan = dict[str, tuple[str, Any]]
Planner = Callable[[Layout], Plan | None]


@dataclass
class Columns:
    """Decoded columns for ``n`` datums (in input order)."""

    values: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    irregular: np.ndarray  #: bool, datums the caller must decode one by one


def decode_columns(
    payloads: Sequence[bytes] | Payloads,
    planner: Planner,
    dtypes: dict[str, np.dtype],
    fill: dict[str, Any],
) -> Columns:
    """Decode ``payloads`` into the columns ``dtypes`` using ``planner`` per distinct layout.

    ``fill`` gives the value of a column where it is absent (NaN, -1, None ...). Columns of
    datums that no layout covers stay at ``fill`` and are flagged in ``irregular``.
    """
    n = len(payloads)
    values = {name: np.full(n, fill[name], dtype=dt) for name, dt in dtypes.items()}
    present = {name: np.zeros(n, dtype=bool) for name in dtypes}
    irregular = np.zeros(n, dtype=bool)
    if n == 0:
        return Columns(values, present, irregular)
    table = payloads if isinstance(payloads, Payloads) else Payloads.from_list(payloads)
    fast = _native.csvfast
    index = _RecordIndex(table) if fast is not None else None
    lengths = table.lengths
    order = np.argsort(lengths, kind="stable")
    sorted_len = lengths[order]
    bounds = np.flatnonzero(np.diff(sorted_len)) + 1
    for group in np.split(order, bounds):
        length = int(lengths[group[0]])
        if length == 0:
            irregular[group] = True
            continue
        source: _Group = (
            _PureGroup(table, group, length)
            if index is None
            else _CompiledGroup(fast, index, group, length)
        )
        _decode_group(source, length, group, planner, values, present, irregular)
    return Columns(values, present, irregular)


Slots = list[tuple[int, int]]  #: (offset, width) of float slots; width 8 (f64) or 4 (f32)
Sinks = list[tuple[np.ndarray, np.ndarray]]  #: (values, present) output column per slot


class _Group(Protocol):
    """Datums of one length: the representative's bytes, and the matching + gathering step."""

    def datum(self, i: int) -> bytes: ...

    def match(
        self, remaining: np.ndarray, known: _Known, slots: Slots, sinks: Sinks, places: np.ndarray
    ) -> np.ndarray:
        """Which of datums ``remaining`` equal ``known``'s representative outside its float
        bytes (bool); slot ``j`` of each of those goes to ``sinks[j]`` at its place
        (``places[remaining]``), marked present there."""
        ...


def _write_block(block: np.ndarray, target: np.ndarray, sinks: Sinks) -> None:
    """Slot ``j``'s values ``block[j]`` into ``sinks[j]`` at rows ``target``."""
    for j, (values, present) in enumerate(sinks):
        values[target] = block[j]
        present[target] = True


def _skeleton_bytes(width: int, length: int, float_slots: Slots) -> np.ndarray:
    """Per byte of a padded datum row: 0xFF where the datum is not a float value (zero in the
    padding after ``length``, which holds whatever followed the datum)."""
    mask = np.zeros(width, dtype=np.uint8)
    mask[:length] = 0xFF
    for off, size in float_slots:
        mask[off : off + size] = 0
    return mask


def _row_width(length: int) -> int:
    """A datum row padded to whole 8-byte words (the pure path compares words)."""
    return -(-length // 8) * 8


@dataclass(frozen=True)
class _Known:
    """A scanned layout with what tells its datums: the representative outside its floats."""

    layout: Layout
    mask: np.ndarray  #: uint64 words of a padded row: all-ones bytes where not a float
    row: np.ndarray  #: uint64 words: the representative's padded row & ``mask``
    mask_bytes: bytes  #: ``mask`` and ``row`` as ``length`` bytes, for the compiled gather
    row_bytes: bytes

    @classmethod
    def of(cls, layout: Layout, datum: bytes) -> _Known:
        length = len(datum)
        width = _row_width(length)
        mask = _skeleton_bytes(width, length, layout.float_slots)
        row = np.frombuffer(datum + bytes(width - length), dtype=np.uint8) & mask
        return cls(
            layout, mask.view(np.uint64), row.view(np.uint64), mask[:length].tobytes(),
            row[:length].tobytes(),
        )  # fmt: skip


#: Layouts already scanned, by datum length, most recent first: a datum file holds a handful
#: of layouts, but is decoded chunk by chunk, and scanning a layout is a Python walk.
_KNOWN: dict[int, tuple[_Known, ...]] = {}
_KNOWN_PER_LENGTH = 4
_KNOWN_LENGTHS = 256


def _remember(length: int, known: _Known) -> None:
    """Keep ``known`` for later groups of datums of ``length`` bytes."""
    if length not in _KNOWN and len(_KNOWN) >= _KNOWN_LENGTHS:
        _KNOWN.clear()  # rare (hundreds of datum lengths); one call, safe beside other threads
    _KNOWN[length] = (known, *_KNOWN.get(length, ())[: _KNOWN_PER_LENGTH - 1])


class _PureGroup:
    """NumPy: the datums copied into a zero-padded byte matrix, compared word by word."""

    def __init__(self, table: Payloads, group: np.ndarray, length: int) -> None:
        self.length = length
        self.matrix = table.matrix(group, length, pad_to=8, zero_padding=False)
        self.words = self.matrix.view(np.uint64)

    def datum(self, i: int) -> bytes:
        return self.matrix[i, : self.length].tobytes()

    def match(
        self, remaining: np.ndarray, known: _Known, slots: Slots, sinks: Sinks, places: np.ndarray
    ) -> np.ndarray:
        whole = remaining.shape[0] == self.words.shape[0]  # remaining is then every row
        sub = self.words if whole else self.words[remaining]
        same = ~((sub & known.mask) ^ known.row).any(axis=1)
        rows = self.matrix[remaining[same]] if not (whole and same.all()) else self.matrix
        block = np.empty((rows.shape[0], len(slots)), dtype=np.float64)
        f64 = [j for j, (_, width) in enumerate(slots) if width == 8]
        if f64:
            # All float64 slots in one gather: (m, k*8) bytes -> (m, k) big-endian doubles.
            idx = (np.array([slots[j][0] for j in f64])[:, None] + np.arange(8)).reshape(-1)
            block[:, f64] = np.ascontiguousarray(rows[:, idx]).view(">f8")
        for j, (off, width) in enumerate(slots):
            if width != 8:
                raw = np.ascontiguousarray(rows[:, off : off + width])
                block[:, j] = raw.view(">f4").reshape(-1)
        _write_block(block.T, places[remaining[same]], sinks)
        return same


class _RecordIndex:
    """The payload table as the compiled gather takes it (int64 vectors, buffers as a list)."""

    def __init__(self, table: Payloads) -> None:
        self.table = table
        self.buffers = list(table.buffers)
        self.buf_id = np.ascontiguousarray(table.buf_id, dtype=np.int64)
        self.offsets = np.ascontiguousarray(table.offsets, dtype=np.int64)


class _CompiledGroup:
    """``gazeport._csvfast.gather_slots``: compares and gathers in place, no matrix copy."""

    def __init__(self, fast: Any, index: _RecordIndex, group: np.ndarray, length: int) -> None:
        self.fast = fast
        self.index = index
        self.group = np.ascontiguousarray(group, dtype=np.int64)
        self.length = length

    def datum(self, i: int) -> bytes:
        return self.index.table[int(self.group[i])]

    def match(
        self, remaining: np.ndarray, known: _Known, slots: Slots, sinks: Sinks, places: np.ndarray
    ) -> np.ndarray:
        whole = remaining.shape[0] == self.group.shape[0]
        rows = self.group if whole else self.group[remaining]
        ix = self.index
        args = (
            ix.buffers,
            ix.buf_id,
            ix.offsets,
            rows,
            known.row_bytes,
            known.mask_bytes,
            np.array(slots, dtype=np.int64).reshape(-1),
        )
        if all(_writable_in_place(v, p) for v, p in sinks):
            # The kernel writes each value straight into its output column.
            columns = [(v, p) for v, p in sinks]
            target = np.ascontiguousarray(places[remaining], dtype=np.int64)
            same_b, _ = self.fast.gather_slots(*args, columns, target)
            return np.frombuffer(same_b, dtype=np.bool_)
        same_b, values_b = self.fast.gather_slots(*args)
        same = np.frombuffer(same_b, dtype=np.bool_)
        if slots:
            block = np.frombuffer(values_b, dtype=np.float64).reshape(len(slots), -1)
            _write_block(block, places[remaining[same]], sinks)
        return same


def _writable_in_place(values: np.ndarray, present: np.ndarray) -> bool:
    """Whether the compiled gather can write into this output column pair directly."""
    return (
        values.dtype == np.float64
        and present.dtype == np.bool_
        and values.flags.c_contiguous
        and present.flags.c_contiguous
        and values.flags.writeable
        and present.flags.writeable
        and values.ndim == present.ndim == 1
        and values.shape == present.shape
    )


def _fill_constants(
    target: np.ndarray,
    plan: Plan,
    values: dict[str, np.ndarray],
    present: dict[str, np.ndarray],
) -> None:
    """Write one layout's constant columns into rows ``target`` (its slots are written)."""
    for name, (how, what) in plan.items():
        if how == "const":
            values[name][target] = what
            present[name][target] = True


def _decode_group(
    source: _Group,
    length: int,
    rows_global: np.ndarray,
    planner: Planner,
    values: dict[str, np.ndarray],
    present: dict[str, np.ndarray],
    irregular: np.ndarray,
) -> None:
    """Decode datums of ``length`` bytes (``source``; ``rows_global``: their output rows)."""
    remaining = np.arange(rows_global.shape[0])

    def take(known: _Known) -> bool:
        """Decode the remaining datums that have ``known``'s layout; whether there were any."""
        nonlocal remaining
        plan = planner(known.layout)
        named = [] if plan is None else [(n, w) for n, (how, w) in plan.items() if how == "slot"]
        slots = [(w.offset, 8 if w.kind == "f64" else 4) for _, w in named]
        sinks = [(values[n], present[n]) for n, _ in named]
        same = source.match(remaining, known, slots, sinks, rows_global)
        target = rows_global[remaining[same]]
        if plan is None:
            irregular[target] = True
        elif target.size:
            _fill_constants(target, plan, values, present)
        remaining = remaining[~same]
        return bool(target.size)

    # A datum whose bytes equal a representative's everywhere but in its float values parses
    # into exactly the same layout (msgpack decoding is deterministic byte by byte), whichever
    # chunk the representative came from. Known layouts count towards the group's limit.
    layouts_seen = 0
    for known in _KNOWN.get(length, ()):
        if not remaining.size:
            return
        if take(known):
            layouts_seen += 1
    while remaining.size:
        if layouts_seen >= MAX_LAYOUTS_PER_LENGTH:
            irregular[rows_global[remaining]] = True
            return
        datum = source.datum(int(remaining[0]))
        layout = scan_layout(datum)
        layouts_seen += 1
        if layout is None:
            irregular[rows_global[remaining[0]]] = True
            remaining = remaining[1:]
            continue
        known = _Known.of(layout, datum)
        _remember(length, known)
        take(known)
