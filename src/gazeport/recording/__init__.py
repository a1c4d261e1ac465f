"""Read-only access to recordings: detection, in-memory upgrade, lazy streams, frame table.

``NeonRecording`` and ``AnyRecording`` are imported on first use: opening a Core recording does
not load the Neon and Cloud modules.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from .facade import Recording, StreamSummary, open_recording

if TYPE_CHECKING:
    from .facade import AnyRecording, NeonRecording

__getattr__, __dir__ = lazy_attributes(
    __name__, {"AnyRecording": ".facade", "NeonRecording": ".facade"}
)

__all__ = ["AnyRecording", "NeonRecording", "Recording", "StreamSummary", "open_recording"]
