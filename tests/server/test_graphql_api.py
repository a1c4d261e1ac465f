"""``/graphql``: every query and mutation over the label store, paging and filters, frame tasks
from a synthetic recording with video, review history, box CRUD, errors as one sentence,
dataset export jobs, and the Guard's rules for POST /graphql."""

from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("strawberry")

with warnings.catch_warnings():  # Starlette >= 0.50 wants httpx2, which the venv lacks
    warnings.filterwarnings("ignore", message=".*install `httpx2` instead")
    from fastapi.testclient import TestClient
from gazeport.errors import LabelStoreLockedError
from gazeport.labels import init_store, open_store
from gazeport.server import create_app
from tests.label_factories import candidates, recording
from tests.scene_factories import core_with_video

#: The synthetic Core recordings have 2D gaze and no world.intrinsics (fixations say so).
pytestmark = pytest.mark.filterwarnings("ignore:.*has no usable world.intrinsics")

BASE_URL = "http://127.0.0.1:8642"
CORE_FRAMES = 30
TASK_FIELDS = "id recording recordingPath frameIndex status width height boxes { id label x y width height tags }"


@dataclass(frozen=True)
class Study:
    root: Path
    db: Path
    core: Path  # a Core recording with a 30-frame world video (160x120)
    fake: Path  # an empty folder the 12 factory tasks point at


def make_study(root: Path) -> Study:
    """``root/recs/core1`` (video), ``root/recs/fake`` (12 tasks, frames 0..110), the store."""
    core = core_with_video(root / "recs" / "core1", n_frames=CORE_FRAMES)
    fake = recording(root, "recs/fake")
    db = root / "study.sqlite"
    with init_store(db, ["car", "person", "sign"], name="Street") as store:
        store.add_tasks(candidates(fake, range(0, 120, 10)))
        for task_id in (1, 2, 3):
            store.add_box(task_id, "car", 10, 20, 30, 40)
        store.add_box(4, "person", 1, 1, 5, 5)
        store.set_status(5, "finished", by="ann")
    return Study(root, db, core, fake)


@pytest.fixture
def study(tmp_path: Path) -> Study:
    return make_study(tmp_path / "study")


@pytest.fixture
def client(study: Study, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(study.root, db=study.db, cache_dir=tmp_path / "cache")
    with TestClient(app, base_url=BASE_URL) as c:
        yield c


def gql(client: TestClient, query: str, headers: dict[str, str] | None = None, **variables: Any):
    """The ``data`` of a GraphQL call that must succeed."""
    r = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body.get("errors"), body
    return body["data"]


def gql_error(client: TestClient, query: str, **variables: Any) -> str:
    """The one error message of a GraphQL call that must fail (and had no traceback)."""
    r = client.post("/graphql", json={"query": query, "variables": variables})
    body = r.json()
    assert body.get("errors"), body
    assert "Traceback" not in r.text and 'File "' not in r.text
    assert len(body["errors"]) == 1
    message: str = body["errors"][0]["message"]
    return message


# --- queries ----------------------------------------------------------------------------------


def test_project_projects_and_classes(client: TestClient) -> None:
    data = gql(
        client,
        "{ project { id name taskCount database classes { id name } }"
        "  projects(limit: 10) { totalCount count hasMore objects { name } }"
        "  classes { id name retired } }",
    )
    assert data["project"] == {
        "id": 1, "name": "Street", "taskCount": 12, "database": "study.sqlite",
        "classes": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}, {"id": 3, "name": "sign"}],
    }  # fmt: skip
    assert data["projects"] == {
        "totalCount": 1, "count": 1, "hasMore": False, "objects": [{"name": "Street"}]
    }  # fmt: skip
    assert [c["name"] for c in data["classes"]] == ["car", "person", "sign"]


