"""The compiled column gather (``gazeport._csvfast.gather_slots``) behind
:func:`gazeport.formats.datum_columns.decode_columns`: values, presence and irregular rows are
exactly the pure NumPy path's (floats compared bit for bit), on the real Core recordings, on
synthetic ones with irregular datums, on random layouts and on payloads spread over buffers."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.factories import CoreSpec, make_core_recording
from tests.fixtures import recording
from tests.formats.test_datum_columns import DTYPES, FILL, datum_bytes, plan_abc

from gazeport import _native
from gazeport.formats import datum_columns
from gazeport.formats.datum_columns import Columns, Planner, decode_columns
from gazeport.formats.payloads import Payloads
from gazeport.formats.pldata import iter_records
from gazeport.recording import streams

pytestmark = pytest.mark.skipif(
    not _native.compiled(), reason=f"compiled gather: {_native.describe()}"
)

SCHEMAS = {
    "pupil": (streams.pupil_plan, streams.PUPIL_DECODED, streams.PUPIL_FILL),
    "gaze": (streams.gaze_plan, streams.GAZE_DECODED, streams.GAZE_FILL),
}


def assert_same_columns(a: Columns, b: Columns) -> None:
    assert np.array_equal(a.irregular, b.irregular)
    assert a.values.keys() == b.values.keys() == a.present.keys()
    for name, va in a.values.items():
        vb = b.values[name]
        assert va.dtype == vb.dtype, name
        if va.dtype == np.float64:
            assert np.array_equal(va.view(np.uint64), vb.view(np.uint64)), name  # NaN, -0.0
        else:
            assert va.tolist() == vb.tolist(), name
        assert np.array_equal(a.present[name], b.present[name]), name


def both(
    payloads: Payloads | list[bytes],
    planner: Planner,
    dtypes: dict[str, np.dtype],
    fill: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Columns:
    # Both paths start from the same remembered layouts and must leave the same ones behind.
    known = dict(datum_columns._KNOWN)
    compiled = decode_columns(payloads, planner, dtypes, fill)
    after = dict(datum_columns._KNOWN)
    datum_columns._KNOWN.clear()
    datum_columns._KNOWN.update(known)
    with monkeypatch.context() as mp:
        mp.setattr(_native, "csvfast", None)
        pure = decode_columns(payloads, planner, dtypes, fill)
    assert_same_columns(compiled, pure)
    assert after.keys() == datum_columns._KNOWN.keys()
    for length, entries in after.items():
        again = datum_columns._KNOWN[length]
        assert [(k.layout, k.row_bytes, k.mask_bytes) for k in entries] == [
            (k.layout, k.row_bytes, k.mask_bytes) for k in again
        ]
    return compiled


def chunks(path: Path, chunk_bytes: int = 1 << 16) -> Iterator[Payloads]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # damaged synthetic files warn; they are read all the same
        for rc in iter_records(path, chunk_bytes=chunk_bytes):
            yield rc.payloads


def spread(parts: list[Payloads], seed: int) -> Payloads:
    """All payloads of ``parts`` (several buffers) in a shuffled order."""
    merged = Payloads.concat(parts)
    return merged.take(np.random.default_rng(seed).permutation(len(merged)))


@pytest.mark.parametrize("name", ["core121_eyedoit_001", "core358_artemisge_003", "core116_vedb"])
@pytest.mark.parametrize("kind", ["pupil", "gaze"])
def test_real_recordings(name: str, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = recording(name) / f"{kind}.pldata"
    if not path.exists():
        pytest.skip(f"{name} has no {kind}.pldata")
    parts = list(chunks(path))
    regular = 0
    for part in parts:
        cols = both(part, *SCHEMAS[kind], monkeypatch)
        regular += int((~cols.irregular).sum())
    assert regular > 0  # the fast path is really taken
    both(spread(parts[:8], 1), *SCHEMAS[kind], monkeypatch)


SPECS = [
    CoreSpec(irregular=True),
    CoreSpec(irregular=True, base_data="ext", order="arrival"),
    CoreSpec(pupil="legacy3d", topics="legacy", gaze="2d", irregular=True),
    CoreSpec(pupil="3d", gaze="3d_monocular", eye_keys="int", eyes=(1,)),
    CoreSpec(pupil="2d", gaze="3d_binocular", truncate=("pupil", "gaze"), seed=4),
    CoreSpec(garbage=("gaze",), irregular=True, seed=5),
]


@pytest.mark.parametrize("spec", SPECS, ids=range(len(SPECS)))
def test_synthetic_recordings(
    spec: CoreSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_core_recording(tmp_path / "rec", spec)
    for kind in ("pupil", "gaze"):
        path = folder / f"{kind}.pldata"
        if not path.exists():
            continue
        try:
            parts = list(chunks(path, chunk_bytes=4096))
        except Exception:  # the garbage spec: only the records before the damage
            continue
        for part in parts:
            both(part, *SCHEMAS[kind], monkeypatch)
        if parts:
            both(spread(parts, 2), *SCHEMAS[kind], monkeypatch)


@settings(max_examples=150, deadline=None)
@given(payloads=st.lists(datum_bytes, max_size=60), split=st.integers(0, 60))
def test_random_layouts(payloads: list[bytes], split: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        both(payloads, plan_abc, DTYPES, FILL, mp)
        halves = [Payloads.from_list(payloads[:split]), Payloads.from_list(payloads[split:])]
        both(spread(halves, split), plan_abc, DTYPES, FILL, mp)


def test_many_equal_length_datums_with_a_few_odd_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    payloads = [
        msgpack.packb({"a": float(a), "n": (float(b),), "id": 1})
        for a, b in rng.normal(size=(5000, 2))
    ]
    payloads[17] = payloads[17].replace(b"\xa1n", b"\xa1m")  # same length, another key
    payloads[40] = msgpack.packb({"a": 1.0, "n": (2.0,), "id": 2})  # same length, another id
    cols = both(payloads, plan_abc, DTYPES, FILL, monkeypatch)
    assert not cols.irregular.any()
    assert not cols.present["b"][17] and cols.present["b"][16]  # "m" is no column of plan_abc
    assert cols.values["c"][40] == 2 and cols.values["c"][41] == 1


def gather(*args: Any) -> tuple[bytes, bytes]:
    fast = _native.csvfast
    assert fast is not None
    result: tuple[bytes, bytes] = fast.gather_slots(*args)
    return result


def i64(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_gather_slots_direct() -> None:
    datum = msgpack.packb({"a": 1.5, "b": -2.25})
    other = msgpack.packb({"a": 7.0, "b": 8.0})
    wrong = msgpack.packb({"a": 7.0, "c": 8.0})
    buf = datum + other + wrong
    n = len(datum)
    mask = bytes(0 if 4 <= i < 12 or 15 <= i < 23 else 0xFF for i in range(n))  # the floats
    same, values = gather([buf], i64(0, 0, 0), i64(0, n, 2 * n), i64(2, 1, 0), datum, mask,
                          i64(4, 8, 15, 8))  # fmt: skip
    assert same == b"\x00\x01\x01"
    assert np.frombuffer(values).tolist() == [7.0, 1.5, 8.0, -2.25]  # slot by slot
    f32 = msgpack.packb(0.5, use_single_float=True)
    same, values = gather([f32], i64(0), i64(0), i64(0), f32, b"\xff\0\0\0\0", i64(1, 4))
    assert same == b"\x01" and np.frombuffer(values).tolist() == [0.5]


@pytest.mark.parametrize(
    "change, error",
    [
        ({"rows": i64(3)}, IndexError),
        ({"rows": i64(-1)}, IndexError),
        ({"buf_id": i64(1, 0)}, IndexError),
        ({"offsets": i64(0, 100)}, IndexError),
        ({"offsets": i64(0)}, ValueError),
        ({"mask": b"\xff"}, ValueError),
        ({"slots": i64(0, 2)}, ValueError),
        ({"slots": i64(7, 8)}, ValueError),
        ({"slots": i64(0)}, ValueError),
        ({"rows": np.array([0], dtype=np.int32)}, TypeError),
        ({"buffers": [object()]}, TypeError),
    ],
)
def test_gather_slots_rejects_bad_input(change: dict[str, Any], error: type) -> None:
    datum = msgpack.packb(1.5)
    args = {
        "buffers": [datum * 2],
        "buf_id": i64(0, 0),
        "offsets": i64(0, 9),
        "rows": i64(0, 1),
        "template": datum,
        "mask": b"\xff" + bytes(8),
        "slots": i64(1, 8),
    }
    args.update(change)
    with pytest.raises(error):
        gather(*args.values())


def test_gather_slots_writes_into_columns() -> None:
    datum = msgpack.packb({"a": 1.5, "b": -2.25})
    other = msgpack.packb({"a": 7.0, "c": 8.0})  # another key: no match
    third = msgpack.packb({"a": 0.0, "b": 1e-300})
    buf = datum + other + third
    n = len(datum)
    mask = bytes(0 if 4 <= i < 12 or 15 <= i < 23 else 0xFF for i in range(n))
    a, b = np.full(5, np.nan), np.full(5, np.nan)
    pa, pb = np.zeros(5, dtype=bool), np.zeros(5, dtype=bool)
    same, values = gather([buf], i64(0, 0, 0), i64(0, n, 2 * n), i64(0, 1, 2), datum, mask,
                          i64(4, 8, 15, 8), [(a, pa), (b, pb)], i64(4, 0, 1))  # fmt: skip
    assert same == b"\x01\x00\x01" and values == b""
    assert a[4] == 1.5 and a[1] == 0.0 and b[4] == -2.25 and b[1] == 1e-300
    assert np.isnan(a[[0, 2, 3]]).all() and pa.tolist() == pb.tolist() == [0, 1, 0, 0, 1]


@pytest.mark.parametrize(
    "columns, target, error",
    [
        ([(np.zeros(3), np.zeros(3, bool))], i64(0, 3), IndexError),
        ([(np.zeros(3), np.zeros(3, bool))], i64(0, -1), IndexError),
        ([(np.zeros(3), np.zeros(3, bool))], i64(0), ValueError),
        ([(np.zeros(3), np.zeros(3, bool))], None, TypeError),
        ([(np.zeros(3), np.zeros(2, bool))], i64(0, 1), TypeError),
        ([(np.zeros(3, np.float32), np.zeros(3, bool))], i64(0, 1), TypeError),
        ([(np.zeros(3), np.zeros(3))], i64(0, 1), TypeError),
        ([(np.zeros(6)[::2], np.zeros(3, bool))], i64(0, 1), (TypeError, BufferError, ValueError)),
        ([np.zeros(3)], i64(0, 1), TypeError),
        ([], i64(0, 1), ValueError),
    ],
)
def test_gather_slots_rejects_bad_columns(columns: Any, target: Any, error: Any) -> None:
    datum = msgpack.packb(1.5)
    frozen = np.zeros(3)
    frozen.flags.writeable = False
    with pytest.raises(error):
        gather([datum * 2], i64(0, 0), i64(0, 9), i64(0, 1), datum, b"\xff" + bytes(8),
               i64(1, 8), columns, target)  # fmt: skip
    with pytest.raises((TypeError, BufferError, ValueError)):
        gather([datum * 2], i64(0, 0), i64(0, 9), i64(0, 1), datum, b"\xff" + bytes(8),
               i64(1, 8), [(frozen, np.zeros(3, bool))], i64(0, 1))  # fmt: skip


def float_to_int_plan(layout: Any) -> Any:
    a = layout.get(("a",))
    if a is None or a.kind not in ("f64", "f32"):
        return None
    return {"a": ("slot", a), "c": ("slot", a)}  # "c" is an int64 column: cast, not in place


def test_slots_into_columns_the_kernel_cannot_write(monkeypatch: pytest.MonkeyPatch) -> None:
    payloads = [msgpack.packb({"a": float(i) / 4, "id": 1}) for i in range(300)]
    payloads += [msgpack.packb({"a": float(i)}, use_single_float=True) for i in range(300)]
    cols = both(payloads, float_to_int_plan, DTYPES, FILL, monkeypatch)
    assert cols.values["c"].tolist() == [i // 4 for i in range(300)] + list(range(300))
