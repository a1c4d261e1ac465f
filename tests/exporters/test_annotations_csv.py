"""annotations.csv text, checked against hand-written expected files (spec 7.3)."""

from __future__ import annotations

import numpy as np
import pytest

from gazeport.exporters.annotations_csv import annotations_csv
from gazeport.recording.annotations import Annotation

WORLD = np.array([10.0, 11.0, 12.0, 13.0])


def test_exact_text() -> None:
    anns = [
        Annotation(12.5, 'comma, "q"\nline', 0.0, {"pos": [1, [2, 3]], "z": True}),
        Annotation(10.5, "tie goes later", 1.25, {"added_in_player": True}),
        Annotation(10.2, "Ünï ✓", 0.0, {"b": 0.1, "m": {"k": [1]}}),
    ]
    text, rows = annotations_csv(anns, WORLD, (10.0, 13.0))
    assert rows == 3
    assert text == (
        "index,timestamp,label,duration,added_in_player,b,m,pos,z\r\n"
        "0,10.2,Ünï ✓,0.0,,0.1,\"{'k': (1,)}\",,\r\n"
        "1,10.5,tie goes later,1.25,True,,,,\r\n"
        '3,12.5,"comma, ""q""\nline",0.0,,,,"(1, (2, 3))",True\r\n'
    )


def test_window_bounds_are_half_open() -> None:
    anns = [Annotation(t, f"at {t}") for t in (9.99, 10.0, 11.0, 11.5, 12.0)]
    text, rows = annotations_csv(anns, WORLD, (10.0, 12.0))
    assert rows == 3
    assert text.splitlines()[1:] == [
        "0,10.0,at 10.0,0.0",
        "1,11.0,at 11.0,0.0",
        "2,11.5,at 11.5,0.0",
    ]


def test_header_only_when_nothing_in_range() -> None:
    text, rows = annotations_csv([Annotation(20.0, "late", 0.0, {"x": 1})], WORLD, (10.0, 13.0))
    assert (text, rows) == ("index,timestamp,label,duration\r\n", 0)


def test_missing_duration_is_empty_and_ints_stay_ints() -> None:
    anns = [Annotation(11, "old", None), Annotation(11.0, "new", 2)]
    text, _ = annotations_csv(anns, WORLD, (10.0, 13.0))
    assert text.splitlines()[1:] == ["1,11,old,", "1,11.0,new,2"]


@pytest.mark.parametrize("ts", [10.0, 11.0])
def test_single_world_frame(ts: float) -> None:
    text, rows = annotations_csv([Annotation(ts, "a")], np.array([10.0]), (10.0, 12.0))
    assert rows == 1
    assert text.splitlines()[1].startswith("0,")
