"""Read-only access to recordings: detection, in-memory upgrade, lazy streams, frame table."""

from .facade import Recording, StreamSummary, open_recording

__all__ = ["Recording", "StreamSummary", "open_recording"]
