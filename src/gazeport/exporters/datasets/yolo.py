"""YOLO (Ultralytics) writer: ``labels/<split>/<stem>.txt`` (empty for background images) and
``data.yaml`` written by hand (no PyYAML at run time), names in stable class-id order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gazeport.exporters.datasets.boxes import ClassMap, ImageItem


def yolo_lines(item: ImageItem, classes: ClassMap) -> str:
    """The label text of one image: ``class cx cy w h`` normalised, 6 decimals, clipped boxes."""
    rows = []
    for b in item.boxes:
        cx = (b.x + b.w / 2) / item.width
        cy = (b.y + b.h / 2) / item.height
        rows.append(
            f"{classes.yolo_index(b.box.class_id)} {cx:.6f} {cy:.6f} "
            f"{b.w / item.width:.6f} {b.h / item.height:.6f}\n"
        )
    return "".join(rows)


def write_yolo_label(root: Path, item: ImageItem, classes: ClassMap) -> Path:
    path = root / "labels" / item.split / f"{item.stem}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yolo_lines(item, classes), "utf-8")
    return path


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _printable(ch: str) -> bool:
    # YAML 1.1's printable set (PyYAML's reader), minus the characters YAML folds as line breaks
    o = ord(ch)
    return (
        0x20 <= o <= 0x7E
        or 0xA0 <= o <= 0xD7FF
        or (0xE000 <= o <= 0xFFFD and o not in (0xFEFF,))
        or 0x10000 <= o <= 0x10FFFF
    ) and o not in (0x2028, 0x2029)


def _quote(s: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly ``s`` in every YAML parser.

    Not ``json.dumps``: JSON leaves NEL, LINE/PARAGRAPH SEPARATOR, DEL and C1 controls raw, which
    YAML 1.1 folds into spaces or refuses as unprintable.
    """
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _printable(ch):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def data_yaml(splits: Sequence[str], classes: ClassMap, path: Path | None = None) -> str:
    """``data.yaml`` text; ``path`` omitted unless absolute paths were asked for (spec §2.2)."""
    lines = []
    if path is not None:
        lines.append(f"path: {_quote(str(path))}")
    for s in ("train", "val", "test"):
        if s in splits:
            lines.append(f"{s}: {_quote('images/' + s)}")
    if "val" not in splits and "train" in splits:
        lines.append(f"val: {_quote('images/train')}")
    lines.append(f"nc: {len(classes.classes)}")
    lines.append("names:")
    for i, c in enumerate(classes.classes):
        lines.append(f"  {i}: {_quote(c.name)}")
    return "\n".join(lines) + "\n"


def write_yolo_meta(
    root: Path,
    splits: Sequence[str],
    classes: ClassMap,
    absolute: bool,
    final_root: Path | None = None,
) -> None:
    """``data.yaml`` and ``classes.txt`` in ``root``; an absolute ``path`` names ``final_root``
    (the folder the dataset is swapped into), not the temporary folder it is written in."""
    where = (final_root or root).resolve() if absolute else None
    (root / "data.yaml").write_text(data_yaml(splits, classes, where), "utf-8")
    (root / "classes.txt").write_text(
        "".join(" ".join(c.name.splitlines()) + "\n" for c in classes.classes), "utf-8"
    )
