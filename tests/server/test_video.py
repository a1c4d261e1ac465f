"""The browser video: H.264 as it is or a cached proxy outside the recording, Range requests."""

from __future__ import annotations

import pytest

from gazeport.recording.scene_frames import scene_frames
from gazeport.video.demux import probe
from tests.factories import tree_hashes
from tests.server.server_factories import CORE_FRAMES, ids, wait_for_video
from tests.video_factories import decoded_numbers


def _ready(client, rid: str) -> None:
    first = client.get(f"/api/recordings/{rid}/video")
    if first.status_code == 202:
        assert first.json()["status"] == "preparing"
        assert first.headers["retry-after"] == "1"
        wait_for_video(client)
    assert client.get(f"/api/recordings/{rid}/video/status").json()["status"] == "ready"


def test_mpeg4_source_gets_an_h264_proxy_in_the_cache(client, study, tmp_path) -> None:
    before = tree_hashes(study.core, ignore=())
    rid = ids(client)["core/001"]
    assert client.get(f"/api/recordings/{rid}/video/status").json()["status"] in (
        "preparing",
        "ready",
    )
    _ready(client, rid)
    status = client.get(f"/api/recordings/{rid}/video/status").json()
    assert status["source"] == "proxy"
    r = client.get(f"/api/recordings/{rid}/video")
    assert r.status_code == 200
    assert r.headers["content-type"] == "video/mp4"
    assert r.headers["accept-ranges"] == "bytes"
    proxies = list((tmp_path / "cache").rglob("scene.mp4"))
    assert len(proxies) == 1
    assert proxies[0].read_bytes() == r.content
    assert probe(proxies[0]).codec == "h264"
    # every frame of the proxy is the frame of the same index
    numbers = decoded_numbers(proxies[0])
    assert [numbers[k] for k in sorted(numbers)] == list(range(CORE_FRAMES))
    stamps = client.get(f"/api/recordings/{rid}/video/timestamps").json()
    assert stamps["source"] == "proxy"
    assert stamps["frame_index"] == list(range(CORE_FRAMES))
    assert stamps["timestamp_ns"] == scene_frames(study.core).timestamp_ns.tolist()
    assert stamps["video_time_s"][0] == 0.0
    assert stamps["video_time_s"] == sorted(stamps["video_time_s"])
    assert tree_hashes(study.core, ignore=()) == before  # nothing written into the recording


def test_proxy_is_reused_by_a_new_server(client, study, tmp_path) -> None:
    from tests.server.server_factories import make_client

    rid = ids(client)["core/001"]
    _ready(client, rid)
    with make_client(study.root, cache_dir=tmp_path / "cache") as again:
        assert again.get(f"/api/recordings/{rid}/video").status_code == 200


def test_h264_source_is_served_as_it_is(client, study) -> None:
    rid = ids(client)["neon/walk"]
    status = client.get(f"/api/recordings/{rid}/video/status").json()
    assert status == {"status": "ready", "progress": 1.0, "source": "original"}
    r = client.get(f"/api/recordings/{rid}/video")
    source = next(study.neon.glob("*.mp4"))
    assert r.content == source.read_bytes()
    stamps = client.get(f"/api/recordings/{rid}/video/timestamps").json()
    frames = scene_frames(study.neon)
    real = [i for i, ok in enumerate(frames.real.tolist()) if ok]
    assert stamps["frame_index"] == real
    assert stamps["timestamp_ns"] == [frames.timestamp_ns.tolist()[i] for i in real]


@pytest.fixture
def video(client) -> tuple[object, str, bytes]:
    rid = ids(client)["neon/walk"]
    url = f"/api/recordings/{rid}/video"
    return client, url, client.get(url).content


def test_range_first_bytes(video) -> None:
    client, url, whole = video
    r = client.get(url, headers={"Range": "bytes=0-99"})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes 0-99/{len(whole)}"
    assert r.content == whole[:100]


def test_range_suffix(video) -> None:
    client, url, whole = video
    r = client.get(url, headers={"Range": "bytes=-50"})
    assert r.status_code == 206
    assert r.content == whole[-50:]
    assert r.headers["content-range"] == f"bytes {len(whole) - 50}-{len(whole) - 1}/{len(whole)}"


def test_range_open_end(video) -> None:
    client, url, whole = video
    r = client.get(url, headers={"Range": "bytes=100-"})
    assert r.status_code == 206
    assert r.content == whole[100:]


def test_range_beyond_the_end_is_416(video) -> None:
    client, url, whole = video
    r = client.get(url, headers={"Range": f"bytes={len(whole) + 10}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(whole)}"


@pytest.mark.parametrize("value", ["bytes=abc", "items=0-1", "bytes=5"])
def test_malformed_range_is_400_json(video, value) -> None:
    client, url, _ = video
    r = client.get(url, headers={"Range": value})
    assert r.status_code == 400
    assert "byte range" in r.json()["error"]


def test_head_of_the_video(video) -> None:
    client, url, whole = video
    r = client.head(url)
    assert r.status_code == 200
    assert int(r.headers["content-length"]) == len(whole)
    assert r.headers["accept-ranges"] == "bytes"


def test_failed_proxy_is_a_sentence(client, monkeypatch) -> None:
    from gazeport.errors import ExportError
    from gazeport.server import video_proxy

    def broken(*args, **kwargs):
        raise ExportError("No frame could be encoded.")

    monkeypatch.setattr(video_proxy, "write_proxy", broken)
    rid = ids(client)["core/001"]
    assert client.get(f"/api/recordings/{rid}/video").status_code == 202
    wait_for_video(client)
    status = client.get(f"/api/recordings/{rid}/video/status").json()
    assert status["status"] == "failed"
    assert "No frame could be encoded." in status["error"]
    for path in ("video", "video/timestamps"):
        r = client.get(f"/api/recordings/{rid}/{path}")
        assert r.status_code == 500
        assert r.json() == {"error": status["error"]}
