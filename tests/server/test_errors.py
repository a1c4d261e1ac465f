"""Every error is {"error": "<sentence>"} with a fitting status and never a traceback."""

from __future__ import annotations

import logging
import types

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from gazeport.errors import CorruptFileError, RecordingLockedError
from gazeport.server import ROUTER_MODULES, create_app
from gazeport.server.error_responses import status_for
from tests.server.server_factories import BASE_URL


def _no_traceback(r) -> None:
    text = r.text
    assert "Traceback" not in text and 'File "' not in text
    assert set(r.json()) == {"error"}
    assert r.json()["error"].endswith(".")


def _app_with(study, tmp_path, route) -> TestClient:
    router = APIRouter()
    router.add_api_route("/api/boom", route)
    extra = types.SimpleNamespace(router=router)
    app = create_app(study.root, cache_dir=tmp_path / "c", routers=[extra, *ROUTER_MODULES])
    return TestClient(app, base_url=BASE_URL, raise_server_exceptions=False)


def test_unexpected_error_is_500_with_a_sentence_and_the_log_has_the_detail(
    study, tmp_path, caplog
) -> None:
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with caplog.at_level(logging.ERROR, logger="gazeport.server"):
        r = _app_with(study, tmp_path, boom).get("/api/boom")
    assert r.status_code == 500
    _no_traceback(r)
    assert "secret internal detail" not in r.text
    assert "RuntimeError" in r.json()["error"]
    assert any(
        "secret internal detail" in str(rec.exc_info[1]) for rec in caplog.records if rec.exc_info
    )


@pytest.mark.parametrize(
    ("exc", "status"),
    [(RecordingLockedError("The recording is being edited by another program.", "/x/.lock"), 409),
     (CorruptFileError("gaze.pldata is damaged at byte 12."), 422)],
)  # fmt: skip
def test_gazeport_errors_keep_their_sentence(study, tmp_path, exc, status) -> None:
    def fail() -> None:
        raise exc

    r = _app_with(study, tmp_path, fail).get("/api/boom")
    assert r.status_code == status
    assert r.json() == {"error": str(exc)}


def test_status_for_takes_the_nearest_base() -> None:
    class Special(CorruptFileError):
        pass

    assert status_for(Special("x")) == 422
    assert status_for(ValueError("x")) == 500


def test_unknown_route_is_404_json(client) -> None:
    r = client.get("/api/nothing/here")
    assert r.status_code == 404
    _no_traceback(r)


def test_wrong_method_is_405_json(client) -> None:
    r = client.delete("/api/health")
    assert r.status_code == 405
    _no_traceback(r)


def test_bad_json_body_is_400(client) -> None:
    rid = client.get("/api/recordings").json()["recordings"][1]["id"]
    r = client.post(f"/api/recordings/{rid}/annotations", content=b"{not json",
                    headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 400
    _no_traceback(r)


def test_openapi_lists_the_api(client) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/recordings/{rid}/frames/{index}.jpg" in spec["paths"]
    assert "/api/recordings/{rid}/annotations" in spec["paths"]
