"""``/api/recordings/{id}/exports`` and ``/api/jobs…``: export jobs in the background.

``POST /api/recordings/{id}/exports`` checks the request with
:func:`gazeport.jobs.prepare_export` (exporters, range, options: nothing is written yet) and
queues the job on the app's :class:`~gazeport.server.web_jobs.JobRegistry`; it answers ``202
{"job_id": …}`` at once. An empty body means what ``gazeport export REC`` does. The job writes
``REC/exports/NNN`` like the command (temporary names, renamed when a task completes).
``GET /api/jobs`` lists every job (newest first, finished ones kept), ``GET /api/jobs/{id}``
shows one, ``POST /api/jobs/{id}/cancel`` cancels a queued or running one (``409`` when it has
ended), and ``GET /api/jobs/events`` is a server-sent event stream of job snapshots.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ..analysis.blinks import BlinkParams
from ..analysis.fixations import FixationParams
from ..errors import ExportError, GazeportError
from ..exporters.dialects import DIALECT_NAMES
from ..exporters.world_video import VideoOptions
from ..jobs import DEFAULT_EXPORTERS, EXPORTER_TASKS, FORMATS, ExportOptions, Job, prepare_export
from ..jobs.task_warnings import routed_to
from ..render import OverlayConfig
from .error_responses import STATUS_FOR
from .state import ServerState, server_state
from .web_jobs import JobFinishedError, JobRegistry, UnknownJobError, job_registry

router = APIRouter(tags=["jobs"])
State = Annotated[ServerState, Depends(server_state)]
STATUS_FOR.setdefault(UnknownJobError, 404)
STATUS_FOR.setdefault(JobFinishedError, 409)

#: How often the event stream looks for changes [s]: at most one event per job per period.
EVENT_PERIOD_S = 0.25
#: A comment line after this much quiet [s], so proxies and the browser keep the stream open.
KEEP_ALIVE_S = 15.0
#: A stream ends after this long [s]; the browser's EventSource reconnects by itself and says
#: what it has seen (``Last-Event-ID``), so only newer changes are sent. Bounded streams let the
#: server shut down while a page is still open (uvicorn waits for open responses).
STREAM_LIFETIME_S = 30.0


class BadExportRequestError(GazeportError, ValueError):
    """An export request the library refuses (exporters, range, options; HTTP 400)."""


class FixationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_dispersion_deg: float = FixationParams.max_dispersion_deg
    min_duration_ms: float = FixationParams.min_duration_ms
    max_duration_ms: float = FixationParams.max_duration_ms
    min_confidence: float = FixationParams.min_confidence


class BlinksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    history_length_s: float = BlinkParams.history_length_s
    onset_confidence_threshold: float = BlinkParams.onset_confidence_threshold
    offset_confidence_threshold: float = BlinkParams.offset_confidence_threshold


class VideoIn(BaseModel):
    """The video exporters' options (``overlay``: Player's gaze circle and polyline, or none)."""

    model_config = ConfigDict(extra="forbid")
    codec: str = "h264"
    crf: int = 20
    overlay: bool = True
    trail_s: float = Field(default=0.0, allow_inf_nan=False)
    audio: bool = True
    pupil_overlay: bool = True


class ExportRequest(BaseModel):
    """What ``gazeport export`` takes, as JSON; every field optional."""

    model_config = ConfigDict(extra="forbid")
    exporters: list[str] | None = Field(default=None, max_length=50, description="as --only")
    start_frame: int | None = Field(default=None, ge=0)
    end_frame: int | None = Field(default=None, ge=0)
    start_s: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    end_s: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    from_event: str | None = Field(default=None, max_length=200)
    to_event: str | None = Field(default=None, max_length=200)
    dialect: str | None = None
    format: str = "csv"
    min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    field_info: bool = True
    online_events: bool = False
    workers: int | None = Field(default=None, ge=1, le=64)
    fixations: FixationsIn = Field(default_factory=FixationsIn)
    blinks: BlinksIn = Field(default_factory=BlinksIn)
    video: VideoIn = Field(default_factory=VideoIn)


def _exporters(names: list[str] | None, online_events: bool) -> tuple[str, ...]:
    """The exporters to run, in the order a job runs them (as ``--only``); default: the CLI's."""
    if names is None:
        chosen = list(DEFAULT_EXPORTERS)
    else:
        unknown = [n for n in names if n not in EXPORTER_TASKS]
        if unknown or not names:
            raise BadExportRequestError(
                f"Unknown exporter {', '.join(map(repr, unknown)) or '(none given)'}; "
                f"choose from: {', '.join(EXPORTER_TASKS)}."
            )
        chosen = names
    if online_events:
        chosen = [*chosen, "online-events"]
    return tuple(n for n in EXPORTER_TASKS if n in chosen)


def _options(body: ExportRequest) -> ExportOptions:
    fixations = FixationParams(**body.fixations.model_dump())
    v = body.video
    video = VideoOptions(
        codec=v.codec, crf=v.crf, overlay=OverlayConfig() if v.overlay else None,
        trail_s=v.trail_s, audio=v.audio, pupil_overlay=v.pupil_overlay,
        fixation_params=fixations,
    )  # fmt: skip
    return ExportOptions(
        fmt=body.format, min_confidence=body.min_confidence, field_info=body.field_info,
        fixation_params=fixations, blink_params=BlinkParams(**body.blinks.model_dump()),
        workers=body.workers, video=video, dialect=body.dialect,
    )  # fmt: skip


