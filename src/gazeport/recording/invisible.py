"""Pupil Invisible recordings seen the way Pupil Player sees them after converting them, in memory.

Player's conversion renames ``PI world|left|right v<N> ps<k>`` files to ``world``/``eye1``/
``eye0`` (part k > 1 gets ``_<k-1:03d>``), rewrites every ``*.time`` file (uint64 Unix ns) as
``<stem>_timestamps.npy`` holding ``(t - start_time) * 1e-9`` seconds, and writes
``gaze.pldata`` from the raw gaze files. gazeport computes the same values without writing.

Not done here: Player's "broken first frame" repair of PI world videos needs decoding; the
caller detects it and passes the affected stems as ``drop_first`` to
:func:`invisible_timestamps` (the video layer drops the first packet).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np

from .._types import GAZE_DTYPE
from ..errors import GazeportWarning
from ..formats.raw_time import read_invisible_gaze_raw, read_invisible_time, read_worn_raw
from ..timeseries import find_closest
from .mobile import converted_files, core_videos, time_files

#: Prefix of PI camera files; the camera decides the core name, the part number the suffix.
PI_FILE_PREFIX = re.compile(r"^PI (?P<camera>left|right|world) v\d+ ps(?P<part>\d+)")
#: PI camera -> Player's core name (``eye0`` is the right eye).
PI_CAMERA_NAMES = {"right": "eye0", "left": "eye1", "world": "world"}
#: Scene camera size (width, height) in pixels that PI gaze is normalized by.
PI_SCENE_SIZE_PX = (1088, 1080)
#: Newest PI ``data_format_version`` Player converts.

_REALTIME_GAZE_TIME = re.compile(r"^gaze ps(\d+)\.time$")
_NS = 1e-9


def invisible_core_name(name: str) -> str | None:
    """The name Player's conversion gives the PI file ``name``, or ``None`` if unchanged.

    ``PI world v1 ps1.mp4`` -> ``world.mp4``; ``PI left v1 ps2.time`` -> ``eye1_001.time``.
    """
    match = PI_FILE_PREFIX.match(name)
    if match is None:
        return None
    core = PI_CAMERA_NAMES[match.group("camera")]
    part = int(match.group("part"))
    if part > 1:
        core += f"_{part - 1:03d}"
    return name.replace(match.group(0), core)


def invisible_files(rec_dir: Path | str, *, quiet: bool = False) -> dict[str, Path]:
    """Every file of a PI recording by its converted name: ``{name: real path}``."""
    return converted_files(rec_dir, invisible_core_name, quiet=quiet)


def invisible_video_names(rec_dir: Path | str) -> dict[str, list[Path]]:
    """``world``/``eye0``/``eye1`` -> real video files in Player's part order (maybe empty)."""
    return core_videos(invisible_files(rec_dir))


def pi_seconds(time_ns: np.ndarray, start_time_ns: int) -> np.ndarray:
    """``(t - start) * 1e-9`` as float64 seconds, as Player's conversion computes it.

    The difference is exact (integers) before the one rounding to float64, like Player's
    uint64 arithmetic. Unlike Player, a time before ``start_time_ns`` becomes negative
    instead of wrapping around to ~1.8e10 s.
    """
    diff = np.asarray(time_ns, dtype=np.int64) - np.int64(start_time_ns)
    return diff.astype(np.float64) * _NS


def invisible_timestamps(
    rec_dir: Path | str, start_time_ns: int, *, drop_first: Collection[str] = ()
) -> dict[str, np.ndarray]:
    """Converted stem (``world``, ``eye0``, ``gaze ps1``, ``gaze_200hz``...) -> float64 seconds.

    Every ``*.time`` file (uint64 Unix ns) becomes ``(t - start_time_ns) * 1e-9``, the values
    Player saves as ``<stem>_timestamps.npy``. Stems in ``drop_first`` (e.g. ``{"world"}``)
    lose their first timestamp if they have at least two (Player's broken-first-frame repair).
    """
    out: dict[str, np.ndarray] = {}
    for stem, path in time_files(invisible_files(rec_dir)).items():
        ns = read_invisible_time(path)
        if stem in drop_first and ns.size >= 2:
            ns = ns[1:]
        out[stem] = pi_seconds(ns, start_time_ns)
    return out