def test_tasks_pages_cover_every_task_once(client: TestClient) -> None:
    q = "query($o: Int!) { tasks(limit: 5, offset: $o) { objects { id } totalCount count limit offset hasMore } }"
    pages = [gql(client, q, o=o)["tasks"] for o in (0, 5, 10)]
    assert [p["count"] for p in pages] == [5, 5, 2]
    assert [p["hasMore"] for p in pages] == [True, True, False]
    assert {p["totalCount"] for p in pages} == {12}
    ids = [t["id"] for p in pages for t in p["objects"]]
    assert ids == list(range(1, 13))
    empty = gql(client, q, o=12)["tasks"]
    assert empty["objects"] == [] and empty["hasMore"] is False and empty["totalCount"] == 12


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{status: [FINISHED]}", [5]),
        ("{status: [DRAFT, FINISHED]}", list(range(1, 13))),
        ('{label: ["car"]}', [1, 2, 3]),
        ('{label: ["car", "person"]}', [1, 2, 3, 4]),
        ('{label: ["car"], status: [FINISHED]}', []),
        ('{recording: "fake"}', list(range(1, 13))),
        ('{recording: "recs/f*"}', list(range(1, 13))),
        ('{recording: "core1"}', []),
    ],
    ids=[
        "status",
        "statuses",
        "label",
        "labels",
        "label-and-status",
        "folder",
        "glob",
        "other-rec",
    ],
)
def test_task_filters(client: TestClient, query: str, expected: list[int]) -> None:
    data = gql(client, f"{{ tasks(limit: 100, query: {query}) {{ totalCount objects {{ id }} }} }}")
    assert [t["id"] for t in data["tasks"]["objects"]] == expected
    assert data["tasks"]["totalCount"] == len(expected)


def test_filtered_paging(client: TestClient) -> None:
    q = '{ tasks(limit: 2, offset: 2, query: {label: ["car"]}) { objects { id } totalCount hasMore } }'
    assert gql(client, q)["tasks"] == {"objects": [{"id": 3}], "totalCount": 3, "hasMore": False}


def test_task_by_id(client: TestClient) -> None:
    t = gql(client, f"{{ task(id: 1) {{ {TASK_FIELDS} timestampNs gaze {{ x y }} fixationId }} }}")
    task = t["task"]
    assert task["recording"] == "recs/fake" and task["recordingPath"] == "recs/fake"
    assert task["frameIndex"] == 0 and task["status"] == "DRAFT"
    assert (task["width"], task["height"]) == (1600, 1200)
    assert task["boxes"] == [
        {"id": 1, "label": "car", "x": 10.0, "y": 20.0, "width": 30.0, "height": 40.0, "tags": []}
    ]
    assert task["timestampNs"] == "1700000000000000000"  # exact: 19 digits survive as text
    assert len(task["gaze"]) == 2 and task["fixationId"] == 1


# --- createTask -------------------------------------------------------------------------------

CREATE = f"""mutation($input: CreateTaskInput!) {{ createTask(input: $input) {{ {TASK_FIELDS}
  recordingId reviews {{ toStatus who comment }} }} }}"""


def test_create_task_from_a_recording_frame(client: TestClient, study: Study) -> None:
    box = {"label": "sign", "x": 5, "y": 6, "width": 20, "height": 10, "tags": ["far"]}
    data = gql(client, CREATE, input={"recording": "recs/core1", "frame": 7, "boxes": [box]})
    task = data["createTask"]
    assert task["id"] == 13 and task["frameIndex"] == 7
    assert task["recording"] == "recs/core1" and task["recordingPath"] == "recs/core1"
    assert (task["width"], task["height"]) == (160, 120)  # the video's real size
    assert [(b["label"], b["tags"]) for b in task["boxes"]] == [("sign", ["far"])]
    assert task["status"] == "DRAFT" and task["reviews"] == []
    with open_store(study.db) as store:  # really in the store, for the CLI too
        stored = store.task(13)
        assert stored.frame_index == 7 and stored.recording_dir == study.core.resolve()


def test_create_task_with_status_records_the_review(client: TestClient) -> None:
    data = gql(client, CREATE, input={
        "recording": "recs/core1", "frame": 3, "status": "FINISHED", "reviewer": "ann",
        "comment": "quick one",
    })  # fmt: skip
    assert data["createTask"]["status"] == "FINISHED"
    assert data["createTask"]["reviews"] == [
        {"toStatus": "FINISHED", "who": "ann", "comment": "quick one"}
    ]


