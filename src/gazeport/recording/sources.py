"""Where each stream of a recording comes from, per recording kind.

Pupil Player converts Mobile, Invisible and pre-1.8 Capture recordings on disk before opening
them; gazeport builds the same view in memory here, so the rest of the code sees one layout.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import CorruptFileError
from ..formats.info_files import RecordingInfo
from ..formats.msgpack_file import iter_legacy_pupil_data
from ..formats.pldata import RecordChunk, load_timestamps
from ..formats.timestamp_column import TimestampColumn
from ..video.demux import first_packet_broken
from .columns import ColumnChunk
from .datum_stream import DatumStream
from .detect import RecordingKind
from .frame_table import FrameTable, build_frame_table
from .invisible import invisible_files, invisible_gaze, invisible_timestamps
from .mobile import core_videos, mobile_files, mobile_timestamps

_TIMESTAMPS = re.compile(r"(.+)_timestamps\.npy")


class Stream(Protocol):
    def data_ts(self) -> TimestampColumn: ...
    def iter_file_chunks(self, window: tuple[float, float] | None = None) -> Iterator[Any]: ...


class ArrayStream:
    """A stream held in memory as a structured array (e.g. converted Pupil Invisible gaze)."""

    description = "converted in memory"

    def __init__(self, rows: np.ndarray, chunk_rows: int = 100_000) -> None:
        self.rows = rows
        self.chunk_rows = chunk_rows

    def data_ts(self) -> TimestampColumn:
        return TimestampColumn(np.asarray(self.rows["timestamp"], dtype=np.float64))

    def iter_file_chunks(self, window: tuple[float, float] | None = None) -> Iterator[ColumnChunk]:
        names = self.rows.dtype.names or ()
        for start in range(0, self.rows.shape[0], self.chunk_rows):
            part = self.rows[start : start + self.chunk_rows]
            values = {name: np.array(part[name]) for name in names if name != "world_index"}
            present = {}
            for name, col in values.items():
                present[name] = (
                    ~np.isnan(col) if col.dtype.kind == "f" else np.ones(col.shape, bool)
                )
            if "base_count" in values:
                present["base_count"] = values["base_count"] > 0  # converted gaze: no base data
            values["data_ts"] = values["timestamp"].copy()
            values["file_index"] = np.arange(start, start + part.shape[0], dtype=np.int64)
            yield ColumnChunk(values, present)


class Sources:
    """Streams, frame tables and timestamp files of one recording folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._streams: dict[str, Stream] = {}
        for name in ("pupil", "gaze"):
            data = path / f"{name}.pldata"
            if data.exists() or data.is_symlink():  # a dangling link is reported, not ignored
                self._streams[name] = DatumStream(data, name)
        self.world_parts: list[Path] | None = None
        self.timestamps_for: Callable[[Path], np.ndarray | None] | None = None
        self.extra_timestamps: dict[str, np.ndarray] = {}
        self.broken_first: list[Path] = []

    def has(self, name: str) -> bool:
        return name in self._streams

    def stream(self, name: str) -> Stream:
        return self._streams[name]

    def frame_table(self, start: float, duration: float) -> FrameTable:
        return build_frame_table(
            self.path,
            "world",
            artificial_start=start,
            artificial_duration_s=duration,
            timestamps_for=self.timestamps_for,
            parts=self.world_parts,
            broken_first=self.broken_first,
        )

    def video_table(self, name: str, parts: list[Path] | None) -> FrameTable:
        """Frame table of video ``name`` (``eye0``, ``eye1``) from ``parts`` (``None``: find
        ``<name>[_NNN].<ext>`` on disk), without an artificial table: empty if neither video
        nor timestamps exist."""
        return build_frame_table(self.path, name, timestamps_for=self.timestamps_for, parts=parts)

    def all_timestamps(self) -> dict[str, tuple[np.ndarray | None, str, str | None]]:
        """Stream name -> (timestamps or None, where they come from, problem or None).

        A timestamp file that cannot be used gives ``None`` and the reason; a pupil or gaze
        file that is missing, empty or a dangling link while its timestamps list samples gives
        the timestamps and says so (cheap: no data file is decoded).
        """
        out: dict[str, tuple[np.ndarray | None, str, str | None]] = {}
        for entry in sorted(self.path.iterdir()):
            m = _TIMESTAMPS.fullmatch(entry.name)
            if m and entry.is_file():
                try:
                    out[m.group(1)] = (load_timestamps(entry), entry.name, None)
                except CorruptFileError as exc:
                    out[m.group(1)] = (None, entry.name, str(exc))
        for name, ts in self.extra_timestamps.items():
            out[name] = (ts, "converted in memory", None)
        for name in ("pupil", "gaze"):
            stream = self._streams.get(name)
            if stream is None:
                listed, source, problem = out.get(name, (None, "", None))
                if listed is not None and listed.size and problem is None:
                    problem = (
                        f"{name}.pldata is missing, so the {listed.size:,} samples that "
                        f"{source} lists have no data."
                    )
                    out[name] = (listed, source, problem)
                continue
            if name in out and out[name][2] is not None:
                continue
            if name not in out or out[name][0] is None:
                ts = stream.data_ts().to_array()
                out[name] = (ts, getattr(stream, "description", "in memory"), None)
            problem = stream.file_problem() if isinstance(stream, DatumStream) else None
            if problem is not None:
                out[name] = (out[name][0], out[name][1], problem)
        return out


