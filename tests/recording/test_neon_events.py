"""Neon Player's events on a Neon recording: read, write, share with Neon Player.

The fixture files are written here from the facts of Neon Player v6.0.13
(pupil-labs/neon-player@acd0ec1, ``plugins/events.py``, ``plugins/__init__.py``, ``app.py``,
``qt_property_widgets.utilities.ComplexEncoder``): ``.neon_player/cache/EventsPlugin/events.json``
is ``json.dump({uid: [ns, ...]})``; ``.neon_player/settings.json`` is ``json.dump(..., indent="\\t")``
of the recording settings, with ``plugin_states.EventsPlugin.event_types`` = ``[{"name",
"shortcut", "uid"}]``; ``recording.begin``/``recording.end`` have their name as uid.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from tests.factories import tree_hashes
from tests.neon_factories import START_NS, write_neon

import gazeport
from gazeport.errors import CorruptFileError, GazeportError, StreamNotFoundError
from gazeport.recording import neon_events as ne
from gazeport.recording.annotation_stores import NeonEvents, annotation_store

SRC = Path(__file__).resolve().parents[2] / "src"
UID_STIM = "0b9c4a43-5a8e-4c55-8d1e-6a3f1f0c2d11"
UID_FRUEH = "6f1d2c3b-9a8e-4f7d-b6c5-a4e3d2c1b0a9"
UID_MINE = "a1b2c3d4-e5f6-4789-8abc-def012345678"


def _player_files(root: Path, end_ns: int) -> None:
    """What Neon Player leaves after opening the recording and adding "button" at +2 s twice
    and "stim.on" at +4 s (its own json.dump calls, reproduced byte for byte)."""
    events = {
        "recording.begin": [START_NS],
        UID_FRUEH: [START_NS + 1_000_000_000],
        UID_STIM: [START_NS + 3_000_000_000, START_NS + 4_000_000_000],
        "recording.end": [end_ns],
        UID_MINE: [START_NS + 2_000_000_000, START_NS + 2_500_000_000],
    }
    settings = {
        "export_window": [START_NS, end_ns],
        "enabled_plugins": {"AudioPlugin": True, "EventsPlugin": True, "GazeDataPlugin": True},
        "plugin_states": {
            "GazeDataPlugin": {"offset_x": 0.0},
            "EventsPlugin": {
                "event_types": [
                    {"name": "früh", "shortcut": "", "uid": UID_FRUEH},
                    {"name": "stim.on", "shortcut": "s", "uid": UID_STIM},
                    {"name": "button", "shortcut": "b", "uid": UID_MINE},
                ],
                "import_csv": {"source": None},
                "export": {"destination": "."},
            },
        },
    }
    cache = root / ".neon_player" / "cache" / "EventsPlugin"
    cache.mkdir(parents=True)
    (cache / "events.json").write_text(json.dumps(events))
    (root / ".neon_player" / "settings.json").write_text(json.dumps(settings, indent="\t"))


@pytest.fixture
def truth(tmp_path: Path):
    return write_neon(tmp_path / "rec")


def _rows(rec) -> list[tuple[int, str, str]]:
    t = rec.event_table()
    return list(
        zip(t["timestamp_ns"].tolist(), t["name"].tolist(), t["type"].tolist(), strict=True)
    )


def test_without_neon_player_files_the_recording_events_are_all(truth) -> None:
    rec = gazeport.open(truth.root)
    assert _rows(rec) == [(ts, n, "recording") for ts, n in sorted(truth.events)]
    assert not (truth.root / ".neon_player").exists()


def test_reads_what_neon_player_wrote(truth) -> None:
    end = truth.events[-1][0]
    _player_files(truth.root, end)
    before = tree_hashes(truth.root)
    rows = _rows(gazeport.open(truth.root))
    s = 1_000_000_000
    assert rows == [
        (START_NS, "recording.begin", "recording"),
        (START_NS + s, "früh", "recording"),
        (START_NS + 2 * s, "button", "player"),
        (START_NS + 2 * s + s // 2, "button", "player"),
        (START_NS + 3 * s, "stim.on", "recording"),
        (START_NS + 4 * s, "stim.on", "player"),  # a recorded name at a new time is a player one
        (end, "recording.end", "recording"),
    ]
    assert tree_hashes(truth.root) == before  # reading writes nothing, not even a lock file


def test_round_trip_keeps_neon_players_format_and_other_settings(truth) -> None:
    end = truth.events[-1][0]
    _player_files(truth.root, end)
    settings_before = json.loads(ne.settings_path(truth.root).read_text())
    store = annotation_store(truth.root)
    assert isinstance(store, NeonEvents)
    store.add("button", store.when(seconds=4.5), 0.0, {})
    store.add("stimulus on", store.when(seconds=3.2), 0.0, {})
    events_text = ne.events_path(truth.root).read_text()
    events = json.loads(events_text)
    assert events_text == json.dumps(events)  # Neon Player's json.dump: no indent, no newline
    assert events[UID_MINE] == [START_NS + 2_000_000_000, START_NS + 2_500_000_000,
                                START_NS + 4_500_000_000]  # fmt: skip
    settings_text = ne.settings_path(truth.root).read_text()
    settings = json.loads(settings_text)
    assert settings_text == json.dumps(settings, indent="\t")
    types = settings["plugin_states"]["EventsPlugin"]["event_types"]
    new = types[-1]
    assert new["name"] == "stimulus on" and new["shortcut"] == ""
    assert events[new["uid"]] == [START_NS + 3_200_000_000]
    # everything else stays as Neon Player wrote it
    settings["plugin_states"]["EventsPlugin"]["event_types"] = types[:-1]
    assert settings == settings_before
    assert list(events)[:5] == ["recording.begin", UID_FRUEH, UID_STIM, "recording.end", UID_MINE]
    rows = store.records()
    assert [(r["name"], r["type"]) for r in rows if r["type"] == "player"] == [
        ("button", "player"), ("button", "player"), ("stimulus on", "player"),
        ("stim.on", "player"), ("button", "player")]  # fmt: skip


def test_a_first_edit_seeds_the_files_as_neon_player_does(truth) -> None:
    before = tree_hashes(truth.root)
    store = annotation_store(truth.root)
    store.add("stimulus on", store.when(seconds=3.2), 0.0, {})
    events = json.loads(ne.events_path(truth.root).read_text())
    settings = json.loads(ne.settings_path(truth.root).read_text())
    types = {t["name"]: t["uid"] for t in settings["plugin_states"]["EventsPlugin"]["event_types"]}
    assert set(types) == {"stim.on", "früh", "stimulus on"}  # not the two reserved ones
    by_name = {("recording.begin" if u == "recording.begin" else
                "recording.end" if u == "recording.end" else
                {v: k for k, v in types.items()}[u]): ts for u, ts in events.items()}  # fmt: skip
    assert by_name == {
        "recording.begin": [START_NS], "früh": [START_NS + 1_000_000_000],
        "stim.on": [START_NS + 3_000_000_000], "recording.end": [truth.events[-1][0]],
        "stimulus on": [START_NS + 3_200_000_000],
    }  # fmt: skip
    assert settings["export_window"] == [START_NS, truth.events[-1][0]]
    assert settings["enabled_plugins"]["EventsPlugin"] is True
    assert _rows(gazeport.open(truth.root)).count((START_NS + 3_200_000_000, "stimulus on",
                                                  "player")) == 1  # fmt: skip
    # the recording's own files are untouched; only .neon_player/ is new
    after = tree_hashes(truth.root)
    assert {k: v for k, v in after.items() if not k.startswith(".neon_player/")} == before
    assert sorted(k for k in after if k.startswith(".neon_player/")) == [
        ".neon_player/.annotation_player.lock",
        ".neon_player/cache/EventsPlugin/events.json",
        ".neon_player/settings.json",
    ]
    assert not (truth.root / ".annotation_player.lock").exists()


def test_edit_and_delete_player_events_only(truth) -> None:
    _player_files(truth.root, truth.events[-1][0])
    store = annotation_store(truth.root)
    records = store.records()
    index = next(r["index"] for r in records if r["name"] == "button")
    store.edit(index, label="press", when=store.when(seconds=2.25), duration=None, fields=None,
               remove_fields=())  # fmt: skip
    names = [(r["name"], r["seconds"]) for r in store.records() if r["type"] == "player"]
    assert ("press", 2.25) in names and ("button", 2.5) in names and ("button", 2.0) not in names
    store.delete(next(r["index"] for r in store.records() if r["name"] == "press"))
    assert "press" not in [r["name"] for r in store.records()]
    with pytest.raises(GazeportError) as info:
        store.delete(0)
    assert str(info.value) == (
        "Event 0 (recording.begin) is one of the recording's own events, which gazeport never "
        "changes; only events added in Neon Player or gazeport can be edited or deleted."
    )
    with pytest.raises(StreamNotFoundError, match="There is no event number 99; there are 6"):
        store.delete(99)
    # a type whose last instance goes loses its key in events.json but keeps its type
    store.delete(next(r["index"] for r in store.records() if r["name"] == "button"))
    events = json.loads(ne.events_path(truth.root).read_text())
    assert UID_MINE not in events
    types = json.loads(ne.settings_path(truth.root).read_text())["plugin_states"]
    assert UID_MINE in [t["uid"] for t in types["EventsPlugin"]["event_types"]]


@pytest.mark.parametrize("name", ["recording.begin", "recording.end", " ", "a\nb"])
def test_reserved_and_unusable_names_are_refused(truth, name: str) -> None:
    store = annotation_store(truth.root)
    with pytest.raises(ValueError):
        store.add(store.validate_label(name), START_NS + 1, 0.0, {})
    assert not (truth.root / ".neon_player").exists()


def test_times_outside_the_recording_and_extras_are_refused(truth) -> None:
    store = annotation_store(truth.root)
    with pytest.raises(ValueError, match=r"outside the recording, which runs from 0 to 5\.100 s"):
        store.when(seconds=6.0)
    with pytest.raises(ValueError, match="UTC ns, not Pupil time"):
        store.when(timestamp=1.0)
    assert store.when(timestamp_ns=START_NS + 7) == START_NS + 7
    with pytest.raises(ValueError, match="no duration or fields"):
        store.add("x", START_NS + 7, 1.0, {})


@pytest.mark.parametrize(
    ("file", "text", "says"),
    [
        (ne.EVENTS_FILE, "{not json", "is not valid JSON"),
        (ne.EVENTS_FILE, "[1, 2]", "does not hold a JSON object of event type: timestamps"),
        (ne.EVENTS_FILE, '{"recording.begin": ["x"]}', "that is not a list of integer ns"),
        (ne.SETTINGS_FILE, "[]", "does not hold a JSON object"),
    ],
    ids=["events-json", "events-list", "events-values", "settings"],
)
def test_a_bad_file_gives_one_sentence_naming_it(truth, file: str, text: str, says: str) -> None:
    path = truth.root / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    before = tree_hashes(truth.root)
    rec = gazeport.open(truth.root)
    with pytest.raises(CorruptFileError) as info:
        rec.event_table()
    message = str(info.value)
    assert message.startswith(f"{path} ") and says in message and message.count(". ") == 0
    assert "repair or delete the file" in message
    store = annotation_store(truth.root)
    with pytest.raises(CorruptFileError):
        store.add("x", START_NS + 7, 0.0, {})
    after = tree_hashes(truth.root)
    assert {k: v for k, v in after.items() if not k.endswith(".lock")} == before


def test_unknown_uid_falls_back_to_the_uid_as_name(truth) -> None:
    path = truth.root / ne.EVENTS_FILE
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"recording.begin": [START_NS], "orphan": [START_NS + 5]}))
    assert _rows(gazeport.open(truth.root))[1] == (START_NS + 5, "orphan", "player")


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from gazeport.recording.annotation_stores import annotation_store
    rec, me, ready, go = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    store = annotation_store(rec)
    (ready / str(me)).touch()
    while not go.exists():
        time.sleep(0.001)
    for i in range(3):
        store.add(f"w{me}-{i}", store.when(seconds=0.5 + me * 0.3 + i * 0.01), 0.0, {})
    """
)


