"""Small synthetic Pupil Core recordings, written with msgpack and NumPy directly.

Nothing here imports gazeport: the files are built the way Pupil Capture writes them (a ``.pldata``
file is a concatenation of msgpack ``[topic, payload]`` pairs whose payload is a separately packed
datum map; ``<name>_timestamps.npy`` holds the i-th record's timestamp), so gazeport's readers are
tested against data its own writer never touched.

World frames lie on a 1/32 s grid and eye0 frames on a 1/128 s grid starting at a world frame, so
eye0 frames fall exactly on world timestamps and on the midpoints between them (exact ties for
``world_index``, exact window bounds). Eye1 frames carry jitter like real cameras.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

WORLD_DT = 1 / 32
EYE_DT = 1 / 128
EYE_RADIUS_MM = 10.392304845413264
PYE3D_METHOD = "pye3d 0.3.0 real-time"
#: Bytes that are not msgpack (0xc1 is never used by the format).
GARBAGE = b"\xc1\xc1 not msgpack \xc1"


def pack(obj: Any, *, single_float: bool = False) -> bytes:
    """msgpack the way Pupil's writer does (``use_bin_type=True``)."""
    return msgpack.packb(obj, use_bin_type=True, use_single_float=single_float)


def serialized(datum: dict[str, Any]) -> msgpack.ExtType:
    """A datum nested as Player's ``Serialized_Dict`` encodes it: ``ExtType(13, packed datum)``."""
    return msgpack.ExtType(13, pack(datum))


@dataclass
class Record:
    """One pldata record: outer topic, datum, and how the datum is packed."""

    topic: str
    datum: dict[str, Any]
    single_float: bool = False

    @property
    def timestamp(self) -> float:
        return float(self.datum["timestamp"])


def write_pldata(
    folder: Path,
    name: str,
    records: list[Record],
    *,
    sidecar: bool = True,
    truncate_bytes: int = 0,
    garbage_after: int | None = None,
    sidecar_shift_s: float = 0.0,
) -> None:
    """Write ``<name>.pldata`` (+ ``<name>_timestamps.npy`` unless ``sidecar`` is False).

    ``truncate_bytes`` cuts the end of the last record (a crashed recording); ``garbage_after``
    inserts non-msgpack bytes after that many records. The sidecar always lists every record;
    ``sidecar_shift_s`` makes its values differ from the datums' own timestamps.
    """
    parts = [pack((r.topic, pack(r.datum, single_float=r.single_float))) for r in records]
    if garbage_after is not None:
        parts.insert(garbage_after, GARBAGE)
    data = b"".join(parts)
    if truncate_bytes:
        data = data[:-truncate_bytes]
    (folder / f"{name}.pldata").write_bytes(data)
    if sidecar:
        np.save(
            folder / f"{name}_timestamps.npy",
            np.array([r.timestamp + sidecar_shift_s for r in records], dtype=np.float64),
        )


def write_info_player_json(
    folder: Path,
    *,
    start_time_synced_s: float,
    duration_s: float,
    start_time_system_s: float = 1_700_000_000.125,
    meta_version: str = "2.3",
    min_player_version: str = "2.0",
    software_version: str = "3.5.8",
) -> None:
    """``info.player.json`` as Capture writes it (keys sorted, 4-space indent, float times)."""
    info = {
        "duration_s": float(duration_s),
        "meta_version": meta_version,
        "min_player_version": min_player_version,
        "recording_name": "synthetic",
        "recording_software_name": "Pupil Capture",
        "recording_software_version": software_version,
        "recording_uuid": "0b4e7a2c-3f51-4a8e-9a57-0c9f5d0e2b11",
        "start_time_synced_s": float(start_time_synced_s),
        "start_time_system_s": float(start_time_system_s),
        "system_info": "User: lab, Platform: Linux, Machine: box, Release: 6.5.0, Version: #1 SMP",
    }
    (folder / "info.player.json").write_text(
        json.dumps(info, indent=4, sort_keys=True), encoding="utf-8"
    )


