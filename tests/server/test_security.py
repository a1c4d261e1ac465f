"""The Guard: Host header, same-origin writes, token, body size, paths inside the root."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest
from fastapi import APIRouter, WebSocket  # module level: FastAPI resolves the annotations here
from starlette.websockets import WebSocketDisconnect

from gazeport.server import ROUTER_MODULES, create_app
from gazeport.server.app import TokenRequiredError
from gazeport.server.paths import PathOutsideRootError, resolve_inside
from gazeport.server.security import TOKEN_COOKIE, is_loopback, split_host
from tests.server.server_factories import ids, make_client

ORIGIN = "http://127.0.0.1:8642"


def _post_annotation(client, rid: str, **headers: str):
    return client.post(f"/api/recordings/{rid}/annotations", json={"label": "x", "frame": 1},
                       headers=headers)  # fmt: skip


# --- Host -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["evil.com", "evil.com:8642", "127.0.0.1.evil.com", "", "localhost:abc"]
)
def test_foreign_host_is_refused(client, host) -> None:
    r = client.get("/api/health", headers={"Host": host})
    assert r.status_code == 400
    assert "Host" in r.json()["error"]


@pytest.mark.parametrize("host", ["127.0.0.1:8642", "localhost:8642", "localhost", "[::1]:8642"])
def test_loopback_hosts_are_accepted(client, host) -> None:
    assert client.get("/api/health", headers={"Host": host}).status_code == 200


def test_configured_host_is_accepted(study, tmp_path) -> None:
    with make_client(study.root, cache_dir=tmp_path / "c", allowed_hosts=["lab-pc.local"]) as c:
        assert c.get("/api/health", headers={"Host": "lab-pc.local:8642"}).status_code == 200
        assert c.get("/api/health", headers={"Host": "evil.com"}).status_code == 400


def test_host_helpers() -> None:
    assert split_host("[::1]:8642") == ("::1", "8642")
    assert split_host("Example.org") == ("example.org", None)
    assert is_loopback("127.0.0.5") and is_loopback("localhost") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


# --- same-origin writes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.com"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:9999"},  # another local server is another origin
        {"Referer": "http://evil.com/page"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": ORIGIN, "Sec-Fetch-Site": "same-site"},
    ],
    ids=["other-origin", "null-origin", "other-port", "other-referer", "cross-site", "same-site"],
)
def test_cross_origin_write_is_refused(client, study, headers) -> None:
    rid = ids(client)["core/001"]
    r = _post_annotation(client, rid, **headers)
    assert r.status_code == 403
    assert "may not change anything" in r.json()["error"]
    assert not (study.core / "annotation_player.pldata").exists()


def test_cross_origin_delete_and_patch_are_refused(client) -> None:
    rid = ids(client)["core/001"]
    bad = {"Origin": "http://evil.com"}
    assert client.delete(f"/api/recordings/{rid}/annotations/0", headers=bad).status_code == 403
    r = client.patch(f"/api/recordings/{rid}/annotations/definitions", json={}, headers=bad)
    assert r.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": ORIGIN},
        {"Referer": f"{ORIGIN}/player/x"},
        {},
        {"Origin": ORIGIN, "Sec-Fetch-Site": "same-origin"},
    ],
    ids=["same-origin", "same-referer", "script", "fetch-metadata"],
)
def test_same_origin_and_script_writes_pass(client, headers) -> None:
    rid = ids(client)["core/001"]
    assert _post_annotation(client, rid, **headers).status_code == 201


def test_cross_origin_read_is_not_blocked_but_gets_no_cors(client) -> None:
    r = client.get("/api/health", headers={"Origin": "http://evil.com"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


# --- token ----------------------------------------------------------------------------------


def test_non_loopback_needs_a_token(study) -> None:
    with pytest.raises(TokenRequiredError):
        create_app(study.root, host="0.0.0.0")


@pytest.fixture
def guarded(study, tmp_path):
    with make_client(
        study.root, cache_dir=tmp_path / "c", token="s3cret-token", host="0.0.0.0"
    ) as c:
        yield c


def test_token_missing_is_401(guarded) -> None:
    for path in ("/api/health", "/", "/api/recordings", "/static/app.css"):
        r = guarded.get(path)
        assert r.status_code == 401, path
        assert "token" in r.json()["error"]


def test_token_wrong_is_401(guarded) -> None:
    r = guarded.get("/api/health", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert "wrong" in r.json()["error"]
    guarded.cookies.set(TOKEN_COOKIE, "nope")
    assert guarded.get("/api/health").status_code == 401


def test_bearer_token_passes(guarded) -> None:
    r = guarded.get("/api/health", headers={"Authorization": "Bearer s3cret-token"})
    assert r.status_code == 200
    assert r.json()["token_required"] is True


def test_token_in_the_address_sets_a_cookie_and_redirects(guarded) -> None:
    r = guarded.get("/?token=s3cret-token&x=1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/?x=1"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert guarded.get("/api/health").status_code == 200  # the cookie jar has it now
    assert guarded.get("/").status_code == 200


def test_wrong_token_in_the_address_is_401(guarded) -> None:
    r = guarded.get("/?token=guess", follow_redirects=False)
    assert r.status_code == 401


def test_token_on_loopback_when_given(study, tmp_path) -> None:
    with make_client(study.root, cache_dir=tmp_path / "c", token="t") as c:
        assert c.get("/api/health").status_code == 401
        assert c.get("/api/health", headers={"Authorization": "Bearer t"}).status_code == 200


# --- body size ------------------------------------------------------------------------------


def test_oversize_body_is_413(study, tmp_path) -> None:
    with make_client(study.root, cache_dir=tmp_path / "c", max_body_bytes=1024) as c:
        rid = ids(c)["core/001"]
        body = '{"label": "' + "x" * 2000 + '", "frame": 1}'
        r = c.post(f"/api/recordings/{rid}/annotations", content=body,
                   headers={"Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 413
        assert "limit of" in r.json()["error"]
        assert not (study.core / "annotation_player.pldata").exists()


def test_oversize_chunked_body_is_413(study, tmp_path) -> None:
    def chunks():
        for _ in range(10):
            yield b"x" * 512

    with make_client(study.root, cache_dir=tmp_path / "c", max_body_bytes=1024) as c:
        rid = ids(c)["core/001"]
        r = c.post(f"/api/recordings/{rid}/annotations", content=chunks(),
                   headers={"Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 413


def test_bad_content_length_is_413(client) -> None:
    rid = ids(client)["core/001"]
    r = client.post(f"/api/recordings/{rid}/annotations", content=b"{}",
                    headers={"Content-Length": "-1", "Content-Type": "application/json"})  # fmt: skip
    assert r.status_code in (400, 413)


# --- safe headers ---------------------------------------------------------------------------


def test_every_response_has_the_safe_headers(client) -> None:
    for path in ("/", "/api/health", "/api/nothing", "/static/app.css"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"


# --- paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "words"),
    [("../etc", "'..'"), ("core/../../x", "'..'"), ("/etc/passwd", "absolute"),
     ("C:/x", "absolute"), ("core\\001", "backslash"), ("a\x00b", "control")],
)  # fmt: skip
def test_paths_outside_the_root_are_refused(client, path, words) -> None:
    r = client.get("/api/recordings/lookup", params={"path": path})
    assert r.status_code == 400
    assert words in r.json()["error"]


def test_symlink_out_of_the_root_is_refused(client, study, tmp_path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, study.root / "link")
    r = client.get("/api/recordings/lookup", params={"path": "link"})
    assert r.status_code == 400
    assert "symbolic link" in r.json()["error"]


def test_recording_behind_a_symlink_out_is_not_listed(study, tmp_path) -> None:
    from tests.scene_factories import core_with_video

    core_with_video(tmp_path / "outside" / "rec", n_frames=3)
    os.symlink(tmp_path / "outside" / "rec", study.root / "core" / "escape")
    with make_client(study.root, cache_dir=tmp_path / "c") as c:
        assert "core/escape" not in ids(c)


def test_resolve_inside(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert resolve_inside(tmp_path, "a") == (tmp_path / "a").resolve()
    assert resolve_inside(tmp_path, "") == tmp_path.resolve()
    os.symlink(tmp_path / "a", tmp_path / "inner")
    assert resolve_inside(tmp_path, "inner") == (tmp_path / "a").resolve()  # inside: fine
    with pytest.raises(PathOutsideRootError):
        resolve_inside(tmp_path / "a", "../a")


def test_cross_origin_websocket_is_closed(study, tmp_path) -> None:
    router = APIRouter()

    @router.websocket("/ws")
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("hello")
        await ws.close()

    extra = types.SimpleNamespace(router=router)
    with make_client(study.root, cache_dir=tmp_path / "c", routers=[extra, *ROUTER_MODULES]) as c:
        url = "ws://127.0.0.1:8642/ws"
        with c.websocket_connect(url, headers={"Origin": ORIGIN}) as ws:
            assert ws.receive_text() == "hello"
        for headers in ({"Origin": "http://evil.com"}, {"Origin": ORIGIN, "Host": "evil.com"}):
            with (
                pytest.raises(WebSocketDisconnect) as refused,
                c.websocket_connect(url, headers=headers),
            ):
                pass
            assert refused.value.code == 1008


def test_bound_to_every_interface_accepts_addresses_and_the_host_name(study, tmp_path) -> None:
    import socket

    options = {"token": "t", "host": "0.0.0.0", "cache_dir": tmp_path / "c"}
    auth = {"Authorization": "Bearer t"}
    with make_client(study.root, **options) as c:
        for host in ("192.168.1.20:8642", "[fe80::1]:8642", f"{socket.gethostname()}:8642"):
            assert c.get("/api/health", headers={"Host": host, **auth}).status_code == 200, host
        assert c.get("/api/health", headers={"Host": "evil.com", **auth}).status_code == 400
