"""``/api/recordings/{id}/eyes…``: the eye videos and the eye picture shown with a world frame
(the player's picture-in-picture overlay; the logic is in :mod:`gazeport.server.eye_images`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from ..errors import StreamNotFoundError
from . import eye_images
from .state import ServerState, server_state

router = APIRouter(prefix="/api", tags=["eyes"])
State = Annotated[ServerState, Depends(server_state)]


@router.get("/recordings/{rid}/eyes", summary="The recording's eye videos")
def eyes(state: State, rid: str) -> dict[str, Any]:
    """``{"eyes": [{"eye", "width", "height", "frames"}, …]}``: ``eye0``/``eye1`` (Core),
    ``sensor`` (Neon: both eyes in one picture); empty without eye videos."""
    opened = state.catalog.open(rid)
    videos = eye_images.eye_videos(opened)
    return {"eyes": [v.to_json() for v in videos.videos.values()]}


@router.get(
    "/recordings/{rid}/eyes/{eye}/at/{index}.jpg",
    summary="The eye picture shown with one world frame",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 204: {"description": "No eye frame near"}},
)
def eye_at(state: State, rid: str, eye: str, index: int) -> Response:
    """The ``eye`` frame shown with world frame ``index``, as Pupil Player's eye overlay and
    Neon Player's picture-in-picture pick it; 204 where a Neon eye video has a gap."""
    opened = state.catalog.open(rid)
    video = eye_images.eye_videos(opened).get(eye)
    n = len(opened.frames)
    if not 0 <= index < n:
        raise StreamNotFoundError(
            f"There is no frame {index}; the recording has frames 0 - {n - 1}."
        )
    data = eye_images.eye_jpeg(video, index)
    if data is None:
        return Response(status_code=204)
    return Response(data, media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})  # fmt: skip
