"""Dataset image speed: gazeport's image writer vs. seeking each frame with OpenCV.

Generates a synthetic Pupil Capture recording with a 1280x720 H.264 world video (30 fps,
moving content; ``benchmarks/video_export.py``'s generator) of ``--minutes`` length, picks
``--frames`` frame indices spread evenly over it, then, each in its own process so peak memory
is separate, writes one JPEG (quality 95) per frame:

* opencv: the way people script it today, for each frame
  ``cap.set(cv2.CAP_PROP_POS_FRAMES, i); cap.read(); cv2.imwrite(...)``;
* gazeport: :class:`gazeport.exporters.datasets.images.FrameImageWriter` on labelling tasks of
  those frames (the recording opened, its frame table built, the video read front to back);
  also run with a quarter of the frames to show that its memory does not grow with the count.

Prints images/s of both, the ratio (target >= 5) and peak RSS, and how many OpenCV images differ
from gazeport's (frame-accurate seeking is not guaranteed by ``CAP_PROP_POS_FRAMES``). Usage::

    python benchmarks/dataset_export.py --minutes 2 --frames 300
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

SIZE = (1280, 720)


def opencv_images(rec: Path, frames: list[int], out: Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(rec / "world.mp4"))
    written = 0
    try:
        for i in frames:
            cap.set(cv2.CAP_PROP_POS_FRAMES, i)
            ok, image = cap.read()
            if ok:
                cv2.imwrite(str(out / f"{i}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
                written += 1
    finally:
        cap.release()
    return written


def gazeport_images(rec: Path, frames: list[int], out: Path) -> int:
    from gazeport.exporters.datasets.images import FrameImageWriter
    from gazeport.labels.records import TaskRecord

    tasks = [
        (TaskRecord(i + 1, rec.name, rec, "", k, 0, 0, 0, "draft"), out / f"{k}.jpg")
        for i, k in enumerate(frames)
    ]
    writer = FrameImageWriter()
    sizes = writer(tasks)
    return sum(1 for s in sizes.values() if s is not None)


def _child(which: str, rec: Path, out: Path, frames_file: Path) -> None:
    import cv2  # noqa: F401  (imports are not part of the timing)

    if which == "gazeport":
        import gazeport.exporters.datasets.images  # noqa: F401

    frames = json.loads(frames_file.read_text())
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    written = (opencv_images if which == "opencv" else gazeport_images)(rec, frames, out)
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"images": written, "wall_s": wall, "peak_mb": peak}))


def _run(which: str, rec: Path, out: Path, frames: list[int], work: Path) -> dict:
    frames_file = work / f"frames-{which}-{len(frames)}.json"
    frames_file.write_text(json.dumps(frames))
    proc = subprocess.run(
        [sys.executable, __file__, "--child", which, str(rec), str(out), str(frames_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _differing(a: Path, b: Path, frames: list[int]) -> int:
    """Images of the two runs whose mean absolute difference exceeds JPEG noise."""
    import cv2

    count = 0
    for k in frames:
        x, y = cv2.imread(str(a / f"{k}.jpg")), cv2.imread(str(b / f"{k}.jpg"))
        if x is None or y is None or np.abs(x.astype(int) - y.astype(int)).mean() > 3:
            count += 1
    return count


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--minutes", type=float, default=2.0, help="recording length (default 2)")
    ap.add_argument("--frames", type=int, default=300, help="images to write (default 300)")
    ap.add_argument("--keep", type=Path, help="keep the generated recording in this folder")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]), Path(args.child[2]), Path(args.child[3]))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from video_export import write_world_video

    from gazeport.synthetic import generate_capture_recording

    work = Path(tempfile.mkdtemp(prefix="gazeport-dataset-bench-"))
    try:
        rec = args.keep or work / "recording"
        if not (rec / "world.mp4").exists():
            t = time.perf_counter()
            print(f"generating a {args.minutes:g}-minute recording with a 1280x720 video ...")
            generate_capture_recording(rec, args.minutes)
            n = len(np.load(rec / "world_timestamps.npy"))
            write_world_video(rec, n, SIZE)
            print(f"  done in {time.perf_counter() - t:.1f} s", flush=True)
        n = len(np.load(rec / "world_timestamps.npy"))
        frames = sorted(set(np.linspace(0, n - 1, args.frames).round().astype(int).tolist()))
        quarter = frames[::4]
        results = {
            "opencv": _run("opencv", rec, work / "out-opencv", frames, work),
            "gazeport": _run("gazeport", rec, work / "out-gazeport", frames, work),
            f"gazeport/{len(quarter)}": _run("gazeport", rec, work / "out-quarter", quarter, work),
        }
        print(f"\n{len(frames)} of {n} frames, 1280x720 H.264, JPEG quality 95")
        print(f"{'':14} {'images':>7} {'wall s':>8} {'images/s':>9} {'peak RSS MB':>12}")
        for name, r in results.items():
            rate = r["images"] / r["wall_s"]
            print(
                f"{name:14} {r['images']:>7} {r['wall_s']:>8.2f} {rate:>9.1f} {r['peak_mb']:>12.0f}"
            )
        g, o = results["gazeport"], results["opencv"]
        ratio = (g["images"] / g["wall_s"]) / (o["images"] / o["wall_s"])
        print(f"\ngazeport / opencv: {ratio:.1f}x   (target >= 5)")
        diff = _differing(work / "out-opencv", work / "out-gazeport", frames)
        print(f"OpenCV images that differ from gazeport's frame: {diff} of {len(frames)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
