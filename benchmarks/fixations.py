"""Fixation detection: ``gazeport fixations REC`` vs. Pupil Player's own detection step.

Generates ``--minutes`` (default 10) of binocular 3D gaze at ``--rate-hz`` gaze datums per
second (fixations of 150-400 ms with small jitter, saccades between them, scattered
low-confidence samples and blinks), writes it as ``gaze.pldata`` (Capture 3.5's datums, with
pupil base data) into a Pupil Capture recording made by
``gazeport.synthetic.generate_capture_recording``, and times

* Player's detection step (:func:`player_detection_step`, issue 13's baseline): what Player's
  offline fixation detector does with the gaze payloads, in plain Python, the way Player does
  it (lazily decoded msgpack datums, a confidence filter, the working-queue loop building each
  window's vectors from the datums' fields and calling ``pdist``, fixations built and
  serialised from their datums); reading ``gaze.pldata`` is not part of it;
* gazeport's array-based oracle (``detect_fixations_reference``): Player's loop over
  precomputed NumPy rays and integer indices, much cheaper than Player's own step;
* ``detect_fixations`` in memory (the detection alone);
* the whole command: ``gazeport fixations REC --json`` as a subprocess (wall clock:
  interpreter start-up, imports, reading the gaze, detection, printing), beside the same
  command on 3 s of gaze (the fixed cost, "start-up").

All four must give identical fixations. ``--rate-hz`` counts gaze datums, not eye frames:
Capture maps one gaze datum per pupil datum (binocular datums pair it with the other eye's
latest), so gaze comes at about the sum of the two eye camera rates; the fixture
``core358_artemisge_003`` has 1841 gaze for 915 + 901 eye frames. The default 400 Hz is thus a
Capture recording with both eye cameras at 200 Hz (their usual setting). The baselines can be
timed on a shorter prefix (``--reference-minutes``); ratios are then ratios of per-minute
throughputs. Usage::

    python benchmarks/fixations.py [--minutes 10] [--rate-hz 400] [--keep /tmp/rec]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import msgpack
import numpy as np

from gazeport.analysis.camera import resolve_camera, unproject_pixels
from gazeport.analysis.fixations import (
    FIXATION_DTYPE,
    METHOD_2D,
    METHOD_3D,
    FixationParams,
    detect_fixations,
    detect_fixations_reference,
)
from gazeport.formats.intrinsics import CameraIntrinsics

RATE_HZ = 200.0  # the rate the gaze model's timing jitter is stated for
DEFAULT_RATE_HZ = 400.0  # a Capture recording with 200 Hz eye cameras (see the docstring)


def binocular_gaze(
    minutes: float, seed: int = 0, rate_hz: float = RATE_HZ
) -> dict[str, np.ndarray]:
    """Synthetic gaze columns: ``timestamp``, ``confidence``, ``norm_pos`` (n, 2),
    ``gaze_point_3d`` (n, 3) mm, and 30 Hz ``world_timestamps``."""
    rng = np.random.default_rng(seed)
    n = round(minutes * 60 * rate_hz)
    slower = RATE_HZ / rate_hz
    dt = rng.normal(1 / rate_hz, 0.0004 * slower, n).clip(0.001 * slower, None)
    t = 1000.0 + np.cumsum(dt)
    azimuth = np.empty(n)
    elevation = np.empty(n)
    i = 0
    az, el = 0.0, 0.0
    while i < n:
        fix = int(rng.uniform(0.15, 0.40) * rate_hz)
        sl = slice(i, min(n, i + fix))
        size = sl.stop - sl.start
        jitter = rng.uniform(0.05, 0.25)
        azimuth[sl] = az + rng.normal(0.0, jitter, size)
        elevation[sl] = el + rng.normal(0.0, jitter, size)
        i = sl.stop
        sac = int(rng.uniform(0.02, 0.08) * rate_hz)
        new_az, new_el = rng.uniform(-25, 25), rng.uniform(-18, 18)
        sl = slice(i, min(n, i + sac))
        if sl.stop > sl.start:
            ramp = np.linspace(0.0, 1.0, sac + 2)[1 : sl.stop - sl.start + 1]
            azimuth[sl] = az + (new_az - az) * ramp
            elevation[sl] = el + (new_el - el) * ramp
        i = sl.stop
        az, el = new_az, new_el
    a, e = np.deg2rad(azimuth), np.deg2rad(elevation)
    depth = 600.0 + 150.0 * np.sin(t / 7.0) + rng.normal(0.0, 3.0, n)
    rays = np.column_stack([np.sin(a) * np.cos(e), -np.sin(e), np.cos(a) * np.cos(e)])
    point = rays * depth[:, None]
    confidence = rng.uniform(0.75, 1.0, n)
    confidence[rng.random(n) < 0.04] = rng.uniform(0.0, 0.6)
    for start in rng.integers(0, n, size=max(1, int(minutes * 15))):  # ~15 blinks a minute
        confidence[start : start + int(rng.uniform(0.1, 0.3) * rate_hz)] = 0.05
    norm = np.column_stack(
        [0.5 + 0.62 * point[:, 0] / point[:, 2], 0.5 - 1.1 * point[:, 1] / point[:, 2]]
    )
    world = np.arange(t[0] - 0.3, t[-1] + 0.1, 1 / 30)
    return {
        "timestamp": t,
        "confidence": confidence,
        "norm_pos": norm,
        "gaze_point_3d": point,
        "world_timestamps": world,
    }


# --- Pupil Player's detection step, as Player does the work -------------------------------------


class _LazyDatum:
    """A gaze datum kept as its msgpack payload and decoded on first access, like Player's
    ``Serialized_Dict``: maps decode into read-only mapping proxies, arrays into tuples, and only
    the :data:`_DECODED_KEPT` most recently decoded datums keep their decoded fields (an older
    one is decoded again when it is next read). ``index`` (its position in the gaze file) is
    not Player's: it only lets the benchmark name the samples a fixation spans."""

    __slots__ = ("_fields", "_payload", "index")

    def __init__(self, payload: bytes, index: int) -> None:
        self._payload = payload
        self._fields: Mapping[str, Any] | None = None
        self.index = index

    def _decoded(self) -> Mapping[str, Any]:
        if self._fields is None:
            self._fields = msgpack.unpackb(
                self._payload,
                use_list=False,
                object_hook=MappingProxyType,
                ext_hook=_lazy_ext,
                strict_map_key=False,
            )
            if len(_RECENTLY_DECODED) == _DECODED_KEPT:
                _RECENTLY_DECODED.popleft()._fields = None
            _RECENTLY_DECODED.append(self)
        return self._fields

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __contains__(self, key: str) -> bool:
        return key in self._decoded()


