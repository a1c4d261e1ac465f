"""Export sessions: ``exports/NNN`` folders, ``export_info.csv``, and the export of raw data,
fixations and blinks into one session.

Everything an export writes goes to a temporary name first and is renamed only when the whole
export succeeded, so an interrupted or failed export leaves nothing that looks complete.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ._version import __version__
from .analysis.blinks import BlinkParams
from .analysis.fixations import FixationParams
from .errors import ExportCancelled, ExportError, GazeportError
from .exporters import raw_data
from .exporters.annotations_csv import annotations_csv
from .exporters.event_files import blink_files, fixation_files
from .exporters.field_info import FIELD_INFO
from .exporters.online_events import online_blinks_csv, online_fixations_csv
from .exporters.parallel import default_workers
from .formats.keyvalue_csv import key_value_text
from .recording import Recording, open_recording
from .recording.annotations import load_annotations

Progress = Callable[[float, str], None]

RAW_FILES = {"pupil": "pupil_positions", "gaze": "gaze_positions"}
FORMATS = ("csv", "parquet")
_NUMBERED = re.compile(r"\d{3,}")


def create_export_dir(recording_dir: Path) -> Path:
    """Create and return the next free ``<rec>/exports/NNN`` folder.

    Numbered like Pupil Player (last number + 1, ``%03d``), but a folder is claimed with an
    atomic ``mkdir``, so two exports running at once get different folders, and an existing
    folder is never reused.
    """
    root = Path(recording_dir) / "exports"
    root.mkdir(exist_ok=True)
    used = [int(p.name) for p in root.iterdir() if _NUMBERED.fullmatch(p.name)]
    number = max(used) + 1 if used else 0
    while True:
        candidate = root / f"{number:03d}"
        try:
            candidate.mkdir()
        except FileExistsError:
            number += 1
            continue
        return candidate


def _mmss(seconds: float) -> str:
    """Player's ``MM:SS.mmm`` (minutes may exceed 99; all parts truncated)."""
    seconds = max(seconds, 0.0)
    minutes = int(seconds // 60)
    rest = seconds - minutes * 60
    whole = int(rest)
    millis = int((rest - whole) * 1000)
    return f"{minutes:02d}:{whole:02d}.{millis:03d}"


def player_data_format_version(min_player_version: str) -> str:
    """What Player writes as ``Data Format Version``: its upgrade of every recording to meta
    2.3 sets ``min_player_version`` to at least "2.0"."""
    try:
        parts = tuple(int(x) for x in min_player_version.split("."))
    except ValueError:
        return min_player_version
    return min_player_version if parts >= (2, 0) else "2.0"


def export_info_text(
    rec: Recording, frame_range: tuple[int, int], now: dt.datetime | None = None
) -> str:
    """``export_info.csv`` with Pupil Player's keys, order and quirks (spec 5.3)."""
    now = now or dt.datetime.now()
    ts = rec.world_timestamps
    left, right = frame_range
    items = [
        ("Player Software Version", f"gazeport {__version__}"),
        ("Data Format Version", player_data_format_version(rec.info.min_player_version)),
        ("Export Date", now.strftime("%d.%m.%Y")),
        ("Export Time", now.strftime("%H:%M:%S")),
        ("Frame Index Range:", f"{left} - {right}"),
        ("Relative Time Range", f"{_mmss(ts[left] - ts[0])} - {_mmss(ts[right] - ts[0])}"),
        ("Absolute Time Range", f"{float(ts[left])} - {float(ts[right])}"),
    ]
    return key_value_text(items)


@dataclass
class ExportResult:
    """What one export produced."""

    recording: Path
    export_dir: Path
    frame_range: tuple[int, int]
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


class _Staging:
    """Temporary output names inside the export folder, renamed together on success."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pending: list[tuple[Path, Path]] = []

    def path(self, name: str) -> Path:
        final = self.folder / name
        if final.exists():
            raise ExportError(f"{final} already exists; gazeport never overwrites an export.")
        tmp = self.folder / f".{name}.part"
        self.pending.append((tmp, final))
        return tmp

    def commit(self) -> list[Path]:
        for tmp, final in self.pending:
            os.replace(tmp, final)
        return [final for _, final in self.pending]

    def discard(self) -> None:
        for tmp, _ in self.pending:
            with suppress(FileNotFoundError):
                tmp.unlink()


EXPORTERS = ("raw", "annotations", "fixations", "blinks")


class CancelToken:
    """Ask a running export to stop; it removes what it wrote and raises ExportCancelled.

    Any object with ``is_set()`` (e.g. ``threading.Event``) works the same way.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def _checker(cancel: Any) -> Callable[[], None]:
    def check() -> None:
        if cancel is not None and cancel.is_set():
            raise ExportCancelled(
                "The export was cancelled; the files it had written were removed."
            )

    return check


def export_raw(recording: Recording | Path | str, **kwargs: Any) -> ExportResult:
    """Export only pupil and gaze data (Player's Raw Data Exporter); see :func:`export_recording`."""
    return export_recording(recording, exporters=("raw",), **kwargs)


def export_recording(
    recording: Recording | Path | str,
    *,
    exporters: tuple[str, ...] = EXPORTERS,
    out_dir: Path | str | None = None,
    start_frame: int | None = None,
    end_frame: int | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    fmt: str = "csv",
    min_confidence: float | None = None,
    field_info: bool = True,
    fixation_params: FixationParams | None = None,
    blink_params: BlinkParams | None = None,
    online_events: bool = False,
    progress: Progress | None = None,
    cancel: Any = None,
    workers: int | None = None,
) -> ExportResult:
    """Export a recording like Pupil Player: raw data, fixations and blinks in one session.

    ``exporters`` picks from ``"raw"`` (``pupil_positions.csv``, ``gaze_positions.csv``),
    ``"annotations"`` (``annotations.csv``), ``"fixations"`` (``fixations.csv``, ``fixation_report.csv``) and ``"blinks"``
    (``blinks.csv``, ``blink_detection_report.csv``). The range is inclusive world frame
    indices (``start_frame``/``end_frame``) or seconds after the first world frame
    (``start_s``/``end_s``); samples with ``t[left] <= t < t[right]`` and events overlapping
    that window are exported (Player's rules). Output goes to a new ``<rec>/exports/NNN``
    folder unless ``out_dir`` is given. ``fmt`` ("csv" or "parquet") and ``min_confidence``
    apply to the raw data. ``progress(fraction, text)`` reports progress. ``workers`` is the
    number of processes that build CSV text (default: one per CPU for large recordings).
    Streams or events that do not exist are listed in ``result.skipped`` with the reason.
    ``online_events`` also writes Capture's recorded fixations and blinks
    (``online_fixations.csv``, ``online_blinks.csv``), which Pupil Player ignores.
    ``cancel`` (a :class:`CancelToken` or ``threading.Event``) stops the export at the next
    chunk: everything it wrote is removed and :class:`ExportCancelled` is raised.
    """
    unknown = [name for name in exporters if name not in EXPORTERS]
    if unknown or not exporters:
        raise ExportError(
            f"Unknown exporter {', '.join(unknown) or '(none given)'}; choose from: {', '.join(EXPORTERS)}."
        )
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}.")
    if fmt == "parquet" and "raw" in exporters:
        raw_data.require_parquet()
    if min_confidence is not None and not (0.0 <= min_confidence <= 1.0):
        raise ExportError(f"The minimum confidence must lie between 0 and 1, not {min_confidence}.")
    fixation_params = fixation_params or FixationParams()
    blink_params = blink_params or BlinkParams()
    try:
        fixation_params.validate()
        blink_params.validate()
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.timezone.utc)
    rec = recording if isinstance(recording, Recording) else open_recording(recording)
    frame_range = rec.frame_range(start_frame, end_frame, start_s, end_s)
    window = rec.ts_window(frame_range)
    # Remove the folder on failure only if this export created it.
    created = out_dir is None or not Path(out_dir).exists()
    try:
        folder = create_export_dir(rec.path) if out_dir is None else Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        target = Path(out_dir) if out_dir is not None else rec.path / "exports"
        raise ExportError(
            f"Cannot create the export folder in {target} ({exc.strerror or exc}); "
            "choose another place with --out or check the permissions."
        ) from exc
    result = ExportResult(rec.path, folder, frame_range)
    staging = _Staging(folder)
    # Progress: raw rows take most of the time; each event detector gets a small share.
    n_events = sum(1 for name in exporters if name != "raw")
    raw_share = 1.0 - 0.1 * n_events if "raw" in exporters else 0.0
    check = _checker(cancel)

    def report(fraction: float, text: str) -> None:
        check()
        if progress:
            progress(fraction, text)

    try:
        check()
        with staging.path("export_info.csv").open("w", encoding="utf-8", newline="") as fh:
            fh.write(export_info_text(rec, frame_range))
        timings: dict[str, float] = {}
        if "raw" in exporters:
            t0 = time.perf_counter()
            _export_raw_streams(
                rec, staging, result, window, fmt, min_confidence, field_info, workers,
                lambda f, text: report(f * raw_share, text),
            )  # fmt: skip
            timings["raw"] = time.perf_counter() - t0
        done = raw_share
        for name in ("annotations", "fixations", "blinks"):
            if name not in exporters:
                continue
            report(done, f"exporting {name}")
            t0 = time.perf_counter()
            files: dict[str, str] | str
            if name == "annotations":
                text, _ = annotations_csv(load_annotations(rec.path), rec.world_timestamps, window)
                files = {"annotations.csv": text}
            elif name == "fixations":
                files = fixation_files(rec, window, fixation_params)
            else:
                files = blink_files(rec, window, blink_params)
            if isinstance(files, str):
                result.skipped[name] = files
            else:
                for file_name, text in files.items():
                    staging.path(file_name).write_text(text, encoding="utf-8", newline="")
            timings[name] = time.perf_counter() - t0
            done += 0.1
        if online_events:
            t0 = time.perf_counter()
            _export_online_events(rec, staging, result, window)
            timings["online_events"] = time.perf_counter() - t0
        parameters = {
            "exporters": list(exporters), "format": fmt, "min_confidence": min_confidence,
            "frame_range": list(frame_range), "window_s": list(window),
            "fixations": asdict(fixation_params), "blinks": asdict(blink_params),
            "online_events": online_events,
        }  # fmt: skip
        record = _job_record(rec, result, staging, parameters, timings, started_at)
        staging.path(JOB_RECORD).write_text(record, encoding="utf-8", newline="")
        result.files = staging.commit()
    except BaseException as exc:
        staging.discard()
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, (GazeportError, KeyboardInterrupt)):
            raise
        if isinstance(exc, OSError):
            raise ExportError(
                f"Writing the export into {folder} failed: {exc.strerror or exc}."
            ) from exc
        raise
    if progress:
        progress(1.0, "done")
    result.seconds = time.perf_counter() - started
    return result


