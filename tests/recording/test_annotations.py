"""Annotations and their definitions, stored in Pupil Player's files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest
from tests import fixtures

from gazeport.errors import CorruptFileError, GazeportWarning, StreamNotFoundError
from gazeport.formats import pldata
from gazeport.recording import annotations as ann
from gazeport.recording.annotations import Annotation

REC = fixtures.RECORDINGS / "core358_artemisge_003"


# --- a tiny independent pldata oracle ------------------------------------------------------------


def write_pldata(folder: Path, name: str, datums: list[dict[str, Any]], npy: bool = True) -> None:
    with (folder / f"{name}.pldata").open("wb") as fh:
        for d in datums:
            payload = msgpack.packb(d, use_bin_type=True)
            fh.write(msgpack.packb((d["topic"], payload), use_bin_type=True))
    if npy:
        np.save(
            folder / f"{name}_timestamps.npy", np.array([d["timestamp"] for d in datums], float)
        )


def read_pldata(path: Path) -> list[tuple[str, dict[str, Any]]]:
    with path.open("rb") as fh:
        unpacker = msgpack.Unpacker(fh, raw=False, use_list=False)
        return [(t, msgpack.unpackb(p, raw=False, use_list=False)) for t, p in unpacker]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def datum(ts: float, label: str, **extra: Any) -> dict[str, Any]:
    return {"topic": "annotation", "label": label, "timestamp": ts, "duration": 0.0, **extra}


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    folder = tmp_path / "rec"
    folder.mkdir()
    return folder


@pytest.fixture(autouse=True)
def user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the real per-user config out of every test."""
    cfg = tmp_path / "user_config"
    monkeypatch.setattr(ann.platformdirs, "user_config_path", lambda app: cfg / app)
    return cfg / "gazeport"


# --- loading ----------------------------------------------------------------------------------


def test_no_files_gives_empty_list(rec: Path) -> None:
    assert ann.load_annotations(rec) == []


def test_recorded_file_is_used_when_player_file_missing(rec: Path) -> None:
    write_pldata(rec, "annotation", [datum(2.0, "b"), datum(1.0, "a", added_in_capture=True)])
    got = ann.load_annotations(rec)
    assert [(a.timestamp, a.label) for a in got] == [(1.0, "a"), (2.0, "b")]
    assert got[0].fields == {"added_in_capture": True}
    assert got[0].duration == 0.0


def test_empty_player_file_falls_back_to_recorded(rec: Path) -> None:
    write_pldata(rec, "annotation", [datum(1.0, "recorded")])
    write_pldata(rec, "annotation_player", [])
    assert (rec / "annotation_player.pldata").stat().st_size == 0
    assert [a.label for a in ann.load_annotations(rec)] == ["recorded"]


def test_non_empty_player_file_wins(rec: Path) -> None:
    write_pldata(rec, "annotation", [datum(1.0, "recorded")])
    write_pldata(rec, "annotation_player", [datum(3.0, "edited")])
    assert [a.label for a in ann.load_annotations(rec)] == ["edited"]


def test_sorted_by_sidecar_timestamps_stably(rec: Path) -> None:
    write_pldata(
        rec, "annotation", [datum(5.0, "x"), datum(1.0, "first"), datum(1.0, "second")], npy=False
    )
    # the sidecar decides the order, like Player's bisector
    np.save(rec / "annotation_timestamps.npy", np.array([0.5, 1.0, 1.0]))
    assert [a.label for a in ann.load_annotations(rec)] == ["x", "first", "second"]


def test_missing_sidecar_warns_and_uses_datum_timestamps(rec: Path) -> None:
    write_pldata(rec, "annotation", [datum(2.0, "b"), datum(1.0, "a")], npy=False)
    with pytest.warns(GazeportWarning, match="annotation_timestamps.npy"):
        got = ann.load_annotations(rec)
    assert [a.label for a in got] == ["a", "b"]


def test_sidecar_length_mismatch_is_corrupt(rec: Path) -> None:
    write_pldata(rec, "annotation", [datum(2.0, "b")], npy=False)
    np.save(rec / "annotation_timestamps.npy", np.array([1.0, 2.0]))
    with pytest.raises(CorruptFileError, match=r"annotation_timestamps\.npy"):
        ann.load_annotations(rec)


def test_corrupt_file_names_it(rec: Path) -> None:
    write_pldata(rec, "annotation_player", [datum(1.0, "a"), datum(2.0, "b")])
    data = bytearray((rec / "annotation_player.pldata").read_bytes())
    first_len = len(data) // 2
    data[first_len - 3 : first_len + 3] = b"\xc1" * 6  # damage in the middle, more follows
    (rec / "annotation_player.pldata").write_bytes(bytes(data) + bytes(data))
    with pytest.raises(CorruptFileError, match=r"annotation_player\.pldata"):
        ann.load_annotations(rec)


