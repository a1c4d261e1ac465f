"""Streams of a native Neon recording folder, decoded part by part into columnar arrays.

Every function takes the recording folder and returns a numpy structured array sorted by time,
with flat snake_case fields that carry their units and map onto Neon Player's CSV columns
(``gaze x [px]`` → ``gaze_x_px``). Timestamps are int64 UTC nanoseconds, exactly as on disk.

========================  ==================================================================
stream                    fields (besides ``timestamp_ns``)
========================  ==================================================================
``gaze``, ``gaze_200hz``  ``gaze_x_px``, ``gaze_y_px`` (scene pixels, origin top-left)
``gaze_right/left``       ``x``, ``y`` (per-eye output of the app; units unknown, not pixels)
``worn``, ``worn_200hz``  ``worn`` (uint8, 0 or 255)
``eye_state``             ``pupil_diameter_left_mm``, ``eyeball_center_left_x_mm`` …,
                          ``optical_axis_left_x`` …, (format ≥ 2.5) ``eyelid_angle_top_left_rad``
                          …, ``eyelid_aperture_left_mm`` … (left, then right)
``imu``                   ``gyro_x_deg_s`` …, ``acceleration_x_g`` …, ``quaternion_w/x/y/z``
``fixations``,            ``start_timestamp_ns``, ``end_timestamp_ns`` (no ``timestamp_ns``),
``saccades``              ``start/end/mean_gaze_x_px`` …, ``amplitude_px``, ``amplitude_deg``,
                          ``mean_velocity_px_s``, ``peak_velocity_px_s``
``blinks``                ``start_timestamp_ns``, ``end_timestamp_ns``
``events``                ``name`` (str)
``scene``, ``eye``        ``part`` (the N of ``psN``), ``frame_in_part`` (frame index in that
                          part's MP4)
========================  ==================================================================

Values are the file's, untouched: the fixation means of app versions before 2.9.31 lack the
gaze offset (the recording layer adds it, knowing ``info.json``). A recording without
``imu psN.raw`` (format 2.3) has its ``imu`` stream decoded from the protobuf ``extimu psN.raw``
parts (:mod:`.neon_extimu`), with the same fields, each part paired with its own ``.time``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, GazeportWarning, StreamNotFoundError
from .neon_extimu import EXTIMU_DTYPE, read_extimu
from .neon_parts import (
    TIME_DTYPE,
    NeonPart,
    find_parts,
    map_times,
    order_by_time,
    pair_part,
    pair_records,
    read_dtype_file,
    warn_if_unsorted,
)

SCENE_VIDEO = "Neon Scene Camera v1"
#: Basename of format 2.3's protobuf IMU parts, read when there is no ``imu psN.raw``.
EXTIMU = "extimu"
EYE_VIDEO = "Neon Sensor Module v1"

_F4 = "<f4"
_SIDES = ("left", "right")
_EYE_14 = [
    (f"{name}_{side}{suffix}", _F4)
    for side in _SIDES
    for name, suffix in (
        ("pupil_diameter", "_mm"),
        ("eyeball_center", "_x"),
        ("eyeball_center", "_y"),
        ("eyeball_center", "_z"),
        ("optical_axis", "_x"),
        ("optical_axis", "_y"),
        ("optical_axis", "_z"),
    )
]
_EYELIDS = [
    (f"eyelid_{name}_{side}{suffix}", _F4)
    for side in _SIDES
    for name, suffix in (("angle_top", ""), ("angle_bottom", ""), ("aperture", "_mm"))
]
_EVENT_TIMES = [("start_timestamp_ns", "<i8"), ("end_timestamp_ns", "<i8")]
_GAZE_POINTS = [f"{which}_gaze_{axis}" for which in ("start", "end", "mean") for axis in "xy"]

#: Built-in layouts for files without a ``.dtype`` (format 2.3 writes none).
GAZE_FALLBACK = np.dtype([("x", _F4), ("y", _F4)])
WORN_FALLBACK = np.dtype([("worn", "u1")])
EYE_STATE_FALLBACK = np.dtype(_EYE_14)
EYE_STATE_EYELID_FALLBACK = np.dtype(_EYE_14 + _EYELIDS)
IMU_FALLBACK = np.dtype(
    [("timestamp_ns", "<i8")]
    + [(f"{kind}_{axis}", _F4) for kind in ("gyro", "accel") for axis in "xyz"]
    + [(f"quaternion_{axis}", _F4) for axis in "wxyz"]
)
FIXATIONS_FALLBACK = np.dtype(
    [("event_type", "<i4"), *_EVENT_TIMES]
    + [(name, _F4) for name in _GAZE_POINTS]
    + [(name, _F4) for name in ("amplitude_pixels", "amplitude_angle_deg")]
    + [(name, _F4) for name in ("mean_velocity", "max_velocity")]
)
BLINKS_FALLBACK = np.dtype(_EVENT_TIMES)
BLINKS_TYPED_FALLBACK = np.dtype([("event_type", "<i4"), *_EVENT_TIMES])

_GAZE_NAMES = {"x": "gaze_x_px", "y": "gaze_y_px"}
_EYE_NAMES = {
    **{f"eyeball_center_{s}_{a}": f"eyeball_center_{s}_{a}_mm" for s in _SIDES for a in "xyz"},
    **{f"eyelid_angle_{w}_{s}": f"eyelid_angle_{w}_{s}_rad" for s in _SIDES for w in ("top", "bottom")},
}  # fmt: skip
_IMU_NAMES = {
    **{f"gyro_{a}": f"gyro_{a}_deg_s" for a in "xyz"},
    **{f"accel_{a}": f"acceleration_{a}_g" for a in "xyz"},
}
_FIXATION_NAMES = {
    **{name: f"{name}_px" for name in _GAZE_POINTS},
    "amplitude_pixels": "amplitude_px",
    "amplitude_angle_deg": "amplitude_deg",
    "mean_velocity": "mean_velocity_px_s",
    "max_velocity": "peak_velocity_px_s",
}


@dataclass(frozen=True)
class StreamSpec:
    """How one stream sits on disk and how its fields are named in gazeport."""

    name: str
    basename: str
    fallbacks: tuple[np.dtype, ...]  # the first whose size fits the first part wins
    rename: dict[str, str] = field(default_factory=dict)
    dtype_files: tuple[str, ...] = ()  # candidate ``<x>.dtype`` stems, first found wins
    time_basename: str | None = None  # whose ``psN.time`` times this stream when it has none
    single: tuple[str, str] | None = None  # unnumbered (data, time) files of Pupil Cloud
    event_type: int | None = None  # keep only records of this ``event_type``
    is_event: bool = False  # start/end records instead of samples


SPECS: dict[str, StreamSpec] = {
    spec.name: spec
    for spec in (
        StreamSpec("gaze", "gaze", (GAZE_FALLBACK,), _GAZE_NAMES, ("gaze",)),
        StreamSpec(
            "gaze_200hz", "gaze_200hz", (GAZE_FALLBACK,), _GAZE_NAMES, ("gaze_200hz", "gaze"),
            single=("gaze_200hz.raw", "gaze_200hz.time"),
        ),
        StreamSpec("gaze_right", "gaze_right", (GAZE_FALLBACK,), {}, ("gaze_right",), "gaze"),
        StreamSpec("gaze_left", "gaze_left", (GAZE_FALLBACK,), {}, ("gaze_left",), "gaze"),
        StreamSpec("worn", "worn", (WORN_FALLBACK,), {}, ("worn",), "gaze"),
        StreamSpec(
            "worn_200hz", "worn_200hz", (WORN_FALLBACK,), {}, ("worn_200hz", "worn"),
            single=("worn_200hz.raw", "gaze_200hz.time"),
        ),
        StreamSpec(
            "eye_state", "eye_state", (EYE_STATE_FALLBACK, EYE_STATE_EYELID_FALLBACK), _EYE_NAMES,
            ("eye_state",),
        ),
        StreamSpec("imu", "imu", (IMU_FALLBACK,), _IMU_NAMES, ("imu",)),
        StreamSpec(
            "fixations", "fixations", (FIXATIONS_FALLBACK,), _FIXATION_NAMES, ("fixations",),
            event_type=1, is_event=True,
        ),
        StreamSpec(
            "saccades", "fixations", (FIXATIONS_FALLBACK,), _FIXATION_NAMES, ("fixations",),
            event_type=0, is_event=True,
        ),
        StreamSpec(
            "blinks", "blinks", (BLINKS_FALLBACK, BLINKS_TYPED_FALLBACK), {}, ("blinks",),
            is_event=True,
        ),
    )
}  # fmt: skip

#: Video cameras and the basename of their ``psN.mp4`` / ``.time`` / ``.time_aux`` files.
VIDEOS = {"scene": SCENE_VIDEO, "eye": EYE_VIDEO}
VIDEO_TIMES_DTYPE = np.dtype([("timestamp_ns", "<i8"), ("part", "<i4"), ("frame_in_part", "<i8")])
EVENTS_FILES = ("event.txt", "event.time")
#: Every stream name :func:`neon_stream` knows.
STREAM_NAMES = (*SPECS, "events", *VIDEOS)


def stream_parts(folder: Path | str, spec: StreamSpec) -> list[NeonPart]:
    """The parts of ``spec``'s stream in ``folder``, by number (unnumbered Cloud files: one)."""
    folder = Path(folder)
    if spec.single is not None:
        data, time = (folder / name for name in spec.single)
        return [NeonPart(None, data, time)] if data.is_file() and time.is_file() else []
    return find_parts(folder, spec.basename, time_basename=spec.time_basename)


