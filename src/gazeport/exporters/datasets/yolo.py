"""YOLO (Ultralytics) writer: ``labels/<split>/<stem>.txt`` (empty for background images) and
``data.yaml`` written by hand (no PyYAML at run time), names in stable class-id order."""

from __future__ import annotations

import json
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


def _quote(s: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar (YAML 1.2 is a JSON superset).
    return json.dumps(s, ensure_ascii=False)


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


def write_yolo_meta(root: Path, splits: Sequence[str], classes: ClassMap, absolute: bool) -> None:
    (root / "data.yaml").write_text(
        data_yaml(splits, classes, root.resolve() if absolute else None), "utf-8"
    )
    (root / "classes.txt").write_text(
        "".join(c.name.replace("\n", " ") + "\n" for c in classes.classes), "utf-8"
    )
