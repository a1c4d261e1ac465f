"""``/api/recordings/{id}/trim``: the player's trim marks, kept per recording outside it.

Neon Player v6 keeps its export window per recording (in a folder inside the recording); Pupil
Player forgets it. gazeport keeps it, but never in the recording (DESIGN: trim marks live in the
user's folders): one small JSON file per recording in :func:`trim_dir`, named after a digest of
the recording's own stable id (Core ``recording_uuid``, Neon ``recording_id``), so the marks
follow the recording when the served root or its folder name changes.

Marks are inclusive frame indices of the world timeline, as Pupil Player's trim range
(``start_frame`` ≤ ``end_frame``, both in ``0 .. count - 1``); the default is the whole
recording. A stored range that no longer fits the recording (its frame count changed) is
ignored and the default answered.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from ..errors import GazeportError
from .recordings import OpenRecording
from .scene_data import origin_ns
from .state import ServerState, server_state

router = APIRouter(prefix="/api/recordings/{rid}/trim", tags=["trim"])
State = Annotated[ServerState, Depends(server_state)]
_LOCK = threading.Lock()


class BadTrimError(GazeportError, ValueError):
    """Trim marks outside the recording's frames or in the wrong order (HTTP 400)."""


class TrimIn(BaseModel):
    """Inclusive frame indices of the new trim marks."""

    model_config = ConfigDict(extra="forbid")
    start_frame: int
    end_frame: int


def trim_dir(state: ServerState) -> Path:
    """Where the marks are kept: ``<cache_dir>/trim`` for a server given its own cache folder
    (tests, portable setups), else the user's data folder (marks are data, not a cache a
    cleaner may delete)."""
    if state.cache_dir != Path(platformdirs.user_cache_dir("gazeport")) / "web":
        return state.cache_dir / "trim"
    return Path(platformdirs.user_data_dir("gazeport")) / "web" / "trim"


def _file(state: ServerState, stable_id: str) -> Path:
    digest = hashlib.sha256(stable_id.encode("utf-8")).hexdigest()[:32]
    return trim_dir(state) / f"{digest}.json"


def _answer(opened: OpenRecording, start: int, end: int, saved: bool) -> dict[str, Any]:
    frames = opened.frames
    t0 = origin_ns(opened)
    ts = frames.timestamp_ns
    return {
        "start_frame": start,
        "end_frame": end,
        "frame_count": len(frames),
        "start_s": (int(ts[start]) - t0) / 1e9 if len(frames) else 0.0,
        "end_s": (int(ts[end]) - t0) / 1e9 if len(frames) else 0.0,
        "saved": saved,
    }


def _stored(path: Path, stable_id: str, count: int) -> tuple[int, int] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        start, end = int(data["start_frame"]), int(data["end_frame"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if data.get("recording_id") != stable_id or data.get("frame_count") != count:
        return None
    if not 0 <= start <= end < count:
        return None
    return start, end


def _opened(state: ServerState, rid: str) -> tuple[OpenRecording, str, int]:
    opened = state.catalog.open(rid)
    with opened.lock:
        frames = opened.frames
        return opened, str(frames.recording_id), len(frames)


@router.get("", summary="The trim marks (default: the whole recording)")
def get_trim(state: State, rid: str) -> dict[str, Any]:
    """``start_frame``/``end_frame`` (inclusive), their seconds since frame 0, ``frame_count``
    and ``saved`` (false: the default, nothing stored)."""
    opened, stable_id, count = _opened(state, rid)
    found = _stored(_file(state, stable_id), stable_id, count)
    if found is None:
        return _answer(opened, 0, max(count - 1, 0), saved=False)
    return _answer(opened, *found, saved=True)


@router.put("", summary="Set the trim marks")
def put_trim(state: State, rid: str, body: TrimIn) -> dict[str, Any]:
    """Store ``start_frame`` ≤ ``end_frame`` within the recording's frames; else 400."""
    opened, stable_id, count = _opened(state, rid)
    if count == 0:
        raise BadTrimError("The recording has no scene frames, so it has no trim marks.")
    if not 0 <= body.start_frame < count or not 0 <= body.end_frame < count:
        raise BadTrimError(
            f"Trim marks must be frames 0 - {count - 1}; got {body.start_frame} - {body.end_frame}."
        )
    if body.start_frame > body.end_frame:
        raise BadTrimError(
            f"The left trim mark (frame {body.start_frame}) is after the right one "
            f"(frame {body.end_frame})."
        )
    path = _file(state, stable_id)
    record = {"recording_id": stable_id, "frame_count": count,
              "start_frame": body.start_frame, "end_frame": body.end_frame}  # fmt: skip
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.writing")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, path)
    return _answer(opened, body.start_frame, body.end_frame, saved=True)


@router.delete("", summary="Forget the trim marks (back to the whole recording)")
def delete_trim(state: State, rid: str) -> dict[str, Any]:
    opened, stable_id, count = _opened(state, rid)
    with _LOCK:
        _file(state, stable_id).unlink(missing_ok=True)
    return _answer(opened, 0, max(count - 1, 0), saved=False)
