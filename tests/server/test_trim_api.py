"""``/api/recordings/{id}/trim``: default, set, kept across servers, refused ranges, and
nothing written into the recording."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest

if importlib.util.find_spec("fastapi") is None:  # pragma: no cover - the web extra has it
    pytest.skip("the web extra (fastapi) is not installed", allow_module_level=True)

with warnings.catch_warnings():  # Starlette asks for httpx2, which the venv lacks
    warnings.filterwarnings("ignore", message=".*httpx2", category=UserWarning)
    from fastapi.testclient import TestClient

from gazeport.recording.scene_frames import scene_frames
from gazeport.server import create_app
from tests.factories import tree_hashes
from tests.scene_factories import core_with_video

BASE_URL = "http://127.0.0.1:8642"
N_FRAMES = 30


@pytest.fixture
def root(tmp_path: Path) -> Path:
    core_with_video(tmp_path / "study" / "core" / "001", n_frames=N_FRAMES)
    return tmp_path / "study"


def _client(root: Path, cache: Path) -> TestClient:
    return TestClient(create_app(root, cache_dir=cache), base_url=BASE_URL)


def _rid(client: TestClient) -> str:
    return client.get("/api/recordings").json()["recordings"][0]["id"]


def test_default_is_the_whole_recording(root: Path, tmp_path: Path) -> None:
    with _client(root, tmp_path / "cache") as client:
        r = client.get(f"/api/recordings/{_rid(client)}/trim")
    assert r.status_code == 200
    body = r.json()
    assert (body["start_frame"], body["end_frame"]) == (0, N_FRAMES - 1)
    assert body["frame_count"] == N_FRAMES
    assert body["saved"] is False
    assert body["start_s"] == 0.0
    ts = scene_frames(root / "core" / "001").timestamp_ns
    assert body["end_s"] == pytest.approx((int(ts[-1]) - int(ts[0])) / 1e9)


def test_put_is_answered_and_kept_by_a_new_server(root: Path, tmp_path: Path) -> None:
    rec = root / "core" / "001"
    before = tree_hashes(rec, ignore=())
    with _client(root, tmp_path / "cache") as client:
        url = f"/api/recordings/{_rid(client)}/trim"
        r = client.put(url, json={"start_frame": 3, "end_frame": 17})
        assert r.status_code == 200
        assert (r.json()["start_frame"], r.json()["end_frame"], r.json()["saved"]) == (3, 17, True)
        ts = scene_frames(rec).timestamp_ns
        assert r.json()["start_s"] == pytest.approx((int(ts[3]) - int(ts[0])) / 1e9)
    with _client(root, tmp_path / "cache") as again:
        body = again.get(url).json()
    assert (body["start_frame"], body["end_frame"], body["saved"]) == (3, 17, True)
    assert tree_hashes(rec, ignore=()) == before  # nothing written into the recording
    stored = list((tmp_path / "cache" / "trim").glob("*.json"))
    assert len(stored) == 1


def test_marks_follow_the_recording_when_the_root_moves(root: Path, tmp_path: Path) -> None:
    with _client(root, tmp_path / "cache") as client:
        client.put(f"/api/recordings/{_rid(client)}/trim", json={"start_frame": 5, "end_frame": 9})
    moved = tmp_path / "elsewhere"
    (moved / "renamed").mkdir(parents=True)
    (root / "core" / "001").rename(moved / "renamed" / "session")
    with _client(moved, tmp_path / "cache") as client:
        body = client.get(f"/api/recordings/{_rid(client)}/trim").json()
    assert (body["start_frame"], body["end_frame"]) == (5, 9)


def test_delete_goes_back_to_the_whole_recording(root: Path, tmp_path: Path) -> None:
    with _client(root, tmp_path / "cache") as client:
        url = f"/api/recordings/{_rid(client)}/trim"
        client.put(url, json={"start_frame": 2, "end_frame": 4})
        r = client.delete(url)
        assert r.status_code == 200
        assert (r.json()["start_frame"], r.json()["end_frame"]) == (0, N_FRAMES - 1)
        assert client.get(url).json()["saved"] is False


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param({"start_frame": 10, "end_frame": 4}, "after the right one", id="reversed"),
        pytest.param({"start_frame": -1, "end_frame": 4}, "frames 0 - 29", id="negative"),
        pytest.param({"start_frame": 0, "end_frame": N_FRAMES}, "frames 0 - 29", id="past-end"),
        pytest.param({"start_frame": 0}, "end_frame", id="missing"),
        pytest.param({"start_frame": "a", "end_frame": 3}, "start_frame", id="not-a-number"),
        pytest.param({"start_frame": 0, "end_frame": 3, "x": 1}, "x", id="unknown-field"),
    ],
)
def test_bad_ranges_are_refused(root: Path, tmp_path: Path, body: dict, words: str) -> None:
    with _client(root, tmp_path / "cache") as client:
        url = f"/api/recordings/{_rid(client)}/trim"
        r = client.put(url, json=body)
        assert r.status_code == 400
        assert words in r.json()["error"]
        assert client.get(url).json()["saved"] is False


def test_a_stored_range_that_no_longer_fits_is_ignored(root: Path, tmp_path: Path) -> None:
    with _client(root, tmp_path / "cache") as client:
        url = f"/api/recordings/{_rid(client)}/trim"
        client.put(url, json={"start_frame": 1, "end_frame": 2})
    (stored,) = (tmp_path / "cache" / "trim").glob("*.json")
    stored.write_text(stored.read_text().replace(f'"frame_count": {N_FRAMES}', '"frame_count": 99'))
    with _client(root, tmp_path / "cache") as client:
        body = client.get(url).json()
    assert (body["start_frame"], body["end_frame"], body["saved"]) == (0, N_FRAMES - 1, False)


def test_unknown_recording_is_404(root: Path, tmp_path: Path) -> None:
    with _client(root, tmp_path / "cache") as client:
        r = client.put("/api/recordings/nope/trim", json={"start_frame": 0, "end_frame": 1})
    assert r.status_code == 404
    assert "error" in r.json()


def test_cross_origin_put_is_refused(root: Path, tmp_path: Path) -> None:
    with _client(root, tmp_path / "cache") as client:
        r = client.put(
            f"/api/recordings/{_rid(client)}/trim",
            json={"start_frame": 0, "end_frame": 1},
            headers={"Origin": "http://evil.example"},
        )
    assert r.status_code == 403
