"""Dataset exports over HTTP: ``gazeport dataset export`` as a job, its folder beside the label
store, the zip download, the CLI's option checks as 400s, cancel, and a server without --db."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

pytest.importorskip("fastapi")

from gazeport.server import dataset_jobs
from tests.factories import tree_hashes
from tests.server.jobs_factories import (
    Study,
    client_for,
    labelled_study,
    make_study,
    rid_of,
    wait_job,
)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> Study:
    """One labelled study for the module (each test exports into its own job folder)."""
    return labelled_study(tmp_path_factory.mktemp("ds") / "study")


@pytest.fixture
def client(labelled: Study, tmp_path: Path) -> Iterator[object]:
    with client_for(labelled, tmp_path / "cache") as c:
        yield c


def _zip_names(client, jid: str) -> tuple[set[str], zipfile.ZipFile]:
    r = client.get(f"/api/datasets/exports/{jid}/download")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert "attachment" in r.headers["content-disposition"]
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    return set(zf.namelist()), zf


def test_a_yolo_export_runs_as_a_job_and_downloads_as_a_zip(client, labelled) -> None:
    before = tree_hashes(labelled.core)
    r = client.post("/api/datasets/exports", json={"format": "yolo", "split": "train=80,val=20"})
    assert r.status_code == 202, r.text
    jid = r.json()["job_id"]
    snap = wait_job(client, jid)
    assert snap["status"] == "completed", snap
    assert snap["kind"] == "dataset" and snap["title"] == "YOLO dataset" and snap["progress"] == 1
    assert snap["out_dir"] == f"datasets/{jid}-yolo"  # beside labels.sqlite, not in a recording
    assert snap["download"] == f"/api/datasets/exports/{jid}/download"
    assert snap["result"]["images"] == 3 and snap["result"]["boxes"] == 2
    names, zf = _zip_names(client, jid)
    top = f"{jid}-yolo/"
    assert top + "data.yaml" in names
    images = {n for n in names if n.startswith(top + "images/") and n.endswith(".jpg")}
    labels = {n for n in names if n.startswith(top + "labels/") and n.endswith(".txt")}
    assert len(images) == 3 and len(labels) >= 2
    assert yaml.safe_load(zf.read(top + "data.yaml"))["names"] == {0: "car", 1: "person"}
    assert zf.read(sorted(images)[0])[:2] == b"\xff\xd8"  # a JPEG
    assert tree_hashes(labelled.core) == before  # the recording is never written
    again, _ = _zip_names(client, jid)  # the zip is made once, then sent again
    assert again == names
    assert client.get("/api/jobs").json()["jobs"][0]["id"] == jid
    info = client.get("/api/datasets/exports").json()
    assert (info["db"], info["out_dir"], info["problem"]) == ("labels.sqlite", "datasets", None)
    assert info["jobs"][0]["id"] == jid and all(j["kind"] == "dataset" for j in info["jobs"])


@pytest.mark.parametrize(
    ("body", "files"),
    [
        pytest.param({"format": "coco"}, {"annotations", "manifest.json"}, id="coco"),
        pytest.param({"format": "voc", "image_format": "png"}, {"JPEGImages"}, id="voc-png"),
        pytest.param({"format": "csv", "no_images": True, "coords": "normalized",
                      "status": ["draft"], "label": "car"}, {"annotations.csv"}, id="csv-filtered"),
    ],
)  # fmt: skip
def test_every_format_and_the_filters(client, body, files) -> None:
    jid = client.post("/api/datasets/exports", json=body).json()["job_id"]
    snap = wait_job(client, jid)
    assert snap["status"] == "completed", snap
    names, _ = _zip_names(client, jid)
    parts = {p for n in names for p in n.split("/")[1:2]}
    assert files <= parts, names
    if body.get("no_images"):
        assert not any(n.endswith((".jpg", ".png")) for n in names)
        assert snap["result"]["boxes"] == 1  # label=car keeps one of the two boxes


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param({"format": "xlsx"}, "xlsx", id="format"),
        pytest.param({"image_format": "gif"}, "gif", id="image-format"),
        pytest.param({"split": "train=1,dev=2"}, "split", id="split"),
        pytest.param({"status": "done"}, "not a task status", id="status"),
        pytest.param({"min_size": "8"}, "WIDTHxHEIGHT", id="min-size"),
        pytest.param({"min_image_size": "ax9"}, "WIDTHxHEIGHT", id="min-image-size"),
        pytest.param({"frame_range": "9-1"}, "FIRST-LAST", id="frame-range"),
        pytest.param({"from": "yesterday"}, "ISO 8601", id="date"),
        pytest.param({"coords": "normalized"}, "CSV option", id="coords"),
        pytest.param({"group_by": "wearer"}, "wearer", id="group-by"),
        pytest.param({"category_map": {"car": 3}}, "category map", id="category-map"),
        pytest.param({"min_confidence": 1.5}, "min_confidence", id="confidence"),
        pytest.param({"formt": "coco"}, "formt", id="misspelt"),
    ],
)  # fmt: skip
def test_bad_options_are_400_with_the_librarys_sentence(client, labelled, body, words) -> None:
    r = client.post("/api/datasets/exports", json=body)
    assert r.status_code == 400, r.text
    assert words in r.json()["error"] and "\n" not in r.json()["error"]
    assert not (labelled.root / "datasets").exists() or client.get("/api/jobs").json()["jobs"] == []


def test_an_empty_body_means_the_clis_defaults(client) -> None:
    for kwargs in ({}, {"json": {}}):
        jid = client.post("/api/datasets/exports", **kwargs).json()["job_id"]
        snap = wait_job(client, jid)
        assert snap["status"] == "completed" and snap["out_dir"].endswith("-coco")
        assert snap["result"]["splits"] == {"train": 3}


def test_download_while_running_is_409_then_cancel(client, labelled, monkeypatch) -> None:
    gate, started = threading.Event(), threading.Event()

    def blocked(db, out_dir, options, *, progress):
        started.set()
        while not gate.wait(0.01):
            progress(1, 10)  # raises once the job was cancelled
        raise AssertionError("not reached")

    monkeypatch.setattr(dataset_jobs, "export_store", blocked)
    try:
        running = client.post("/api/datasets/exports", json={"format": "json"}).json()["job_id"]
        assert started.wait(10)
        queued = client.post("/api/datasets/exports", json={"format": "csv"}).json()["job_id"]
        assert client.get(f"/api/jobs/{queued}").json()["status"] == "queued"  # one at a time
        deadline = time.monotonic() + 10
        while (snap := client.get(f"/api/jobs/{running}").json())["progress"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert snap["status"] == "running" and snap["progress"] == pytest.approx(0.1)
        assert snap["tasks"][0]["text"] == "1/10 images"
        r = client.get(f"/api/datasets/exports/{running}/download")
        assert r.status_code == 409 and "not ready (running)" in r.json()["error"]
        assert client.post(f"/api/jobs/{queued}/cancel").json()["status"] == "cancelled"
        assert client.post(f"/api/jobs/{running}/cancel").status_code == 200
        assert wait_job(client, running)["status"] == "cancelled"
        assert client.post(f"/api/jobs/{running}/cancel").status_code == 409
        assert client.get(f"/api/datasets/exports/{running}/download").status_code == 409
    finally:
        gate.set()
    assert not (labelled.root / "datasets" / f"{running}-json").exists()


def test_a_failed_export_says_why(client, monkeypatch) -> None:
    from gazeport.errors import LabelStoreError

    def failing(db, out_dir, options, *, progress):
        raise LabelStoreError("The label store is locked by another program; try again.")

    monkeypatch.setattr(dataset_jobs, "export_store", failing)
    jid = client.post("/api/datasets/exports").json()["job_id"]
    snap = wait_job(client, jid)
    assert snap["status"] == "failed" and "locked" in snap["error"]
    assert snap["tasks"][0]["error"] == snap["error"] and snap["download"] is None
    assert client.get(f"/api/datasets/exports/{jid}/download").status_code == 409


def test_unknown_jobs_export_jobs_and_a_server_without_db(client, labelled, tmp_path) -> None:
    assert client.get("/api/datasets/exports/nope/download").status_code == 404
    rid = rid_of(client, "core/001")
    export = client.post(f"/api/recordings/{rid}/exports", json={"exporters": ["blinks"]})
    wait_job(client, export.json()["job_id"])
    r = client.get(f"/api/datasets/exports/{export.json()['job_id']}/download")
    assert r.status_code == 409 and "no dataset export" in r.json()["error"]
    bare = make_study(tmp_path / "bare")
    with client_for(bare, tmp_path / "cache2") as c:
        r = c.post("/api/datasets/exports", json={"format": "coco"})
        assert r.status_code == 400 and "--db" in r.json()["error"]
        info = c.get("/api/datasets/exports").json()
        assert info["db"] is None and info["jobs"] == [] and "--db" in info["problem"]
        r = c.post(
            "/api/datasets/exports",
            json={"format": "coco"},
            headers={"Origin": "http://evil.example"},
        )
        assert r.status_code == 403


def test_two_exports_never_write_one_folder(client, labelled, monkeypatch) -> None:
    """An incremental export goes to datasets/<format>/: a second one waits its turn (409)."""
    release = threading.Event()
    real = dataset_jobs.export_store

    def held(*args, **kwargs):
        release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(dataset_jobs, "export_store", held)
    body = {"format": "csv", "incremental": True}
    first = client.post("/api/datasets/exports", json=body)
    assert first.status_code == 202, first.text
    try:
        second = client.post("/api/datasets/exports", json=body)
        assert second.status_code == 409, second.text
        assert f"export {first.json()['job_id']} is still writing" in second.json()["error"]
    finally:
        release.set()
    wait_job(client, first.json()["job_id"])
    assert client.post("/api/datasets/exports", json=body).status_code == 202  # free again


def _registry(client):
    client.get("/api/jobs")  # made on first use
    return client.app.state.gazeport.extras["jobs"]


def test_graphql_dataset_exports_run_on_the_registry(client, labelled) -> None:
    client.get("/api/jobs")  # the pages' job list makes the registry
    mutation = (
        """mutation($input: DatasetExportInput!) { datasetExport(input: $input) { jobId } }"""
    )
    r = client.post("/graphql", json={"query": mutation, "variables": {"input": {
        "format": "YOLO", "outDir": "datasets/from-graphql-yolo"}}})  # fmt: skip
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    jid = r.json()["data"]["datasetExport"]["jobId"]
    snap = wait_job(client, jid)  # the same job in the REST API and the job list
    assert snap["status"] == "completed" and snap["out_dir"] == "datasets/from-graphql-yolo"
    names, _ = _zip_names(client, jid)
    assert "from-graphql-yolo/data.yaml" in names
    query = """query($id: String!) { datasetExportJob(id: $id) { status outDir tasks progress } }"""
    r = client.post("/graphql", json={"query": query, "variables": {"id": jid}})
    job = r.json()["data"]["datasetExportJob"]
    assert job == {
        "status": "done",
        "outDir": "datasets/from-graphql-yolo",
        "tasks": 3,
        "progress": 1.0,
    }
