"""``/graphql``: the GraphQL API over the label store (schema in :mod:`.graphql_schema`).

``POST /graphql`` runs queries and mutations (JSON ``{"query", "variables"}``); ``GET
/graphql?query=…`` runs queries only (Strawberry refuses a mutation over GET). The Guard treats
the POST as state-changing like every other write: same-origin pages or clients without
browser headers, and the token when the server has one. A request Strawberry cannot take (not
JSON, a mutation over GET, no query) is ``{"error": "<sentence>"}`` like every other error.

No GraphiQL page: Strawberry's GraphiQL loads React and GraphiQL from unpkg.com, and this server
pulls nothing from a CDN (its Content-Security-Policy would block it anyway). No subscriptions
(the schema has none), so no WebSocket endpoint; no multipart uploads.
"""

from __future__ import annotations

from typing import Any

from strawberry.fastapi import GraphQLRouter

try:  # where Strawberry's views raise it: cross_web since 0.28x, strawberry.http before
    from cross_web import HTTPException
except ImportError:  # pragma: no cover - older Strawberry
    from strawberry.http.exceptions import HTTPException  # type: ignore[no-redef,attr-defined]

from .error_responses import error_response
from .graphql_schema import schema

#: Strawberry's short reasons, as sentences for the user.
_SENTENCES = {
    "Not Found": "GET /graphql needs a ?query=…; send mutations (and any query) as a JSON POST "
    'with {"query": …, "variables": …}. This server has no GraphiQL page.',
    "mutations are not allowed when using GET": "A mutation cannot be sent with GET; POST it as "
    'JSON with {"query": …, "variables": …}.',
}


def _sentence(reason: str) -> str:
    text = _SENTENCES.get(reason, reason.strip() or "The GraphQL request is not valid.")
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


class GazeportGraphQLRouter(GraphQLRouter[object, None]):
    """Strawberry's router whose refusals are ``{"error": sentence}``, not plain text."""

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().run(*args, **kwargs)
        except HTTPException as exc:
            return error_response(exc.status_code, _sentence(str(exc.reason)))


router = GazeportGraphQLRouter(
    schema,
    path="/graphql",
    graphql_ide=None,
    allow_queries_via_get=True,
    subscription_protocols=(),
    multipart_uploads_enabled=False,
    tags=["graphql"],
)
