"""A few :class:`~gazeport.video.reader.FrameReader` of one frame table, shared by threads.

A web server answers frame requests from a thread pool: a player stepping through frames, a
labeller jumping between tasks, a second tab. One reader behind a lock makes them take turns
and makes each one's reader position useless to the next (every request seeks). The pool keeps
up to ``size`` readers, each used by one thread at a time, and gives a request to the idle
reader that decodes the fewest frames to reach it (one that just returned the previous frame
decodes one), opening another reader only when every idle one would have to seek.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from .reader import SEEK_FRAMES, FrameReader, VideoFrame

#: Readers per pool: a decoder each; more than the cores gains nothing.
DEFAULT_POOL_SIZE = 3


class ReaderPool:
    """Thread-safe frames of one table: ``frame(index)`` as :meth:`FrameReader.frame`.

    ``open_reader`` makes a new reader of the same table (called at most ``size`` times).
    Frame ``k`` is the same image whichever reader decodes it.
    """

    def __init__(self, open_reader: Callable[[], FrameReader], size: int = DEFAULT_POOL_SIZE):
        if size < 1:
            raise ValueError(f"A reader pool needs at least one reader, not {size}.")
        self._open = open_reader
        self._size = size
        self._idle: list[FrameReader] = []
        self._count = 0
        self._closed = False
        self._cond = threading.Condition()

    def __len__(self) -> int:
        """Readers opened so far."""
        return self._count

    def frame(self, index: int) -> VideoFrame:
        """Frame ``index`` (see :meth:`FrameReader.frame`); waits while every reader is busy."""
        reader = self._take(index)
        try:
            return reader.frame(index)
        finally:
            with self._cond:
                if self._closed:
                    reader.close()
                else:
                    self._idle.append(reader)
                    self._cond.notify()

    def _take(self, index: int) -> FrameReader:
        with self._cond:
            while True:
                if self._closed:
                    raise ValueError("The reader pool is closed; open the recording again.")
                best = None
                if self._idle:
                    cost = [r.frames_to_decode(index) for r in self._idle]
                    best = min(range(len(cost)), key=cost.__getitem__)
                    if cost[best] <= SEEK_FRAMES or self._count >= self._size:
                        return self._idle.pop(best)
                if self._count < self._size:
                    self._count += 1
                    break
                self._cond.wait()
        try:
            return self._open()
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def close(self) -> None:
        """Close the idle readers now and busy ones when they are handed back."""
        with self._cond:
            self._closed = True
            for reader in self._idle:
                reader.close()
            self._idle.clear()
            self._cond.notify_all()

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
