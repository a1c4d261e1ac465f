"""Columnar decoding of many msgpack datums that share a layout, without a Python loop per datum.

Datums written by Pupil Capture for one topic are byte-for-byte alike except for their float
values: the same keys in the same order, float64 values always 9 bytes, the same strings and
small ints. This module decodes one representative datum into a :class:`Layout` (where every
scalar sits), checks with NumPy that other datums of the same length are identical outside their
float bytes, and then slices each float column out of all matching datums at once.

Datums that do not fit any layout, or whose layout the caller's ``plan`` rejects, are reported
as *irregular* so the caller decodes them one by one. The result is therefore always exactly
what decoding every datum with msgpack would give.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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


def _extract(matrix: np.ndarray, rows: np.ndarray, scalar: Scalar) -> np.ndarray:
    width = 8 if scalar.kind == "f64" else 4
    raw = np.ascontiguousarray(matrix[rows, scalar.offset : scalar.offset + width])
    return raw.view(">f8" if width == 8 else ">f4").reshape(-1).astype(np.float64)


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
    lengths = table.lengths
    order = np.argsort(lengths, kind="stable")
    sorted_len = lengths[order]
    bounds = np.flatnonzero(np.diff(sorted_len)) + 1
    for group in np.split(order, bounds):
        length = int(lengths[group[0]])
        if length == 0:
            irregular[group] = True
            continue
        matrix = table.matrix(group, length, pad_to=8, zero_padding=False)
        _decode_group(matrix, length, group, planner, values, present, irregular)
    return Columns(values, present, irregular)


def _skeleton_words(width: int, length: int, float_slots: list[tuple[int, int]]) -> np.ndarray:
    """Per 8-byte word of a padded datum row: all-ones bytes where the datum is not a float
    (zero in the padding after ``length``, which holds whatever followed the datum)."""
    mask = np.zeros(width, dtype=np.uint8)
    mask[:length] = 0xFF
    for off, size in float_slots:
        mask[off : off + size] = 0
    return mask.view(np.uint64)


def _fill_plan(
    matrix: np.ndarray,
    members: np.ndarray,
    target: np.ndarray,
    plan: Plan,
    values: dict[str, np.ndarray],
    present: dict[str, np.ndarray],
) -> None:
    """Copy one layout's columns out of ``matrix`` rows ``members`` into rows ``target``."""
    f64 = [
        (name, what.offset)
        for name, (how, what) in plan.items()
        if how == "slot" and what.kind == "f64"
    ]
    if f64:
        # All float64 slots in one gather: (m, k*8) bytes -> (m, k) big-endian doubles.
        idx = (np.array([off for _, off in f64])[:, None] + np.arange(8)).reshape(-1)
        rows = matrix if members.shape[0] == matrix.shape[0] else matrix[members]
        block = np.ascontiguousarray(rows[:, idx]).view(">f8").astype(np.float64)
        for j, (name, _) in enumerate(f64):
            values[name][target] = block[:, j]
            present[name][target] = True
    for name, (how, what) in plan.items():
        if how == "slot" and what.kind != "f64":
            values[name][target] = _extract(matrix, members, what)
            present[name][target] = True
        elif how == "const":
            values[name][target] = what
            present[name][target] = True


#: Layouts already scanned, by datum length, most recent first: a datum file holds a handful
#: of layouts, but is decoded chunk by chunk, and scanning a layout is a Python walk.
_KNOWN: dict[int, tuple[tuple[Layout, np.ndarray, np.ndarray], ...]] = {}
_KNOWN_PER_LENGTH = 4
_KNOWN_LENGTHS = 256


def _remember(length: int, layout: Layout, mask: np.ndarray, row: np.ndarray) -> None:
    """Keep ``layout`` (its skeleton mask and representative row) for later groups."""
    if length not in _KNOWN and len(_KNOWN) >= _KNOWN_LENGTHS:
        _KNOWN.clear()  # rare (hundreds of datum lengths); one call, safe beside other threads
    entry = (layout, mask, row & mask)
    _KNOWN[length] = (entry, *_KNOWN.get(length, ())[: _KNOWN_PER_LENGTH - 1])


def _decode_group(
    matrix: np.ndarray,
    length: int,
    rows_global: np.ndarray,
    planner: Planner,
    values: dict[str, np.ndarray],
    present: dict[str, np.ndarray],
    irregular: np.ndarray,
) -> None:
    """Decode rows of ``matrix`` (datums of ``length`` bytes, padded to 8-byte words)."""
    words = matrix.view(np.uint64)
    remaining = np.arange(matrix.shape[0])
    sub = words

    def take(layout: Layout, same: np.ndarray) -> None:
        nonlocal remaining, sub
        members = remaining[same]
        target = rows_global[members]
        plan = planner(layout)
        if plan is None:
            irregular[target] = True
        else:
            _fill_plan(matrix, members, target, plan, values, present)
        keep = ~same
        remaining, sub = remaining[keep], sub[keep]

    # A datum whose bytes equal a representative's everywhere but in its float values parses
    # into exactly the same layout (msgpack decoding is deterministic byte by byte), whichever
    # chunk the representative came from. Known layouts count towards the group's limit.
    layouts_seen = 0
    for known, mask, masked_row in _KNOWN.get(length, ()):
        if not remaining.size:
            return
        same = ~((sub & mask) ^ masked_row).any(axis=1)
        if same.any():
            layouts_seen += 1
            take(known, same)
    while remaining.size:
        if layouts_seen >= MAX_LAYOUTS_PER_LENGTH:
            irregular[rows_global[remaining]] = True
            return
        layout = scan_layout(matrix[remaining[0], :length].tobytes())
        layouts_seen += 1
        if layout is None:
            irregular[rows_global[remaining[0]]] = True
            remaining, sub = remaining[1:], sub[1:]
            continue
        mask = _skeleton_words(matrix.shape[1], length, layout.float_slots)
        _remember(length, layout, mask, sub[0])
        take(layout, ~((sub ^ sub[0]) & mask).any(axis=1))
