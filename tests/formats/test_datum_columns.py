"""Columnar decoding of msgpack datums (:mod:`gazeport.formats.datum_columns`).

Every result is checked against plain ``msgpack.unpackb`` of each datum: ``scan_layout`` against a
flattening of the decoded object, ``decode_columns`` against a row-by-row oracle that applies the
same rules as the small planner written here.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazeport.formats import datum_columns
from gazeport.formats.datum_columns import (
    MAX_LAYOUTS_PER_LENGTH,
    Layout,
    Plan,
    Scalar,
    decode_columns,
    scan_layout,
)

FAST = settings(max_examples=80, deadline=None)

# --- oracle -----------------------------------------------------------------------------------


def oracle_ext(code: int, data: bytes) -> Any:
    return oracle_decode(data) if code == 13 else msgpack.ExtType(code, data)


def oracle_decode(payload: bytes) -> Any:
    return msgpack.unpackb(
        payload, raw=False, use_list=False, strict_map_key=False, ext_hook=oracle_ext
    )


def flatten(obj: Any, path: tuple[Any, ...] = ()) -> tuple[dict, dict]:
    """(path -> scalar value, path -> (container kind, length)) of a decoded object."""
    scalars: dict[tuple[Any, ...], Any] = {}
    containers: dict[tuple[Any, ...], tuple[str, int]] = {}
    if isinstance(obj, dict):
        containers[path] = ("map", len(obj))
        items = list(obj.items())
    elif isinstance(obj, tuple):
        containers[path] = ("array", len(obj))
        items = list(enumerate(obj))
    else:
        scalars[path] = obj
        return scalars, containers
    for key, value in items:
        s, c = flatten(value, (*path, key))
        scalars.update(s)
        containers.update(c)
    return scalars, containers


def same_float(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def check_layout(payload: bytes, layout: Layout | None) -> None:
    """The layout describes exactly what msgpack decodes from ``payload``."""
    assert layout is not None
    scalars, containers = flatten(oracle_decode(payload))
    assert layout.containers == containers
    assert set(layout.scalars) == set(scalars)
    slots = []
    for path, s in layout.scalars.items():
        value = scalars[path]
        if s.kind == "const":
            assert type(s.value) is type(value), path
            assert s.value == value, path
        else:
            fmt, width = {"f64": (">d", 8), "f32": (">f", 4)}[s.kind]
            assert type(value) is float, path
            assert same_float(struct.unpack_from(fmt, payload, s.offset)[0], value), path
            assert payload[s.offset - 1] == (0xCB if width == 8 else 0xCA)
            slots.append((s.offset, width))
    assert sorted(layout.float_slots) == sorted(slots)


def in_map(value: bytes) -> bytes:
    """``{"k": <value bytes>}`` with the value encoded by hand."""
    return b"\x81\xa1k" + value


# --- scan_layout: one case per msgpack type ---------------------------------------------------

F32_15 = struct.pack(">f", 1.5)
F64_NEG0 = struct.pack(">d", -0.0)
F64_PI = struct.pack(">d", math.pi)

CONSTS = [
    pytest.param(b"\x00", 0, id="fixint-0"),
    pytest.param(b"\x7f", 127, id="fixint-127"),
    pytest.param(b"\xe0", -32, id="neg-fixint--32"),
    pytest.param(b"\xff", -1, id="neg-fixint--1"),
    pytest.param(b"\xcc\xc8", 200, id="uint8"),
    pytest.param(b"\xcd\xea\x60", 60000, id="uint16"),
    pytest.param(b"\xce\xff\xff\xff\xff", 2**32 - 1, id="uint32"),
    pytest.param(b"\xcf" + b"\xff" * 8, 2**64 - 1, id="uint64"),
    pytest.param(b"\xcf" + b"\x00" * 7 + b"\x01", 1, id="uint64-non-minimal"),
    pytest.param(b"\xd0\x80", -128, id="int8"),
    pytest.param(b"\xd1\x80\x00", -32768, id="int16"),
    pytest.param(b"\xd2\x80\x00\x00\x00", -(2**31), id="int32"),
    pytest.param(b"\xd3\x80" + b"\x00" * 7, -(2**63), id="int64-min"),
    pytest.param(b"\xd3" + b"\x00" * 7 + b"\x05", 5, id="int64-non-minimal"),
    pytest.param(b"\xa0", "", id="fixstr-empty"),
    pytest.param(b"\xa3abc", "abc", id="fixstr"),
    pytest.param(b"\xa2\xc3\xa9", "é", id="fixstr-utf8"),
    pytest.param(b"\xd9\x03abc", "abc", id="str8"),
    pytest.param(b"\xda\x00\x03abc", "abc", id="str16"),
    pytest.param(b"\xdb\x00\x00\x00\x03abc", "abc", id="str32"),
    pytest.param(b"\xda\x01\x2c" + b"z" * 300, "z" * 300, id="str16-long"),
    pytest.param(b"\xc4\x02\x00\x01", b"\x00\x01", id="bin8"),
    pytest.param(b"\xc5\x00\x00", b"", id="bin16-empty"),
    pytest.param(b"\xc6\x00\x00\x00\x01\xff", b"\xff", id="bin32"),
    pytest.param(b"\xc0", None, id="nil"),
    pytest.param(b"\xc2", False, id="false"),
    pytest.param(b"\xc3", True, id="true"),
]


@pytest.mark.parametrize(("value", "expected"), CONSTS)
def test_scan_layout_constants(value: bytes, expected: Any) -> None:
    payload = in_map(value)
    layout = scan_layout(payload)
    assert layout is not None
    assert layout.scalars == {("k",): Scalar("const", value=expected)}
    assert type(layout.scalars[("k",)].value) is type(expected)
    assert layout.containers == {(): ("map", 1)}
    assert layout.float_slots == []
    check_layout(payload, layout)


@pytest.mark.parametrize(
    ("value", "kind", "width"),
    [
        pytest.param(b"\xca" + F32_15, "f32", 4, id="float32"),
        pytest.param(b"\xcb" + F64_NEG0, "f64", 8, id="float64-neg-zero"),
        pytest.param(b"\xcb" + F64_PI, "f64", 8, id="float64"),
    ],
)
def test_scan_layout_floats_are_slots(value: bytes, kind: str, width: int) -> None:
    payload = in_map(value)
    layout = scan_layout(payload)
    assert layout is not None
    assert layout.scalars == {("k",): Scalar(kind, offset=4)}
    assert layout.float_slots == [(4, width)]
    check_layout(payload, layout)


NESTED = [
    pytest.param(b"\x92\x01\xcb" + F64_PI, id="fixarray"),
    pytest.param(b"\x90", id="empty-array"),
    pytest.param(b"\x80", id="empty-map"),
    pytest.param(b"\xdc\x00\x02\xc0\xca" + F32_15, id="array16"),
    pytest.param(b"\xdd\x00\x00\x00\x01\xa1x", id="array32"),
    pytest.param(b"\xde\x00\x01\xa1a\xcb" + F64_PI, id="map16"),
    pytest.param(b"\xdf\x00\x00\x00\x01\x07\xc3", id="map32-int-key"),
    pytest.param(b"\x82\x00\xa1a\xff\xa1b", id="int-keys"),
    pytest.param(b"\x81\xa1a\x92\x81\xa1b\x92\x01\x02\x90", id="deep"),
    pytest.param(
        msgpack.packb(
            [{"center": [1.5, 2.5], "axes": [3.0, 4.0], "angle": -1.0}] * 3, use_bin_type=True
        ),
        id="list-of-maps",
    ),
    pytest.param(msgpack.packb(list(range(40)), use_bin_type=True), id="array16-ints"),
    pytest.param(
        msgpack.packb({f"k{i}": float(i) for i in range(20)}, use_bin_type=True), id="map16-floats"
    ),
]


@pytest.mark.parametrize("value", NESTED)
def test_scan_layout_nested_containers(value: bytes) -> None:
    check_layout(in_map(value), scan_layout(in_map(value)))


def test_scan_layout_paths_and_offsets() -> None:
    payload = msgpack.packb({"id": 1, "norm_pos": [0.5, 0.25], "e": {"a": 7.0}}, use_bin_type=True)
    layout = scan_layout(payload)
    assert layout is not None
    assert set(layout.scalars) == {("id",), ("norm_pos", 0), ("norm_pos", 1), ("e", "a")}
    assert layout.containers == {(): ("map", 3), ("norm_pos",): ("array", 2), ("e",): ("map", 1)}
    x = layout.get(("norm_pos", 0))
    assert x is not None
    assert payload[x.offset : x.offset + 8] == struct.pack(">d", 0.5)
    assert layout.get(("missing",)) is None


def ext(code: int, inner: bytes) -> bytes:
    return msgpack.packb(msgpack.ExtType(code, inner))


EXT13 = [
    pytest.param(ext(13, b"\x07"), id="fixext1"),
    pytest.param(ext(13, b"\xcc\xc8"), id="fixext2"),
    pytest.param(ext(13, b"\x81\xa1a\x01"), id="fixext4"),
    pytest.param(ext(13, b"\x81\xa1a\xce\x00\x00\x00\x01"), id="fixext8"),
    pytest.param(ext(13, b"\x82\xa1a\xcb" + F64_PI + b"\xa2bc\x00"), id="fixext16"),
    pytest.param(ext(13, msgpack.packb({"x": 1.5, "y": [2.5, -0.0]})), id="ext8"),
    pytest.param(ext(13, msgpack.packb({"v": list(map(float, range(40)))})), id="ext16"),
    pytest.param(b"\xc9\x00\x00\x00\x01\x0d\x05", id="ext32"),
    pytest.param(
        ext(13, msgpack.packb({"in": msgpack.ExtType(13, msgpack.packb({"z": 9.5}))})),
        id="ext13-in-ext13",
    ),
    pytest.param(
        msgpack.packb([msgpack.ExtType(13, msgpack.packb({"timestamp": 3.25, "id": 1}))] * 2),
        id="base-data-array",
    ),
]


@pytest.mark.parametrize("value", EXT13)
def test_scan_layout_ext13_is_walked_into(value: bytes) -> None:
    payload = in_map(value)
    layout = scan_layout(payload)
    check_layout(payload, layout)


def test_scan_layout_ext13_float_offsets_point_into_the_outer_payload() -> None:
    inner = msgpack.packb({"timestamp": 12.5, "id": 0})
    payload = msgpack.packb({"base_data": [msgpack.ExtType(13, inner)], "ts": 1.0})
    layout = scan_layout(payload)
    assert layout is not None
    s = layout.get(("base_data", 0, "timestamp"))
    assert s is not None
    assert s.kind == "f64"
    assert struct.unpack_from(">d", payload, s.offset)[0] == 12.5
    assert layout.get(("base_data", 0, "id")) == Scalar("const", value=0)


UNSUPPORTED = [
    pytest.param(in_map(ext(5, b"ab")), id="ext-code-5"),
    pytest.param(in_map(ext(5, b"\x07")), id="ext-code-5-valid-inner"),
    pytest.param(in_map(ext(14, msgpack.packb({"a": 1.5}))), id="ext-code-14-map-inner"),
    pytest.param(in_map(b"\xd4\xf3\x07"), id="ext-code-minus-13"),
    pytest.param(in_map(ext(12, b"\x07")), id="ext-code-12"),
    pytest.param(in_map(b"\xd6\xff\x00\x00\x00\x00"), id="ext-timestamp"),
    pytest.param(in_map(ext(13, b"\x07\x07")), id="ext13-with-trailing-bytes"),
    pytest.param(in_map(ext(13, b"\x92\x01")), id="ext13-short-inner"),
    pytest.param(in_map(b"\x07") + b"\x00", id="trailing-byte"),
    pytest.param(msgpack.packb({"a": 1}) * 2, id="two-objects"),
    pytest.param(in_map(b"\xc1"), id="never-used-byte"),
    pytest.param(in_map(b"\xa2\xff\xfe"), id="invalid-utf8"),
    pytest.param(b"", id="empty"),
    pytest.param(b"\x81\xcb" + F64_PI + b"\x01", id="float-key"),
    pytest.param(b"\x81\xc0\x01", id="nil-key"),
    pytest.param(b"\x81\xc3\x01", id="bool-key"),
    pytest.param(b"\x81\x92\x01\x02\x01", id="array-key"),
    pytest.param(b"\x81\x81\xa1a\x01\x01", id="map-key"),
    pytest.param(b"\x81\xc4\x01a\x01", id="bin-key"),
]


@pytest.mark.parametrize("payload", UNSUPPORTED)
def test_scan_layout_unsupported_is_none(payload: bytes) -> None:
    assert scan_layout(payload) is None


def test_scan_layout_every_truncation_is_none() -> None:
    payload = msgpack.packb(
        {
            "topic": "pupil.0.3d",
            "n": [1.5, 2.5],
            "s": "x" * 40,
            "b": msgpack.ExtType(13, msgpack.packb({"t": 0.5})),
            "i": 2**40,
        },
        use_bin_type=True,
    )
    check_layout(payload, scan_layout(payload))
    for cut in range(len(payload)):
        assert scan_layout(payload[:cut]) is None, cut


def test_scan_layout_duplicate_keys_match_msgpack() -> None:
    payload = b"\x82" + msgpack.packb("n") + msgpack.packb([1.5]) + msgpack.packb("n") + b"\xc0"
    assert oracle_decode(payload) == {"n": None}
    layout = scan_layout(payload)
    assert layout is None or layout.get(("n", 0)) is None


# Recursive msgpack values, some maps wrapped in ext 13 like Player's Serialized_Dict.
class Nested:
    def __init__(self, value: Any) -> None:
        self.value = value


def pack_default(obj: Any) -> Any:
    if isinstance(obj, Nested):
        return msgpack.ExtType(13, pack(obj.value))
    raise TypeError(obj)


def pack(value: Any, single_float: bool = False) -> bytes:
    try:
        return msgpack.packb(
            value, use_bin_type=True, use_single_float=single_float, default=pack_default
        )
    except OverflowError:  # a float beyond float32's range: keep it float64
        return msgpack.packb(value, use_bin_type=True, default=pack_default)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.binary(max_size=20),
)
keys = st.one_of(st.text(max_size=6), st.integers(min_value=-(2**40), max_value=2**40))
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(keys, children, max_size=4),
        st.dictionaries(keys, children, max_size=3).map(Nested),
    ),
    max_leaves=20,
)


@FAST
@given(value=values, single_float=st.booleans())
def test_scan_layout_matches_msgpack_for_any_value(value: Any, single_float: bool) -> None:
    payload = pack(value, single_float)
    check_layout(payload, scan_layout(payload))


# --- decode_columns ---------------------------------------------------------------------------

DTYPES = {"a": np.dtype(np.float64), "b": np.dtype(np.float64), "c": np.dtype(np.int64)}
FILL: dict[str, Any] = {"a": np.nan, "b": np.nan, "c": -1}
INT64 = (-(2**63), 2**63)


def plan_abc(layout: Layout) -> Plan | None:
    """a: float from ("a",) (ints widened, None/missing absent); b: float ("n", 0) of an array;
    c: int64 const from ("id",). Anything else: irregular."""
    plan: Plan = {}
    a = layout.get(("a",))
    if ("a",) in layout.containers:
        return None
    if a is None or (a.kind == "const" and a.value is None):
        plan["a"] = ("absent", None)
    elif a.kind in ("f64", "f32"):
        plan["a"] = ("slot", a)
    elif type(a.value) is int:
        plan["a"] = ("const", float(a.value))
    else:
        return None
    n = layout.containers.get(("n",))
    if n is None:
        if layout.get(("n",)) is not None:
            return None
        plan["b"] = ("absent", None)
    else:
        first = layout.get(("n", 0))
        if n[0] != "array" or first is None or first.kind == "const":
            return None
        plan["b"] = ("slot", first)
    c = layout.get(("id",))
    if ("id",) in layout.containers:
        return None
    if c is None:
        plan["c"] = ("absent", None)
    elif c.kind == "const" and type(c.value) is int and INT64[0] <= c.value < INT64[1]:
        plan["c"] = ("const", c.value)
    else:
        return None
    return plan


def has_foreign_ext(obj: Any) -> bool:
    if isinstance(obj, msgpack.ExtType):
        return True
    if isinstance(obj, dict):
        return any(has_foreign_ext(v) for v in obj.values())
    if isinstance(obj, tuple):
        return any(has_foreign_ext(v) for v in obj)
    return False


def oracle_row(payload: bytes) -> dict[str, tuple[Any, bool]] | None:
    """The planner's rules applied to the msgpack-decoded datum; None = irregular."""
    datum = oracle_decode(payload)
    if not isinstance(datum, dict) or has_foreign_ext(datum):
        return None
    row: dict[str, tuple[Any, bool]] = {}
    a = datum.get("a")
    if a is None:
        row["a"] = (np.nan, False)
    elif type(a) in (int, float):
        row["a"] = (float(a), True)
    else:
        return None
    if "n" not in datum:
        row["b"] = (np.nan, False)
    elif type(datum["n"]) is tuple and datum["n"] and type(datum["n"][0]) is float:
        row["b"] = (datum["n"][0], True)
    else:
        return None
    c = datum.get("id", ...)
    if c is ...:
        row["c"] = (-1, False)
    elif type(c) is int and INT64[0] <= c < INT64[1]:
        row["c"] = (c, True)
    else:
        return None
    return row