#: The export's own record: what ran, with which parameters and versions, how long, the outcome.
JOB_RECORD = "gazeport_export.json"


def _job_record(
    rec: Recording,
    result: ExportResult,
    staging: _Staging,
    parameters: dict[str, Any],
    timings: dict[str, float],
    started_at: dt.datetime,
) -> str:
    """JSON text of the job record written into the export folder."""
    versions = {"gazeport": __version__, "python": platform.python_version()}
    for module in ("numpy", "msgpack", "orjson", "scipy"):
        with suppress(importlib.metadata.PackageNotFoundError):
            versions[module] = importlib.metadata.version(module)
    record = {
        "recording": str(rec.path),
        "recording_kind": rec.kind.value,
        "recording_software": f"{rec.info.recording_software_name} {rec.info.recording_software_version}",
        "started_utc": started_at.isoformat(),
        "finished_utc": dt.datetime.now(dt.timezone.utc).isoformat(),
        "outcome": "completed",
        "parameters": parameters,
        "tasks": {
            name: {
                "status": "skipped" if name in result.skipped else "completed",
                "seconds": round(seconds, 6),
                **({"reason": result.skipped[name]} if name in result.skipped else {}),
            }
            for name, seconds in timings.items()
        },
        "rows": result.rows,
        "skipped": result.skipped,
        "files": [final.name for _, final in staging.pending] + [JOB_RECORD],
        "versions": versions,
    }
    return json.dumps(record, indent=2) + "\n"