@pytest.mark.parametrize(
    ("recording", "frame", "match"),
    [
        ("../outside", 1, "goes up with '..'"),
        ("recs/../../x", 1, "goes up with '..'"),
        ("/etc", 1, "absolute"),
        ("recs/nothing", 1, "no recording folder"),
        ("recs/core1", 99, "outside core1, whose frames are 0 to 29"),
        ("recs/core1", -1, "outside core1"),
    ],
    ids=["dotdot", "dotdot-inner", "absolute", "missing", "frame-too-big", "frame-negative"],
)
def test_create_task_bad_input(client: TestClient, recording: str, frame: int, match: str) -> None:
    message = gql_error(client, CREATE, input={"recording": recording, "frame": frame})
    assert match in message
    assert gql(client, "{ project { taskCount } }")["project"]["taskCount"] == 12


def test_create_task_twice_and_with_a_bad_label_changes_nothing(client: TestClient) -> None:
    gql(client, CREATE, input={"recording": "recs/core1", "frame": 2})
    assert "already task 13" in gql_error(
        client, CREATE, input={"recording": "recs/core1", "frame": 2}
    )
    bad = {"label": "truck", "x": 1, "y": 1, "width": 2, "height": 2}
    message = gql_error(
        client, CREATE, input={"recording": "recs/core1", "frame": 4, "boxes": [bad]}
    )
    assert "no class 'truck'" in message and "car, person, sign" in message
    bad = {**bad, "label": "car", "width": -2}
    message = gql_error(
        client, CREATE, input={"recording": "recs/core1", "frame": 4, "boxes": [bad]}
    )
    assert "zero or negative size" in message
    total = gql(client, '{ tasks(query: {recording: "core1"}) { totalCount } }')
    assert total["tasks"]["totalCount"] == 1
    assert (
        gql(client, CREATE, input={"recording": "recs/core1", "frame": 4})["createTask"]["id"] == 14
    )


# --- updateTask, deleteTask -------------------------------------------------------------------

UPDATE = f"""mutation($id: Int!, $input: UpdateTaskInput!) {{ updateTask(id: $id, input: $input) {{
  {TASK_FIELDS} reviews {{ fromStatus toStatus who comment at }} }} }}"""


def test_update_status_keeps_the_review_history(client: TestClient) -> None:
    gql(client, UPDATE, id=2, input={"status": "FINISHED", "reviewer": "ann"})
    gql(client, UPDATE, id=2, input={"status": "REVIEWED", "reviewer": "bob", "comment": "ok"})
    task = gql(client, UPDATE, id=2, input={"status": "DRAFT", "reviewer": "bob",
                                            "comment": "missed a sign"})["updateTask"]  # fmt: skip
    assert task["status"] == "DRAFT"
    assert [(r["fromStatus"], r["toStatus"], r["who"], r["comment"]) for r in task["reviews"]] == [
        ("DRAFT", "FINISHED", "ann", None), ("FINISHED", "REVIEWED", "bob", "ok"),
        ("REVIEWED", "DRAFT", "bob", "missed a sign"),
    ]  # fmt: skip
    assert all(r["at"].endswith("Z") for r in task["reviews"])


def test_update_task_adds_removes_and_replaces_boxes(client: TestClient) -> None:
    person = {"label": "person", "x": 100, "y": 100, "width": 50, "height": 80}
    task = gql(client, UPDATE, id=1, input={"addBoxes": [person]})["updateTask"]
    assert [b["label"] for b in task["boxes"]] == ["car", "person"]
    task = gql(client, UPDATE, id=1, input={"removeBoxIds": [1]})["updateTask"]
    assert [b["label"] for b in task["boxes"]] == ["person"]
    sign = {"label": "Sign", "x": 0, "y": 0, "width": 9, "height": 9, "tags": ["a", "b"]}
    task = gql(client, UPDATE, id=1, input={"boxes": [sign, person]})["updateTask"]
    assert [(b["label"], b["tags"]) for b in task["boxes"]] == [
        ("sign", ["a", "b"]),
        ("person", []),
    ]
    assert task["status"] == "DRAFT"  # no status given: unchanged


def test_update_task_bad_input_changes_nothing(client: TestClient) -> None:
    bad_label = {"label": "truck", "x": 0, "y": 0, "width": 9, "height": 9}
    assert "no class 'truck'" in gql_error(client, UPDATE, id=1, input={"boxes": [bad_label]})
    bad_size = {"label": "car", "x": 0, "y": 0, "width": 0, "height": 9}
    assert "zero or negative size" in gql_error(
        client, UPDATE, id=1, input={"addBoxes": [bad_size]}
    )
    assert "has no box 4" in gql_error(client, UPDATE, id=1, input={"removeBoxIds": [4]})
    assert "no task 99" in gql_error(client, UPDATE, id=99, input={"status": "FINISHED"})
    assert "TaskStatus" in gql_error(client, UPDATE, id=1, input={"status": "DONE"})
    task = gql(client, f"{{ task(id: 1) {{ {TASK_FIELDS} }} }}")["task"]
    assert [b["id"] for b in task["boxes"]] == [1] and task["status"] == "DRAFT"


