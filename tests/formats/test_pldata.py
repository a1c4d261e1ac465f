"""Reading and writing ``.pldata`` files (spec section 2) with :mod:`gazeport.formats.pldata`.

Files are built here with plain ``msgpack`` exactly as Pupil's ``PLData_Writer`` frames them, and
results are checked against a tiny decoder written in this module.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest

from gazeport.errors import CorruptFileError, GazeportError, GazeportWarning
from gazeport.formats.pldata import (
    PldataWriter,
    RecordChunk,
    decode_datum,
    encode_datum,
    iter_records,
    load_timestamps,
    read_datums,
    timestamps_path,
)

# --- building files and the oracle ------------------------------------------------------------


def record(topic: str, datum: Any) -> bytes:
    """One framed record, packed like Player's ``append_serialized``."""
    return msgpack.packb((topic, msgpack.packb(datum, use_bin_type=True)), use_bin_type=True)


def pupil_like(i: int) -> dict[str, Any]:
    return {
        "id": i % 2,
        "topic": f"pupil.{i % 2}.2d",
        "method": "2d c++",
        "norm_pos": (0.5 + i * 1e-4, 0.25),
        "diameter": 40.0 + i,
        "confidence": 0.9,
        "timestamp": 100.0 + i / 200,
        "ellipse": {"center": (96.0, 80.5), "axes": (30.1, 28.2), "angle": -12.5},
        "note": "x" * (i % 37),  # records of varying length
    }


def records_for(datums: list[dict[str, Any]]) -> list[bytes]:
    return [record(d["topic"], d) for d in datums]


def oracle_read(path: Path) -> tuple[list[str], list[bytes]]:
    topics, payloads = [], []
    with path.open("rb") as fh:
        for topic, payload in msgpack.Unpacker(fh, raw=False, use_list=False):
            topics.append(topic)
            payloads.append(payload)
    return topics, payloads


def flatten(chunks: list[RecordChunk]) -> tuple[list[str], list[bytes]]:
    topics: list[str] = []
    payloads: list[bytes] = []
    for chunk in chunks:
        assert chunk.start == len(payloads)  # start indices are continuous
        assert len(chunk) == len(chunk.payloads) == len(chunk.topics)
        topics += chunk.topics
        payloads += chunk.payloads
    return topics, payloads


def write(path: Path, blobs: list[bytes]) -> Path:
    path.write_bytes(b"".join(blobs))
    return path


# --- iter_records -----------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_bytes", [1, 300, 5000, 2 << 20])
def test_iter_records_chunks_cover_every_record_in_order(tmp_path: Path, chunk_bytes: int) -> None:
    datums = [pupil_like(i) for i in range(1500)]
    path = write(tmp_path / "pupil.pldata", records_for(datums))
    chunks = list(iter_records(path, chunk_bytes=chunk_bytes))
    assert all(isinstance(c, RecordChunk) and len(c) > 0 for c in chunks)
    assert flatten(chunks) == oracle_read(path)
    assert [decode_datum(p) for p in flatten(chunks)[1]] == datums
    if chunk_bytes <= 300:
        assert len(chunks) > 5  # small chunk sizes really split the file


def test_iter_records_empty_file_yields_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "gaze.pldata", [])
    assert list(iter_records(path)) == []


def test_iter_records_missing_file_yields_nothing(tmp_path: Path) -> None:
    assert list(iter_records(tmp_path / "nope.pldata")) == []


def test_iter_records_single_record(tmp_path: Path) -> None:
    path = write(tmp_path / "notify.pldata", [record("notify.a", {"subject": "a"})])
    (chunk,) = iter_records(path)
    assert chunk.start == 0
    assert chunk.topics == ["notify.a"]
    assert decode_datum(chunk.payloads[0]) == {"subject": "a"}