@router.get("/api/exporters")
def list_exporters() -> dict[str, Any]:
    """What an export can run: every exporter (``default``: run without ``exporters``), the
    dialects and the raw data formats, for a page's export dialog."""
    exporters = [
        {"name": name, "title": task.heading or name, "kind": task.kind,
         "default": name in DEFAULT_EXPORTERS}
        for name, task in EXPORTER_TASKS.items()
    ]  # fmt: skip
    return {"exporters": exporters, "dialects": list(DIALECT_NAMES), "formats": list(FORMATS)}


@router.post("/api/recordings/{rid}/exports", status_code=status.HTTP_202_ACCEPTED)
def start_export(
    rid: str, state: State, body: Annotated[ExportRequest | None, Body()] = None
) -> dict[str, Any]:
    """Queue an export of recording ``rid``; ``202 {"job_id": …}`` (see the module docstring)."""
    body = body or ExportRequest.model_validate({})
    if (body.start_frame is not None or body.end_frame is not None) and (
        body.start_s is not None or body.end_s is not None
    ):
        raise BadExportRequestError("Give the range either in frames or in seconds, not both.")
    entry = state.catalog.get(rid)
    if entry.error:
        state.catalog.open(rid)  # raises the reason it cannot be read
    registry = job_registry(state)
    jid = registry.new_id()
    opening = Job(entry.path).add_task("prepare")  # collects what opening the recording warns
    try:
        with routed_to(opening):
            job = prepare_export(
                entry.path, exporters=_exporters(body.exporters, body.online_events),
                start_frame=body.start_frame, end_frame=body.end_frame, start_s=body.start_s,
                end_s=body.end_s, from_event=body.from_event, to_event=body.to_event,
                options=_options(body), listener=registry.listener,
            )  # fmt: skip
    except (ExportError, ValueError) as exc:
        if isinstance(exc, GazeportError) and not isinstance(exc, ExportError):
            raise  # e.g. a damaged file: its own status (422), not a bad request
        raise BadExportRequestError(str(exc)) from exc
    for note in opening.warnings:  # e.g. a missing calibration: shown with the first task
        job.tasks[0].note(note)
    registry.add_export(jid, job, rid, entry.relative)
    return {"job_id": jid, "status": "queued", "url": f"/api/jobs/{jid}"}


@router.get("/api/jobs")
def list_jobs(state: State, recording: str | None = None) -> dict[str, Any]:
    """Every job, newest first; ``?recording=<id>`` keeps that recording's only."""
    snaps = [e.snapshot() for e in job_registry(state).entries()]
    if recording is not None:
        snaps = [s for s in snaps if s["recording"] == recording]
    return {"jobs": snaps}


def _resume_from(registry: JobRegistry, last_event_id: str | None) -> int:
    """The version a reconnecting browser has seen (its ``Last-Event-ID``, ``<epoch>:<version>``),
    or -1 (send every job) for a new stream or one from an earlier server."""
    epoch, _, version = (last_event_id or "").partition(":")
    if epoch == registry.epoch and version.isdigit() and int(version) <= registry.version:
        return int(version)
    return -1


async def _events(
    request: Request, registry: JobRegistry, after: str | None, until_idle: bool
) -> AsyncIterator[str]:
    """``event: job`` with a snapshot for each job that changed, every period at most.

    When the client goes, Starlette's :class:`StreamingResponse` (which listens for the
    disconnect) cancels this generator at its next ``await``; it must not read the request's
    messages itself, or it races that listener for them.
    """
    registry.watchers += 1
    try:
        yield "retry: 1000\n\n"
        seen = _resume_from(registry, request.headers.get("last-event-id") or after)
        quiet_since = opened = time.monotonic()
        while not registry.closed:
            seen, changed = registry.changes_since(seen)
            for snap in changed:
                data = json.dumps(snap, separators=(",", ":"))
                yield f"id: {registry.epoch}:{seen}\nevent: job\ndata: {data}\n\n"
            if until_idle and not registry.busy():
                return
            now = time.monotonic()
            if changed:
                quiet_since = now
            elif now - quiet_since >= KEEP_ALIVE_S:
                quiet_since = now
                yield ": keep-alive\n\n"
            if now - opened >= STREAM_LIFETIME_S:
                return
            await asyncio.sleep(EVENT_PERIOD_S)
    finally:
        registry.watchers -= 1


@router.get("/api/jobs/events", response_class=StreamingResponse)
def job_events(
    request: Request, state: State, after: str | None = None, until: str | None = None
) -> StreamingResponse:
    """Server-sent events: every job at once, then each job again whenever it changes (``id``
    lines let a reconnecting browser resume, as does ``?after=<id>``; ``: keep-alive`` comments
    when quiet). ``?until=idle`` ends the stream once no job is queued or running, so an idle
    page holds no open request."""
    if until not in (None, "idle"):
        raise BadExportRequestError(
            f"until={until!r} is not known; use until=idle or leave it out."
        )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    stream = _events(request, job_registry(state), after, until == "idle")
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


@router.get("/api/jobs/{jid}")
def get_job(jid: str, state: State) -> dict[str, Any]:
    return job_registry(state).entry(jid).snapshot()


@router.post("/api/jobs/{jid}/cancel")
def cancel_job(jid: str, state: State) -> dict[str, Any]:
    """Cancel a queued or running job (``409`` when it has finished); answers its snapshot."""
    return job_registry(state).cancel(jid).snapshot()
