"""``/api/labels``: every endpoint of the label store's REST API and its error paths."""

from __future__ import annotations

import io
import json
import sqlite3
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
import cv2

with warnings.catch_warnings():  # Starlette asks for httpx2, which the shared venv lacks
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from gazeport.labels import open_store
from tests.server.label_server_factories import (
    BASE_URL,
    N_TASKS,
    SIZE,
    LabelStudy,
    make_client,
    make_label_study,
    make_store,
)

SAME_ORIGIN = {"Origin": BASE_URL}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> LabelStudy:
    return make_label_study(tmp_path_factory.mktemp("labels") / "study")


@pytest.fixture
def study(built: LabelStudy) -> LabelStudy:
    """A new label store for every test (the recordings are shared, read only)."""
    make_store(built)
    return built


@pytest.fixture
def client(study: LabelStudy, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(study, tmp_path / "cache", max_upload_bytes=64 * 1024) as c:
        yield c


def _box(client: TestClient, task: int = 1, **kw: object) -> dict:
    body = {"label": "car", "x": 10, "y": 20, "w": 30, "h": 40, **kw}
    r = client.post(f"/api/labels/tasks/{task}/boxes", json=body, headers=SAME_ORIGIN)
    assert r.status_code == 201, r.text
    return r.json()


# --- no store, project, classes ---------------------------------------------------------------


def test_without_db_every_route_says_how_to_start(study: LabelStudy, tmp_path: Path):
    with make_client(study, tmp_path / "c", db=None) as c:
        for path in ("/api/labels/project", "/api/labels/tasks", "/api/labels/tasks/1"):
            r = c.get(path)
            assert r.status_code == 400
            assert "gazeport serve --db" in r.json()["error"]


def test_available(client: TestClient, study: LabelStudy, tmp_path: Path):
    assert client.get("/api/labels/available").json() == {"available": True, "db": "labels.sqlite"}
    with make_client(study, tmp_path / "c", db=None) as c:
        assert c.get("/api/labels/available").json() == {"available": False, "db": None}


def test_missing_db_file_is_404(study: LabelStudy, tmp_path: Path):
    with make_client(study, tmp_path / "c", db=tmp_path / "nope.sqlite") as c:
        r = c.get("/api/labels/project")
        assert r.status_code == 404 and "There is no label store" in r.json()["error"]


def test_project(client: TestClient):
    p = client.get("/api/labels/project").json()
    assert p["name"] == "Street study" and p["schema_version"] == 2
    assert [c["name"] for c in p["classes"]] == ["car", "person", "sign"]
    assert p["recordings"] == ["recs/r1", "recs/r2"]
    assert p["counts"] == {"draft": N_TASKS + 2, "finished": 0, "reviewed": 0}


def test_classes_add_rename_merge(client: TestClient):
    assert [c["hotkey"] for c in client.get("/api/labels/classes").json()["classes"]] == [
        "c", "p", None,
    ]  # fmt: skip
    r = client.post(
        "/api/labels/classes", json={"name": "bike", "hotkey": "b"}, headers=SAME_ORIGIN
    )
    assert r.status_code == 201 and r.json()["id"] == 4
    dup = client.post("/api/labels/classes", json={"name": "Bike"}, headers=SAME_ORIGIN)
    assert dup.status_code == 400 and "only in case" in dup.json()["error"]
    r = client.patch("/api/labels/classes/4", json={"name": "bicycle"}, headers=SAME_ORIGIN)
    assert r.json()["name"] == "bicycle" and r.json()["id"] == 4
    assert client.patch("/api/labels/classes/99", json={"name": "x"}).status_code == 404
    _box(client, label="sign")
    r = client.post("/api/labels/classes/merge", json={"sources": ["sign"], "target": "car"})
    assert r.json()["moved"] == 1
    names = [c["name"] for c in client.get("/api/labels/classes").json()["classes"]]
    assert "sign" not in names
    retired = client.get("/api/labels/classes?include_retired=true").json()["classes"]
    assert [c["retired"] for c in retired if c["name"] == "sign"] == [True]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("a/b", "slash"),
        ("..\\x", "slash"),
        ("..", "path part"),
        ("  ", "empty"),
        ("x\x00", "control"),
    ],
)
def test_bad_and_path_like_class_names_are_refused(client: TestClient, name: str, why: str):
    r = client.post("/api/labels/classes", json={"name": name}, headers=SAME_ORIGIN)
    assert r.status_code == 400 and why in r.json()["error"]
    r = client.post(
        "/api/labels/tasks/1/boxes", json={"label": name, "x": 1, "y": 1, "w": 2, "h": 2}
    )
    assert r.status_code == 400


