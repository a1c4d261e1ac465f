"""Export dialects by name, and which one a recording gets when none is asked for.

``pupil-player`` is the Pupil Player family of files written by the per-exporter tasks (raw
data, annotations, fixations, blinks); the others are table dialects (:mod:`.tables`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ExportError
from ..recording.detect import RecordingKind

if TYPE_CHECKING:
    from .tables import Dialect

PUPIL_PLAYER = "pupil-player"
NEON_PLAYER_NAME = "neon-player"
CLOUD_NAME = "cloud"
#: The table dialects' names, in ``--dialect`` order, and the module that defines each; a
#: module is imported only when its dialect is used (a Core export needs neither: together
#: they load the Neon Player and Cloud table writers, about 10 ms).
_TABLE_MODULES = {
    NEON_PLAYER_NAME: (".neon_player_tables", "NEON_PLAYER"),
    CLOUD_NAME: (".cloud_tables", "CLOUD"),
}


class _TableDialects(Mapping[str, "Dialect"]):
    """The table dialects by name (a read-only mapping); each is imported on first use,
    while names, ``in`` and ``len`` need no import."""

    def __getitem__(self, name: str) -> Dialect:
        if name not in _TABLE_MODULES:
            raise KeyError(name)
        module, attribute = _TABLE_MODULES[name]
        dialect: Dialect = getattr(importlib.import_module(module, __package__), attribute)
        return dialect

    def __contains__(self, name: object) -> bool:
        return name in _TABLE_MODULES

    def __iter__(self) -> Iterator[str]:
        return iter(_TABLE_MODULES)

    def __len__(self) -> int:
        return len(_TABLE_MODULES)

    def __repr__(self) -> str:
        return f"TABLE_DIALECTS({', '.join(_TABLE_MODULES)})"


#: Table dialects by ``--dialect`` name.
TABLE_DIALECTS: Mapping[str, Dialect] = _TableDialects()
#: Every name ``--dialect`` accepts.
DIALECT_NAMES = (PUPIL_PLAYER, *TABLE_DIALECTS)
#: The dialect of each kind whose native tool is not Pupil Player.
_DEFAULT_BY_KIND = {RecordingKind.NEON: NEON_PLAYER_NAME, RecordingKind.CLOUD_CSV: CLOUD_NAME}


#: Dialects only some kinds can be written in, and why: Pupil Player's for the Core family,
#: Neon Player's for Neon recordings and Cloud downloads (which hold Neon's streams).
_OWN_ONLY = {
    PUPIL_PLAYER: "Pupil Player's files need Pupil Core-family data (pupil and gaze datums)",
    NEON_PLAYER_NAME: "Neon Player's files are written from a Neon recording's streams",
}


def resolve_dialect(rec: Any, name: str | None) -> str:
    """The dialect name to export ``rec`` in: ``name``, or the kind's own tool's."""
    if name is None:
        return _DEFAULT_BY_KIND.get(rec.kind, PUPIL_PLAYER)
    if name not in DIALECT_NAMES:
        raise ExportError(f"Unknown dialect {name!r}; choose one of: {', '.join(DIALECT_NAMES)}.")
    own = _DEFAULT_BY_KIND.get(rec.kind, PUPIL_PLAYER)
    neon_like = rec.kind in _DEFAULT_BY_KIND
    if name in _OWN_ONLY and neon_like != (name == NEON_PLAYER_NAME):
        raise ExportError(
            f"{rec.path.name} is a {rec.kind} recording, and {_OWN_ONLY[name]}; "
            f"use --dialect {own} or --dialect {CLOUD_NAME}."
        )
    return name


__all__ = ["DIALECT_NAMES", "PUPIL_PLAYER", "TABLE_DIALECTS", "resolve_dialect"]
