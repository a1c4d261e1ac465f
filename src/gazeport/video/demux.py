"""Demuxing video files with PyAV: stream facts and packet timestamps, without decoding.

Containers are opened the way Pupil Player opens them, with the file extension as the demuxer
name (needed for raw ``.mjpeg`` / ``.h264`` streams); when FFmpeg has no demuxer of that name
(``.mkv``) or it rejects the file, the format is auto-detected. Every container is closed
before a function returns.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import CorruptFileError

#: Extensions of real video files in a recording (Player's list without the pseudo-video ``fake``).
VIDEO_EXTENSIONS: tuple[str, ...] = ("mp4", "mjpeg", "h264", "mkv", "avi")


def _av_errors() -> tuple[type[BaseException], ...]:
    """What PyAV raises for a bad file. PyAV is imported here and in :func:`_open_input`, not
    with this module: a recording's frame table is often cached or has no video to scan."""
    import av

    return (av.FFmpegError, ValueError, OSError)


def _damaged_video_errors() -> tuple[type[BaseException], ...]:
    return (CorruptFileError, *_av_errors())


@dataclass(frozen=True)
class VideoStreamInfo:
    """Facts about the first video stream of a file.

    ``width``/``height`` in pixels (0 if the demuxer cannot tell), ``codec`` is FFmpeg's codec
    name, ``packets`` the number of video packets (the final empty flush packet not counted),
    ``time_base`` the seconds per pts tick (``None`` if unknown).
    """

    width: int
    height: int
    codec: str
    packets: int
    time_base: Fraction | None


@contextmanager
def _open_input(path: Path) -> Iterator[Any]:
    """Open ``path`` for reading: extension as format first, then auto-detection."""
    if not path.exists():
        raise FileNotFoundError(f"The video file {path} does not exist; check the path.")
    if path.is_dir():
        raise CorruptFileError(f"{path} is a folder, not a video file.", path)
    if path.stat().st_size == 0:
        # Raw demuxers (h264, mjpeg) accept an empty file as a stream without packets.
        raise CorruptFileError(
            f"{path} is empty (0 bytes); replace it or remove it from the recording.", path
        )
    import av

    fmt = path.suffix[1:].lower() or None
    try:
        container = av.open(str(path), format=fmt)
    except _av_errors() as first_exc:
        try:
            container = av.open(str(path))
        except _av_errors():
            raise CorruptFileError(
                f"{path} cannot be opened as a video ({first_exc}); the file is damaged or not "
                "a video. Replace it or remove it from the recording.",
                path,
            ) from first_exc
    with container:
        if not container.streams.video:
            raise CorruptFileError(
                f"{path} holds no video stream; replace it or remove it from the recording.",
                path,
            )
        yield container


def _demux_error(path: Path, exc: BaseException) -> CorruptFileError:
    return CorruptFileError(
        f"{path} cannot be demuxed ({exc}); the video file is damaged. Replace it or remove it "
        "from the recording.",
        path,
    )


def scan(
    path: Path | str, *, skip_first: bool = False
) -> tuple[VideoStreamInfo, npt.NDArray[np.int64]]:
    """:func:`probe` and :func:`packet_pts` in a single demux pass (no decoding).

    ``skip_first`` leaves out the first demuxed packet (Player's repair of Pupil Invisible
    videos whose first frame does not decode, see :func:`first_packet_broken`).
    """
    path = Path(path)
    with _open_input(path) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        try:
            raw = [packet.pts for packet in container.demux(stream)]
        except _av_errors() as exc:
            raise _demux_error(path, exc) from exc
        time_base = stream.time_base
        info = VideoStreamInfo(
            width=int(ctx.width or 0),
            height=int(ctx.height or 0),
            codec=str(ctx.name),
            packets=max(len(raw) - 1, 0),
            time_base=Fraction(time_base) if time_base is not None else None,
        )
    # Player's rule: the last demuxed packet is dropped. PyAV always ends demuxing with an empty
    # flush packet (pts None), so this removes exactly that one. Packets whose pts is still None
    # afterwards (raw h264 streams carry none) cannot be seeked to and are skipped.
    kept = raw[1:-1] if skip_first else raw[:-1]
    pts = np.fromiter((p for p in kept if p is not None), dtype=np.int64)
    pts.sort()
    return info, pts


#: Keyframe indices kept (one entry per video file version).
KEYFRAME_CACHE_SIZE = 32
_keyframe_cache: OrderedDict[tuple[str, int, int], npt.NDArray[np.int64]] = OrderedDict()
_keyframe_lock = threading.Lock()


