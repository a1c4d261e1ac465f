"""Pascal VOC writer: ``Annotations/<stem>.xml`` for every image (also without objects),
``ImageSets/Main/<split>.txt``.

Pixel convention (SATIn's example, CVAT/Datumaro): ``xmin = round(x)``, ``xmax = round(x + w)``
(half up), 0-based, integers, clamped to ``[0, W]``/``[0, H]``; a box that collapses after rounding keeps
1 px. ``truncated`` is 1 when the stored box was clipped at the image border.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from gazeport.exporters.datasets.boxes import ClassMap, ImageItem

# characters XML 1.0 cannot hold at all, not even escaped (ElementTree would write them raw)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(s: str) -> str:
    """``s`` with characters XML 1.0 forbids replaced by U+FFFD; ``&<>`` are escaped on write."""
    return _NOT_XML.sub("\ufffd", s)


def _round(v: float) -> int:
    # half up (10.5 -> 11), not Python's half-to-even round(): the rule the docs state
    return math.floor(v + 0.5)


def _int_span(a: float, b: float, limit: int) -> tuple[int, int]:
    lo = min(max(_round(a), 0), limit)
    hi = min(max(_round(b), 0), limit)
    if hi <= lo:
        if lo < limit:
            hi = lo + 1
        else:
            lo = hi - 1
    return lo, hi


def voc_element(item: ImageItem, classes: ClassMap, folder: str) -> ET.Element:
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = folder
    ET.SubElement(root, "filename").text = xml_text(item.file_name)
    src = ET.SubElement(root, "source")
    ET.SubElement(src, "database").text = "gazeport"
    size = ET.SubElement(root, "size")
    ET.SubElement(size, "width").text = str(item.width)
    ET.SubElement(size, "height").text = str(item.height)
    ET.SubElement(size, "depth").text = "3"
    ET.SubElement(root, "segmented").text = "0"
    for b in item.boxes:
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = xml_text(classes.name(b.box.class_id))
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = "1" if b.clipped else "0"
        ET.SubElement(obj, "difficult").text = "0"
        bb = ET.SubElement(obj, "bndbox")
        x0, x1 = _int_span(b.x, b.x + b.w, item.width)
        y0, y1 = _int_span(b.y, b.y + b.h, item.height)
        for tag, v in (("xmin", x0), ("ymin", y0), ("xmax", x1), ("ymax", y1)):
            ET.SubElement(bb, tag).text = str(v)
    return root


def write_voc_xml(root: Path, item: ImageItem, classes: ClassMap) -> Path:
    path = root / "Annotations" / f"{item.stem}.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(voc_element(item, classes, "JPEGImages"))
    ET.indent(tree, space="  ")  # one element a line, as the devkit's files and labelImg's
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


def write_image_sets(root: Path, items: Sequence[ImageItem]) -> None:
    main = root / "ImageSets" / "Main"
    main.mkdir(parents=True, exist_ok=True)
    by: dict[str, list[str]] = {}
    for it in items:
        by.setdefault(it.split, []).append(it.stem)
    for split, stems in by.items():
        (main / f"{split}.txt").write_text("".join(s + "\n" for s in stems), "utf-8")
