"""Export dialects by name, and which one a recording gets when none is asked for.

``pupil-player`` is the Pupil Player family of files written by the per-exporter tasks (raw
data, annotations, fixations, blinks); the others are table dialects (:mod:`.tables`).
"""

from __future__ import annotations

from typing import Any

from ..errors import ExportError
from ..recording.detect import RecordingKind
from .cloud_tables import CLOUD
from .neon_player_tables import NEON_PLAYER
from .tables import Dialect

PUPIL_PLAYER = "pupil-player"
#: Table dialects by ``--dialect`` name.
TABLE_DIALECTS: dict[str, Dialect] = {d.name: d for d in (NEON_PLAYER, CLOUD)}
#: Every name ``--dialect`` accepts.
DIALECT_NAMES = (PUPIL_PLAYER, *TABLE_DIALECTS)
#: The dialect of each kind whose native tool is not Pupil Player.
_DEFAULT_BY_KIND = {RecordingKind.NEON: NEON_PLAYER.name, RecordingKind.CLOUD_CSV: CLOUD.name}


#: Dialects only some kinds can be written in, and why: Pupil Player's for the Core family,
#: Neon Player's for Neon recordings and Cloud downloads (which hold Neon's streams).
_OWN_ONLY = {
    PUPIL_PLAYER: "Pupil Player's files need Pupil Core-family data (pupil and gaze datums)",
    NEON_PLAYER.name: "Neon Player's files are written from a Neon recording's streams",
}


def resolve_dialect(rec: Any, name: str | None) -> str:
    """The dialect name to export ``rec`` in: ``name``, or the kind's own tool's."""
    if name is None:
        return _DEFAULT_BY_KIND.get(rec.kind, PUPIL_PLAYER)
    if name not in DIALECT_NAMES:
        raise ExportError(f"Unknown dialect {name!r}; choose one of: {', '.join(DIALECT_NAMES)}.")
    own = _DEFAULT_BY_KIND.get(rec.kind, PUPIL_PLAYER)
    neon_like = rec.kind in _DEFAULT_BY_KIND
    if name in _OWN_ONLY and neon_like != (name == NEON_PLAYER.name):
        raise ExportError(
            f"{rec.path.name} is a {rec.kind} recording, and {_OWN_ONLY[name]}; "
            f"use --dialect {own} or --dialect {CLOUD.name}."
        )
    return name


__all__ = ["DIALECT_NAMES", "PUPIL_PLAYER", "TABLE_DIALECTS", "resolve_dialect"]
