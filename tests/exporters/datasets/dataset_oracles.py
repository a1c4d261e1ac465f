"""Independent readers of exported datasets, written from the format rules (dataset-export spec §2,
§3), not from gazeport's writers: a YOLO checker applying Ultralytics' dataset rules, the VOC XSD
through xmlschema, pycocotools' COCOeval of the ground truth against itself. Each returns the boxes
it read, in pixels, so tests can compare them with the store's boxes."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import cv2
import xmlschema
import yaml

XSD = Path(__file__).with_name("voc.xsd")
# Ultralytics' IMG_FORMATS (ultralytics/data/utils.py), matched case-insensitively
IMG_FORMATS = {"bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", "heic"}
PixelBox = tuple[str, float, float, float, float]  # label, x0, y0, x1, y1


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image file, read by OpenCV."""
    img = cv2.imread(str(path))
    assert img is not None, f"{path} is not a readable image"
    return img.shape[1], img.shape[0]


def check_yolo(root: Path) -> dict[str, dict[str, list[PixelBox]]]:
    """Apply Ultralytics' rules; return ``{split: {stem: [(class index, px box)]}}``."""
    data = yaml.safe_load((root / "data.yaml").read_text("utf-8"))
    assert isinstance(data, dict) and "train" in data and "val" in data
    assert "validation" not in data
    assert "path" not in data or isinstance(data["path"], str)
    names = data["names"]
    if isinstance(names, dict):
        assert sorted(names) == list(range(len(names))), "names keys must be 0..n-1"
        names = [names[i] for i in range(len(names))]
    assert isinstance(names, list) and all(isinstance(n, str) for n in names)
    if "nc" in data:
        assert data["nc"] == len(names)
    classes_txt = root / "classes.txt"
    if classes_txt.is_file():
        assert len(classes_txt.read_text("utf-8").splitlines()) == len(names)
    out: dict[str, dict[str, list[PixelBox]]] = {}
    base = Path(data["path"]) if "path" in data else root
    for split in ("train", "val", "test"):
        if split not in data:
            continue
        img_dir = base / data[split]
        assert img_dir.is_dir() and "images" in img_dir.parts
        parts = list(img_dir.parts)
        i = len(parts) - 1 - parts[::-1].index("images")
        lbl_dir = Path(*parts[:i], "labels", *parts[i + 1 :])
        images = [p for p in img_dir.iterdir() if p.suffix[1:].lower() in IMG_FORMATS]
        stems = [p.stem for p in images]
        assert len(stems) == len(set(stems)), "stems must be unique in a split folder"
        labels = {p.stem for p in lbl_dir.glob("*.txt")} if lbl_dir.is_dir() else set()
        assert labels == set(stems), "one .txt per image (empty for background), no orphans"
        per: dict[str, list[PixelBox]] = {}
        for img in images:
            w, h = image_size(img)
            text = (lbl_dir / f"{img.stem}.txt").read_text("utf-8-sig")
            rows = [ln.split() for ln in text.splitlines() if ln.strip()]
            assert len(rows) == len({tuple(r) for r in rows}), "duplicate rows"
            boxes = []
            for r in rows:
                assert len(r) == 5, f"{img.stem}: {r} must have 5 columns"
                cls = int(r[0])
                assert str(cls) == r[0] and 0 <= cls < len(names)
                cx, cy, bw, bh = map(float, r[1:])
                assert all(0 <= v <= 1 for v in (cx, cy, bw, bh)) and bw > 0 and bh > 0
                assert cx - bw / 2 >= -1e-6 and cx + bw / 2 <= 1 + 1e-6
                assert cy - bh / 2 >= -1e-6 and cy + bh / 2 <= 1 + 1e-6
                boxes.append(
                    (
                        names[cls],
                        (cx - bw / 2) * w,
                        (cy - bh / 2) * h,
                        (cx + bw / 2) * w,
                        (cy + bh / 2) * h,
                    )
                )
            per[img.stem] = boxes
        out[split] = per
    return out


def check_voc(root: Path) -> dict[str, list[PixelBox]]:
    """Validate every XML against the XSD and the folder rules; return ``{stem: boxes}``."""
    schema = xmlschema.XMLSchema(XSD)
    xmls = sorted((root / "Annotations").glob("*.xml"))
    out: dict[str, list[PixelBox]] = {}
    for x in xmls:
        schema.validate(x)
        doc = schema.to_dict(x)
        assert isinstance(doc, dict)
        img = root / "JPEGImages" / doc["filename"]
        w, h = doc["size"]["width"], doc["size"]["height"]
        if img.is_file():
            assert image_size(img) == (w, h)
        boxes = []
        for o in doc.get("object", []):
            b = o["bndbox"]
            assert 0 <= b["xmin"] < b["xmax"] <= w and 0 <= b["ymin"] < b["ymax"] <= h
            boxes.append((o["name"] or "", b["xmin"], b["ymin"], b["xmax"], b["ymax"]))
        out[x.stem] = boxes
    images = (
        {p.stem for p in (root / "JPEGImages").glob("*")}
        if (root / "JPEGImages").is_dir()
        else set()
    )
    assert images <= set(out), "an image without its XML"
    listed = [s for f in (root / "ImageSets" / "Main").glob("*.txt") for s in f.read_text().split()]
    assert sorted(listed) == sorted(out), "ImageSets/Main lists every XML exactly once"
    return out


def check_coco(root: Path) -> dict[str, list[PixelBox]]:
    """Load every ``instances_<split>.json`` with pycocotools, demand AP = 1.0 of the ground truth
    against itself, unique ids across files; return ``{file_name: boxes}`` (x0, y0, x1, y1)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    out: dict[str, list[PixelBox]] = {}
    ann_ids: list[int] = []
    img_ids: list[int] = []
    for path in sorted((root / "annotations").glob("instances_*.json")):
        split = path.stem.removeprefix("instances_")
        raw = json.loads(path.read_text("utf-8"))
        assert {"info", "licenses", "images", "annotations", "categories"} <= set(raw)
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(str(path))
        cats = {c["id"]: c["name"] for c in gt.dataset["categories"]}
        assert all(isinstance(i, int) and i >= 1 for i in cats)
        img_ids += [im["id"] for im in gt.dataset["images"]]
        ann_ids += [a["id"] for a in gt.dataset["annotations"]]
        for im in gt.dataset["images"]:
            f = root / "images" / split / im["file_name"]
            if f.is_file():
                assert image_size(f) == (im["width"], im["height"])
            out[im["file_name"]] = []
        for a in gt.dataset["annotations"]:
            x, y, w, h = a["bbox"]
            assert a["area"] == w * h and a["iscrowd"] == 0 and a["category_id"] in cats
            name = gt.imgs[a["image_id"]]["file_name"]
            out[name].append((cats[a["category_id"]], x, y, x + w, y + h))
        if gt.dataset["annotations"]:
            res = [
                {
                    "image_id": a["image_id"],
                    "category_id": a["category_id"],
                    "bbox": a["bbox"],
                    "score": 1.0,
                }
                for a in gt.dataset["annotations"]
            ]
            with contextlib.redirect_stdout(io.StringIO()):
                ev = COCOeval(gt, gt.loadRes(res), "bbox")
                ev.evaluate()
                ev.accumulate()
                ev.summarize()
            assert abs(ev.stats[0] - 1.0) < 1e-9, f"{path.name}: AP of the ground truth vs itself"
    assert len(ann_ids) == len(set(ann_ids)) and min(ann_ids, default=1) >= 1
    assert len(img_ids) == len(set(img_ids)) and min(img_ids, default=1) >= 1
    return out
