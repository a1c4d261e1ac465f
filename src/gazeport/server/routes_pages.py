"""The pages: ``/`` (recordings), ``/player/{id}`` (``player.html`` with ``player.js`` and its
modules), placeholders for the labeler and datasets, the favicon, and the static files (plain
ES modules and CSS, no build step, no CDN).

The player, labeler and dataset pages are built by their own router modules, listed before this
one in :data:`gazeport.server.app.ROUTER_MODULES`: the first route that matches wins, so they
replace the placeholders here without touching this file.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).with_name("static")

router = APIRouter(include_in_schema=False)
_NO_CACHE = {"Cache-Control": "no-cache"}


def page(name: str) -> FileResponse:
    """A page of ``static/`` (HTML, revalidated on every load so updates show at once)."""
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8", headers=_NO_CACHE)


@router.get("/")
def recordings_page() -> FileResponse:
    return page("index.html")


@router.get("/player/{rid}")
def player_page(rid: str) -> FileResponse:
    return page("player.html")


@router.get("/labels")
def labels_page() -> FileResponse:
    return page("labels.html")


@router.get("/labels/tasks/{task_id}")
def labeler_page(task_id: int) -> FileResponse:
    return page("labeler.html")


@router.get("/datasets")
def datasets_page() -> FileResponse:
    return page("datasets.html")


@router.get("/docs")
def api_docs_page() -> FileResponse:
    """The API reference, drawn from ``/openapi.json`` by ``docs.js`` (no CDN)."""
    return page("docs.html")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
