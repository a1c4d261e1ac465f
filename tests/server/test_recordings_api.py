"""The recordings API: list, search, sort, one recording, frames as JPEG, time windows."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from gazeport import open as open_recording
from gazeport.recording.scene_frames import frame_gaze, scene_frames
from tests.server.server_factories import CORE_FRAMES, ids, make_client
from tests.video_factories import frame_number


def test_health(client) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["token_required"] is False


def test_list_has_every_recording_with_its_facts(client, study) -> None:
    data = client.get("/api/recordings").json()
    assert data["count"] == 3
    by_path = {r["path"]: r for r in data["recordings"]}
    assert set(by_path) == {"core/001", "neon/walk", "broken/002"}
    core, neon, broken = by_path["core/001"], by_path["neon/walk"], by_path["broken/002"]
    assert core["kind"] == "pupil_player_format" and core["kind_label"] == "Pupil Core"
    assert neon["kind"] == "neon" and neon["wearer"] == "Synthetic"
    assert neon["duration_s"] == pytest.approx(2.0)
    assert core["start_utc"].endswith("Z")
    assert core["exports"] == 0 and core["has_exports"] is False
    assert broken["error"] and "info.player.json" in broken["error"]


def test_ids_are_stable_across_servers(client, study, tmp_path) -> None:
    from tests.server.server_factories import make_client

    with make_client(study.root, cache_dir=tmp_path / "c2") as other:
        assert ids(other) == ids(client)


def test_exports_are_counted_after_refresh(client, study) -> None:
    assert ids(client)  # listed (and cached) before the export appears
    (study.core / "exports" / "000").mkdir(parents=True)
    stale = {r["path"]: r for r in client.get("/api/recordings").json()["recordings"]}
    assert stale["core/001"]["exports"] == 0
    fresh = client.get("/api/recordings", params={"refresh": "true"}).json()["recordings"]
    assert {r["path"]: r["exports"] for r in fresh}["core/001"] == 1


def test_search_matches_every_word(client) -> None:
    def paths(q):
        return [
            r["path"] for r in client.get("/api/recordings", params={"q": q}).json()["recordings"]
        ]

    assert paths("neon") == ["neon/walk"]
    assert paths("synthetic walk") == ["neon/walk"]
    assert paths("core 001") == ["core/001"]
    assert paths("nothing-like-this") == []


@pytest.mark.parametrize(
    ("sort", "order", "first"),
    [
        ("name", "asc", "core/001"),
        ("duration", "desc", "neon/walk"),
        ("duration", "asc", "core/001"),
    ],
)
def test_sort(client, sort, order, first) -> None:
    rows = client.get("/api/recordings", params={"sort": sort, "order": order}).json()["recordings"]
    assert rows[0]["path"] == first
    if sort == "duration":
        assert rows[-1]["path"] == "broken/002"  # no duration: last in both orders


def test_bad_sort_key_is_400(client) -> None:
    r = client.get("/api/recordings", params={"sort": "colour"})
    assert r.status_code == 400
    assert "sort" in r.json()["error"]


def test_one_recording(client) -> None:
    rid = ids(client)["core/001"]
    data = client.get(f"/api/recordings/{rid}").json()
    assert data["frames"] == {"count": CORE_FRAMES, "width": 160, "height": 120, "first_real": 0}
    assert "gaze" in data["streams"]


def test_first_real_frame_of_a_neon_recording(client, study) -> None:
    rid = ids(client)["neon/walk"]
    first = client.get(f"/api/recordings/{rid}").json()["frames"]["first_real"]
    assert first == int(np.flatnonzero(scene_frames(study.neon).real)[0]) > 0
    r = client.get(f"/api/recordings/{rid}/frames/{first + 3}.jpg")
    image = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (72, 96, 3)
    assert frame_number(image) == 3  # the part's video frame 3


def test_unknown_id_is_404_everywhere(client) -> None:
    for path in ("", "/frames", "/frames/0.jpg", "/video", "/video/timestamps", "/gaze",
                 "/fixations", "/blinks", "/annotations", "/annotations/definitions"):  # fmt: skip
        r = client.get(f"/api/recordings/0123456789ab{path}")
        assert r.status_code == 404, path
        assert "no recording with id" in r.json()["error"]


def test_unreadable_recording_is_422_with_the_reason(client) -> None:
    rid = ids(client)["broken/002"]
    assert client.get(f"/api/recordings/{rid}").json()["error"]
    r = client.get(f"/api/recordings/{rid}/frames/0.jpg")
    assert r.status_code == 422
    assert "not valid JSON" in r.json()["error"]


@pytest.mark.parametrize("index", [0, 7, CORE_FRAMES - 1])
def test_frame_jpeg_is_that_frame(client, index) -> None:
    rid = ids(client)["core/001"]
    r = client.get(f"/api/recordings/{rid}/frames/{index}.jpg")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (120, 160, 3)
    assert frame_number(image) == index


@pytest.mark.parametrize("index", [CORE_FRAMES, 10**6, -1])
def test_frame_out_of_range_is_404(client, index) -> None:
    rid = ids(client)["core/001"]
    r = client.get(f"/api/recordings/{rid}/frames/{index}.jpg")
    assert r.status_code == 404
    assert f"0 - {CORE_FRAMES - 1}" in r.json()["error"]


def test_frame_index_not_a_number_is_400(client) -> None:
    rid = ids(client)["core/001"]
    r = client.get(f"/api/recordings/{rid}/frames/abc.jpg")
    assert r.status_code == 400
    assert "index" in r.json()["error"]


def test_frames_table(client, study) -> None:
    rid = ids(client)["neon/walk"]
    data = client.get(f"/api/recordings/{rid}/frames").json()
    truth = scene_frames(study.neon)
    assert data["count"] == len(truth)
    assert data["timestamp_ns"] == truth.timestamp_ns.tolist()
    assert data["t_s"][0] == 0.0
    assert data["real"] == truth.real.tolist()


def test_gaze_window_matches_the_library(client, study) -> None:
    rid = ids(client)["core/001"]
    data = client.get(f"/api/recordings/{rid}/gaze", params={"start_s": 0.2, "end_s": 0.5}).json()
    with open_recording(study.core) as rec:
        frames = scene_frames(rec)
        gaze = frame_gaze(rec, frames)
    t0 = int(frames.timestamp_ns[0])
    t = gaze["timestamp_ns"]
    inside = gaze[(t >= t0 + 200_000_000) & (t <= t0 + 500_000_000)]
    assert data["count"] == inside.shape[0] > 0
    assert data["timestamp_ns"] == inside["timestamp_ns"].tolist()
    assert data["frame_index"] == inside["frame_index"].tolist()
    assert data["x_px"] == pytest.approx(inside["x_px"], abs=1e-4)
    assert all(0.2 <= s <= 0.5 for s in data["t_s"])
    assert data["frame_size"] == [160, 120]


def test_whole_recording_without_a_window(client, study) -> None:
    rid = ids(client)["core/001"]
    everything = client.get(f"/api/recordings/{rid}/gaze").json()
    assert everything["count"] == frame_gaze(study.core).shape[0]


@pytest.mark.parametrize(
    ("params", "words"),
    [({"start_s": 2, "end_s": 1}, "before it starts"), ({"start_s": "soon"}, "start_s"),
     ({"end_s": "nan"}, "finite")],
)  # fmt: skip
def test_bad_window_is_400(client, params, words) -> None:
    rid = ids(client)["core/001"]
    r = client.get(f"/api/recordings/{rid}/gaze", params=params)
    assert r.status_code == 400
    assert words in r.json()["error"]


def test_neon_fixations_and_blinks_windows(client, study) -> None:
    rid = ids(client)["neon/walk"]
    with open_recording(study.neon) as rec:
        n_fix, n_blinks = rec.fixations.shape[0], rec.blinks.shape[0]
    fix = client.get(f"/api/recordings/{rid}/fixations").json()
    blinks = client.get(f"/api/recordings/{rid}/blinks").json()
    assert fix["count"] == n_fix > 0 and blinks["count"] == n_blinks > 0
    assert fix["start_frame"][0] <= fix["mid_frame"][0] <= fix["end_frame"][0]
    empty = client.get(f"/api/recordings/{rid}/fixations", params={"start_s": 1e5}).json()
    assert empty["count"] == 0


def test_core_fixations_and_blinks_answer(tmp_path) -> None:
    """As many as ``gazeport fixations`` / ``gazeport blinks`` count (Player's detectors), on a
    Capture recording whose gaze fixates and whose pupils blink."""
    from gazeport.analysis.blinks import BlinkParams
    from gazeport.analysis.fixations import FixationParams
    from gazeport.exporters.event_files import blink_summary, fixation_summary
    from gazeport.synthetic import generate_capture_recording

    rec_dir = generate_capture_recording(tmp_path / "study" / "cap", 0.2)
    rec = open_recording(rec_dir)
    expected = {
        "fixations": fixation_summary(rec, FixationParams())["count"],
        "blinks": blink_summary(rec, BlinkParams())["count"],
    }
    assert expected["fixations"] > 0 and expected["blinks"] > 0
    with make_client(tmp_path / "study", cache_dir=tmp_path / "cache") as client:
        rid = ids(client)["cap"]
        for what in ("fixations", "blinks"):
            r = client.get(f"/api/recordings/{rid}/{what}")
            assert r.status_code == 200
            assert r.json()["count"] == expected[what], what


def test_lookup_by_path(client) -> None:
    r = client.get("/api/recordings/lookup", params={"path": "neon/walk"})
    assert r.status_code == 200
    assert r.json()["id"] == ids(client)["neon/walk"]
    missing = client.get("/api/recordings/lookup", params={"path": "neon"})
    assert missing.status_code == 404


def test_root_that_is_a_recording(study, tmp_path) -> None:
    from tests.server.server_factories import make_client

    with make_client(study.core, cache_dir=tmp_path / "c") as c:
        (entry,) = c.get("/api/recordings").json()["recordings"]
        assert entry["path"] == "." and entry["name"] == "001"
        assert c.get(f"/api/recordings/{entry['id']}/frames/0.jpg").status_code == 200