def record_dtype(folder: Path, spec: StreamSpec, parts: list[NeonPart]) -> tuple[np.dtype, str]:
    """The record layout of ``spec``'s files and where it came from (a ``.dtype`` path or
    ``"built-in"``). Without a ``.dtype`` file, the first fallback whose record size matches the
    first non-empty part's timestamp count wins (an 80-byte ``eye_state`` has eyelids)."""
    for stem in spec.dtype_files:
        path = folder / f"{stem}.dtype"
        if path.is_file():
            return read_dtype_file(path), str(path)
    for part in parts:
        times = part.time_file.stat().st_size // TIME_DTYPE.itemsize
        if times and part.data_file is not None:
            size = part.data_file.stat().st_size
            for dtype in spec.fallbacks:
                if size == times * dtype.itemsize:
                    return dtype, "built-in"
            break
    return spec.fallbacks[0], "built-in"


def output_dtype(spec: StreamSpec, dtype: np.dtype, source: Path) -> np.dtype:
    """gazeport's columns for records of ``dtype``: renamed, native byte order, ``event_type``
    dropped, ``timestamp_ns`` first for samples."""
    fields = dtype.names or ()
    if spec.is_event or spec.event_type is not None:
        need = ["start_timestamp_ns", "end_timestamp_ns"]
        need += ["event_type"] if spec.event_type is not None else []
        missing = [name for name in need if name not in fields]
        if missing:
            raise CorruptFileError(
                f"{source} has no {', '.join(missing)} field; restore the file from the phone "
                "or delete it to use the built-in layout.",
                source,
            )
    head = [] if spec.is_event else [("timestamp_ns", np.dtype(np.int64))]
    body = [
        (spec.rename.get(name, name), dtype[name].newbyteorder("="))
        for name in fields
        if name != "event_type" and (spec.is_event or name != "timestamp_ns")
    ]
    return np.dtype(head + body)


