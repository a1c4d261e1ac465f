"""Annotations CRUD over the CLI's store: visible to gazeport, same locks, nothing else touched."""

from __future__ import annotations

import pytest

from gazeport.recording import edit_lock
from gazeport.recording.annotation_stores import annotation_store
from tests.factories import tree_hashes
from tests.server.server_factories import ids

#: What an annotation edit of a Core recording writes (Player's files and the edit lock).
CORE_ANNOTATION_FILES = ("annotation_player.pldata", "annotation_player_timestamps.npy",
                         ".annotation_player.lock", "offline_data")  # fmt: skip


def _url(client, path: str = "core/001") -> str:
    return f"/api/recordings/{ids(client)[path]}/annotations"


def test_core_round_trip_is_the_stores(client, study) -> None:
    before = tree_hashes(study.core, ignore=CORE_ANNOTATION_FILES)
    url = _url(client)
    assert client.get(url).json() == {"noun": "annotation", "count": 0, "items": []}
    r = client.post(url, json={"label": "look", "frame": 5, "duration": 0.5, "fields": {"n": 2}})
    assert r.status_code == 201
    (item,) = r.json()["items"]
    assert item["label"] == "look" and item["frame_index"] == 5 and item["n"] == 2
    assert item["duration"] == 0.5
    assert client.post(url, json={"label": "blink", "frame": 2}).status_code == 201
    stored = annotation_store(study.core).records()
    assert [a["label"] for a in stored] == ["blink", "look"]  # sorted by time, as the CLI sees

    r = client.patch(f"{url}/1", json={"label": "stare", "frame": 9, "remove_fields": ["n"]})
    assert r.status_code == 200
    edited = r.json()["items"][1]
    assert edited["label"] == "stare" and edited["frame_index"] == 9 and "n" not in edited
    assert annotation_store(study.core).records()[1]["label"] == "stare"

    r = client.delete(f"{url}/0")
    assert r.status_code == 200
    assert [a["label"] for a in r.json()["items"]] == ["stare"]
    assert [a["label"] for a in annotation_store(study.core).records()] == ["stare"]
    assert tree_hashes(study.core, ignore=CORE_ANNOTATION_FILES) == before


def test_annotation_added_by_the_cli_shows(client, study) -> None:
    store = annotation_store(study.core)
    store.add("from-cli", store.when(frame=3), 0.0, {})
    items = client.get(_url(client)).json()["items"]
    assert [(a["label"], a["frame_index"]) for a in items] == [("from-cli", 3)]


@pytest.mark.parametrize(
    ("body", "words"),
    [({"label": "x", "frame": 10**6}, "frame"), ({"label": "", "frame": 1}, "label"),
     ({"label": "x"}, "one of"), ({"label": "x", "frame": 1, "colour": "red"}, "colour"),
     ({"label": "x", "frame": 1, "duration": -1}, "duration")],
)  # fmt: skip
def test_bad_annotation_is_400(client, study, body, words) -> None:
    r = client.post(_url(client), json=body)
    assert r.status_code == 400, r.json()
    assert words in r.json()["error"]
    assert not (study.core / "annotation_player.pldata").exists()


def test_unknown_number_is_404(client) -> None:
    url = _url(client)
    assert client.delete(f"{url}/0").status_code == 404
    r = client.patch(f"{url}/3", json={"label": "y"})
    assert r.status_code == 404
    assert "no annotation number 3" in r.json()["error"]


def test_locked_recording_is_409(client, study, monkeypatch) -> None:
    import threading

    monkeypatch.setattr(edit_lock, "LOCK_TIMEOUT_S", 0.2)
    url = _url(client)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with edit_lock.edit_lock(study.core, timeout_s=5):
            held.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    try:
        held.wait(5)
        r = client.post(url, json={"label": "x", "frame": 1})
    finally:
        release.set()
        t.join()
    assert r.status_code == 409, r.json()
    assert r.json()["error"]


def test_core_definitions(client, study) -> None:
    url = f"{_url(client)}/definitions"
    first = client.get(url).json()
    assert first["editable"] is True and isinstance(first["definitions"], dict)
    r = client.patch(url, json={"set": {"Look": "l"}})
    assert r.status_code == 200
    assert r.json()["definitions"]["Look"] == "l"
    assert annotation_store(study.core).definitions()["Look"] == "l"
    r = client.patch(url, json={"remove": ["Nope"]})
    assert r.status_code == 400
    assert "Nope" in r.json()["error"]


def test_neon_events(client, study) -> None:
    url = _url(client, "neon/walk")
    listing = client.get(url).json()
    assert listing["noun"] == "event"
    n = listing["count"]
    r = client.post(url, json={"label": "door", "frame": 10})
    assert r.status_code == 201
    added = [e for e in r.json()["items"] if e["name"] == "door"]
    assert len(added) == 1 and added[0]["frame_index"] == 10
    assert all(e["label"] == e["name"] for e in r.json()["items"])  # the player shows labels
    assert any(e["name"] == "door" for e in annotation_store(study.neon).records())
    r = client.post(url, json={"label": "door", "frame": 10, "duration": 1.0})
    assert r.status_code == 400
    index = added[0]["index"]
    assert client.delete(f"{url}/{index}").json()["count"] == n
    defs = client.get(f"{url}/definitions").json()
    assert defs["editable"] is False
    assert client.patch(f"{url}/definitions", json={"set": {"a": "b"}}).status_code == 422
