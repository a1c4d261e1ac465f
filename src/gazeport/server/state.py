"""What every router shares: the served root, the label database, the catalog, the caches.

One :class:`ServerState` per app, in ``app.state.gazeport``; a route gets it with
``state: ServerState = Depends(server_state)``. A router module added later (jobs, labels,
datasets, GraphQL) takes what it needs from here and keeps its own objects in ``extras``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request

from .recordings import Catalog
from .video_proxy import ProxyBuilder


@dataclass
class ServerState:
    """The app's shared objects (see the module docstring)."""

    root: Path
    db: Path | None
    catalog: Catalog
    proxies: ProxyBuilder
    cache_dir: Path
    token_required: bool
    #: Objects of other routers (a job queue, a label store), by name.
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.proxies.close()
        self.catalog.close()
        for extra in self.extras.values():
            closer = getattr(extra, "close", None)
            if callable(closer):
                closer()


def server_state(request: Request) -> ServerState:
    """FastAPI dependency: the app's :class:`ServerState`."""
    state: ServerState = request.app.state.gazeport
    return state
