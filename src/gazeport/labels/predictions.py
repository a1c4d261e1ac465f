"""Importing model predictions as boxes to review: COCO JSON (results or annotations) and YOLO txt.

Images are matched to tasks by file stem, the way gazeport's dataset export names them
(``<recording folder>_<frame:06d>``, with parent folder names prepended where recordings share a
folder name, and ``-2``… where that is not enough), or by id: a COCO results list (no file names)
carries image ids, taken as task ids unless a ``manifest.json`` of a gazeport export beside the
file maps tasks to image ids. COCO results use the export's category ids, which are the store's
class ids; a COCO annotations file and YOLO files name classes through their categories,
``data.yaml`` or ``classes.txt`` (without either, the store's classes in id order, the order of
gazeport's YOLO export). Boxes get ``source="import"``, their score as confidence and the source
name as author; everything is inserted in one transaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gazeport.errors import CorruptFileError, LabelError
from gazeport.labels import validation as check
from gazeport.labels.records import ClassRecord, NewBox, TaskRecord

if TYPE_CHECKING:
    from gazeport.labels.store import LabelStore

_STEM = re.compile(r"(.+)_(\d+)")


@dataclass
class ImportReport:
    """What an import did: boxes added, and what could not be matched."""

    imported: int = 0
    unmatched_images: int = 0
    unknown_classes: dict[str, int] = field(default_factory=dict)  # class name or id → boxes
    invalid_boxes: int = 0  # zero-size, non-finite or malformed entries
    unmatched_names: list[str] = field(default_factory=list)  # the first few image names


class TaskMatcher:
    """Finds the task of an exported image by its file stem or id."""

    def __init__(self, tasks: list[TaskRecord], image_ids: dict[int, int] | None = None) -> None:
        self.by_id = {t.id: t for t in tasks}
        self.by_image_id = {
            img: self.by_id[t] for t, img in (image_ids or {}).items() if t in self.by_id
        }
        self.by_frame: dict[int, list[TaskRecord]] = {}
        for t in tasks:
            self.by_frame.setdefault(t.frame_index, []).append(t)

    def by_image(self, image_id: Any) -> TaskRecord | None:
        try:
            key = int(image_id)
        except (TypeError, ValueError):
            return None
        if self.by_image_id:
            return self.by_image_id.get(key)
        return self.by_id.get(key)

    def by_stem(self, stem: str) -> TaskRecord | None:
        m = _STEM.fullmatch(stem)
        if m is None:
            return None
        label, frame = m.group(1), int(m.group(2))
        found = [t for t in self.by_frame.get(frame, ()) if _names_match(t.recording, label)]
        if not found:
            base = re.sub(r"-\d+$", "", label)  # an ordinal the export added to equal names
            found = [t for t in self.by_frame.get(frame, ()) if _names_match(t.recording, base)]
        return found[0] if len(found) == 1 else None


def _names_match(recording: str, label: str) -> bool:
    parts = [p for p in recording.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    parts = parts or ["rec"]
    return any(
        check.file_name_part("_".join(parts[-d:])) == label for d in range(1, len(parts) + 1)
    )


class _Classes:
    def __init__(self, classes: list[ClassRecord]) -> None:
        self.by_id = {c.id: c for c in classes}
        self.by_key = {check.name_key(c.name): c for c in classes}

    def active(self, c: ClassRecord | None) -> ClassRecord | None:
        seen = 0
        while c is not None and c.retired and seen < 100:  # a merged class: its target
            c, seen = self.by_id.get(c.merged_into or -1), seen + 1
        return c

    def named(self, name: str) -> ClassRecord | None:
        return self.active(self.by_key.get(check.name_key(name.strip())))


def import_predictions(
    store: LabelStore, path: Path, format: str = "coco", source: str | None = None
) -> ImportReport:
    """Read predictions from ``path`` and add them as boxes to the matching tasks."""
    author = check.optional_text(source, "source name") or path.stem
    if not path.exists():
        raise LabelError(f"The predictions {path} do not exist; check the path.")
    tasks = store.tasks()
    classes = _Classes(store.classes(include_retired=True))
    report = ImportReport()
    unmatched: set[str] = set()
    boxes: list[NewBox] = []
    if format == "coco":
        rows = _coco_rows(path, tasks, classes)
    elif format == "yolo":
        rows = _yolo_rows(
            path, tasks, classes, [c for c in classes.by_id.values() if not c.retired]
        )
    else:
        raise LabelError(f"The prediction format {format!r} is not coco or yolo.")
    for image, task, cls, xywh, score in rows:
        if task is None:
            unmatched.add(image)
            continue
        if not xywh:  # a malformed entry
            report.invalid_boxes += 1
            continue
        if isinstance(cls, str):
            report.unknown_classes[cls] = report.unknown_classes.get(cls, 0) + 1
            continue
        try:
            x, y, w, h = check.xywh(*xywh)
            conf = None if score is None else min(max(float(score), 0.0), 1.0)
        except (LabelError, TypeError, ValueError):
            report.invalid_boxes += 1
            continue
        boxes.append(NewBox(task.id, cls.id, x, y, w, h, conf, (), "import", author))
    store.add_boxes(boxes)
    report.imported = len(boxes)
    report.unmatched_images = len(unmatched)
    report.unmatched_names = sorted(unmatched)[:10]
    return report


#: Stands in for the task of a malformed entry (counted as invalid, not as unmatched).
_ANY_TASK = TaskRecord(0, "", Path(), "", 0, 0, 1, 1, "draft")
_Row = tuple[str, "TaskRecord | None", "ClassRecord | str", tuple[Any, ...], "float | None"]


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(
            f"{path} is not a JSON file ({exc}); give COCO JSON.", path
        ) from None


def _manifest_image_ids(path: Path) -> dict[int, int] | None:
    manifest = path.parent / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        ids = json.loads(manifest.read_text("utf-8")).get("image_ids")
        return {int(k): int(v) for k, v in dict(ids).items()} if ids else None
    except (ValueError, TypeError, AttributeError):
        return None


def _coco_rows(path: Path, tasks: list[TaskRecord], classes: _Classes) -> list[_Row]:
    data = _load_json(path)
    if isinstance(data, list):  # a results list: image ids and the export's category ids
        match = TaskMatcher(tasks, _manifest_image_ids(path))
        anns, images, cats = data, None, None
    elif isinstance(data, dict) and isinstance(data.get("annotations"), list):
        match = TaskMatcher(tasks)
        anns = data["annotations"]
        images = {im.get("id"): im for im in data.get("images") or [] if isinstance(im, dict)}
        cats = {c.get("id"): str(c.get("name")) for c in data.get("categories") or []
                if isinstance(c, dict)}  # fmt: skip
    else:
        raise CorruptFileError(
            f"{path} is neither a COCO results list nor a COCO file with annotations.", path
        )
    rows: list[_Row] = []
    for a in anns:
        if not isinstance(a, dict) or not isinstance(a.get("bbox"), list) or len(a["bbox"]) != 4:
            rows.append(("", _ANY_TASK, "", (), None))
            continue
        image_id, cat = a.get("image_id"), a.get("category_id")
        if images is None:
            task = match.by_image(image_id)
            name = f"image {image_id}"
        else:
            im = images.get(image_id) or {}
            file_name = str(im.get("file_name") or "")
            task = match.by_stem(Path(file_name).stem) if file_name else match.by_image(image_id)
            name = file_name or f"image {image_id}"
        cls: ClassRecord | str | None
        if cats is None:
            cls = classes.active(classes.by_id.get(cat)) if isinstance(cat, int) else None
            cls = cls or f"category {cat}"
        else:
            cat_name = cats.get(cat)
            cls = (classes.named(cat_name) if cat_name else None) or (cat_name or f"category {cat}")
        rows.append((name, task, cls, tuple(a["bbox"]), a.get("score")))
    return rows


def _unquote(text: str) -> str:
    s = text.strip()
    if s.startswith('"'):
        return str(json.loads(s[: s.rindex('"') + 1]))
    if s.startswith("'"):
        return s[1 : s.rindex("'")].replace("''", "'")
    return re.sub(r"\s+#.*$", "", s)


_TOKEN = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^,\[\]{}]+")


def yaml_names(text: str) -> list[str] | None:
    """The ``names`` of an Ultralytics ``data.yaml`` (a list, an index map, inline or block)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"names\s*:\s*(.*)$", line)
        if m is None:
            continue
        rest = m.group(1).strip()
        if rest.startswith(("[", "{")):
            items = [t.strip() for t in _TOKEN.findall(rest) if t.strip()]
            if rest.startswith("["):
                return [_unquote(t) for t in items]
            pairs = [re.match(r"(\d+)\s*:\s*(.*)$", t) for t in items]
            return [_unquote(p.group(2)) for p in sorted(
                (p for p in pairs if p), key=lambda p: int(p.group(1)))]  # fmt: skip
        out: dict[int, str] = {}
        for sub in lines[i + 1 :]:
            if sub.strip() == "" or sub.lstrip().startswith("#"):
                continue
            if not sub[:1].isspace() and not sub.startswith("-"):
                break
            item = sub.strip()
            if item.startswith("- "):
                out[len(out)] = _unquote(item[2:])
            elif (p := re.match(r"(\d+)\s*:\s*(.*)$", item)) is not None:
                out[int(p.group(1))] = _unquote(p.group(2))
        return [out[k] for k in sorted(out)]
    return None