def test_missing_duration_stays_missing(rec: Path) -> None:
    write_pldata(rec, "annotation", [{"topic": "annotation", "label": "old", "timestamp": 1.0}])
    (a,) = ann.load_annotations(rec)
    assert a.duration is None
    assert "duration" not in a.to_datum()


# --- saving -----------------------------------------------------------------------------------

FIELDS: dict[str, Any] = {
    "an_int": -7,
    "a_float": 0.1,
    "a_bool": True,
    "a_str": "täst ✓",
    "a_none": None,
    "a_tuple": (1, 2.5, "x"),
    "nested": ((1, 2), (3, (4, 5))),
    "a_map": {"k": (1, 2)},
}


def test_round_trip_every_field_type(rec: Path) -> None:
    original = [
        Annotation(2.5, "Ünïcödé 👀", 0.25, dict(FIELDS)),
        Annotation(1.0, 'comma, "quote"\nnewline', 0.0, {}),
    ]
    path = ann.save_annotations(rec, original)
    assert path == rec / "annotation_player.pldata"
    got = ann.load_annotations(rec)
    assert got == sorted(original, key=lambda a: a.timestamp)
    # independent check of the bytes on disk
    records = read_pldata(path)
    assert [t for t, _ in records] == ["annotation", "annotation"]
    assert records[1][1] == {"topic": "annotation", "label": "Ünïcödé 👀", "timestamp": 2.5,
                             "duration": 0.25, **FIELDS}  # fmt: skip
    np.testing.assert_array_equal(np.load(rec / "annotation_player_timestamps.npy"), [1.0, 2.5])


def test_lists_come_back_as_tuples(rec: Path) -> None:
    ann.save_annotations(rec, [Annotation(1.0, "a", 0.0, {"pos": [1, [2, 3]]})])
    assert ann.load_annotations(rec)[0].fields["pos"] == (1, (2, 3))


def test_save_never_touches_recorded_file(rec: Path) -> None:
    write_pldata(rec, "annotation", [datum(1.0, "recorded")])
    before = (sha(rec / "annotation.pldata"), sha(rec / "annotation_timestamps.npy"))
    ann.add_annotation(rec, Annotation(0.5, "new"))
    ann.edit_annotation(rec, 1, label="renamed")
    ann.delete_annotation(rec, 0)
    assert (sha(rec / "annotation.pldata"), sha(rec / "annotation_timestamps.npy")) == before
    assert [a.label for a in ann.load_annotations(rec)] == ["renamed"]


def test_failed_save_leaves_previous_files_and_no_temp(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann.save_annotations(rec, [Annotation(1.0, "keep")])
    before = sorted(p.name for p in rec.iterdir())
    hashes = {p.name: sha(p) for p in rec.iterdir()}
    calls = []

    def boom(self: pldata.PldataWriter, *args: Any) -> None:
        calls.append(args)
        if len(calls) == 2:
            raise OSError("disk full")
        original(self, *args)

    original = pldata.PldataWriter.append_serialized
    monkeypatch.setattr(pldata.PldataWriter, "append_serialized", boom)
    with pytest.raises(OSError, match="disk full"):
        ann.save_annotations(rec, [Annotation(1.0, "a"), Annotation(2.0, "b")])
    assert sorted(p.name for p in rec.iterdir()) == before
    assert {p.name: sha(p) for p in rec.iterdir()} == hashes


def test_unencodable_value_changes_nothing(rec: Path) -> None:
    ann.save_annotations(rec, [Annotation(1.0, "keep")])
    hashes = {p.name: sha(p) for p in rec.iterdir()}
    with pytest.raises(ValueError, match="cannot be stored"):
        ann.save_annotations(rec, [Annotation(1.0, "bad", 0.0, {"obj": object()})])
    assert {p.name: sha(p) for p in rec.iterdir()} == hashes


def test_missing_recording_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ann.load_annotations(tmp_path / "nope")


# --- add / edit / delete ----------------------------------------------------------------------


def test_add_marks_added_in_player_and_keeps_recorded(rec: Path) -> None:
    write_pldata(rec, "annotation", [datum(1.0, "rec", added_in_capture=True)])
    got = ann.add_annotation(rec, Annotation(0.5, "new", 1.5, {"k": 1}))
    assert [(a.label, a.fields) for a in got] == [
        ("new", {"k": 1, "added_in_player": True}),
        ("rec", {"added_in_capture": True}),
    ]
    assert got[0].duration == 1.5


def test_add_rejects_bad_label(rec: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        ann.add_annotation(rec, Annotation(0.5, "  "))
    assert not (rec / "annotation_player.pldata").exists()


def test_edit_by_sorted_index(rec: Path) -> None:
    ann.save_annotations(rec, [Annotation(3.0, "c"), Annotation(1.0, "a", 0.0, {"x": 1, "y": 2})])
    got = ann.edit_annotation(
        rec, 0, label="A", duration=2.0, fields={"z": "new", "x": 10}, remove_fields=["y"]
    )
    assert got[0] == Annotation(1.0, "A", 2.0, {"x": 10, "z": "new"})
    got = ann.edit_annotation(rec, 0, timestamp=5.0)
    assert [a.label for a in got] == ["c", "A"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"fields": {"label": "x"}}, ValueError, id="reserved-field"),
        pytest.param({"remove_fields": ["nope"]}, KeyError, id="remove-missing"),
        pytest.param({"duration": -1.0}, ValueError, id="negative-duration"),
        pytest.param({"label": "a\tb"}, ValueError, id="control-char"),
    ],
)
def test_edit_rejects(rec: Path, kwargs: dict[str, Any], error: type[Exception]) -> None:
    ann.save_annotations(rec, [Annotation(1.0, "a")])
    before = sha(rec / "annotation_player.pldata")
    with pytest.raises(error):
        ann.edit_annotation(rec, 0, **kwargs)
    assert sha(rec / "annotation_player.pldata") == before