def check_columns(payloads: list[bytes], cols: datum_columns.Columns, exact: bool) -> None:
    """Every row equals the oracle or is irregular; with ``exact`` irregular == oracle's."""
    n = len(payloads)
    for name in DTYPES:
        assert cols.values[name].shape == (n,)
        assert cols.values[name].dtype == DTYPES[name]
        assert cols.present[name].dtype == bool
    assert cols.irregular.shape == (n,)
    for i, payload in enumerate(payloads):
        row = oracle_row(payload)
        if exact:
            assert bool(cols.irregular[i]) == (row is None), i
        if cols.irregular[i] or row is None:
            assert cols.irregular[i], i  # never a wrong regular row
            for name in DTYPES:
                got = cols.values[name][i]
                assert same_float(float(got), float(FILL[name])), (i, name)
                assert not cols.present[name][i], (i, name)
            continue
        for name, (value, present) in row.items():
            got = cols.values[name][i]
            if DTYPES[name].kind == "f":
                assert same_float(float(got), float(value)), (i, name, got, value)
            else:
                assert int(got) == value, (i, name)
            assert bool(cols.present[name][i]) == present, (i, name)


def encode_entries(entries: list[tuple[str, Any, bool]]) -> bytes:
    """A map whose values are packed one by one, each as float32 or float64 on its own."""
    assert len(entries) < 16
    body = b"".join(pack(k) + pack(v, f32) for k, v, f32 in entries)
    return bytes([0x80 | len(entries)]) + body


