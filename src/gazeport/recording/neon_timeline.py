"""Neon Player's world frame timeline of a Neon recording (gray frames where there is no scene).

(Skeleton: the timeline work replaces :func:`neon_player_timeline` with Neon Player's rules:
gray frames every 33,333,333 ns from the recording start to the first scene frame, after the
last one to the end, and in every gap longer than 0.5 s.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NeonTimeline:
    """World frames in time order: ``timestamps_ns`` (int64 UTC ns), and for each the scene
    video ``part`` (the N of psN) and ``frame_in_part``, both -1 for a gray frame."""

    timestamps_ns: np.ndarray
    part: np.ndarray
    frame_in_part: np.ndarray

    def __len__(self) -> int:
        return int(self.timestamps_ns.shape[0])

    def frame_at_or_before(self, t_ns: int) -> int:
        """Index of the last frame at or before ``t_ns`` (-1 when every frame is later)."""
        return int(np.searchsorted(self.timestamps_ns, t_ns, side="right")) - 1


def neon_player_timeline(scene: np.ndarray, start_ns: int, stop_ns: int) -> NeonTimeline:
    """The timeline of the scene frames ``scene`` (``timestamp_ns``, ``part``,
    ``frame_in_part``) for a recording from ``start_ns`` to ``stop_ns``."""
    return NeonTimeline(
        np.asarray(scene["timestamp_ns"], dtype=np.int64),
        np.asarray(scene["part"], dtype=np.int64),
        np.asarray(scene["frame_in_part"], dtype=np.int64),
    )


__all__ = ["NeonTimeline", "neon_player_timeline"]
