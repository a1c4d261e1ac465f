"""Frames as JPEG: random access, the encoded-frame cache, ``?width=`` and concurrent clients."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from gazeport.server import frame_images
from tests.server.server_factories import CORE_FRAMES, ids
from tests.video_factories import frame_number


def decode(content: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_random_order_gives_each_frame(client) -> None:
    rid = ids(client)["core/001"]
    order = np.random.default_rng(5).permutation(CORE_FRAMES).tolist()
    for index in order + order[:5]:
        r = client.get(f"/api/recordings/{rid}/frames/{index}.jpg")
        assert r.status_code == 200
        assert frame_number(decode(r.content)) == index


def test_a_frame_asked_again_comes_from_the_cache(client, monkeypatch) -> None:
    rid = ids(client)["core/001"]
    first = client.get(f"/api/recordings/{rid}/frames/4.jpg").content

    def no_encoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("encoded again")

    monkeypatch.setattr(frame_images.cv2, "imencode", no_encoding)
    assert client.get(f"/api/recordings/{rid}/frames/4.jpg").content == first


def test_the_cache_keeps_the_last_frames() -> None:
    cache = frame_images.JpegCache(size=2)
    cache.put((1, 10), b"a")
    cache.put((2, 10), b"b")
    assert cache.get((1, 10)) == b"a"  # now the newest
    cache.put((3, 10), b"c")
    assert cache.get((2, 10)) is None
    assert (cache.get((1, 10)), cache.get((3, 10))) == (b"a", b"c")


@pytest.mark.parametrize(("width", "shape"), [(80, (60, 80, 3)), (16, (12, 16, 3))])
def test_width_scales_the_frame_down(client, width, shape) -> None:
    rid = ids(client)["core/001"]
    r = client.get(f"/api/recordings/{rid}/frames/3.jpg", params={"width": width})
    assert r.status_code == 200
    assert decode(r.content).shape == shape
    full = client.get(f"/api/recordings/{rid}/frames/3.jpg").content
    assert decode(full).shape == (120, 160, 3)  # the scaled frame is cached apart


def test_width_beyond_the_frame_gives_the_full_frame(client) -> None:
    rid = ids(client)["core/001"]
    r = client.get(f"/api/recordings/{rid}/frames/3.jpg", params={"width": 4000})
    assert decode(r.content).shape == (120, 160, 3)
    assert frame_number(decode(r.content)) == 3


@pytest.mark.parametrize("width", ["5", "0", "-20", "wide"])
def test_bad_width_is_400_with_a_sentence(client, width) -> None:
    rid = ids(client)["core/001"]
    r = client.get(f"/api/recordings/{rid}/frames/3.jpg", params={"width": width})
    assert r.status_code == 400
    assert "width" in r.json()["error"]


def test_concurrent_clients_each_get_their_frame(client) -> None:
    rid = ids(client)["core/001"]
    wrong: list[str] = []

    def walk(start: int) -> None:
        for step in range(12):
            index = (start + step * (1 if start % 2 else 7)) % CORE_FRAMES
            r = client.get(f"/api/recordings/{rid}/frames/{index}.jpg")
            if r.status_code != 200 or frame_number(decode(r.content)) != index:
                wrong.append(f"frame {index}: {r.status_code}")

    threads = [threading.Thread(target=walk, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert wrong == []
