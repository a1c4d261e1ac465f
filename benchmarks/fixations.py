"""Fixation detection throughput: gazeport's fast detector vs. a literal Pupil-Player-style loop.

Generates ``--minutes`` of binocular 3D gaze (default 200 Hz) directly with NumPy (fixations of
150-400 ms with small jitter, saccades between them, scattered low-confidence samples and
blinks), then runs

* baseline: ``detect_fixations_reference`` (Player's loop: ``pdist`` of every candidate window);
* gazeport: ``detect_fixations`` (window decisions vectorised, one pairwise matrix per fixation);
* the whole command: the same gaze written as ``gaze.pldata`` (Capture 3.5's datums, with pupil
  base data) into a Pupil Capture recording made by
  ``gazeport.synthetic.generate_capture_recording`` (whose own gaze, one datum per two eye
  frames at ~110 Hz, is sparser than real gaze), then ``gazeport fixations REC --json`` timed
  as a subprocess (wall clock: interpreter start-up, imports, reading the gaze, detection,
  printing), beside the same command on 3 s of gaze (the fixed cost, "start-up").

Real Capture gaze comes at about twice the eye camera rate (one binocular datum per eye frame:
the fixture ``core358_artemisge_003`` has 1841 gaze for 915 + 901 eye frames), so 200 Hz eye
cameras give ~400 Hz gaze; ``--rate-hz 400`` measures that. The outputs must be identical. The
baseline can be timed on a shorter prefix (``--reference-minutes``); the speed-up is then the
ratio of per-minute throughputs. Usage::

    python benchmarks/fixations.py --minutes 10 [--rate-hz 400] [--keep /tmp/rec]
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
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gazeport.analysis.fixations import (
    FixationParams,
    detect_fixations,
    detect_fixations_reference,
)

RATE_HZ = 200.0


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


def write_recording(folder: Path, gaze: dict[str, np.ndarray], seed: int) -> Path:
    """A Capture 3.5 recording whose ``gaze.pldata`` holds ``gaze`` (binocular datums with two
    pupil base datums; below confidence 0.6 monocular with one, as Capture pairs eyes)."""
    from gazeport.formats.pldata import PldataWriter
    from gazeport.synthetic import generate_capture_recording

    t = gaze["timestamp"]
    start = float(gaze["world_timestamps"][0])
    minutes = (t[-1] - start) / 60.0 + 0.01
    rec = generate_capture_recording(folder, minutes, seed=seed, start_synced_s=start)
    rng = np.random.default_rng(seed + 1)
    n = len(t)
    pupil = rng.normal(0.5, 0.05, (n, 18))
    eye_t = t[:, None] + np.array([-0.0011, 0.0011])
    with PldataWriter(rec, "gaze") as writer:
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
            writer.append(datum)
    return rec


def _fresh_env() -> dict[str, str]:
    """The environment for the timed processes: bytecode caching on (an installed package has
    its ``.pyc`` files; without them every start compiles gazeport's sources again)."""
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_commands(recs: list[Path], repeat: int) -> tuple[list[dict], list[list[float]]]:
    """``gazeport fixations REC --json`` in fresh interpreters, the recordings taking turns (so
    a change in the machine's load hits all alike): each one's summary and wall times [s],
    after one untimed run each that warms the file cache and writes the bytecode."""
    env = _fresh_env()
    cmds = [[sys.executable, "-m", "gazeport", "fixations", str(r), "--json"] for r in recs]
    for cmd in cmds:
        subprocess.run(cmd, capture_output=True, env=env, check=True)
    times: list[list[float]] = [[] for _ in recs]
    outs = [""] * len(recs)
    for _ in range(repeat):
        for k, cmd in enumerate(cmds):
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
            times[k].append(time.perf_counter() - start)
            outs[k] = done.stdout
    return [json.loads(o) for o in outs], times


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
    parser.add_argument("--rate-hz", type=float, default=RATE_HZ, help="gaze sampling rate")
    parser.add_argument(
        "--reference-minutes",
        type=float,
        default=None,
        help="time the reference on this prefix only (default: all of --minutes)",
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
    rate = args.rate_hz
    ref_minutes = min(args.minutes, args.reference_minutes or args.minutes)
    n_ref = min(n, round(ref_minutes * 60 * rate))
    print(
        f"gaze: {n} samples = {args.minutes:g} min of {rate:g} Hz binocular 3D gaze, "
        f"{np.count_nonzero(gaze['confidence'] > params.min_confidence)} above confidence "
        f"{params.min_confidence}; best of {args.repeat} runs each"
    )
    tmp = None
    rec = None
    if not args.no_recording:
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
    try:
        return _compare(args, params, gaze, n, n_ref, ref_minutes, rec, from_disk if rec else None)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.3f}" for t in times)


def _compare(
    args: argparse.Namespace,
    params: FixationParams,
    gaze: dict[str, np.ndarray],
    n: int,
    n_ref: int,
    ref_minutes: float,
    rec: Path | None,
    from_disk: np.ndarray | None,
) -> int:
    for fn in (detect_fixations, detect_fixations_reference):  # warm up code paths
        _best_of(fn, gaze, min(n, 2000), params, 1)

    fast, t_fast = _best_of(detect_fixations, gaze, n, params, args.repeat)
    print(f"  detect_fixations            {t_fast:8.3f} s   {len(fast):6d} fixations")
    prefix = n_ref < n
    fast_prefix = _best_of(detect_fixations, gaze, n_ref, params, 1)[0] if prefix else fast
    reference, t_ref = _best_of(detect_fixations_reference, gaze, n_ref, params, args.repeat)
    note = f"   (first {ref_minutes:g} min only)" if prefix else ""
    print(f"  detect_fixations_reference  {t_ref:8.3f} s   {len(reference):6d} fixations{note}")
    identical = fast_prefix.tobytes() == reference.tobytes()
    per_min = ref_minutes / t_ref  # reference throughput, min of gaze per s
    print(f"detection: {per_min * t_fast / args.minutes:.4f}x the reference time -> "
          f"speed-up {args.minutes / t_fast / per_min:.1f}x" + (" (per-minute throughputs)" if prefix else ""))  # fmt: skip
    if rec is not None and from_disk is not None:
        # The fixed cost: the same command on 3 s of gaze (interpreter, imports, command-line
        # parsing, printing, next to no data).
        tiny = write_recording(
            rec.with_name(rec.name + "-tiny"), binocular_gaze(0.05, args.seed, args.rate_hz), 1
        )
        (summary, _), (runs, startup_runs) = time_commands([rec, tiny], args.repeat)
        t_cmd, startup = min(runs), min(startup_runs)
        same_disk = from_disk.tobytes() == fast.tobytes()
        same_summary = summary["count"] == len(fast) and (
            not len(fast) or summary["mean_duration_ms"] == float(np.mean(fast["duration_ms"]))
        )
        print(
            f"  gazeport fixations REC      {t_cmd:8.3f} s   {summary['count']:6d} fixations"
            f"   (whole process; runs {_runs(runs)})"
        )
        print(
            f"  of which start-up           {startup:8.3f} s   "
            f"(the same command on 3 s of gaze; runs {_runs(startup_runs)})"
        )
        rest = t_cmd - startup
        without = f"{args.minutes / rest / per_min:.1f}x" if rest > 0 else "n/a (noise)"
        print(
            f"whole process: speed-up {args.minutes / t_cmd / per_min:.1f}x vs the reference; "
            f"{without} without the start-up ({rest:.3f} s)"
        )
        print(
            f"fixations read from the recording identical: {'yes' if same_disk else 'no'}; "
            f"command summary matches: {'yes' if same_summary else 'no'}"
        )
        identical = identical and same_disk and same_summary
    print(f"outputs identical: {'yes' if identical else 'no'}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
