"""Read-only access to recordings: detection, in-memory upgrade, lazy streams, frame table."""

from .facade import AnyRecording, NeonRecording, Recording, StreamSummary, open_recording

__all__ = ["AnyRecording", "NeonRecording", "Recording", "StreamSummary", "open_recording"]