floats = st.floats(allow_nan=True, allow_infinity=True)
ENTRY_VALUES = {
    "a": st.one_of(
        floats,
        floats,
        st.integers(-(2**63), 2**64 - 1),
        st.none(),
        st.booleans(),
        st.text(max_size=2),
        st.just((1.0,)),
    ),
    "n": st.one_of(
        st.lists(floats, min_size=1, max_size=3).map(tuple),
        st.lists(st.one_of(floats, st.integers(0, 3), st.none()), max_size=3).map(tuple),
        st.dictionaries(st.integers(0, 2), floats, max_size=2),
        st.none(),
        floats,
    ),
    "id": st.one_of(
        st.integers(0, 3),
        st.integers(-(2**63), 2**64 - 1),
        st.integers(250, 70000),
        st.booleans(),
        st.none(),
        floats,
        st.just((0,)),
    ),
    "topic": st.sampled_from(["pupil.0.2d", "pupil.1.3d", "gaze.3d.01.", ""]),
    "timestamp": floats,
    "x": st.sampled_from(
        [msgpack.ExtType(5, b"zz"), msgpack.ExtType(5, msgpack.packb(1.5)), msgpack.ExtType(1, b"")]
    ),
    "sub": st.builds(lambda v: Nested({"a": v, "n": [v]}), floats),
}
entry = st.sampled_from(sorted(ENTRY_VALUES)).flatmap(
    lambda k: st.tuples(st.just(k), ENTRY_VALUES[k], st.booleans())
)
datum_bytes = st.lists(entry, max_size=6, unique_by=lambda e: e[0]).map(encode_entries)


