"""Synthetic native Neon recordings (data formats 2.3 and 2.5) for the decoder tests.

:func:`write_neon` writes a folder the way the Companion app does (spec neon-format.md §1):
``<stream> psN.raw`` + ``.time`` per part, ``worn`` timed by ``gaze psN.time``, ``.dtype`` files
in 2.5 only, 14 eye-state floats in 2.3 and 20 in 2.5, fixations/saccades/blinks and
``imu psN.raw`` in 2.5 (the protobuf ``extimu psN.raw`` in 2.3), ``event.txt``/``event.time`` (unsorted on purpose), scene and eye video
``.time``/``.time_aux`` (no MP4), ``info.json``, and optionally Pupil Cloud's ``gaze_200hz``
files. It returns a :class:`NeonTruth`: what each part holds, in gazeport's field names, so a
test derives its expectation by hand after damaging a file with the helpers below.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

START_NS = 1_700_000_000_000_000_000
SCENE = "Neon Scene Camera v1"
EYE = "Neon Sensor Module v1"

_EYE14 = [
    f"{name}_{side}{suffix}"
    for side in ("left", "right")
    for name, suffix in [("pupil_diameter", "_mm")]
    + [("eyeball_center", f"_{a}") for a in "xyz"]
    + [("optical_axis", f"_{a}") for a in "xyz"]
]
_EYELID = [
    f"eyelid_{name}_{side}{suffix}"
    for side in ("left", "right")
    for name, suffix in (("angle_top", ""), ("angle_bottom", ""), ("aperture", "_mm"))
]
_IMU = ["timestamp_ns"] + [f"{k}_{a}" for k in ("gyro", "accel") for a in "xyz"]
_IMU += [f"quaternion_{a}" for a in "wxyz"]
_FIX = ["event_type", "start_timestamp_ns", "end_timestamp_ns"]
_FIX += [f"{w}_gaze_{a}" for w in ("start", "end", "mean") for a in "xy"]
_FIX += ["amplitude_pixels", "amplitude_angle_deg", "mean_velocity", "max_velocity"]
_FIX_NAMES = {
    **{f"{w}_gaze_{a}": f"{w}_gaze_{a}_px" for w in ("start", "end", "mean") for a in "xy"},
    "amplitude_pixels": "amplitude_px",
    "amplitude_angle_deg": "amplitude_deg",
    "mean_velocity": "mean_velocity_px_s",
    "max_velocity": "peak_velocity_px_s",
}


def disk_dtype(names: Sequence[str]) -> np.dtype:
    """The on-disk record of ``names``: int64 for ``*timestamp_ns``, int32 for ``event_type``,
    else float32 (all little-endian)."""
    kind = {"event_type": "<i4"}
    return np.dtype(
        [(n, kind.get(n, "<i8" if n.endswith("timestamp_ns") else "<f4")) for n in names]
    )


DTYPES = {
    "gaze": disk_dtype(["x", "y"]),
    "worn": np.dtype([("worn", "u1")]),
    "eye_state_2.3": disk_dtype(_EYE14),
    "eye_state_2.5": disk_dtype(_EYE14 + _EYELID),
    "imu": disk_dtype(_IMU),
    "fixations": disk_dtype(_FIX),
    "blinks": disk_dtype(["event_type", "start_timestamp_ns", "end_timestamp_ns"]),
}


@dataclass
class NeonTruth:
    """What :func:`write_neon` wrote. ``parts[stream]`` is ``[(number, times, records)]`` in time
    order, records as written (on-disk field names); :meth:`expected` gives gazeport's array."""

    root: Path
    data_format: str
    parts: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = field(default_factory=dict)
    events: list[tuple[int, str]] = field(default_factory=list)

    def expected(self, stream: str) -> np.ndarray:
        """The decoded stream gazeport should return (parts joined by time)."""
        if stream in ("scene", "eye"):
            rows = [
                (t, number, i)
                for number, times, _ in self.parts[stream]
                for i, t in enumerate(times.tolist())
            ]
            return np.array(
                rows, dtype=[("timestamp_ns", "<i8"), ("part", "<i4"), ("frame_in_part", "<i8")]
            )
        source = "fixations" if stream == "saccades" else stream
        chunks = []
        for _, times, records in self.parts[source]:
            if source == "fixations":
                keep = records["event_type"] == (1 if stream == "fixations" else 0)
                times, records = times[keep], records[keep]
            chunks.append(_to_gazeport(stream, times, records))
        return np.concatenate(chunks)