def _extimu_pair(part: NeonPart) -> tuple[np.ndarray, np.ndarray]:
    """``(times, records)`` of one ``extimu psN`` part, decoded and cut to the shorter count."""
    data_file = part.data_file if part.data_file is not None else part.time_file.with_suffix(".raw")
    return pair_records(part, map_times(part.time_file), read_extimu(data_file))


def copy_records(spec: StreamSpec, out: np.ndarray, times: np.ndarray, records: np.ndarray) -> None:
    """Fill ``out`` (gazeport's columns, :func:`output_dtype`) from one part's ``times`` and
    on-disk ``records`` of the same length: fields renamed, ``timestamp_ns`` from the records
    themselves when they carry one (IMU), else from ``times``."""
    names = out.dtype.names or ()
    if not spec.is_event:
        out["timestamp_ns"] = times
    for name in records.dtype.names or ():
        target = spec.rename.get(name, name)
        if target in names and (spec.is_event or name != "timestamp_ns"):
            out[target] = records[name]
    if "timestamp_ns" in (records.dtype.names or ()) and not spec.is_event:
        out["timestamp_ns"] = records["timestamp_ns"]


def read_stream(folder: Path | str, spec: StreamSpec) -> np.ndarray:
    """One binary stream, all parts joined by time (see the module docstring for the fields)."""
    folder = Path(folder)
    parts = stream_parts(folder, spec)
    extimu = find_parts(folder, EXTIMU) if spec.name == "imu" and not parts else []
    if not parts and not extimu:
        raise StreamNotFoundError(
            f"{folder} has no {spec.name} stream (no '{spec.basename} psN.raw' with its .time "
            "file); list what the recording has with `gazeport info`."
        )
    if extimu:
        parts, dtype, source = extimu, EXTIMU_DTYPE, str(folder / "imu.proto")
    else:
        dtype, source = record_dtype(folder, spec, parts)
    out_dtype = output_dtype(spec, dtype, Path(source))
    pairs = [_extimu_pair(part) if extimu else pair_part(part, dtype) for part in parts]
    ordered = order_by_time(parts, pairs)
    selections = []
    for _, times, records in ordered:
        if spec.event_type is None:
            selections.append((times, records))
        else:
            keep = np.asarray(records["event_type"]) == spec.event_type
            selections.append((times[keep], records[keep]))
    out = np.empty(sum(len(t) for t, _ in selections), dtype=out_dtype)
    offset = 0
    for times, records in selections:
        copy_records(spec, out[offset : offset + len(times)], times, records)
        offset += len(times)
    del pairs, ordered, selections  # release the memory maps
    key = "start_timestamp_ns" if spec.is_event else "timestamp_ns"
    order = warn_if_unsorted(out[key], f"The {spec.name} stream of {folder}")
    return out if order is None else out[order]


