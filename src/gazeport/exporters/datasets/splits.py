"""Deterministic, seeded, grouped and sticky train/val/test splits.

Items are grouped (by recording by default) so neighbouring frames never straddle splits. Tasks
that already carry a split keep it; groups that already have a split put their new tasks there.
Only the remaining groups are assigned, greedily towards the split most under its target; with
``stratify`` the rarest class goes first (Sechidis' iterative stratification on groups) so every
class with enough groups reaches every non-empty split.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence

from gazeport.labels.records import TaskRecord


def assign_splits(
    tasks: Sequence[TaskRecord],
    ratios: Mapping[str, float],
    *,
    seed: int = 0,
    group_by: str = "recording",
    stratify: bool = False,
) -> dict[int, str]:
    """Return ``{task_id: split}`` for every task."""
    names = list(ratios)
    out: dict[int, str] = {}
    groups: dict[str, list[TaskRecord]] = {}
    for t in sorted(tasks, key=lambda t: t.id):
        groups.setdefault(t.recording if group_by == "recording" else f"#{t.id}", []).append(t)
    have: Counter[str] = Counter()
    todo = []
    for key, members in groups.items():
        old = [t.split for t in members if t.split is not None and t.split in ratios]
        for t in members:
            if t.split is not None and t.split in ratios:
                out[t.id] = t.split
        if old:
            home = Counter(old).most_common(1)[0][0]
            for t in members:
                out.setdefault(t.id, home)
            have[home] += len(members)
        else:
            todo.append(key)
    rng = random.Random(seed)
    rng.shuffle(todo)
    labels_of = {k: Counter(b.class_id for t in groups[k] for b in t.boxes) for k in todo}
    if stratify:
        freq: Counter[int] = Counter(c for k in todo for c in labels_of[k])
        todo.sort(key=lambda k: min((freq[c] for c in labels_of[k]), default=10**9))
    total = len(tasks)
    class_have: dict[str, Counter[int]] = {n: Counter() for n in names}
    for key in todo:
        n = len(groups[key])

        def deficit(s: str, key: str = key, n: int = n) -> tuple[float, float]:
            cls = 0.0
            if stratify:
                cls = sum(1.0 for c in labels_of[key] if class_have[s][c] == 0) * ratios[s]
            return (-cls, (have[s] + n) / (ratios[s] * total) if total else 0.0)

        best = min(names, key=deficit)
        have[best] += n
        class_have[best].update(labels_of[key])
        for t in groups[key]:
            out[t.id] = best
    return out