@pytest.mark.parametrize("n_before", [0, 3, 600], ids=["first", "small", "after-a-full-chunk"])
@pytest.mark.parametrize("keep", [1, 2, 17, -1], ids=["1-byte", "2-bytes", "17-bytes", "all-but-1"])
def test_truncated_final_record_warns_and_keeps_earlier_records(
    tmp_path: Path, n_before: int, keep: int
) -> None:
    blobs = records_for([pupil_like(i) for i in range(n_before + 1)])
    offset = sum(map(len, blobs[:-1]))
    last = blobs[-1][:keep]
    path = write(tmp_path / "pupil.pldata", [*blobs[:-1], last])
    with pytest.warns(GazeportWarning, match=rf"\b{offset}\b") as caught:
        chunks = list(iter_records(path, chunk_bytes=4096))
    assert len(caught) == 1
    assert str(path) in str(caught[0].message)
    topics, payloads = flatten(chunks)
    assert payloads == [msgpack.unpackb(b)[1] for b in blobs[:-1]]
    assert topics == [f"pupil.{i % 2}.2d" for i in range(n_before)]


def test_every_cut_of_the_last_record_is_a_truncation(tmp_path: Path) -> None:
    blobs = records_for([pupil_like(i) for i in range(4)])
    offset = sum(map(len, blobs[:-1]))
    for keep in range(1, len(blobs[-1])):
        path = write(tmp_path / "cut.pldata", [*blobs[:-1], blobs[-1][:keep]])
        with pytest.warns(GazeportWarning, match=rf"\b{offset}\b"):
            _, payloads = flatten(list(iter_records(path)))
        assert len(payloads) == 3, keep


GARBAGE = [
    pytest.param(b"\xc1", id="never-used-byte"),
    pytest.param(b"\xc1\xc1\xc1\x00\xff", id="junk-run"),
    pytest.param(b"\x01\x02", id="valid-ints-not-records"),
    pytest.param(b"\x93", id="array-header-swallowing-records"),
    pytest.param(b"\xdd\xff\xff\xff\xff", id="huge-array-header"),
    pytest.param(b"\xc6\x00\x10\x00\x00", id="bin-longer-than-the-rest"),
    pytest.param(b"\x00" * 64, id="zeroed-block"),
]


@pytest.mark.parametrize("garbage", GARBAGE)
@pytest.mark.parametrize("n_before", [0, 5, 700], ids=["at-start", "small", "after-a-chunk"])
def test_damage_in_the_middle_raises_with_offset(
    tmp_path: Path, garbage: bytes, n_before: int
) -> None:
    before = records_for([pupil_like(i) for i in range(n_before)])
    after = records_for([pupil_like(i) for i in range(n_before, n_before + 5)])
    offset = sum(map(len, before))
    path = write(tmp_path / "pupil.pldata", [*before, garbage, *after])
    seen: list[RecordChunk] = []
    with pytest.raises(CorruptFileError) as info:
        for chunk in iter_records(path, chunk_bytes=4096):
            seen.append(chunk)
    err = info.value
    assert err.offset == offset
    assert err.path == path
    assert str(path) in str(err)
    assert str(offset) in str(err)
    assert isinstance(err, GazeportError)
    assert isinstance(err, ValueError)
    # Whatever was yielded before the error is a correct prefix of the file.
    _, payloads = flatten(seen)
    assert payloads == [msgpack.unpackb(b)[1] for b in before[: len(payloads)]]


NOT_PAIRS = [
    pytest.param(msgpack.packb(("topic", "a str payload")), id="str-payload"),
    pytest.param(msgpack.packb((1, b"\x80"), use_bin_type=True), id="int-topic"),
    pytest.param(msgpack.packb(("t", b"\x80", 3), use_bin_type=True), id="triple"),
    pytest.param(msgpack.packb(("t",), use_bin_type=True), id="single"),
    pytest.param(msgpack.packb({"t": b"\x80"}, use_bin_type=True), id="map"),
    pytest.param(msgpack.packb(7), id="int"),
]