def read_gaze(folder: Path | str, *, rate: str = "realtime") -> np.ndarray:
    """Binocular gaze in scene pixels: ``rate="realtime"`` reads the phone's ``gaze psN`` parts,
    ``"200hz"`` Pupil Cloud's ``gaze_200hz`` file. Fields ``timestamp_ns``, ``gaze_x_px``,
    ``gaze_y_px``."""
    return read_stream(folder, SPECS["gaze" if rate == "realtime" else "gaze_200hz"])


def read_gaze_monocular(folder: Path | str, eye: str) -> np.ndarray:
    """Per-eye gaze ``gaze_right``/``gaze_left`` (``eye`` = "right"/"left"): ``timestamp_ns``,
    ``x``, ``y`` in units the vendor does not document (not pixels). Timed by the stream's own
    ``.time`` file, or ``gaze psN.time`` when it has none."""
    return read_stream(folder, SPECS[f"gaze_{eye}"])


def read_worn(folder: Path | str, *, rate: str = "realtime") -> np.ndarray:
    """Worn flags (``worn`` uint8, 0 or 255), timed by ``gaze psN.time`` (``"realtime"``) or
    ``gaze_200hz.time`` (``"200hz"``)."""
    return read_stream(folder, SPECS["worn" if rate == "realtime" else "worn_200hz"])


def read_eye_state(folder: Path | str) -> np.ndarray:
    """3D eye state: pupil diameters (mm), eyeball centres (mm, scene-camera coordinates),
    optical axes (unit vectors) and, from format 2.5 on, eyelid angles (rad) and apertures (mm)."""
    return read_stream(folder, SPECS["eye_state"])


def read_imu(folder: Path | str) -> np.ndarray:
    """IMU from ``imu psN.raw`` (format ≥ 2.5), else from the protobuf ``extimu psN.raw``
    (format 2.3): gyro (deg/s), acceleration (g) and the orientation quaternion (w, x, y, z);
    ``timestamp_ns`` from the records themselves (equal to the ``.time`` entries)."""
    return read_stream(folder, SPECS["imu"])


def read_fixations(folder: Path | str) -> np.ndarray:
    """The app's fixations (``event_type`` 1 of the ``fixations`` files), by start time."""
    return read_stream(folder, SPECS["fixations"])


def read_saccades(folder: Path | str) -> np.ndarray:
    """The app's saccades (``event_type`` 0 of the ``fixations`` files), by start time."""
    return read_stream(folder, SPECS["saccades"])


