"""World video export speed: gazeport's World Video Exporter vs. plain decode + encode.

Generates a synthetic Pupil Capture recording with a 1280x720 world video (30 fps, moving
content) of ``--minutes`` length (``--kind neon``: a synthetic Neon recording whose scene video
part ``Neon Scene Camera v1 ps1.mp4`` is 1600x1200 at 30 fps, one frame per scene ``.time``
entry), then, each in its own process so peak memory is separate:

* floor: every frame decoded with PyAV and encoded again with the same writer and codec, no
  overlays, no frame table, no gaze (the fastest any exporter could be);
* gazeport: ``export_recording(exporters=("world-video",))`` with the default overlays (gaze
  circle and polyline, drawn from the gaze of each frame's window; for Neon, Neon Player's
  circle on the world timeline, gray frames included).

Prints frames/s of both, the ratio (target >= 0.8) and the peak memory. Usage::

    python benchmarks/video_export.py --minutes 2 [--codec mpeg4] [--kind neon]
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

import av
import numpy as np

SIZE = (1280, 720)
NEON_SIZE = (1600, 1200)
NEON_SCENE = "Neon Scene Camera v1 ps1"


def write_world_video(
    rec: Path, n_frames: int, size: tuple[int, int] = SIZE, name: str = "world.mp4"
) -> None:
    """A Capture-like world.mp4 (H.264) with one frame per world timestamp."""
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width]
    base = ((xx // 40 + yy // 40) % 2 * 60 + 60).astype(np.uint8)
    with av.open(str(rec / name), "w") as container:
        stream = container.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(n_frames):
            image = np.empty((height, width, 3), np.uint8)
            image[..., 0] = np.roll(base, 4 * i, axis=1)
            image[..., 1] = np.roll(base, 2 * i, axis=0)
            image[..., 2] = base + np.uint8(i % 64)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _is_neon(rec: Path) -> bool:
    return (rec / f"{NEON_SCENE}.time").exists()


def floor_export(rec: Path, out: Path, codec: str) -> int:
    from gazeport.video.writer import VideoWriter

    if _is_neon(rec):
        ts = np.fromfile(rec / f"{NEON_SCENE}.time", "<i8") / 1e9
        video, (width, height) = rec / f"{NEON_SCENE}.mp4", NEON_SIZE
    else:
        ts = np.load(rec / "world_timestamps.npy")
        video, (width, height) = rec / "world.mp4", SIZE
    frames = 0
    with av.open(str(video)) as source:
        stream = source.streams.video[0]
        stream.thread_type = "AUTO"
        with VideoWriter(
            out / "world.mp4", width=width, height=height, start_time=float(ts[0]), codec=codec
        ) as writer:
            for frame in source.decode(stream):
                writer.write(frame.to_ndarray(format="bgr24"), float(ts[frames]))
                frames += 1
    return frames


def gazeport_export(rec: Path, out: Path, codec: str) -> int:
    from gazeport.exporters.world_video import VideoOptions
    from gazeport.jobs import export_recording

    result = export_recording(
        rec, exporters=("world-video",), out_dir=out, video=VideoOptions(codec=codec, audio=False)
    )
    return result.frames["world video"]


def _child(which: str, rec: Path, out: Path, codec: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    frames = (floor_export if which == "floor" else gazeport_export)(rec, out, codec)
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"frames": frames, "wall_s": wall, "peak_mb": peak}))


def _run(which: str, rec: Path, out: Path, codec: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", which, str(rec), str(out), codec],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--minutes", type=float, default=1.0, help="recording length (default 1)")
    ap.add_argument("--codec", choices=("h264", "mpeg4"), default="h264")
    ap.add_argument("--kind", choices=("core", "neon"), default="core", help="recording kind")
    ap.add_argument("--keep", type=Path, help="keep the generated recording in this folder")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]), Path(args.child[2]), args.child[3])
        return

    from gazeport.synthetic import generate_capture_recording
    from gazeport.synthetic_neon import generate_neon_recording

    neon = args.kind == "neon"
    size = NEON_SIZE if neon else SIZE
    work = Path(tempfile.mkdtemp(prefix="gazeport-video-bench-"))
    try:
        rec = args.keep or work / "recording"
        video = rec / (f"{NEON_SCENE}.mp4" if neon else "world.mp4")
        if not video.exists():
            t = time.perf_counter()
            print(
                f"generating a {args.minutes:g}-minute {args.kind} recording with a "
                f"{size[0]}x{size[1]} world video ..."
            )
            if neon:
                generate_neon_recording(rec, args.minutes, part_minutes=max(args.minutes, 1.0))
                n = (rec / f"{NEON_SCENE}.time").stat().st_size // 8
            else:
                generate_capture_recording(rec, args.minutes)
                n = len(np.load(rec / "world_timestamps.npy"))
            write_world_video(rec, n, size, video.name)
            print(f"  done in {time.perf_counter() - t:.1f} s", flush=True)
        results = {
            "floor": _run("floor", rec, work / "out-floor", args.codec),
            "gazeport": _run("gazeport", rec, work / "out-gazeport", args.codec),
        }
        print(f"\n{args.kind}, codec {args.codec}, {size[0]}x{size[1]}")
        print(f"{'':10} {'frames':>8} {'wall s':>8} {'fps':>8} {'peak RSS MB':>12}")
        for name, r in results.items():
            fps = r["frames"] / r["wall_s"]
            print(
                f"{name:10} {r['frames']:>8} {r['wall_s']:>8.2f} {fps:>8.1f} {r['peak_mb']:>12.0f}"
            )
        g, f = results["gazeport"], results["floor"]
        ratio = (g["frames"] / g["wall_s"]) / (f["frames"] / f["wall_s"])
        print(f"\ngazeport / floor: {ratio:.2f}   (target >= 0.8)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
