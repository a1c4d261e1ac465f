"""The Pupil-Player baseline of ``benchmarks/fixations.py`` finds what ``detect_fixations`` finds.

Issue 13's speed target is measured against that baseline; if it drifted from Player's results
(a window built differently, another dispersion), the ratio the benchmark prints would compare
different work. The baseline is loaded from its file, as the benchmark is no package.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import msgpack
import numpy as np
import pytest

from gazeport.analysis.fixations import FixationParams, detect_fixations
from gazeport.formats.pldata import encode_datum

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "fixations.py"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("benchmark_fixations", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def _payloads(bench: ModuleType, gaze: dict[str, np.ndarray], drop_3d: int = 0) -> list[bytes]:
    """The benchmark's Capture datums; every ``drop_3d``-th one without a ``gaze_point_3d``."""
    datums = list(bench.gaze_datums(gaze, 0))
    for datum in datums[::drop_3d] if drop_3d else []:
        del datum["gaze_point_3d"]
    return [encode_datum(d) for d in datums]


def _detect(gaze: dict[str, np.ndarray], params: FixationParams) -> np.ndarray:
    return detect_fixations(
        gaze["timestamp"],
        gaze["confidence"],
        gaze["norm_pos"],
        gaze["gaze_point_3d"],
        world_timestamps=gaze["world_timestamps"],
        params=params,
    )


@pytest.mark.parametrize("rate_hz", [400.0, 120.0])
def test_player_step_finds_the_fixations_of_detect_fixations_3d(
    bench: ModuleType, rate_hz: float
) -> None:
    gaze = bench.binocular_gaze(0.08, seed=3, rate_hz=rate_hz)
    params = FixationParams()
    fixations, packed = bench.player_detection_step(
        _payloads(bench, gaze), gaze["world_timestamps"], params
    )
    expected = _detect(gaze, params)
    assert len(expected) > 10
    found = bench.player_fixations_array(fixations)
    assert found.tobytes() == expected.tobytes()
    # each fixation is also serialised, its base data as the gaze payloads
    first = msgpack.unpackb(packed[0], strict_map_key=False)
    assert first["id"] == 0 and first["duration"] == expected["duration_ms"][0]
    assert len(first["base_data"]) == len(fixations[0]["base_data"])


def test_player_step_finds_the_fixations_of_detect_fixations_2d(bench: ModuleType) -> None:
    gaze = bench.binocular_gaze(0.06, seed=5, rate_hz=200.0)
    params = FixationParams(max_dispersion_deg=2.0)
    gaze["gaze_point_3d"][::7] = np.nan  # no 3D point there: Player falls back to 2D
    fixations, _ = bench.player_detection_step(
        _payloads(bench, gaze, drop_3d=7), gaze["world_timestamps"], params
    )
    expected = _detect(gaze, params)
    assert len(expected) > 5 and str(expected["method"][0]) == "2d gaze"
    assert bench.player_fixations_array(fixations).tobytes() == expected.tobytes()


def test_player_step_decodes_a_datum_again_once_it_left_the_cache(bench: ModuleType) -> None:
    payloads = [encode_datum({"timestamp": float(i), "confidence": 1.0}) for i in range(150)]
    datums = [bench._LazyDatum(p, i) for i, p in enumerate(payloads)]
    for d in datums:
        assert d["confidence"] == 1.0
    assert datums[0]._fields is None and datums[-1]._fields is not None
    assert datums[0]["timestamp"] == 0.0
