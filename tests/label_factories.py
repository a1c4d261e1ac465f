"""Synthetic labelling tasks: FrameCandidate values and a study folder, no video needed.

The label store only stores what the sampler proposes, so its tests build candidates directly:
recording folders (empty, the store never opens them) under a study folder with the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from gazeport.labels.records import FrameCandidate, GazeSample

WIDTH, HEIGHT = 1600, 1200
T0_NS = 1_700_000_000_000_000_000
FRAME_NS = 33_333_333


def recording(study: Path, name: str) -> Path:
    """An (empty) recording folder inside the study folder."""
    path = study / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def candidate(
    rec_dir: Path,
    frame: int,
    *,
    recording_id: str | None = None,
    gaze: tuple[tuple[float, float], ...] = ((110.0, 210.0), (800.0, 600.0)),
    fixation: tuple[int, float, float] | None = (1, 120.0, 220.0),
    width: int = WIDTH,
    height: int = HEIGHT,
) -> FrameCandidate:
    """A scene frame of the recording ``rec_dir``, with gaze samples in frame pixels."""
    ts = T0_NS + frame * FRAME_NS
    return FrameCandidate(
        recording_dir=rec_dir,
        recording_id=recording_id or f"uuid-{rec_dir.name}",
        frame_index=frame,
        timestamp_ns=ts,
        width=width,
        height=height,
        gaze=tuple(GazeSample(ts + i, x, y, 0.9) for i, (x, y) in enumerate(gaze)),
        fixation_id=None if fixation is None else fixation[0],
        fixation_xy_px=None if fixation is None else (fixation[1], fixation[2]),
        reason="frames",
    )


def candidates(rec_dir: Path, frames: range | list[int], **kw: object) -> Iterator[FrameCandidate]:
    for f in frames:
        yield candidate(rec_dir, f, **kw)  # type: ignore[arg-type]