# --- tasks ------------------------------------------------------------------------------------


def test_task_list_filters_paging_and_counts(client: TestClient):
    page = client.get("/api/labels/tasks?limit=3").json()
    assert (page["total"], len(page["items"]), page["has_more"]) == (N_TASKS + 2, 3, True)
    assert "gaze" not in page["items"][0]
    last = client.get(f"/api/labels/tasks?limit=3&offset={N_TASKS}").json()
    assert [t["id"] for t in last["items"]] == [N_TASKS + 1, N_TASKS + 2] and not last["has_more"]
    assert client.get("/api/labels/tasks?recording=r2").json()["total"] == 2
    _box(client, task=2, label="person")
    client.post("/api/labels/tasks/2/status", json={"status": "finished"})
    by_label = client.get("/api/labels/tasks?label=person").json()
    assert [t["id"] for t in by_label["items"]] == [2] and by_label["items"][0]["labels"] == [
        "person"
    ]
    done = client.get("/api/labels/tasks?status=finished&recording=r1").json()
    assert done["total"] == 1
    assert done["counts"] == {"draft": N_TASKS - 1, "finished": 1, "reviewed": 0}
    empty = client.get("/api/labels/tasks?status=&label=&recording=").json()
    assert empty["total"] == N_TASKS + 2  # empty filters are no filters


def test_task_list_errors(client: TestClient):
    r = client.get("/api/labels/tasks?status=done")
    assert r.status_code == 400 and "not one of draft" in r.json()["error"]
    r = client.get("/api/labels/tasks?label=tree")
    assert r.status_code == 404 and "no class 'tree'" in r.json()["error"]
    assert client.get("/api/labels/tasks?limit=0").status_code == 400


def test_one_task_with_gaze_fixation_and_neighbours(client: TestClient):
    t = client.get("/api/labels/tasks/1").json()
    assert (t["width"], t["height"]) == SIZE and t["recording"] == "recs/r1"
    assert t["fixation"]["id"] >= 1 and len(t["gaze"]) >= 1
    assert (t["prev"], t["next"]) == (None, 2)
    client.post("/api/labels/tasks/2/status", json={"status": "finished"})
    t = client.get("/api/labels/tasks/3?status=draft").json()
    assert (t["prev"], t["next"]) == (1, 4)  # 2 is finished: skipped under the filter
    t = client.get(f"/api/labels/tasks/{N_TASKS}?recording=r1").json()
    assert t["next"] is None


def test_unknown_task_is_404_everywhere(client: TestClient):
    for method, path in [
        ("get", "/api/labels/tasks/99"), ("get", "/api/labels/tasks/99/image.jpg"),
        ("get", "/api/labels/tasks/99/reviews"), ("post", "/api/labels/tasks/99/suggest"),
    ]:  # fmt: skip
        r = getattr(client, method)(path)
        assert r.status_code == 404 and "no task 99" in r.json()["error"], path
    r = client.post("/api/labels/tasks/99/status", json={"status": "finished"})
    assert r.status_code == 404
    r = client.post(
        "/api/labels/tasks/99/boxes", json={"label": "car", "x": 1, "y": 1, "w": 2, "h": 2}
    )
    assert r.status_code == 404


