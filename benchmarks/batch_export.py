"""Batch export speed-up: N synthetic recordings exported with --jobs 1 and --jobs 2.

Each run happens in its own process so peak memory is measured separately; the largest worker
process's peak is printed too. Usage::

    python benchmarks/batch_export.py --recordings 6 --minutes 2
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(root: Path, jobs: int, out: Path) -> None:
    import gazeport

    t = time.perf_counter()
    items = gazeport.export(root, recursive=True, jobs=jobs, out_root=out)
    wall = time.perf_counter() - t
    print(json.dumps({
        "wall_s": wall,
        "ok": sum(i.status == "ok" for i in items),
        "rows": sum(i.total_rows for i in items),
        "main_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--recordings", type=int, default=6)
    ap.add_argument("--minutes", type=float, default=2.0, help="length of each recording")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(Path(args.child[0]), int(args.child[1]), Path(args.child[2]))
        return
    from gazeport.synthetic import generate_capture_recording

    work = Path(tempfile.mkdtemp(prefix="gazeport-batch-bench-"))
    try:
        root = work / "study"
        print(f"generating {args.recordings} recordings of {args.minutes:g} min ...", flush=True)
        for i in range(args.recordings):
            generate_capture_recording(root / f"p{i:02d}", args.minutes, seed=i)
        results = {}
        for jobs in (1, 2):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(root), str(jobs), str(work / f"out{jobs}")],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            results[jobs] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"\n{'jobs':>4} {'ok':>4} {'rows':>10} {'wall s':>8} {'main MB':>8} {'worker MB':>10}"
        )
        for jobs, r in results.items():
            print(
                f"{jobs:>4} {r['ok']:>4} {r['rows']:>10} {r['wall_s']:>8.2f} {r['main_peak_mb']:>8.0f} {r['worker_peak_mb']:>10.0f}"
            )
        print(
            f"\nspeed-up with 2 jobs: {results[1]['wall_s'] / results[2]['wall_s']:.2f}x   (target >= 1.7x)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
