"""The ``gazeport`` command (typer + rich live only in this package)."""

from . import annotate as _annotate  # noqa: F401  (registers gazeport annotate)
from . import clean as _clean  # noqa: F401  (registers gazeport clean)
from . import dataset as _dataset  # noqa: F401  (registers gazeport dataset export)
from . import demo as _demo  # noqa: F401  (registers gazeport demo)
from . import events as _events  # noqa: F401  (registers the fixations and blinks commands)
from . import export as _export  # noqa: F401  (registers gazeport export)
from . import info as _info  # noqa: F401  (registers gazeport info)
from . import labels as _labels  # noqa: F401  (registers gazeport labels)
from . import labels_sample as _labels_sample  # noqa: F401  (registers gazeport labels sample)
from . import serve as _serve  # noqa: F401  (registers gazeport serve; imports the server lazily)
from . import video as _video  # noqa: F401  (registers gazeport transcode)
from .commands import app, main

__all__ = ["app", "main"]
