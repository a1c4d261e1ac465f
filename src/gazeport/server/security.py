"""The server's guard: Host check, same-origin writes, token, body size and safe headers.

One pure ASGI middleware, :class:`Guard`, in front of every route (pages, API, static files),
so a new router is protected without doing anything. The rules, in the order they are checked:

1. **Host** (DNS rebinding): the ``Host`` header must be ``127.0.0.1``, ``localhost`` or
   ``[::1]`` (any port), or one of the configured hosts (the ``--host`` the server is bound to,
   ``allowed_hosts``); bound to every interface (``0.0.0.0``), also this machine's host name
   and any IP address (a rebinding attack needs a DNS name). Otherwise ``400``. A page of
   ``evil.example`` whose name was pointed at 127.0.0.1 sends ``Host: evil.example`` and is
   refused.
2. **Token**: when the server has a token (always when bound to a non-loopback address), every
   request must carry it as ``Authorization: Bearer <token>`` or in the ``gazeport_token``
   cookie. A ``GET`` with ``?token=<token>`` (the address the server prints) sets that cookie
   (``HttpOnly; SameSite=Strict``) and redirects to the same address without the token, so it
   stays out of the history and of Referer headers. Missing or wrong: ``401``.
3. **Same-origin writes** (CSRF): a ``POST``/``PUT``/``PATCH``/``DELETE`` or a WebSocket
   handshake whose ``Origin`` (or, without one, ``Referer``) is not this server's own origin
   (``scheme://Host``), whose ``Origin`` is ``null``, or whose ``Sec-Fetch-Site`` is
   ``cross-site``/``same-site``, is refused with ``403`` (a WebSocket is closed, code 1008). A request with none of these headers is not from a browser page
   (``curl``, scripts) and is accepted: browsers always send ``Origin`` on such requests.
4. **Body size**: a body larger than ``max_body_bytes`` (``max_upload_bytes`` for
   ``multipart/form-data``) is refused with ``413``, by ``Content-Length`` before reading and
   by reading a body without ``Content-Length`` (chunked) here first, up to the limit.

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``,
``X-Frame-Options: DENY`` and a Content-Security-Policy that allows only this origin (no CDN,
no inline script). Refusals are JSON ``{"error": "<sentence>"}`` like every other error.
Reads from other origins are not blocked, but no CORS header is ever sent, so another site's
page cannot read the answers.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_COOKIE = "gazeport_token"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
#: Bind addresses meaning every interface.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Default limit of a request body that is not an upload (JSON) [bytes].
MAX_BODY_BYTES = 16 * 1024 * 1024
#: Default limit of a ``multipart/form-data`` upload (label imports) [bytes].
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_SAFE_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address, without port) is this machine only."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A fresh random token for a server bound to a non-loopback address."""
    return secrets.token_urlsafe(24)


