"""Batch export speed-up: N synthetic recordings exported with --jobs 1 and --jobs 2.

Each measurement is one whole ``gazeport export ROOT --recursive --jobs J`` process (start-up and
exit included), timed by a fresh driver process so its peak memory (the main process and the
largest worker) is its own; the best of ``--repeat`` runs is kept. Usage::

    python benchmarks/batch_export.py --recordings 6 --minutes 2
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


def _measure_here(root: Path, jobs: int, out: Path) -> None:
    """Run the command once; print wall time and peaks as JSON (this process is the driver)."""
    shutil.rmtree(out, ignore_errors=True)
    gazeport = shutil.which("gazeport") or "gazeport"
    cmd = [gazeport, "export", str(root), "--recursive", "--jobs", str(jobs),
           "--out-root", str(out), "--quiet"]  # fmt: skip
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # with .pyc files, as a user's installation runs
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    csvs = list(out.rglob("*_positions.csv"))
    rows = sum(max(0, _lines(p) - 1) for p in csvs)
    print(json.dumps({
        "wall_s": wall,
        "exports": len({p.parent for p in csvs}),
        "rows": rows,
        # the largest process of the tree: the main process or one worker
        "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))  # fmt: skip


def _lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b""))


def _measure(root: Path, jobs: int, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", str(root), str(jobs), str(out)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--recordings", type=int, default=6)
    ap.add_argument("--minutes", type=float, default=2.0, help="length of each recording")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    ap.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        _measure_here(Path(args.measure[0]), int(args.measure[1]), Path(args.measure[2]))
        return
    from gazeport import _native
    from gazeport.synthetic import generate_capture_recording

    work = Path(tempfile.mkdtemp(prefix="gazeport-batch-bench-"))
    try:
        root = work / "study"
        print(f"generating {args.recordings} recordings of {args.minutes:g} min ...", flush=True)
        for i in range(args.recordings):
            generate_capture_recording(root / f"p{i:02d}", args.minutes, seed=i)
        print(f"{os.cpu_count()} CPUs; CSV formatting: {_native.describe()}")
        results: dict[int, dict] = {}
        _measure(root, 1, work / "warm-up")  # writes the .pyc files
        for jobs in (1, 2):
            runs = [_measure(root, jobs, work / f"out{jobs}") for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["wall_s"])
            best["range"] = (
                f"{min(r['wall_s'] for r in runs):.2f}-{max(r['wall_s'] for r in runs):.2f}"
            )
            results[jobs] = best
        print(
            f"\n{'jobs':>4} {'exports':>7} {'rows':>10} {'wall s':>8} {'(range)':>12} {'peak MB':>8}"
        )
        for jobs, r in results.items():
            print(
                f"{jobs:>4} {r['exports']:>7} {r['rows']:>10} {r['wall_s']:>8.2f} "
                f"{r['range']:>12} {r['peak_mb']:>8.0f}"
            )
        ratio = results[1]["wall_s"] / results[2]["wall_s"]
        print(f"\nspeed-up with 2 jobs: {ratio:.2f}x   (target >= 1.8x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