@pytest.mark.parametrize("bad", NOT_PAIRS)
@pytest.mark.parametrize("where", ["middle", "end"])
def test_record_that_is_not_a_topic_payload_pair(tmp_path: Path, bad: bytes, where: str) -> None:
    before = records_for([pupil_like(i) for i in range(3)])
    after = records_for([pupil_like(9)]) if where == "middle" else []
    offset = sum(map(len, before))
    path = write(tmp_path / "pupil.pldata", [*before, bad, *after])
    with pytest.raises(CorruptFileError) as info:
        list(iter_records(path))
    assert info.value.offset == offset
    assert str(offset) in str(info.value)


def test_not_a_pair_inside_a_full_chunk_is_found(tmp_path: Path) -> None:
    # Far from the end of the file, inside what would be one fast chunk.
    blobs = records_for([pupil_like(i) for i in range(2000)])
    bad = msgpack.packb(("topic", "a str payload"))
    offset = sum(map(len, blobs[:100]))
    path = write(tmp_path / "pupil.pldata", [*blobs[:100], bad, *blobs[100:]])
    with pytest.raises(CorruptFileError) as info:
        list(iter_records(path))
    assert info.value.offset == offset


# --- decode_datum / encode_datum ----------------------------------------------------------------


def test_decode_datum_nested_ext13_recursively_with_tuples() -> None:
    inner_most = msgpack.packb({"y": [3, 4]}, use_bin_type=True)
    inner = msgpack.packb(
        {"x": [1.0, 2.0], "inner": msgpack.ExtType(13, inner_most)}, use_bin_type=True
    )
    outer = msgpack.packb(
        {
            "base_data": [msgpack.ExtType(13, inner), msgpack.ExtType(13, inner)],
            "other": msgpack.ExtType(5, b"ab"),
            1: "int key",
            "raw": b"\x00\x01",
        },
        use_bin_type=True,
    )
    got = decode_datum(outer)
    expected_inner = {"x": (1.0, 2.0), "inner": {"y": (3, 4)}}
    assert got == {
        "base_data": (expected_inner, expected_inner),
        "other": msgpack.ExtType(5, b"ab"),
        1: "int key",
        "raw": b"\x00\x01",
    }
    assert type(got["base_data"]) is tuple
    assert type(got["base_data"][0]["x"]) is tuple
    assert type(got["base_data"][0]["inner"]["y"]) is tuple
    assert type(got["raw"]) is bytes


def test_encode_datum_is_players_packing() -> None:
    datum = {"topic": "annotation", "timestamp": 1.5, "label": "go", "raw": b"\x01", "n": [1, 2]}
    assert encode_datum(datum) == msgpack.packb(datum, use_bin_type=True)


def test_encode_datum_converts_numpy_values() -> None:
    datum = {
        "topic": "t",
        "timestamp": np.float64(1.5),
        "arr": np.array([1.0, 2.5]),
        "grid": np.arange(4, dtype=np.int32).reshape(2, 2),
        "i": np.int64(-3),
        "u": np.uint8(200),
        "f32": np.float32(0.5),
        "flag": np.bool_(True),
    }
    assert decode_datum(encode_datum(datum)) == {
        "topic": "t",
        "timestamp": 1.5,
        "arr": (1.0, 2.5),
        "grid": ((0, 1), (2, 3)),
        "i": -3,
        "u": 200,
        "f32": 0.5,
        "flag": True,
    }


def test_encode_datum_rejects_unknown_objects() -> None:
    with pytest.raises(TypeError, match="object"):
        encode_datum({"topic": "t", "timestamp": 0.0, "bad": object()})


# --- load_timestamps --------------------------------------------------------------------------


def test_timestamps_path() -> None:
    assert timestamps_path(Path("/r/gaze.pldata")) == Path("/r/gaze_timestamps.npy")


def test_load_timestamps_missing_is_none(tmp_path: Path) -> None:
    assert load_timestamps(tmp_path / "pupil_timestamps.npy") is None


