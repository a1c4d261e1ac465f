"""Pure event detectors over columnar data: fixations (dispersion-duration) and blinks.

Detectors take NumPy arrays, never a ``Recording``, validate their parameters first, do no I/O
and report progress through an optional callback.
"""
