"""Scene frames of any recording on gazeport's world timeline, for labelling and datasets.

One function per need, each taking a recording of any kind opened by :func:`gazeport.open`
(or its folder):

* :func:`scene_frames` — every frame index with its UTC ns time, whether a real video picture
  stands behind it, the frame size, and the frame table the reader decodes;
* :func:`frame_gaze` — gaze samples in pixels of the frame (top-left origin) with their frame;
* :func:`scene_fixations` — fixations with their start, middle and end frames and position;
* :func:`frame_events` — named events (Core annotations, Neon/Cloud events) with their frame;
* :func:`open_scene_reader` — a :class:`~gazeport.video.reader.FrameReader` over the frames.

Frame indices are the other tool's: Pupil Player's ``world_index`` for Core-family recordings
(the frame table, virtual frames filling gaps), Neon Player's world timeline for Neon (scene
frames plus its gray frames; a scene part whose MP4 is lost stays on the timeline as gray
frames). Frames without a picture (virtual, gray, lost, beyond the video's end) have
``real == False``. A time belongs to a frame the way each tool assigns gaze: the nearest frame
for Core (Player's ``find_closest``), the last frame at or before it for Neon and Cloud (Neon
Player's scene index, backwards).

A Pupil Cloud download is read through its ``world_timestamps.csv`` and its one scene MP4;
without that table the video's frames cannot be placed in time and :func:`scene_frames` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..analysis.fixations import FixationParams
from ..errors import CorruptFileError, StreamNotFoundError
from ..video.demux import scan
from .annotations import load_annotations
from .cloud import CloudRecording
from .core_fixations import detect_recording_fixations
from .facade import AnyRecording, Recording, open_recording
from .frame_table import FrameTable
from .neon_world import neon_world_table

if TYPE_CHECKING:
    from ..video.reader import FrameReader  # PyAV: imported when the frames are read

#: One gaze sample with its frame: pixels of the frame, top-left origin; confidence NaN when
#: the recording has none (Neon, Cloud).
FRAME_GAZE_DTYPE = np.dtype([
    ("frame_index", "<i8"), ("timestamp_ns", "<i8"), ("x_px", "<f8"), ("y_px", "<f8"),
    ("confidence", "<f8"),
])  # fmt: skip
#: One fixation: ``id`` 1-based in time order (Neon Player's and Cloud's ``fixation id``;
#: Pupil Player's ``fixations.csv`` id + 1), times UTC ns, frames on the world timeline
#: (``mid_frame`` = ``(start_frame + end_frame) // 2``, Player's middle frame), mean position
#: in frame pixels.
SCENE_FIXATION_DTYPE = np.dtype([
    ("id", "<i8"), ("start_ns", "<i8"), ("end_ns", "<i8"), ("start_frame", "<i8"),
    ("mid_frame", "<i8"), ("end_frame", "<i8"), ("x_px", "<f8"), ("y_px", "<f8"),
])  # fmt: skip
#: One named event at a frame: ``timestamp_ns`` UTC, ``frame_index`` (-1: before every frame).
FRAME_EVENT_DTYPE = np.dtype([("name", object), ("timestamp_ns", "<i8"), ("frame_index", "<i8")])

Assign = Literal["nearest", "at-or-before"]


@dataclass(frozen=True)
class SceneFrames:
    """The world frames of one recording. Row ``i`` is frame index ``i``.

    ``timestamp_ns``: ``(n,)`` int64 UTC ns; ``real``: ``(n,)`` bool, True where a video
    picture stands behind the frame; ``width``/``height``: frame size [px] (from the video
    stream, else the tool's default); ``table``: the frame table the reader decodes;
    ``assign``: how a time finds its frame (module docstring).
    """

    recording_dir: Path
    recording_id: str
    timestamp_ns: np.ndarray
    real: np.ndarray
    width: int
    height: int
    table: FrameTable
    assign: Assign

    def __len__(self) -> int:
        return int(self.timestamp_ns.shape[0])

    def frame_for(self, t_ns: Any) -> np.ndarray:
        """Frame index of each UTC ns time (int64 array; -1 before the first frame when
        ``assign`` is ``"at-or-before"``, clipped to the first/last frame for ``"nearest"``)."""
        t = np.asarray(t_ns, dtype=np.int64)
        ts = self.timestamp_ns
        if not ts.size:
            return np.full(t.shape, -1, np.int64)
        if self.assign == "at-or-before":
            return np.asarray(np.searchsorted(ts, t, side="right") - 1, dtype=np.int64)
        right = np.clip(np.searchsorted(ts, t, side="left"), 0, ts.size - 1)
        left = np.clip(right - 1, 0, ts.size - 1)
        # Player's find_closest: ties go to the later frame.
        later = np.abs(ts[right] - t) <= np.abs(t - ts[left])
        return np.asarray(np.where(later, right, left), dtype=np.int64)


def as_recording(rec: AnyRecording | Path | str) -> AnyRecording:
    """``rec`` itself, or the recording in folder ``rec`` opened with :func:`gazeport.open`."""
    if isinstance(rec, str | Path):
        return open_recording(rec)
    return rec


def _real(table: FrameTable) -> np.ndarray:
    rows = table.rows
    return np.asarray((rows["container_idx"] >= 0) & (rows["pts"] >= 0))


def _cloud_table(rec: CloudRecording) -> FrameTable:
    """Cloud's world frames: ``world_timestamps.csv`` on the download's one scene MP4."""
    videos = sorted(rec.path.glob("*.mp4"))
    if not rec.has_stream("scene"):
        if videos:
            raise StreamNotFoundError(
                f"{rec.path} is a Pupil Cloud download with a scene video but no "
                "world_timestamps.csv, so its frames cannot be placed in time; download the "
                "recording's Timeseries Data again with the scene video."
            )
        raise StreamNotFoundError(f"{rec.path} is a Pupil Cloud download without a scene video.")
    table = neon_world_table(rec)
    rows = table.rows.copy()
    ours = np.flatnonzero(rows["container_idx"] >= 0)
    rows["container_idx"][ours] = -1
    rows["pts"][ours] = -1
    size = table.frame_size
    if len(videos) != 1:
        return FrameTable(rows, (), size, "timestamps")
    try:
        info, pts = scan(videos[0])
    except CorruptFileError:
        return FrameTable(rows, (videos[0],), size, "timestamps")
    frames = rows["container_frame_idx"][ours]
    has = (frames >= 0) & (frames < pts.size)
    rows["container_idx"][ours[has]] = 0
    rows["pts"][ours[has]] = pts[frames[has]]
    if info.width > 0 and info.height > 0:
        size = (info.width, info.height)
    return FrameTable(rows, (videos[0],), size, "video")


def scene_frames(rec: AnyRecording | Path | str) -> SceneFrames:
    """Every world frame of ``rec`` (a recording or its folder) with its time and realness.

    Raises :class:`StreamNotFoundError` for a Cloud download whose scene video cannot be placed
    in time (no ``world_timestamps.csv``).
    """
    rec = as_recording(rec)
    if isinstance(rec, Recording):
        table = rec.frame_table
        times = np.asarray(rec.to_wall_clock_ns(table.timestamps), dtype=np.int64)
        rid, assign = rec.info.recording_uuid, "nearest"
    else:
        table = _cloud_table(rec) if isinstance(rec, CloudRecording) else neon_world_table(rec)
        times = np.asarray(rec.timeline.timestamps_ns, dtype=np.int64)
        rid, assign = rec.recording_id, "at-or-before"
    width, height = table.frame_size
    return SceneFrames(
        rec.path,
        str(rid),
        times,
        _real(table),
        int(width),
        int(height),
        table,
        assign,  # type: ignore[arg-type]
    )


def open_scene_reader(frames: SceneFrames) -> FrameReader:
    """A reader of ``frames`` (close it, or use it in a ``with`` block): frame ``i`` of the
    reader is frame index ``i``, gray where ``frames.real`` is False."""
    from ..video.reader import FrameReader

    t = frames.table
    return FrameReader(t.rows, t.parts, t.frame_size)


def frame_gaze(
    rec: AnyRecording | Path | str,
    frames: SceneFrames | None = None,
    *,
    min_confidence: float = 0.0,
) -> np.ndarray:
    """Every gaze sample of ``rec`` as ``FRAME_GAZE_DTYPE``, sorted by time, with the frame it
    belongs to (samples before a Neon recording's first frame, and Core samples with a
    confidence below ``min_confidence``, are left out). Core gaze is
    ``norm_pos`` turned into pixels (``x·w``, ``(1 − y)·h``); Neon and Cloud gaze already is
    in scene pixels. No gaze data: no rows."""
    rec = as_recording(rec)
    frames = frames or scene_frames(rec)
    if not rec.has_stream("gaze"):
        return np.empty(0, FRAME_GAZE_DTYPE)
    if isinstance(rec, Recording):
        cols = rec.columns("gaze", ("timestamp", "confidence", "norm_pos_x", "norm_pos_y"))
        t_ns = np.asarray(rec.to_wall_clock_ns(cols["timestamp"]), dtype=np.int64)
        x = cols["norm_pos_x"] * frames.width
        y = (1.0 - cols["norm_pos_y"]) * frames.height
        conf = cols["confidence"]
        index = frames.table.index_for(cols["timestamp"]) if len(frames) else None
    else:
        gaze = rec.gaze
        t_ns = np.asarray(gaze["timestamp_ns"], dtype=np.int64)
        x, y = gaze["gaze_x_px"], gaze["gaze_y_px"]
        conf = np.full(t_ns.shape, np.nan)
        index = frames.frame_for(t_ns)
    out = np.empty(t_ns.shape[0], FRAME_GAZE_DTYPE)
    out["timestamp_ns"], out["x_px"], out["y_px"], out["confidence"] = t_ns, x, y, conf
    out["frame_index"] = -1 if index is None else index
    keep = (out["frame_index"] >= 0) & ~(out["confidence"] < min_confidence)
    out = out[keep]
    return out[np.argsort(out["timestamp_ns"], kind="stable")]


def scene_fixations(
    rec: AnyRecording | Path | str,
    frames: SceneFrames | None = None,
    params: FixationParams | None = None,
) -> np.ndarray:
    """The fixations of ``rec`` as ``SCENE_FIXATION_DTYPE``, in time order.

    Core-family: Pupil Player's offline detector with ``params`` (Player's defaults), its
    frames as Player gives them; Pupil Invisible recordings get none (Player does not detect
    them either). Neon and Cloud: the app's (or Cloud's) own fixations, their frames those of
    their start and end times. No gaze or no fixations: no rows.
    """
    rec = as_recording(rec)
    frames = frames or scene_frames(rec)
    if isinstance(rec, Recording):
        if rec.is_invisible or not rec.has_stream("gaze"):
            return np.empty(0, SCENE_FIXATION_DTYPE)
        _, found = detect_recording_fixations(rec, params or FixationParams())
        out = np.empty(found.shape[0], SCENE_FIXATION_DTYPE)
        out["id"] = found["id"] + 1
        out["start_ns"] = rec.to_wall_clock_ns(found["start_timestamp"])
        stop = found["start_timestamp"] + found["duration_ms"] / 1000.0
        out["end_ns"] = rec.to_wall_clock_ns(stop)
        out["start_frame"] = found["start_frame_index"]
        out["end_frame"] = found["end_frame_index"]
        out["x_px"] = found["norm_pos_x"] * frames.width
        out["y_px"] = (1.0 - found["norm_pos_y"]) * frames.height
    else:
        fix = rec.fixations
        out = np.empty(fix.shape[0], SCENE_FIXATION_DTYPE)
        out["id"] = np.arange(1, fix.shape[0] + 1)
        out["start_ns"] = fix["start_timestamp_ns"]
        out["end_ns"] = fix["end_timestamp_ns"]
        out["start_frame"] = np.maximum(frames.frame_for(out["start_ns"]), 0)
        out["end_frame"] = np.maximum(frames.frame_for(out["end_ns"]), 0)
        out["x_px"], out["y_px"] = fix["mean_gaze_x_px"], fix["mean_gaze_y_px"]
    out["mid_frame"] = (out["start_frame"] + out["end_frame"]) // 2
    return out


def fixation_at(fixations: np.ndarray, frame_index: Any) -> np.ndarray:
    """Row of ``fixations`` (``SCENE_FIXATION_DTYPE``) covering each frame index
    (``start_frame ≤ k ≤ end_frame``; the earliest when two overlap), -1 where none does."""
    k = np.asarray(frame_index, dtype=np.int64)
    out = np.full(k.shape, -1, np.int64)
    if not fixations.shape[0]:
        return out
    # Starts are sorted; the candidate is the last fixation starting at or before k, or an
    # earlier one still running (fixations rarely overlap: check a few back).
    last = np.searchsorted(fixations["start_frame"], k, side="right") - 1
    for back in range(3, -1, -1):
        row = last - back
        ok = (row >= 0) & (out < 0)
        safe = np.clip(row, 0, None)
        hit = ok & (fixations["end_frame"][safe] >= k) & (fixations["start_frame"][safe] <= k)
        out[hit] = row[hit]
    return out


def frame_events(rec: AnyRecording | Path | str, frames: SceneFrames | None = None) -> np.ndarray:
    """Named events of ``rec`` as ``FRAME_EVENT_DTYPE``, in time order: Pupil Player
    annotations (their label) for Core-family recordings, every event Neon Player shows
    (recording and player events) for Neon, ``events.csv`` for Cloud."""
    rec = as_recording(rec)
    frames = frames or scene_frames(rec)
    if isinstance(rec, Recording):
        notes = load_annotations(rec.path)
        names = [a.label for a in notes]
        t_s = np.array([a.timestamp for a in notes], dtype=np.float64)
        t_ns = np.asarray(rec.to_wall_clock_ns(t_s), dtype=np.int64).reshape(-1)
        index = frames.table.index_for(t_s) if len(frames) and t_s.size else -1
    else:
        table = rec.event_table()
        names = list(table["name"])
        t_ns = np.asarray(table["timestamp_ns"], dtype=np.int64)
        index = frames.frame_for(t_ns)
    out = np.empty(len(names), FRAME_EVENT_DTYPE)
    out["name"] = names
    out["timestamp_ns"] = t_ns
    out["frame_index"] = index
    return out[np.argsort(out["timestamp_ns"], kind="stable")]


__all__ = [
    "FRAME_EVENT_DTYPE",
    "FRAME_GAZE_DTYPE",
    "SCENE_FIXATION_DTYPE",
    "SceneFrames",
    "as_recording",
    "fixation_at",
    "frame_events",
    "frame_gaze",
    "open_scene_reader",
    "scene_fixations",
    "scene_frames",
]
