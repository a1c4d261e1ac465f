"""Batch export speed-up: N synthetic recordings exported with --jobs 1 and --jobs 2.

Each measurement is one whole ``gazeport export ROOT --recursive --jobs J`` process (start-up and
exit included), timed by a fresh driver process so its peak memory (the main process and the
largest worker) is its own; the best of ``--repeat`` runs is kept. Usage::

    python benchmarks/batch_export.py --recordings 6 --minutes 2

It also times a study of the first two recordings the same way, which splits each wall time
into what every run pays once (start-up, imports, the worker pool) and the work per recording:
``wall(N) = fixed + N / J * work`` for N recordings on J jobs. The speed-up two jobs can reach
is bounded by ``(fixed1 + N * work1) / (fixed2 + N / 2 * work2)``, so when the per-recording
work is small beside the fixed cost, no scheduling reaches twice.
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


def _print_split(n: int, results: dict[int, dict], two: dict[int, float]) -> None:
    """Fixed cost and work per recording from the N- and the 2-recording runs of each J."""
    print(f"\nsplit from the {n}- and the 2-recording studies (wall = fixed + N / J * work):")
    fixed: dict[int, float] = {}
    per: dict[int, float] = {}
    for jobs in (1, 2):
        rounds_n, rounds_2 = -(-n // jobs), -(-2 // jobs)  # rounds of J recordings at once
        per[jobs] = (results[jobs]["wall_s"] - two[jobs]) / (rounds_n - rounds_2)
        fixed[jobs] = two[jobs] - rounds_2 * per[jobs]
        print(
            f"  --jobs {jobs}: fixed {fixed[jobs]:.2f} s, work {per[jobs]:.3f} s per recording"
            f" (2 recordings: {two[jobs]:.2f} s)"
        )
    best = (fixed[1] + n * per[1]) / (fixed[1] + -(-n // 2) * per[2])
    print(
        f"  with the fixed cost of one job, two jobs could reach at most {best:.2f}x here;"
        f" with no fixed cost at all {n * per[1] / (-(-n // 2) * per[2]):.2f}x"
    )


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
        small = work / "two"
        small.mkdir()
        for i in range(min(2, args.recordings)):
            (small / f"p{i:02d}").symlink_to(root / f"p{i:02d}", target_is_directory=True)
        print(f"{os.cpu_count()} CPUs; CSV formatting: {_native.describe()}")
        results: dict[int, dict] = {}
        two: dict[int, float] = {}
        _measure(root, 1, work / "warm-up")  # writes the .pyc files
        for jobs in (1, 2):
            runs = [_measure(root, jobs, work / f"out{jobs}") for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["wall_s"])
            best["range"] = (
                f"{min(r['wall_s'] for r in runs):.2f}-{max(r['wall_s'] for r in runs):.2f}"
            )
            results[jobs] = best
            if args.recordings > 2:
                two[jobs] = min(
                    _measure(small, jobs, work / f"two{jobs}")["wall_s"] for _ in range(args.repeat)
                )
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
        if two:
            _print_split(args.recordings, results, two)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
