"""gazeport: open Pupil Labs recordings read-only and export them headless, fast and exact.

>>> import gazeport
>>> rec = gazeport.open("path/to/recording")      # doctest: +SKIP
>>> rec.gaze[:5]                                  # doctest: +SKIP
"""

from __future__ import annotations

from ._version import __version__
from .errors import GazeportError
from .recording import NeonRecording, Recording, open_recording

open = open_recording


def export_raw(*args, **kwargs):
    """See :func:`gazeport.jobs.export_raw`."""
    from .jobs import export_raw as _export_raw

    return _export_raw(*args, **kwargs)


def export(*args, **kwargs):
    """Export one or many recordings; see :func:`gazeport.batch.export`."""
    from .batch import export as _export

    return _export(*args, **kwargs)


__all__ = [
    "GazeportError", "NeonRecording", "Recording", "__version__", "export", "export_raw", "open", "open_recording",
]  # fmt: skip
