"""Tests of the blink detector against a plain per-sample oracle of Pupil Player's algorithm.

The oracle below is written from ``shared/spec/pupil-player-compat.md`` section 9.1, one sample
at a time with Python lists and ``bisect`` (only the convolution itself is SciPy's
``fftconvolve``, as the spec prescribes), not from gazeport's code.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
import pytest
from scipy.signal import fftconvolve
from tests import fixtures

import gazeport
from gazeport._types import PUPIL_DTYPE
from gazeport.analysis.blinks import (
    BLINK_DTYPE,
    BlinkParams,
    blink_filter,
    blink_filter_size,
    detect_blinks,
    player_blinks,
    pooled_pupil_confidence,
)
from gazeport.errors import GazeportWarning

RECORDINGS = fixtures.RECORDINGS
FIELDS = BLINK_DTYPE.names or ()


# --- oracle ------------------------------------------------------------------------------------


def oracle_response(conf: list[float], history: float, total_time: float) -> list[float]:
    n = 2 * round(len(conf) * history / total_time / 2.0)
    taps = [(-1.0 if k < n // 2 else 1.0) / n for k in range(n)]
    if n == 0:
        return []
    return [float(v) / 0.45 for v in fftconvolve(np.array(conf), np.array(taps), mode="same")]


def oracle_blinks(
    ts: Any,
    conf: Any,
    world: Any,
    history: float = 0.2,
    onset: float = 0.5,
    offset: float = 0.5,
    *,
    bug: bool = True,
) -> list[dict[str, Any]]:
    """Player's offline blink detector, sample by sample (``bug``: restart at sample 0)."""
    ts = [float(t) for t in ts]
    conf = [float(c) for c in conf]
    world = [float(t) for t in world]
    if len(ts) < 2:
        return []
    response = oracle_response(conf, history, ts[-1] - ts[0])
    classes = []
    for r in response:
        c = 0
        if r > onset:
            c = 1
        if r < -offset:
            c = -1
        classes.append(c)

    blinks: list[dict[str, Any]] = []
    state, start = "no blink", -1

    def finish(s: int, e: int) -> None:
        a = bisect.bisect_left(world, ts[s])
        b = min(bisect.bisect_left(world, ts[e]), len(world) - 1)
        blinks.append(
            {
                "id": len(blinks) + 1,
                "start_timestamp": ts[s],
                "end_timestamp": ts[e],
                "timestamp": (ts[e] + ts[s]) / 2,
                "duration_s": ts[e] - ts[s],
                "start_frame_index": a,
                "index": (a + b) // 2,
                "end_frame_index": b,
                "confidence": min(float(np.abs(response[s:e]).mean()), 1.0),
                "first_sample": s,
                "last_sample": e - 1,
            }
        )

    for i, c in enumerate(classes):
        if state == "no blink" and c > 0:
            state, start = "blink started", i
        elif state == "blink started" and c == -1:
            state = "blink ending"
        elif state == "blink ending" and c >= 0:
            finish(start, i - 1)
            if c > 0:
                state, start = "blink started", (0 if bug else i)
            else:
                state = "no blink"
    if state == "blink ending":
        finish(start, len(classes) - 1)
    return blinks


def as_dicts(blinks: np.ndarray) -> list[dict[str, Any]]:
    return [{name: row[name].item() for name in FIELDS} for row in blinks]


# --- synthetic data ----------------------------------------------------------------------------