@settings(max_examples=120, deadline=None)
@given(payloads=st.lists(datum_bytes, max_size=60))
def test_decode_columns_equals_msgpack_per_datum(payloads: list[bytes]) -> None:
    check_columns(payloads, decode_columns(payloads, plan_abc, DTYPES, FILL), exact=True)


@FAST
@given(payloads=st.lists(datum_bytes, max_size=40), limit=st.integers(1, 3))
def test_decode_columns_layout_limit_is_never_wrong(payloads: list[bytes], limit: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(datum_columns, "MAX_LAYOUTS_PER_LENGTH", limit)
        cols = decode_columns(payloads, plan_abc, DTYPES, FILL)
    check_columns(payloads, cols, exact=False)


def test_decode_columns_many_datums_few_layouts() -> None:
    rng = np.random.default_rng(7)
    shapes = [
        lambda a, b, i: [("a", a, False), ("n", (b, a), False), ("id", i, False)],
        lambda a, b, i: [("id", i, False), ("a", a, True), ("n", (b,), True)],
        lambda a, b, i: [("n", (b, 1.0), False), ("topic", "pupil.0.2d", False)],
        lambda a, b, i: [("a", a, False), ("id", i + 1000, False)],
    ]
    payloads, kinds = [], []
    for _ in range(3000):
        k = int(rng.integers(len(shapes)))
        a, b = rng.normal(size=2) * 10.0 ** rng.integers(-8, 8, size=2)
        payloads.append(encode_entries(shapes[k](float(a), float(b), int(rng.integers(2)))))
        kinds.append(k)
    cols = decode_columns(payloads, plan_abc, DTYPES, FILL)
    assert not cols.irregular.any()
    check_columns(payloads, cols, exact=True)


def test_decode_columns_too_many_layouts_in_one_length_group() -> None:
    # Every datum has the same length (uint16 ids) but its own layout.
    n = MAX_LAYOUTS_PER_LENGTH + 44
    payloads = [msgpack.packb({"a": i / 7, "id": 1000 + i}) for i in range(n)]
    assert len(set(map(len, payloads))) == 1
    cols = decode_columns(payloads, plan_abc, DTYPES, FILL)
    assert int(cols.irregular.sum()) == 44
    assert not cols.irregular[:MAX_LAYOUTS_PER_LENGTH].any()
    check_columns(payloads, cols, exact=False)


def test_decode_columns_layout_limit_is_per_length_group() -> None:
    short = [msgpack.packb({"a": 0.5, "id": 1000 + i}) for i in range(MAX_LAYOUTS_PER_LENGTH)]
    long = [msgpack.packb({"a": 0.5, "id": 100_000 + i}) for i in range(MAX_LAYOUTS_PER_LENGTH)]
    payloads = [p for pair in zip(short, long, strict=True) for p in pair]
    cols = decode_columns(payloads, plan_abc, DTYPES, FILL)
    assert not cols.irregular.any()
    check_columns(payloads, cols, exact=True)


def test_decode_columns_empty_input() -> None:
    cols = decode_columns([], plan_abc, DTYPES, FILL)
    assert cols.irregular.shape == (0,)
    assert all(v.shape == (0,) for v in cols.values.values())


def test_decode_columns_unscannable_and_empty_payloads_are_irregular() -> None:
    good = msgpack.packb({"a": 2.5, "id": 3})
    foreign = msgpack.packb({"a": 2.5, "id": 3, "x": msgpack.ExtType(5, b"")})
    payloads = [good, b"", foreign, good, b"\xc1", good]
    cols = decode_columns(payloads, plan_abc, DTYPES, FILL)
    assert cols.irregular.tolist() == [False, True, True, False, True, False]
    assert cols.values["a"][[0, 3, 5]].tolist() == [2.5] * 3
    assert cols.values["c"].tolist() == [3, -1, -1, 3, -1, 3]


def test_decode_columns_rejected_plan_leaves_fill() -> None:
    payloads = [msgpack.packb({"a": "text"}), msgpack.packb({"a": 1.5})]
    cols = decode_columns(payloads, plan_abc, DTYPES, FILL)
    assert cols.irregular.tolist() == [True, False]
    assert np.isnan(cols.values["a"][0])
    assert cols.present["a"].tolist() == [False, True]


def test_decode_columns_float32_values_widen_exactly() -> None:
    values = [0.1, 1e-40, -3.4e38, float("inf"), -0.0]
    payloads = [encode_entries([("a", v, True)]) for v in values]
    cols = decode_columns(payloads, plan_abc, DTYPES, FILL)
    expected = [struct.unpack(">f", struct.pack(">f", v))[0] for v in values]
    assert [float(x) for x in cols.values["a"]] == expected
    assert math.copysign(1.0, cols.values["a"][-1]) == -1.0


def test_decode_columns_duplicate_keys_are_never_wrong() -> None:
    # {"n": [1.5], "n": None}: msgpack keeps n = None, so column b must not read 1.5.
    payload = b"\x82" + msgpack.packb("n") + msgpack.packb([1.5]) + msgpack.packb("n") + b"\xc0"
    check_columns([payload], decode_columns([payload], plan_abc, DTYPES, FILL), exact=False)


# --- layouts remembered across calls (a file is decoded chunk by chunk) --------------------------


@FAST
@given(first=st.lists(datum_bytes, max_size=30), second=st.lists(datum_bytes, max_size=30))
def test_decode_columns_remembered_layouts_are_never_wrong(
    first: list[bytes], second: list[bytes]
) -> None:
    # The second call meets layouts (and look-alikes of equal length) the first one scanned.
    datum_columns._KNOWN.clear()
    check_columns(first, decode_columns(first, plan_abc, DTYPES, FILL), exact=True)
    check_columns(second, decode_columns(second, plan_abc, DTYPES, FILL), exact=True)


def test_decode_columns_scans_a_layout_once_across_calls() -> None:
    datum_columns._KNOWN.clear()
    chunks = [
        [encode_entries([("a", 0.5 + i + k, False), ("id", 2, False)]) for i in range(50)]
        for k in range(3)
    ]
    scans = []
    real = datum_columns.scan_layout
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(datum_columns, "scan_layout", lambda p: scans.append(p) or real(p))
        results = [decode_columns(c, plan_abc, DTYPES, FILL) for c in chunks]
        # same length, other constant: must not be taken for the remembered layout
        other = [encode_entries([("a", 1.5, False), ("id", 3, False)])]
        other_cols = decode_columns(other, plan_abc, DTYPES, FILL)
    assert len(scans) == 2
    for payloads, cols in zip(chunks, results, strict=True):
        check_columns(payloads, cols, exact=True)
    check_columns(other, other_cols, exact=True)
    assert int(other_cols.values["c"][0]) == 3
