"""The eye frame shown with each world frame: Pupil Player's closest frame, Neon Player's
nearest decodable frame within 1/30 s."""

from __future__ import annotations

import numpy as np

from gazeport.recording.eye_frames import NEON_EYE_WITHIN_NS, core_eye_frames, neon_eye_frames


def test_core_takes_the_closest_eye_frame_ties_to_the_later() -> None:
    eye = np.array([0.0, 1.0, 2.0, 3.0])
    world = np.array([-5.0, 0.4, 0.5, 1.6, 9.0])
    assert core_eye_frames(eye, world).tolist() == [0, 0, 1, 2, 3]


def test_neon_skips_undecodable_frames_and_shows_nothing_far_away() -> None:
    ms = 1_000_000
    eye = np.array([0, 5, 10, 200]) * ms
    decodable = np.array([True, False, True, True])
    world = np.array([4, 6, 150, 1000]) * ms
    index, shown = neon_eye_frames(eye, decodable, world)
    assert index.tolist() == [0, 2, 3, 3]
    assert shown.tolist() == [True, True, False, False]
    assert 50 * ms > NEON_EYE_WITHIN_NS


def test_neon_without_decodable_frames_shows_nothing() -> None:
    index, shown = neon_eye_frames(np.array([1, 2]), np.array([False, False]), np.array([1, 5]))
    assert not shown.any() and index.shape == (2,)
