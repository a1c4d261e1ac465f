"""Generate realistic synthetic Pupil Capture 3.x recordings (for ``gazeport demo`` and benchmarks).

The recording looks like what Capture 3.5 writes: ``info.player.json`` (meta 2.3), binocular
200 Hz eye cameras with 2D and pye3d pupil datums, binocular/monocular 3D gaze with base data,
30 fps world timestamps and a ``notify.pldata``. Data arrive slightly out of order between the
two eyes, as in real recordings. No video files are written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .formats.pldata import PldataWriter

Progress = Callable[[float, str], None]

EYE_RATE_HZ = 200.0
WORLD_RATE_HZ = 30.0
PYE3D_METHOD = "pye3d 0.3.0 real-time"
EYE_RADIUS_MM = 10.392304845413264


def _pupil_2d(eye: int, ts: float, v: np.ndarray) -> dict:
    return {
        "id": eye,
        "topic": f"pupil.{eye}.2d",
        "method": "2d c++",
        "norm_pos": (float(v[0]), float(v[1])),
        "diameter": float(v[2]),
        "confidence": float(v[3]),
        "timestamp": ts,
        "ellipse": {
            "axes": (float(v[4]), float(v[2])),
            "angle": float(v[5]),
            "center": (float(v[0] * 192), float((1 - v[1]) * 192)),
        },
    }


def _pupil_3d(eye: int, ts: float, v: np.ndarray) -> dict:
    return {
        "id": eye,
        "topic": f"pupil.{eye}.3d",
        "method": PYE3D_METHOD,
        "norm_pos": (float(v[0]), float(v[1])),
        "diameter": float(v[2]),
        "confidence": float(v[3]),
        "timestamp": ts,
        "sphere": {"center": (float(v[6]), float(v[7]), float(v[8])), "radius": EYE_RADIUS_MM},
        "projected_sphere": {
            "center": (float(v[9]), float(v[10])),
            "axes": (float(v[11]), float(v[11])),
            "angle": 0.0,
        },
        "circle_3d": {
            "center": (float(v[12]), float(v[13]), float(v[14])),
            "normal": (float(v[15]), float(v[16]), float(v[17])),
            "radius": float(v[18]),
        },
        "diameter_3d": float(v[18] * 2),
        "ellipse": {
            "center": (float(v[0] * 192), float((1 - v[1]) * 192)),
            "axes": (float(v[4]), float(v[2])),
            "angle": float(v[5]),
        },
        "location": (float(v[0] * 192), float((1 - v[1]) * 192)),
        "model_confidence": 1.0,
        "theta": float(v[19]),
        "phi": float(v[20]),
    }


def _eye_values(rng: np.random.Generator, n: int, blinking: np.ndarray) -> np.ndarray:
    """n x 21 plausible pupil values (norm pos, diameters, model geometry, angles); confidence
    drops where ``blinking`` is True."""
    v = np.empty((n, 21))
    walk = np.cumsum(rng.normal(0, 0.002, (n, 2)), axis=0)
    v[:, 0:2] = 0.5 + np.clip(walk, -0.4, 0.4)
    v[:, 2] = rng.normal(45, 3, n)
    conf = rng.beta(8, 1.5, n)
    conf[blinking] = rng.random(int(blinking.sum())) * 0.1
    v[:, 3] = conf
    v[:, 4] = v[:, 2] * rng.uniform(0.8, 1.0, n)
    v[:, 5] = rng.uniform(-90, 90, n)
    v[:, 6:9] = np.array([2.0, -0.5, 40.0]) + rng.normal(0, 0.01, (n, 3))
    v[:, 9:11] = 96.0 + rng.normal(0, 0.5, (n, 2))
    v[:, 11] = rng.normal(170, 2, n)
    v[:, 12:15] = np.array([1.0, 0.3, 30.0]) + rng.normal(0, 0.3, (n, 3))
    normal = rng.normal((-0.1, 0.07, -0.98), 0.05, (n, 3))
    v[:, 15:18] = normal / np.linalg.norm(normal, axis=1, keepdims=True)
    v[:, 18] = rng.normal(2.3, 0.1, n)
    v[:, 19] = np.arccos(np.clip(v[:, 16], -1, 1))
    v[:, 20] = np.arctan2(v[:, 17], v[:, 15])
    return v


def _blinks(ts: np.ndarray) -> np.ndarray:
    """A 150 ms blink every 4 s (both eyes at once)."""
    return (ts % 4.0) < 0.15


def _gaze_values(rng: np.random.Generator, ts: np.ndarray) -> np.ndarray:
    """n x 6: gaze x, y, z jitter, eye shift, two normal components. Gaze rests on a target
    for about 150-400 ms (a fixation), then jumps to the next one (a saccade)."""
    n = ts.shape[0]
    out = rng.random((n, 6))
    out[:, 4:6] = out[:, 4:6] * 0.2 - 0.1
    dwell = 0.15 + 0.25 * ((np.floor(ts / 0.275) * 0.618) % 1.0)
    target = np.floor(ts / dwell).astype(np.int64) + np.floor(ts / 0.275).astype(np.int64) * 7919
    out[:, 0] = 0.2 + 0.6 * ((target * 0.7548776662) % 1.0) + rng.normal(0, 0.0015, n)
    out[:, 1] = 0.2 + 0.6 * ((target * 0.5698402910) % 1.0) + rng.normal(0, 0.0015, n)
    out[:, 2] = rng.normal(0, 0.5, n)
    return out


def _gaze(ts: float, bases: list[dict], np_xy: np.ndarray) -> dict:
    """A 3D gaze datum with Capture 3.5's key order (binocular with two bases, else monocular)."""
    x, y, z, shift, n0, n1 = (float(v) for v in np_xy)
    datum: dict = {}
    if len(bases) == 2:
        datum["eye_centers_3d"] = {
            "0": (20.0 + shift, 15.0, -20.0),
            "1": (-40.0 + shift, 15.0, -20.0),
        }
        datum["gaze_normals_3d"] = {"0": (n0, n1, 0.98), "1": (n1, n0, 0.97)}
        topic = "gaze.3d.01."
    else:
        datum["eye_center_3d"] = (20.0 + shift, 15.0, -20.0)
        datum["gaze_normal_3d"] = (n0, n1, 0.98)
        topic = f"gaze.3d.{bases[0]['id']}."
    datum["gaze_point_3d"] = (x * 400 - 200, y * 300 - 150, 500 + z)
    datum["norm_pos"] = (x, y)
    datum["topic"] = topic
    datum["confidence"] = sum(b["confidence"] for b in bases) / len(bases)
    datum["timestamp"] = ts
    datum["base_data"] = bases
    return datum


