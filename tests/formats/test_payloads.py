"""Byte strings kept as slices of shared buffers (:mod:`gazeport.formats.payloads`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazeport.formats.payloads import Payloads


@settings(max_examples=60, deadline=None)
@given(
    items=st.lists(st.binary(min_size=0, max_size=12), min_size=1, max_size=20),
    pad_to=st.sampled_from([1, 3, 8]),
    split=st.booleans(),
)
def test_matrix_rows_are_the_payloads_and_padding_is_zero_unless_waived(
    items: list[bytes], pad_to: int, split: bool
) -> None:
    if split and len(items) > 1:  # payloads spread over two buffers
        half = len(items) // 2
        table = Payloads.concat(
            [Payloads.from_list(items[:half]), Payloads.from_list(items[half:])]
        )
    else:
        table = Payloads.from_list(items)
    length = len(items[-1])
    rows = np.array([i for i, b in enumerate(items) if len(b) == length], dtype=np.int64)
    width = -(-length // pad_to) * pad_to
    zero = table.matrix(rows, length, pad_to)
    any_pad = table.matrix(rows, length, pad_to, zero_padding=False)
    for m in (zero, any_pad):
        assert m.shape == (rows.shape[0], width) and m.dtype == np.uint8
        assert [bytes(r[:length]) for r in m] == [items[i] for i in rows.tolist()]
    assert not zero[:, length:].any()


@pytest.mark.parametrize("zero_padding", [True, False])
def test_matrix_padding_at_the_end_of_the_buffer(zero_padding: bool) -> None:
    # The last payload ends the buffer: its padding cannot come from the bytes after it.
    table = Payloads.from_list([b"abc", b"de", b"fgh"])
    m = table.matrix(np.array([0, 2]), 3, pad_to=8, zero_padding=zero_padding)
    assert [bytes(r[:3]) for r in m] == [b"abc", b"fgh"]
    assert m.shape == (2, 8)


parts = st.lists(st.lists(st.binary(max_size=6), max_size=5), min_size=1, max_size=4)


@settings(max_examples=200, deadline=None)
@given(parts=parts, picks=st.lists(st.integers(0, 1 << 16), max_size=12))
def test_take_keeps_the_bytes_and_only_the_buffers_in_use(
    parts: list[list[bytes]], picks: list[int]
) -> None:
    merged = Payloads.concat([Payloads.from_list(p) for p in parts])
    items = merged.tolist()
    assert items == [b for p in parts for b in p]
    idx = np.array([i % len(items) for i in picks] if items else [], dtype=np.int64)
    taken = merged.take(idx)
    assert taken.tolist() == [items[i] for i in idx.tolist()]
    used = sorted(set(merged.buf_id[idx].tolist()))
    assert taken.buffers == [merged.buffers[b] for b in used]  # in their order, none unused
    assert taken.buf_id.dtype == np.int64
    assert sorted(set(taken.buf_id.tolist())) == list(range(len(used)))