@pytest.mark.parametrize(
    "array",
    [
        pytest.param(np.array([1.5, 2.25, -3.0]), id="float64"),
        pytest.param(np.array([1.5, 2.25, -3.0], dtype=">f8"), id="big-endian"),
        pytest.param(np.array([0.5, 1.5], dtype=np.float32), id="float32"),
        pytest.param(np.array([], dtype=np.float64), id="empty"),
        pytest.param(np.arange(10.0)[::2], id="strided"),
    ],
)
def test_load_timestamps_reads_numbers_as_float64(tmp_path: Path, array: np.ndarray) -> None:
    path = tmp_path / "pupil_timestamps.npy"
    np.save(path, array)
    got = load_timestamps(path)
    assert got is not None
    assert got.dtype == np.dtype("<f8") or got.dtype == np.dtype("=f8")
    assert got.flags.c_contiguous
    assert got.tolist() == [float(v) for v in array.tolist()]


@pytest.mark.parametrize(
    "array",
    [
        pytest.param(np.zeros((3, 2)), id="2-d"),
        pytest.param(np.float64(3.0), id="0-d"),
        pytest.param(np.array(["1.0", "2.0"]), id="strings"),
        pytest.param(np.array([True, False]), id="bools"),
        pytest.param(np.zeros(2, dtype=[("a", "<f8")]), id="structured"),
        pytest.param(np.array([1, 2, 3], dtype=np.int64), id="int64"),
    ],
)
def test_load_timestamps_rejects_wrong_arrays(tmp_path: Path, array: np.ndarray) -> None:
    path = tmp_path / "gaze_timestamps.npy"
    np.save(path, array)
    with pytest.raises(CorruptFileError) as info:
        load_timestamps(path)
    assert info.value.path == path
    assert str(path) in str(info.value)


def test_load_timestamps_rejects_complex_arrays(tmp_path: Path) -> None:
    path = tmp_path / "gaze_timestamps.npy"
    np.save(path, np.array([1.0 + 2.0j]))
    with pytest.raises(CorruptFileError):
        load_timestamps(path)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty-file"),
        pytest.param(b"not a numpy file at all", id="text"),
        pytest.param(b"\x93NUMPY\x01\x00", id="truncated-header"),
    ],
)
def test_load_timestamps_garbage_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "world_timestamps.npy"
    path.write_bytes(content)
    with pytest.raises(CorruptFileError) as info:
        load_timestamps(path)
    assert info.value.path == path


def test_load_timestamps_refuses_pickled_objects(tmp_path: Path) -> None:
    path = tmp_path / "world_timestamps.npy"
    np.save(path, np.array([1.0, "x"], dtype=object), allow_pickle=True)
    with pytest.raises(CorruptFileError):
        load_timestamps(path)


# --- PldataWriter -----------------------------------------------------------------------------


def annotation(i: int) -> dict[str, Any]:
    return {"topic": "annotation", "timestamp": 10.0 + i / 3, "label": f"l{i}", "duration": 0.0}


def test_writer_round_trip_is_byte_identical_to_player(tmp_path: Path) -> None:
    datums = [annotation(i) for i in range(5)]
    datums.append({"topic": "fixations", "timestamp": 9.0, "base_data": [[1.0, "x"]]})
    with PldataWriter(tmp_path, "annotation_player") as w:
        for d in datums:
            w.append(d)
    path = tmp_path / "annotation_player.pldata"
    assert w.path == path
    assert path.read_bytes() == b"".join(records_for(datums))
    ts = np.load(tmp_path / "annotation_player_timestamps.npy")
    assert ts.dtype == np.float64
    assert ts.tolist() == [d["timestamp"] for d in datums]  # not sorted: append order
    topics, payloads = oracle_read(path)
    assert topics == [d["topic"] for d in datums]
    assert [msgpack.unpackb(p, raw=False) for p in payloads] == datums
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "annotation_player.pldata",
        "annotation_player_timestamps.npy",
    ]