def _yolo_names(folder: Path, fallback: list[ClassRecord]) -> list[str]:
    for d in (folder, folder.parent, folder.parent.parent):
        if (d / "data.yaml").is_file():
            names = yaml_names((d / "data.yaml").read_text("utf-8"))
            if names is not None:
                return names
        if (d / "classes.txt").is_file():
            return [n for n in (d / "classes.txt").read_text("utf-8").splitlines() if n.strip()]
    return [c.name for c in sorted(fallback, key=lambda c: c.id)]


def _yolo_rows(
    path: Path, tasks: list[TaskRecord], classes: _Classes, active: list[ClassRecord]
) -> list[_Row]:
    files = sorted(path.rglob("*.txt")) if path.is_dir() else [path]
    files = [f for f in files if f.name != "classes.txt"]
    names = _yolo_names(path if path.is_dir() else path.parent, active)
    match = TaskMatcher(tasks)
    rows: list[_Row] = []
    for f in files:
        task = match.by_stem(f.stem)
        if task is None:
            rows.append((f.name, None, "", (), None))
            continue
        for line in f.read_text("utf-8").splitlines():
            vals = line.split()
            if not vals:
                continue
            try:
                idx, (cx, cy, w, h) = int(vals[0]), (float(v) for v in vals[1:5])
                score = float(vals[5]) if len(vals) == 6 else None
                if len(vals) not in (5, 6):
                    raise ValueError
            except ValueError:
                rows.append((f.name, task, "", (), None))
                continue
            name = names[idx] if 0 <= idx < len(names) else None
            cls = (classes.named(name) if name else None) or (name or f"class index {idx}")
            W, H = task.width, task.height
            rows.append(
                (f.name, task, cls, ((cx - w / 2) * W, (cy - h / 2) * H, w * W, h * H), score)
            )
    return rows
