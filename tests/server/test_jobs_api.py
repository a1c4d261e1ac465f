"""Export jobs over HTTP: start (202), list, show, cancel (queued, running, finished → 409),
the event stream, the Guard's rules on the POSTs, and shutting down with a job running."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from tests.server.jobs_factories import (
    BASE_URL,
    Gate,
    Study,
    client_for,
    make_study,
    rid_of,
    wait_job,
)

CORE_FILES = {"export_info.csv", "gaze_positions.csv", "pupil_positions.csv",
              "pupil_gaze_positions_info.txt", "annotations.csv", "gazeport_export.json"}  # fmt: skip


@pytest.fixture
def study(tmp_path: Path) -> Study:
    return make_study(tmp_path / "study")


@pytest.fixture
def client(study: Study, tmp_path: Path) -> Iterator[object]:
    with client_for(study, tmp_path / "cache") as c:
        yield c


@pytest.fixture
def rid(client) -> str:
    return rid_of(client, "core/001")


@pytest.fixture
def gate(monkeypatch) -> Iterator[Gate]:
    g = Gate().install(monkeypatch)
    yield g
    g.open()  # never leave a job thread waiting


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.mark.parametrize(
    "kwargs",
    [pytest.param({}, id="no-body"), pytest.param({"json": {}}, id="empty-object"),
     pytest.param({"content": b"", "headers": {"Content-Type": "application/json"}}, id="empty-json")],
)  # fmt: skip
def test_an_empty_request_exports_the_defaults_into_exports_nnn(client, rid, study, kwargs) -> None:
    r = client.post(f"/api/recordings/{rid}/exports", **kwargs)
    assert r.status_code == 202, r.text
    jid = r.json()["job_id"]
    snap = wait_job(client, jid)
    assert snap["status"] == "completed", snap
    assert snap["progress"] == 1.0 and snap["recording"] == rid and snap["kind"] == "export"
    assert [t["name"] for t in snap["tasks"]] == ["raw", "annotations", "fixations", "blinks"]
    assert all(t["status"] == "completed" and t["progress"] == 1.0 for t in snap["tasks"])
    assert snap["out_dir"] == "core/001/exports/000"
    folder = study.root / snap["out_dir"]
    assert _files(folder) >= CORE_FILES
    record = json.loads((folder / "gazeport_export.json").read_text())
    assert record["outcome"] == "completed"
    registry = client.app.state.gazeport.extras["jobs"]
    assert registry.entry(jid).job.spec is None  # kept for reference without its loaded streams
    assert record["parameters"]["exporters"] == ["raw", "annotations", "fixations", "blinks"]


def test_the_exporters_an_export_can_run(client) -> None:
    answer = client.get("/api/exporters").json()
    names = {e["name"]: e for e in answer["exporters"]}
    assert [n for n, e in names.items() if e["default"]] == [
        "raw",
        "annotations",
        "fixations",
        "blinks",
    ]
    assert names["world-video"] == {
        "name": "world-video",
        "title": "World video",
        "kind": "video",
        "default": False,
    }
    assert answer["dialects"] == ["pupil-player", "neon-player", "cloud"]
    assert answer["formats"] == ["csv", "parquet"]


def test_exporters_range_and_options_reach_the_library(client, rid, study) -> None:
    body = {"exporters": ["raw"], "start_frame": 5, "end_frame": 20, "format": "csv",
            "min_confidence": 0.5, "field_info": False,
            "fixations": {"max_dispersion_deg": 2.0}}  # fmt: skip
    r = client.post(f"/api/recordings/{rid}/exports", json=body)
    assert r.status_code == 202, r.text
    snap = wait_job(client, r.json()["job_id"])
    assert snap["status"] == "completed" and [t["name"] for t in snap["tasks"]] == ["raw"]
    folder = study.root / snap["out_dir"]
    assert _files(folder) == {"export_info.csv", "gaze_positions.csv", "pupil_positions.csv",
                              "gazeport_export.json"}  # fmt: skip
    params = json.loads((folder / "gazeport_export.json").read_text())["parameters"]
    assert params["frame_range"] == [5, 20] and params["min_confidence"] == 0.5
    assert params["fixations"]["max_dispersion_deg"] == 2.0
    second = wait_job(
        client,
        client.post(f"/api/recordings/{rid}/exports", json={"start_s": 0.1, "end_s": 0.5}).json()[
            "job_id"
        ],
    )
    assert second["out_dir"] == "core/001/exports/001" and second["status"] == "completed"


def test_a_neon_recording_exports_neon_players_files(study, tmp_path) -> None:
    from gazeport.errors import GazeportWarning
    from tests.neon_factories import write_neon

    write_neon(study.root / "neon" / "walk", parts=((0.5, 1.0),))  # no calibration.bin
    with (
        pytest.warns(GazeportWarning, match="calibration"),
        client_for(study, tmp_path / "cache") as client,
    ):
        rid = rid_of(client, "neon/walk")
        snap = wait_job(client, client.post(f"/api/recordings/{rid}/exports").json()["job_id"])
        assert snap["status"] == "completed" and [t["name"] for t in snap["tasks"]] == ["tables"]
        assert snap["out_dir"] == "neon/walk/exports/000"
        assert {"gaze.csv", "fixations.csv", "blinks.csv", "events.csv"} <= _files(
            study.root / snap["out_dir"]
        )
        assert any("calibration.bin" in w for w in snap["tasks"][0]["warnings"])  # opening's note
        cloud = client.post(f"/api/recordings/{rid}/exports", json={"dialect": "cloud"}).json()
        assert "scene_camera.json" in _files(
            study.root / wait_job(client, cloud["job_id"])["out_dir"]
        )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param({"exporters": ["raw", "nope"]}, "Unknown exporter 'nope'", id="unknown-exporter"),
        pytest.param({"exporters": []}, "none given", id="no-exporters"),
        pytest.param({"start_frame": 5, "end_frame": 500}, "500", id="frame-outside"),
        pytest.param({"start_frame": 20, "end_frame": 5}, "20", id="frames-reversed"),
        pytest.param({"start_frame": 1, "end_s": 2.0}, "not both", id="frames-and-seconds"),
        pytest.param({"start_frame": -1}, "start_frame", id="negative-frame"),
        pytest.param({"format": "xlsx"}, "xlsx", id="bad-format"),
        pytest.param({"dialect": "excel"}, "excel", id="bad-dialect"),
        pytest.param({"min_confidence": 2}, "min_confidence", id="confidence-above-1"),
        pytest.param({"fixations": {"max_dispersion_deg": -1}}, "dispersion", id="bad-detector"),
        pytest.param({"video": {"crf": 99}}, "crf", id="bad-crf"),
        pytest.param({"exporter": ["raw"]}, "exporter", id="misspelt-field"),
        pytest.param([1, 2], "body", id="not-an-object"),
    ],
)  # fmt: skip
def test_a_bad_request_is_400_with_one_sentence_and_writes_nothing(
    client, rid, study, body, words
) -> None:
    r = client.post(f"/api/recordings/{rid}/exports", json=body)
    assert r.status_code == 400, r.text
    message = r.json()["error"]
    assert words in message and "\n" not in message and "Traceback" not in message
    assert not (study.core / "exports").exists()
    assert client.get("/api/jobs").json() == {"jobs": []}


def test_unknown_and_unreadable_recordings_and_bad_json(client, study) -> None:
    r = client.post("/api/recordings/000000000000/exports")
    assert r.status_code == 404 and "no recording" in r.json()["error"]
    broken = rid_of(client, "broken/002")
    assert client.post(f"/api/recordings/{broken}/exports").status_code == 422
    rid = rid_of(client, "core/001")
    r = client.post(f"/api/recordings/{rid}/exports", content=b"{not json",
                    headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 400 and r.json()["error"]


def test_jobs_are_listed_newest_first_and_unknown_ids_are_404(client, rid, study) -> None:
    first = client.post(f"/api/recordings/{rid}/exports", json={"exporters": ["raw"]}).json()[
        "job_id"
    ]
    second = client.post(f"/api/recordings/{rid}/exports", json={"exporters": ["blinks"]}).json()[
        "job_id"
    ]
    for jid in (first, second):
        wait_job(client, jid)
    jobs = client.get("/api/jobs").json()["jobs"]
    assert [j["id"] for j in jobs] == [second, first]  # completed ones are kept
    assert [j["id"] for j in client.get(f"/api/jobs?recording={rid}").json()["jobs"]] == [
        second,
        first,
    ]
    assert client.get("/api/jobs?recording=other").json()["jobs"] == []
    for method, path in (("GET", "/api/jobs/nope"), ("POST", "/api/jobs/nope/cancel")):
        r = client.request(method, path)
        assert r.status_code == 404 and "no job with id 'nope'" in r.json()["error"]


def test_cancel_a_queued_and_a_running_job_then_409(client, rid, study, gate) -> None:
    running = client.post(f"/api/recordings/{rid}/exports", json={"exporters": ["slow"]}).json()[
        "job_id"
    ]
    assert gate.started.wait(10)
    queued = client.post(f"/api/recordings/{rid}/exports", json={"exporters": ["raw"]}).json()[
        "job_id"
    ]
    snap = wait_job(client, running, until=("running",))
    assert snap["tasks"][0]["status"] == "running" and snap["tasks"][0]["title"] == "Slow"
    assert client.get(f"/api/jobs/{queued}").json()["status"] == "queued"  # one data task at a time

    r = client.post(f"/api/jobs/{queued}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["tasks"][0]["status"] == "cancelled"
    r = client.post(f"/api/jobs/{running}/cancel")
    assert r.status_code == 200
    snap = wait_job(client, running)
    assert snap["status"] == "cancelled" and snap["tasks"][0]["status"] == "cancelled"
    assert not list((study.core / "exports").glob("*/slow.txt"))  # nothing that looks finished
    for jid in (queued, running):
        r = client.post(f"/api/jobs/{jid}/cancel")
        assert r.status_code == 409 and "already finished (cancelled)" in r.json()["error"]
    assert gate.runs == 1


def test_a_gated_job_reports_progress_then_completes(client, rid, study, gate) -> None:
    body = {"exporters": ["slow", "blinks"]}  # run in EXPORTER_TASKS order: blinks, then slow
    jid = client.post(f"/api/recordings/{rid}/exports", json=body).json()["job_id"]
    assert gate.started.wait(10)

    def slow_task() -> dict:
        snap = client.get(f"/api/jobs/{jid}").json()
        return next(t for t in snap["tasks"] if t["name"] == "slow")

    deadline = time.monotonic() + 10
    while slow_task()["progress"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    snap = client.get(f"/api/jobs/{jid}").json()
    assert snap["status"] == "running" and 0 < snap["progress"] < 1
    assert [t["status"] for t in snap["tasks"]] == ["completed", "running"]
    assert slow_task()["text"] == "waiting for the test"
    gate.open()
    snap = wait_job(client, jid)
    assert snap["status"] == "completed" and snap["progress"] == 1.0
    assert "slow.txt" in _files(study.root / snap["out_dir"])


def _events(response, count: int, timeout: float = 20.0) -> Iterator[dict]:
    """The first ``count`` job snapshots of an event stream (and that comments are well-formed)."""
    got, event, deadline = 0, None, time.monotonic() + timeout
    for line in response.iter_lines():
        assert time.monotonic() < deadline, "the event stream went quiet"
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            assert event == "job"
            yield json.loads(line[6:])
            got += 1
            if got == count:
                return


def test_the_event_stream_sends_every_job_then_its_changes(client, rid, study, gate) -> None:
    done = client.post(f"/api/recordings/{rid}/exports", json={"exporters": ["raw"]}).json()[
        "job_id"
    ]
    wait_job(client, done)
    slow = client.post(f"/api/recordings/{rid}/exports", json={"exporters": ["slow"]}).json()[
        "job_id"
    ]
    assert gate.started.wait(10)
    with client.stream("GET", "/api/jobs/events") as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["cache-control"] == "no-cache"
        stream = _events(r, 100)
        first, second = next(stream), next(stream)
        assert (first["id"], first["status"]) == (done, "completed")  # oldest first
        assert (second["id"], second["status"]) == (slow, "running")
        gate.open()
        statuses = []
        for snap in stream:
            assert snap["id"] == slow
            statuses.append(snap["status"])
            if snap["status"] == "completed":
                break
        assert statuses[-1] == "completed" and snap["progress"] == 1.0
        assert len(statuses) < 50  # throttled: not one event per progress step


def test_the_event_stream_sends_keep_alive_comments(client, monkeypatch) -> None:
    from gazeport.server import routes_jobs

    monkeypatch.setattr(routes_jobs, "KEEP_ALIVE_S", 0.0)
    with client.stream("GET", "/api/jobs/events") as r:
        lines = []
        for line in r.iter_lines():
            lines.append(line)
            if line.startswith(":"):
                break
    assert lines[0] == "retry: 1000" and lines[-1] == ": keep-alive"


def _first_lines(client, headers: dict, stop: str) -> list[str]:
    lines = []
    with client.stream("GET", "/api/jobs/events", headers=headers) as r:
        for line in r.iter_lines():
            lines.append(line)
            if line.startswith(stop):
                break
    return lines


def test_a_reconnecting_stream_resumes_after_its_last_event_id(client, rid, monkeypatch) -> None:
    from gazeport.server import routes_jobs

    jid = client.post(f"/api/recordings/{rid}/exports", json={"exporters": ["blinks"]}).json()[
        "job_id"
    ]
    wait_job(client, jid)
    first = _first_lines(client, {}, "data: ")
    last_id = next(line[4:] for line in first if line.startswith("id: "))
    assert json.loads(first[-1][6:])["id"] == jid
    monkeypatch.setattr(routes_jobs, "KEEP_ALIVE_S", 0.0)
    resumed = _first_lines(client, {"Last-Event-ID": last_id}, ":")
    assert not any(line.startswith("data: ") for line in resumed)  # nothing new since
    with client.stream("GET", f"/api/jobs/events?until=idle&after={last_id}") as r:
        assert not any(line.startswith("data: ") for line in r.iter_lines())  # the same by query
    epoch = last_id.split(":")[0]
    for stale in (f"other:{last_id.split(':')[1]}", f"{epoch}:999999", "junk"):
        again = _first_lines(client, {"Last-Event-ID": stale}, "data: ")
        assert json.loads(again[-1][6:])["id"] == jid  # an unknown id: everything again


def test_until_idle_streams_end_once_every_job_has_finished(client, rid, gate) -> None:
    with client.stream("GET", "/api/jobs/events?until=idle") as r:
        assert list(r.iter_lines()) == ["retry: 1000", ""]  # nothing runs: ends at once
    jid = client.post(f"/api/recordings/{rid}/exports", json={"exporters": ["slow"]}).json()[
        "job_id"
    ]
    assert gate.started.wait(10)
    with client.stream("GET", "/api/jobs/events?until=idle") as r:
        stream = _events(r, 1000)
        assert next(stream)["status"] == "running"
        gate.open()
        statuses = [snap["status"] for snap in stream]  # ends by itself after the last change
    assert (
        statuses[-1] == "completed"
        and client.get(f"/api/jobs/{jid}").json()["status"] == "completed"
    )
    r = client.get("/api/jobs/events?until=forever")
    assert r.status_code == 400 and "until=idle" in r.json()["error"]


@pytest.mark.parametrize("path", ["/api/recordings/{rid}/exports", "/api/jobs/x/cancel"])
def test_posts_from_another_origin_or_host_are_refused(client, rid, study, path) -> None:
    url = path.format(rid=rid)
    r = client.post(url, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and r.json()["error"]
    r = client.post(url, headers={"Sec-Fetch-Site": "cross-site", "Origin": BASE_URL})
    assert r.status_code == 403
    r = client.post(url, headers={"Host": "evil.example"})
    assert r.status_code == 400
    assert not (study.core / "exports").exists() and client.get("/api/jobs").json()["jobs"] == []
    r = client.post(url, headers={"Origin": BASE_URL})  # the page's own origin
    assert r.status_code == (202 if "exports" in url else 404)


def test_a_token_server_wants_the_token_on_jobs_too(study, tmp_path) -> None:
    with client_for(study, tmp_path / "cache", token="sesame") as c:
        assert c.get("/api/jobs").status_code == 401
        assert c.get("/api/jobs", headers={"Authorization": "Bearer sesame"}).status_code == 200


def test_shutting_down_cancels_running_jobs(study, tmp_path, gate) -> None:
    with client_for(study, tmp_path / "cache") as c:
        rid = rid_of(c, "core/001")
        jid = c.post(f"/api/recordings/{rid}/exports", json={"exporters": ["slow"]}).json()[
            "job_id"
        ]
        queued = c.post(f"/api/recordings/{rid}/exports").json()["job_id"]
        assert gate.started.wait(10)
        registry = c.app.state.gazeport.extras["jobs"]  # type: ignore[attr-defined]
    assert registry.closed
    assert registry.entry(jid).snapshot()["status"] == "cancelled"
    assert registry.entry(queued).snapshot()["status"] == "cancelled"
    assert not (study.core / "exports").exists() or not any((study.core / "exports").iterdir())