def pooled_series(
    seed: int,
    duration_s: float = 10.0,
    fps: float = 120.0,
    blinks: tuple[tuple[float, float], ...] = (),
    noise: float = 0.04,
) -> tuple[np.ndarray, np.ndarray]:
    """Two eyes at ``fps`` with jitter, pooled; confidence ~0.95, ~0.1 during ``(t, length)``."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * fps)
    eye0 = np.arange(n) / fps + rng.normal(0, 0.0005, n)
    eye1 = (np.arange(n) + 0.5) / fps + rng.normal(0, 0.0005, n)
    ts = np.sort(np.concatenate([eye0, eye1]), kind="stable") + 1000.0
    conf = np.clip(0.95 + rng.normal(0, noise, ts.size), 0.0, 1.0)
    for t0, length in blinks:
        inside = (ts >= 1000.0 + t0) & (ts < 1000.0 + t0 + length)
        conf[inside] = rng.uniform(0.0, 0.2, inside.sum())
    return ts, conf


def world_for(ts: np.ndarray, fps: float = 30.0, lo: float = -0.05, hi: float = 0.05) -> np.ndarray:
    return np.arange(ts[0] + lo, ts[-1] + hi, 1.0 / fps)


def _cases() -> list[Any]:
    rng = np.random.default_rng(7)
    cases = []

    ts, conf = pooled_series(1, blinks=((4.0, 0.25),))
    cases.append(pytest.param(ts, conf, world_for(ts), BlinkParams(), id="single"))

    lengths = ((0.5, 0.02), (1.5, 0.06), (3.0, 0.1), (4.5, 0.2), (6.0, 0.35), (8.0, 0.8))
    ts, conf = pooled_series(2, blinks=lengths)
    cases.append(pytest.param(ts, conf, world_for(ts), BlinkParams(), id="lengths"))
    cases.append(
        pytest.param(ts, conf, world_for(ts), BlinkParams(0.35, 0.3, 0.4), id="lengths-long-filter")
    )

    # A blink at the very start has no onset and one running into the end never ends: only the
    # middle blink is found.
    ts, conf = pooled_series(3, duration_s=3.0, blinks=((0.0, 0.2), (1.5, 0.2), (2.85, 0.2)))
    cases.append(pytest.param(ts, conf, world_for(ts), BlinkParams(), id="start-and-end"))

    # A blink that ends shortly before the data does: the zero padding of mode="same" makes an
    # onset at the last samples, which stays "started" and is dropped.
    ts, conf = pooled_series(4, duration_s=3.0, blinks=((2.55, 0.25),))
    cases.append(pytest.param(ts, conf, world_for(ts), BlinkParams(), id="ends-near-end"))

    ts, conf = pooled_series(5, blinks=((2.0, 0.15), (2.25, 0.15), (2.5, 0.15), (5.0, 0.2)))
    cases.append(pytest.param(ts, conf, world_for(ts), BlinkParams(), id="back-to-back"))
    cases.append(
        pytest.param(ts, conf, world_for(ts), BlinkParams(0.2, 0.05, 0.05), id="back-to-back-low")
    )
    cases.append(
        pytest.param(ts, conf, world_for(ts), BlinkParams(0.2, 0.0, 0.0), id="back-to-back-zero")
    )

    # Low thresholds on noise: the response jumps straight from offset to onset often, so the
    # restart bug fires many times.
    ts = np.cumsum(rng.uniform(0.002, 0.006, 3000)) + 50.0
    conf = rng.uniform(0.0, 1.0, ts.size)
    cases.append(pytest.param(ts, conf, world_for(ts), BlinkParams(0.1, 0.0, 0.0), id="noise-zero"))

    # Blocks of low, middling and high confidence of random lengths, plus noise.
    ts = np.cumsum(rng.uniform(0.003, 0.005, 4000))
    levels: list[float] = []
    while len(levels) < ts.size:
        levels += [float(rng.choice([0.05, 0.5, 0.95], p=[0.3, 0.2, 0.5]))] * int(
            rng.integers(5, 80)
        )
    conf = np.clip(np.array(levels[: ts.size]) + rng.normal(0, 0.03, ts.size), 0.0, 1.0)
    cases.append(pytest.param(ts, conf, world_for(ts), BlinkParams(), id="blocks"))
    cases.append(pytest.param(ts, conf, world_for(ts), BlinkParams(0.3, 0.3, 0.2), id="blocks-2"))

    # A short filter (few taps) on sparse data: large steps of the response.
    ts = np.cumsum(rng.uniform(0.03, 0.05, 400)) + 10.0
    conf = np.where(rng.random(ts.size) < 0.25, 0.0, 1.0)
    cases.append(pytest.param(ts, conf, world_for(ts), BlinkParams(0.1, 0.5, 0.5), id="sparse"))

    # World frames that cover only the middle of the pupil data (frame indices clip/overflow).
    ts, conf = pooled_series(6, blinks=((1.0, 0.2), (5.0, 0.2), (9.0, 0.2)))
    world = np.arange(ts[0] + 3.0, ts[0] + 7.0, 1 / 30)
    cases.append(pytest.param(ts, conf, world, BlinkParams(), id="world-middle"))
    return cases


CASES = _cases()


@pytest.mark.parametrize(("ts", "conf", "world", "params"), CASES)
def test_player_blinks_match_oracle(
    ts: np.ndarray, conf: np.ndarray, world: np.ndarray, params: BlinkParams
) -> None:
    blinks, _ = player_blinks(ts, conf, world_timestamps=world, params=params)
    expected = oracle_blinks(
        ts,
        conf,
        world,
        params.history_length_s,
        params.onset_confidence_threshold,
        params.offset_confidence_threshold,
    )
    assert blinks.dtype == BLINK_DTYPE
    assert as_dicts(blinks) == expected


@pytest.mark.parametrize(("ts", "conf", "world", "params"), CASES)
def test_detect_blinks_match_fixed_oracle(
    ts: np.ndarray, conf: np.ndarray, world: np.ndarray, params: BlinkParams
) -> None:
    fixed, response = detect_blinks(ts, conf, world_timestamps=world, params=params)
    buggy, buggy_response = player_blinks(ts, conf, world_timestamps=world, params=params)
    expected = oracle_blinks(
        ts,
        conf,
        world,
        params.history_length_s,
        params.onset_confidence_threshold,
        params.offset_confidence_threshold,
        bug=False,
    )
    assert as_dicts(fixed) == expected
    assert np.array_equal(response, buggy_response)
    # Equal to Player except for the restarted blinks, which Player starts at sample 0.
    assert fixed.size == buggy.size
    differs = np.zeros(fixed.size, dtype=bool)
    for name in FIELDS:
        differs |= fixed[name] != buggy[name]
    restarted = buggy["first_sample"] != fixed["first_sample"]
    assert np.array_equal(differs, restarted)
    assert np.all(buggy["first_sample"][restarted] == 0)
    assert np.all(buggy["start_timestamp"][restarted] == ts[0])
    # A restarted blink starts right after the previous blink's end sample.
    previous_end = np.concatenate(([-10], fixed["last_sample"] + 1))[:-1]
    assert np.all(fixed["first_sample"][restarted] == previous_end[restarted] + 1)


def test_noise_cases_trigger_the_restart_bug() -> None:
    params = {c.id: c.values for c in CASES}
    for case in ("noise-zero", "back-to-back-zero", "sparse"):
        ts, conf, world, p = params[case]
        blinks, _ = player_blinks(ts, conf, world_timestamps=world, params=p)
        assert np.count_nonzero(blinks["first_sample"][1:] == 0) > 0, case


def test_restart_bug_constructed() -> None:
    # 10 Hz, 13 samples, 0.2 s filter -> n = 2 * round(1.083) = 2 taps, so
    # response[k] = (conf[k-1] - conf[k]) / 0.9: +1 at drops, -1 at rises.
    conf = np.array([1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1], dtype=float)
    ts = 100.0 + 0.1 * np.arange(conf.size)
    world = 100.0 + 0.25 * np.arange(6)
    assert blink_filter_size(ts.size, ts[-1] - ts[0], 0.2) == 2

    player, response = player_blinks(ts, conf, world_timestamps=world)
    fixed, _ = detect_blinks(ts, conf, world_timestamps=world)
    np.testing.assert_allclose(response, np.diff(conf, prepend=0.0) * -1 / 0.9, atol=1e-12)
    # Blink 1: drop at 3, rise at 6, the drop at 7 ends it (at 6) and starts blink 2.
    assert player[["first_sample", "last_sample"]].tolist() == [(3, 5), (0, 9)]
    assert fixed[["first_sample", "last_sample"]].tolist() == [(3, 5), (7, 9)]
    assert player["start_timestamp"][1] == ts[0]
    assert fixed["start_timestamp"][1] == ts[7]
    assert fixed["end_timestamp"].tolist() == [ts[6], ts[10]]
    assert fixed["duration_s"][1] == ts[10] - ts[7]
    assert fixed["id"].tolist() == [1, 2]
    assert as_dicts(player) == oracle_blinks(ts, conf, world)
    assert as_dicts(fixed) == oracle_blinks(ts, conf, world, bug=False)


def test_frame_indices_follow_player() -> None:
    ts, conf = pooled_series(6, blinks=((1.0, 0.2), (5.0, 0.2), (9.0, 0.2)))
    world = np.arange(ts[0] + 3.0, ts[0] + 7.0, 1 / 30)
    blinks, _ = detect_blinks(ts, conf, world_timestamps=world)
    assert blinks.size == 3
    # Before the world: frame 0; after it: start unclipped (== len), end clipped to len - 1.
    assert blinks["start_frame_index"][0] == 0 == blinks["end_frame_index"][0]
    assert blinks["start_frame_index"][2] == world.size
    assert blinks["end_frame_index"][2] == world.size - 1
    assert blinks["index"][2] == (2 * world.size - 1) // 2
    mid = blinks[1]
    assert mid["start_frame_index"] == np.searchsorted(world, mid["start_timestamp"])


# --- filter ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_samples", "total", "history", "size"),
    [
        pytest.param(20, 1.0, 0.25, 4, id="2.5-rounds-down"),
        pytest.param(28, 1.0, 0.25, 8, id="3.5-rounds-up"),
        pytest.param(2400, 10.0, 0.2, 48, id="240Hz"),
        pytest.param(1, 1.0, 0.5, 0, id="0.25-is-zero"),
        pytest.param(2, 1.0, 0.5, 0, id="0.5-is-zero"),
        pytest.param(6, 1.0, 0.5, 4, id="1.5-is-two"),
        pytest.param(3, 1.0, 0.5, 2, id="0.75-is-one"),
    ],
)
def test_filter_size_rounds_half_to_even(
    n_samples: int, total: float, history: float, size: int
) -> None:
    assert blink_filter_size(n_samples, total, history) == size


def test_filter_taps() -> None:
    assert blink_filter(4).tolist() == [-0.25, -0.25, 0.25, 0.25]
    assert blink_filter(2).tolist() == [-0.5, 0.5]


@pytest.mark.parametrize(("ts", "conf", "world", "params"), CASES[:4])
def test_filter_response_is_fftconvolve(
    ts: np.ndarray, conf: np.ndarray, world: np.ndarray, params: BlinkParams
) -> None:
    n = 2 * round(ts.size * params.history_length_s / (ts[-1] - ts[0]) / 2.0)
    taps = np.ones(n) / n
    taps[: n // 2] *= -1
    expected = fftconvolve(conf, taps, "same") / 0.45
    _, response = detect_blinks(ts, conf, world_timestamps=world, params=params)
    assert response.dtype == np.float64
    assert response.shape == ts.shape
    assert np.array_equal(response, expected)


# --- degenerate input --------------------------------------------------------------------------


def test_empty_input() -> None:
    blinks, response = detect_blinks([], [], world_timestamps=[0.0])
    assert blinks.dtype == BLINK_DTYPE
    assert blinks.size == 0
    assert response.shape == (0,)


@pytest.mark.parametrize(
    ("ts", "message"),
    [
        pytest.param([5.0], "span no time", id="one-sample"),
        pytest.param([5.0, 5.0, 5.0], "span no time", id="no-time-span"),
        pytest.param([0.0, 100.0], "filter of 0 samples", id="too-sparse"),
    ],
)
def test_too_short_input_gives_no_blinks_with_a_reason(ts: list[float], message: str) -> None:
    with pytest.warns(GazeportWarning, match=message):
        blinks, response = player_blinks(ts, [0.0] * len(ts), world_timestamps=[0.0])
    assert blinks.size == 0
    assert np.array_equal(response, np.zeros(len(ts)))


@pytest.mark.parametrize("value", [0.0, 0.5, 1.0])
def test_constant_input_gives_no_blinks(value: float) -> None:
    ts = np.arange(2000) / 200.0
    blinks, _ = detect_blinks(ts, np.full(ts.size, value), world_timestamps=ts[::4])
    assert blinks.size == 0


def test_progress_is_reported() -> None:
    ts, conf = pooled_series(1, blinks=((4.0, 0.25),))
    calls: list[tuple[float, str]] = []
    blinks, _ = detect_blinks(
        ts, conf, world_timestamps=world_for(ts), progress=lambda f, t: calls.append((f, t))
    )
    assert calls[0][0] == 0.0
    assert calls[-1] == (1.0, f"{blinks.size} blinks")


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param(BlinkParams(history_length_s=0.0), r"history_length_s .* got 0\.0\.", id="h0"),
        pytest.param(BlinkParams(history_length_s=-0.2), r"greater than 0 .* got -0\.2", id="neg"),
        pytest.param(BlinkParams(history_length_s=60.0), r"at most 10 .* got 60\.0", id="long"),
        pytest.param(BlinkParams(history_length_s=float("nan")), r"got nan", id="nan"),
        pytest.param(BlinkParams(history_length_s="0.2"), r"got '0\.2'", id="str"),  # type: ignore[arg-type]
        pytest.param(
            BlinkParams(onset_confidence_threshold=1.5),
            r"onset_confidence_threshold must be a number from 0 to 1; got 1\.5\.",
            id="onset",
        ),
        pytest.param(
            BlinkParams(offset_confidence_threshold=-0.1),
            r"offset_confidence_threshold must be a number from 0 to 1; got -0\.1\.",
            id="offset",
        ),
    ],
)
def test_parameter_validation(params: BlinkParams, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        params.validate()
    with pytest.raises(ValueError, match=message):
        detect_blinks([0.0, 1.0], [1.0, 1.0], world_timestamps=[0.0], params=params)


def test_valid_parameter_edges() -> None:
    BlinkParams().validate()
    BlinkParams(0.5, 0.0, 1.0).validate()
    BlinkParams(10.0, 1.0, 0.0).validate()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"confidence": [1.0]}, "same length; got 3 and 1", id="length"),
        pytest.param({"timestamps": [0.0, 2.0, 1.0]}, "element 2 .* earlier", id="unsorted"),
        pytest.param({"timestamps": [[0.0, 1.0, 2.0]]}, "one-dimensional", id="2d"),
        pytest.param({"confidence": [1.0, np.nan, 1.0]}, "element 1 is nan", id="nan"),
        pytest.param({"world_timestamps": []}, "world_timestamps is empty", id="no-world"),
        pytest.param({"world_timestamps": [2.0, 1.0]}, "world_timestamps must be sorted", id="w"),
        pytest.param({"timestamps": ["a", "b", "c"]}, "array of numbers", id="text"),
    ],
)
def test_input_validation(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "timestamps": [0.0, 1.0, 2.0],
        "confidence": [1.0, 1.0, 1.0],
        "world_timestamps": [0.0],
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        detect_blinks(args.pop("timestamps"), args.pop("confidence"), **args)


def test_params_must_be_blink_params() -> None:
    with pytest.raises(TypeError, match="BlinkParams"):
        detect_blinks([0.0], [1.0], world_timestamps=[0.0], params=0.2)  # type: ignore[arg-type]


# --- input selection ---------------------------------------------------------------------------


def pupil_rows(rows: list[tuple[float, int, float, str]]) -> np.ndarray:
    arr = np.zeros(len(rows), dtype=PUPIL_DTYPE)
    for i, (t, eye, c, method) in enumerate(rows):
        arr[i]["timestamp"], arr[i]["eye_id"], arr[i]["confidence"] = t, eye, c
        arr[i]["method"] = method
    return arr


def test_pooled_prefers_2d_of_both_eyes() -> None:
    pupil = pupil_rows(
        [
            (3.0, 1, 0.3, "2d c++"),
            (1.0, 0, 0.1, "2d c++"),
            (1.0, 0, 0.9, "pye3d 0.3.0 real-time"),
            (2.0, 1, 0.2, "2d python"),
            (2.0, 0, 0.25, "2d c++"),
            (4.0, 0, 0.8, "3d c++"),
        ]
    )
    ts, conf = pooled_pupil_confidence(pupil)
    assert ts.tolist() == [1.0, 2.0, 2.0, 3.0]
    assert conf.tolist() == [0.1, 0.2, 0.25, 0.3]  # equal timestamps keep stream order


def test_pooled_falls_back_to_3d() -> None:
    pupil = pupil_rows(
        [
            (2.0, 1, 0.2, "3d c++"),
            (1.0, 0, 0.1, "pye3d 0.3.0 post-hoc"),
            (1.5, 0, 0.9, "some other detector"),
        ]
    )
    ts, conf = pooled_pupil_confidence(pupil)
    assert ts.tolist() == [1.0, 2.0]
    assert conf.tolist() == [0.1, 0.2]
    empty_ts, empty_conf = pooled_pupil_confidence(pupil[:0])
    assert empty_ts.size == empty_conf.size == 0


def test_pooled_names_missing_fields() -> None:
    with pytest.raises(ValueError, match=r"lacks the field.* method"):
        pooled_pupil_confidence(np.zeros(2, dtype=[("timestamp", "f8"), ("confidence", "f8")]))


# --- real recordings ---------------------------------------------------------------------------


def oracle_pooled(pupil: np.ndarray) -> tuple[list[float], list[float]]:
    rows = [(float(r["timestamp"]), float(r["confidence"]), str(r["method"])) for r in pupil]
    two_d = [r for r in rows if r[2] in ("2d c++", "2d python")]
    chosen = two_d or [r for r in rows if r[2] == "3d c++" or r[2].startswith("pye3d")]
    chosen.sort(key=lambda r: r[0])
    return [r[0] for r in chosen], [r[1] for r in chosen]


@pytest.mark.parametrize(
    "name",
    ["core358_artemisge_003", "core121_eyedoit_001", "core116_vedb"],
)
def test_real_recordings_match_oracle(name: str) -> None:
    path = fixtures.recording(name)
    with gazeport.open(path) as rec:
        pupil = rec.pupil
        world = rec.world_timestamps
    ts, conf = pooled_pupil_confidence(pupil)
    expected_ts, expected_conf = oracle_pooled(pupil)
    assert ts.tolist() == expected_ts
    assert conf.tolist() == expected_conf
    blinks, response = player_blinks(ts, conf, world_timestamps=world)
    assert as_dicts(blinks) == oracle_blinks(ts, conf, world)
    fixed, fixed_response = detect_blinks(ts, conf, world_timestamps=world)
    assert as_dicts(fixed) == oracle_blinks(ts, conf, world, bug=False)
    assert np.array_equal(response, fixed_response)
    assert response.shape == ts.shape


@pytest.mark.parametrize("use_scipy", [None, True, False], ids=["default", "scipy", "numpy"])
@pytest.mark.parametrize("kernel_size", [1, 2, 3, 10, 40, 1000])
@pytest.mark.parametrize("signal_size", [1, 2, 7, 59, 1000, 12345, 240_017])
def test_fft_convolve_same_is_scipy_fftconvolve_bit_for_bit(signal_size, kernel_size, use_scipy):
    from gazeport.analysis.blinks import NUMPY_FFT_IS_SCIPYS, fft_convolve_same

    if use_scipy is False and not NUMPY_FFT_IS_SCIPYS:
        pytest.skip("NumPy 1's FFTs are not SciPy's; gazeport uses scipy.fft there")
    rng = np.random.default_rng(signal_size * 1000 + kernel_size)
    signal = rng.random(signal_size)
    kernel = rng.random(kernel_size) - 0.5
    expected = fftconvolve(signal, kernel, "same")
    got = fft_convolve_same(signal, kernel, use_scipy=use_scipy)
    assert got.shape == expected.shape and got.dtype == np.float64
    assert got.tobytes() == expected.tobytes()


def test_next_fast_len_real_is_scipys() -> None:
    import scipy.fft

    from gazeport.analysis.blinks import next_fast_len_real

    sizes = [*range(1, 5000), *np.random.default_rng(0).integers(5000, 10**9, 2000).tolist()]
    assert [next_fast_len_real(n) for n in sizes] == [
        scipy.fft.next_fast_len(n, True) for n in sizes
    ]


def test_blink_detection_does_not_import_scipy_on_numpy_2(tmp_path) -> None:
    """Every process of a batch would pay ~0.12 s for scipy.fft; NumPy 2's FFTs are SciPy's."""
    import subprocess
    import sys

    from gazeport.analysis.blinks import NUMPY_FFT_IS_SCIPYS

    if not NUMPY_FFT_IS_SCIPYS:
        pytest.skip("NumPy 1: blink detection uses scipy.fft")
    probe = (
        "import sys, numpy as np\n"
        "from gazeport.analysis.blinks import fft_convolve_same\n"
        "fft_convolve_same(np.random.default_rng(0).random(5000), np.ones(40))\n"
        "print(any(m == 'scipy' or m.startswith('scipy.') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
