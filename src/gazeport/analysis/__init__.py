"""Pure event detectors over columnar data: fixations (dispersion-duration) and blinks.

Detectors take NumPy arrays, never a ``Recording``, validate their parameters first, do no I/O
and report progress through an optional callback. They are registered by name in
:data:`DETECTORS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .blinks import detect_blinks
from .fixations import detect_fixations

#: Detector functions by name.
DETECTORS: dict[str, Callable[..., Any]] = {
    "fixations": detect_fixations,
    "blinks": detect_blinks,
}

__all__ = ["DETECTORS", "detect_blinks", "detect_fixations"]
