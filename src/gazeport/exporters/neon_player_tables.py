"""The Neon Player v6 dialect: the files Neon Player 6.0.13 writes, to the column.

(Skeleton: filled in by the Neon Player tables work.)
"""

from __future__ import annotations

from .tables import Dialect
from .world_timestamps import WORLD_TIMESTAMPS

NEON_PLAYER = Dialect("neon-player", tables=(WORLD_TIMESTAMPS,))

__all__ = ["NEON_PLAYER"]