def _legacy_records(
    path: Path, key: str, chunk: int = 20_000
) -> Callable[[], Iterator[RecordChunk]]:
    topic = {"pupil_positions": "pupil", "gaze_positions": "gaze"}[key]

    def records() -> Iterator[RecordChunk]:
        start = 0
        payloads: list[bytes] = []
        for k, raw in iter_legacy_pupil_data(path):
            if k != key:
                continue
            payloads.append(raw)
            if len(payloads) >= chunk:
                yield RecordChunk.from_lists(start, [topic] * len(payloads), payloads)
                start += len(payloads)
                payloads = []
        if payloads:
            yield RecordChunk.from_lists(start, [topic] * len(payloads), payloads)

    return records


def _converted_view(
    src: Sources,
    files: dict[str, Path],
    videos: dict[str, list[Path]],
    timestamps: dict[str, np.ndarray],
) -> None:
    """Point world parts and their timestamps at the original (unconverted) files.

    ``files`` maps each converted name (``world_001.mp4``) to its real file, ``videos`` the
    core names to real video files in Player's part order, ``timestamps`` converted stems to
    times.
    """
    stem_of = {real: Path(name).stem for name, real in files.items()}
    src.world_parts = list(videos.get("world", []))
    src.timestamps_for = lambda part: timestamps.get(stem_of.get(part, ""))
    src.extra_timestamps = dict(timestamps)


def converted_video_parts(path: Path, kind: RecordingKind, name: str) -> list[Path] | None:
    """Real files of video ``name`` (``world``/``eye0``/``eye1``) in part order for recordings
    Player converts on disk (Mobile, Invisible); ``None`` for recordings named natively.

    File-name clashes were already reported when the recording was opened, so the warnings of
    the name mapping are not repeated here.
    """
    if kind not in (RecordingKind.MOBILE, RecordingKind.INVISIBLE):
        return None
    files_of = mobile_files if kind is RecordingKind.MOBILE else invisible_files
    files = files_of(path, quiet=True)
    return list(core_videos(files).get(name, []))


def for_recording(
    path: Path, kind: RecordingKind, info: RecordingInfo, invisible_raw: dict[str, Any] | None
) -> Sources:
    """Build the in-memory view Pupil Player would have after converting the recording."""
    src = Sources(path)
    if kind is RecordingKind.OLD_STYLE and (path / "pupil_data").exists():
        for key, name in (("pupil_positions", "pupil"), ("gaze_positions", "gaze")):
            if name not in src._streams:
                src._streams[name] = DatumStream(
                    path / "pupil_data", name, source=_legacy_records(path / "pupil_data", key)
                )
    elif kind is RecordingKind.MOBILE:
        files = mobile_files(path)
        _converted_view(src, files, core_videos(files), mobile_timestamps(path))
    elif kind is RecordingKind.INVISIBLE:
        start_ns = int((invisible_raw or {}).get("start_time", info.start_time_system_ns))
        files = invisible_files(path)
        videos = core_videos(files)
        times = invisible_timestamps(path, start_ns)
        # Player's "broken first frame" repair: drop the first packet and the first timestamp.
        stem_of = {real: Path(name).stem for name, real in files.items()}
        broken = [
            part
            for part in videos.get("world", [])
            if len(times.get(stem_of[part], ())) >= 2 and first_packet_broken(part)
        ]
        if broken:
            drop = {stem_of[part] for part in broken}
            times = invisible_timestamps(path, start_ns, drop_first=drop)
        _converted_view(src, files, videos, times)
        src.broken_first = broken
        rows = invisible_gaze(path, start_ns)
        if rows.shape[0]:
            src._streams["gaze"] = ArrayStream(rows)
    return src
