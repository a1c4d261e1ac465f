"""gazeport's local web app and HTTP API (the ``web`` extra: FastAPI, uvicorn, Strawberry).

Layer L5, beside ``cli``: it calls the public library and holds no logic of its own. FastAPI
and the other web libraries are imported only inside this package. Start it with
``gazeport serve ROOT`` or ``uvicorn``-run :func:`create_app`.

Modules: ``app`` (create_app, the router list), ``security`` (Host, token, same-origin writes,
body size), ``paths`` (every path a request names, inside the root), ``recordings`` (the
catalog and ids), ``scene_data`` (gaze/fixations/blinks windows), ``video_proxy`` (browser
video), ``error_responses``, ``state``, and one ``routes_*`` module per part of the API.
"""

from .app import ROUTER_MODULES, create_app

__all__ = ["ROUTER_MODULES", "create_app"]
