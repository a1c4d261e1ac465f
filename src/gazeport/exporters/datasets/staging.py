"""The temporary folder an export is written into, the old folder it may reuse files from, and the
swap that puts the new folder in place.

Why a whole new folder rather than editing the old one in place: a crash, a full disk or Ctrl-C at
any moment leaves either the old dataset or the new one, never a mix. Files that did not change
are hard-linked from the old folder (same inode, same mtime, no bytes copied), falling back to a
copy that keeps the mtime when the file system cannot link. They are never *moved* out of the old
folder: until the swap, the old dataset must stay complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        with a.open("rb") as fa, b.open("rb") as fb:
            while True:
                ca, cb = fa.read(1 << 16), fb.read(1 << 16)
                if ca != cb:
                    return False
                if not ca:
                    return True
    except OSError:
        return False


def carry(src: Path, dest: Path) -> bool:
    """Hard-link ``src`` to ``dest`` (copy with its mtime if linking fails); False if ``src`` is gone."""
    if not src.is_file():
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)
    return True


class Staging:
    """One export run's temporary folder ``tmp`` next to ``out_dir``, and the old folder to reuse.

    ``old`` is None for a full rewrite. Counters say what the run wrote and what it carried over.
    """

    def __init__(self, out_dir: Path, old: Path | None) -> None:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.old = old
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
        self.reused: set[str] = set()
        self.images_written = 0
        self.images_reused = 0

    def reuse(self, rel: str, old_rel: str | None = None) -> bool:
        """Carry ``old/old_rel`` (default ``rel``) over as ``tmp/rel``; False if there is none."""
        if self.old is None or not carry(self.old / (old_rel or rel), self.tmp / rel):
            return False
        self.reused.add(rel)
        return True

    def settle(self, skip: set[str]) -> tuple[int, int]:
        """Replace every freshly written file whose bytes equal the old one's by a link to it.

        ``skip`` holds relative paths not to compare (freshly decoded images). Returns
        ``(files written, files reused)`` without images.
        """
        if self.old is None:  # a full rewrite: every file is new, nothing to compare with
            return sum(len(f) for _, _, f in os.walk(self.tmp)) - self.images_written, 0
        written = 0
        for path in sorted(p for p in self.tmp.rglob("*") if p.is_file()):
            rel = path.relative_to(self.tmp).as_posix()
            if rel in self.reused or rel in skip:
                continue
            if _same_bytes(path, self.old / rel):
                path.unlink()
                carry(self.old / rel, path)
                self.reused.add(rel)
            else:
                written += 1
        return written, len(self.reused) - self.images_reused

    def swap(self) -> None:
        """Rename ``tmp`` onto ``out_dir``; the old folder is moved aside first and removed after.

        If the second rename fails, the old folder is put back, so ``out_dir`` always holds a
        whole dataset.
        """
        out_dir = self.out_dir
        aside = None
        if out_dir.exists():
            aside = out_dir.with_name(f".{out_dir.name}.old-{self.tmp.name[-8:]}")
            out_dir.rename(aside)
        try:
            self.tmp.rename(out_dir)
        except BaseException:
            if aside is not None:
                aside.rename(out_dir)
            raise
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)

    def discard(self) -> None:
        """Remove the temporary folder (after any failure, Ctrl-C included)."""
        shutil.rmtree(self.tmp, ignore_errors=True)