def test_concurrent_writers_keep_every_event(truth, tmp_path: Path) -> None:
    ready, go = tmp_path / "ready", tmp_path / "go"
    ready.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
               PYTHONWARNINGS="error")  # fmt: skip
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(truth.root), str(i), str(ready), str(go)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    deadline = time.monotonic() + 60
    while len(list(ready.iterdir())) < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    rows = _rows(gazeport.open(truth.root))
    players = sorted(name for _, name, kind in rows if kind == "player")
    assert players == sorted(f"w{w}-{i}" for w in range(8) for i in range(3))
    assert [(ts, n) for ts, n, kind in rows if kind == "recording"] == sorted(truth.events)
    settings = json.loads(ne.settings_path(truth.root).read_text())
    types = [t["name"] for t in settings["plugin_states"]["EventsPlugin"]["event_types"]]
    assert len(types) == len(set(types)) == 2 + 24  # stim.on, früh and one per new name
    assert sorted(p.name for p in ne.events_path(truth.root).parent.iterdir()) == ["events.json"]


def test_event_table_is_sorted_and_typed_by_name_and_time(truth) -> None:
    _player_files(truth.root, truth.events[-1][0])
    table = gazeport.open(truth.root).event_table()
    assert table.dtype.names == ("timestamp_ns", "name", "type")
    assert np.all(np.diff(table["timestamp_ns"]) >= 0)
