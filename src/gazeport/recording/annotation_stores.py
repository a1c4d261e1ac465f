"""One annotation store per recording kind, so front-ends edit any recording the same way.

:func:`annotation_store` returns :class:`CoreAnnotations` for the Pupil Core family (Player's
``annotation_player.pldata``, :mod:`gazeport.recording.annotations`) and :class:`NeonEvents` for
native Neon recordings (Neon Player's events, :mod:`gazeport.recording.neon_events`). Both speak
the same small protocol: rows to list (``records`` for JSON, ``cells`` for a table), ``when`` to
turn a moment given by the user into the store's own time, then ``add``/``edit``/``delete`` by
the number a row has in the time-sorted list.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from ..errors import UnsupportedRecordingError
from . import annotations as notes
from . import neon_events
from .detect import RecordingKind, check_recording
from .facade import Recording
from .neon import NeonRecording


class AnnotationStore(Protocol):
    """What ``gazeport annotate`` needs of a recording."""

    path: Path
    noun: str  #: "annotation" or "event", for messages
    #: Table headers and whether the column is right-aligned.
    columns: tuple[tuple[str, bool], ...]

    def records(self) -> list[dict[str, Any]]: ...
    def cells(self, records: list[dict[str, Any]]) -> list[list[str]]: ...
    def validate_label(self, label: str) -> str: ...
    def when(
        self,
        *,
        timestamp: float | None = None,
        timestamp_ns: int | None = None,
        frame: int | None = None,
        seconds: float | None = None,
    ) -> Any: ...
    def when_text(self, when: Any) -> str: ...
    def add(self, label: str, when: Any, duration: float, fields: dict[str, Any]) -> None: ...
    def edit(
        self,
        index: int,
        *,
        label: str | None,
        when: Any,
        duration: float | None,
        fields: dict[str, Any] | None,
        remove_fields: Iterable[str],
    ) -> None: ...
    def delete(self, index: int) -> None: ...
    def definitions(self) -> dict[str, str]: ...
    def update_definitions(self, set_: dict[str, str], remove: Iterable[str]) -> dict[str, str]: ...


class CoreAnnotations:
    """Pupil Player's annotations of a Core-family recording (times in Pupil seconds)."""

    noun = "annotation"
    columns: tuple[tuple[str, bool], ...] = (("#", True), ("timestamp", True), ("frame", True), ("label", False),
               ("duration", True), ("fields", False))  # fmt: skip

    def __init__(self, rec: Recording) -> None:
        self.rec = rec
        self.path = rec.path

    def records(self) -> list[dict[str, Any]]:
        return [
            {"index": i, "timestamp": a.timestamp, "label": a.label, "duration": a.duration,
             **a.fields}
            for i, a in enumerate(notes.load_annotations(self.path))
        ]  # fmt: skip

    def cells(self, records: list[dict[str, Any]]) -> list[list[str]]:
        rec = self.rec
        stamps = [r["timestamp"] for r in records]
        frames = rec.world_index(stamps) if records and len(rec.frame_table) else None
        fixed = {"index", "timestamp", "label", "duration"}
        rows = []
        for i, r in enumerate(records):
            frame = "" if frames is None else str(int(frames[i]))
            extra = ", ".join(f"{k}={v!r}" for k, v in sorted(r.items()) if k not in fixed)
            rows.append([str(r["index"]), f"{r['timestamp']:.6f}", frame, r["label"],
                         f"{r['duration']:g}", extra])  # fmt: skip
        return rows

    def validate_label(self, label: str) -> str:
        return notes.validate_label(label)

    def when(
        self,
        *,
        timestamp: float | None = None,
        timestamp_ns: int | None = None,
        frame: int | None = None,
        seconds: float | None = None,
    ) -> float:
        if timestamp_ns is not None:
            raise ValueError(
                "--timestamp-ns (UTC ns) is for Neon recordings; give Pupil time with --timestamp."
            )
        return notes.timestamp_for(
            self.rec.world_timestamps, timestamp=timestamp, frame=frame, seconds=seconds
        )

    def when_text(self, when: float) -> str:
        return f"{when:.6f}"

    def add(self, label: str, when: float, duration: float, fields: dict[str, Any]) -> None:
        notes.add_annotation(self.path, notes.Annotation(when, label, duration, fields))

    def edit(
        self,
        index: int,
        *,
        label: str | None,
        when: float | None,
        duration: float | None,
        fields: dict[str, Any] | None,
        remove_fields: Iterable[str],
    ) -> None:
        notes.edit_annotation(
            self.path, index, label=label, timestamp=when, duration=duration, fields=fields,
            remove_fields=tuple(remove_fields),
        )  # fmt: skip

    def delete(self, index: int) -> None:
        notes.delete_annotation(self.path, index)

    def definitions(self) -> dict[str, str]:
        return notes.load_definitions(self.path)

    def update_definitions(self, set_: dict[str, str], remove: Iterable[str]) -> dict[str, str]:
        return notes.update_definitions(self.path, set_=set_, remove=remove)


