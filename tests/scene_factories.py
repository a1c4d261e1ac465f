"""Recordings with small scene videos whose frames show their own number, for the scene frame,
sampling and dataset image tests (built from the Core, Capture and Neon factories)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gazeport.synthetic import generate_capture_recording
from tests.factories import CoreSpec, make_core_recording
from tests.neon_factories import SCENE, NeonTruth, write_neon
from tests.video_factories import write_video

SIZE = (160, 120)
NEON_SIZE = (96, 72)


def core_with_video(folder: Path, *, n_frames: int = 60, gap_s: float = 0.0) -> Path:
    """A Core recording (2D gaze) with ``n_frames`` world frames in ``world.mp4`` (frame ``i``
    shows ``i``); ``gap_s`` > 0 puts a gap after the middle frame (Player fills it virtually)."""
    spec = CoreSpec(pupil="2d", gaze="2d", n_frames=n_frames, world_gap_s=gap_s)
    rec = make_core_recording(folder, spec)
    write_video(rec / "world.mp4", n_frames, size=SIZE)
    return rec


def capture_with_video(folder: Path, seconds: float = 6.0) -> Path:
    """A synthetic Pupil Capture recording (gaze that fixates and jumps) with a world video."""
    rec = generate_capture_recording(folder, seconds / 60.0)
    n = len(np.load(rec / "world_timestamps.npy"))
    write_video(rec / "world.mp4", n, size=SIZE)
    return rec


def neon_with_video(
    folder: Path,
    *,
    parts: Sequence[tuple[float, float]] = ((0.5, 1.0), (2.5, 0.8)),
    video_parts: Sequence[int] = (1,),
) -> NeonTruth:
    """A Neon recording (write_neon) whose scene parts ``video_parts`` have an MP4 (frame ``i``
    of a part shows ``i``); the other parts' MP4s are lost."""
    truth = write_neon(folder, parts=parts)
    for number in video_parts:
        n = (folder / f"{SCENE} ps{number}.time").stat().st_size // 8
        write_video(folder / f"{SCENE} ps{number}.mp4", n, size=NEON_SIZE)
    return truth


def scene_times(folder: Path, number: int) -> np.ndarray:
    """``Neon Scene Camera v1 psN.time`` read with numpy (int64 UTC ns)."""
    return np.fromfile(folder / f"{SCENE} ps{number}.time", dtype="<i8")