def _export_raw_streams(
    rec: Recording,
    staging: _Staging,
    result: ExportResult,
    window: tuple[float, float],
    fmt: str,
    min_confidence: float | None,
    field_info: bool,
    workers: int | None,
    progress: Progress,
) -> None:
    """``pupil_positions`` and ``gaze_positions`` (+ the field description) into ``staging``."""
    streams = [name for name in RAW_FILES if rec.has_stream(name)]
    for name in RAW_FILES:
        if name not in streams:
            result.skipped[name] = f"the recording has no {name} data"
    totals = {name: rec.count(name, window) for name in streams}
    grand_total = max(sum(totals.values()), 1)
    done = 0

    def on_rows(n: int) -> None:
        nonlocal done
        done += n
        progress(min(done / grand_total, 1.0), "exporting pupil and gaze data")

    for name in streams:
        stem = RAW_FILES[name]
        chunks = rec.iter_batches(name, window)
        if fmt == "csv":
            n_workers = workers or (
                default_workers() if totals[name] >= raw_data.PARALLEL_MIN_ROWS else 1
            )
            with staging.path(f"{stem}.csv").open("wb") as out:
                rows = raw_data.write_csv(
                    name,
                    chunks,
                    out,
                    min_confidence=min_confidence,
                    on_rows=on_rows,
                    workers=n_workers,
                )
        else:
            rows = raw_data.write_parquet(
                name,
                chunks,
                staging.path(f"{stem}.parquet"),
                min_confidence=min_confidence,
                on_rows=on_rows,
            )
        result.rows[name] = rows
    if field_info:
        staging.path("pupil_gaze_positions_info.txt").write_text(
            FIELD_INFO, encoding="utf-8", newline=""
        )


def _export_online_events(
    rec: Recording, staging: _Staging, result: ExportResult, window: tuple[float, float]
) -> None:
    """Capture's recorded fixations and blinks, when the recording has them."""
    for name, build in (("fixations", online_fixations_csv), ("blinks", online_blinks_csv)):
        datums = rec.datums(name)
        if not datums:
            result.skipped[f"online {name}"] = f"the recording has no {name}.pldata from Capture"
            continue
        text, _ = build(datums, rec.world_timestamps, window)
        staging.path(f"online_{name}.csv").write_text(text, encoding="utf-8", newline="")