def split_host(value: str) -> tuple[str, str | None]:
    """``("name", "port")`` of a Host header value (``[::1]:8642`` → ``("::1", "8642")``)."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else None
    if value.count(":") == 1:
        name, _, port = value.partition(":")
        return name, port
    return value, None


@dataclass(frozen=True)
class GuardSettings:
    """What :class:`Guard` enforces (see the module docstring)."""

    token: str | None = None
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    max_body_bytes: int = MAX_BODY_BYTES
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    #: Bound to every interface: any IP address literal is accepted as Host as well.
    any_address: bool = False

    @classmethod
    def make(
        cls,
        *,
        token: str | None,
        hosts: Iterable[str] = (),
        max_body_bytes: int = MAX_BODY_BYTES,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
    ) -> GuardSettings:
        hosts = [h for h in hosts if h]
        wildcard = any(h in WILDCARD_HOSTS for h in hosts)
        names = {split_host(h)[0] if not h.startswith("[") else h.strip("[]").lower()
                 for h in hosts if h not in WILDCARD_HOSTS}  # fmt: skip
        if wildcard:  # reachable by this machine's names too
            names.add(socket.gethostname().lower())  # not getfqdn: it may wait on DNS
        return cls(token, frozenset(names), int(max_body_bytes), int(max_upload_bytes), wildcard)

    def host_allowed(self, host_header: str | None) -> bool:
        if not host_header:
            return False
        name, port = split_host(host_header)
        if port is not None and not port.isdigit():
            return False
        if name in LOOPBACK_NAMES or name in self.allowed_hosts:
            return True
        return self.any_address and _is_ip(name)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in scope.get("headers", ()):
        out.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
    return out


async def _refuse(
    send: Send, status: int, message: str, extra: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *_SAFE_HEADERS,
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _closing(send: Send) -> Send:
    """A ``send`` that turns a refusal into closing the WebSocket handshake (code 1008)."""

    async def close(message: Message) -> None:
        if message["type"] == "http.response.start":
            await send({"type": "websocket.close", "code": 1008})

    return close


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


class Guard:
    """ASGI middleware enforcing :class:`GuardSettings` on every HTTP request."""

    def __init__(self, app: ASGIApp, settings: GuardSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host")
        # a refused WebSocket handshake is closed (policy violation), not answered with JSON
        deny = send if scope["type"] == "http" else _closing(send)
        if not self.settings.host_allowed(host):
            await _refuse(
                deny, 400,
                f"The Host header {host!r} is not this server's address; open it as "
                "http://127.0.0.1 or the address gazeport serve printed.",
            )  # fmt: skip
            return
        if self.settings.token is not None:
            done = await self._check_token(scope, headers, deny)
            if done:
                return
        method = scope.get("method", "GET")
        if scope["type"] == "websocket" or method in STATE_CHANGING:
            problem = self._cross_origin(scope, headers)
            if problem:
                await _refuse(deny, 403, problem)
                return
        if method in STATE_CHANGING:
            limit = self.settings.max_body_bytes
            if headers.get("content-type", "").lower().startswith("multipart/form-data"):
                limit = self.settings.max_upload_bytes
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                await _refuse(send, 413, _too_large(limit))
                return
            if length is None:  # chunked: read it here, so that too much is refused whole
                body = await _read_body(receive, limit)
                if body is None:
                    await _refuse(send, 413, _too_large(limit))
                    return
                receive = _replay(body, receive)

        async def send_safe(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *_SAFE_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_safe)

    async def _check_token(self, scope: Scope, headers: dict[str, str], send: Send) -> bool:
        """Refuse (and return True) unless the request carries the token; on a GET with the
        right ``?token=``, set the cookie and redirect without it (also True)."""
        token = self.settings.token or ""
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = dict(query).get("token")
        if given is not None and scope.get("method") == "GET":
            if not secrets.compare_digest(given.encode(), token.encode()):
                await _refuse(
                    send,
                    401,
                    "The token in the address is wrong; use the address gazeport serve printed.",
                )
                return True
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
            cookie = f"{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
            await send({
                "type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()),
                            (b"content-length", b"0"), *_SAFE_HEADERS],
            })  # fmt: skip
            await send({"type": "http.response.body", "body": b""})
            return True
        auth = headers.get("authorization", "")
        candidates = []
        if auth.lower().startswith("bearer "):
            candidates.append(auth[7:].strip())
        if "cookie" in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers["cookie"])
            except Exception:  # a malformed cookie header is simply no token
                jar = SimpleCookie()
            if TOKEN_COOKIE in jar:
                candidates.append(jar[TOKEN_COOKIE].value)
        if not candidates:
            await _refuse(
                send, 401,
                "This server needs its token: open the address gazeport serve printed, or send "
                "'Authorization: Bearer <token>'.",
                [(b"www-authenticate", b"Bearer")],
            )  # fmt: skip
            return True
        if not any(secrets.compare_digest(c.encode(), token.encode()) for c in candidates):
            await _refuse(send, 401, "The token is wrong; use the one gazeport serve printed.",
                          [(b"www-authenticate", b'Bearer error="invalid_token"')])  # fmt: skip
            return True
        return False

    def _cross_origin(self, scope: Scope, headers: dict[str, str]) -> str | None:
        """Why a state-changing request comes from another site's page, or None."""
        scheme = {"ws": "http", "wss": "https"}.get(
            scope.get("scheme", "http"), scope.get("scheme", "http")
        )
        own = f"{scheme}://{headers.get('host', '')}".lower()
        site = headers.get("sec-fetch-site")
        if site is not None and site.lower() not in ("same-origin", "none"):
            return f"A {site} request may not change anything here; use this server's own pages."
        origin = headers.get("origin")
        if origin is not None:
            if origin.lower() != own:
                return (
                    f"Requests from {origin} may not change anything here; only this server's "
                    "own pages may."
                )
            return None
        referer = headers.get("referer")
        if referer is not None and _origin_of(referer) != own:
            return "Requests from other pages may not change anything here; only this server's own pages may."
        return None


def _too_large(limit: int) -> str:
    return f"The request body is larger than the server's limit of {limit // (1024 * 1024)} MB."


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body of a request without Content-Length, or None once it exceeds ``limit``."""
    parts: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app ``body`` once, then what the server sends (disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
