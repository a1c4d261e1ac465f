"""The band of pairwise cosines of the fast fixation detector, and its second thread.

The threaded blocks must be the very floats the calling thread computes, in order, whatever the
number of blocks; stopping early must neither hang nor leave threads behind; and the whole
detector through many threaded blocks must still equal Player's literal loop.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from tests.analysis.test_fixations import random_gaze, run, world_for

from gazeport import _threads
from gazeport.analysis import fixation_band as band
from gazeport.analysis import fixations as fx


def _rays(n: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    p = rng.normal([0.0, 0.0, 600.0], [20.0, 20.0, 5.0], (n, 3))
    x, y, z = (np.ascontiguousarray(p[:, k]) for k in range(3))
    return x, y, z, np.sqrt(x * x + y * y + z * z)


def _bounds(n: int, block: int, width: int) -> list[tuple[int, int]]:
    return [(lo, min(n, lo + block + width)) for lo in range(0, n - width, block)]


def _collect(rays: tuple[np.ndarray, ...], bounds: list[tuple[int, int]], width: int) -> list:
    # copies: a yielded colmin is only valid until the next block is asked for
    return [(c.copy(), g.copy()) for c, g in band.band_blocks(rays, bounds, width, 0.9999)]


@pytest.mark.parametrize("threads", ["1", "2"])
@pytest.mark.parametrize("blocks", [1, 3, 4, 9])
def test_blocks_equal_the_direct_computation(
    threads: str, blocks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAZEPORT_FIXATION_THREADS", threads)
    width, block = 17, 200
    n = blocks * block + width
    rays = _rays(n)
    bounds = _bounds(n, block, width)
    assert len(bounds) == blocks
    padded = [np.concatenate([np.ones(width), v]) for v in rays]
    got = _collect(rays, bounds, width)
    assert len(got) == blocks
    shape = (width, block + width)
    for (lo, hi), (colmin, good) in zip(bounds, got, strict=True):
        own = (np.empty(shape), np.empty(shape), np.empty(shape, dtype=bool))
        want_min, want_good = band.column_minima(rays, padded, lo, hi, 0.9999, own)
        assert colmin.tobytes() == want_min.tobytes()
        assert good.tobytes() == want_good.tobytes()
    assert any(g.min() < width for _, g in got) and any(g.max() == width for _, g in got)


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread each block of the band is computed in, in order."""
    seen: list[str] = []
    direct = band.column_minima

    def recorded(*args: Any) -> Any:
        seen.append(threading.current_thread().name)
        return direct(*args)

    monkeypatch.setattr(band, "column_minima", recorded)
    return seen


def test_the_blocks_run_in_a_second_thread_only_when_there_are_enough(
    names: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAZEPORT_FIXATION_THREADS", "2")
    width, block = 9, 50
    rays = _rays(20 * block)
    many = _bounds(20 * block, block, width)
    _collect(rays, many, width)
    assert len(names) == len(many) == 20
    assert all(n.startswith("gazeport-fixations") for n in names)
    names.clear()
    few = _bounds(3 * block + width, block, width)
    _collect(rays, few, width)
    assert names == [threading.current_thread().name] * 3
    names.clear()
    monkeypatch.setenv("GAZEPORT_FIXATION_THREADS", "1")
    _collect(rays, _bounds(20 * block, block, width), width)
    assert set(names) == {threading.current_thread().name}


def test_stopping_early_leaves_no_thread_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAZEPORT_FIXATION_THREADS", "2")
    width, block = 9, 50
    rays = _rays(200 * block)
    blocks = band.band_blocks(rays, _bounds(200 * block, block, width), width, 0.9999)
    next(blocks)
    next(blocks)
    blocks.close()
    alive = [t for t in threading.enumerate() if t.name.startswith("gazeport-fixations")]
    assert alive == []


@pytest.mark.parametrize(
    ("value", "expected"), [("1", 1), ("2", 2), ("8", 2), ("0", None), ("x", None)]
)
def test_band_threads_setting(value: str, expected: int | None, monkeypatch) -> None:
    monkeypatch.setenv("GAZEPORT_FIXATION_THREADS", value)
    monkeypatch.setattr(_threads.os, "sched_getaffinity", lambda _pid: {0, 1, 2}, raising=False)
    assert band.band_threads() == (2 if expected is None else expected)
    monkeypatch.setattr(_threads.os, "sched_getaffinity", lambda _pid: {0}, raising=False)
    if expected is None:
        assert band.band_threads() == 1  # one CPU: no second thread


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_detector_through_many_threaded_blocks_equals_players_loop(
    seed: int, names: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAZEPORT_FIXATION_THREADS", "2")
    monkeypatch.setattr(fx, "_BAND_BUDGET", 1 << 12)  # ~60 blocks for these 8,000 samples
    g = random_gaze(np.random.default_rng(seed), 8_000)
    fast = run(g, world=world_for(g))
    assert len(names) > 20 and names[0].startswith("gazeport-fixations")
    ref = run(g, world=world_for(g), fn=fx.detect_fixations_reference)
    assert len(fast) > 10 and fast.tobytes() == ref.tobytes()
