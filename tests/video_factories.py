"""Small test videos written with PyAV, whose frames say their own frame number.

Frame ``i`` shows ``i`` in binary as a 4 x 4 grid of flat cells (bit 0 top left, row by row):
a set bit is a blue cell, a clear bit a dark one. Cells are large and flat, so the number
survives mpeg4, MJPEG and H.264 compression even at 64 x 48 pixels, and the blue (not gray)
cells make a red/blue channel swap visible: :func:`frame_number` reads BGR images only and
returns ``None`` for anything that is not such a frame (e.g. a gray frame of value 128).

Nothing here imports gazeport. :func:`truncate` and :func:`corrupt_middle` damage a file the
way a full disk or a bad copy would.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

#: Cells per row and column of the number grid; 16 bits: frame numbers 0 - 65535.
GRID = 4
#: BGR colour of a set bit and of a clear bit.
ONE_BGR = (200, 60, 40)
ZERO_BGR = (30, 30, 30)
#: Pixel format a codec needs when it is not ``yuv420p``.
PIX_FMT = {"mjpeg": "yuvj420p"}

HAS_X264 = "libx264" in av.codecs_available


def number_image(n: int, size: tuple[int, int]) -> np.ndarray:
    """The BGR ``(height, width, 3)`` uint8 image that encodes ``n`` (0 <= n < 2**16)."""
    if not 0 <= n < 2 ** (GRID * GRID):
        raise ValueError(f"Frame number {n} does not fit into {GRID * GRID} bits.")
    width, height = size
    image = np.empty((height, width, 3), dtype=np.uint8)
    ys = np.linspace(0, height, GRID + 1).astype(int)
    xs = np.linspace(0, width, GRID + 1).astype(int)
    for bit in range(GRID * GRID):
        r, c = divmod(bit, GRID)
        image[ys[r] : ys[r + 1], xs[c] : xs[c + 1]] = ONE_BGR if (n >> bit) & 1 else ZERO_BGR
    return image


def frame_number(image: np.ndarray) -> int | None:
    """The number :func:`number_image` encoded into the BGR ``image``, or ``None`` (e.g. gray).

    Reads the mean colour of the inner half of every cell, which compression barely touches.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        return None
    height, width = image.shape[:2]
    ys = np.linspace(0, height, GRID + 1)
    xs = np.linspace(0, width, GRID + 1)
    n = 0
    for bit in range(GRID * GRID):
        r, c = divmod(bit, GRID)
        y0, y1 = ys[r], ys[r + 1]
        x0, x1 = xs[c], xs[c + 1]
        dy, dx = (y1 - y0) / 4, (x1 - x0) / 4
        cell = image[int(y0 + dy) : int(np.ceil(y1 - dy)), int(x0 + dx) : int(np.ceil(x1 - dx))]
        b, _, red = (float(v) for v in cell.reshape(-1, 3).mean(axis=0))
        if b > 130 and b - red > 80:
            n |= 1 << bit
        elif not (b < 90 and abs(b - red) < 40):
            return None
    return n


def write_video(
    path: Path,
    n_frames: int,
    *,
    codec: str = "mpeg4",
    size: tuple[int, int] = (64, 48),
    rate: int = 30,
    fmt: str | None = None,
    first: int = 0,
) -> list[int]:
    """Encode frames ``first .. first + n_frames - 1`` (numbered images) at ``rate`` fps.

    ``codec`` is ``"mpeg4"``, ``"mjpeg"`` or ``"libx264"``; ``size`` (width, height) must be
    even; ``fmt`` forces a container format (``"mjpeg"``, ``"h264"`` for raw streams). Returns
    the sorted pts of the frames as decoded back from the file (in the stream's time base;
    raw streams without pts give fewer), so ``pts[i]`` belongs to frame number ``first + i``.
    """
    width, height = size
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = PIX_FMT.get(codec, "yuv420p")
        if codec != "mjpeg":
            stream.bit_rate = 2_000_000  # ample for tiny frames: cells stay flat
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(number_image(first + i, size), format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return decoded_pts(path, fmt)


def decoded_pts(path: Path, fmt: str | None = None) -> list[int]:
    """Oracle: sorted pts of every frame that decodes, packet by packet, errors skipped.

    Decodes with slice threads like the reader does: which frames of a damaged stream survive
    can depend on the threading.
    """
    out: list[int] = []
    with av.open(str(path), format=fmt) as container:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"
        for packet in container.demux(stream):
            try:
                frames = stream.decode(packet)
            except (av.FFmpegError, ValueError):
                continue
            out.extend(int(f.pts) for f in frames if f.pts is not None)
    return sorted(out)


def decoded_numbers(path: Path, fmt: str | None = None) -> dict[int, int | None]:
    """Oracle: pts -> :func:`frame_number` of every frame that decodes (errors skipped)."""
    out: dict[int, int | None] = {}
    with av.open(str(path), format=fmt) as container:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"
        for packet in container.demux(stream):
            try:
                frames = stream.decode(packet)
            except (av.FFmpegError, ValueError):
                continue
            for f in frames:
                if f.pts is not None:
                    out[int(f.pts)] = frame_number(f.to_ndarray(format="bgr24"))
    return out


def truncate(path: Path, fraction: float) -> int:
    """Keep only the first ``fraction`` (0-1) of the file's bytes; returns the new size."""
    data = path.read_bytes()
    keep = int(len(data) * fraction)
    path.write_bytes(data[:keep])
    return keep


def corrupt_middle(
    path: Path, fraction: float = 0.1, *, at: float = 0.5, seed: int = 0
) -> tuple[int, int]:
    """Overwrite ``fraction`` of the file's bytes, centred at ``at`` (0-1) of its length, with
    random bytes.

    The file keeps its length (container indexes stay valid, the data they point to is
    garbage). Small mp4 files keep their index (``moov``) in the last third or so: choose
    ``at`` below that to damage frames rather than the index. Returns the damaged byte range
    ``(start, stop)``.
    """
    data = bytearray(path.read_bytes())
    size = max(1, int(len(data) * fraction))
    start = min(max(int(len(data) * at) - size // 2, 0), len(data) - size)
    data[start : start + size] = np.random.default_rng(seed).bytes(size)
    path.write_bytes(bytes(data))
    return start, start + size
