from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

import msgpack
import pytest

from gazeport.errors import CorruptFileError
from gazeport.formats.msgpack_file import (
    iter_legacy_pupil_data,
    legacy_file_name,
    legacy_topic,
    load_object,
)
from gazeport.formats.pldata import decode_datum


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pupil_datum(i: int, eye: int) -> dict[str, Any]:
    return {
        "topic": "pupil",
        "id": eye,
        "timestamp": 100.0 + i / 120,
        "confidence": 0.9,
        "norm_pos": [0.5, 0.25 + i * 1e-3],
        "ellipse": {"center": [96.0, 80.5], "axes": [30.1, 28.2], "angle": -12.5},
        "method": "3d c++",
    }


def gaze_datum(i: int) -> dict[str, Any]:
    return {
        "topic": "gaze",
        "timestamp": 100.0 + i / 60,
        "confidence": 0.8,
        "norm_pos": [0.4, 0.6],
        "base_data": [pupil_datum(i, 0), pupil_datum(i, 1)],
    }


def legacy_content(n: int = 5) -> dict[str, list[dict[str, Any]]]:
    return {
        "pupil_positions": [pupil_datum(i, i % 2) for i in range(n)],
        "gaze_positions": [gaze_datum(i) for i in range(n)],
        "notifications": [
            {"subject": "recording.started", "timestamp": 99.0, "topic": "notify"},
            {"subject": "annotation", "label": "go", "timestamp": 100.5, "duration": 0.0},
        ],
        "blinks": [],
        "fixations": [{"topic": "fixation", "timestamp": 100.1, "id": 0, "duration": 220.0}],
        "surface_gaze_distribution": [{"name": "screen", "timestamp": 100.2, "topic": "x"}],
    }


def write_legacy(path: Path, content: dict[str, Any], **pack_kwargs: Any) -> bytes:
    data = msgpack.packb(content, **pack_kwargs)
    path.write_bytes(data)
    return data


# --- load_object ---------------------------------------------------------------------------


def test_load_object_keeps_lists_and_non_str_keys(tmp_path: Path) -> None:
    path = tmp_path / "thing.meta"
    obj = {"version": 2, "config": {"a": [1, 2, [3.5, "x"]]}, 7: "int key", "b": b"\x00\x01"}
    path.write_bytes(msgpack.packb(obj, use_bin_type=True))
    before = sha(path)
    assert load_object(path) == obj
    assert isinstance(load_object(path)["config"]["a"], list)
    assert sha(path) == before