def test_delete_task_cascades(client: TestClient, study: Study) -> None:
    gql(client, UPDATE, id=3, input={"status": "FINISHED"})
    assert gql(client, "mutation { deleteTask(id: 3) }") == {"deleteTask": True}
    assert "no task 3" in gql_error(client, "{ task(id: 3) { id } }")
    assert "no task 3" in gql_error(client, "mutation { deleteTask(id: 3) }")
    assert (
        gql(client, '{ tasks(query: {label: ["car"]}) { totalCount } }')["tasks"]["totalCount"] == 2
    )
    with open_store(study.db) as store:
        assert [r.task_id for r in store.reviews()] == [5]


# --- boxes ------------------------------------------------------------------------------------

BOX = "id taskId label x y width height tags confidence source gazeHits fixationId"


def test_box_crud(client: TestClient) -> None:
    created = gql(
        client,
        f"mutation($b: BoxInput!) {{ createBox(taskId: 6, input: $b) {{ {BOX} }} }}",
        b={"label": "car", "x": 100, "y": 200, "width": 50, "height": 40, "confidence": 0.5,
           "tags": ["parked"], "source": "SUGGESTED"},
    )["createBox"]  # fmt: skip
    assert created["taskId"] == 6 and created["label"] == "car" and created["source"] == "SUGGESTED"
    assert created["gazeHits"] == 1 and created["fixationId"] == 1  # gaze (110, 210) lies inside
    box_id = created["id"]
    moved = gql(
        client,
        f"mutation($p: BoxPatch!) {{ updateBox(taskId: 6, id: {box_id}, input: $p) {{ {BOX} }} }}",
        p={"label": "person", "x": 500},
    )["updateBox"]
    assert (moved["label"], moved["x"], moved["y"], moved["width"]) == (
        "person",
        500.0,
        200.0,
        50.0,
    )
    assert moved["tags"] == ["parked"] and moved["gazeHits"] == 0  # the gaze no longer inside
    assert gql(client, f"mutation {{ deleteBox(taskId: 6, id: {box_id}) }}") == {"deleteBox": True}
    assert gql(client, "{ task(id: 6) { boxes { id } } }")["task"]["boxes"] == []
    assert f"has no box {box_id}" in gql_error(
        client, f"mutation {{ deleteBox(taskId: 6, id: {box_id}) }}"
    )


def test_box_errors(client: TestClient) -> None:
    q = "mutation($b: BoxInput!) { createBox(taskId: 1, input: $b) { id } }"
    box = {"label": "car", "x": 0, "y": 0, "width": 5, "height": 5}
    assert "no class 'bus'" in gql_error(client, q, b={**box, "label": "bus"})
    assert "no task 50" in gql_error(
        client, "mutation($b: BoxInput!) { createBox(taskId: 50, input: $b) { id } }", b=box
    )
    assert "confidence" in gql_error(client, q, b={**box, "confidence": 3})
    patch = "mutation { updateBox(taskId: 2, id: 1, input: {x: 1}) { id } }"  # box 1 is task 1's
    assert "has no box 1" in gql_error(client, patch)


# --- errors and limits ------------------------------------------------------------------------


def test_unknown_task_and_bad_page(client: TestClient) -> None:
    assert gql_error(client, "{ task(id: 404) { id } }").startswith("There is no task 404")
    assert "between 0 and 1000" in gql_error(client, "{ tasks(limit: 5000) { count } }")
    assert "0 or more" in gql_error(client, "{ tasks(offset: -1) { count } }")
    assert "no class 'bus'" in gql_error(client, '{ tasks(query: {label: ["bus"]}) { count } }')
    assert "Cannot query field" in gql_error(client, "{ nonsense }")


