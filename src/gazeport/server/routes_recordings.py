"""``/api/health`` and ``/api/recordings…``: the list, one recording, frames, video, gaze,
fixations and blinks (see :mod:`gazeport.server.scene_data` for the time conventions)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from .._version import __version__
from ..errors import StreamNotFoundError
from . import frame_images, scene_data
from .error_responses import error_response
from .paths import resolve_inside
from .recordings import OpenRecording, RecordingEntry
from .state import ServerState, server_state
from .video_proxy import original_video

router = APIRouter(prefix="/api", tags=["recordings"])
State = Annotated[ServerState, Depends(server_state)]
Seconds = Annotated[float | None, Query(description="Seconds since frame 0 (the player's clock).")]
SORT_KEYS = ("name", "path", "kind", "duration", "start", "wearer", "exports")


def _sort_value(entry: RecordingEntry, key: str) -> tuple[int, Any]:
    value: Any = {
        "name": entry.name.lower(), "path": entry.relative.lower(), "kind": entry.kind_label,
        "duration": entry.duration_s, "start": entry.start_utc,
        "wearer": (entry.wearer or "").lower() or None, "exports": entry.exports,
    }[key]  # fmt: skip
    return (value is None, value if value is not None else 0)


def _matches(entry: RecordingEntry, q: str) -> bool:
    text = " ".join(
        str(v) for v in (entry.name, entry.relative, entry.kind_label, entry.wearer or "",
                         entry.start_utc or "")
    ).lower()  # fmt: skip
    return all(word in text for word in q.lower().split())


@router.get("/health", summary="Is the server up")
def health(state: State) -> dict[str, Any]:
    """``{"status": "ok", "version": …, "root": …}``."""
    return {"status": "ok", "version": __version__, "root": str(state.root),
            "token_required": state.token_required}  # fmt: skip


@router.get("/recordings", summary="Every recording below the root")
def list_recordings(
    state: State,
    q: Annotated[
        str | None,
        Query(description="Words that must all appear (name, path, kind, wearer, date)."),
    ] = None,
    sort: Annotated[
        Literal["name", "path", "kind", "duration", "start", "wearer", "exports"], Query()
    ] = "path",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    refresh: Annotated[bool, Query(description="Find the recordings again.")] = False,
) -> dict[str, Any]:
    """The recordings, filtered by ``q`` and sorted by ``sort`` (missing values last)."""
    entries = state.catalog.refresh() if refresh else state.catalog.entries()
    if q:
        entries = [e for e in entries if _matches(e, q)]
    entries = sorted(entries, key=lambda e: _sort_value(e, sort), reverse=order == "desc")
    if order == "desc":  # missing values stay last
        entries = [e for e in entries if _sort_value(e, sort)[0] == 0] + [
            e for e in entries if _sort_value(e, sort)[0] == 1
        ]
    return {"root": str(state.root), "count": len(entries),
            "recordings": [e.to_json() for e in entries]}  # fmt: skip


@router.get("/recordings/lookup", summary="The recording at a path below the root")
def lookup(
    state: State, path: Annotated[str, Query(description="Relative to the root, with '/'.")]
) -> dict[str, Any]:
    """The recording at ``path``; paths outside the root (``..``, absolute, symlinks) are refused."""
    return state.catalog.by_relative(resolve_inside(state.root, path)).to_json()


def _opened(state: ServerState, rid: str) -> OpenRecording:
    return state.catalog.open(rid)


@router.get("/recordings/{rid}", summary="One recording")
def recording(state: State, rid: str) -> dict[str, Any]:
    """The recording's facts and its scene frames' count and size."""
    entry = state.catalog.get(rid)
    out = entry.to_json()
    if entry.error is None:
        opened = _opened(state, rid)
        with opened.lock:
            frames = opened.frames
            real = np.flatnonzero(frames.real)
            out["frames"] = {
                "count": len(frames), "width": frames.width, "height": frames.height,
                "first_real": int(real[0]) if real.size else None,
            }  # fmt: skip
            out["streams"] = sorted(
                name for name in ("gaze", "pupil", "fixations", "blinks", "events")
                if opened.rec.has_stream(name)
            )  # fmt: skip
    return out


@router.get("/recordings/{rid}/frames", summary="Every scene frame's time")
def frames(state: State, rid: str) -> dict[str, Any]:
    """Frame count and size, ``timestamp_ns``, ``t_s`` and ``real`` for every frame index."""
    opened = _opened(state, rid)
    with opened.lock:
        return scene_data.frames_json(opened)


@router.get(
    "/recordings/{rid}/frames/{index}.jpg",
    summary="One scene frame as JPEG",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def frame_jpeg(
    state: State,
    rid: str,
    index: int,
    width: Annotated[
        int | None,
        Query(ge=16, le=16384, description="Pixels wide (scaled down, never up; default: full)."),
    ] = None,
) -> Response:
    """Frame ``index`` of the world timeline (gray where there is no picture)."""
    opened = _opened(state, rid)
    n = len(opened.frames)
    if not 0 <= index < n:
        raise StreamNotFoundError(
            f"There is no frame {index}; the recording has frames 0 - {n - 1}."
            if n
            else "The recording has no scene frames."
        )
    return Response(
        frame_images.frame_jpeg(opened, index, width), media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=3600"},
    )  # fmt: skip


def _video_status(state: ServerState, rid: str) -> tuple[str, float, Any, str | None]:
    opened = _opened(state, rid)
    frames = opened.frames
    # probing demuxes the whole file: once per recording, not on every Range request
    original = opened.cached("original_video", lambda: original_video(frames))
    return state.proxies.status(frames, original)


def _preparing(progress: float) -> JSONResponse:
    return JSONResponse(
        {"status": "preparing", "progress": round(progress, 3)},
        status_code=202,
        headers={"Retry-After": "1"},
    )


@router.get("/recordings/{rid}/video/status", summary="Is the browser video ready")
def video_status(state: State, rid: str) -> dict[str, Any]:
    """``{"status": "ready|preparing|failed", "progress": 0..1, "source": "original|proxy"}``;
    asking starts preparing a proxy when one is needed."""
    status, progress, video, error = _video_status(state, rid)
    out: dict[str, Any] = {"status": status, "progress": round(progress, 3)}
    if video is not None:
        out["source"] = video.source
    if error:
        out["error"] = error
    return out


#: What a Range header of a video request may say (one or more byte ranges).
_RANGE = re.compile(r"^bytes=\s*(\d+-\d*|-\d+)(\s*,\s*(\d+-\d*|-\d+))*\s*$")


@router.head("/recordings/{rid}/video", include_in_schema=False)
@router.get(
    "/recordings/{rid}/video",
    summary="The scene video (H.264, Range requests)",
    response_class=FileResponse,
    responses={
        202: {"description": "A proxy is being prepared; retry."},
        206: {"description": "Partial content."},
    },
)
def video(state: State, rid: str, request: Request) -> Response:
    """The scene video a browser plays (``Accept-Ranges: bytes``; ``206`` for a Range, ``416``
    for a range beyond the end)."""
    asked = request.headers.get("range")
    if asked is not None and not _RANGE.match(asked):
        return error_response(
            400, f"The Range header {asked!r} is not a byte range like 'bytes=0-1023'."
        )
    status, progress, playable, error = _video_status(state, rid)
    if status == "failed":
        return error_response(500, error or "The browser video could not be prepared.")
    if playable is None:
        return _preparing(progress)
    return FileResponse(
        playable.path, media_type="video/mp4", filename=None,
        headers={"Cache-Control": "private, max-age=3600"},
    )  # fmt: skip


@router.get("/recordings/{rid}/video/timestamps", summary="Video frames ↔ frame indices")
def video_timestamps(state: State, rid: str) -> Any:
    """For every frame of ``/video``: ``frame_index``, ``timestamp_ns`` and ``video_time_s``."""
    status, progress, playable, error = _video_status(state, rid)
    if status == "failed":
        return error_response(500, error or "The browser video could not be prepared.")
    if playable is None:
        return _preparing(progress)
    return playable.timestamps_json()


@router.get("/recordings/{rid}/gaze", summary="Gaze in a time window")
def gaze(state: State, rid: str, start_s: Seconds = None, end_s: Seconds = None) -> dict[str, Any]:
    """Gaze samples in scene-frame pixels (top-left origin) with their frame index."""
    opened = _opened(state, rid)
    return scene_data.gaze_window(opened, start_s, end_s)


@router.get("/recordings/{rid}/fixations", summary="Fixations in a time window")
def fixations(
    state: State, rid: str, start_s: Seconds = None, end_s: Seconds = None
) -> dict[str, Any]:
    """Fixations overlapping the window (Core: Player's detector; Neon: the app's)."""
    opened = _opened(state, rid)
    return scene_data.fixations_window(opened, start_s, end_s)


@router.get("/recordings/{rid}/blinks", summary="Blinks in a time window")
def blinks(
    state: State, rid: str, start_s: Seconds = None, end_s: Seconds = None
) -> dict[str, Any]:
    """Blinks overlapping the window (Core: Player's detector; Neon: the app's)."""
    opened = _opened(state, rid)
    return scene_data.blinks_window(opened, start_s, end_s)