def keyframe_pts(path: Path | str) -> npt.NDArray[np.int64]:
    """Sorted pts (stream ``time_base`` ticks) of the video packets flagged as keyframes.

    One demux pass (no decoding), cached per file (path, size and modification time), so
    every reader of the same video shares it. A reader seeks to the keyframe at or before the
    frame it wants and decodes forward from there. Shape ``(n_keyframes,)``, int64; empty for
    streams without pts (raw h264). Raises :class:`CorruptFileError` for files that cannot be
    opened or demuxed, ``FileNotFoundError`` if it does not exist.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"The video file {path} does not exist; check the path.") from None
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    with _keyframe_lock:
        if key in _keyframe_cache:
            _keyframe_cache.move_to_end(key)
            return _keyframe_cache[key]
    with _open_input(path) as container:
        stream = container.streams.video[0]
        try:
            raw = [p.pts for p in container.demux(stream) if p.is_keyframe and p.pts is not None]
        except _av_errors() as exc:
            raise _demux_error(path, exc) from exc
    keys = np.unique(np.asarray(raw, dtype=np.int64))
    keys.flags.writeable = False  # shared between readers
    with _keyframe_lock:
        _keyframe_cache[key] = keys
        while len(_keyframe_cache) > KEYFRAME_CACHE_SIZE:
            _keyframe_cache.popitem(last=False)
    return keys


def audio_packet_times(path: Path | str) -> npt.NDArray[np.float64]:
    """Start times [s] (pts · time_base) of the first audio stream's packets, in demux order,
    packets without pts left out, shape ``(n,)``; empty when the file has no audio stream.

    These pair one to one with the packets :class:`gazeport.video.audio.AudioTrack` decodes.
    Raises :class:`CorruptFileError` for files that cannot be opened or demuxed.
    """
    path = Path(path)
    with _open_input(path) as container:
        if not container.streams.audio:
            return np.empty(0, dtype=np.float64)
        stream = container.streams.audio[0]
        tb = float(stream.time_base) if stream.time_base is not None else 0.0
        try:
            raw = [packet.pts for packet in container.demux(stream)]
        except _av_errors() as exc:
            raise _demux_error(path, exc) from exc
    pts = np.fromiter((p for p in raw if p is not None), dtype=np.int64)
    return np.asarray(pts * tb, dtype=np.float64)


def probe(path: Path | str) -> VideoStreamInfo:
    """Describe the first video stream of ``path`` by demuxing it (no decoding).

    Raises :class:`CorruptFileError` (naming the file) if it cannot be opened or demuxed,
    ``FileNotFoundError`` if it does not exist.
    """
    return scan(path)[0]


def packet_pts(path: Path | str) -> npt.NDArray[np.int64]:
    """Presentation timestamps (stream ``time_base`` ticks) of all video packets, sorted ascending.

    Found by demuxing only. Like Pupil Player, the last demuxed packet is dropped: PyAV ends
    every demux with an empty flush packet whose pts is ``None``. Remaining packets with pts
    ``None`` are skipped. Shape ``(n_frames,)``, int64. Raises :class:`CorruptFileError` for
    files that cannot be opened or demuxed.
    """
    return scan(path)[1]


def is_decodable(path: Path | str) -> bool:
    """``True`` if at least one video frame of ``path`` decodes (Player's "valid video").

    Damaged or non-video files give ``False``; a missing file raises ``FileNotFoundError``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The video file {path} does not exist; check the path.")
    try:
        with _open_input(path) as container:
            frame = next(container.decode(container.streams.video[0]), None)
    except _damaged_video_errors():
        return False
    return frame is not None


def first_packet_broken(path: Path | str) -> bool:
    """Whether the first video packet fails to decode while the second decodes.

    This is the Pupil Invisible "broken first frame" that Player repairs by rewriting the video
    without its first packet (and dropping the first timestamp). Damaged files give ``False``.
    """
    path = Path(path)
    try:
        with _open_input(path) as container:
            stream = container.streams.video[0]
            packets = (p for p in container.demux(stream) if p.size)
            first = next(packets, None)
            second = next(packets, None)
            if first is None or second is None:
                return False
            try:
                stream.codec_context.decode(first)
            except _av_errors():
                pass
            else:
                return False
            try:
                return len(stream.codec_context.decode(second)) > 0
            except _av_errors():
                return False
    except _damaged_video_errors():
        return False
