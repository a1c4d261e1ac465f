"""A Pupil Core-family recording seen through the Neon interface the table dialects read.

:class:`CoreTimeseries` wraps a :class:`~gazeport.recording.Recording` (Core, Mobile, Invisible)
and hands out the streams of :mod:`gazeport.formats.neon_streams` by name, so the Pupil Cloud
writers (:mod:`.cloud_tables`) write Core recordings in Cloud's format without asking what kind
they hold (DESIGN rule 5):

==============  =================================================================================
``gaze``        ``timestamp_ns`` (UTC ns), ``gaze_x_px``/``gaze_y_px`` (scene pixels, origin
                top-left) of the gaze with ``confidence ≥ min_confidence`` (the job's
                ``--min-confidence``, else Pupil Player's default 0.6): Cloud's gaze has no
                confidence column, so unreliable samples are left out rather than written as gaze
``fixations``   gazeport's dispersion detector (the ``fixations.csv`` of ``gazeport export``, same
                parameters): start/end ns, mean gaze pixels; not for Invisible (Player has none)
``blinks``      gazeport's confidence-filter blink detector (``blinks.csv`` of ``gazeport export``)
``scene``       the recorded world frames (no gap filling) in UTC ns
==============  =================================================================================

No ``worn``, ``imu``, ``eye_state`` or ``saccades``: Core records none of them, so their tables are
skipped (and the ``worn`` cells of gaze.csv stay empty). Events are the Player annotations
(``name`` = label, ``type`` ``"recording"``). Times are converted once, here, with
:meth:`Recording.to_wall_clock_ns` (exact to the ns of each float64 Pupil timestamp), the clock
the export window (:meth:`Recording.export_window`) is in too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.blinks import BlinkParams, detect_blinks
from ..analysis.fixations import FixationParams
from ..errors import StreamNotFoundError
from ..recording import Recording
from ..recording.annotations import load_annotations
from ..recording.window import STREAM_ROWS, seconds_to_ns, window_chunks
from .event_files import blink_input, detect_recording_fixations
from .events import fixation_stop_timestamps

#: Gaze confidence kept in gaze.csv when the job sets none: Pupil Player's default threshold
#: (its gaze overlays and the fixation detector's ``min_confidence``).
DEFAULT_MIN_CONFIDENCE = 0.6
#: OpenCV's full distortion model has 8 coefficients (k1 k2 p1 p2 k3 k4 k5 k6); Neon's
#: calibration and Cloud's scene_camera.json carry all 8.
OPENCV_COEFFICIENTS = 8

GAZE_DTYPE = np.dtype([("timestamp_ns", "<i8"), ("gaze_x_px", "<f8"), ("gaze_y_px", "<f8")])
FIXATION_DTYPE = np.dtype(
    [
        ("start_timestamp_ns", "<i8"),
        ("end_timestamp_ns", "<i8"),
        ("mean_gaze_x_px", "<f8"),
        ("mean_gaze_y_px", "<f8"),
    ]
)
BLINK_DTYPE = np.dtype([("start_timestamp_ns", "<i8"), ("end_timestamp_ns", "<i8")])
SCENE_DTYPE = np.dtype([("timestamp_ns", "<i8")])
EVENT_DTYPE = np.dtype([("timestamp_ns", "<i8"), ("name", object), ("type", object)])


@dataclass(frozen=True)
class SceneCalibration:
    """The world camera as Neon's calibration names it: ``scene_camera_matrix`` (3, 3) px,
    ``scene_distortion_coefficients`` (8,) OpenCV radial model, ``serial`` (Core has none: "")."""

    scene_camera_matrix: np.ndarray
    scene_distortion_coefficients: np.ndarray
    serial: str = ""


def scene_calibration(rec: Recording) -> SceneCalibration | None:
    """The world camera's radial intrinsics, its 5 (or 8) coefficients padded with zeros to 8;
    ``None`` for fisheye or dummy models and missing intrinsics (no angles can be honest then)."""
    intr = rec.world_intrinsics
    if intr is None or intr.cam_type != "radial":
        return None
    coefs = np.asarray(intr.dist_coefs, dtype=np.float64).ravel()[:OPENCV_COEFFICIENTS]
    padded = np.zeros(OPENCV_COEFFICIENTS)
    padded[: len(coefs)] = coefs
    return SceneCalibration(np.asarray(intr.camera_matrix, dtype=np.float64), padded)


class CoreTimeseries:
    """``rec`` presented through the Neon stream interface (see the module docstring).

    ``fixation_params``/``blink_params`` are the job's detector settings; ``min_confidence`` the
    gaze kept (``None``: :data:`DEFAULT_MIN_CONFIDENCE`). Streams are computed on first use.
    """

    def __init__(
        self,
        rec: Recording,
        fixation_params: FixationParams | None = None,
        blink_params: BlinkParams | None = None,
        min_confidence: float | None = None,
    ) -> None:
        self.core = rec
        self.fixation_params = fixation_params or FixationParams()
        self.blink_params = blink_params or BlinkParams()
        self.min_confidence = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
        self._cache: dict[str, np.ndarray] = {}

    # --- identity ------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self.core.path

    @property
    def kind(self) -> Any:
        return self.core.kind

    @property
    def recording_id(self) -> str:
        """The recording's UUID (``info.player.json`` ``recording_uuid``)."""
        return self.core.info.recording_uuid

    @property
    def wearer(self) -> None:
        """Core recordings name no wearer."""
        return None

    @cached_property
    def calibration(self) -> SceneCalibration | None:
        return scene_calibration(self.core)

    def info_json(self) -> dict[str, Any]:
        """The Neon ``info.json`` keys a Core recording can fill honestly: ``recording_id``,
        ``start_time`` (UTC ns), ``duration`` (ns), ``wearer_name`` (None), plus the recording's
        own name and software under Pupil Player's key names. An Invisible recording's Companion
        ``info.json`` (Neon's key names already) is kept and wins over these."""
        info = self.core.info
        raw = getattr(self.core, "_invisible_raw", None)
        data: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
        own = {  # Invisible's own ns values win: the float seconds of ``info`` lose ~100 ns
            "recording_id": self.recording_id,
            "start_time": int(seconds_to_ns(info.start_time_system_s)),
            "duration": int(np.rint(info.duration_s * 1e9)),
            "wearer_name": None,
            "recording_name": info.recording_name,
            "recording_software_name": info.recording_software_name,
            "recording_software_version": info.recording_software_version,
        }
        return {**own, **data}

    # --- streams -------------------------------------------------------------------------------

    def has_stream(self, name: str) -> bool:
        """Which Neon streams this Core recording can serve."""
        core = self.core
        if name == "gaze":
            return core.has_stream("gaze")
        if name == "fixations":
            return core.has_stream("gaze") and not core.is_invisible
        if name == "blinks":
            return core.has_stream("pupil")
        if name == "scene":
            table = core.frame_table
            return table.source != "artificial" and bool(table.recorded_mask().any())
        return False

    def stream(self, name: str) -> np.ndarray:
        """Stream ``name`` (``gaze``, ``fixations``, ``blinks``, ``scene``), computed once."""
        if not self.has_stream(name):
            raise StreamNotFoundError(f"{self.path} has no {name} data in Neon's terms.")
        if name not in self._cache:
            self._cache[name] = getattr(self, f"_{name}")()
        return self._cache[name]

    def iter_chunks(
        self, name: str, window_ns: tuple[int, int] | None = None, rows: int = STREAM_ROWS
    ) -> Iterator[np.ndarray]:
        """Stream ``name`` in the window, ``rows`` at a time (cut from the computed array)."""
        return window_chunks(self.stream(name), window_ns, rows)

    def _pixels(self, norm_x: np.ndarray, norm_y: np.ndarray) -> np.ndarray:
        return self.core.norm_to_pixels(np.stack([norm_x, norm_y], axis=-1).reshape(-1, 2))

    def _gaze(self) -> np.ndarray:
        cols = self.core.columns("gaze", ("timestamp", "confidence", "norm_pos_x", "norm_pos_y"))
        keep = cols["confidence"] >= self.min_confidence
        px = self._pixels(cols["norm_pos_x"][keep], cols["norm_pos_y"][keep])
        out = np.empty(int(keep.sum()), dtype=GAZE_DTYPE)
        out["timestamp_ns"] = self.core.to_wall_clock_ns(cols["timestamp"][keep])
        out["gaze_x_px"], out["gaze_y_px"] = px[:, 0], px[:, 1]
        return out

    def _fixations(self) -> np.ndarray:
        _, found = detect_recording_fixations(self.core, self.fixation_params)
        px = self._pixels(found["norm_pos_x"], found["norm_pos_y"])
        out = np.empty(len(found), dtype=FIXATION_DTYPE)
        out["start_timestamp_ns"] = self.core.to_wall_clock_ns(found["start_timestamp"])
        out["end_timestamp_ns"] = self.core.to_wall_clock_ns(fixation_stop_timestamps(found))
        out["mean_gaze_x_px"], out["mean_gaze_y_px"] = px[:, 0], px[:, 1]
        return out

    def _blinks(self) -> np.ndarray:
        ts, conf = blink_input(self.core)
        found, _ = detect_blinks(
            ts, conf, world_timestamps=self.core.world_timestamps, params=self.blink_params
        )
        out = np.empty(len(found), dtype=BLINK_DTYPE)
        out["start_timestamp_ns"] = self.core.to_wall_clock_ns(found["start_timestamp"])
        out["end_timestamp_ns"] = self.core.to_wall_clock_ns(found["end_timestamp"])
        return out

    def _scene(self) -> np.ndarray:
        table = self.core.frame_table
        t = table.timestamps[table.recorded_mask()]
        out = np.empty(len(t), dtype=SCENE_DTYPE)
        out["timestamp_ns"] = self.core.to_wall_clock_ns(t)
        return out

    def event_table(self) -> np.ndarray:
        """The Player annotations as events: ``timestamp_ns`` (UTC), ``name`` = label,
        ``type`` ``"recording"``, sorted by time (stable)."""
        notes = load_annotations(self.path)
        out = np.empty(len(notes), dtype=EVENT_DTYPE)
        out["timestamp_ns"] = self.core.to_wall_clock_ns([a.timestamp for a in notes])
        out["name"] = [a.label for a in notes]
        out["type"] = "recording"
        return out


def cloud_view(rec: Any, options: Any) -> Any:
    """What the Cloud tables read for ``rec``: Neon-interface recordings as they are, Core-family
    ones through :class:`CoreTimeseries` with the job's ``options`` (``fixation_params``,
    ``blink_params``, ``min_confidence``)."""
    if not isinstance(rec, Recording):
        return rec
    return CoreTimeseries(
        rec,
        getattr(options, "fixation_params", None),
        getattr(options, "blink_params", None),
        getattr(options, "min_confidence", None),
    )


__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "CoreTimeseries",
    "SceneCalibration",
    "cloud_view",
    "scene_calibration",
]
