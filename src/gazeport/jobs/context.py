"""What an exporter task gets to work with, and what an export returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..analysis.blinks import BlinkParams
from ..analysis.fixations import FixationParams
from ..errors import ExportError
from ..exporters.video_options import VideoOptions
from ..recording import Recording
from .model import Task, add_note
from .session import Staging

if TYPE_CHECKING:
    from ..recording import AnyRecording


@dataclass
class ExportOptions:
    """Options shared by the exporters of one job (see :func:`export_recording`)."""

    fmt: str = "csv"
    min_confidence: float | None = None
    field_info: bool = True
    fixation_params: FixationParams = field(default_factory=FixationParams)
    blink_params: BlinkParams = field(default_factory=BlinkParams)
    workers: int | None = None
    #: Options of the video exporters (codec, overlays, audio, ...).
    video: VideoOptions = field(default_factory=VideoOptions)
    #: ``"pupil-player"``, ``"neon-player"`` or ``"cloud"``; ``None``: the recording kind's own
    #: tool's (Neon Player v6 for Neon, Cloud for Cloud downloads, else Pupil Player).
    dialect: str | None = None


@dataclass
class FileCount:
    """How many items one exported file holds (its rows, events, frames, ...)."""

    count: int
    #: What is counted, plural: ``"rows"``, ``"fixations"``, ``"frames"``, ...
    unit: str
    #: Items of the recording outside the export's world frame range, so not in the file.
    outside: int = 0


@dataclass
class ExportResult:
    """What one export produced."""

    recording: Path
    export_dir: Path
    frame_range: tuple[int, int]
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    #: Frames written per video (e.g. ``"world video"``).
    frames: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    #: What each file holds, by its path relative to ``export_dir`` (``"fixations.csv"``);
    #: files without countable items (``export_info.csv``, ...) are not listed.
    counts: dict[str, FileCount] = field(default_factory=dict)
    seconds: float = 0.0
    outcome: str = "running"  #: "completed", "failed" or "cancelled" when finished
    tasks: list[Task] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class TaskContext:
    """Handed to an exporter task: the recording, the range, the options, where to write."""

    task: Task
    rec: AnyRecording
    frame_range: tuple[int, int]
    window: tuple[float, float]
    options: ExportOptions
    result: ExportResult
    staging: Staging
    #: The window in UTC ns, both ends inclusive (:class:`~gazeport.recording.window.ExportWindow`).
    window_ns: tuple[int, int] = (0, 0)
    #: The resolved dialect name (never ``None``).
    dialect: str = "pupil-player"

    @property
    def core(self) -> Recording:
        """The recording as a Pupil Core-family :class:`Recording`, for the Pupil Player
        exporters; another kind raises :class:`ExportError` naming the task."""
        if not isinstance(self.rec, Recording):
            raise ExportError(
                f"The {self.task.name} exporter needs a Pupil Core, Mobile or Invisible "
                f"recording; {self.rec.path.name} is a {self.rec.kind} recording."
            )
        return self.rec

    @property
    def folder(self) -> Path:
        return self.staging.folder

    def progress(self, fraction: float, text: str = "") -> None:
        """Report progress (0..1); raises ExportCancelled if the task was cancelled."""
        self.task.report(fraction, text)

    def check(self) -> None:
        self.task.check()

    def skip(self, key: str, reason: str) -> None:
        """Record that ``key`` had nothing to export, and why."""
        self.task.skipped[key] = reason
        self.result.skipped[key] = reason

    def count(self, name: str, count: int, unit: str, outside: int = 0) -> None:
        """Record what the file ``name`` (relative to the export folder) holds."""
        self.result.counts[name] = FileCount(count, unit, outside)

    def fail_part(self, key: str, exc: BaseException) -> None:
        """Record that part ``key`` (e.g. the ``gaze`` stream) failed while the task goes on
        with the others; the job then ends ``failed`` and raises ``exc`` at the end."""
        self.task.failures[key] = str(exc)
        if self.task.part_exception is None:
            self.task.part_exception = exc

    def warn(self, message: str) -> None:
        """A note for the export summary and the job record (``result.warnings``, and the
        task's ``warnings``), each text once."""
        self.task.note(message)
        with self.task.job.lock:
            add_note(self.result.warnings, message)

    def add_file(self, path: Path) -> None:
        """A finished file the task wrote itself (not through ``staging``)."""
        self.task.files.append(path)
