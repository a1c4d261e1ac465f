"""``/api/recordings/{id}/annotations…``: list, add, edit, delete and hotkey definitions.

Everything goes through :func:`gazeport.recording.annotation_stores.annotation_store`, the same
store ``gazeport annotate`` uses: Pupil Player's ``annotation_player.pldata`` for Core-family
recordings, Neon Player's events for Neon, each edit under the recording's edit lock, so the
server and the CLI (or Player) can edit at once without losing a change. A row is named by its
number in the time-sorted list, as in ``gazeport annotate list``; every write answers with the
new list, since numbers after the changed row move.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from ..errors import GazeportError
from ..recording.annotation_stores import AnnotationStore, annotation_store
from .recordings import OpenRecording
from .scene_data import origin_ns
from .state import ServerState, server_state

router = APIRouter(prefix="/api/recordings/{rid}/annotations", tags=["annotations"])
State = Annotated[ServerState, Depends(server_state)]
FieldValue = bool | int | float | str


class BadAnnotationError(GazeportError, ValueError):
    """An annotation request the store refuses (bad label, time or field; HTTP 400)."""


class When(BaseModel):
    """One way to say when: a frame index, seconds (as ``gazeport annotate --seconds``), Pupil
    time [s] (Core) or UTC ns (Neon)."""

    model_config = ConfigDict(extra="forbid")
    frame: int | None = None
    seconds: float | None = None
    timestamp: float | None = None
    timestamp_ns: int | None = None

    def given(self) -> bool:
        return any(
            v is not None for v in (self.frame, self.seconds, self.timestamp, self.timestamp_ns)
        )


class AnnotationIn(When):
    label: str = Field(max_length=200)
    duration: float = Field(0.0, ge=0.0, allow_inf_nan=False)
    fields: dict[str, FieldValue] = Field(default_factory=dict, max_length=100)


class AnnotationPatch(When):
    label: str | None = Field(None, max_length=200)
    duration: float | None = Field(None, ge=0.0, allow_inf_nan=False)
    fields: dict[str, FieldValue] | None = Field(None, max_length=100)
    remove_fields: list[str] = Field(default_factory=list, max_length=100)


class DefinitionsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    set: dict[str, str] = Field(default_factory=dict, max_length=100)
    remove: list[str] = Field(default_factory=list, max_length=100)


def _store(state: ServerState, rid: str) -> tuple[AnnotationStore, OpenRecording]:
    opened = state.catalog.open(rid)
    return annotation_store(opened.entry.path), opened


def _listing(store: AnnotationStore, opened: OpenRecording) -> dict[str, Any]:
    """The store's rows, each with ``label`` (a Neon event's ``name``), ``timestamp_ns``, ``t_s``
    and ``frame_index`` added."""
    records = store.records()
    if records and "timestamp_ns" not in records[0]:
        to_ns = opened.rec.to_wall_clock_ns  # type: ignore[union-attr]
        stamps = np.asarray(to_ns(np.array([r["timestamp"] for r in records])), dtype=np.int64)
    else:
        stamps = np.array([r.get("timestamp_ns", 0) for r in records], dtype=np.int64)
    with opened.lock:
        frames = opened.frames
        index = frames.frame_for(stamps) if len(frames) and records else np.full(len(records), -1)
        t0 = origin_ns(opened)
    items = []
    for r, ns, k in zip(records, stamps.tolist(), index.tolist(), strict=True):
        label = r.get("label", r.get("name"))  # Neon events have a name, Core annotations a label
        items.append({
            **r, "label": label, "timestamp_ns": int(ns), "t_s": (ns - t0) / 1e9,
            "frame_index": int(k),
        })  # fmt: skip
    return {"noun": store.noun, "count": len(items), "items": items}


def _bad(exc: ValueError | KeyError) -> GazeportError:
    if isinstance(exc, GazeportError):
        return exc
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return BadAnnotationError(str(text))


def _when(store: AnnotationStore, body: When) -> Any:
    try:
        return store.when(
            timestamp=body.timestamp, timestamp_ns=body.timestamp_ns, frame=body.frame,
            seconds=body.seconds,
        )  # fmt: skip
    except ValueError as exc:
        raise _bad(exc) from None


@router.get("", summary="The annotations (Neon: events), sorted by time")
def list_annotations(state: State, rid: str) -> dict[str, Any]:
    store, opened = _store(state, rid)
    return _listing(store, opened)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add an annotation")
def add_annotation(state: State, rid: str, body: AnnotationIn) -> dict[str, Any]:
    """Add at ``frame`` (or ``seconds``/``timestamp``/``timestamp_ns``); answers the new list."""
    store, opened = _store(state, rid)
    try:
        label = store.validate_label(body.label)
        store.add(label, _when(store, body), body.duration, dict(body.fields))
    except ValueError as exc:
        raise _bad(exc) from None
    return _listing(store, opened)


@router.get("/definitions", summary="Label hotkeys")
def definitions(state: State, rid: str) -> dict[str, Any]:
    """``{"definitions": {label: hotkey}, "editable": bool}`` (Neon's are set in Neon Player)."""
    store, _ = _store(state, rid)
    return {"definitions": store.definitions(), "editable": store.noun == "annotation"}


@router.patch("/definitions", summary="Set and remove label hotkeys")
def update_definitions(state: State, rid: str, body: DefinitionsPatch) -> dict[str, Any]:
    store, _ = _store(state, rid)
    try:
        result = store.update_definitions(dict(body.set), body.remove)
    except (ValueError, KeyError) as exc:
        raise _bad(exc) from None
    return {"definitions": result, "editable": True}


@router.patch("/{index}", summary="Change an annotation")
def edit_annotation(state: State, rid: str, index: int, body: AnnotationPatch) -> dict[str, Any]:
    """Change the fields given; answers the new list."""
    store, opened = _store(state, rid)
    try:
        label = None if body.label is None else store.validate_label(body.label)
        when = _when(store, body) if body.given() else None
        store.edit(
            index, label=label, when=when, duration=body.duration,
            fields=None if body.fields is None else dict(body.fields),
            remove_fields=body.remove_fields,
        )  # fmt: skip
    except (ValueError, KeyError) as exc:
        raise _bad(exc) from None
    return _listing(store, opened)


@router.delete("/{index}", summary="Delete an annotation")
def delete_annotation(state: State, rid: str, index: int) -> dict[str, Any]:
    """Delete row ``index``; answers the new list."""
    store, opened = _store(state, rid)
    store.delete(index)
    return _listing(store, opened)
