"""A Pupil Cloud "Timeseries Data" download opened read-only: the Cloud kind of the facade.

:class:`CloudRecording` serves a folder of Cloud CSVs (``gaze.csv`` … with ``info.json`` and
``scene_camera.json``; the scene video when downloaded) with the interface of
:class:`~gazeport.recording.neon.NeonRecording` that the dialect tables use: the same stream
names, field names and int64 UTC ns timestamps (:mod:`gazeport.formats.cloud_csv`).

What a Cloud download lacks or changes compared with a native recording:

* no eye video, ``gaze_right``/``gaze_left`` or real-time streams; ``gaze`` and ``worn`` are
  Cloud's 200 Hz gaze;
* fixations carry only their mean point (already offset-corrected by Cloud), not start/end
  points; ``gaze``/``fixations`` keep Cloud's ``azimuth_deg``/``elevation_deg``;
* ``scene`` is ``world_timestamps.csv``: the times of Cloud's re-encoded video (with its
  20 fps pre-roll), all in one part;
* the camera is ``scene_camera.json`` (no eye cameras: their matrices are NaN);
* ``section id`` is Cloud's own (:meth:`cloud_section_id`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StreamNotFoundError
from ..formats.cloud_csv import read_cloud_csv, read_scene_camera
from ..formats.neon_calibration import NeonCalibration
from ..formats.neon_info import NeonInfo, NeonWearer, read_neon_info
from ..formats.neon_inventory import PartSummary, StreamSummary
from .detect import RecordingKind
from .neon import EVENT_STREAMS, NeonRecording
from .window import STREAM_ROWS, window_chunks

#: Stream name → the Cloud file that holds it.
FILES: dict[str, str] = {
    "gaze": "gaze.csv",
    "worn": "gaze.csv",
    "eye_state": "3d_eye_states.csv",
    "imu": "imu.csv",
    "fixations": "fixations.csv",
    "saccades": "saccades.csv",
    "blinks": "blinks.csv",
    "events": "events.csv",
    "scene": "world_timestamps.csv",
}


class CloudRecording(NeonRecording):
    """A Pupil Cloud Timeseries download (one recording's folder), read-only and lazy."""

    kind = RecordingKind.CLOUD_CSV

    def __init__(self, path: Path | str) -> None:
        self.path = Path(os.path.abspath(Path(path).expanduser()))
        self.info: NeonInfo = read_neon_info(self.path / "info.json")
        self._cache: dict[str, np.ndarray] = {}
        self._plans: dict[str, Any] = {}
        self._sections: dict[str, tuple[str, ...]] = {}

    @cached_property
    def wearer(self) -> NeonWearer | None:
        """The wearer from ``info.json`` (Cloud adds ``wearer_name``); ``None`` when absent."""
        raw = _info_json(self.path)
        name = raw.get("wearer_name")
        if name is None:
            return None
        return NeonWearer(str(raw.get("wearer_id", "")), str(name))

    @cached_property
    def calibration(self) -> NeonCalibration:
        """The scene camera from ``scene_camera.json``; the eye cameras are unknown (NaN)."""
        cam = read_scene_camera(self.path / "scene_camera.json")
        nan3, nan8, nan4 = np.full((3, 3), np.nan), np.full(8, np.nan), np.full((4, 4), np.nan)
        return NeonCalibration(
            1, cam["serial_number"], cam["camera_matrix"], cam["distortion_coefficients"],
            np.eye(4), nan3, nan8, nan4, nan3, nan8, nan4, 0,
        )  # fmt: skip

    def check_manifest(self) -> list[Any]:
        """A Cloud download has no ``manifest.json``: nothing to check."""
        return []

    def stream_summaries(self) -> list[StreamSummary]:
        """Every stream of the download, one part (its CSV file, ``number`` ``None``) each, in
        :data:`FILES` order. ``first_ns``/``last_ns`` are int64 UTC ns: the first and last
        sample (event streams: the first and last start, as for native recordings). The scene
        part's ``video_file`` is the download's only ``.mp4`` (``None`` when absent or several).
        Reads (and caches) each stream's CSV; writes nothing."""
        out = []
        for name in self.stream_names:
            data = self.stream(name)
            names = data.dtype.names or ()
            times = data["start_timestamp_ns" if "start_timestamp_ns" in names else "timestamp_ns"]
            first, last = (int(times.min()), int(times.max())) if len(times) else (None, None)
            csv_file = self.path / FILES[name]
            video = self._scene_video() if name == "scene" else None
            part = PartSummary(None, csv_file, csv_file, None, len(data), len(data),
                               first, last, video)  # fmt: skip
            out.append(StreamSummary(name, str(csv_file), (part,)))
        return out

    def _scene_video(self) -> Path | None:
        videos = sorted(self.path.glob("*.mp4"))
        return videos[0] if len(videos) == 1 else None

    def stream_rate_hz(self, summary: StreamSummary) -> float | None:
        """Samples per second of a sample stream: the inverse of the median interval between
        consecutive timestamps; ``None`` for event streams and fewer than two samples."""
        if summary.name in EVENT_STREAMS:
            return None
        times = self.stream(summary.name)["timestamp_ns"]
        if len(times) < 2:
            return None
        median = float(np.median(np.diff(times)))
        return 1e9 / median if median > 0 else None

    @property
    def stream_names(self) -> tuple[str, ...]:
        return tuple(name for name in FILES if self.has_stream(name))

    def has_stream(self, name: str) -> bool:
        """True if the download holds the file of stream ``name``."""
        return name in FILES and (self.path / FILES[name]).is_file()

    def stream(self, name: str) -> np.ndarray:
        """Stream ``name`` from its Cloud CSV, read once and cached, sorted by time (stable)."""
        if name not in FILES:
            raise StreamNotFoundError(
                f"{name!r} is not a stream of a Pupil Cloud download; use one of {', '.join(FILES)}."
            )
        if not self.has_stream(name):
            raise StreamNotFoundError(f"{self.path} has no {FILES[name]}, so no {name!r} stream.")
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def iter_chunks(
        self, name: str, window_ns: tuple[int, int] | None = None, rows: int = STREAM_ROWS
    ) -> Iterator[np.ndarray]:
        """Stream ``name`` in the window, ``rows`` at a time, cut from the whole CSV's array."""
        return window_chunks(self.stream(name), window_ns, rows)

    def _load(self, name: str) -> np.ndarray:
        table = read_cloud_csv(self.path / FILES[name])
        self._sections[FILES[name]] = table.section_ids
        data = table.data
        key = "start_timestamp_ns" if "start_timestamp_ns" in (data.dtype.names or ()) else None
        data = data[np.argsort(data[key or "timestamp_ns"], kind="stable")]
        if name == "gaze":
            # recfunctions imports numpy.ma (~10 ms): only for a Cloud recording's gaze
            from numpy.lib.recfunctions import repack_fields

            keep = [f for f in data.dtype.names or () if f != "worn"]
            return np.asarray(repack_fields(data[keep]))
        if name == "worn":
            out = np.empty(len(data), dtype=[("timestamp_ns", "<i8"), ("worn", "u1")])
            out["timestamp_ns"] = data["timestamp_ns"]
            worn = data["worn"] if "worn" in (data.dtype.names or ()) else np.ones(len(data))
            out["worn"] = np.where(worn > 0.5, 255, 0)
            return out
        if name == "scene":
            out = np.empty(
                len(data),
                dtype=[("timestamp_ns", "<i8"), ("part", "<i4"), ("frame_in_part", "<i8")],
            )
            out["timestamp_ns"] = data["timestamp_ns"]
            out["part"] = 0
            out["frame_in_part"] = np.arange(len(data))
            return out
        return data

    def _events_or_empty(self, name: str) -> np.ndarray:
        if self.has_stream(name):
            return self.stream(name)
        return np.empty(0, dtype=[("start_timestamp_ns", "<i8"), ("end_timestamp_ns", "<i8")])

    def event_table(self) -> np.ndarray:
        """Every event of ``events.csv`` (``timestamp_ns``, ``name``, ``type`` as Cloud wrote
        it: ``recording`` or ``cloud``), sorted by time (stable)."""
        out = np.empty(0, dtype=[("timestamp_ns", "<i8"), ("name", object), ("type", object)])
        if not self.has_stream("events"):
            return out
        events = self.stream("events")
        out = np.empty(len(events), dtype=out.dtype)
        out["timestamp_ns"] = events["timestamp_ns"]
        out["name"] = events["name"]
        kinds = events["type"] if "type" in (events.dtype.names or ()) else None
        out["type"] = "recording" if kinds is None else kinds
        return out[np.argsort(out["timestamp_ns"], kind="stable")]

    def cloud_section_id(self, window_ns: tuple[int, int]) -> str | None:
        """Cloud's ``section id`` when the window is the whole recording (the section Cloud
        exported) and the download holds exactly one; else ``None`` (a new id is derived)."""
        if window_ns != (self.start_time_ns, self.stop_time_ns):
            return None
        for name in ("gaze", "imu", "eye_state", "scene", "fixations", "saccades", "blinks"):
            if self.has_stream(name):
                self.stream(name)
        seen = {s for ids in self._sections.values() for s in ids}
        return next(iter(seen)) if len(seen) == 1 else None

    def close(self) -> None:
        self._cache.clear()
        self._sections.clear()
        self.__dict__.pop("timeline", None)

    def __enter__(self) -> CloudRecording:
        return self

    def __repr__(self) -> str:
        return f"<CloudRecording {self.path.name!r} cloud {self.duration_s:.1f} s>"


def _info_json(folder: Path) -> dict[str, Any]:
    with (folder / "info.json").open("rb") as f:
        data = json.load(f)
    return data if isinstance(data, dict) else {}


__all__ = ["FILES", "CloudRecording"]