def write_key_value_csv(path: Path, items: list[tuple[str, str]]) -> None:
    """Pupil's key/value CSV (``key,value`` header, QUOTE_NONE with ``\\`` escapes, ``\\r\\n``)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=",", quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writerow(("key", "value"))
        writer.writerows(items)


# --- datums -------------------------------------------------------------------------------------


def _f(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _vec(rng: np.random.Generator, lo: float, hi: float, n: int) -> tuple[float, ...]:
    return tuple(_f(rng, lo, hi) for _ in range(n))


def pupil_2d(eye: int, ts: float, rng: np.random.Generator, topic: str) -> dict[str, Any]:
    """A 2D detector datum (``2d c++``)."""
    x, y = _f(rng, 0.2, 0.8), _f(rng, 0.2, 0.8)
    return {
        "id": eye,
        "topic": topic,
        "method": "2d c++",
        "norm_pos": (x, y),
        "diameter": _f(rng, 20, 60),
        "confidence": _f(rng, 0.0, 1.0),
        "timestamp": ts,
        "ellipse": {
            "center": (x * 192, (1 - y) * 192),
            "axes": _vec(rng, 20, 60, 2),
            "angle": _f(rng, -90, 90),
        },
        "location": (x * 192, (1 - y) * 192),
    }


def pupil_3d(eye: int, ts: float, rng: np.random.Generator, topic: str) -> dict[str, Any]:
    """A pye3d datum (Capture >= 3.0): no ``model_id``."""
    datum = pupil_2d(eye, ts, rng, topic)
    datum.update(
        {
            "method": PYE3D_METHOD,
            "confidence_2d": datum["confidence"],
            "sphere": {"center": _vec(rng, -5, 40, 3), "radius": EYE_RADIUS_MM},
            "projected_sphere": {
                "center": _vec(rng, 50, 150, 2),
                "axes": _vec(rng, 100, 140, 2),
                "angle": 90.0,
            },
            "circle_3d": {
                "center": _vec(rng, -5, 40, 3),
                "normal": _vec(rng, -1, 1, 3),
                "radius": _f(rng, 1, 3),
            },
            "diameter_3d": _f(rng, 2, 6),
            "model_confidence": 1.0,
            "theta": _f(rng, 1, 2),
            "phi": _f(rng, -2, -1),
        }
    )
    return datum


def pupil_legacy_3d(
    eye: int, ts: float, rng: np.random.Generator, topic: str, model_id: int
) -> dict[str, Any]:
    """The ``3d c++`` detector of Pupil <= 1.x: has ``model_id`` and ``model_birth_timestamp``."""
    datum = pupil_3d(eye, ts, rng, topic)
    datum.pop("confidence_2d")
    datum.update(
        {
            "method": "3d c++",
            "sphere": {"center": _vec(rng, -5, 40, 3), "radius": 12.0},
            "model_confidence": _f(rng, 0, 1),
            "model_id": model_id,
            "model_birth_timestamp": ts - 1.5,
        }
    )
    return datum


def _base(datum: dict[str, Any], how: str) -> Any:
    return serialized(datum) if how == "ext" else datum


def gaze_binocular_3d(
    p0: dict, p1: dict, rng: np.random.Generator, *, keys: str, base: str
) -> dict[str, Any]:
    k0, k1 = ("0", "1") if keys == "str" else (0, 1)
    return {
        "topic": "gaze.3d.01.",
        "eye_centers_3d": {k0: _vec(rng, 10, 40, 3), k1: _vec(rng, -40, -10, 3)},
        "gaze_normals_3d": {k0: _vec(rng, -1, 1, 3), k1: _vec(rng, -1, 1, 3)},
        "gaze_point_3d": (*_vec(rng, -100, 100, 2), _f(rng, 300, 700)),
        "confidence": (p0["confidence"] + p1["confidence"]) / 2,
        "timestamp": (p0["timestamp"] + p1["timestamp"]) / 2,
        "base_data": [_base(p0, base), _base(p1, base)],
        "norm_pos": _vec(rng, 0, 1, 2),
    }


def gaze_monocular_3d(p: dict, rng: np.random.Generator, *, base: str) -> dict[str, Any]:
    return {
        "topic": f"gaze.3d.{p['id']}.",
        "eye_center_3d": _vec(rng, -40, 40, 3),
        "gaze_normal_3d": _vec(rng, -1, 1, 3),
        "gaze_point_3d": (*_vec(rng, -100, 100, 2), _f(rng, 300, 700)),
        "confidence": p["confidence"],
        "timestamp": p["timestamp"],
        "base_data": [_base(p, base)],
        "norm_pos": _vec(rng, 0, 1, 2),
    }


def gaze_2d(pupils: list[dict], rng: np.random.Generator, *, base: str) -> dict[str, Any]:
    eyes = "".join(str(p["id"]) for p in pupils)
    datum = {
        "topic": f"gaze.2d.{eyes}.",
        "norm_pos": _vec(rng, 0, 1, 2),
        "confidence": sum(p["confidence"] for p in pupils) / len(pupils),
        "timestamp": sum(p["timestamp"] for p in pupils) / len(pupils),
        "base_data": [_base(p, base) for p in pupils],
    }
    if len(pupils) == 1:
        datum["id"] = pupils[0]["id"]
    return datum


# --- a whole Pupil Core recording -------------------------------------------------------------


@dataclass(frozen=True)
class CoreSpec:
    """Knobs of :func:`make_core_recording`."""

    pupil: str = "2d+3d"  #: "2d", "3d" (pye3d), "2d+3d" (both per eye frame), "legacy3d", "none"
    topics: str = (
        "new"  #: "new" pupil.<eye>.<2d|3d>, "v1" pupil.<eye>, "legacy" pupil_positions.<eye>
    )
    eyes: tuple[int, ...] = (0, 1)
    gaze: str = "3d"  #: "3d" (binocular + monocular), "3d_binocular", "3d_monocular", "2d", "none"
    eye_keys: str = "str"  #: keys of eye_centers_3d/gaze_normals_3d: "str" ("0"/"1") or "int" (0/1)
    base_data: str = "map"  #: "map" (plain nested maps) or "ext" (ExtType 13)
    order: str = "sorted"  #: "sorted" by time, or "arrival" (eyes interleaved, backwards jumps)
    t0: float = 100.0  #: first world timestamp [s]
    n_frames: int = 48
    world_gap_s: float = 0.0  #: if > 0: a gap of this length after the middle world frame
    margin_s: float = (
        0.125  #: eye data starts this long before the first, ends after the last frame
    )
    irregular: bool = (
        False  #: add the irregular datums of :func:`irregular_pupil`/:func:`irregular_gaze`
    )
    missing_timestamps: tuple[str, ...] = ()  #: streams written without ``_timestamps.npy``
    truncate: tuple[str, ...] = ()  #: streams whose last record is cut off
    garbage: tuple[str, ...] = ()  #: streams with non-msgpack bytes in the middle
    sidecar_shift_s: float = 0.0  #: ``_timestamps.npy`` values = datum timestamps + this
    world_glitch: bool = False  #: world frame 10 jumps backwards (Player repairs it)
    meta_version: str = "2.3"
    min_player_version: str = "2.0"
    seed: int = 0


def world_grid(spec: CoreSpec) -> np.ndarray:
    """World timestamps of ``spec`` (exact binary fractions)."""
    ts = spec.t0 + np.arange(spec.n_frames) * WORLD_DT
    if spec.world_gap_s:
        ts[spec.n_frames // 2 :] += spec.world_gap_s
    if spec.world_glitch:
        ts[10] -= 0.05
    return ts


def _pupil_topic(spec: CoreSpec, eye: int, tag: str) -> str:
    if spec.topics == "new":
        return f"pupil.{eye}.{tag}"
    if spec.topics == "v1":
        return f"pupil.{eye}"
    return f"pupil_positions.{eye}"


def _eye_frames(
    spec: CoreSpec, world: np.ndarray, eye: int, rng: np.random.Generator
) -> list[float]:
    start = world[0] - spec.margin_s
    n = round((world[-1] - world[0] + 2 * spec.margin_s) / EYE_DT) + 1
    base = [start + k * EYE_DT for k in range(n)]
    if eye == 0:
        return base
    return [t + EYE_DT / 3 + float(rng.normal(0, 2e-4)) for t in base]


def _pupils_for_frame(
    spec: CoreSpec, eye: int, ts: float, rng: np.random.Generator, k: int
) -> list[Record]:
    out: list[Record] = []
    if spec.pupil in ("2d", "2d+3d"):
        out.append(
            Record(
                _pupil_topic(spec, eye, "2d"), pupil_2d(eye, ts, rng, _pupil_topic(spec, eye, "2d"))
            )
        )
    if spec.pupil in ("3d", "2d+3d"):
        out.append(
            Record(
                _pupil_topic(spec, eye, "3d"), pupil_3d(eye, ts, rng, _pupil_topic(spec, eye, "3d"))
            )
        )
    if spec.pupil == "legacy3d":
        topic = _pupil_topic(spec, eye, "3d")
        out.append(Record(topic, pupil_legacy_3d(eye, ts, rng, topic, model_id=1 + k // 100)))
    if len(out) == 2 and rng.random() < 0.5:
        out.reverse()  # 2D and 3D datum of one frame share a timestamp; file order must be kept
    return out


def _gaze_source(frame: list[Record]) -> dict[str, Any]:
    """The datum a gaze mapper would use (3D if there is one)."""
    return frame[-1].datum if frame[-1].datum["method"] != "2d c++" else frame[0].datum


def _ordered(records: list[tuple[float, int, Record]]) -> list[Record]:
    return [r for _, _, r in sorted(records, key=lambda x: (x[0], x[1]))]


def build_core_streams(spec: CoreSpec) -> tuple[np.ndarray, list[Record], list[Record]]:
    """World timestamps, pupil records and gaze records of ``spec`` in file order."""
    rng = np.random.default_rng(spec.seed)
    world = world_grid(spec)
    frames: dict[int, list[tuple[float, list[Record]]]] = {}
    pupil: list[tuple[float, int, Record]] = []
    seq = 0
    if spec.pupil != "none":
        for eye in spec.eyes:
            frames[eye] = []
            hiccup = 0.0
            for k, ts in enumerate(_eye_frames(spec, world, eye, rng)):
                recs = _pupils_for_frame(spec, eye, ts, rng, k)
                frames[eye].append((ts, recs))
                if spec.order == "arrival":
                    # eye1 arrives late and in bursts; every 60th eye0 frame stalls 0.15 s
                    if eye == 0 and k % 60 == 59:
                        hiccup = 0.15
                    latency = 0.002 + hiccup + (float(rng.uniform(0, 0.03)) if eye == 1 else 0.0)
                    hiccup = max(0.0, hiccup - EYE_DT / 2)
                else:
                    latency = 0.0
                for r in recs:
                    pupil.append((ts + latency, seq, r))
                    seq += 1
    gaze: list[tuple[float, int, Record]] = []
    if spec.gaze != "none" and frames:
        eyes = sorted(frames)
        n = min(len(frames[e]) for e in eyes)
        for k in range(n):
            srcs = [_gaze_source(frames[e][k][1]) for e in eyes]
            mode = spec.gaze
            if mode == "3d":
                mode = "3d_monocular" if (k % 5 == 0 or len(eyes) == 1) else "3d_binocular"
            if mode == "3d_binocular" and len(srcs) == 2:
                datum = gaze_binocular_3d(
                    srcs[0], srcs[1], rng, keys=spec.eye_keys, base=spec.base_data
                )
            elif mode.startswith("3d"):
                datum = gaze_monocular_3d(srcs[k % len(srcs)], rng, base=spec.base_data)
            else:
                datum = gaze_2d(srcs if k % 4 else srcs[:1], rng, base=spec.base_data)
            latest = max(float(s["timestamp"]) for s in srcs)
            arrival = latest + (
                0.01 + float(rng.uniform(0, 0.02)) if spec.order == "arrival" else 0.0
            )
            if spec.order == "arrival" and len(datum["base_data"]) == 1:
                arrival = float(datum["timestamp"])  # monocular gaze is mapped at once
            key = arrival if spec.order == "arrival" else float(datum["timestamp"])
            gaze.append((key, seq, Record(datum["topic"], datum)))
            seq += 1
    pupil_records = _ordered(pupil)
    gaze_records = _ordered(gaze)
    if spec.irregular:
        int_ts = math.floor(spec.t0) + 1
        pupil_records = _insert(pupil_records, irregular_pupil(spec, world, int_ts), spec.order)
        gaze_records = _insert(gaze_records, irregular_gaze(spec, world, int_ts), spec.order)
    return world, pupil_records, gaze_records


def _insert(records: list[Record], extra: list[Record], order: str) -> list[Record]:
    out = list(records)
    for i, r in enumerate(extra):
        if order == "sorted":
            pos = next((j for j, o in enumerate(out) if o.timestamp > r.timestamp), len(out))
        else:
            pos = (37 * (i + 1)) % (len(out) + 1)
        out.insert(pos, r)
    return out


def irregular_pupil(spec: CoreSpec, world: np.ndarray, int_ts: int) -> list[Record]:
    """Pupil datums that do not look like the rest (each one inside the world range)."""
    rng = np.random.default_rng(spec.seed + 1000)
    t = [float(world[0] + (i + 0.3) * 0.0371) for i in range(40)]
    eye = spec.eyes[0]
    topic2, topic3 = _pupil_topic(spec, eye, "2d"), _pupil_topic(spec, eye, "3d")
    out: list[Record] = []

    def add(datum: dict[str, Any], topic: str, single_float: bool = False) -> None:
        out.append(Record(topic, datum, single_float))

    d = pupil_2d(eye, t[0], rng, topic2)
    d["diameter"] = 0  # an int where a float is expected
    add(d, topic2)
    d = pupil_3d(eye, t[1], rng, topic3)
    d["diameter_3d"] = None  # None inside the 3D block: the block is still written
    d["theta"] = None
    add(d, topic3)
    d = pupil_2d(eye, t[2], rng, topic2)
    del d["ellipse"]  # no ellipse: all 5 ellipse cells empty
    add(d, topic2)
    d = pupil_3d(eye, t[3], rng, topic3)
    del d["phi"]  # one 3D key missing: all 3D cells empty, ellipse kept
    add(d, topic3)
    d = pupil_2d(eye, t[4], rng, topic2)
    d["norm_pos"] = (math.nan, math.inf)
    d["diameter"] = -math.inf
    add(d, topic2)
    d = pupil_3d(eye, t[5], rng, topic3)
    d["confidence"] = 1e-05
    d["norm_pos"] = (2.5e-07, 0.0001)
    d["diameter"] = 1e16
    d["ellipse"]["axes"] = (1.5e17, 5e-324)
    d["sphere"]["center"] = (-0.0, 1e-05, 123456789012345.67)
    add(d, topic3)
    d = pupil_2d(eye, t[6], rng, topic2)
    d["method"] = 'pye3d 0.3.0 post-hoc, "Prüfung" – ünïcødé; 眼\nsecond line'
    add(d, topic2)
    d = pupil_legacy_3d(eye, t[7], rng, topic3, model_id=7)
    d["model_id"] = None
    add(d, topic3)
    d = pupil_legacy_3d(eye, t[8], rng, topic3, model_id=2**40)
    add(d, topic3)
    d = pupil_2d(eye, t[9], rng, topic2)
    d["confidence"] = 0.6  # exactly a typical threshold: kept by the strictly-less rule
    add(d, topic2)
    d = pupil_2d(eye, t[10], rng, topic2)
    d["confidence"] = -0.5
    add(d, topic2)
    add(pupil_3d(eye, t[11], rng, topic3), topic3, single_float=True)  # float32 values
    d = pupil_2d(eye, float(int_ts), rng, topic2)
    d["timestamp"] = int_ts  # an int timestamp, on a world frame
    add(d, topic2)
    d = pupil_2d(eye, t[12], rng, topic2)
    d["ellipse"]["angle"] = 0
    d["extra"] = {"nested": [1, 2, {"a": None}], "blob": b"\x00\x01"}
    add(d, topic2)
    d = pupil_3d(eye, t[13], rng, topic3)
    d["sphere"]["center"] = (1, 2.5, 3)  # ints inside the 3D block
    d["model_confidence"] = 1
    add(d, topic3)
    d = pupil_2d(eye, t[14], rng, topic2)
    d["method"] = ""
    d["confidence"] = 1
    add(d, topic2)
    # two datums with the very same timestamp written 3D first
    add(pupil_3d(eye, t[15], rng, topic3), topic3)
    add(pupil_2d(eye, t[15], rng, topic2), topic2)
    return out


def irregular_gaze(spec: CoreSpec, world: np.ndarray, int_ts: int) -> list[Record]:
    """Gaze datums that do not look like the rest (each one inside the world range)."""
    rng = np.random.default_rng(spec.seed + 2000)
    t = [float(world[0] + (i + 0.55) * 0.0413) for i in range(30)]
    eye = spec.eyes[0]
    other = spec.eyes[-1]
    p = pupil_3d(eye, t[0], rng, "pupil.x.3d")
    q = pupil_3d(other, t[0] + 0.001, rng, "pupil.y.3d")
    out: list[Record] = []

    def add(datum: dict[str, Any]) -> None:
        out.append(Record(datum.get("topic", "gaze"), datum))

    d = gaze_binocular_3d(p, q, rng, keys="str", base="map")
    d["base_data"] = None
    d["gaze_point_3d"] = None  # no 3D columns at all
    d["timestamp"] = t[1]
    add(d)
    add({"topic": "gaze.pi", "norm_pos": (0.5, 0.25), "confidence": 1.0, "timestamp": t[2]})
    d = gaze_2d([p, q, p], rng, base="map")
    d["timestamp"] = t[3]
    add(d)
    d = gaze_monocular_3d(p, rng, base="map")
    d["confidence"] = 1
    d["timestamp"] = t[4]
    add(d)
    d = gaze_2d([p], rng, base="map")
    d["norm_pos"] = (math.nan, -math.inf)
    d["confidence"] = math.nan
    d["timestamp"] = t[5]
    add(d)
    d = gaze_binocular_3d(p, q, rng, keys="str", base="map")
    d["eye_centers_3d"] = {"0": d["eye_centers_3d"]["0"]}  # one eye only: eye1 columns empty
    d["gaze_normals_3d"] = {"0": d["gaze_normals_3d"]["0"]}
    d["timestamp"] = t[6]
    add(d)
    q1 = dict(q, id=1)
    d = gaze_monocular_3d(q1, rng, base="map")
    d["timestamp"] = t[7]
    add(d)
    d = gaze_monocular_3d(p, rng, base="map")
    d["gaze_point_3d"] = (1e-05, 1.5e17, 2.5e-07)
    d["eye_center_3d"] = (1e16, -1e-05, 0.0)
    d["timestamp"] = t[8]
    add(d)
    pi = dict(p, timestamp=int_ts)
    d = gaze_2d([pi], rng, base="map")
    d["timestamp"] = t[9]
    add(d)
    d = gaze_binocular_3d(p, q, rng, keys="int", base="ext")
    d["timestamp"] = t[10]
    add(d)
    d = gaze_2d([p, q], rng, base="map")
    d["base_data"] = []
    d["timestamp"] = t[11]
    add(d)
    d = gaze_binocular_3d(p, q, rng, keys="str", base="map")
    d["base_data"] = [d["base_data"][0], serialized(q)]  # mixed plain map and ext 13
    d["timestamp"] = t[12]
    add(d)
    d = gaze_2d([p], rng, base="map")
    d["timestamp"] = float(int_ts)  # on a world frame
    add(d)
    return out


def make_core_recording(folder: Path, spec: CoreSpec | None = None) -> Path:
    """Write a Pupil Capture (``info.player.json``) recording described by ``spec`` into ``folder``."""
    spec = spec or CoreSpec()
    folder.mkdir(parents=True, exist_ok=True)
    world, pupil, gaze = build_core_streams(spec)
    write_info_player_json(
        folder,
        start_time_synced_s=float(world[0]) - 0.0625,
        duration_s=float(world[-1] - world[0]) + 0.125,
        meta_version=spec.meta_version,
        min_player_version=spec.min_player_version,
    )
    np.save(folder / "world_timestamps.npy", world)
    for name, records in (("pupil", pupil), ("gaze", gaze)):
        if not records:
            continue
        write_pldata(
            folder,
            name,
            records,
            sidecar=name not in spec.missing_timestamps,
            truncate_bytes=7 if name in spec.truncate else 0,
            garbage_after=len(records) // 2 if name in spec.garbage else None,
            sidecar_shift_s=spec.sidecar_shift_s,
        )
    note = {
        "topic": "notify.recording.started",
        "subject": "recording.started",
        "timestamp": float(world[0]),
    }
    write_pldata(folder, "notify", [Record(note["topic"], note)])
    return folder


def tree_hashes(folder: Path, ignore: tuple[str, ...] = ("exports",)) -> dict[str, str]:
    """SHA-256 of every file below ``folder`` (relative path -> digest), skipping ``ignore``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in ignore or not path.is_file():
            continue
        out[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def make_world_only_recording(folder: Path, world: list[float], **info: Any) -> Path:
    """A recording with only ``info.player.json`` and the given world timestamps."""
    folder.mkdir(parents=True, exist_ok=True)
    write_info_player_json(
        folder, start_time_synced_s=world[0], duration_s=world[-1] - world[0], **info
    )
    np.save(folder / "world_timestamps.npy", np.asarray(world, dtype=np.float64))
    return folder


# --- Pupil Capture < 1.8: info.csv + one pupil_data msgpack map ---------------------------------

LEGACY_START_SYSTEM = "1525335072.123456"
LEGACY_START_SYNCED = "2345.678901"


def make_legacy_recording(folder: Path, *, seed: int = 3) -> Path:
    """A Capture 1.7 recording: ``info.csv`` and ``pupil_data`` = {pupil_positions, gaze_positions,
    notifications}, world timestamps on the 1/32 grid from 2345.75 s."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    world = 2345.75 + np.arange(40) * WORLD_DT
    write_key_value_csv(
        folder / "info.csv",
        [
            ("Recording Name", "2018_05_03"),
            ("Start Date", "03.05.2018"),
            ("Start Time", "10:11:12"),
            ("Start Time (System)", LEGACY_START_SYSTEM),
            ("Start Time (Synced)", LEGACY_START_SYNCED),
            ("Recording UUID", "4d7f7f6e-8a0f-4f7e-9f0e-5c1b2a3d4e5f"),
            ("Duration Time", "00:00:02"),
            ("World Camera Frames", "40"),
            ("World Camera Resolution", "1280x720"),
            ("Capture Software Version", "1.7.42"),
            ("Data Format Version", "1.7.42"),
            (
                "System Info",
                "User: lab, Platform: Linux, Machine: box, Release: 4.15.0, Version: #1 SMP",
            ),
        ],
    )
    np.save(folder / "world_timestamps.npy", world)
    pupils: list[dict[str, Any]] = []
    gaze: list[dict[str, Any]] = []
    eye_ts = [float(world[0]) - 0.05 + k * EYE_DT for k in range(int(1.45 / EYE_DT))]
    for k, ts in enumerate(eye_ts):
        frame = []
        for eye in (0, 1):
            t = ts + (0.0 if eye == 0 else 0.0029)
            d3 = pupil_legacy_3d(eye, t, rng, "pupil", model_id=3 + eye)
            d2 = pupil_2d(eye, t, rng, "pupil")
            frame.append(d3)
            pupils += [d3, d2] if k % 3 else [d2, d3]
        datum = gaze_binocular_3d(frame[0], frame[1], rng, keys="int", base="map")
        datum["topic"] = "gaze"
        gaze.append(datum)
    # Capture wrote eye1 late: swap some neighbouring blocks so the file is not sorted
    for i in range(10, len(pupils) - 8, 50):
        pupils[i : i + 8] = pupils[i + 4 : i + 8] + pupils[i : i + 4]
    notes = [{"subject": "recording.started", "topic": "notify", "timestamp": float(world[0])}]
    data = {"pupil_positions": pupils, "gaze_positions": gaze, "notifications": notes}
    (folder / "pupil_data").write_bytes(pack(data))
    return folder