def test_task_image_is_the_frame_at_full_resolution(client: TestClient):
    r = client.get("/api/labels/tasks/1/image.jpg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (SIZE[1], SIZE[0], 3)
    again = client.get("/api/labels/tasks/1/image.jpg")  # from the cache
    assert again.content == r.content
    other = client.get("/api/labels/tasks/2/image.jpg")  # another frame
    assert other.status_code == 200 and other.content != r.content


def test_task_image_outside_the_served_root(study: LabelStudy, tmp_path: Path):
    inner = study.root / "recs"
    with make_client(
        LabelStudy(inner / "r2", study.rec, study.other, study.db), tmp_path / "c"
    ) as c:
        r = c.get("/api/labels/tasks/1/image.jpg")  # r1 is not below recs/r2
        assert r.status_code == 400 and "outside the folder this server serves" in r.json()["error"]


def test_status_review_and_history(client: TestClient):
    r = client.post("/api/labels/tasks/1/status", json={"status": "finished", "by": "ana"})
    assert r.json()["task"]["status"] == "finished"
    r = client.post(
        "/api/labels/tasks/1/status", json={"status": "draft", "by": "bo", "comment": "box too big"}
    )
    assert r.json()["review"]["from_status"] == "finished"
    client.post("/api/labels/tasks/1/status", json={"status": "reviewed", "by": "bo"})
    history = client.get("/api/labels/tasks/1/reviews").json()["reviews"]
    assert [(h["to_status"], h["who"], h["comment"]) for h in history] == [
        ("finished", "ana", None), ("draft", "bo", "box too big"), ("reviewed", "bo", None),
    ]  # fmt: skip
    r = client.post("/api/labels/tasks/1/status", json={"status": "done"})
    assert r.status_code == 400 and "status" in r.json()["error"]


# --- boxes ------------------------------------------------------------------------------------


def test_box_crud(client: TestClient):
    box = _box(client, tags=["occluded"], confidence=0.5)
    assert (box["x"], box["y"], box["w"], box["h"], box["label"]) == (10, 20, 30, 40, "car")
    assert box["tags"] == ["occluded"] and box["source"] == "manual"
    url = f"/api/labels/tasks/1/boxes/{box['id']}"
    moved = client.patch(url, json={"x": 1, "y": 2, "w": 3, "h": 4}, headers=SAME_ORIGIN).json()
    assert (moved["x"], moved["y"], moved["w"], moved["h"]) == (1, 2, 3, 4)
    relabel = client.patch(url, json={"label": "person", "tags": []}).json()
    assert relabel["label"] == "person" and relabel["tags"] == [] and relabel["x"] == 1
    assert client.get("/api/labels/tasks/1").json()["boxes"][0]["label"] == "person"
    assert client.delete(url, headers=SAME_ORIGIN).json() == {"deleted": box["id"]}
    assert client.get("/api/labels/tasks/1").json()["boxes"] == []
    r = client.delete(url)
    assert r.status_code == 404 and f"no box {box['id']}" in r.json()["error"]


def test_box_errors(client: TestClient):
    box = _box(client)
    url = f"/api/labels/tasks/1/boxes/{box['id']}"
    r = client.patch(url, json={"x": 5})
    assert r.status_code == 400 and "all of x, y, w and h" in r.json()["error"]
    r = client.patch(url, json={"x": 1, "y": 1, "w": 0, "h": 4})
    assert r.status_code == 400 and "above 0" in r.json()["error"]
    assert client.patch(url, json={"source": "robot"}).status_code == 400
    assert client.patch(url, json={"label": "tree"}).status_code == 404
    assert client.patch("/api/labels/tasks/1/boxes/999", json={"label": "car"}).status_code == 404
    assert client.patch(f"/api/labels/tasks/2/boxes/{box['id']}", json={}).status_code == 404
    r = client.post(
        "/api/labels/tasks/1/boxes", json={"label": "car", "x": "a", "y": 1, "w": 1, "h": 1}
    )
    assert r.status_code == 400 and "'x'" in r.json()["error"]
    r = client.post(
        "/api/labels/tasks/1/boxes",
        json={"label": "car", "x": 1, "y": 1, "w": 1, "h": 1, "confidence": 2},
    )
    assert r.status_code == 400 and "outside 0 to 1" in r.json()["error"]


def test_accepting_an_import_makes_it_manual(client: TestClient):
    box = _box(client, source="import", confidence=0.7)
    r = client.patch(f"/api/labels/tasks/1/boxes/{box['id']}", json={"source": "manual"})
    assert r.json()["source"] == "manual" and r.json()["confidence"] == 0.7


def test_cross_origin_writes_are_refused(client: TestClient):
    r = client.post(
        "/api/labels/tasks/1/boxes", json={"label": "car", "x": 1, "y": 1, "w": 2, "h": 2},
        headers={"Origin": "http://evil.example"},
    )  # fmt: skip
    assert r.status_code == 403
    assert client.get("/api/labels/tasks/1").json()["boxes"] == []


# --- suggestions and tracks ---------------------------------------------------------------------


def test_suggest_at_the_fixation(client: TestClient):
    t = client.get("/api/labels/tasks/1").json()
    s = client.post("/api/labels/tasks/1/suggest", json={"size_px": 40}).json()
    assert s["basis"] == "fixation" and s["source"] == "suggested"
    assert s["x"] + 20 == pytest.approx(t["fixation"]["x"]) or s["x"] in (0, SIZE[0] - 40)
    assert client.get("/api/labels/tasks/1").json()["boxes"] == []  # not stored
    saved = client.post("/api/labels/tasks/1/suggest", json={"save": True, "label": "car"}).json()
    assert saved["box"]["source"] == "suggested"
    r = client.post("/api/labels/tasks/1/suggest", json={"save": True})
    assert r.status_code == 400 and "Name the class" in r.json()["error"]
    r = client.post("/api/labels/tasks/1/suggest", json={"size_px": -3})
    assert r.status_code == 400


def test_suggest_on_a_frame_without_gaze(client: TestClient, study: LabelStudy):
    with sqlite3.connect(study.db) as c:
        c.execute("UPDATE tasks SET gaze = '[]', fixation_id = NULL, fixation_x = NULL, "
                  "fixation_y = NULL WHERE id = 7")  # fmt: skip
    r = client.post("/api/labels/tasks/7/suggest")
    assert r.status_code == 400 and "neither a fixation nor gaze" in r.json()["error"]


def test_tracks(client: TestClient):
    a = _box(client, task=1, x=0, y=0, w=10, h=10)
    b = _box(client, task=4, x=30, y=30, w=40, h=40)
    body = {"first": {"task_id": 1, "box_id": a["id"]}, "last": {"task_id": 4, "box_id": b["id"]}}
    r = client.post("/api/labels/tracks", json=body, headers=SAME_ORIGIN).json()
    assert [x["task_id"] for x in r["boxes"]] == [2, 3]
    assert {x["source"] for x in r["boxes"]} == {"interpolated"}
    assert r["keyframes"][0]["track_id"] == r["track_id"]
    assert client.get("/api/labels/tasks/2").json()["boxes"][0]["track_id"] == r["track_id"]
    c = _box(client, task=N_TASKS + 1)
    body["last"] = {"task_id": N_TASKS + 1, "box_id": c["id"]}
    r2 = client.post("/api/labels/tracks", json=body)
    assert r2.status_code == 400 and "different recordings" in r2.json()["error"]
    body["last"] = {"task_id": 4, "box_id": 999}
    assert client.post("/api/labels/tracks", json=body).status_code == 404


# --- import, stats, locks -------------------------------------------------------------------


def test_import_coco_results(client: TestClient):
    preds = [{"image_id": 1, "category_id": 2, "bbox": [5, 6, 20, 30], "score": 0.9},
             {"image_id": 42, "category_id": 1, "bbox": [5, 6, 20, 30], "score": 0.4}]  # fmt: skip
    files = {"file": ("model.json", json.dumps(preds), "application/json")}
    r = client.post("/api/labels/import", files=files, data={"format": "coco"}, headers=SAME_ORIGIN)
    assert r.status_code == 200, r.text
    assert (r.json()["imported"], r.json()["unmatched_images"]) == (1, 1)
    (box,) = client.get("/api/labels/tasks/1").json()["boxes"]
    assert (box["label"], box["source"], box["confidence"], box["author"]) == (
        "person", "import", 0.9, "model",
    )  # fmt: skip


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_import_yolo_zip(client: TestClient):
    frame = client.get("/api/labels/tasks/2").json()["frame_index"]
    data = _zip(
        {
            "labels/classes.txt": "car\nperson\n",
            f"labels/r1_{frame:06d}.txt": "1 0.5 0.5 0.25 0.5 0.8\n",
        }
    )
    files = {"file": ("preds.zip", data, "application/zip")}
    r = client.post("/api/labels/import", files=files, data={"format": "yolo", "source": "yolo11"})
    assert r.json()["imported"] == 1, r.json()
    (box,) = client.get("/api/labels/tasks/2").json()["boxes"]
    assert box["label"] == "person" and box["author"] == "yolo11"
    assert (box["x"], box["w"]) == pytest.approx((0.375 * SIZE[0], 0.25 * SIZE[0]))


def test_import_errors(client: TestClient):
    bad = {"file": ("p.zip", _zip({"../evil.txt": "0 0.5 0.5 0.1 0.1"}), "application/zip")}
    r = client.post("/api/labels/import", files=bad, data={"format": "yolo"})
    assert r.status_code == 400 and "unsafe path" in r.json()["error"]
    r = client.post(
        "/api/labels/import", files={"file": ("p.zip", b"nope")}, data={"format": "yolo"}
    )
    assert r.status_code == 400 and "not a zip" in r.json()["error"]
    r = client.post(
        "/api/labels/import", files={"file": ("p.json", b"{}")}, data={"format": "coco"}
    )
    assert r.status_code in (400, 422) and "COCO" in r.json()["error"]
    r = client.post("/api/labels/import", files={"file": ("p.json", b"[]")}, data={"format": "voc"})
    assert r.status_code == 400
    big = {"file": ("big.json", b"[" + b" " * 70_000 + b"]", "application/json")}
    r = client.post("/api/labels/import", files=big, data={"format": "coco"})
    assert r.status_code == 413 and "error" in r.json()


def test_stats(client: TestClient):
    _box(client, task=1)
    _box(client, task=2, label="person")
    s = client.get("/api/labels/stats").json()
    assert (s["tasks"], s["boxes"]) == (N_TASKS + 2, 2)
    assert [c["boxes"] for c in s["by_class"]] == [1, 1, 0]


def test_locked_database_is_409(client: TestClient, study: LabelStudy):
    extras = client.app.state.gazeport.extras  # type: ignore[attr-defined]
    client.get("/api/labels/project")
    extras["labels"].close()
    extras["labels"] = open_store(study.db, timeout_s=0.2)
    other = sqlite3.connect(study.db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        r = client.post(
            "/api/labels/tasks/1/boxes", json={"label": "car", "x": 1, "y": 1, "w": 2, "h": 2}
        )
        assert r.status_code == 409 and "locked by another writer" in r.json()["error"]
        assert client.get("/api/labels/tasks/1").status_code == 200  # readers are not blocked
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _box(client)["id"] >= 1
