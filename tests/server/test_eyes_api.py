"""``/api/recordings/{id}/eyes``: which eye videos a recording has and the eye picture shown
with a world frame (the players' rule, :mod:`gazeport.recording.eye_frames`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from gazeport.recording import open_recording
from gazeport.recording.eye_frames import core_eye_frames, neon_eye_frames
from gazeport.recording.neon_world import neon_eye_table
from gazeport.recording.scene_frames import scene_frames
from gazeport.server import eye_images
from tests.neon_factories import EYE
from tests.scene_factories import core_with_video, neon_with_video
from tests.server.server_factories import ids, make_client
from tests.video_factories import frame_number, write_video

WORLD = 30
EYE0, EYE1 = 50, 20


def add_core_eyes(rec: Path) -> None:
    """eye0 (faster than the world) and eye1 (slower), frame ``i`` showing ``i``."""
    world = np.load(rec / "world_timestamps.npy")
    for eye, n in ((0, EYE0), (1, EYE1)):
        write_video(rec / f"eye{eye}.mp4", n, size=(64, 48))
        np.save(rec / f"eye{eye}_timestamps.npy", np.linspace(world[0] - 0.01, world[-1], n))


def add_neon_eyes(rec: Path) -> None:
    """The sensor-module video of part 1 only (part 2's is lost: a gap)."""
    n = (rec / f"{EYE} ps1.time").stat().st_size // 8
    write_video(rec / f"{EYE} ps1.mp4", n, size=(64, 32))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    add_core_eyes(core_with_video(root / "core" / "eyes", n_frames=WORLD))
    core_with_video(root / "core" / "plain", n_frames=WORLD)
    neon_with_video(root / "neon" / "eyes")
    add_neon_eyes(root / "neon" / "eyes")
    return root


@pytest.fixture
def eyes_client(root: Path, tmp_path: Path) -> Iterator[object]:
    with make_client(root, cache_dir=tmp_path / "cache") as c:
        yield c


def picture(content: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_core_lists_both_eyes(eyes_client) -> None:
    rid = ids(eyes_client)["core/eyes"]
    listed = eyes_client.get(f"/api/recordings/{rid}/eyes").json()["eyes"]
    assert [(e["eye"], e["frames"], e["width"], e["height"]) for e in listed] == [
        ("eye0", EYE0, 64, 48), ("eye1", EYE1, 64, 48),
    ]  # fmt: skip


def test_core_eye_frame_is_the_players_choice(eyes_client, root: Path) -> None:
    rid = ids(eyes_client)["core/eyes"]
    rec = open_recording(root / "core" / "eyes")
    world_ts = rec.frame_table.rows["timestamp"]
    for eye in ("eye0", "eye1"):
        expected = core_eye_frames(rec.video_frame_table(eye).rows["timestamp"], world_ts)
        assert len(set(expected.tolist())) > 5  # the mapping is not trivial
        for k in (0, 1, 7, 15, WORLD - 1):
            r = eyes_client.get(f"/api/recordings/{rid}/eyes/{eye}/at/{k}.jpg")
            assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
            assert frame_number(picture(r.content)) == expected[k], (eye, k)
    rec.close()


def test_the_same_eye_frame_is_encoded_once(eyes_client, monkeypatch) -> None:
    rid = ids(eyes_client)["core/eyes"]
    first = eyes_client.get(f"/api/recordings/{rid}/eyes/eye1/at/3.jpg").content

    def no_encoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("encoded again")

    monkeypatch.setattr(eye_images.cv2, "imencode", no_encoding)
    assert eyes_client.get(f"/api/recordings/{rid}/eyes/eye1/at/3.jpg").content == first


def test_neon_lists_the_sensor_video_and_follows_neon_player(eyes_client, root: Path) -> None:
    rid = ids(eyes_client)["neon/eyes"]
    listed = eyes_client.get(f"/api/recordings/{rid}/eyes").json()["eyes"]
    assert [(e["eye"], e["width"], e["height"]) for e in listed] == [("sensor", 64, 32)]
    rec = open_recording(root / "neon" / "eyes")
    table, times_ns, _ = neon_eye_table(rec)
    world_ns = scene_frames(rec).timestamp_ns
    index, shown = neon_eye_frames(times_ns, table.rows["pts"] >= 0, world_ns)
    assert shown.any() and not shown.all()  # part 2's eye video is lost: a gap
    checked = [int(k) for k in np.flatnonzero(shown)[::7][:5]]
    for k in checked:
        r = eyes_client.get(f"/api/recordings/{rid}/eyes/sensor/at/{k}.jpg")
        assert r.status_code == 200
        assert frame_number(picture(r.content)) == index[k]
    gap = int(np.flatnonzero(~shown)[-1])
    r = eyes_client.get(f"/api/recordings/{rid}/eyes/sensor/at/{gap}.jpg")
    assert r.status_code == 204 and not r.content
    rec.close()


def test_a_recording_without_eye_videos(eyes_client) -> None:
    rid = ids(eyes_client)["core/plain"]
    assert eyes_client.get(f"/api/recordings/{rid}/eyes").json() == {"eyes": []}
    r = eyes_client.get(f"/api/recordings/{rid}/eyes/eye0/at/0.jpg")
    assert r.status_code == 404
    assert r.json()["error"] == "The recording has no eye videos."


def test_unknown_eye_and_frames_out_of_range(eyes_client) -> None:
    rid = ids(eyes_client)["core/eyes"]
    r = eyes_client.get(f"/api/recordings/{rid}/eyes/eye2/at/0.jpg")
    assert r.status_code == 404
    assert r.json()["error"] == "The recording has no eye video 'eye2'; it has eye0, eye1."
    for k in (WORLD, -1):
        r = eyes_client.get(f"/api/recordings/{rid}/eyes/eye0/at/{k}.jpg")
        assert r.status_code == 404
        assert r.json()["error"] == f"There is no frame {k}; the recording has frames 0 - 29."
    r = eyes_client.get(f"/api/recordings/{rid}/eyes/eye0/at/abc.jpg")
    assert r.status_code == 400 and r.json()["error"]
    r = eyes_client.get("/api/recordings/nope/eyes")
    assert r.status_code == 404 and r.json()["error"]


def test_closing_the_recording_closes_the_eye_readers(eyes_client) -> None:
    rid = ids(eyes_client)["core/eyes"]
    assert eyes_client.get(f"/api/recordings/{rid}/eyes/eye0/at/2.jpg").status_code == 200
    opened = eyes_client.app.state.gazeport.catalog.open(rid)  # type: ignore[attr-defined]
    pools = [v.pool for v in eye_images.eye_videos(opened).videos.values()]
    opened.close()
    assert pools and all(pool._closed for pool in pools)
