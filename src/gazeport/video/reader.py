"""Decoding video frames by frame index through a frame table, with gray frames where needed.

:class:`FrameReader` turns rows of a frame table (``FRAME_TABLE_DTYPE``: container_idx,
container_frame_idx, timestamp, pts) into BGR images. Row ``i`` is frame ``i`` (Pupil Player's
frame index): a real row is found in video part ``container_idx`` by decoding until a frame
with exactly the row's ``pts`` comes out (spec 3.3); a virtual row, or a real one that cannot
be decoded, gives a gray frame (value 128) of the table's frame size.

Reading is sequential where it can be: each part keeps its decoder position, and a frame that
simply follows the previous one is decoded without seeking, whether it was asked for by
:meth:`FrameReader.frame` or :meth:`FrameReader.frames`. Each part's keyframes are known from
one demux pass (:func:`gazeport.video.demux.keyframe_pts`, cached per file): a jump decodes
forward when that is no more work than seeking to the keyframe at or before the wanted frame
and decoding from there, and seeks to exactly that keyframe otherwise (so random access costs
at most one keyframe interval of decoding). Without keyframe pts (raw streams) a seek happens
when going backwards or jumping further ahead than the keyframe interval seen so far. Damaged input never raises and never loops: a missing or unreadable part file,
truncated data, garbage bytes and decoder errors all give gray frames, every decode loop is
bounded, and :meth:`FrameReader.failure_summary` says how many frames were gray for that reason.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._lazy import LazyModule

if TYPE_CHECKING:
    import av
else:  # imported on first use: it loads slowly and only decoding needs it
    av = LazyModule("av")

from .._types import FRAME_TABLE_DTYPE
from ..errors import CorruptFileError
from .demux import _open_input, keyframe_pts

#: Gray level of virtual and undecodable frames (Player's ``FakeFrame``).
GRAY_LEVEL = 128
#: Frames decoded forward instead of seeking while a part's keyframe interval is unknown.
DEFAULT_FORWARD_FRAMES = 64
#: Consecutive demuxer errors (no packet read) after which the rest of a part is given up.
MAX_DEMUX_ERRORS = 32
#: Frames past a wanted one decoded before it counts as lost (damaged streams reorder).
REORDER_WINDOW = 4
#: Packets read beyond a part's frame count before a search gives up (decoder delay, junk).
PACKET_SLACK = 256
#: What a seek costs, in decoded frames: a jump decodes forward unless seeking saves more.
SEEK_FRAMES = 4


def _errors_or_corrupt() -> tuple[type[BaseException], ...]:
    return (CorruptFileError, *_av_errors())


def _av_errors() -> tuple[type[BaseException], ...]:
    """What PyAV raises on a bad file (a function: PyAV is imported on first use)."""
    return (av.FFmpegError, ValueError, OSError)


@dataclass(slots=True)
class VideoFrame:
    """One frame of the table.

    ``index`` is the row (frame index), ``timestamp`` the row's time [s] (not the container's),
    ``image`` a ``(height, width, 3)`` uint8 BGR array of the table's frame size that the caller
    owns (writable, C-contiguous, shared with nothing), ``virtual`` is ``True`` for a gray frame.
    """

    index: int
    timestamp: float
    image: npt.NDArray[np.uint8]
    virtual: bool


@dataclass
class ReadCounters:
    """What a :class:`FrameReader` did so far (for tests and benchmarks).

    ``seeks``: container seeks (a reopen after a failed seek counts too); ``decoded``: frames
    the codec produced, including those skipped on the way to a wanted frame; ``returned``:
    :class:`VideoFrame` objects handed out; ``gray_gaps``: gray frames for rows without a
    recorded video frame (gap filling, timestamps beyond the video's frames);
    ``gray_failed``: gray frames for recorded frames that could not be decoded.
    """

    seeks: int = 0
    decoded: int = 0
    returned: int = 0
    gray_gaps: int = 0
    gray_failed: int = 0

    @property
    def virtual(self) -> int:
        """All gray frames returned: ``gray_gaps + gray_failed``."""
        return self.gray_gaps + self.gray_failed


def _frame_pts(frame: Any) -> int:
    return int(frame.pts)


class _Part:
    """Decoder state of one video part: open container, demux iterator and undelivered frames."""

    def __init__(self, path: Path, pts: npt.NDArray[np.int64]) -> None:
        self.path = path
        self.pts = pts  # sorted pts of this part's rows: positions for seek decisions
        self.stack: ExitStack | None = None
        self.stream: Any = None
        self.container: Any = None
        self.packets: Iterator[Any] | None = None
        self.decoded: deque[Any] = deque()  # decoder output not looked at yet, in its order
        self.ahead: list[Any] = []  # frames found past a wanted one, sorted by pts
        self.pos: int = -1  # position in ``pts`` of the last row resolved; -1: at file start
        self.eof = False
        self.error: str | None = None  # why the whole part is unreadable
        self.gop = 0  # largest keyframe distance seen (0: unknown)
        self.since_key: int | None = None
        self.budget = 0  # packets the current search may still read
        self.keys: npt.NDArray[np.int64] | None = None  # keyframe pts; empty: unknown

    def open(self) -> bool:
        """Open the container if needed; ``False`` (and ``error`` set) if it cannot be read."""
        if self.container is not None:
            return True
        if self.error is not None:
            return False
        stack = ExitStack()
        try:
            container = stack.enter_context(_open_input(self.path))
        except FileNotFoundError:
            self.error = "the file is missing"
        except _errors_or_corrupt():
            self.error = "the file cannot be opened as a video"
        if self.error is not None:
            stack.close()
            return False
        self.stack, self.container = stack, container
        self.stream = container.streams.video[0]
        # Slice threads only: FFmpeg's frame threads can deadlock in avcodec_free_context when
        # a context that met damaged data is closed (seen once in the suite, on the
        # garbage-in-the-middle video), which would hang an export for good. The encoder, not
        # decoding, bounds the speed of a video export (benchmarks/video_export.py).
        self.stream.thread_type = "SLICE"
        self.packets = container.demux(self.stream)
        self.drop_frames()
        self.pos, self.eof, self.since_key = -1, False, None
        return True

    def close(self) -> None:
        if self.stack is not None:
            self.stack.close()
        self.stack = self.container = self.stream = self.packets = None
        self.drop_frames()

    def drop_frames(self) -> None:
        self.decoded.clear()
        self.ahead.clear()


class FrameReader:
    """Frames of a frame table decoded from its video parts, gray where there is no frame.

    ``rows``: structured array of ``FRAME_TABLE_DTYPE``, shape ``(n,)``, sorted by timestamp
    (``container_idx`` -1 = virtual row); ``parts``: the video files in ``container_idx`` order
    (missing or unreadable ones give gray frames); ``frame_size``: ``(width, height)`` in pixels
    of every returned image (real frames of another size are scaled to it).

    Use it as a context manager or call :meth:`close`; containers open lazily. Every returned
    image is a new array the caller may draw on. ``counters`` (:class:`ReadCounters`) count
    seeks, decoded and gray frames; :meth:`failure_summary` gives the sentence to warn with
    when recorded frames could not be decoded. Not thread-safe: one reader per thread.
    """

    def __init__(
        self,
        rows: np.ndarray,
        parts: Sequence[Path | str],
        frame_size: tuple[int, int],
    ) -> None:
        rows = np.asarray(rows)
        if rows.ndim != 1 or rows.dtype.names is None:
            raise ValueError("rows must be a 1-D structured array of FRAME_TABLE_DTYPE.")
        missing = set(FRAME_TABLE_DTYPE.names or ()) - set(rows.dtype.names)
        if missing:
            raise ValueError(f"rows lack the frame table fields {sorted(missing)}.")
        width, height = (int(v) for v in frame_size)
        if width <= 0 or height <= 0:
            raise ValueError(f"The frame size {frame_size} must be two positive pixel counts.")
        self.rows = rows
        self.frame_size = (width, height)
        self.counters = ReadCounters()
        self._container_idx = np.asarray(rows["container_idx"], dtype=np.int64)
        self._frame_idx = np.asarray(rows["container_frame_idx"], dtype=np.int64)
        self._pts = np.asarray(rows["pts"], dtype=np.int64)
        self._timestamps = np.asarray(rows["timestamp"], dtype=np.float64)
        if self._container_idx.size and self._container_idx.max() >= len(parts):
            raise ValueError(
                f"rows point to video part {int(self._container_idx.max())} but only "
                f"{len(parts)} parts were given."
            )
        self._parts = [
            _Part(Path(p), np.sort(self._pts[self._container_idx == i]))
            for i, p in enumerate(parts)
        ]
        self._gray = np.full((height, width, 3), GRAY_LEVEL, dtype=np.uint8)
        self._gray.flags.writeable = False  # handed out as copies only
        self._reformatter = (
            av.video.reformatter.VideoReformatter()
        )  # keeps its scaler context between frames
        self._seen = np.zeros(rows.shape[0], dtype=bool)
        self._failed = np.zeros(rows.shape[0], dtype=bool)
        self._closed = False

    # --- public API ------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @property
    def parts(self) -> tuple[Path, ...]:
        """The video part files in ``container_idx`` order."""
        return tuple(p.path for p in self._parts)

    def frame(self, index: int) -> VideoFrame:
        """Frame ``index`` (0 <= index < len): decoded, or gray if virtual or undecodable.

        Seeks only when the frame does not follow the part's decoder position closely.
        """
        n = len(self)
        if not 0 <= index < n:
            raise IndexError(f"Frame index {index} is outside the frame table (0 - {n - 1}).")
        return self._read(int(index))

    def frames_to_decode(self, index: int) -> int:
        """About how many frames reading ``index`` next decodes (0 for a gray frame), counting
        a seek as :data:`SEEK_FRAMES`; a pool of readers gives a request to the cheapest."""
        if not 0 <= index < len(self):
            return 0  # frame() raises
        ci = int(self._container_idx[index])
        if ci < 0:
            return 0
        part = self._parts[ci]
        pts = int(self._pts[index])
        k = int(np.searchsorted(part.pts, pts))
        target = self._plan(part, k, pts) if part.open() else None
        if target is None:
            return k - part.pos
        return k - int(np.searchsorted(part.pts, target)) + 1 + SEEK_FRAMES

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[VideoFrame]:
        """Frames ``start <= index < stop`` in order (``stop`` defaults to the table's end).

        Decoded sequentially: at most one seek per part at the start of the range (none when
        the range starts near the beginning of a part not read before), none between
        consecutive frames.
        """
        n = len(self)
        stop = n if stop is None else stop
        if not 0 <= start <= stop <= n:
            raise IndexError(f"The frame range {start} - {stop} is outside 0 - {n}.")
        return (self._read(index) for index in range(start, stop))

    def __iter__(self) -> Iterator[VideoFrame]:
        return self.frames()

    def failed_indices(self) -> npt.NDArray[np.int64]:
        """Frame indices of recorded frames returned gray because they could not be decoded."""
        return np.flatnonzero(self._failed).astype(np.int64)

    def failure_summary(self) -> str | None:
        """One sentence saying how many returned frames are gray because decoding failed.

        ``None`` if every recorded frame returned so far decoded. Counts distinct frame indices:
        "3 of 120 frames could not be decoded and are gray (world.mp4: 3, damaged or truncated
        data)."
        """
        failed = int(self._failed.sum())
        if failed == 0:
            return None
        per_part = np.bincount(
            self._container_idx[self._failed] + 1, minlength=len(self._parts) + 1
        )
        details = []
        for i, part in enumerate(self._parts):
            count = int(per_part[i + 1])
            if count:
                details.append(
                    f"{part.path.name}: {count}, {part.error or 'damaged or truncated data'}"
                )
        if per_part[0]:
            details.append(f"{int(per_part[0])} without a decodable video file")
        return (
            f"{failed} of {int(self._seen.sum())} frames could not be decoded and are gray "
            f"({'; '.join(details)})."
        )

    def close(self) -> None:
        """Close every open container; the reader cannot be used afterwards."""
        for part in self._parts:
            part.close()
        self._closed = True

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- reading ---------------------------------------------------------------------------

    def _read(self, index: int) -> VideoFrame:
        if self._closed:
            raise ValueError("The FrameReader is closed; open the video again to read frames.")
        self.counters.returned += 1
        self._seen[index] = True
        ci = int(self._container_idx[index])
        image: npt.NDArray[np.uint8] | None = None
        if ci >= 0:
            image = self._decode(self._parts[ci], int(self._pts[index]))
        if image is not None:
            self._failed[index] = False
            return VideoFrame(index, float(self._timestamps[index]), image, False)
        if ci < 0 and self._frame_idx[index] < 0:
            self.counters.gray_gaps += 1
        else:
            self.counters.gray_failed += 1
            self._failed[index] = True
        return VideoFrame(index, float(self._timestamps[index]), self._gray.copy(), True)

    def _decode(self, part: _Part, pts: int) -> npt.NDArray[np.uint8] | None:
        """The frame with ``pts`` of ``part`` as a BGR image, or ``None`` if it does not decode."""
        if not part.open():
            return None
        k = int(np.searchsorted(part.pts, pts))
        target = self._plan(part, k, pts)
        seeked = False
        if target is not None:
            if not self._seek(part, target):
                return None
            seeked = True
        part.pos = k
        frame, overshot = self._find(part, pts)
        if frame is None and seeked and overshot and k > 0:
            # The seek landed after the wanted frame (open GOPs, B-frames, a damaged keyframe):
            # retry once from an earlier row of the part.
            back = max(2 * part.gop, DEFAULT_FORWARD_FRAMES)
            if self._seek(part, int(part.pts[max(k - back, 0)])):
                frame, _ = self._find(part, pts)
        return None if frame is None else self._to_bgr(frame)

    def _keys(self, part: _Part) -> npt.NDArray[np.int64]:
        if part.keys is None:
            try:
                part.keys = keyframe_pts(part.path)
            except _errors_or_corrupt():
                part.keys = np.empty(0, dtype=np.int64)
        return part.keys

    def _plan(self, part: _Part, k: int, pts: int) -> int | None:
        """Where to seek before decoding row ``k`` (``pts``) of ``part``; ``None``: decode on."""
        keys = self._keys(part)
        at = int(np.searchsorted(keys, pts, "right")) - 1
        if at >= 0:
            key_row = int(np.searchsorted(part.pts, keys[at]))  # first row at the keyframe
            if part.pos < k and k - part.pos <= k - key_row + 1 + SEEK_FRAMES:
                return None
            return int(keys[at])
        forward = part.gop or DEFAULT_FORWARD_FRAMES
        if k <= part.pos or k - part.pos > forward:
            return pts  # the demuxer seeks to the keyframe at or before it
        return None

    def _seek(self, part: _Part, pts: int) -> bool:
        """Position ``part`` at the keyframe at or before ``pts``; ``False`` if that fails."""
        self.counters.seeks += 1
        try:
            part.container.seek(pts, stream=part.stream)
        except _av_errors():
            # Some raw streams cannot seek: start again from the top of the file instead.
            part.close()
            if not part.open():
                return False
        else:
            part.packets = part.container.demux(part.stream)
            part.drop_frames()
            part.eof, part.since_key = False, None
        return True

    def _find(self, part: _Part, pts: int) -> tuple[Any, bool]:
        """Decode forward to the frame with ``pts``: ``(frame, False)``, or ``(None, overshot)``.

        Frames past ``pts`` are kept for the rows that want them. A damaged stream can deliver
        frames out of order, so up to :data:`REORDER_WINDOW` of them are decoded before the
        wanted frame counts as lost. At most the part's frame count plus
        :data:`PACKET_SLACK` packets are read.
        """
        part.budget = part.pts.size + PACKET_SLACK
        ahead = part.ahead
        while ahead and ahead[0].pts < pts:
            ahead.pop(0)
        if ahead and ahead[0].pts == pts:
            return ahead.pop(0), False
        while len(ahead) <= REORDER_WINDOW:
            frame = self._next_frame(part)
            if frame is None:
                return None, bool(ahead)
            if frame.pts is None or frame.pts < pts:
                continue
            if frame.pts == pts:
                return frame, False
            bisect.insort(ahead, frame, key=_frame_pts)
        return None, True

    def _next_frame(self, part: _Part) -> Any:
        """The part's next decoded frame, or ``None`` at its end or when the budget is spent."""
        if part.decoded:
            return part.decoded.popleft()
        demux_errors = 0
        while not part.eof and part.packets is not None:
            if part.budget <= 0 or demux_errors >= MAX_DEMUX_ERRORS:
                part.eof = True  # give up on this pass; a later seek starts over
                break
            try:
                packet = next(part.packets)
            except StopIteration:
                part.eof = True
                break
            except _av_errors():
                # A generator that raised is finished; a new one reads on from the same place.
                # The demuxer may fail again without moving on, hence the count.
                demux_errors += 1
                part.packets = part.container.demux(part.stream)
                continue
            demux_errors = 0
            part.budget -= 1
            try:
                decoded = part.stream.decode(packet)
            except av.error.EOFError:
                part.eof = True
                break
            except _av_errors():
                continue  # a damaged packet: its frame is lost, later ones may decode
            for frame in decoded:
                self._note_keyframe(part, frame)
            self.counters.decoded += len(decoded)
            part.decoded.extend(decoded)
            if part.decoded:
                return part.decoded.popleft()
        return None

    @staticmethod
    def _note_keyframe(part: _Part, frame: Any) -> None:
        """Learn the keyframe interval, which decides between decoding forward and seeking."""
        if frame.key_frame:
            if part.since_key is not None:
                part.gop = max(part.gop, part.since_key + 1)
            part.since_key = 0
        elif part.since_key is not None:
            part.since_key += 1

    def _to_bgr(self, frame: Any) -> npt.NDArray[np.uint8] | None:
        """``frame`` as a BGR array of the table's frame size, ``None`` if it cannot convert."""
        width, height = self.frame_size
        same_size = frame.width == width and frame.height == height
        try:
            out = self._reformatter.reformat(
                frame,
                width=None if same_size else width,
                height=None if same_size else height,
                format="bgr24",
            )
            image = np.asarray(out.to_ndarray(), dtype=np.uint8)
        except _av_errors():
            return None
        # The array views the converted frame's memory, which nothing else uses; copy only if
        # it is the decoder's own frame or padded rows make it non-contiguous.
        if out is frame or not image.flags.c_contiguous or not image.flags.writeable:
            image = np.array(image, order="C")
        return image