def test_unexpected_errors_are_masked(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from gazeport.labels import LabelStore

    def boom(self: object, *a: object, **k: object) -> None:
        raise RuntimeError("secret internal detail /home/x")

    monkeypatch.setattr(LabelStore, "count_tasks", boom)
    message = gql_error(client, "{ tasks { count } }")
    assert "secret" not in message and "log has the details" in message


def test_no_label_store(study: Study, tmp_path: Path) -> None:
    with TestClient(create_app(study.root, cache_dir=tmp_path / "c"), base_url=BASE_URL) as c:
        assert "gazeport serve --db" in gql_error(c, "{ project { name } }")


def test_get_runs_queries_not_mutations_and_serves_no_ide(client: TestClient) -> None:
    r = client.get("/graphql", params={"query": "{ project { name } }"})
    assert r.status_code == 200 and r.json()["data"]["project"]["name"] == "Street"
    r = client.get("/graphql", params={"query": "mutation { deleteTask(id: 1) }"})
    assert r.status_code == 400 and "cannot be sent with GET" in r.json()["error"]
    assert gql(client, "{ task(id: 1) { id } }")["task"]["id"] == 1
    page = client.get("/graphql", headers={"Accept": "text/html"})  # no GraphiQL: it needs a CDN
    assert page.status_code == 404 and "no GraphiQL page" in page.json()["error"]
    assert "unpkg" not in page.text


@pytest.mark.parametrize(
    ("content", "content_type", "match"),
    [(b"{bad json", "application/json", "Unable to parse"),
     (b"query={x}", "text/plain", "Unsupported content type")],
    ids=["bad-json", "text-plain"],
)  # fmt: skip
def test_unreadable_requests_are_json_sentences(
    client: TestClient, content: bytes, content_type: str, match: str
) -> None:
    r = client.post("/graphql", content=content, headers={"Content-Type": content_type})
    assert r.status_code == 400 and match in r.json()["error"]
    assert r.json()["error"].endswith(".")


# --- the Guard --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://evil.com"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}],
    ids=["other-origin", "cross-site", "null-origin"],
)
def test_cross_origin_post_is_refused(client: TestClient, headers: dict[str, str]) -> None:
    r = client.post("/graphql", json={"query": "mutation { deleteTask(id: 1) }"}, headers=headers)
    assert r.status_code == 403 and "may not change anything" in r.json()["error"]
    assert gql(client, "{ task(id: 1) { id } }")["task"]["id"] == 1


def test_same_origin_post_passes(client: TestClient) -> None:
    data = gql(client, "mutation { deleteTask(id: 1) }", headers={"Origin": BASE_URL})
    assert data == {"deleteTask": True}


def test_token_is_required(study: Study, tmp_path: Path) -> None:
    app = create_app(study.root, db=study.db, cache_dir=tmp_path / "c", token="tok", host="0.0.0.0")
    with TestClient(app, base_url=BASE_URL) as c:
        body = {"query": "{ project { name } }"}
        assert c.post("/graphql", json=body).status_code == 401
        r = c.post("/graphql", json=body, headers={"Authorization": "Bearer tok"})
        assert r.json()["data"]["project"]["name"] == "Street"


# --- datasetExport ----------------------------------------------------------------------------

EXPORT = """mutation($input: DatasetExportInput!) { datasetExport(input: $input) {
  jobId status format outDir } }"""
JOB = "query($id: String!) { datasetExportJob(id: $id) { jobId status outDir done total progress error tasks boxes splits } }"


def _wait(client: TestClient) -> None:
    """Until every job of the app's registry has finished."""
    registry = client.app.state.gazeport.extras["jobs"]  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while registry.busy():
        assert time.monotonic() < deadline, "the exports did not finish"
        time.sleep(0.05)


def _labelled_core_tasks(client: TestClient) -> None:
    car = {"label": "car", "x": 10, "y": 10, "width": 40, "height": 30}
    for frame in (3, 9, 15):
        gql(client, CREATE, input={"recording": "recs/core1", "frame": frame, "boxes": [car]})


