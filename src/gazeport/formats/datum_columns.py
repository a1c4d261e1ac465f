"""Columnar decoding of many msgpack datums that share a layout, without a Python loop per datum.

Datums written by Pupil Capture for one topic are byte-for-byte alike except for their float
values: the same keys in the same order, float64 values always 9 bytes, the same strings and
small ints. This module decodes one representative datum into a :class:`Layout` (where every
scalar sits), checks that other datums of the same length are identical outside their float
bytes, and then slices each float column out of all matching datums at once. Layouts are
remembered across calls (:func:`known_layout`), so a recording's few layouts are parsed once.

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


@dataclass(frozen=True)
class _Known:
    """A layout seen before: the datum it came from with its float bytes zeroed (``key``)."""

    key: bytes
    mask: np.ndarray  #: uint8 per byte: 0xFF outside the float slots, 0 in them
    layout: Layout


#: Layouts by datum length, newest first: a recording repeats a handful of layouts in every
#: chunk, and :func:`scan_layout` (a Python walk) would otherwise parse each chunk's again.
_KNOWN: dict[int, list[_Known]] = {}
_KNOWN_PER_LENGTH = 8
_KNOWN_LENGTHS = 4096


def known_layout(payload: bytes) -> Layout | None:
    """:func:`scan_layout` of ``payload``, remembered across calls.

    A datum equal to a remembered one everywhere but in that one's float values parses into the
    same layout (the walk skips float bytes without looking at them), so the result is exactly
    :func:`scan_layout`'s. The layout object is shared between callers: treat it as read-only.
    """
    length = len(payload)
    entries = _KNOWN.get(length, [])
    if entries:
        raw = np.frombuffer(payload, dtype=np.uint8)
        for entry in entries:
            if (raw & entry.mask).tobytes() == entry.key:
                return entry.layout
    layout = scan_layout(payload)
    if layout is not None:
        mask = _skeleton_bytes(length, layout.float_slots)
        key = (np.frombuffer(payload, dtype=np.uint8) & mask).tobytes()
        if len(_KNOWN) >= _KNOWN_LENGTHS:
            _KNOWN.clear()
        # One assignment of a new list: a concurrent reader sees the old or the new one.
        _KNOWN[length] = [_Known(key, mask, layout), *entries[: _KNOWN_PER_LENGTH - 1]]
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
        _decode_group(source, group, planner, values, present, irregular)
    return Columns(values, present, irregular)


Slots = list[tuple[int, int]]  #: (offset, width) of float slots; width 8 (f64) or 4 (f32)
Sinks = list[tuple[np.ndarray, np.ndarray]]  #: (values, present) output column per slot


class _Group(Protocol):
    """Datums of one length: the representative's bytes, and the matching + gathering step."""

    def datum(self, i: int) -> bytes: ...

    def match(
        self, remaining: np.ndarray, skip: Slots, slots: Slots, sinks: Sinks, places: np.ndarray
    ) -> np.ndarray:
        """Which of datums ``remaining`` equal datum ``remaining[0]`` outside ``skip`` (bool);
        slot ``j`` of each of those goes to ``sinks[j]`` at its place (``places[remaining]``),
        marked present there."""
        ...


def _write_block(block: np.ndarray, target: np.ndarray, sinks: Sinks) -> None:
    """Slot ``j``'s values ``block[j]`` into ``sinks[j]`` at rows ``target``."""
    for j, (values, present) in enumerate(sinks):
        values[target] = block[j]
        present[target] = True


def _skeleton_bytes(width: int, float_slots: Slots) -> np.ndarray:
    """Per byte of a datum (or padded row): 0xFF where the datum is not a float value."""
    mask = np.full(width, 0xFF, dtype=np.uint8)
    for off, size in float_slots:
        mask[off : off + size] = 0
    return mask


class _PureGroup:
    """NumPy: the datums copied into a zero-padded byte matrix, compared word by word."""

    def __init__(self, table: Payloads, group: np.ndarray, length: int) -> None:
        self.length = length
        self.matrix = table.matrix(group, length, pad_to=8)
        self.words = self.matrix.view(np.uint64)

    def datum(self, i: int) -> bytes:
        return self.matrix[i, : self.length].tobytes()

    def match(
        self, remaining: np.ndarray, skip: Slots, slots: Slots, sinks: Sinks, places: np.ndarray
    ) -> np.ndarray:
        whole = remaining.shape[0] == self.words.shape[0]  # remaining is then every row
        sub = self.words if whole else self.words[remaining]
        differs = sub ^ sub[0]
        differs &= _skeleton_bytes(self.matrix.shape[1], skip).view(np.uint64)
        same = ~differs.any(axis=1)
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
        self, remaining: np.ndarray, skip: Slots, slots: Slots, sinks: Sinks, places: np.ndarray
    ) -> np.ndarray:
        whole = remaining.shape[0] == self.group.shape[0]
        rows = self.group if whole else self.group[remaining]
        ix = self.index
        args = (
            ix.buffers,
            ix.buf_id,
            ix.offsets,
            rows,
            self.datum(int(remaining[0])),
            _skeleton_bytes(self.length, skip).tobytes(),
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
    rows_global: np.ndarray,
    planner: Planner,
    values: dict[str, np.ndarray],
    present: dict[str, np.ndarray],
    irregular: np.ndarray,
) -> None:
    """Decode datums of one length (``source``; ``rows_global`` are their places in the output)."""
    remaining = np.arange(rows_global.shape[0])
    layouts_seen = 0
    while remaining.size:
        if layouts_seen >= MAX_LAYOUTS_PER_LENGTH:
            irregular[rows_global[remaining]] = True
            return
        layout = known_layout(source.datum(int(remaining[0])))
        layouts_seen += 1
        if layout is None:
            irregular[rows_global[remaining[0]]] = True
            remaining = remaining[1:]
            continue
        plan = planner(layout)
        named = [] if plan is None else [(n, w) for n, (how, w) in plan.items() if how == "slot"]
        slots = [(w.offset, 8 if w.kind == "f64" else 4) for _, w in named]
        # A datum whose bytes equal the representative's everywhere but in its float values
        # parses into exactly the same layout (msgpack decoding is deterministic byte by byte).
        sinks = [(values[n], present[n]) for n, _ in named]
        same = source.match(remaining, layout.float_slots, slots, sinks, rows_global)
        target = rows_global[remaining[same]]
        if plan is None:
            irregular[target] = True
        else:
            _fill_constants(target, plan, values, present)
        remaining = remaining[~same]
