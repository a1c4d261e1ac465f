"""The compiled record framing (``gazeport._csvfast.frame_records``) against the pure
:func:`gazeport.formats.pldata._frame_pure`, which is its specification: the same records, the
same stop offset and the same status on valid, cut and damaged blocks."""

from __future__ import annotations

import random
from pathlib import Path

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fixtures import recording

from gazeport import _native
from gazeport.formats import pldata

pytestmark = pytest.mark.skipif(
    not _native.compiled(), reason=f"compiled framing: {_native.describe()}"
)

FIELDS = ("topic_off", "topic_len", "payload_off", "payload_len")


def compiled_frame(buf: bytes) -> pldata._Framed:
    fast = _native.csvfast
    assert fast is not None
    table, stop, status = fast.frame_records(buf)
    cols = np.frombuffer(table, dtype=np.int64).reshape(4, -1)
    return pldata._Framed(cols[0], cols[1], cols[2], cols[3], stop, status)


def assert_same(buf: bytes) -> pldata._Framed:
    fast, pure = compiled_frame(buf), pldata._frame_pure(buf)
    assert (fast.stop, fast.status) == (pure.stop, pure.status)
    assert isinstance(fast.stop, int)
    for name in FIELDS:
        assert np.array_equal(getattr(fast, name), getattr(pure, name)), name
    via_dispatch = pldata._frame(buf)
    assert (via_dispatch.stop, len(via_dispatch)) == (pure.stop, len(pure))
    return pure


def record(topic: str, payload: bytes) -> bytes:
    return msgpack.packb((topic, payload), use_bin_type=True)


# Header sizes: fixstr (< 32), str8 (< 256), str16 (< 65536), str32; bin8, bin16, bin32.
TOPIC_LENGTHS = [0, 5, 31, 32, 255, 256, 65535, 65536]
PAYLOAD_LENGTHS = [0, 1, 255, 256, 65535, 65536]


def test_every_str_and_bin_header_width() -> None:
    blobs = []
    for t in TOPIC_LENGTHS:
        for p in PAYLOAD_LENGTHS:
            blobs.append(record("t" * t, bytes([0x92]) * p))  # 0x92 everywhere in payloads
    buf = b"".join(blobs)
    framed = assert_same(buf)
    assert framed.status == "end" and framed.stop == len(buf)
    assert len(framed) == len(blobs)
    assert framed.topic_len.tolist() == [t for t in TOPIC_LENGTHS for _ in PAYLOAD_LENGTHS]
    assert framed.payload_len.tolist() == PAYLOAD_LENGTHS * len(TOPIC_LENGTHS)


def test_headers_msgpack_would_not_choose_are_read_too() -> None:
    """str8 for a short topic, bin32 for a short payload: valid msgpack, framed all the same."""
    buf = b"\x92\xd9\x03abc\xc6\x00\x00\x00\x02\x92\x92" + b"\x92\xdb\x00\x00\x00\x01x\xc5\x00\x01Z"
    framed = assert_same(buf)
    assert framed.status == "end" and len(framed) == 2


def test_every_cut_of_a_block() -> None:
    blobs = [record(f"pupil.{i}", bytes([0x92, i]) * (i * 40)) for i in range(12)]
    blobs.append(record("s" * 300, b"\x92" * 70000))
    buf = b"".join(blobs)
    for cut in range(len(buf) + 1):
        if cut > 3000 and cut % 97:  # every cut of the small records, a sample of the big one
            continue
        assert_same(buf[:cut])


def test_tiny_and_foreign_blocks() -> None:
    for buf in [b"", b"\x92", b"\x00", b"\x00\x92", b"\x92\x00", b"\x92\xa0", b"\x92\xa0\xc4",
                b"\x92\xa0\xc4\x00", b"\x92\xa0\xc4\x00\x00", b"\x93\xa0\xc4\x00",
                b"\x92\xc0\xc4\x00", b"\x92\xa0\xc0\x00", b"\x92\xa0\xc4\x01"]:  # fmt: skip
        assert_same(buf)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes(buf: bytes) -> None:
    assert_same(buf)
    assert_same(b"\x92" + buf)


record_lists = st.lists(
    st.tuples(
        st.sampled_from([0, 3, 31, 32, 200, 256]),
        st.binary(max_size=300),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(record_lists, st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=4),
       st.integers(0, 1 << 20))  # fmt: skip
def test_records_with_flipped_bytes_and_cuts(
    items: list[tuple[int, bytes]], flips: list[tuple[int, int]], cut: int
) -> None:
    buf = bytearray(b"".join(record("t" * t, p) for t, p in items))
    for pos, value in flips:
        buf[pos % len(buf)] = value
    data = bytes(buf)
    assert_same(data)
    assert_same(data[: cut % (len(data) + 1)])


def test_random_byte_flips_in_a_real_file() -> None:
    path = recording("core358_artemisge_003/pupil.pldata")
    buf = Path(path).read_bytes()[: 1 << 16]
    rng = random.Random(13)
    assert assert_same(buf).status in ("end", "incomplete")
    for _ in range(300):
        damaged = bytearray(buf)
        for _ in range(rng.randint(1, 3)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        assert_same(bytes(damaged))


@pytest.mark.parametrize(
    "name",
    ["core358_artemisge_003/pupil.pldata", "core358_artemisge_003/gaze.pldata",
     "core121_eyedoit_001/gaze.pldata", "core116_vedb/notify.pldata",
     "core116_vedb/odometry.pldata"],
)  # fmt: skip
def test_real_files_block_by_block(name: str) -> None:
    buf = Path(recording(name)).read_bytes()
    assert assert_same(buf).status == "end"
    offset, block = 0, 1 << 18
    while offset < len(buf):
        framed = assert_same(buf[offset : offset + block])
        if framed.stop == 0:  # a record longer than the block, as iter_records does
            assert framed.status == "incomplete"
            block *= 2
        offset += framed.stop


def test_iter_records_is_the_same_through_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = [record(f"pupil.{i % 2}.2d", bytes([0x92]) * (i % 300)) for i in range(3000)]
    path = tmp_path / "pupil.pldata"
    path.write_bytes(b"".join(blobs))

    def read() -> list[tuple[int, list[bytes], list[str]]]:
        return [
            (c.start, c.payloads.tolist(), c.topics)
            for c in pldata.iter_records(path, chunk_bytes=5000)
        ]

    compiled = read()
    monkeypatch.setattr(_native, "csvfast", None)
    assert read() == compiled
    assert sum(len(p) for _, p, _ in compiled) == 3000