def test_load_object_reads_world_fake(tmp_path: Path) -> None:
    path = tmp_path / "world.fake"
    path.write_bytes(msgpack.packb({"version": 2}, use_bin_type=True))
    assert load_object(path) == {"version": 2}


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(pickle.dumps({"a": 1}, protocol=2), id="pickle"),
        pytest.param(b"\xc1\xc1\xc1", id="reserved-byte"),
        pytest.param(b"\x82\xa1a", id="truncated"),
        pytest.param(b"", id="empty"),
    ],
)
def test_load_object_corrupt_names_file_and_pickle(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "surface_definitions"
    path.write_bytes(payload)
    with pytest.raises(CorruptFileError, match=r"0\.9\.4") as info:
        load_object(path)
    assert str(path) in str(info.value)
    assert info.value.path == path


def test_load_object_extra_bytes_report_offset(tmp_path: Path) -> None:
    path = tmp_path / "x.intrinsics"
    first = msgpack.packb({"version": 1})
    path.write_bytes(first + b"\x01\x02")
    with pytest.raises(CorruptFileError, match="extra bytes") as info:
        load_object(path)
    assert info.value.offset == len(first)


def test_load_object_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_object(tmp_path / "nope")


# --- legacy pupil_data ---------------------------------------------------------------------


def test_legacy_items_are_exact_file_bytes_in_order(tmp_path: Path) -> None:
    path = tmp_path / "pupil_data"
    content = legacy_content()
    data = write_legacy(path, content, use_bin_type=True)
    before = sha(path)

    items = list(iter_legacy_pupil_data(path))

    expected = [(k, d) for k, values in content.items() for d in values]
    assert [k for k, _ in items] == [k for k, _ in expected]
    pos = 0
    for (key, raw), (_, datum) in zip(items, expected, strict=True):
        assert raw == msgpack.packb(datum, use_bin_type=True)
        found = data.find(raw, pos)
        assert found >= pos
        pos = found + len(raw)
        decoded = decode_datum(raw)
        assert decoded["timestamp"] == datum["timestamp"]
        if key == "gaze_positions":
            assert decoded["base_data"][1]["ellipse"]["axes"] == (30.1, 28.2)
    assert sha(path) == before


def test_legacy_old_raw_strings_and_ext13(tmp_path: Path) -> None:
    path = tmp_path / "pupil_data"
    nested = msgpack.packb({"topic": "pupil.0", "timestamp": 1.0}, use_bin_type=True)
    datum = {"topic": "fixation", "timestamp": 1.5, "base_data": [msgpack.ExtType(13, nested)]}
    content = {"fixations": [datum], "gaze_positions": [{"topic": "gaze", "timestamp": 2.0}]}
    write_legacy(path, content, use_bin_type=False)
    items = list(iter_legacy_pupil_data(path))
    assert [k for k, _ in items] == ["fixations", "gaze_positions"]
    decoded = decode_datum(items[0][1])
    assert decoded["base_data"][0] == {"topic": "pupil.0", "timestamp": 1.0}
    assert decode_datum(items[1][1]) == {"topic": "gaze", "timestamp": 2.0}


def test_legacy_large_file_crosses_read_buffers(tmp_path: Path) -> None:
    path = tmp_path / "pupil_data"
    content = {"pupil_positions": [pupil_datum(i, i % 2) for i in range(12_000)]}
    data = write_legacy(path, content, use_bin_type=True)
    assert len(data) > (1 << 20)
    total = 0
    for i, (key, raw) in enumerate(iter_legacy_pupil_data(path)):
        assert key == "pupil_positions"
        assert raw == msgpack.packb(content["pupil_positions"][i], use_bin_type=True)
        total += 1
    assert total == 12_000


def test_legacy_truncated_reports_offset_after_good_items(tmp_path: Path) -> None:
    path = tmp_path / "pupil_data"
    data = write_legacy(path, legacy_content(), use_bin_type=True)
    path.write_bytes(data[: len(data) - 20])
    seen: list[str] = []
    with pytest.raises(CorruptFileError, match="truncated") as info:
        for key, _ in iter_legacy_pupil_data(path):
            seen.append(key)
    assert str(path) in str(info.value)
    assert info.value.offset is not None and 0 < info.value.offset < len(data) - 20
    assert seen[:5] == ["pupil_positions"] * 5


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(msgpack.packb([1, 2, 3]), id="not-a-map"),
        pytest.param(msgpack.packb({"gaze_positions": 5}), id="value-not-a-list"),
        pytest.param(msgpack.packb({1: []}), id="non-text-key"),
        pytest.param(b"", id="empty"),
    ],
)
def test_legacy_malformed(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "pupil_data"
    path.write_bytes(payload)
    with pytest.raises(CorruptFileError) as info:
        list(iter_legacy_pupil_data(path))
    assert str(path) in str(info.value)
    assert info.value.offset is not None


@pytest.mark.parametrize(
    ("key", "datum", "topic"),
    [
        pytest.param("pupil_positions", {"topic": "pupil", "id": 1}, "pupil.1", id="pupil"),
        pytest.param("pupil_positions", {"id": 0}, "pupil.0", id="pupil-no-topic"),
        pytest.param("gaze_positions", {"topic": "gaze"}, "gaze", id="gaze"),
        pytest.param("gaze_positions", {"topic": "gaze.3d.01."}, "gaze.3d.01.", id="gaze-3d"),
        pytest.param("notifications", {"subject": "recording.started"}, "notify.recording.started",
                     id="notification"),
        pytest.param("blinks", {"topic": "blink"}, "blinks", id="blinks"),
        pytest.param("fixations", {"topic": "fixation"}, "fixations", id="fixations"),
        pytest.param("surface_gaze", {"topic": "x", "name": "screen"}, "surfaces.screen",
                     id="surface"),
        pytest.param("annotations", {"topic": "annotation"}, "annotation", id="other"),
    ],
)  # fmt: skip
def test_legacy_topic(key: str, datum: dict[str, Any], topic: str) -> None:
    assert legacy_topic(key, datum) == topic


def test_legacy_topic_missing_field() -> None:
    with pytest.raises(CorruptFileError, match="'subject'"):
        legacy_topic("notifications", {"timestamp": 1.0})
    with pytest.raises(CorruptFileError, match="'id'"):
        legacy_topic("pupil_positions", {"topic": "pupil"})


def test_legacy_file_name() -> None:
    assert legacy_file_name("notifications") == "notify"
    assert legacy_file_name("gaze_positions") == "gaze"
    assert legacy_file_name("pupil_positions") == "pupil"
    assert legacy_file_name("blinks") == "blinks"
