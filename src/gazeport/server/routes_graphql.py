"""``/graphql``: the GraphQL API over the label store (schema in :mod:`.graphql_schema`).

``POST /graphql`` runs queries and mutations; ``GET /graphql?query=…`` runs queries only (a
mutation over GET is refused by Strawberry). The Guard treats the POST as state-changing like
every other write: same-origin pages or clients without browser headers, and the token when the
server has one.

No GraphiQL page: Strawberry's GraphiQL loads React and GraphiQL from unpkg.com, and this server
pulls nothing from a CDN (its Content-Security-Policy would block it anyway). No subscriptions
(the schema has none), so no WebSocket endpoint; no multipart uploads.
"""

from __future__ import annotations

from strawberry.fastapi import GraphQLRouter

from .graphql_schema import schema

router: GraphQLRouter[object, None] = GraphQLRouter(
    schema,
    path="/graphql",
    graphql_ide=None,
    allow_queries_via_get=True,
    subscription_protocols=(),
    multipart_uploads_enabled=False,
    tags=["graphql"],
)