def test_index_out_of_range(rec: Path) -> None:
    ann.save_annotations(rec, [Annotation(1.0, "a"), Annotation(2.0, "b")])
    msg = r"There is no annotation number 2; there are 2 \(0 - 1\)\."
    with pytest.raises(StreamNotFoundError, match=msg):
        ann.delete_annotation(rec, 2)
    with pytest.raises(StreamNotFoundError, match="number -1"):
        ann.edit_annotation(rec, -1, label="x")


def test_delete_last_then_fallback_to_recorded(rec: Path) -> None:
    write_pldata(rec, "annotation", [datum(1.0, "rec")])
    assert ann.delete_annotation(rec, 0) == []
    # an empty player file means "use the recorded ones" for Player, and so for gazeport
    assert [a.label for a in ann.load_annotations(rec)] == ["rec"]


# --- parse_field / validate_label / timestamp_for ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n=3", ("n", 3)),
        ("n=-3", ("n", -3)),
        ("f=2.5", ("f", 2.5)),
        ("f=1e-3", ("f", 0.001)),
        ("b=TRUE", ("b", True)),
        ("b=false", ("b", False)),
        ("s=hello world", ("s", "hello world")),
        ("s=", ("s", "")),
        ("eq=a=b", ("eq", "a=b")),
        (" k =v", ("k", "v")),
    ],
)
def test_parse_field(text: str, expected: tuple[str, Any]) -> None:
    got = ann.parse_field(text)
    assert got == expected
    assert type(got[1]) is type(expected[1])


@pytest.mark.parametrize(
    "text", ["=1", "novalue", "topic=x", "label=y", "timestamp=1", "duration=2"]
)
def test_parse_field_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        ann.parse_field(text)


@pytest.mark.parametrize("label", ["", "   ", "a\nb", "x\x00"])
def test_validate_label_rejects(label: str) -> None:
    with pytest.raises(ValueError):
        ann.validate_label(label)


def test_validate_label_accepts_unicode_and_punctuation() -> None:
    assert ann.validate_label('Blick, "rechts" 👀') == 'Blick, "rechts" 👀'


def test_timestamp_for() -> None:
    t = np.array([10.0, 10.5, 11.0])
    assert ann.timestamp_for(t, frame=1) == 10.5
    assert ann.timestamp_for(t, seconds=0.25) == 10.25
    assert ann.timestamp_for(t, timestamp=3.0) == 3.0
    for kwargs in ({"frame": 3}, {"frame": -1}, {"seconds": 1.5}, {"seconds": -0.1}, {}):
        with pytest.raises(ValueError):
            ann.timestamp_for(t, **kwargs)
    with pytest.raises(ValueError, match="exactly one"):
        ann.timestamp_for(t, frame=0, seconds=0.0)


# --- definitions ------------------------------------------------------------------------------


def write_defs(rec: Path, content: Any) -> Path:
    path = rec / "offline_data" / "annotation_definitions.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_definitions_missing_gives_player_default(rec: Path) -> None:
    assert ann.load_definitions(rec) == {"My annotation": "x"}


