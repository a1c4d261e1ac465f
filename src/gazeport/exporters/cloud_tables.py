"""The Pupil Cloud dialect: the "Timeseries Data" files of a Pupil Cloud download.

(Skeleton: filled in by the Cloud dialect work.)
"""

from __future__ import annotations

from .tables import Dialect

CLOUD = Dialect("cloud", tables=())

__all__ = ["CLOUD"]