def _to_gazeport(stream: str, times: np.ndarray, records: np.ndarray) -> np.ndarray:
    rename: dict[str, str] = {}
    if stream in ("gaze", "gaze_200hz"):
        rename = {"x": "gaze_x_px", "y": "gaze_y_px"}
    elif stream == "eye_state":
        rename = {n: f"{n}_mm" for n in records.dtype.names if n.startswith("eyeball_center")}
        rename |= {n: f"{n}_rad" for n in records.dtype.names if n.startswith("eyelid_angle")}
    elif stream == "imu":
        rename = {f"gyro_{a}": f"gyro_{a}_deg_s" for a in "xyz"}
        rename |= {f"accel_{a}": f"acceleration_{a}_g" for a in "xyz"}
    elif stream in ("fixations", "saccades"):
        rename = _FIX_NAMES
    is_event = stream in ("fixations", "saccades", "blinks")
    names = [
        n for n in records.dtype.names if n != "event_type" and (is_event or n != "timestamp_ns")
    ]
    head = [] if is_event else [("timestamp_ns", "<i8")]
    out = np.empty(len(times), dtype=head + [(rename.get(n, n), records.dtype[n]) for n in names])
    if not is_event:
        out["timestamp_ns"] = records["timestamp_ns"] if stream == "imu" else times
    for n in names:
        out[rename.get(n, n)] = records[n]
    return out


def _times(start_s: float, duration_s: float, rate_hz: float, jitter_ns: int = 0) -> np.ndarray:
    count = max(int(duration_s * rate_hz), 1)
    base = START_NS + int(start_s * 1e9)
    return base + (np.arange(count) * (1e9 / rate_hz)).astype(np.int64) + jitter_ns


def _write(root: Path, stem: str, times: np.ndarray | None, records: np.ndarray | None) -> None:
    if records is not None:
        (root / f"{stem}.raw").write_bytes(records.tobytes())
    if times is not None:
        (root / f"{stem}.time").write_bytes(times.astype("<i8").tobytes())


def _floats(rng: np.random.Generator, times: np.ndarray, dtype: np.dtype) -> np.ndarray:
    records = np.zeros(len(times), dtype=dtype)
    for name in dtype.names:
        if name.endswith("timestamp_ns"):
            records[name] = times
        elif name != "event_type":
            records[name] = rng.uniform(-50, 900, len(times)).astype(np.float32)
    return records


def varint(value: int) -> bytes:
    """``value`` as a protobuf base-128 varint."""
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


def extimu_bytes(records: np.ndarray) -> bytes:
    """``records`` (fields of :data:`DTYPES` ``"imu"``) as an ``extimu psN.raw``: each sample a
    uint16 length and an ImuPacket (tsNs, accelData, gyroData, rotVecData), zeros left out."""
    out = bytearray()
    for row in records:
        msg = varint(1 << 3) + varint(int(row["timestamp_ns"]))
        for number, kind, axes in ((2, "accel", "xyz"), (3, "gyro", "xyz"), (4, "quaternion", "wxyz")):  # fmt: skip
            body = b"".join(
                varint((i << 3) | 5) + struct.pack("<f", float(row[f"{kind}_{a}"]))
                for i, a in enumerate(axes, 1)
                if float(row[f"{kind}_{a}"]) != 0.0
            )
            msg += varint((number << 3) | 2) + varint(len(body)) + body
        out += struct.pack("<H", len(msg)) + msg
    return bytes(out)


