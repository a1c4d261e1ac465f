"""Options of a dataset export, parsed and validated up front (one plain sentence on bad input)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Format = Literal["coco", "yolo", "voc", "csv", "json"]
SPLIT_NAMES = ("train", "val", "test")


def parse_split(text: str) -> dict[str, float]:
    """``"train=70,val=20,test=10"`` → fractions summing to 1 (any positive total is normalised)."""
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip()
        try:
            v = float(value)
        except ValueError:
            v = -1.0
        if not sep or name not in SPLIT_NAMES or v < 0 or name in out:
            raise ValueError(
                f"The split {text!r} is not valid; write it like train=70,val=20,test=10."
            )
        out[name] = v
    total = sum(out.values())
    if total <= 0 or out.get("train", 0) <= 0:
        raise ValueError(f"The split {text!r} gives train no share; give train a positive ratio.")
    return {k: v / total for k, v in out.items() if v > 0}


def parse_size(text: str) -> tuple[float, float]:
    """``"8x8"`` → (8.0, 8.0) pixels."""
    w, sep, h = text.lower().partition("x")
    try:
        size = (float(w), float(h))
    except ValueError:
        size = (-1.0, -1.0)
    if not sep or min(size) < 0:
        raise ValueError(
            f"The minimum size {text!r} is not valid; write it as WIDTHxHEIGHT in pixels, e.g. 8x8."
        )
    return size


def parse_frame_range(text: str) -> tuple[int, int]:
    """``"100-500"`` → (100, 500), both ends included."""
    first, sep, last = text.partition("-")
    try:
        lo, hi = int(first), int(last)
    except ValueError:
        lo, hi = -1, -1
    if not sep or lo < 0 or hi < lo:
        raise ValueError(
            f"The frame range {text!r} is not valid; write it as FIRST-LAST, e.g. 100-500."
        )
    return lo, hi


def parse_date(text: str, option: str) -> str:
    """An ISO 8601 date or date-time, checked; returned as written (compared as text with the
    stored ISO times, which start with the date)."""
    from datetime import datetime

    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{option} {text!r} is not an ISO 8601 date; write it like 2026-01-31 or "
            "2026-01-31T14:00."
        ) from None
    return text


def parse_category_map(data: object, source: str = "the category map") -> dict[str, str | None]:
    """A JSON object ``{old name: new name | null}``: rename, merge (two names → one) or drop (null)."""
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and (v is None or (isinstance(v, str) and v.strip()))
        for k, v in data.items()
    ):
        raise ValueError(
            f"{source} must be a JSON object mapping class names to a new name or null; fix it and retry."
        )
    return {k: (v.strip() if isinstance(v, str) else None) for k, v in data.items()}


@dataclass(frozen=True)
class DatasetOptions:
    """What to export and how. The date range applies to the task's ``created`` time (as SATIn);
    ``min_size`` is the clipped box size in pixels; ``frame_range`` is inclusive;
    ``min_image_size`` is the stored frame size (width, height) a task needs."""

    format: Format = "coco"
    include_images: bool = True
    image_format: Literal["jpg", "png"] = "jpg"
    absolute_paths: bool = False
    category_map: dict[str, str | None] = field(default_factory=dict)
    statuses: tuple[str, ...] = ()  # empty: every status
    labels: tuple[str, ...] = ()  # empty: every label
    date_from: str | None = None  # ISO 8601, inclusive
    date_to: str | None = None  # ISO 8601, exclusive
    min_confidence: float | None = None  # boxes without a confidence (manual) are kept
    min_size: tuple[float, float] | None = None
    recording_glob: str | None = None
    frame_range: tuple[int, int] | None = None
    min_image_size: tuple[int, int] | None = None  # tasks whose frame is smaller are left out
    gaze_hit_only: bool = False
    split: dict[str, float] = field(default_factory=lambda: {"train": 1.0})
    seed: int = 0
    stratify: bool = False
    group_by: Literal["recording", "none"] = "recording"
    incremental: bool = False
    coords: Literal["absolute", "normalized"] = "absolute"

    def __post_init__(self) -> None:
        if self.format not in ("coco", "yolo", "voc", "csv", "json"):
            raise ValueError(
                f"The format {self.format!r} is not known; use coco, yolo, voc, csv or json."
            )
        if self.image_format not in ("jpg", "png"):
            raise ValueError(
                f"The image format {self.image_format!r} is not known; use jpg or png."
            )
        if self.coords != "absolute" and self.format != "csv":
            raise ValueError(
                "Normalized coordinates are a CSV option; drop --coords or use --format csv."
            )
        if self.group_by not in ("recording", "none"):
            raise ValueError(f"Group-by {self.group_by!r} is not known; use recording or none.")
