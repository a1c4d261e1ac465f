"""``create_app``: the FastAPI application of ``gazeport serve``.

The app is a list of router modules (:data:`ROUTER_MODULES`), each a module with a ``router``;
the shared objects live in :class:`~gazeport.server.state.ServerState`; every request passes
:class:`~gazeport.server.security.Guard` (Host, token, same-origin writes, body size); every
error is ``{"error": "<sentence>"}`` (:mod:`gazeport.server.error_responses`).

A new part of the app (the export jobs, labels, datasets, GraphQL) is a new module
``routes_<name>.py`` with a ``router``, added to :data:`ROUTER_MODULES` before ``routes_pages``
(whose placeholder pages it may replace), and its objects in ``state.extras``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

import platformdirs
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .._version import __version__
from ..errors import RecordingNotFoundError
from . import (
    routes_annotations,
    routes_dataset_exports,
    routes_eyes,
    routes_graphql,
    routes_jobs,
    routes_labels,
    routes_pages,
    routes_recordings,
    routes_trim,
)
from .error_responses import install_error_handlers
from .recordings import Catalog
from .routes_pages import STATIC_DIR
from .security import MAX_BODY_BYTES, MAX_UPLOAD_BYTES, Guard, GuardSettings, is_loopback
from .state import ServerState
from .video_proxy import ProxyBuilder

#: Every router, in the order routes are matched. Add new ones (routes_jobs, routes_labels,
#: routes_datasets, graphql) before routes_pages.
ROUTER_MODULES: tuple[ModuleType, ...] = (
    routes_recordings,
    routes_annotations,
    routes_trim,
    routes_labels,
    routes_graphql,
    routes_jobs,
    routes_dataset_exports,
    routes_eyes,
    routes_pages,
)


class TokenRequiredError(ValueError):
    """A server reachable from other machines needs a token."""


def default_cache_dir() -> Path:
    """Where video proxies and other web caches go: the user's cache folder, never a recording."""
    return Path(platformdirs.user_cache_dir("gazeport")) / "web"


def create_app(
    root: Path,
    db: Path | None = None,
    token: str | None = None,
    *,
    host: str = "127.0.0.1",
    allowed_hosts: Iterable[str] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    cache_dir: Path | None = None,
    routers: Iterable[ModuleType] | None = None,
) -> FastAPI:
    """The web app serving the recordings below ``root`` (see the module docstring).

    ``db``: the label database (for the labels routers). ``token``: required from every client
    when given; a ``host`` that is not loopback needs one (:class:`TokenRequiredError`).
    ``allowed_hosts``: more Host header names accepted besides loopback and ``host``.
    ``cache_dir``: video proxies (default: :func:`default_cache_dir`).
    """
    root = Path(os.path.abspath(Path(root).expanduser()))
    if not root.is_dir():
        raise RecordingNotFoundError(root)
    if token is None and not is_loopback(host):
        raise TokenRequiredError(
            f"A server bound to {host} can be reached from other machines, so it needs a token."
        )
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    state = ServerState(
        root=root,
        db=Path(db) if db is not None else None,
        catalog=Catalog(root),
        proxies=ProxyBuilder(cache / "video"),
        cache_dir=cache,
        token_required=token is not None,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="gazeport",
        version=__version__,
        description="Recordings, frames, gaze and annotations of the recordings below one folder.",
        docs_url=None,  # Swagger UI loads from a CDN; /docs is drawn by our own page
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.gazeport = state
    install_error_handlers(app)
    for module in routers if routers is not None else ROUTER_MODULES:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    settings = GuardSettings.make(
        token=token, hosts=[host, *allowed_hosts], max_body_bytes=max_body_bytes,
        max_upload_bytes=max_upload_bytes,
    )  # fmt: skip
    app.add_middleware(Guard, settings=settings)
    return app
