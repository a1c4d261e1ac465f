"""Neon table export: gazeport vs. the straightforward route Neon Player v6 takes.

Generates a realistic native Neon recording (data format 2.5, 200 Hz gaze and eye states,
~110 Hz IMU, fixations, saccades, blinks, events, a new part every 20 minutes) of ``--minutes``
length with :mod:`gazeport.synthetic_neon`, then exports its tables twice, each run in its own
process so peak memory is measured separately:

* gazeport: ``gazeport.jobs.export_recording(rec, out_dir=...)`` in the default Neon Player v6
  dialect, or Pupil Cloud's with ``--dialect cloud`` (whatever tables it writes today; they are
  listed; Cloud's tables carry the same rows as Neon Player's, with other columns);
* baseline: ``pupil_labs.neon_recording.open(rec)``, one pandas DataFrame per table (gaze with
  azimuth/elevation through ``cv2.undistortPoints``, worn, fixation id and blink id; fixations,
  saccades, blinks, events, IMU with roll/pitch/yaw through scipy, 3D eye states) and
  ``to_csv(index=False)``, the way Neon Player's plugins export.

Wall time is measured in the child from before each side imports its libraries to the last file
written; the baseline's time per file is printed too. The baseline needs the ``dev`` extra
(pupil-labs-neon-recording, which brings pandas); ``--skip-baseline`` runs without it. Usage::

    python benchmarks/neon_export.py --minutes 60
    python benchmarks/neon_export.py --minutes 60 --dialect cloud --keep /tmp/neon60
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_SPEEDUP = 5.0
TARGET_PEAK_MB = 300.0  # whatever the length (issue 10)

# --- baseline: vendor reader + pandas, Neon Player's way --------------------------------------


def _ranged_ids(t: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """1-based id of the event with ``start <= t < stop`` for each ``t``; 0 when none."""
    left = np.searchsorted(starts, t, side="right") - 1
    right = np.searchsorted(stops, t, side="right")
    return np.where(left == right, left + 1, 0)


def _spherical_deg(points: np.ndarray, camera: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    import cv2

    undist = cv2.undistortPoints(points.astype(np.float32).reshape(-1, 1, 2), camera, dist)
    x, y = undist[:, 0, 0].astype(np.float64), undist[:, 0, 1].astype(np.float64)
    r = np.sqrt(x**2 + y**2 + 1.0)
    return np.rad2deg(np.pi / 2 - np.arctan2(1.0, x)), np.rad2deg(np.arccos(y / r) - np.pi / 2)


def baseline_export(rec_dir: Path, out: Path, seconds: dict[str, float]) -> dict[str, int]:
    """Rows per file written; ``seconds[file]`` gets the time since the previous file was done
    (loading the streams it needs first, building the frame, writing it)."""
    import pandas as pd
    import pupil_labs.neon_recording as nr
    from scipy.spatial.transform import Rotation

    rec = nr.open(rec_dir)
    rid = rec.info["recording_id"]
    lo, hi = rec.start_time, rec.start_time + rec.duration
    calib = rec.calibration
    camera = calib.scene_camera_matrix if calib is not None else np.eye(3)
    dist = calib.scene_distortion_coefficients if calib is not None else np.zeros(8)
    written: dict[str, int] = {}
    mark = [time.perf_counter()]

    def write(name: str, frame: pd.DataFrame) -> None:
        frame.to_csv(out / name, index=False)
        written[name] = len(frame)
        seconds[name] = time.perf_counter() - mark[0]
        mark[0] = time.perf_counter()

    fixations, saccades, blinks = rec.fixations, rec.saccades, rec.blinks
    gaze = rec.gaze
    keep = (gaze.time >= lo) & (gaze.time <= hi)
    g = gaze[keep]
    az, el = _spherical_deg(g.point, camera, dist)
    frame = pd.DataFrame({
        "recording id": rid, "timestamp [ns]": g.time, "gaze x [px]": g.point[:, 0],
        "gaze y [px]": g.point[:, 1], "azimuth [deg]": az, "elevation [deg]": el,
    })  # fmt: skip
    frame["worn"] = rec.worn[keep].worn / 255
    for column, events in (("fixation id", fixations), ("blink id", blinks)):
        frame[column] = _ranged_ids(g.time, events.start_time, events.stop_time)
        frame[column] = frame[column].replace(0, None)
    write("gaze.csv", frame)

    def overlapping(events):  # type: ignore[no-untyped-def]
        ids = np.arange(1, len(events) + 1)
        mask = (events.stop_time > lo) & (events.start_time < hi)
        return events[mask], ids[mask]

    f, ids = overlapping(fixations)
    faz, fel = _spherical_deg(f.mean_gaze_point, camera, dist)
    write("fixations.csv", pd.DataFrame({
        "recording id": rid, "fixation id": ids, "start timestamp [ns]": f.start_time,
        "end timestamp [ns]": f.stop_time, "duration [ms]": (f.stop_time - f.start_time) / 1e6,
        "fixation x [px]": f.mean_gaze_point[:, 0].astype(np.float64),
        "fixation y [px]": f.mean_gaze_point[:, 1].astype(np.float64),
        "azimuth [deg]": faz, "elevation [deg]": fel,
    }))  # fmt: skip
    s, ids = overlapping(saccades)
    write("saccades.csv", pd.DataFrame({
        "recording id": rid, "saccade id": ids, "start timestamp [ns]": s.start_time,
        "end timestamp [ns]": s.stop_time, "duration [ms]": (s.stop_time - s.start_time) / 1e6,
        "amplitude [deg]": s.amplitude, "mean velocity [px/s]": s.mean_velocity,
        "peak velocity [px/s]": s.max_velocity,
    }))  # fmt: skip
    b, ids = overlapping(blinks)
    write("blinks.csv", pd.DataFrame({
        "recording id": rid, "blink id": ids, "start timestamp [ns]": b.start_time,
        "end timestamp [ns]": b.stop_time, "duration [ms]": (b.stop_time - b.start_time) / 1e6,
    }))  # fmt: skip
    ev = rec.events
    keep = (ev.time >= lo) & (ev.time <= hi)
    write("events.csv", pd.DataFrame({
        "recording id": rid, "timestamp [ns]": ev.time[keep], "name": ev.event[keep],
        "type": "recording",
    }))  # fmt: skip

    imu = rec.imu
    keep = (imu.time >= lo) & (imu.time <= hi)
    m = imu[keep]
    quat = m.rotation  # x, y, z, w
    euler = Rotation.from_quat(quat).as_euler("yxz", degrees=True)
    write("imu.csv", pd.DataFrame({
        "recording id": rid, "timestamp [ns]": m.time,
        **{f"gyro {a} [deg/s]": m.angular_velocity[:, i] for i, a in enumerate("xyz")},
        **{f"acceleration {a} [g]": m.acceleration[:, i] for i, a in enumerate("xyz")},
        "roll [deg]": euler[:, 0], "pitch [deg]": euler[:, 1], "yaw [deg]": euler[:, 2],
        **{f"quaternion {a}": quat[:, i] for i, a in enumerate("xyzw")},
    }))  # fmt: skip

    pupil, eyeball, eyelid = rec.pupil, rec.eyeball, rec.eyelid
    keep = (pupil.time >= lo) & (pupil.time <= hi)
    p, e, lid = pupil[keep], eyeball[keep], eyelid[keep]
    columns = {"recording id": rid, "timestamp [ns]": p.time,
               "pupil diameter left [mm]": p.diameter_left, "pupil diameter right [mm]": p.diameter_right}  # fmt: skip
    for name, values in (("eyeball center left", e.center_left), ("eyeball center right", e.center_right)):  # fmt: skip
        columns |= {f"{name} {a} [mm]": values[:, i] for i, a in enumerate("xyz")}
    for name, values in (("optical axis left", e.optical_axis_left), ("optical axis right", e.optical_axis_right)):  # fmt: skip
        columns |= {f"{name} {a}": values[:, i] for i, a in enumerate("xyz")}
    for side in ("left", "right"):
        columns |= {
            f"eyelid angle top {side} [rad]": getattr(lid, f"angle_{side}")[:, 0],
            f"eyelid angle bottom {side} [rad]": getattr(lid, f"angle_{side}")[:, 1],
            f"eyelid aperture {side} [mm]": getattr(lid, f"aperture_{side}"),
        }
    write("3d_eye_states.csv", pd.DataFrame(columns))
    rec.close()
    return written


# --- gazeport --------------------------------------------------------------------------------


def gazeport_export(rec_dir: Path, out: Path, dialect: str = "neon-player") -> dict[str, int]:
    from gazeport.jobs import export_recording

    result = export_recording(rec_dir, out_dir=out, dialect=dialect)
    return {name: c.count for name, c in result.counts.items()}


# --- driver ----------------------------------------------------------------------------------


def _child(which: str, rec: Path, out: Path, dialect: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    if which == "baseline":
        files = baseline_export(rec, out, seconds)
    else:
        files = gazeport_export(rec, out, dialect)
    wall = time.perf_counter() - t
    print(json.dumps({
        "files": files,
        "seconds": seconds,
        "rows": sum(files.values()),
        "wall_s": wall,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))  # fmt: skip


def _run(which: str, rec: Path, out: Path, dialect: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--dialect", dialect, "--child", which, str(rec), str(out)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"the {which} export failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--minutes", type=float, default=10.0, help="recording length (default 10)")
    ap.add_argument("--keep", type=Path, help="keep the generated recording in this folder")
    ap.add_argument("--skip-baseline", action="store_true", help="measure gazeport only")
    ap.add_argument(
        "--dialect",
        choices=("neon-player", "cloud"),
        default="neon-player",
        help="gazeport's table dialect (default neon-player; cloud: Pupil Cloud's Timeseries "
        "files, against the same baseline)",
    )
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]), Path(args.child[2]), args.dialect)
        return

    from gazeport.synthetic_neon import generate_neon_recording

    work = Path(tempfile.mkdtemp(prefix="gazeport-neon-bench-"))
    try:
        rec = args.keep or work / "recording"
        if not (rec / "info.json").exists():
            t = time.perf_counter()
            print(f"generating a {args.minutes:g}-minute Neon recording ...", flush=True)
            made = generate_neon_recording(rec, args.minutes)
            print(f"  done in {time.perf_counter() - t:.1f} s: {made.parts} parts, "
                  + ", ".join(f"{n} {k}" for k, n in made.counts.items()), flush=True)  # fmt: skip
        size_mb = sum(f.stat().st_size for f in rec.iterdir()) / 2**20
        print(f"recording: {rec} ({size_mb:.0f} MB)")
        print(f"gazeport dialect: {args.dialect}")
        results = {"gazeport": _run("gazeport", rec, work / "out-gazeport", args.dialect)}
        if not args.skip_baseline:
            results["baseline"] = _run("baseline", rec, work / "out-baseline", args.dialect)

        names = sorted({n for r in results.values() for n in r["files"]})
        print(f"\n{'rows per file':24}" + "".join(f"{name:>12}" for name in results)
              + ("   baseline s" if "baseline" in results else ""))  # fmt: skip
        for n in names:
            spent = results.get("baseline", {}).get("seconds", {}).get(n)
            print(f"{n:24}" + "".join(f"{r['files'].get(n, '—'):>12}" for r in results.values())
                  + (f"{spent:>13.2f}" if spent is not None else ""))  # fmt: skip
        print(f"\n{'':10} {'rows':>10} {'wall s':>8} {'rows/s':>12} {'peak RSS MB':>12} {'worker MB':>10}")  # fmt: skip
        for name, r in results.items():
            print(
                f"{name:10} {r['rows']:>10} {r['wall_s']:>8.2f} {r['rows'] / r['wall_s']:>12,.0f} "
                f"{r['peak_mb']:>12.0f} {r['worker_peak_mb']:>10.0f}"
            )
        g = results["gazeport"]
        if "baseline" in results:
            b = results["baseline"]
            common = sorted(set(g["files"]) & set(b["files"]))
            missing = sorted(set(b["files"]) - set(g["files"]))
            print(
                f"\ngazeport/baseline: time {g['wall_s'] / b['wall_s']:.2f}, "
                f"memory {g['peak_mb'] / b['peak_mb']:.2f}; "
                f"speed-up {b['wall_s'] / g['wall_s']:.1f}x   (target >= {TARGET_SPEEDUP:g}x)"
            )
            same = [n for n in common if g["files"][n] == b["files"][n]]
            print(f"files in both: {len(common)}, same row count: {len(same)}"
                  + (f"; not written by gazeport: {', '.join(missing)}" if missing else ""))  # fmt: skip
            if missing:
                part = sum(b["seconds"][n] for n in common)
                both = (
                    f"the baseline spent {part:.2f} s on the files in both"
                    if common
                    else "no table is in both yet"
                )
                print(f"  gazeport does not write every table yet, so these ratios compare different work; {both}")  # fmt: skip
        print(
            f"gazeport peak memory: {g['peak_mb']:.0f} MB in the main process, "
            f"{g['worker_peak_mb']:.0f} MB in the largest worker   "
            f"(target <= {TARGET_PEAK_MB:g} MB at any length)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