def test_writer_append_serialized(tmp_path: Path) -> None:
    payload = msgpack.packb({"topic": "x", "timestamp": 2.0}, use_bin_type=True)
    with PldataWriter(tmp_path, "x") as w:
        w.append_serialized(2.0, "x", payload)
    assert (tmp_path / "x.pldata").read_bytes() == msgpack.packb(("x", payload), use_bin_type=True)


def test_writer_files_appear_only_after_close(tmp_path: Path) -> None:
    folder = tmp_path / "offline_data"
    w = PldataWriter(folder, "annotation_player")
    w.append(annotation(0))
    names = {p.name for p in folder.iterdir()}
    assert "annotation_player.pldata" not in names
    assert "annotation_player_timestamps.npy" not in names
    w.close()
    assert {p.name for p in folder.iterdir()} == {
        "annotation_player.pldata",
        "annotation_player_timestamps.npy",
    }
    w.close()  # a second close is harmless
    with pytest.raises(ValueError, match="closed"):
        w.append(annotation(1))


def test_writer_exception_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "offline_data"
    with pytest.raises(RuntimeError, match="boom"), PldataWriter(folder, "annotation_player") as w:
        w.append(annotation(0))
        raise RuntimeError("boom")
    assert list(folder.iterdir()) == []


def test_writer_exception_keeps_an_existing_file(tmp_path: Path) -> None:
    with PldataWriter(tmp_path, "a") as w:
        w.append(annotation(0))
    before = (tmp_path / "a.pldata").read_bytes(), (tmp_path / "a_timestamps.npy").read_bytes()
    with pytest.raises(KeyError), PldataWriter(tmp_path, "a") as w:
        w.append(annotation(1))
        w.append({"topic": "no timestamp"})
    after = (tmp_path / "a.pldata").read_bytes(), (tmp_path / "a_timestamps.npy").read_bytes()
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pldata", "a_timestamps.npy"]


def test_writer_abort_removes_the_temporary_file(tmp_path: Path) -> None:
    w = PldataWriter(tmp_path, "a")
    w.append(annotation(0))
    w.abort()
    assert list(tmp_path.iterdir()) == []


def test_writer_without_records_writes_empty_files(tmp_path: Path) -> None:
    with PldataWriter(tmp_path, "gaze"):
        pass
    assert (tmp_path / "gaze.pldata").read_bytes() == b""
    ts = np.load(tmp_path / "gaze_timestamps.npy")
    assert ts.dtype == np.float64
    assert ts.shape == (0,)
    assert list(iter_records(tmp_path / "gaze.pldata")) == []


def test_writer_encodes_numpy_values(tmp_path: Path) -> None:
    datum = {
        "topic": "pupil.0.2d",
        "timestamp": np.float64(3.25),
        "norm_pos": np.array([0.5, 0.25]),
        "id": np.int64(0),
        "confidence": np.float32(0.75),
    }
    with PldataWriter(tmp_path, "pupil") as w:
        w.append(datum)
    (chunk,) = iter_records(tmp_path / "pupil.pldata")
    assert decode_datum(chunk.payloads[0]) == {
        "topic": "pupil.0.2d",
        "timestamp": 3.25,
        "norm_pos": (0.5, 0.25),
        "id": 0,
        "confidence": 0.75,
    }
    assert np.load(tmp_path / "pupil_timestamps.npy").tolist() == [3.25]


def test_writer_output_is_read_back_by_iter_records(tmp_path: Path) -> None:
    datums = [pupil_like(i) for i in range(1000)]
    with PldataWriter(tmp_path, "pupil") as w:
        for d in datums:
            w.append(d)
    topics, payloads = flatten(list(iter_records(tmp_path / "pupil.pldata", chunk_bytes=1000)))
    assert topics == [d["topic"] for d in datums]
    assert [decode_datum(p) for p in payloads] == datums


