"""Generate realistic synthetic native Neon recordings (data format 2.5) for benchmarks and demos.

The folder looks like what the Neon Companion app 2.9 writes (spec neon-format.md §1): per part
``gaze psN.raw/.time`` (200 Hz, a few eye frames dropped), ``worn psN.raw``, ``eye_state psN``
(20 float32, eyelids closing during blinks), ``imu psN`` (~110 Hz), ``fixations psN`` (fixations
and saccades interleaved, ``event_type`` 1/0), ``blinks psN``, the ``.time``/``.time_aux`` files
of the 30 fps scene camera and the 200 Hz sensor module (no MP4), ``event.txt``/``event.time``,
the ``.dtype`` files, ``info.json``, ``wearer.json``, a valid ``calibration.bin`` and a
``manifest.json`` whose sizes and CRCs match. A new part starts every ``part_minutes`` after a
short gap, as when the app splits a long recording.

Float data are generated and appended in blocks of :data:`BLOCK_SAMPLES` samples, so a 60-minute
recording is written in seconds with a few tens of MB of memory; only the int64 timestamps of
one part are held at once.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .formats.neon_calibration import CALIBRATION_DTYPE, CALIBRATION_SIZE

Progress = Callable[[float, str], None]

START_NS = 1_760_000_000_000_000_000  #: info.start_time of every synthetic recording (UTC ns)
GAZE_RATE_HZ = 200.0
IMU_RATE_HZ = 110.0
SCENE_RATE_HZ = 30.0
BLOCK_SAMPLES = 12_000  #: gaze samples generated per block (one minute at 200 Hz)
SCENE = "Neon Scene Camera v1"
EYE = "Neon Sensor Module v1"
APP_VERSION = "2.9.40"
GAZE_OFFSET = (12.5, -3.25)
SCENE_SIZE = (1600, 1200)
FOCAL_PX = 890.0


def _dtype(names: list[str]) -> np.dtype:
    kinds = {"event_type": "<i4", "worn": "u1"}
    return np.dtype(
        [(n, kinds.get(n, "<i8" if n.endswith("timestamp_ns") else "<f4")) for n in names]
    )


_EYE = [
    f"{name}_{side}{suffix}"
    for side in ("left", "right")
    for name, suffix in [("pupil_diameter", "_mm")]
    + [("eyeball_center", f"_{a}") for a in "xyz"]
    + [("optical_axis", f"_{a}") for a in "xyz"]
] + [
    f"eyelid_{name}_{side}{suffix}"
    for side in ("left", "right")
    for name, suffix in (("angle_top", ""), ("angle_bottom", ""), ("aperture", "_mm"))
]
#: On-disk records of each stream, field names as in the app's ``.dtype`` files.
DTYPES: dict[str, np.dtype] = {
    "gaze": _dtype(["x", "y"]),
    "worn": _dtype(["worn"]),
    "eye_state": _dtype(_EYE),
    "imu": _dtype(
        ["timestamp_ns"]
        + [f"{k}_{a}" for k in ("gyro", "accel") for a in "xyz"]
        + [f"quaternion_{a}" for a in "wxyz"]
    ),
    "fixations": _dtype(
        ["event_type", "start_timestamp_ns", "end_timestamp_ns"]
        + [f"{w}_gaze_{a}" for w in ("start", "end", "mean") for a in "xy"]
        + ["amplitude_pixels", "amplitude_angle_deg", "mean_velocity", "max_velocity"]
    ),
    "blinks": _dtype(["event_type", "start_timestamp_ns", "end_timestamp_ns"]),
}


@dataclass
class SyntheticNeon:
    """What :func:`generate_neon_recording` wrote: ``counts[stream]`` records in the whole
    recording (``fixations`` and ``saccades`` counted apart, ``scene``/``eye`` frames),
    ``parts`` the number of parts, ``start_ns``/``duration_ns`` as in ``info.json``."""

    root: Path
    parts: int
    start_ns: int
    duration_ns: int
    counts: dict[str, int] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)


class _Files:
    """Append-only files of one recording; keeps each file's size and CRC-32 for the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.crc: dict[str, int] = {}
        self.size: dict[str, int] = {}
        self._open: dict[str, BinaryIO] = {}

    def write(self, name: str, data: bytes) -> None:
        fh = self._open.get(name)
        if fh is None:
            fh = self._open[name] = open(self.root / name, "wb")  # noqa: SIM115 (kept open)
            self.crc[name], self.size[name] = 0, 0
        fh.write(data)
        self.crc[name] = zlib.crc32(data, self.crc[name])
        self.size[name] += len(data)

    def close(self) -> None:
        for fh in self._open.values():
            fh.close()
        self._open.clear()


