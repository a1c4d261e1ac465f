"""Sampling scene frames of a recording as labelling tasks (:func:`sample_frames`).

Five modes, exactly one per call: every N seconds, every N frames, one frame per fixation,
given frame indices, frames at named events. Whatever the mode:

* only frames with a real video picture become candidates: gray frames (Pupil Player's virtual
  gap frames, Neon Player's gray frames, frames of a lost scene part) never do. The regular
  grids simply skip them (a gap gives no tasks rather than a pile of tasks at its edges); a
  fixation whose middle frame is gray takes the real frame of the fixation nearest to its
  middle; a given frame or an event that lands on a gray frame is left out with a warning;
* a frame is proposed once (sorted by frame index), even when two events or fixations share it;
* each candidate carries the gaze samples of its frame (pixels of the frame, top-left origin;
  Core gaze below ``min_confidence`` left out), the fixation covering it and how it was picked.

Frame indices, times and the gaze of a frame come from :mod:`gazeport.recording.scene_frames`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..analysis.fixations import FixationParams
from ..errors import GazeportWarning, SamplingError
from ..recording.facade import AnyRecording
from ..recording.scene_frames import (
    SceneFrames,
    as_recording,
    fixation_at,
    frame_events,
    frame_gaze,
    scene_fixations,
    scene_frames,
)
from .records import FrameCandidate, GazeSample

#: Core gaze with a lower confidence is not attached to candidates (Pupil Player's default).
MIN_CONFIDENCE = 0.6


@dataclass(frozen=True)
class _Pick:
    frame: int
    reason: str
    fixation: int = -1  # row in the fixations the pick was made for (-1: find the covering one)


def _mode_count(**modes: object) -> list[str]:
    # Identity, not equality: every_s=0 is a (bad) mode, not a missing one.
    return [name for name, value in modes.items() if value is not None and value is not False]


def _check_modes(
    every_s: float | None,
    every_n: int | None,
    per_fixation: bool,
    frames: Sequence[int] | None,
    at_events: Sequence[str] | None,
    min_duration_ms: float | None,
) -> None:
    given = _mode_count(
        every_s=every_s,
        every_n=every_n,
        per_fixation=per_fixation,
        frames=frames,
        at_events=at_events,
    )
    if len(given) != 1:
        what = "none" if not given else " and ".join(given)
        raise SamplingError(
            "Give exactly one way to sample frames (every_s, every_n, per_fixation, frames or "
            f"at_events); got {what}."
        )
    if every_s is not None and not (
        isinstance(every_s, int | float) and math.isfinite(every_s) and every_s > 0
    ):
        raise SamplingError(f"every_s is {every_s!r}, but it must be a number of seconds above 0.")
    if every_n is not None and (
        isinstance(every_n, bool) or not isinstance(every_n, int | np.integer) or every_n < 1
    ):
        raise SamplingError(
            f"every_n is {every_n!r}, but it must be a whole number of frames >= 1."
        )
    if min_duration_ms is not None:
        if not per_fixation:
            raise SamplingError("min_duration_ms only applies with per_fixation.")
        if not math.isfinite(min_duration_ms) or min_duration_ms < 0:
            raise SamplingError(
                f"min_duration_ms is {min_duration_ms!r}, but it must be a number of ms >= 0."
            )


def _every_s(sf: SceneFrames, every_s: float) -> list[_Pick]:
    real = np.flatnonzero(sf.real)
    first, last = sf.timestamp_ns[real[0]], sf.timestamp_ns[real[-1]]
    step = max(round(every_s * 1e9), 1)
    grid = first + step * np.arange((last - first) // step + 1, dtype=np.int64)
    picked = sf.frame_for(grid)
    picked = picked[(picked >= 0) & sf.real[np.clip(picked, 0, None)]]
    return [_Pick(int(k), "every-s") for k in picked]


def _every_n(sf: SceneFrames, every_n: int) -> list[_Pick]:
    real = np.flatnonzero(sf.real)
    grid = np.arange(real[0], len(sf), int(every_n))
    return [_Pick(int(k), "every-n") for k in grid[sf.real[grid]]]


def _per_fixation(
    sf: SceneFrames, fixations: np.ndarray, min_duration_ms: float | None
) -> list[_Pick]:
    picks = []
    for row, fix in enumerate(fixations):
        if (
            min_duration_ms is not None
            and (fix["end_ns"] - fix["start_ns"]) / 1e6 < min_duration_ms
        ):
            continue
        lo, mid, hi = int(fix["start_frame"]), int(fix["mid_frame"]), int(fix["end_frame"])
        lo, hi = max(lo, 0), min(hi, len(sf) - 1)
        span = np.arange(lo, hi + 1)
        span = span[sf.real[span]] if span.size else span
        if not span.size:
            continue  # the fixation lies wholly in gray frames
        k = int(span[np.argmin(np.abs(span - mid), axis=0)])  # mid itself when real
        picks.append(_Pick(k, "per-fixation", row))
    return picks


def _given(sf: SceneFrames, frames: Iterable[int]) -> list[_Pick]:
    n = len(sf)
    picks: list[int] = []
    gray: list[int] = []
    for k in frames:
        if isinstance(k, bool) or not isinstance(k, int | np.integer):
            raise SamplingError(f"Frame {k!r} is not a whole frame index.")
        if not 0 <= k < n:
            raise SamplingError(
                f"Frame {k} is outside {sf.recording_dir.name}, whose frames are 0 to {n - 1}."
            )
        (picks if sf.real[k] else gray).append(int(k))
    if gray:
        _warn_gray(sf, gray, "the given frames")
    return [_Pick(k, "frames") for k in picks]


def _warn_gray(sf: SceneFrames, gray: list[int], what: str) -> None:
    shown = ", ".join(str(k) for k in sorted(set(gray))[:10])
    warnings.warn(
        f"{len(set(gray))} of {what} in {sf.recording_dir.name} are gray frames without a "
        f"scene picture (frames {shown}) and were left out.",
        GazeportWarning,
        stacklevel=3,
    )


def _at_events(sf: SceneFrames, events: np.ndarray, names: Sequence[str]) -> list[_Pick]:
    known = list(dict.fromkeys(str(n) for n in events["name"]))
    unknown = [n for n in names if n not in known]
    if unknown:
        listed = ", ".join(repr(n) for n in known) if known else "none"
        raise SamplingError(
            f"{sf.recording_dir.name} has no event named {unknown[0]!r}; its events are {listed}."
        )
    wanted = np.isin(events["name"].astype(str), list(names))
    frames = events["frame_index"][wanted]
    ok = (frames >= 0) & sf.real[np.clip(frames, 0, None)]
    if not ok.all():
        _warn_gray(sf, frames[~ok].tolist(), "the event frames")
    return [_Pick(int(k), "at-events") for k in frames[ok]]


def _gaze_of(gaze: np.ndarray, frame: int) -> tuple[GazeSample, ...]:
    lo = int(np.searchsorted(gaze["frame_index"], frame, side="left"))
    hi = int(np.searchsorted(gaze["frame_index"], frame, side="right"))
    out = []
    for g in gaze[lo:hi]:
        conf = float(g["confidence"])
        out.append(
            GazeSample(
                int(g["timestamp_ns"]),
                float(g["x_px"]),
                float(g["y_px"]),
                None if math.isnan(conf) else conf,
            )
        )
    return tuple(out)


def sample_frames(
    recording: AnyRecording | Path | str,
    *,
    every_s: float | None = None,
    every_n: int | None = None,
    per_fixation: bool = False,
    min_duration_ms: float | None = None,
    frames: Sequence[int] | None = None,
    at_events: Sequence[str] | None = None,
    min_confidence: float = MIN_CONFIDENCE,
    fixation_params: FixationParams | None = None,
) -> list[FrameCandidate]:
    """Scene frames of ``recording`` (an open recording or its folder) to label, sorted by
    frame index, each once (module docstring for the rules).

    Exactly one of: ``every_s`` (seconds between frames, from the first real frame),
    ``every_n`` (frame indices apart, from the first real frame), ``per_fixation`` (each
    fixation's middle frame; ``min_duration_ms`` keeps longer ones only), ``frames`` (frame
    indices), ``at_events`` (event names: Core annotation labels, Neon/Cloud event names; the
    frame at each event's time). ``fixation_params`` are the Core detector's settings (Pupil
    Player's defaults). Raises :class:`SamplingError` for a bad mode, a frame index outside
    the recording or an unknown event name (the message lists the known ones), and when the
    recording has no scene frame with a picture.
    """
    _check_modes(every_s, every_n, per_fixation, frames, at_events, min_duration_ms)
    rec = as_recording(recording)
    sf = scene_frames(rec)
    picks: list[_Pick] = []
    if frames is not None:
        picks = _given(sf, frames)  # range errors come before "no video"
    if not sf.real.any():
        raise SamplingError(
            f"{sf.recording_dir} has no scene video frames with a picture, so there is nothing to "
            "label; check that its scene video is there."
        )
    fixations = scene_fixations(rec, sf, fixation_params)
    if every_s is not None:
        picks = _every_s(sf, float(every_s))
    elif every_n is not None:
        picks = _every_n(sf, int(every_n))
    elif per_fixation:
        picks = _per_fixation(sf, fixations, min_duration_ms)
    elif at_events is not None:
        picks = _at_events(sf, frame_events(rec, sf), list(at_events))
    chosen: dict[int, _Pick] = {}
    for pick in picks:
        chosen.setdefault(pick.frame, pick)
    order = sorted(chosen)
    gaze = frame_gaze(rec, sf, min_confidence=min_confidence)
    gaze = gaze[np.argsort(gaze["frame_index"], kind="stable")]
    covering = fixation_at(fixations, np.array(order, dtype=np.int64))
    out = []
    for k, cover in zip(order, covering.tolist(), strict=True):
        pick = chosen[k]
        row = pick.fixation if pick.fixation >= 0 else cover
        fix = fixations[row] if row >= 0 else None
        out.append(
            FrameCandidate(
                recording_dir=sf.recording_dir,
                recording_id=sf.recording_id,
                frame_index=k,
                timestamp_ns=int(sf.timestamp_ns[k]),
                width=sf.width,
                height=sf.height,
                gaze=_gaze_of(gaze, k),
                fixation_id=None if fix is None else int(fix["id"]),
                fixation_xy_px=None if fix is None else (float(fix["x_px"]), float(fix["y_px"])),
                reason=pick.reason,
            )
        )
    return out


__all__ = ["MIN_CONFIDENCE", "sample_frames"]