def test_writer_files_get_the_usual_permissions(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    with plain.open("wb"):
        pass
    expected = stat.S_IMODE(os.stat(plain).st_mode)
    with PldataWriter(tmp_path, "annotation_player") as w:
        w.append(annotation(0))
    for name in ("annotation_player.pldata", "annotation_player_timestamps.npy"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == expected, name


def test_read_datums_decodes_every_datum_or_names_the_damaged_one(tmp_path: Path) -> None:
    assert read_datums(tmp_path / "missing.pldata") == []
    path = tmp_path / "notes.pldata"
    with PldataWriter(tmp_path, "notes") as writer:
        for i in range(3):
            writer.append({"topic": "note", "timestamp": float(i), "n": i})
    assert [d["n"] for d in read_datums(path)] == [0, 1, 2]
    records = [("note", msgpack.packb({"n": 0})), ("note", msgpack.packb([1, 2]))]
    path.write_bytes(b"".join(msgpack.packb(r) for r in records))
    with pytest.raises(CorruptFileError, match=r"Datum 1 in .*notes.pldata is not a map"):
        read_datums(path)
    path.write_bytes(msgpack.packb(("note", b"\xc1\xc1")))
    with pytest.raises(CorruptFileError, match=r"Datum 0 in .*notes.pldata is damaged"):
        read_datums(path)


# --- framing: dropping noise candidates early changes nothing ------------------------------------


def _framing(buf: bytes) -> tuple[Any, ...]:
    from gazeport.formats import pldata

    f = pldata._frame_pure(buf)  # the NumPy path (the compiled one is tested against it)
    arrays = (f.topic_off, f.topic_len, f.payload_off, f.payload_len)
    return (*(a.tolist() for a in arrays), f.stop, f.status)


def _records_blob(rng: np.random.Generator, n: int) -> bytes:
    out = b""
    for _ in range(n):
        datum = {"timestamp": float(rng.normal()), "v": rng.normal(size=int(rng.integers(0, 40)))}
        topic = "gaze.3d.01." if rng.random() < 0.5 else "t" * int(rng.integers(0, 300))
        out += msgpack.packb((topic, encode_datum(datum)), use_bin_type=True)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_frame_with_and_without_dropping_noise_candidates(seed: int) -> None:
    # Records full of 0x92-rich floats, cut at random places and with random bytes spliced in:
    # the framing must equal the one that looks at every 0x92 candidate.
    from gazeport.formats import pldata

    rng = np.random.default_rng(seed)
    blob = _records_blob(rng, 30)
    noise = bytes(rng.choice([0x92, 0xA3, 0xC4, 0xC5, 0xD9, 0x00, 0xFF], size=40).tolist())
    at = int(rng.integers(0, len(blob)))
    cases = [blob, blob[: int(rng.integers(1, len(blob)))], blob[:at] + noise + blob[at:]]
    cases.append(bytes(rng.integers(0, 256, size=2000, dtype=np.uint8).tolist()))
    cases.append(b"\x92" + bytes(rng.choice([0x92, 0xC4, 0xA1], size=200).tolist()))
    for buf in cases:
        fast = _framing(buf)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(pldata, "_maybe_records", lambda pad, c, n: np.ones(c.shape, bool))
            every = _framing(buf)
        assert fast == every


def _walk(link: list[int]) -> list[int]:
    """The chain from candidate 0, one link at a time (the oracle)."""
    chain, i = [0], 0
    while link[i] >= 0:
        i = link[i]
        chain.append(i)
    return chain


@pytest.mark.parametrize("seed", range(60))
def test_followed_from_first_is_the_chain_of_forward_links(seed: int) -> None:
    from gazeport.formats import pldata

    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 300))
    # every candidate links forward or ends (-1 .. -4), like _frame's links
    link = [
        int(rng.integers(i + 1, size))
        if i + 1 < size and rng.random() < 0.8
        else int(rng.integers(-4, 0))
        for i in range(size)
    ]
    assert pldata._followed_from_first(np.array(link, dtype=np.int64)).tolist() == _walk(link)
