"""Web server speed: the frame endpoint's latency and 20 clients on mixed endpoints.

Generates a synthetic Pupil Capture recording of ``--minutes`` length with a 1280x720 H.264
world video (30 fps, moving content, a keyframe every 60 frames like the Neon scene camera's
videos), starts ``gazeport serve`` on it in a subprocess on a free port, and measures over HTTP
(one keep-alive connection per client thread, ``http.client``):

* ``GET /api/recordings/{id}/frames/{index}.jpg`` one request at a time: sequential frames
  (0, 1, 2, ...) and random frames (seeded uniform indices), p50/p95 latency;
* ``--clients`` concurrent clients for ``--seconds`` on a mix of the recordings list, the
  recording, frames (random walks: mostly the next frame, sometimes a jump), the gaze window,
  fixations and annotations: requests/s and errors (any status but 200).

Beside it, in the same run and on the same video, the plain baseline: one OpenCV
``VideoCapture`` that does ``set(CAP_PROP_POS_FRAMES, i)`` + ``read()`` + ``cv2.imencode`` per
frame, in this process (no HTTP, so the baseline is spared the server's overhead).
Targets on a 2-core machine: sequential p95 <= 30 ms, random p95 <= 150 ms, 0 errors. Usage::

    python benchmarks/server.py [--minutes 1] [--seconds 30] [--clients 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import cv2
import numpy as np

SIZE = (1280, 720)
GOP = 60  # frames between keyframes: what Neon's scene videos have (2 s at 30 fps)
JPEG_QUALITY = 90  # the same as the server's frames


def write_world_video(rec: Path, n_frames: int) -> Path:
    """A Capture-like world.mp4 (H.264, keyframe every :data:`GOP`), one frame per timestamp."""
    width, height = SIZE
    yy, xx = np.mgrid[0:height, 0:width]
    base = ((xx // 40 + yy // 40) % 2 * 60 + 60).astype(np.uint8)
    path = rec / "world.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(
            "libx264", rate=30, options={"preset": "ultrafast", "g": str(GOP)}
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(n_frames):
            image = np.empty((height, width, 3), np.uint8)
            image[..., 0] = np.roll(base, 4 * i, axis=1)
            image[..., 1] = np.roll(base, 2 * i, axis=0)
            image[..., 2] = base + np.uint8(i % 64)
            cv2.putText(image, str(i), (40, 120), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 6)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """One keep-alive HTTP connection to the server (one per thread)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            self.conn.request("GET", path)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnects on the next request
            return 0, b""


def start_server(root: Path, port: int, cache: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONWARNINGS="ignore")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gazeport", "serve", str(root), "--port", str(port),
         "--db", str(cache / "labels.sqlite")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    client = Client(port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gazeport serve exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        status, _ = client.get("/api/health")
        if status == 200:
            return proc
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("gazeport serve did not answer /api/health within 60 s.")


def percentiles(ms: list[float]) -> tuple[float, float]:
    a = np.asarray(ms)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def time_each(fetch, indices: list[int]) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in indices:
        t = time.perf_counter()
        fetch(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def baseline(video: Path, sequential: list[int], jumps: list[int]) -> dict[str, list[float]]:
    """OpenCV: set(CAP_PROP_POS_FRAMES) + read + imencode per request, one open capture."""
    cap = cv2.VideoCapture(str(video), cv2.CAP_FFMPEG)

    def fetch(i: int) -> None:
        cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, image = cap.read()
        if not ok:
            raise SystemExit(f"OpenCV could not read frame {i} of {video}.")
        cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])

    fetch(0)  # open the decoder, as the server's warm-up request does
    try:
        return {"sequential": time_each(fetch, sequential), "random": time_each(fetch, jumps)}
    finally:
        cap.release()


def served(port: int, rid: str, sequential: list[int], jumps: list[int]) -> dict[str, list[float]]:
    client = Client(port)

    def fetch(i: int) -> None:
        status, body = client.get(f"/api/recordings/{rid}/frames/{i}.jpg")
        if status != 200 or body[:2] != b"\xff\xd8":
            raise SystemExit(f"frame {i}: HTTP {status} {body[:200]!r}")

    fetch(0)
    return {"sequential": time_each(fetch, sequential), "random": time_each(fetch, jumps)}


