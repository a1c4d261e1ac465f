"""The API on a copy of the real Neon recording neon23_multipart (its scene parts 2 and 3 have
no MP4: gray frames on the timeline; part 1's H.264 is served as it is)."""

from __future__ import annotations

import shutil
import stat

import cv2
import numpy as np
import pytest

from gazeport.recording.scene_frames import frame_gaze, scene_frames
from tests import fixtures
from tests.factories import tree_hashes
from tests.server.server_factories import make_client


@pytest.fixture
def real(tmp_path):
    dst = tmp_path / "study" / "neon23_multipart"
    shutil.copytree(fixtures.recording("neon23_multipart"), dst)
    for p in [dst, *dst.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    with make_client(tmp_path / "study", cache_dir=tmp_path / "cache") as client:
        (entry,) = client.get("/api/recordings").json()["recordings"]
        yield client, entry, dst


def test_listing_frames_video_and_gaze(real) -> None:
    client, entry, rec = real
    before = tree_hashes(rec, ignore=())
    assert entry["kind"] == "neon" and entry["error"] is None
    assert entry["duration_s"] > 0 and entry["start_utc"]
    base = f"/api/recordings/{entry['id']}"
    detail = client.get(base).json()
    frames = scene_frames(rec)
    assert detail["frames"]["count"] == len(frames)
    first = detail["frames"]["first_real"]
    r = client.get(f"{base}/frames/{first}.jpg")
    image = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (frames.height, frames.width, 3)
    assert image.std() > 5  # a picture, not a gray frame
    status = client.get(f"{base}/video/status").json()
    assert status["source"] == "original"
    stamps = client.get(f"{base}/video/timestamps").json()
    assert stamps["frame_index"] == np.flatnonzero(frames.real).tolist()
    every = frame_gaze(rec, frames)
    t0 = int(frames.timestamp_ns[0])
    t = every["timestamp_ns"]
    start_s = (int(t[0]) - t0) / 1e9 + 0.5
    gaze = client.get(f"{base}/gaze", params={"start_s": start_s, "end_s": start_s + 1}).json()
    lo, hi = t0 + round(start_s * 1e9), t0 + round((start_s + 1) * 1e9)
    assert gaze["count"] == int(((t >= lo) & (t <= hi)).sum()) > 100
    assert gaze["frame_index"][0] == int(every["frame_index"][t >= lo][0])
    assert tree_hashes(rec, ignore=()) == before


def test_event_round_trip(real) -> None:
    client, entry, rec = real
    before = tree_hashes(rec, ignore=(".neon_player",))
    url = f"/api/recordings/{entry['id']}/annotations"
    n = client.get(url).json()["count"]
    added = client.post(url, json={"label": "door.open", "frame": 20}).json()["items"]
    (row,) = [e for e in added if e["name"] == "door.open"]
    assert row["frame_index"] == 20
    assert client.delete(f"{url}/{row['index']}").json()["count"] == n
    assert tree_hashes(rec, ignore=(".neon_player",)) == before  # Neon Player's folder only