_DECODED_KEPT = 100  # Player's Serialized_Dict cache length
_RECENTLY_DECODED: deque[_LazyDatum] = deque()
_NESTED_DATUM_EXT = 13  # msgpack ext code of a nested, separately serialised datum


def _lazy_ext(code: int, data: bytes) -> Any:
    return _LazyDatum(data, -1) if code == _NESTED_DATUM_EXT else msgpack.ExtType(code, data)


def _pack_nested(obj: object) -> msgpack.ExtType:
    if isinstance(obj, _LazyDatum):
        return msgpack.ExtType(_NESTED_DATUM_EXT, obj._payload)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def player_detection_step(
    payloads: Sequence[bytes],
    world_timestamps: np.ndarray,
    params: FixationParams,
    *,
    intrinsics: CameraIntrinsics | None = None,
    frame_size: tuple[int, int] | None = None,
) -> tuple[list[dict[str, Any]], list[bytes]]:
    """The work of Pupil Player's offline fixation detection step, done the way Player does it:
    the found fixations (dicts, Player's fields) and each one serialised as Player hands it on.

    Starts from the gaze payloads (msgpack bytes, one per datum, in file order): Player has
    the gaze loaded before its detector runs and gives the detector the payloads, so reading
    ``gaze.pldata`` is not part of this step. Then, as Player's background task: each payload
    is wrapped in a lazily decoded datum (:class:`_LazyDatum`), the datums are filtered by
    ``confidence > min_confidence``, the 3D method is used if every kept datum has a
    ``gaze_point_3d``, and the working-queue loop runs over the datums, every dispersion
    evaluated by building the window's vectors from the datums' fields with a list
    comprehension (3D: ``gaze_point_3d``; 2D: ``norm_pos`` in pixels unprojected through the
    world camera) and taking ``arccos(1 - max(pdist(vectors, "cosine")))``. Each fixation is
    built from its datums (mean position and confidence, duration, frame indices searched in
    ``world_timestamps``, the base data) and serialised with msgpack, the base datums as their
    payloads. Left out, each of which would make Player's time longer still: collecting the
    payloads, starting Player's background process (a fresh interpreter importing Player's
    modules) and sending it the payloads, sending each fixation back through a pipe, and what
    Player's main process then does with them (decoding, indexing by frame, caching).

    Numerically this is Player's arithmetic, so it finds what ``detect_fixations`` finds,
    float for float (the test suite checks it).
    """
    from scipy.spatial.distance import pdist

    max_dispersion = np.deg2rad(params.max_dispersion_deg)
    min_duration = params.min_duration_ms / 1000
    max_duration = params.max_duration_ms / 1000
    camera, (width, height) = resolve_camera(intrinsics, frame_size)
    for stale in _RECENTLY_DECODED:  # no datum decoded by an earlier run is cached
        stale._fields = None
    _RECENTLY_DECODED.clear()

    datums = (_LazyDatum(payload, i) for i, payload in enumerate(payloads))
    gaze = [d for d in datums if d["confidence"] > params.min_confidence]
    if not gaze:
        return [], []
    use_3d = all("gaze_point_3d" in d for d in gaze)
    method = METHOD_3D if use_3d else METHOD_2D

    def dispersion(window: Iterable[_LazyDatum]) -> float:
        if use_3d:
            vectors = np.array([d["gaze_point_3d"] for d in window])
        else:
            pixels = np.array([d["norm_pos"] for d in window])
            pixels[:, 0] *= width
            pixels[:, 1] = (1.0 - pixels[:, 1]) * height
            vectors = unproject_pixels(pixels, camera)
        return np.arccos(1.0 - pdist(vectors, metric="cosine").max())

    fixations: list[dict[str, Any]] = []
    packed: list[bytes] = []

    def emit(window: Sequence[_LazyDatum], disp: float) -> None:
        first, last = window[0]["timestamp"], window[-1]["timestamp"]
        fixation: dict[str, Any] = {
            "topic": "fixations",
            "norm_pos": np.mean([d["norm_pos"] for d in window], axis=0).tolist(),
            "dispersion": np.rad2deg(disp),
            "method": method,
            "base_data": list(window),
            "timestamp": first,
            "duration": (last - first) * 1000,
            "confidence": float(np.mean([d["confidence"] for d in window])),
        }
        if use_3d:
            fixation["gaze_point_3d"] = np.mean(
                [d["gaze_point_3d"] for d in window if "gaze_point_3d" in d], axis=0
            ).tolist()
        start, end = np.searchsorted(world_timestamps, [first, last])
        end = min(end, len(world_timestamps) - 1)
        fixation.update(
            start_frame_index=int(start),
            end_frame_index=int(end),
            mid_frame_index=int((start + end) // 2),
            id=len(fixations),
        )
        fixations.append(fixation)
        packed.append(msgpack.packb(fixation, use_bin_type=True, default=_pack_nested))

    queue: deque[_LazyDatum] = deque()
    remaining = deque(gaze)
    while remaining:
        if len(queue) < 2 or queue[-1]["timestamp"] - queue[0]["timestamp"] < min_duration:
            queue.append(remaining.popleft())
            continue
        if dispersion(queue) > max_dispersion:
            queue.popleft()
            continue
        shortest = len(queue)
        while remaining and not remaining[0]["timestamp"] > queue[0]["timestamp"] + max_duration:
            queue.append(remaining.popleft())
        disp = dispersion(queue)
        if disp <= max_dispersion:
            emit(list(queue), disp)
            queue.clear()
            continue
        window = list(queue)
        good, bad = shortest, len(window)  # prefix lengths: window[:good + 1] is within
        while good < bad - 1:
            mid = (good + bad) // 2
            if dispersion(window[: mid + 1]) <= max_dispersion:
                good = mid
            else:
                bad = mid
        emit(window[:good], dispersion(window[:good]))
        queue.clear()
        remaining.extendleft(reversed(window[good:]))
    return fixations, packed


def player_fixations_array(fixations: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Player's fixation dicts as ``FIXATION_DTYPE`` rows, to compare with ``detect_fixations``
    byte for byte."""
    out = np.zeros(len(fixations), dtype=FIXATION_DTYPE)
    for row, fix in zip(out, fixations, strict=True):
        base = fix["base_data"]
        point = fix.get("gaze_point_3d", (np.nan,) * 3)
        row["id"] = fix["id"]
        row["start_timestamp"] = fix["timestamp"]
        row["duration_ms"] = fix["duration"]
        row["start_frame_index"] = fix["start_frame_index"]
        row["end_frame_index"] = fix["end_frame_index"]
        row["mid_frame_index"] = fix["mid_frame_index"]
        row["norm_pos_x"], row["norm_pos_y"] = fix["norm_pos"]
        row["dispersion_deg"] = fix["dispersion"]
        row["confidence"] = fix["confidence"]
        row["method"] = fix["method"]
        row["gaze_point_3d_x"], row["gaze_point_3d_y"], row["gaze_point_3d_z"] = point
        row["first_sample"], row["last_sample"] = base[0].index, base[-1].index
    return out


def read_gaze_payloads(rec: Path) -> list[bytes]:
    """The gaze datums of ``rec/gaze.pldata`` as msgpack payloads, in file order."""
    from gazeport.formats.pldata import iter_records

    return [p for chunk in iter_records(rec / "gaze.pldata") for p in chunk.payloads.tolist()]


# --- the same gaze as a Pupil Capture recording on disk -----------------------------------------


def _pupil_3d(eye: int, ts: float, conf: float, v: np.ndarray) -> dict:
    """A pye3d pupil datum with Capture 3.5's keys (the gaze datum's base data)."""
    return {
        "id": eye, "topic": f"pupil.{eye}.3d", "method": "pye3d 0.3.0 real-time",
        "norm_pos": (float(v[0]), float(v[1])), "diameter": float(v[2]), "confidence": conf,
        "timestamp": ts,
        "sphere": {"center": (float(v[3]), float(v[4]), float(v[5])), "radius": 10.392304845413264},
        "projected_sphere": {"center": (float(v[6]), float(v[7])), "axes": (173.7, 173.7), "angle": 0.0},
        "circle_3d": {"center": (float(v[8]), float(v[9]), float(v[10])),
                      "normal": (float(v[11]), float(v[12]), float(v[13])), "radius": float(v[14])},
        "diameter_3d": float(v[14] * 2),
        "ellipse": {"center": (float(v[0] * 192), float((1 - v[1]) * 192)),
                    "axes": (float(v[2] * 0.9), float(v[2])), "angle": float(v[15])},
        "location": (float(v[0] * 192), float((1 - v[1]) * 192)), "model_confidence": 1.0,
        "theta": float(v[16]), "phi": float(v[17]),
    }  # fmt: skip


def gaze_datums(gaze: dict[str, np.ndarray], seed: int) -> Iterator[dict[str, Any]]:
    """``gaze`` as Capture 3.5's datums: binocular with two pupil base datums; below
    confidence 0.6 monocular with one, as Capture pairs eyes."""
    t = gaze["timestamp"]
    rng = np.random.default_rng(seed + 1)
    n = len(t)
    pupil = rng.normal(0.5, 0.05, (n, 18))
    eye_t = t[:, None] + np.array([-0.0011, 0.0011])
    for i in range(n):
        ts, conf = float(t[i]), float(gaze["confidence"][i])
        point = tuple(map(float, gaze["gaze_point_3d"][i]))
        norm = tuple(map(float, gaze["norm_pos"][i]))
        v = pupil[i]
        if conf > 0.6:
            bases = [_pupil_3d(e, float(eye_t[i, e]), conf, v) for e in (0, 1)]
            datum = {
                "eye_centers_3d": {"0": (20.0, 15.0, -20.0), "1": (-40.0, 15.0, -20.0)},
                "gaze_normals_3d": {"0": (float(v[11]), float(v[12]), 0.98),
                                    "1": (float(v[12]), float(v[11]), 0.97)},
                "gaze_point_3d": point, "norm_pos": norm, "topic": "gaze.3d.01.",
            }  # fmt: skip
        else:
            eye = i % 2
            bases = [_pupil_3d(eye, ts, conf, v)]
            datum = {
                "eye_center_3d": (20.0, 15.0, -20.0),
                "gaze_normal_3d": (float(v[11]), float(v[12]), 0.98),
                "gaze_point_3d": point, "norm_pos": norm, "topic": f"gaze.3d.{eye}.",
            }  # fmt: skip
        datum.update(confidence=conf, timestamp=ts, base_data=bases)
        yield datum


def write_recording(folder: Path, gaze: dict[str, np.ndarray], seed: int) -> Path:
    """A Capture 3.5 recording whose ``gaze.pldata`` holds ``gaze`` (:func:`gaze_datums`)."""
    from gazeport.formats.pldata import PldataWriter
    from gazeport.synthetic import generate_capture_recording

    t = gaze["timestamp"]
    start = float(gaze["world_timestamps"][0])
    minutes = (t[-1] - start) / 60.0 + 0.01
    rec = generate_capture_recording(folder, minutes, seed=seed, start_synced_s=start)
    with PldataWriter(rec, "gaze") as writer:
        for datum in gaze_datums(gaze, seed):
            writer.append(datum)
    return rec


def _fresh_env() -> dict[str, str]:
    """The environment for the timed processes: bytecode caching on (an installed package has
    its ``.pyc`` files; without them every start compiles gazeport's sources again)."""
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _gazeport_command() -> list[str]:
    """The ``gazeport`` command as users run it: the console script installed beside this
    Python (else on ``PATH``). ``python -m gazeport`` is the fallback only: runpy's extra frames
    make CPython 3.11 allocate and free a frame-stack chunk thousands of times during the
    imports (~25 ms of mmap/munmap measured with strace), which the command does not pay."""
    beside = Path(sys.executable).with_name("gazeport")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("gazeport")
    return [found] if found else [sys.executable, "-m", "gazeport"]


def command(rec: Path) -> Callable[[], dict]:
    """``gazeport fixations REC --json`` in a fresh interpreter, as a callable returning the
    summary it prints; run once here, untimed (warms the file cache, writes the bytecode)."""
    env = _fresh_env()
    cmd = [*_gazeport_command(), "fixations", str(rec), "--json"]
    subprocess.run(cmd, capture_output=True, env=env, check=True)

    def run() -> dict:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        return json.loads(done.stdout)

    return run


def interleaved(tasks: list[Callable[[], Any]], repeat: int) -> tuple[list[Any], list[list[float]]]:
    """Each task's last result and wall times [s] of ``repeat`` rounds in which the tasks take
    turns, so a change in the shared machine's load hits all of them alike."""
    times: list[list[float]] = [[] for _ in tasks]
    outs: list[Any] = [None] * len(tasks)
    for _ in range(repeat):
        for k, task in enumerate(tasks):
            start = time.perf_counter()
            outs[k] = task()
            times[k].append(time.perf_counter() - start)
    return outs, times


Detector = Callable[..., np.ndarray]


def _best_of(
    fn: Detector, gaze: dict[str, np.ndarray], n: int, params: FixationParams, repeat: int
) -> tuple[np.ndarray, float]:
    """Output and best wall time (s) of ``repeat`` runs on the first ``n`` samples."""
    best = np.inf
    out = np.zeros(0)
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(
            gaze["timestamp"][:n],
            gaze["confidence"][:n],
            gaze["norm_pos"][:n],
            gaze["gaze_point_3d"][:n],
            world_timestamps=gaze["world_timestamps"],
            params=params,
        )
        best = min(best, time.perf_counter() - start)
    return out, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="gaze to generate (min)")
    parser.add_argument(
        "--rate-hz", type=float, default=DEFAULT_RATE_HZ, help="gaze datums per second"
    )
    parser.add_argument(
        "--reference-minutes",
        type=float,
        default=None,
        help="time both baselines on this prefix only (default: all of --minutes)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keep", type=Path, default=None, help="write the recording here and keep it"
    )
    parser.add_argument(
        "--no-recording", action="store_true", help="in-memory comparison only (no subprocess)"
    )
    args = parser.parse_args(argv)
    params = FixationParams()

    gaze = binocular_gaze(args.minutes, args.seed, args.rate_hz)
    n = len(gaze["timestamp"])
    ref_minutes = min(args.minutes, args.reference_minutes or args.minutes)
    n_ref = min(n, round(ref_minutes * 60 * args.rate_hz))
    print(
        f"gaze: {n} samples = {args.minutes:g} min of {args.rate_hz:g} Hz binocular 3D gaze, "
        f"{np.count_nonzero(gaze['confidence'] > params.min_confidence)} above confidence "
        f"{params.min_confidence}; best of {args.repeat} runs each"
    )
    tmp = None
    rec = None
    from_disk = None
    try:
        if args.no_recording:
            from gazeport.formats.pldata import encode_datum

            payloads = [encode_datum(d) for d in gaze_datums(gaze, args.seed)]
        else:
            if args.keep is None:
                tmp = tempfile.mkdtemp(prefix="gazeport-fixations-")
            folder = args.keep or Path(tmp or ".") / "rec"
            start = time.perf_counter()
            rec = write_recording(folder, gaze, args.seed)
            print(f"recording: {rec} written in {time.perf_counter() - start:.1f} s")
            import gazeport
            from gazeport.recording.core_fixations import detect_recording_fixations

            with gazeport.open(rec) as opened:
                gaze["world_timestamps"] = opened.world_timestamps  # what the command uses
                from_disk = detect_recording_fixations(opened, params)[1]
            payloads = read_gaze_payloads(rec)
        return _compare(args, params, gaze, payloads, n_ref, ref_minutes, rec, from_disk)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.3f}" for t in times)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _compare(
    args: argparse.Namespace,
    params: FixationParams,
    gaze: dict[str, np.ndarray],
    payloads: list[bytes],
    n_ref: int,
    ref_minutes: float,
    rec: Path | None,
    from_disk: np.ndarray | None,
) -> int:
    n = len(gaze["timestamp"])
    world = gaze["world_timestamps"]
    for fn in (detect_fixations, detect_fixations_reference):  # warm up code paths
        _best_of(fn, gaze, min(n, 2000), params, 1)
    player_detection_step(payloads[:2000], world, params)

    fast, t_fast = _best_of(detect_fixations, gaze, n, params, args.repeat)
    prefix = n_ref < n
    fast_prefix = _best_of(detect_fixations, gaze, n_ref, params, 1)[0] if prefix else fast
    oracle, t_oracle = _best_of(detect_fixations_reference, gaze, n_ref, params, args.repeat)
    tasks: list[Callable[[], Any]] = [
        lambda: player_detection_step(payloads[:n_ref], world, params)
    ]
    if rec is not None:
        # The fixed cost: the same command on 3 s of gaze (interpreter, imports, command-line
        # parsing, printing, next to no data).
        tiny = write_recording(
            rec.with_name(rec.name + "-tiny"), binocular_gaze(0.05, args.seed, args.rate_hz), 1
        )
        tasks += [command(rec), command(tiny)]
    outs, times = interleaved(tasks, args.repeat)  # Player's step and the command take turns
    player, _ = outs[0]
    player_runs = times[0]
    t_player = min(player_runs)
    same_player = player_fixations_array(player).tobytes() == fast_prefix.tobytes()
    same_oracle = oracle.tobytes() == fast_prefix.tobytes()
    scale = args.minutes / ref_minutes  # baselines timed on a prefix: per-minute throughputs
    note = f"   (first {ref_minutes:g} min only; ratios per minute)" if prefix else ""
    print(f"  detect_fixations (in memory)   {t_fast:8.3f} s   {len(fast):6d} fixations")
    print(
        f"  Player's detection step        {t_player:8.3f} s   {len(player):6d} fixations"
        f"   (msgpack payloads -> fixations, Player's way; runs {_runs(player_runs)}){note}"
    )
    print(
        f"  gazeport's array-based oracle  {t_oracle:8.3f} s   {len(oracle):6d} fixations"
        f"   (detect_fixations_reference: Player's loop over NumPy arrays){note}"
    )
    print(
        f"detection: {scale * t_player / t_fast:.1f}x faster than Player's detection step, "
        f"{scale * t_oracle / t_fast:.1f}x faster than the array-based oracle"
    )
    identical = same_player and same_oracle
    if rec is not None and from_disk is not None:
        summary, runs, startup_runs = outs[1], times[1], times[2]
        t_cmd, startup = min(runs), min(startup_runs)
        same_disk = from_disk.tobytes() == fast.tobytes()
        same_summary = summary["count"] == len(fast) and (
            not len(fast) or summary["mean_duration_ms"] == float(np.mean(fast["duration_ms"]))
        )
        print(
            f"  gazeport fixations REC         {t_cmd:8.3f} s   {summary['count']:6d} fixations"
            f"   (whole process; runs {_runs(runs)})"
        )
        print(
            f"  of which start-up              {startup:8.3f} s   "
            f"(the same command on 3 s of gaze; runs {_runs(startup_runs)})"
        )
        rest = t_cmd - startup
        player_total = scale * t_player
        without = f"{player_total / rest:.1f}x" if rest > 0 else "n/a (noise)"
        print(
            f"whole process vs Player's detection step: {player_total / t_cmd:.1f}x "
            f"(issue 13 target >= 20x); {without} without the start-up ({rest:.3f} s); "
            f"{player_total / (rest + 0.2):.1f}x with a 0.2 s start-up"
        )
        print(
            f"whole process vs the array-based oracle: {scale * t_oracle / t_cmd:.1f}x; "
            f"{scale * t_oracle / rest:.1f}x without the start-up"
            if rest > 0
            else "whole process vs the array-based oracle: n/a (noise)"
        )
        print(
            f"fixations read from the recording identical: {_yes(same_disk)}; "
            f"command summary matches: {_yes(same_summary)}"
        )
        identical = identical and same_disk and same_summary
    print(
        f"identical to detect_fixations: Player's detection step {_yes(same_player)}; "
        f"array-based oracle {_yes(same_oracle)}"
    )
    print(f"outputs identical: {_yes(identical)}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
