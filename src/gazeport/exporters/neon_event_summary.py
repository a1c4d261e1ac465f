"""Summaries of the fixations and blinks a Neon Companion (or Pupil Cloud) already computed.

Neon recordings carry their own fixation and blink streams, made on the phone; gazeport does not
re-detect them (Neon Player does not either), so the detector options do not apply. ``gazeport fixations`` and ``gazeport blinks`` on a
Neon recording or a Cloud download print the same summary as for Core, from those streams.
"""

from __future__ import annotations

import numpy as np

from ..errors import StreamNotFoundError
from ..recording.neon import NeonRecording
from . import events
from .event_files import Summary

#: What ``method`` says for events made by the Companion app (or Pupil Cloud).
METHOD = "recorded by the Neon Companion app"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def recorded_event_summary(rec: NeonRecording, name: str) -> Summary:
    """Count, count within the whole-recording export window, mean duration [ms], rate per
    minute, data span [s] and method of the recording's own ``fixations`` or ``blinks``."""
    if not rec.has_stream(name):
        version = str(rec.info.data_format_version)
        if _version(version) < (2, 5):
            raise StreamNotFoundError(
                f"{rec.path} has no {name}: recordings in Neon's data format {version} carry no "
                f"{name}; the Companion app records them from format 2.5 on."
            )
        raise StreamNotFoundError(
            f"{rec.path} has no {name}: the Companion app records them only when "
            f"{name[:-1]} detection is on in its settings."
        )
    found = rec.fixations if name == "fixations" else rec.blinks
    start = found["start_timestamp_ns"].astype(np.int64)
    stop = found["end_timestamp_ns"].astype(np.int64)
    span_s = rec.duration_s
    window = rec.export_window()
    sl = events.overlapping(start, stop, window.window_ns)
    count = int(start.shape[0])
    minutes = span_s / 60.0
    return {
        "count": count,
        "count_in_world_frame_range": sl.stop - sl.start,
        "world_frame_range": list(window.frame_range),
        "mean_duration_ms": float(np.mean(stop - start)) / 1e6 if count else None,
        "rate_per_min": count / minutes if minutes > 0 else None,
        "data_span_s": span_s,
        "method": METHOD,
    }


__all__ = ["METHOD", "recorded_event_summary"]