def _steps(rng: np.random.Generator, start_ns: int, stop_ns: int, rate_hz: float, jitter: float) -> np.ndarray:  # fmt: skip
    """Strictly increasing int64 times from ``start_ns`` below ``stop_ns``, about ``rate_hz``,
    each interval off by up to ``jitter`` (a fraction of the period)."""
    period = 1e9 / rate_hz
    count = int((stop_ns - start_ns) / period)
    dt = (period * (1.0 + rng.uniform(-jitter, jitter, count))).astype(np.int64)
    times = start_ns + np.concatenate([[0], np.cumsum(dt[:-1])])
    return times[times < stop_ns]


def _eye_movements(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Boundaries (gaze sample indices, strictly increasing, from 0) of alternating
    fixation/saccade/fixation… events covering ``n`` samples, and the (k + 1, 2) fixation
    centres in scene pixels."""
    mean = (0.30 + 0.05) * GAZE_RATE_HZ
    count = int(n / mean * 1.2) + 4
    lengths = np.empty(2 * count, np.int64)
    lengths[0::2] = rng.uniform(0.10, 0.50, count) * GAZE_RATE_HZ  # fixations 100–500 ms
    lengths[1::2] = rng.uniform(0.02, 0.08, count) * GAZE_RATE_HZ  # saccades 20–80 ms
    bounds = np.concatenate([[0], np.cumsum(np.maximum(lengths, 2))])
    bounds = bounds[bounds < n]
    if len(bounds) % 2 == 0:  # end on a fixation so every saccade has a fixation after it
        bounds = bounds[:-1]
    centres = np.column_stack(
        [rng.normal(800, 220, len(bounds) // 2 + 1), rng.normal(600, 170, len(bounds) // 2 + 1)]
    ).clip([20, 20], [SCENE_SIZE[0] - 20, SCENE_SIZE[1] - 20])
    return bounds, centres


def _gaze_block(rng: np.random.Generator, idx: np.ndarray, bounds: np.ndarray, centres: np.ndarray) -> np.ndarray:  # fmt: skip
    """(len(idx), 2) gaze pixels: jitter around the centre in fixations, a ramp in saccades."""
    ev = np.searchsorted(bounds, idx, side="right") - 1
    k = ev // 2
    nxt = np.minimum(k + 1, len(centres) - 1)
    stop = np.append(bounds, idx[-1] + 1)[ev + 1]
    frac = np.where(ev % 2 == 1, (idx - bounds[ev]) / np.maximum(stop - bounds[ev], 1), 0.0)
    pos = centres[k] + frac[:, None] * (centres[nxt] - centres[k])
    return pos + rng.normal(0.0, 3.0, pos.shape)


def _eye_state_block(rng: np.random.Generator, t_s: np.ndarray, gaze: np.ndarray, closed: np.ndarray) -> np.ndarray:  # fmt: skip
    n = len(t_s)
    out = np.zeros(n, DTYPES["eye_state"])
    ray = np.column_stack(
        [(gaze[:, 0] - 800) / FOCAL_PX, (gaze[:, 1] - 600) / FOCAL_PX, np.ones(n)]
    )
    ray /= np.linalg.norm(ray, axis=1, keepdims=True)
    base = 3.4 + 0.4 * np.sin(t_s / 23.0)
    for side, cx, sign in (("left", -30.5, 1.0), ("right", 32.8, -1.0)):
        out[f"pupil_diameter_{side}_mm"] = base + rng.normal(0, 0.05, n) + 0.1 * sign
        for axis, centre in zip("xyz", (cx, 12.5, -35.0), strict=True):
            out[f"eyeball_center_{side}_{axis}"] = centre + rng.normal(0, 0.3, n)
        for i, axis in enumerate("xyz"):
            out[f"optical_axis_{side}_{axis}"] = ray[:, i] + rng.normal(0, 0.01, n)
        aperture = np.where(closed, rng.uniform(0.0, 1.5, n), 7.5 + rng.normal(0, 0.4, n))
        out[f"eyelid_aperture_{side}_mm"] = aperture
        out[f"eyelid_angle_top_{side}"] = -0.25 + 0.03 * aperture / 7.5 + rng.normal(0, 0.03, n)
        out[f"eyelid_angle_bottom_{side}"] = -0.75 + rng.normal(0, 0.03, n)
    return out


def _imu_block(rng: np.random.Generator, times: np.ndarray, t0_ns: int) -> np.ndarray:
    n = len(times)
    out = np.zeros(n, DTYPES["imu"])
    t_s = (times - t0_ns) / 1e9
    out["timestamp_ns"] = times
    yaw = 0.6 * np.sin(t_s / 9.0) + 0.2 * np.sin(t_s / 2.3)  # head turns, radians
    pitch = 0.15 * np.sin(t_s / 5.0)
    roll = 0.05 * np.sin(t_s / 7.0)
    rates = np.rad2deg(np.gradient(np.column_stack([pitch, yaw, roll]), t_s, axis=0)) if n > 1 else np.zeros((n, 3))  # fmt: skip
    for i, axis in enumerate("xyz"):
        out[f"gyro_{axis}"] = rates[:, i] + rng.normal(0, 1.5, n)
    for axis, g in zip("xyz", (0.0, 0.15, 0.85), strict=True):
        out[f"accel_{axis}"] = g + rng.normal(0, 0.02, n)
    cy, sy, cp, sp, cr, sr = (f(a / 2) for a in (yaw, pitch, roll) for f in (np.cos, np.sin))
    out["quaternion_w"] = cr * cp * cy + sr * sp * sy
    out["quaternion_x"] = sr * cp * cy - cr * sp * sy
    out["quaternion_y"] = cr * sp * cy + sr * cp * sy
    out["quaternion_z"] = cr * cp * sy - sr * sp * cy
    return out


def _write_part(files: _Files, rng: np.random.Generator, number: int, start_ns: int, stop_ns: int, counts: dict[str, int]) -> None:  # fmt: skip
    """One part ``psN``: eye frames and gaze from ``start_ns``, the scene camera from 0.7 s
    before, the IMU from 0.3 s before."""
    ps = f" ps{number}"
    eye_t = _steps(rng, start_ns, stop_ns, GAZE_RATE_HZ, 0.02)
    gaze_t = eye_t[rng.random(len(eye_t)) > 0.003]  # the phone drops a few eye frames
    scene_t = _steps(rng, start_ns - 700_000_000, stop_ns, SCENE_RATE_HZ, 0.001)
    imu_t = _steps(rng, start_ns - 300_000_000, stop_ns, IMU_RATE_HZ, 0.15)
    for base, times in ((SCENE, scene_t), (EYE, eye_t)):
        files.write(f"{base}{ps}.time", times.tobytes())
        aux = times + rng.integers(4_000_000, 22_000_000, len(times))
        aux[0] = times[0]
        files.write(f"{base}{ps}.time_aux", aux.tobytes())
    n = len(gaze_t)
    bounds, centres = _eye_movements(rng, n)

    # Blinks: ~15 a minute, 100–300 ms, snapped to gaze samples; the headset is off once a part.
    n_blinks = max(1, int(n / GAZE_RATE_HZ / 4))
    b_start = np.unique(rng.integers(0, max(n - 80, 1), n_blinks))
    b_stop = np.minimum(b_start + rng.integers(20, 60, len(b_start)), n - 1)
    keep = np.append(b_start[1:] > b_stop[:-1], True)
    b_start, b_stop = b_start[keep], b_stop[keep]
    off_start = int(rng.integers(n // 3, max(n // 3 + 1, n - 800)))

    for lo in range(0, n, BLOCK_SAMPLES):
        idx = np.arange(lo, min(lo + BLOCK_SAMPLES, n))
        t = gaze_t[idx]
        gaze = np.zeros(len(idx), DTYPES["gaze"])
        pos = _gaze_block(rng, idx, bounds, centres)
        gaze["x"], gaze["y"] = pos[:, 0], pos[:, 1]
        worn = np.full(len(idx), 255, np.uint8)
        worn[(idx >= off_start) & (idx < off_start + 400)] = 0
        inside = np.searchsorted(b_start, idx, side="right") - 1
        closed = (inside >= 0) & (idx < b_stop[np.maximum(inside, 0)])
        eye = _eye_state_block(rng, (t - START_NS) / 1e9, pos, closed)
        files.write(f"gaze{ps}.raw", gaze.tobytes())
        files.write(f"gaze{ps}.time", t.tobytes())
        files.write(f"worn{ps}.raw", worn.tobytes())
        files.write(f"eye_state{ps}.raw", eye.tobytes())
        files.write(f"eye_state{ps}.time", t.tobytes())
    imu_step = int(BLOCK_SAMPLES * IMU_RATE_HZ / GAZE_RATE_HZ)
    for lo in range(0, len(imu_t), imu_step):
        imu = _imu_block(rng, imu_t[lo : lo + imu_step], START_NS)
        files.write(f"imu{ps}.raw", imu.tobytes())
        files.write(f"imu{ps}.time", imu["timestamp_ns"].tobytes())

    ev = np.zeros(len(bounds) - 1, DTYPES["fixations"])
    ev["event_type"] = (np.arange(len(ev)) % 2 == 0).astype(np.int32)  # fixation, saccade, …
    ev["start_timestamp_ns"] = gaze_t[bounds[:-1]]
    ev["end_timestamp_ns"] = gaze_t[bounds[1:]]
    k = np.arange(len(ev)) // 2
    start_c, end_c = centres[k], centres[np.where(ev["event_type"] == 1, k, k + 1)]
    mean_c = np.where(ev["event_type"][:, None] == 1, start_c, (start_c + end_c) / 2)
    for w, c in (("start", start_c), ("end", end_c), ("mean", mean_c)):
        ev[f"{w}_gaze_x"], ev[f"{w}_gaze_y"] = c[:, 0], c[:, 1]
    amp = np.hypot(*(end_c - start_c).T) + rng.uniform(1.0, 30.0, len(ev))
    duration_s = (ev["end_timestamp_ns"] - ev["start_timestamp_ns"]) / 1e9
    ev["amplitude_pixels"] = amp
    ev["amplitude_angle_deg"] = np.rad2deg(np.arctan(amp / FOCAL_PX))
    ev["mean_velocity"] = amp / duration_s
    ev["max_velocity"] = ev["mean_velocity"] * rng.uniform(1.5, 2.5, len(ev))
    files.write(f"fixations{ps}.raw", ev.tobytes())
    files.write(f"fixations{ps}.time", ev["start_timestamp_ns"].tobytes())
    blinks = np.zeros(len(b_start), DTYPES["blinks"])
    blinks["event_type"] = 4
    blinks["start_timestamp_ns"], blinks["end_timestamp_ns"] = gaze_t[b_start], gaze_t[b_stop]
    files.write(f"blinks{ps}.raw", blinks.tobytes())
    files.write(f"blinks{ps}.time", blinks["start_timestamp_ns"].tobytes())

    for name, count in (("gaze", n), ("worn", n), ("eye_state", n), ("imu", len(imu_t)),
                        ("fixations", int(np.sum(ev["event_type"] == 1))),
                        ("saccades", int(np.sum(ev["event_type"] == 0))), ("blinks", len(blinks)),
                        ("scene", len(scene_t)), ("eye", len(eye_t))):  # fmt: skip
        counts[name] = counts.get(name, 0) + count


def calibration_bytes(serial: str = "123456") -> bytes:
    """A valid 803-byte ``calibration.bin``: plausible Neon intrinsics, eye cameras ~2 cm beside
    the scene camera, CRC-32 of the first 799 bytes at the end."""
    rec = np.zeros(1, CALIBRATION_DTYPE)
    rec["version"] = 1
    rec["serial"] = serial.encode("ascii")
    rec["scene_camera_matrix"] = [[FOCAL_PX, 0, 812.3], [0, FOCAL_PX - 0.6, 604.1], [0, 0, 1]]
    rec["scene_distortion_coefficients"] = [-0.13, 0.11, 0.0002, -0.0004, -0.004, 0.17, 0.006, 0.02]  # fmt: skip
    rec["scene_extrinsics_affine_matrix"] = np.eye(4)
    for side, x in (("right", 16.3), ("left", -16.9)):
        rec[f"{side}_camera_matrix"] = [[140.2, 0, 96.4], [0, 140.0, 95.7], [0, 0, 1]]
        rec[f"{side}_distortion_coefficients"] = [0.05, -0.1, 0.0, 0.0, 0.02, 0.0, 0.0, 0.0]
        extr = np.eye(4)
        extr[:3, 3] = [x, 19.7, -7.4]
        rec[f"{side}_extrinsics_affine_matrix"] = extr
    data = bytearray(rec.tobytes())
    data[-4:] = np.uint32(zlib.crc32(bytes(data[: CALIBRATION_SIZE - 4]))).astype("<u4").tobytes()
    return bytes(data)


def _dtype_text(dtype: np.dtype) -> str:
    rows = "\n".join(f'("{n}", "{dtype[n].name}"),' for n in dtype.names or ())
    return f"[\n{rows}\n]\n"


def generate_neon_recording(
    root: Path | str,
    minutes: float,
    *,
    part_minutes: float = 20.0,
    gap_s: float = 3.0,
    seed: int = 0,
    progress: Progress | None = None,
) -> SyntheticNeon:
    """Write a ``minutes``-long Neon recording (format 2.5) into the new folder ``root``.

    Gaze starts 1.5 s after ``info.start_time``; a new part begins every ``part_minutes`` of
    data, ``gap_s`` seconds after the previous one ends. ``progress(fraction, text)`` is called
    after each part. Returns what was written (:class:`SyntheticNeon`).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=False)
    rng = np.random.default_rng(seed)
    total_ns = int(minutes * 60e9)
    part_ns = max(int(part_minutes * 60e9), 1)
    spans = []
    t, done = START_NS + 1_500_000_000, 0
    while done < total_ns:
        length = min(part_ns, total_ns - done)
        spans.append((t, t + length))
        t, done = t + length + int(gap_s * 1e9), done + length
    summary = SyntheticNeon(root, len(spans), START_NS, 0)
    files = _Files(root)
    try:
        for number, (lo, hi) in enumerate(spans, 1):
            _write_part(files, rng, number, lo, hi, summary.counts)
            if progress is not None:
                progress(number / len(spans), f"part {number} of {len(spans)}")
        end_ns = spans[-1][1] + 200_000_000
        markers = [(START_NS, "recording.begin")]
        markers += [(START_NS + int(s * 1e9), f"trial.{'start' if i % 2 == 0 else 'end'}")
                    for i, s in enumerate(np.arange(30.0, minutes * 60, 90.0))]  # fmt: skip
        markers += [(end_ns, "recording.end")]
        files.write("event.txt", "".join(f"{name}\n" for _, name in markers).encode("utf-8"))
        files.write("event.time", np.array([m[0] for m in markers], "<i8").tobytes())
        summary.events = [name for _, name in markers]
        summary.counts["events"] = len(markers)
        summary.duration_ns = end_ns - START_NS + 1_000_000_000
        for name, dtype in DTYPES.items():
            files.write(f"{name}.dtype", _dtype_text(dtype).encode("utf-8"))
        files.write("calibration.bin", calibration_bytes())
        files.write("wearer.json", b'{"uuid":"00000000-0000-4000-8000-00000000beef","name":"Synthetic"}')  # fmt: skip
        info = {
            "recording_id": f"00000000-0000-4000-8000-{seed:012d}",
            "data_format_version": "2.5", "app_version": APP_VERSION,
            "start_time": START_NS, "duration": summary.duration_ns,
            "android_device_name": "Neon Companion", "module_serial_number": "123456",
            "wearer_id": "00000000-0000-4000-8000-00000000beef",
            "gaze_offset": list(GAZE_OFFSET), "calib_version": 1, "pipeline_version": "2.8.0",
            "firmware_version": [24, 8], "gaze_frequency": 200, "wearer_ied": 63.0,
            "gaze_mode": "binocular",
        }  # fmt: skip
        files.write("info.json", json.dumps(info, separators=(",", ":")).encode("utf-8"))
    finally:
        files.close()
    manifest = [
        {"name": name, "size": files.size[name], "crc": format(files.crc[name], "x")}
        for name in files.size
    ]
    text = json.dumps(manifest, separators=(",", ":")).encode("utf-8")
    (root / "manifest.json").write_bytes(text)
    (root / "manifest.json.crc").write_bytes(format(zlib.crc32(text), "x").encode("ascii"))
    return summary
