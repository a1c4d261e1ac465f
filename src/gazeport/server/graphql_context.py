"""What the GraphQL resolvers share: the app's state, its label store and a worker thread.

The label store is opened once per app from ``state.db`` and kept in
``state.extras["labels"]`` (closed with the app; the key the labels routes use too), so the
labels pages and ``/graphql`` share one :class:`~gazeport.labels.LabelStore` (it serialises its calls). Resolvers are async
and run the store's blocking calls in a worker thread (:func:`in_thread`), so a slow frame
decode or a locked database never stalls the server's event loop.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from strawberry.types import Info

from ..errors import GazeportError
from ..labels import LabelStore, open_store
from .state import ServerState

T = TypeVar("T")
_opening = threading.Lock()


class NoLabelStoreError(GazeportError, LookupError):
    """The server was started without a label database (``gazeport serve --db``)."""


class BadGraphQLInputError(GazeportError, ValueError):
    """A GraphQL argument the server refuses (page size, export option, folder)."""


def state_of(info: Info[Any, Any]) -> ServerState:
    """The app's :class:`ServerState` from a resolver's ``info``."""
    state: ServerState = info.context["request"].app.state.gazeport
    return state


def label_store(state: ServerState) -> LabelStore:
    """The app's label store, opened on first use; :class:`NoLabelStoreError` without ``--db``."""
    store = state.extras.get("labels")
    if store is None:
        with _opening:
            store = state.extras.get("labels")
            if store is None:
                if state.db is None:
                    raise NoLabelStoreError(
                        "This server has no label store; start it with gazeport serve --db "
                        "study.sqlite (make one with gazeport labels init)."
                    )
                store = open_store(state.db)
                state.extras["labels"] = store
    assert isinstance(store, LabelStore)
    return store


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))
