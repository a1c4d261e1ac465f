"""gazeport: open Pupil Labs recordings read-only and export them headless, fast and exact.

>>> import gazeport
>>> rec = gazeport.open("path/to/recording")      # doctest: +SKIP
>>> rec.gaze[:5]                                  # doctest: +SKIP

The reading and export machinery (NumPy, PyAV, ...) is imported on first use of a name below,
not by ``import gazeport``: a command such as ``gazeport --help`` starts without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes
from ._version import __version__
from .errors import GazeportError

if TYPE_CHECKING:
    from .recording import NeonRecording, Recording, open_recording

    open = open_recording

__getattr__, __dir__ = lazy_attributes(
    __name__,
    {
        "NeonRecording": ".recording",
        "Recording": ".recording",
        "open_recording": ".recording",
        "open": ".recording:open_recording",
    },
)


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