def test_dataset_export_runs_to_completion_yolo(client: TestClient, study: Study) -> None:
    _labelled_core_tasks(client)
    started = gql(client, EXPORT, input={
        "format": "YOLO", "outDir": "datasets/yolo", "recording": "core1", "split": "train=100",
    })["datasetExport"]  # fmt: skip
    assert started["status"] in ("queued", "running", "done")
    assert started["format"] == "yolo" and started["outDir"] == "datasets/yolo"
    _wait(client)
    job = gql(client, JOB, id=started["jobId"])["datasetExportJob"]
    assert job["status"] == "done", job
    assert (job["tasks"], job["boxes"], job["error"], job["progress"]) == (3, 3, None, 1.0)
    assert job["splits"] == {"train": 3}
    out = study.root / "datasets" / "yolo"
    assert sorted(p.name for p in (out / "images" / "train").iterdir()) == [
        "core1_000003.jpg", "core1_000009.jpg", "core1_000015.jpg",
    ]  # fmt: skip
    labels = sorted((out / "labels" / "train").glob("*.txt"))
    assert len(labels) == 3 and all(p.read_text().startswith("0 ") for p in labels)
    assert (out / "data.yaml").is_file() and (out / "manifest.json").is_file()


def test_dataset_export_coco_without_images(client: TestClient, study: Study) -> None:
    started = gql(client, EXPORT, input={"format": "COCO", "includeImages": False,
                                         "status": ["DRAFT"]})["datasetExport"]  # fmt: skip
    _wait(client)
    job = gql(client, JOB, id=started["jobId"])["datasetExportJob"]
    assert job["status"] == "done" and job["outDir"] == "datasets/coco" and job["tasks"] == 11
    files = list((study.root / "datasets" / "coco").rglob("*.json"))
    coco = json.loads(next(p for p in files if p.name != "manifest.json").read_text())
    assert [c["name"] for c in coco["categories"]] == ["car", "person", "sign"]
    assert len(coco["images"]) == 11 and len(coco["annotations"]) == 4


@pytest.mark.parametrize(
    ("input", "match"),
    [
        ({"outDir": "../elsewhere"}, "goes up with '..'"),
        ({"outDir": "."}, "served folder itself"),
        ({"outDir": "recs/core1/exports/ds"}, "never writes datasets into recordings"),
        ({"outDir": "recs"}, "never writes datasets into recordings"),
        ({"outDir": "notes"}, "not a gazeport dataset export"),
        ({"split": "train=50,holdout=50"}, "split"),
        ({"imageFormat": "gif"}, "image format"),
        ({"minSize": "big"}, "minimum size"),
        ({"categoryMap": ["car"]}, "categoryMap must be a JSON object"),
        ({"labels": ["nope"]}, "names no class 'nope'"),
    ],
    ids=["dotdot", "root", "in-recording", "holds-recording", "foreign-folder", "split",
         "image-format", "min-size", "category-map", "label"],
)  # fmt: skip
def test_dataset_export_bad_input(
    client: TestClient, study: Study, input: dict, match: str
) -> None:
    (study.root / "notes").mkdir()
    (study.root / "notes" / "todo.txt").write_text("keep me")
    message = gql_error(client, EXPORT, input={"format": "COCO", **input})
    assert match in message
    assert (study.root / "notes" / "todo.txt").read_text() == "keep me"
    assert not (study.root / "datasets").exists()