class NeonEvents:
    """Neon Player's events of a native Neon recording (times in UTC ns)."""

    noun = "event"
    columns: tuple[tuple[str, bool], ...] = (("#", True), ("seconds", True), ("timestamp [ns]", True), ("name", False),
               ("type", False))  # fmt: skip

    def __init__(self, rec: NeonRecording) -> None:
        self.rec = rec
        self.path = rec.path

    @property
    def _window(self) -> tuple[int, int]:
        return self.rec.start_time_ns, self.rec.stop_time_ns

    def _edit_args(self) -> dict[str, Any]:
        return {"native": self.rec.native_events(), "window_ns": self._window}

    def records(self) -> list[dict[str, Any]]:
        table = self.rec.event_table()
        seconds = self.rec.relative_s(table["timestamp_ns"]).tolist()
        return [
            {"index": i, "seconds": s, "timestamp_ns": int(ts), "name": str(name),
             "type": str(kind)}
            for i, (s, ts, name, kind) in enumerate(
                zip(seconds, table["timestamp_ns"].tolist(), table["name"], table["type"],
                    strict=True))
        ]  # fmt: skip

    def cells(self, records: list[dict[str, Any]]) -> list[list[str]]:
        return [
            [str(r["index"]), f"{r['seconds']:.6f}", str(r["timestamp_ns"]), r["name"], r["type"]]
            for r in records
        ]

    def validate_label(self, label: str) -> str:
        return neon_events.check_name(label)

    def when(
        self,
        *,
        timestamp: float | None = None,
        timestamp_ns: int | None = None,
        frame: int | None = None,
        seconds: float | None = None,
    ) -> int:
        given = [v is not None for v in (timestamp, timestamp_ns, frame, seconds)]
        if timestamp is not None:
            raise ValueError(
                "Neon recordings keep UTC ns, not Pupil time; give --timestamp-ns, --frame or "
                "--seconds (from the recording start)."
            )
        if sum(given) != 1:
            raise ValueError("Give exactly one of --timestamp-ns, --frame or --seconds.")
        start, _ = self._window
        if frame is not None:
            ts = self.rec.timeline.timestamps_ns
            if not 0 <= frame < len(ts):
                raise ValueError(
                    f"There is no world frame {frame}; the recording has frames 0 - {len(ts) - 1}."
                )
            return neon_events.check_time(int(ts[frame]), self._window)
        if seconds is not None:
            if seconds != seconds:  # NaN
                raise ValueError("The seconds must be a number.")
            return neon_events.check_time(start + round(seconds * 1e9), self._window)
        assert timestamp_ns is not None
        return neon_events.check_time(timestamp_ns, self._window)

    def when_text(self, when: int) -> str:
        return f"{(when - self.rec.start_time_ns) / 1e9:.6f} s ({when} ns)"

    def _no_extras(self, duration: float | None, fields: dict[str, Any] | None) -> None:
        if duration or fields:
            raise ValueError(
                "Neon Player events are a name at a moment; they have no duration or fields."
            )

    def add(self, label: str, when: int, duration: float, fields: dict[str, Any]) -> None:
        self._no_extras(duration, fields)
        neon_events.add_event(self.path, label, when, **self._edit_args())

    def edit(
        self,
        index: int,
        *,
        label: str | None,
        when: int | None,
        duration: float | None,
        fields: dict[str, Any] | None,
        remove_fields: Iterable[str],
    ) -> None:
        self._no_extras(duration, fields or dict.fromkeys(remove_fields))
        neon_events.edit_event(self.path, index, name=label, timestamp_ns=when, **self._edit_args())

    def delete(self, index: int) -> None:
        neon_events.delete_event(self.path, index, **self._edit_args())

    def definitions(self) -> dict[str, str]:
        return {name: key for name, key in neon_events.event_shortcuts(self.path).items()}

    def update_definitions(self, set_: dict[str, str], remove: Iterable[str]) -> dict[str, str]:
        raise UnsupportedRecordingError(
            f"{self.path} is a Neon recording, whose event shortcuts are set in Neon Player; "
            "gazeport only shows them."
        )


def annotation_store(path: Path | str) -> AnnotationStore:
    """The store for the recording at ``path``: Neon Player's events or Player's annotations."""
    if check_recording(Path(path)) is RecordingKind.NEON:
        return NeonEvents(NeonRecording(path))
    return CoreAnnotations(Recording(path))