def read_blinks(folder: Path | str) -> np.ndarray:
    """The app's blinks: ``start_timestamp_ns``, ``end_timestamp_ns``, by start time."""
    return read_stream(folder, SPECS["blinks"])


def read_events(folder: Path | str) -> np.ndarray:
    """Recording events from ``event.txt`` (UTF-8, one name per line) and ``event.time``:
    ``timestamp_ns`` and ``name``, sorted stably by time (the app may write them unsorted)."""
    folder = Path(folder)
    text_file, time_file = (folder / name for name in EVENTS_FILES)
    if not (text_file.is_file() and time_file.is_file()):
        raise StreamNotFoundError(
            f"{folder} has no events (event.txt with event.time); list what the recording has "
            "with `gazeport info`."
        )
    raw = text_file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        warnings.warn(
            f"{text_file} is not UTF-8 at byte {error.start}; undecodable bytes are shown as "
            "\ufffd.",
            GazeportWarning,
            stacklevel=2,
        )
        text = raw.decode("utf-8", errors="replace")
    names = text.split("\n")
    if names and names[-1] == "":
        names.pop()
    names = [name.removesuffix("\r") for name in names]
    times = np.array(map_times(time_file))
    if len(names) != len(times):
        keep = min(len(names), len(times))
        warnings.warn(
            f"{text_file} holds {len(names)} event names but {time_file} holds {len(times)} "
            f"timestamps; the first {keep} of each are used.",
            GazeportWarning,
            stacklevel=2,
        )
        names, times = names[:keep], times[:keep]
    width = max((len(name) for name in names), default=1) or 1
    out = np.empty(len(times), dtype=[("timestamp_ns", "<i8"), ("name", f"<U{width}")])
    out["timestamp_ns"] = times
    out["name"] = names
    return out[np.argsort(times, kind="stable")]


def video_parts(folder: Path | str, camera: str, *, aux: bool = False) -> list[NeonPart]:
    """The ``.time`` (or ``.time_aux``) parts of the ``"scene"`` or ``"eye"`` video, by number;
    a part whose MP4 is missing is listed too (its frames are lost, its times are not)."""
    return find_parts(Path(folder), VIDEOS[camera], ext=".time_aux" if aux else ".time")


def read_video_times(folder: Path | str, camera: str, *, aux: bool = False) -> np.ndarray:
    """Frame times of the ``"scene"`` or ``"eye"`` video: ``timestamp_ns`` (from ``.time``, or the
    second clock ``.time_aux`` with ``aux=True``), ``part`` and ``frame_in_part``, parts joined
    by time. Frame ``frame_in_part`` of ``<video> ps<part>.mp4`` has that timestamp."""
    folder = Path(folder)
    parts = video_parts(folder, camera, aux=aux)
    if not parts:
        raise StreamNotFoundError(
            f"{folder} has no {camera} video times ('{VIDEOS[camera]} psN.time'); list what the "
            "recording has with `gazeport info`."
        )
    ordered = [(part, map_times(part.time_file)) for part in parts]
    ordered = [item for item in ordered if len(item[1])]
    ordered.sort(key=lambda item: (int(item[1][0]), item[0].number or 0))
    out = np.empty(sum(len(t) for _, t in ordered), dtype=VIDEO_TIMES_DTYPE)
    offset = 0
    for part, times in ordered:
        rows = slice(offset, offset + len(times))
        out["timestamp_ns"][rows] = times
        out["part"][rows] = part.number or 0
        out["frame_in_part"][rows] = np.arange(len(times))
        offset += len(times)
    del ordered
    order = warn_if_unsorted(out["timestamp_ns"], f"The {camera} video times of {folder}")
    return out if order is None else out[order]


def neon_stream(folder: Path | str, name: str) -> np.ndarray:
    """The stream ``name`` (one of :data:`STREAM_NAMES`) of the Neon recording in ``folder``.

    A stream the recording lacks raises :class:`StreamNotFoundError`; an unknown name too.
    """
    if name in SPECS:
        return read_stream(folder, SPECS[name])
    if name == "events":
        return read_events(folder)
    if name in VIDEOS:
        return read_video_times(folder, name)
    raise StreamNotFoundError(
        f"{name!r} is not a Neon stream; use one of {', '.join(STREAM_NAMES)}."
    )