@pytest.mark.parametrize(
    ("error", "match"),
    [
        (LabelStoreLockedError("The label store is locked by another writer."), "locked"),
        (RuntimeError("secret /internal/path"), "failed unexpectedly (RuntimeError)"),
    ],
    ids=["gazeport-error", "unexpected"],
)
def test_failed_export_job_has_a_sentence(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, error: Exception, match: str
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr("gazeport.server.dataset_jobs.export_store", fail)
    started = gql(client, EXPORT, input={"format": "CSV"})["datasetExport"]
    _wait(client)
    job = gql(client, JOB, id=started["jobId"])["datasetExportJob"]
    assert job["status"] == "failed" and match in job["error"]
    assert "secret" not in job["error"]


def test_unknown_export_job(client: TestClient) -> None:
    assert "no dataset export job 'abc'" in gql_error(client, JOB, id="abc")


def test_export_is_a_job_of_the_apps_registry(client: TestClient, study: Study) -> None:
    """The same job as POST /api/datasets/exports: listed in /api/jobs, with its zip."""
    started = gql(client, EXPORT, input={"format": "VOC", "split": "train=80,val=20"})
    jid = started["datasetExport"]["jobId"]
    assert started["datasetExport"]["outDir"] == "datasets/voc"
    _wait(client)
    listed = {j["id"]: j for j in client.get("/api/jobs").json()["jobs"]}
    assert listed[jid]["status"] == "completed" and listed[jid]["format"] == "voc"
    assert (study.root / "datasets" / "voc" / "manifest.json").is_file()
    assert client.get(f"/api/datasets/exports/{jid}/download").status_code == 200
    job = gql(client, JOB, id=jid)["datasetExportJob"]
    assert (job["status"], job["progress"], job["outDir"]) == ("done", 1.0, "datasets/voc")
    recording_export = client.post(
        f"/api/recordings/{client.get('/api/recordings').json()['recordings'][0]['id']}/exports",
        json={"exporters": ["blinks"]},
    ).json()["job_id"]
    assert "no dataset export job" in gql_error(client, JOB, id=recording_export)
    assert "no dataset export job" in gql_error(client, JOB, id="job-3")


def test_project_by_id_and_request_limits(client: TestClient) -> None:
    assert gql(client, "{ project(id: 1) { name } }")["project"]["name"] == "Street"
    assert "no project 2" in gql_error(client, "{ project(id: 2) { name } }")
    many = " ".join(f"a{i}: tasks(limit: 1000) {{ count }}" for i in range(25))
    assert "aliases" in gql_error(client, f"{{ {many} }}").lower()
    assert gql(client, "{ tasks { objects { boxes { id } reviews { id } } } }")["tasks"]


def test_create_task_on_a_neon_recording(client: TestClient, study: Study) -> None:
    from tests.scene_factories import NEON_SIZE, neon_with_video

    neon_with_video(study.root / "recs" / "neon1", parts=((0.5, 1.0),), video_parts=(1,))
    message = gql_error(client, CREATE, input={"recording": "recs/neon1", "frame": 5})
    assert "gray frame" in message  # before the scene camera's first frame (0.5 s)
    task = gql(client, CREATE, input={"recording": "recs/neon1", "frame": 25})["createTask"]
    assert (task["width"], task["height"]) == NEON_SIZE and task["frameIndex"] == 25
    assert task["recordingPath"] == "recs/neon1" and task["recordingId"]


def test_second_export_into_a_busy_folder_is_refused(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def slow(*args: object, **kwargs: object) -> None:
        release.wait(30)
        raise LabelStoreLockedError("The label store is locked by another writer.")

    monkeypatch.setattr("gazeport.server.dataset_jobs.export_store", slow)
    first = gql(client, EXPORT, input={"format": "CSV"})["datasetExport"]
    try:
        message = gql_error(client, EXPORT, input={"format": "CSV"})
        assert f"export {first['jobId']} is still writing csv" in message
        other = gql(client, EXPORT, input={"format": "CSV", "outDir": "datasets/csv2"})
        assert other["datasetExport"]["jobId"] != first["jobId"]
    finally:
        release.set()
        _wait(client)
    assert gql(client, JOB, id=first["jobId"])["datasetExportJob"]["status"] == "failed"
    assert gql(client, EXPORT, input={"format": "CSV"})["datasetExport"]["jobId"]  # free again
    _wait(client)


def test_symlink_out_of_the_root_is_refused(
    client: TestClient, study: Study, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    core_with_video(outside / "rec", n_frames=5)
    (study.root / "recs" / "link").symlink_to(outside / "rec")
    message = gql_error(client, CREATE, input={"recording": "recs/link", "frame": 1})
    assert "outside the served folder through a symbolic link" in message
    (study.root / "out").symlink_to(outside)
    message = gql_error(client, EXPORT, input={"format": "COCO", "outDir": "out/ds"})
    assert "symbolic link" in message and not (outside / "ds").exists()


def test_nesting_deeper_than_the_limit_is_refused(client: TestClient, monkeypatch) -> None:
    """The schema has no cycles, so no valid query reaches ``MAX_DEPTH`` (8) today; the limit
    guards against one that a later type (a task's recording's tasks ...) would allow."""
    from gazeport.server import graphql_schema

    assert gql(client, "{ tasks { objects { boxes { id } } } }")["tasks"]["objects"]  # depth 3
    monkeypatch.setattr(graphql_schema, "MAX_DEPTH", 2)
    deeper = "{ tasks { objects { boxes  { id } } } }"  # another text: not validated yet
    assert "depth" in gql_error(client, deeper).lower()
    assert gql(client, "{ tasks { objects { id } } }")["tasks"]  # depth 2 still answers
