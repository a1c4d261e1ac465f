"""What the GraphQL resolvers share: the app's state, its label store and a worker thread.

The label store is the labels routes' (:func:`~gazeport.server.routes_labels.label_store`:
opened once per app from ``state.db``, kept in ``state.extras["labels"]``, closed with the app),
so the labels pages and ``/graphql`` share one :class:`~gazeport.labels.LabelStore` (it
serialises its calls). Resolvers are async
and run the store's blocking calls in a worker thread (:func:`in_thread`), so a slow frame
decode or a locked database never stalls the server's event loop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from strawberry.types import Info

from ..errors import GazeportError
from .routes_labels import NoLabelStoreError, label_store
from .state import ServerState

T = TypeVar("T")


class BadGraphQLInputError(GazeportError, ValueError):
    """A GraphQL argument the server refuses (page size, export option, folder)."""


def state_of(info: Info[Any, Any]) -> ServerState:
    """The app's :class:`ServerState` from a resolver's ``info``."""
    state: ServerState = info.context["request"].app.state.gazeport
    return state


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


__all__ = [
    "BadGraphQLInputError",
    "NoLabelStoreError",
    "in_thread",
    "label_store",
    "state_of",
]
