"""The part of a recording an export covers, in every time base the exporters need."""

from __future__ import annotations

from dataclasses import dataclass

#: Right end of a UTC-ns window that runs to the end of everything.
END_OF_TIME_NS = 2**63 - 1


@dataclass(frozen=True)
class ExportWindow:
    """What an export covers.

    ``frame_range`` is inclusive world frame indices on the kind's frame timeline (Pupil
    Player's frame table for Core, Neon Player's scene timeline for Neon); ``window_s`` is the
    data window in the recording's own clock (Pupil time seconds for Core, seconds from the
    recording start for Neon); ``window_ns`` is the same window in UTC nanoseconds, both ends
    inclusive, for dialects that write UTC ns.
    """

    frame_range: tuple[int, int]
    window_s: tuple[float, float]
    window_ns: tuple[int, int]


__all__ = ["END_OF_TIME_NS", "ExportWindow"]
