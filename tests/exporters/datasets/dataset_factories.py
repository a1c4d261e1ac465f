"""Synthetic label data for the dataset-export tests, and an image writer that counts its calls."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np

from gazeport.labels.records import BoxRecord, ClassRecord, TaskRecord

CLASSES = [ClassRecord(2, "person"), ClassRecord(1, "car"), ClassRecord(3, "sign")]


def task(
    tid: int,
    recording: str = "s1/000",
    frame: int | None = None,
    boxes: tuple[tuple[int, float, float, float, float], ...] = ((1, 2, 3, 10, 8),),
    width: int = 64,
    height: int = 48,
    status: str = "reviewed",
) -> TaskRecord:
    """One task; box ids are ``tid * 10 + i`` so they are unique and stable."""
    bx = tuple(
        BoxRecord(tid * 10 + i, tid, c, "", x, y, w, h) for i, (c, x, y, w, h) in enumerate(boxes)
    )
    return TaskRecord(
        tid,
        recording,
        Path("/nowhere") / recording,
        f"rid-{recording}",
        tid if frame is None else frame,
        10**18 + tid,
        width,
        height,
        status,  # type: ignore[arg-type]
        bx,
    )


def tasks(n: int = 9, recordings: int = 3, start: int = 1) -> list[TaskRecord]:
    """``n`` tasks spread over ``recordings`` recordings, one box each of class 1 or 2."""
    return [
        task(i, f"s{i % recordings}/000", boxes=((1 + i % 2, 2, 3, 10, 8),))
        for i in range(start, start + n)
    ]


def moved_box(t: TaskRecord, dx: float) -> TaskRecord:
    """``t`` with its first box moved ``dx`` pixels to the right."""
    b = t.boxes[0]
    return dataclasses.replace(t, boxes=(dataclasses.replace(b, x=b.x + dx), *t.boxes[1:]))


class ImageWriter:
    """A ``write_images`` stand-in: writes black frames, records which tasks it was asked for.

    ``fail`` holds task ids it reports as failed (None); ``raise_after`` raises that exception
    once that many images are written.
    """

    def __init__(
        self, fail: set[int] | None = None, raise_exc: BaseException | None = None
    ) -> None:
        self.calls: list[list[int]] = []
        self.fail = fail or set()
        self.raise_exc = raise_exc

    @property
    def asked(self) -> list[int]:
        return [i for c in self.calls for i in c]

    def __call__(self, reqs: list[tuple[TaskRecord, Path]]) -> dict[int, tuple[int, int] | None]:
        self.calls.append([t.id for t, _ in reqs])
        out: dict[int, tuple[int, int] | None] = {}
        for t, dest in reqs:
            if self.raise_exc is not None and out:
                raise self.raise_exc
            if t.id in self.fail:
                dest.write_bytes(b"half a jpeg")
                out[t.id] = None
                continue
            ext = dest.suffix
            ok, buf = cv2.imencode(ext, np.full((t.height, t.width, 3), t.id % 255, np.uint8))
            assert ok
            dest.write_bytes(buf.tobytes())
            out[t.id] = (t.width, t.height)
        return out


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """``{relative path: (inode, mtime ns)}`` of every file and folder under ``root`` (and it)."""
    out = {".": (root.stat().st_ino, root.stat().st_mtime_ns)}
    for p in sorted(root.rglob("*")):
        st = p.stat()
        out[p.relative_to(root).as_posix()] = (st.st_ino, st.st_mtime_ns)
    return out
