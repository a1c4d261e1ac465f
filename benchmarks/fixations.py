"""Fixation detection throughput: gazeport's fast detector vs. a literal Pupil-Player-style loop.

Generates ``--minutes`` of 200 Hz binocular 3D gaze directly with NumPy (fixations of 150-400 ms
with small jitter, saccades between them, scattered low-confidence samples and blinks), then runs

* baseline: ``detect_fixations_reference`` (Player's loop: ``pdist`` of every candidate window);
* gazeport: ``detect_fixations`` (window decisions vectorised, one pairwise matrix per fixation).

The outputs must be identical. The baseline can be timed on a shorter prefix
(``--reference-minutes``); the speed-up is then the ratio of per-minute throughputs. Usage::

    python benchmarks/fixations.py --minutes 60
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np

from gazeport.analysis.fixations import (
    FixationParams,
    detect_fixations,
    detect_fixations_reference,
)

RATE_HZ = 200.0


def binocular_gaze(minutes: float, seed: int = 0) -> dict[str, np.ndarray]:
    """Synthetic gaze columns: ``timestamp``, ``confidence``, ``norm_pos`` (n, 2),
    ``gaze_point_3d`` (n, 3) mm, and 30 Hz ``world_timestamps``."""
    rng = np.random.default_rng(seed)
    n = round(minutes * 60 * RATE_HZ)
    dt = rng.normal(1 / RATE_HZ, 0.0004, n).clip(0.001, None)
    t = 1000.0 + np.cumsum(dt)
    azimuth = np.empty(n)
    elevation = np.empty(n)
    i = 0
    az, el = 0.0, 0.0
    while i < n:
        fix = int(rng.uniform(0.15, 0.40) * RATE_HZ)
        sl = slice(i, min(n, i + fix))
        size = sl.stop - sl.start
        jitter = rng.uniform(0.05, 0.25)
        azimuth[sl] = az + rng.normal(0.0, jitter, size)
        elevation[sl] = el + rng.normal(0.0, jitter, size)
        i = sl.stop
        sac = int(rng.uniform(0.02, 0.08) * RATE_HZ)
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
        confidence[start : start + int(rng.uniform(0.1, 0.3) * RATE_HZ)] = 0.05
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
        "--reference-minutes",
        type=float,
        default=None,
        help="time the reference on this prefix only (default: all of --minutes)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    params = FixationParams()

    gaze = binocular_gaze(args.minutes, args.seed)
    n = len(gaze["timestamp"])
    ref_minutes = min(args.minutes, args.reference_minutes or args.minutes)
    n_ref = min(n, round(ref_minutes * 60 * RATE_HZ))
    print(
        f"gaze: {n} samples = {args.minutes:g} min of {RATE_HZ:g} Hz binocular 3D gaze, "
        f"{np.count_nonzero(gaze['confidence'] > params.min_confidence)} above confidence "
        f"{params.min_confidence}; best of {args.repeat} runs each"
    )
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
    print(f"outputs identical: {identical}")
    fast_rate, ref_rate = args.minutes / t_fast, ref_minutes / t_ref
    print(f"throughput: fast {fast_rate:,.1f} min/s, reference {ref_rate:,.1f} min/s")
    basis = " (ratio of per-minute throughputs)" if prefix else ""
    print(f"speed-up: {fast_rate / ref_rate:.1f}x{basis}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
