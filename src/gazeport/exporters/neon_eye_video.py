"""The eye video of a Neon recording: the sensor module's frames of the export window.

Neon Player v6 has no eye video export, so gazeport writes ``eye.mp4`` and ``eye_timestamps.csv``
in the style of its ``world.mp4`` and ``world_timestamps.csv``: the frames of ``Neon Sensor
Module v1 psN.mp4`` (both eyes side by side, 384×192 px at 200 Hz, as the app records them) with
``start ≤ t ≤ stop``, no overlay, H.264 with pts from the ``.time`` values (seconds from the
first written frame), and the timestamps file ``recording id,timestamp [ns]`` with exact integer
ns and CRLF. Frames of a part whose MP4 is lost or cannot be demuxed are left out (the eye video
has no gray frames), with a message naming the file and how many frames it cost.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import GazeportWarning, StreamNotFoundError
from ..formats.neon_streams import EYE_VIDEO
from ..recording.neon_world import neon_eye_table
from ..video.reader import FrameReader
from ..video.writer import VideoWriter
from .world_timestamps import write_timestamp_rows
from .world_video import PROGRESS_EVERY, Progress, VideoOptions, VideoOutcome, nominal_rate

#: The files written (Neon Player has none of its own; named like its world video files).
EYE_VIDEO_FILE = "eye.mp4"
EYE_TIMESTAMPS_FILE = "eye_timestamps.csv"


def _lost_parts(parts: np.ndarray, keep: np.ndarray, inside: np.ndarray) -> list[str]:
    """One sentence per part whose frames inside the window have no picture."""
    lost = inside & ~keep
    out = []
    for number in np.unique(parts[lost]).tolist():
        n = int(np.count_nonzero(lost & (parts == number)))
        out.append(
            f"{EYE_VIDEO} ps{number}.mp4 is missing or cannot be read, so its {n} frames in the "
            "export range are left out of the eye video"
        )
    return out


def export_neon_eye_video(
    rec: Any, window_ns: tuple[int, int], path: Path, options: VideoOptions, progress: Progress
) -> VideoOutcome | None:
    """Write ``path`` (``…/eye.mp4``) and ``eye_timestamps.csv`` beside it for the eye frames in
    ``window_ns`` (UTC ns, inclusive); ``None`` when the recording has no eye video at all.
    An outcome without files says why (no frame in the window, every part lost)."""
    options.validate()
    try:
        table, times_ns, parts = neon_eye_table(rec)
    except StreamNotFoundError:
        return None
    if not (table.rows["pts"] >= 0).any():
        return None
    inside = (times_ns >= window_ns[0]) & (times_ns <= window_ns[1])
    keep = inside & (table.rows["pts"] >= 0)
    outcome = VideoOutcome(messages=_lost_parts(parts, keep, inside))
    n = int(np.count_nonzero(keep))
    if n == 0:
        outcome.messages.append("no eye video frame with a picture falls into the export range")
        return outcome
    stamps = times_ns[keep]
    ts = np.asarray(table.rows["timestamp"][keep], dtype=np.float64)
    # The reader gets the whole table (it finds a frame by the pts of its part) and reads the
    # runs of kept rows, so the rows of lost parts are never read (nor reported as damaged).
    kept = np.flatnonzero(keep)
    breaks = np.flatnonzero(np.diff(kept) > 1) + 1
    runs = [(int(r[0]), int(r[-1]) + 1) for r in np.split(kept, breaks)]
    csv_path = path.with_name(EYE_TIMESTAMPS_FILE)
    tmp = csv_path.with_name(csv_path.name + ".writing")
    try:
        with FrameReader(table.rows, table.parts, table.frame_size) as reader:
            width, height = reader.frame_size
            with VideoWriter(
                path,
                width=width,
                height=height,
                start_time=float(ts[0]),
                codec="mpeg4" if options.codec == "mpeg4" else "h264",
                frame_rate=nominal_rate(ts),
                crf=options.crf,
                preset=options.preset,
                timestamp_files=False,
            ) as writer:
                progress(0.0, f"eye: 0 of {n:,} frames")
                for frame in (f for a, b in runs for f in reader.frames(a, b)):
                    writer.write(frame.image, frame.timestamp)
                    outcome.frames += 1
                    outcome.gray_frames += int(frame.virtual)
                    k = outcome.frames
                    if k % PROGRESS_EVERY == 0 or k == n:
                        progress(k / n, f"eye: {k:,} of {n:,} frames")
                # Inside the writer's block: a cancel or failure discards both files.
                with tmp.open("wb") as out:
                    write_timestamp_rows(str(rec.recording_id), stamps, out)
            summary = reader.failure_summary()
    except BaseException:
        tmp.unlink(missing_ok=True)  # a canceled or failed video leaves no timestamps
        raise
    os.replace(tmp, csv_path)
    if summary:
        message = f"{rec.path.name} eye video: {summary}"
        warnings.warn(message, GazeportWarning, stacklevel=2)
        outcome.messages.append(message)
    outcome.files = [path, csv_path]
    return outcome


__all__ = ["EYE_TIMESTAMPS_FILE", "EYE_VIDEO_FILE", "export_neon_eye_video"]