def invisible_gaze(rec_dir: Path | str, start_time_ns: int) -> np.ndarray:
    """Gaze of a PI recording as :data:`GAZE_DTYPE` rows, the datums of Player's ``gaze.pldata``.

    The Cloud 200 Hz gaze (``gaze_200hz.raw`` + ``.time``) is used when present, otherwise
    every real-time part ``gaze ps<N>`` in order of N. ``norm_pos = (x / 1088, 1 - y / 1080)``
    is computed in float64 from the float32 pixels (Player's NumPy 1.x promotes the float32
    scalar to float64 before dividing); confidence is worn/255 (1.0 when worn data is missing
    or of the wrong length). Rows stay in file order (not sorted); ``world_index`` is 0,
    ``base_count`` 0 and every 3D field NaN. Mismatched lengths emit a
    :class:`GazeportWarning`.
    """
    rec_dir = Path(rec_dir)
    files = invisible_files(rec_dir)
    parts = sorted(
        (int(m.group(1)), name[: -len(".time")])
        for name in files
        if (m := _REALTIME_GAZE_TIME.match(name))
    )
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    conf: np.ndarray | None
    if "gaze_200hz.raw" in files and "gaze_200hz.time" in files:
        xy = read_invisible_gaze_raw(files["gaze_200hz.raw"])
        ts = pi_seconds(read_invisible_time(files["gaze_200hz.time"]), start_time_ns)
        if "worn_200hz.raw" in files:
            conf = _worn_confidence(read_worn_raw(files["worn_200hz.raw"]))
        else:
            conf = _densified_worn(files, [stem for _, stem in parts], ts, start_time_ns)
        pieces.append(_equalized(files["gaze_200hz.raw"], xy, ts, conf))
    else:
        for _, stem in parts:
            raw_name = f"{stem}.raw"
            if raw_name not in files:
                warnings.warn(
                    f"{rec_dir / (stem + '.time')} has no {raw_name!r} next to it; that gaze part "
                    "is skipped (Pupil Player cannot convert this recording at all).",
                    GazeportWarning,
                    stacklevel=2,
                )
                continue
            xy = read_invisible_gaze_raw(files[raw_name])
            ts = pi_seconds(read_invisible_time(files[f"{stem}.time"]), start_time_ns)
            conf = _part_worn(files, stem)
            pieces.append(_equalized(files[raw_name], xy, ts, conf))
    return _gaze_rows(pieces)


def _worn_confidence(worn: np.ndarray) -> np.ndarray:
    return np.clip(worn / 255.0, 0.0, 1.0)


def _part_worn(files: Mapping[str, Path], gaze_stem: str) -> np.ndarray | None:
    worn_name = gaze_stem.replace("gaze", "worn") + ".raw"
    if worn_name not in files:
        return None
    return _worn_confidence(read_worn_raw(files[worn_name]))


def _densified_worn(
    files: Mapping[str, Path], stems: list[str], ts_200hz: np.ndarray, start_time_ns: int
) -> np.ndarray | None:
    """Real-time worn confidence picked at the nearest real-time gaze timestamp (k=1)."""
    conf_parts: list[np.ndarray] = []
    ts_parts: list[np.ndarray] = []
    for stem in stems:
        ts = pi_seconds(read_invisible_time(files[f"{stem}.time"]), start_time_ns)
        conf_parts.append(_validated_confidence(files[f"{stem}.time"], _part_worn(files, stem), ts))
        ts_parts.append(ts)
    if not ts_parts or sum(t.size for t in ts_parts) == 0:
        return None
    return np.concatenate(conf_parts)[find_closest(np.concatenate(ts_parts), ts_200hz)]


def _validated_confidence(source: Path, conf: np.ndarray | None, ts: np.ndarray) -> np.ndarray:
    if conf is not None and len(conf) != len(ts):
        warnings.warn(
            f"{source}: {len(conf)} worn samples for {len(ts)} gaze timestamps; the worn data "
            "is not used and every confidence is 1.0, as in Pupil Player.",
            GazeportWarning,
            stacklevel=4,
        )
        conf = None
    return np.ones(len(ts)) if conf is None else conf


def _equalized(
    source: Path, xy: np.ndarray, ts: np.ndarray, conf: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(xy) != len(ts):
        warnings.warn(
            f"{source}: {len(xy)} gaze samples but {len(ts)} timestamps; both are cut to the "
            "shorter length, as in Pupil Player.",
            GazeportWarning,
            stacklevel=4,
        )
        size = min(len(xy), len(ts))
        xy, ts = xy[:size], ts[:size]
    return xy, ts, _validated_confidence(source, conf, ts)


def _gaze_rows(pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
    n = sum(len(ts) for _, ts, _ in pieces)
    rows = np.zeros(n, dtype=GAZE_DTYPE)
    for name in GAZE_DTYPE.names or ():
        if GAZE_DTYPE[name].kind == "f":
            rows[name] = np.nan
    rows["base0_eye_id"] = -1
    rows["base1_eye_id"] = -1
    if n == 0:
        return rows
    xy = np.concatenate([p[0] for p in pieces]).astype(np.float64)
    width, height = PI_SCENE_SIZE_PX
    rows["timestamp"] = np.concatenate([p[1] for p in pieces])
    rows["confidence"] = np.concatenate([p[2] for p in pieces])
    rows["norm_pos_x"] = xy[:, 0] / float(width)
    rows["norm_pos_y"] = 1 - xy[:, 1] / float(height)
    return rows