def generate_capture_recording(
    path: Path | str,
    minutes: float = 1.0,
    *,
    seed: int = 0,
    start_synced_s: float = 1234.5,
    progress: Progress | None = None,
) -> Path:
    """Write a synthetic Pupil Capture 3.5 recording of ``minutes`` length into ``path``.

    Sizes per minute: 48,000 pupil datums (2 eyes x 200 Hz x 2D+3D), ~12,000 gaze datums,
    1,800 world timestamps. Returns the recording folder.
    """
    rec = Path(path)
    rec.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    duration = float(minutes) * 60.0
    n_eye = int(duration * EYE_RATE_HZ)
    n_world = int(duration * WORLD_RATE_HZ)
    t0 = start_synced_s
    world_ts = t0 + 0.05 + np.arange(n_world) / WORLD_RATE_HZ + rng.normal(0, 0.0005, n_world)
    np.save(rec / "world_timestamps.npy", np.sort(world_ts))
    eye_ts = []
    for eye in (0, 1):
        ts = t0 + eye * 0.0021 + np.arange(n_eye) / EYE_RATE_HZ + rng.normal(0, 0.0002, n_eye)
        ts = np.sort(ts)
        np.save(rec / f"eye{eye}_timestamps.npy", ts)
        eye_ts.append(ts)
    block = 20_000
    with PldataWriter(rec, "pupil") as pupil_w, PldataWriter(rec, "gaze") as gaze_w:
        for start in range(0, n_eye, block):
            stop = min(n_eye, start + block)
            blinking = _blinks(eye_ts[0][start:stop])
            vals = [_eye_values(rng, stop - start, blinking) for _ in (0, 1)]
            gvals = _gaze_values(rng, eye_ts[0][start:stop])
            for k in range(stop - start):
                i = start + k
                pair = []
                # eye1 frames sometimes arrive before eye0 frames that are older: real disorder
                order = (1, 0) if (i % 7 == 3) else (0, 1)
                for eye in order:
                    t_eye = float(eye_ts[eye][i])
                    v = vals[eye][k]
                    pupil_w.append(_pupil_2d(eye, t_eye, v))
                    p3 = _pupil_3d(eye, t_eye, v)
                    pupil_w.append(p3)
                    pair.append(p3)
                if i % 2 == 0:
                    pair.sort(key=lambda d: d["timestamp"])
                    if pair[0]["confidence"] > 0.6 and pair[1]["confidence"] > 0.6:
                        gts = (pair[0]["timestamp"] + pair[1]["timestamp"]) / 2.0
                        gaze_w.append(_gaze(gts, pair, gvals[k]))
                    else:
                        for b in pair:
                            gaze_w.append(_gaze(b["timestamp"], [b], gvals[k]))
            if progress:
                progress(stop / n_eye, "writing pupil and gaze data")
    with PldataWriter(rec, "notify") as notify_w:
        for subject, t_note in (("recording.started", t0), ("recording.stopped", t0 + duration)):
            notify_w.append({"topic": f"notify.{subject}", "subject": subject, "timestamp": t_note})
    info = {
        "duration_s": duration,
        "meta_version": "2.3",
        "min_player_version": "2.0",
        "recording_name": rec.name,
        "recording_software_name": "Pupil Capture",
        "recording_software_version": "3.5.8",
        "recording_uuid": str(uuid.UUID(int=int(rng.integers(0, 2**63)))),
        "start_time_synced_s": t0,
        "start_time_system_s": 1_700_000_000.25,
        "system_info": "User: gazeport, Platform: Linux, Machine: synthetic, Release: 0, Version: 0",
    }
    (rec / "info.player.json").write_text(json.dumps(info, indent=4, sort_keys=True))
    return rec