def mixed_load(port: int, rid: str, n_frames: int, clients: int, seconds: float) -> dict:
    """``clients`` threads on mixed endpoints for ``seconds``: counts per kind, errors."""
    duration_s = n_frames / 30
    stop = time.monotonic() + seconds
    counts: dict[str, int] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def run(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(port)
        frame = rng.randrange(n_frames)
        local: dict[str, int] = {}
        while time.monotonic() < stop:
            kind = rng.choices(
                ("list", "recording", "frame", "gaze", "fixations", "annotations"),
                weights=(1, 1, 6, 2, 1, 1),
            )[0]
            if kind == "frame":
                # a player scrubbing: mostly the next frame, sometimes a jump
                frame = (frame + 1) % n_frames if rng.random() < 0.8 else rng.randrange(n_frames)
                path = f"/api/recordings/{rid}/frames/{frame}.jpg"
            elif kind == "gaze" or kind == "fixations":
                t = rng.uniform(0, max(duration_s - 5, 0))
                path = f"/api/recordings/{rid}/{kind}?start_s={t:.3f}&end_s={t + 5:.3f}"
            else:
                path = {
                    "list": "/api/recordings",
                    "recording": f"/api/recordings/{rid}",
                    "annotations": f"/api/recordings/{rid}/annotations",
                }[kind]
            status, body = client.get(path)
            local[kind] = local.get(kind, 0) + 1
            if status != 200:
                with lock:
                    errors.append(f"{path}: HTTP {status} {body[:120]!r}")
        with lock:
            for k, v in local.items():
                counts[k] = counts.get(k, 0) + v

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    return {"counts": counts, "errors": errors, "wall_s": wall}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--minutes", type=float, default=1.0, help="recording length (default 1)")
    ap.add_argument("--seconds", type=float, default=30.0, help="mixed load time (default 30)")
    ap.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    ap.add_argument("--frames", type=int, default=300, help="requests per latency test")
    ap.add_argument("--keep", type=Path, help="keep the generated recording in this folder")
    args = ap.parse_args()

    from gazeport.server.recordings import recording_id
    from gazeport.synthetic import generate_capture_recording

    work = Path(tempfile.mkdtemp(prefix="gazeport-server-bench-"))
    proc = None
    try:
        root = args.keep or work / "root"
        rec = root / "recording"
        video = rec / "world.mp4"
        if not video.exists():
            t = time.perf_counter()
            print(f"generating a {args.minutes:g}-minute recording, 1280x720 H.264 ...")
            generate_capture_recording(rec, args.minutes)
            write_world_video(rec, len(np.load(rec / "world_timestamps.npy")))
            print(f"  done in {time.perf_counter() - t:.1f} s", flush=True)
        n = len(np.load(rec / "world_timestamps.npy"))
        rng = random.Random(0)
        sequential = list(range(1, min(args.frames, n - 1) + 1))
        jumps = [rng.randrange(n) for _ in range(args.frames)]

        base = baseline(video, sequential, jumps)
        port = _free_port()
        proc = start_server(root, port, work / "cache")
        rid = recording_id("recording")
        ours = served(port, rid, sequential, jumps)
        load = mixed_load(port, rid, n, args.clients, args.seconds)

        print(f"\n{n} frames, 1280x720 H.264, keyframe every {GOP} frames; latency in ms")
        print(f"{'frame requests':26} {'p50':>8} {'p95':>8}   {'OpenCV p50':>10} {'p95':>8}")
        for name, target in (("sequential", 30), ("random", 150)):
            p50, p95 = percentiles(ours[name])
            b50, b95 = percentiles(base[name])
            verdict = "ok" if p95 <= target else "MISSED"
            print(
                f"{name + f' (p95 <= {target})':26} {p50:>8.1f} {p95:>8.1f}   {b50:>10.1f} "
                f"{b95:>8.1f}   {verdict}"
            )
        total = sum(load["counts"].values())
        frames_done = load["counts"].get("frame", 0)
        print(
            f"\n{args.clients} clients, mixed endpoints, {load['wall_s']:.1f} s: "
            f"{total / load['wall_s']:.0f} requests/s ({frames_done / load['wall_s']:.0f} "
            f"frames/s), errors: {len(load['errors'])}"
        )
        print("  " + ", ".join(f"{k} {v}" for k, v in sorted(load["counts"].items())))
        for line in load["errors"][:5]:
            print(f"  {line}")
        print(json.dumps({"sequential_p95_ms": percentiles(ours["sequential"])[1],
                          "random_p95_ms": percentiles(ours["random"])[1],
                          "requests_per_s": total / load["wall_s"],
                          "errors": len(load["errors"])}))  # fmt: skip
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