def write_neon(
    root: Path,
    *,
    data_format: str = "2.5",
    parts: Sequence[tuple[float, float]] = ((0.5, 1.0), (2.5, 0.8), (4.0, 0.6)),
    numbers: Sequence[int] | None = None,
    gaze_hz: float = 200.0,
    cloud_200hz: bool = False,
    app_version: str = "2.9.40",
    gaze_offset: tuple[float, float] = (12.5, -3.25),
    seed: int = 7,
) -> NeonTruth:
    """A Neon recording in ``root``: one part per ``(start_s, duration_s)`` (seconds after
    :data:`START_NS`, listed in time order, gaps between them), numbered ``numbers`` (default
    1, 2, …; give e.g. ``(2, 1, 3)`` to make part numbers disagree with time)."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    numbers = list(numbers or range(1, len(parts) + 1))
    v25 = data_format == "2.5"
    truth = NeonTruth(root, data_format)
    eye_dtype = DTYPES["eye_state_2.5" if v25 else "eye_state_2.3"]
    for number, (start, duration) in zip(numbers, parts, strict=True):
        stem = f" ps{number}"
        gaze_t = _times(start, duration, gaze_hz, jitter_ns=123)
        gaze = _floats(rng, gaze_t, DTYPES["gaze"])
        right_t = gaze_t + 5_000_000
        right = _floats(rng, right_t, DTYPES["gaze"])
        worn = np.zeros(len(gaze_t), DTYPES["worn"])
        worn["worn"] = np.where(np.arange(len(gaze_t)) % 7 == 0, 0, 255)
        eye = _floats(rng, gaze_t, eye_dtype)
        _write(root, "gaze" + stem, gaze_t, gaze)
        _write(root, "gaze_right" + stem, right_t, right)
        _write(root, "worn" + stem, None, worn)
        _write(root, "eye_state" + stem, gaze_t, eye)
        streams = {"gaze": (gaze_t, gaze), "gaze_right": (right_t, right), "worn": (gaze_t, worn),
                   "eye_state": (gaze_t, eye)}  # fmt: skip
        imu_t = _times(start, duration, 110.0, jitter_ns=77)
        imu = _floats(rng, imu_t, DTYPES["imu"])
        streams["imu"] = (imu_t, imu)
        _write(root, "extimu" + stem, imu_t, None)
        (root / f"extimu{stem}.raw").write_bytes(extimu_bytes(imu))
        if v25:
            _write(root, "imu" + stem, imu_t, imu)
            starts = gaze_t[:: max(len(gaze_t) // 6, 1)][:6]
            fixations = _floats(rng, starts, DTYPES["fixations"])
            fixations["event_type"] = np.arange(len(starts)) % 2 ^ 1  # fixation, saccade, …
            fixations["end_timestamp_ns"] = starts + 40_000_000
            _write(root, "fixations" + stem, starts, fixations)
            blink_t = starts[1:2] + 1_000_000
            blinks = np.zeros(len(blink_t), DTYPES["blinks"])
            blinks["event_type"] = 4
            blinks["start_timestamp_ns"] = blink_t
            blinks["end_timestamp_ns"] = blink_t + 150_000_000
            _write(root, "blinks" + stem, blink_t, blinks)
            streams |= {
                "fixations": (starts, fixations),
                "blinks": (blink_t, blinks),
            }
        for name, (times, records) in streams.items():
            truth.parts.setdefault(name, []).append((number, times, records))
        for camera, basename, hz in (("scene", SCENE, 30.0), ("eye", EYE, 200.0)):
            times = _times(start - 0.1, duration + 0.1, hz, jitter_ns=9)
            _write(root, basename + stem, times, None)
            (root / f"{basename}{stem}.time_aux").write_bytes((times + 7_000_000).tobytes())
            truth.parts.setdefault(camera, []).append((number, times, times))
    if v25:
        for name, key in (("gaze", "gaze"), ("worn", "worn"), ("eye_state", "eye_state_2.5"),
                          ("imu", "imu"), ("fixations", "fixations"), ("blinks", "blinks")):  # fmt: skip
            write_dtype_file(root / f"{name}.dtype", DTYPES[key])
    if cloud_200hz:
        for name, data_file, time_file in (("gaze", "gaze_200hz.raw", "gaze_200hz.time"),
                                           ("worn", "worn_200hz.raw", None)):  # fmt: skip
            times = np.concatenate([t for _, t, _ in truth.parts[name]])
            records = np.concatenate([r for _, _, r in truth.parts[name]])
            (root / data_file).write_bytes(records.tobytes())
            if time_file:
                (root / time_file).write_bytes(times.tobytes())
            truth.parts[f"{name}_200hz"] = [(0, times, records)]
    end_ns = START_NS + int((parts[-1][0] + parts[-1][1] + 0.5) * 1e9)
    truth.events = [(START_NS, "recording.begin"), (START_NS + 3_000_000_000, "stim.on"),
                    (START_NS + 1_000_000_000, "früh"), (end_ns, "recording.end")]  # fmt: skip
    (root / "event.txt").write_text("".join(f"{n}\n" for _, n in truth.events), encoding="utf-8")
    (root / "event.time").write_bytes(np.array([t for t, _ in truth.events], "<i8").tobytes())
    info = {"recording_id": "00000000-0000-4000-8000-000000000001", "data_format_version": data_format,
            "app_version": app_version, "start_time": START_NS, "duration": end_ns - START_NS,
            "gaze_offset": list(gaze_offset), "module_serial_number": "123456"}  # fmt: skip
    (root / "info.json").write_text(json.dumps(info), encoding="utf-8")
    (root / "wearer.json").write_text('{"uuid": "w", "name": "Synthetic"}', encoding="utf-8")
    return truth


def write_dtype_file(path: Path, dtype: np.dtype) -> None:
    """A ``.dtype`` file in the app's style (a Python list literal of ``(name, type)``)."""
    lines = [f'("{name}", "{dtype[name].name}"),' for name in dtype.names]
    path.write_text("[\n" + "\n".join(lines) + "\n]\n", encoding="utf-8")


def cut_records(path: Path, itemsize: int, count: int = 1) -> None:
    """Drop the last ``count`` records of ``path`` (a part whose data and time counts differ)."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - itemsize * count])


def append_bytes(path: Path, count: int = 3) -> None:
    """Append ``count`` stray bytes (a size that is not a multiple of the record)."""
    path.write_bytes(path.read_bytes() + b"\x0a" * count)


def empty_stream(root: Path, basename: str) -> None:
    """Make every ``<basename> psN.raw``/``.time`` 0 bytes (a stream with no samples)."""
    for path in root.glob(f"{basename} ps*"):
        path.write_bytes(b"")


def tree_sha(folder: Path) -> str:
    """One digest of every file name and content in ``folder`` (to prove nothing was written)."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()