def test_definitions_round_trip(rec: Path) -> None:
    defs = {"Start": "s", "Stopp ✓": "p"}
    path = ann.save_definitions(rec, defs)
    assert path == rec / "offline_data" / "annotation_definitions.json"
    assert json.loads(path.read_text()) == {"version": 1, "definitions": defs}
    assert path.read_text() == json.dumps({"version": 1, "definitions": defs})
    assert ann.load_definitions(rec) == defs
    assert [p.name for p in path.parent.iterdir()] == ["annotation_definitions.json"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param("{not json", "not valid JSON", id="bad-json"),
        pytest.param({"version": 2, "definitions": {}}, "version is 2", id="version"),
        pytest.param({"definitions": {"a": "b"}}, "version is unspecified", id="no-version"),
        pytest.param({"version": 1}, 'no "definitions"', id="no-definitions"),
        pytest.param({"version": 1, "definitions": ["a"]}, "not an object", id="list"),
        pytest.param({"version": 1, "definitions": {"a": 1}}, "not an object", id="int-hotkey"),
        pytest.param([1], "JSON object", id="not-object"),
    ],
)
def test_invalid_definitions_warn_and_use_defaults(rec: Path, content: Any, problem: str) -> None:
    write_defs(rec, content)
    with pytest.warns(GazeportWarning, match=f"annotation_definitions.json: .*{problem}"):
        assert ann.load_definitions(rec) == {"My annotation": "x"}


def test_per_user_defaults(rec: Path, user_config: Path) -> None:
    user_config.mkdir(parents=True)
    (user_config / "annotation_definitions.json").write_text(
        json.dumps({"version": 1, "definitions": {"Mine": "m"}})
    )
    assert ann.load_definitions(rec) == {"Mine": "m"}
    write_defs(rec, {"version": 3})
    with pytest.warns(GazeportWarning, match="version is 3"):
        assert ann.load_definitions(rec) == {"Mine": "m"}
    write_defs(rec, {"version": 1, "definitions": {"Rec": "r"}})
    assert ann.load_definitions(rec) == {"Rec": "r"}


def test_invalid_per_user_defaults_warn(rec: Path, user_config: Path) -> None:
    user_config.mkdir(parents=True)
    (user_config / "annotation_definitions.json").write_text("[]")
    with pytest.warns(GazeportWarning, match="Player's default"):
        assert ann.load_definitions(rec) == {"My annotation": "x"}


@pytest.mark.parametrize(
    ("defs", "match"),
    [
        pytest.param({"a": "k", "b": "k"}, "used by both 'a' and 'b'", id="duplicate-hotkey"),
        pytest.param({"": "k"}, "empty", id="empty-label"),
        pytest.param({"a": ""}, "needs a hotkey", id="empty-hotkey"),
        pytest.param({"a": " "}, "needs a hotkey", id="blank-hotkey"),
    ],
)
def test_save_definitions_rejects(rec: Path, defs: dict[str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ann.save_definitions(rec, defs)
    assert not (rec / "offline_data" / "annotation_definitions.json").exists()


# --- a real recording -------------------------------------------------------------------------


@pytest.fixture
def real_copy(tmp_path: Path) -> Path:
    fixtures.recording(REC.name)
    dst = tmp_path / REC.name
    shutil.copytree(REC, dst)
    for root, dirs, files in os.walk(dst):
        for name in dirs + files:
            p = Path(root) / name
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    dst.chmod(dst.stat().st_mode | stat.S_IWUSR)
    return dst


def test_real_recording_has_no_annotations() -> None:
    fixtures.recording(REC.name)
    assert ann.load_annotations(REC) == []
    assert ann.load_definitions(REC) == {"My annotation": "x"}


def test_real_recording_write_and_read_back(real_copy: Path) -> None:
    world = np.load(real_copy / "world_timestamps.npy")
    ts = ann.timestamp_for(world, frame=10)
    ann.add_annotation(real_copy, Annotation(ts, "Blick", 0.5, {"trial": 3}))
    ann.add_annotation(real_copy, Annotation(ann.timestamp_for(world, seconds=1.0), "Start"))
    got = ann.load_annotations(real_copy)
    assert [(a.timestamp, a.label) for a in got] == sorted(
        [(float(world[10]), "Blick"), (float(world[0]) + 1.0, "Start")]
    )
    ann.save_definitions(real_copy, {"Blick": "b", "Start": "s"})
    assert ann.load_definitions(real_copy) == {"Blick": "b", "Start": "s"}
    before = {p.name for p in REC.iterdir()}
    after = {p.name for p in real_copy.iterdir()}
    assert after - before == {"annotation_player.pldata", "annotation_player_timestamps.npy",
                              "offline_data", ".annotation_player.lock"}  # fmt: skip
