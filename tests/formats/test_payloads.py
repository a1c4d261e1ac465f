"""Byte strings as slices of a few buffers (:class:`gazeport.formats.payloads.Payloads`)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gazeport.formats.payloads import Payloads

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
