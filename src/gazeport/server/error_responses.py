"""Errors become JSON ``{"error": "<one sentence>"}`` with a fitting status, never a traceback.

gazeport's own errors already are sentences for users; :data:`STATUS_FOR` maps their classes to
HTTP statuses (the most specific class wins). Validation errors of FastAPI become ``400`` with a
sentence naming the parameter. Anything unexpected is ``500`` with a sentence that says the log
has the details, and the log gets the traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..errors import (
    CorruptFileError,
    ExportError,
    FileWriteError,
    GazeportError,
    InvalidInfoFileError,
    LabelNotFoundError,
    LabelStoreLockedError,
    LabelStoreNotFoundError,
    NoInfoFileError,
    NotARecordingError,
    RecordingLockedError,
    RecordingNotFoundError,
    StreamNotFoundError,
    UnsupportedRecordingError,
)
from .recordings import UnknownRecordingError, UnreadableRecordingError

log = logging.getLogger("gazeport.server")

#: HTTP status of each gazeport error class; a subclass not listed takes its nearest base's.
STATUS_FOR: dict[type[BaseException], int] = {
    GazeportError: 400,
    RecordingNotFoundError: 404,
    NotARecordingError: 404,
    NoInfoFileError: 404,
    StreamNotFoundError: 404,
    RecordingLockedError: 409,
    UnsupportedRecordingError: 422,
    InvalidInfoFileError: 422,
    CorruptFileError: 422,
    ExportError: 500,
    FileWriteError: 500,
    UnknownRecordingError: 404,
    UnreadableRecordingError: 422,
    LabelNotFoundError: 404,
    LabelStoreNotFoundError: 404,
    LabelStoreLockedError: 409,
}


def status_for(exc: BaseException) -> int:
    """The status for ``exc`` from :data:`STATUS_FOR` (its class or nearest listed base)."""
    for cls in type(exc).__mro__:
        if cls in STATUS_FOR:
            return STATUS_FOR[cls]
    return 500


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one shape of every error the server sends."""
    return JSONResponse({"error": " ".join(message.split())}, status_code=status, headers=headers)


def _validation_sentence(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "The request is not valid."
    first: dict[str, Any] = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body",)]
    where = {"query": "query parameter", "path": "path parameter", "header": "header"}.get(
        loc[0] if loc else "", "field"
    )
    name = ".".join(loc[1:] if loc and loc[0] in ("query", "path", "header") else loc)
    msg = str(first.get("msg", "is not valid")).rstrip(".")
    if name:
        return f"The {where} {name!r} is not valid: {msg[0].lower() + msg[1:] if msg else msg}."
    return f"The request body is not valid: {msg}."


async def _gazeport_error(request: Request, exc: Exception) -> JSONResponse:
    status = status_for(exc)
    if status >= 500:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    else:
        log.info("%s %s: %s", request.method, request.url.path, exc)
    return error_response(status, str(exc) or type(exc).__name__)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "The request failed."
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is nothing at {request.url.path}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    return error_response(exc.status_code, detail, getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, _validation_sentence(exc))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed unexpectedly", request.method, request.url.path, exc_info=exc)
    return error_response(
        500,
        f"The server failed unexpectedly ({type(exc).__name__}); its log has the details. "
        "This is a bug in gazeport; please report it.",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on ``app``."""
    app.add_exception_handler(GazeportError, _gazeport_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
