"""Pupil Player's offline fixation detector (spec 8.1): semantics, exactness and the fast path.

Scenes are built on a 1/256 s grid, so every timestamp difference is exact and the window
lengths are whole numbers of samples: 80 ms needs 22 samples (21 steps = 82.03 ms), 220 ms
holds 57 (56 steps = 218.75 ms). Fixation samples all look the same way; saccade samples look
5 degrees apart from each other and far away from every fixation.

``player_fixations`` below is a small independent oracle: Player's loop over a list of gaze
dicts, written from the spec, with the world camera unprojected by OpenCV directly.
"""

from __future__ import annotations

import math
from collections import deque
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from scipy.spatial.distance import pdist
from tests import fixtures

import gazeport
from gazeport.analysis import fixations as fx
from gazeport.analysis.camera import resolve_camera, unproject_pixels
from gazeport.analysis.fixations import (
    FIXATION_DTYPE,
    FixationParams,
    detect_fixations,
    detect_fixations_reference,
)
from gazeport.formats.intrinsics import CameraIntrinsics, dummy_intrinsics, read_intrinsics

RECORDINGS = fixtures.RECORDINGS
DT = 1 / 256
T0 = 1000.0
WORLD = T0 + np.arange(24) / 32  # one world frame per 8 gaze samples
FOCAL, SIZE = 1000.0, (1280, 720)


# --- scene factory --------------------------------------------------------------------------------


def direction(az_deg: float, el_deg: float, depth: float = 600.0) -> np.ndarray:
    a, e = math.radians(az_deg), math.radians(el_deg)
    return depth * np.array([math.sin(a) * math.cos(e), -math.sin(e), math.cos(a) * math.cos(e)])


def scene(*segments: tuple[str, int]) -> dict[str, np.ndarray]:
    """``("fix", n)`` / ``("sac", n)`` segments -> gaze columns (3D points, projected norm_pos)."""
    points: list[np.ndarray] = []
    fixation = saccade = 0
    for kind, count in segments:
        if kind == "fix":
            points += [direction(12.0 * fixation - 20.0, 5.0 * (fixation % 2))] * count
            fixation += 1
        else:
            for _ in range(count):
                points.append(
                    direction(-30.0 + 5.0 * (saccade % 13), -15.0 - 5.0 * (saccade // 13))
                )
                saccade += 1
    p = np.array(points)
    n = len(p)
    px = FOCAL * p[:, :2] / p[:, 2:] + np.array(SIZE) / 2
    return {
        "t": T0 + np.arange(n) * DT,
        "c": np.full(n, 0.9),
        "norm": np.column_stack([px[:, 0] / SIZE[0], 1.0 - px[:, 1] / SIZE[1]]),
        "p3": p,
    }


def run(
    g: dict[str, np.ndarray], *, use_3d: bool = True, fn: Any = detect_fixations, **kw: Any
) -> np.ndarray:
    return fn(
        g["t"], g["c"], g["norm"], g["p3"] if use_3d else None,
        world_timestamps=kw.pop("world", WORLD), **kw,
    )  # fmt: skip


def spans(result: np.ndarray) -> list[tuple[int, int]]:
    return [
        (int(a), int(b)) for a, b in zip(result["first_sample"], result["last_sample"], strict=True)
    ]


# fixA 30 (binary search, drops its last sample), fixB 22 (exactly min duration), fixC 100
# (split by max duration), fixD 23, fixE 22 at the very end (never checked: discarded)
KNOWN = (
    ("sac", 5), ("fix", 30), ("sac", 5), ("fix", 22), ("sac", 5), ("fix", 100),
    ("sac", 5), ("fix", 23), ("sac", 5), ("fix", 22),
)  # fmt: skip
KNOWN_SPANS = [(5, 33), (40, 61), (67, 123), (124, 165), (172, 193)]


# --- semantics on known scenes ----------------------------------------------------------------------


@pytest.mark.parametrize("use_3d", [True, False], ids=["3d", "2d"])
def test_known_fixations(use_3d: bool) -> None:
    out = run(scene(*KNOWN), use_3d=use_3d)
    assert out.dtype == FIXATION_DTYPE
    assert spans(out) == KNOWN_SPANS
    assert out["id"].tolist() == [0, 1, 2, 3, 4]
    first = np.array([a for a, _ in KNOWN_SPANS])
    last = np.array([b for _, b in KNOWN_SPANS])
    assert out["start_timestamp"].tolist() == (T0 + first * DT).tolist()
    assert out["duration_ms"].tolist() == [109.375, 82.03125, 218.75, 160.15625, 82.03125]
    # searchsorted-left into the 1/32 s world grid = ceil(i / 8); the end clipped to the last frame
    start = [math.ceil(i / 8) for i in first]
    end = [min(math.ceil(i / 8), len(WORLD) - 1) for i in last]
    assert out["start_frame_index"].tolist() == start
    assert out["end_frame_index"].tolist() == end == [5, 8, 16, 21, 23]
    assert out["mid_frame_index"].tolist() == [
        (a + b) // 2 for a, b in zip(start, end, strict=True)
    ]
    assert set(out["method"]) == {"3d gaze" if use_3d else "2d gaze"}
    assert np.all(out["dispersion_deg"] < 1e-5)
    assert (not use_3d) == np.isnan(out["gaze_point_3d_x"]).all()


def test_binary_search_emits_one_sample_less_than_the_longest_valid_prefix() -> None:
    # 30 steady samples, then a saccade within max_duration: the longest valid window has 30
    # samples, Player emits Q[0:left] = 29 of them and re-queues the 30th, which then starts a
    # rejected window. At exactly min-duration length (22) nothing is lost.
    out = run(scene(("sac", 5), ("fix", 30), ("sac", 30)))
    assert spans(out) == [(5, 33)]
    out = run(scene(("sac", 5), ("fix", 22), ("sac", 30)))
    assert spans(out) == [(5, 26)]


def test_max_duration_splits_long_fixations() -> None:
    out = run(scene(("fix", 200), ("sac", 30)))
    # 57 samples (218.75 ms) at a time, whole while the window stays steady
    assert spans(out) == [(0, 56), (57, 113), (114, 170), (171, 198)]
    assert out["duration_ms"].tolist()[:3] == [218.75] * 3


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        pytest.param(22, None, id="22-never-checked"),
        pytest.param(23, (10, 32), id="23-checked-and-whole"),
    ],
)
def test_candidate_at_the_end_of_the_data(tail: int, expected: tuple[int, int] | None) -> None:
    # A start is checked only while samples remain after its 22-sample window.
    out = run(scene(("sac", 10), ("fix", tail)))
    assert spans(out) == ([] if expected is None else [expected])


def test_confidence_filter_is_strict_and_indices_point_into_the_input() -> None:
    base = scene(*KNOWN)
    rng = np.random.default_rng(7)
    at = np.sort(rng.choice(np.arange(1, len(base["t"])), size=40, replace=False))
    g = {k: np.insert(v, at, v[at - 1], axis=0) for k, v in base.items()}
    rows = at + np.arange(len(at))  # positions of the inserted rows
    g["c"][rows] = 0.6  # exactly the threshold: filtered out
    g["p3"][rows] = np.nan  # no 3D point: would force the 2D method if kept
    g["norm"][rows] = rng.random((len(rows), 2))  # garbage: would break fixations if kept
    out = run(g)
    kept = np.setdiff1d(np.arange(len(g["t"])), rows)
    assert spans(out) == [(int(kept[a]), int(kept[b])) for a, b in KNOWN_SPANS]
    assert set(out["method"]) == {"3d gaze"}
    g["c"][rows[0]] = np.nextafter(0.6, 1.0)  # just above: kept, and it has no 3D point
    assert set(run(g)["method"]) == {"2d gaze"}


def test_no_sample_above_the_threshold_gives_no_fixations() -> None:
    g = scene(*KNOWN)
    g["c"][:] = 0.6
    for fn in (detect_fixations, detect_fixations_reference):
        out = run(g, fn=fn)
        assert out.dtype == FIXATION_DTYPE and len(out) == 0
    empty = {"t": np.zeros(0), "c": np.zeros(0), "norm": np.zeros((0, 2)), "p3": np.zeros((0, 3))}
    assert len(run(empty)) == 0


def test_progress_is_called_sparingly_and_ends_at_one() -> None:
    g = random_gaze(np.random.default_rng(3), 6000)
    for fn in (detect_fixations, detect_fixations_reference):
        seen: list[float] = []
        run(g, fn=fn, progress=seen.append)
        assert 2 <= len(seen) <= 202
        assert seen == sorted(seen) and seen[-1] == 1.0


# --- parameter and input validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param(FixationParams(max_dispersion_deg=0), "max_dispersion_deg is 0,", id="disp-0"),
        pytest.param(FixationParams(max_dispersion_deg=-1.0), "max_dispersion_deg is -1.0", id="disp-neg"),
        pytest.param(FixationParams(max_dispersion_deg=math.nan), "max_dispersion_deg is nan", id="disp-nan"),
        pytest.param(FixationParams(min_duration_ms=0), "min_duration_ms is 0,", id="min-0"),
        pytest.param(FixationParams(min_duration_ms=-5.0), "min_duration_ms is -5.0", id="min-neg"),
        pytest.param(FixationParams(max_duration_ms=math.inf), "max_duration_ms is inf", id="max-inf"),
        pytest.param(FixationParams(max_duration_ms=True), "max_duration_ms is True", id="max-bool"),
        pytest.param(
            FixationParams(min_duration_ms=300.0),
            "min_duration_ms (300.0) is greater than max_duration_ms (220.0)",
            id="min-above-max",
        ),
        pytest.param(FixationParams(min_confidence=-0.1), "min_confidence is -0.1, but it must lie between 0 and 1", id="conf-neg"),
        pytest.param(FixationParams(min_confidence=1.5), "min_confidence is 1.5", id="conf-high"),
    ],
)  # fmt: skip
def test_parameter_validation(params: FixationParams, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        params.validate()
    with pytest.raises(ValueError, match="must"):
        run(scene(*KNOWN), params=params)


def test_valid_edge_parameters() -> None:
    FixationParams(min_duration_ms=220.0, min_confidence=0.0).validate()
    FixationParams(min_confidence=1.0, max_dispersion_deg=0.01, max_duration_ms=4000).validate()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"c": np.ones(3)}, "confidence has 3 rows but timestamps has", id="rows"),
        pytest.param({"norm": np.zeros(7)}, r"norm_pos should have the shape \(n, 2\)", id="shape"),
        pytest.param({"t": T0 - np.arange(240.0)}, "timestamps must be sorted", id="unsorted"),
        pytest.param({"world": np.zeros(0)}, "world_timestamps must be a non-empty", id="world"),
        pytest.param({"frame_size": (1280, 0)}, "frame_size should be", id="frame-size"),
        pytest.param({"progress": 5}, "progress should be a callable", id="progress"),
        pytest.param({"params": {"max_dispersion_deg": 1}}, "params should be a FixationParams", id="params"),
    ],
)  # fmt: skip
def test_input_validation(change: dict[str, Any], message: str) -> None:
    g = scene(("fix", 240))
    kw = {k: change[k] for k in ("world", "frame_size", "progress", "params") if k in change}
    g.update({k: v for k, v in change.items() if k in g})
    with pytest.raises((ValueError, TypeError), match=message):
        run(g, use_3d=False, **kw)


def test_intrinsics_must_match_the_frame_size() -> None:
    with pytest.raises(ValueError, match=r"frame_size \(640, 480\) differs"):
        run(
            scene(("fix", 50)),
            use_3d=False,
            intrinsics=dummy_intrinsics(SIZE),
            frame_size=(640, 480),
        )


# --- camera model ------------------------------------------------------------------------------------


def fixture(name: str) -> Path:
    return fixtures.recording(name)


def camera(name: str) -> CameraIntrinsics:
    return next(iter(read_intrinsics(fixture(name) / "world.intrinsics").values()))


def test_dummy_camera_is_players() -> None:
    cam, size = resolve_camera(None, None)
    assert size == SIZE and cam.cam_type == "dummy"
    assert cam.camera_matrix.tolist() == [[1000, 0, 640], [0, 1000, 360], [0, 0, 1]]
    rays = unproject_pixels([[640, 360], [1640, 360], [640, 860]], cam)
    assert rays.tolist() == [[0, 0, 1], [1, 0, 1], [0, 0.5, 1]]


@pytest.mark.parametrize("recording", ["core358_artemisge_003", "core116_vedb"])
def test_unprojection_inverts_opencv_projection(recording: str) -> None:
    cam = camera(recording)
    rng = np.random.default_rng(0)
    rays = np.column_stack([rng.uniform(-0.5, 0.5, 300), rng.uniform(-0.3, 0.3, 300), np.ones(300)])
    project = cv2.fisheye.projectPoints if cam.cam_type == "fisheye" else cv2.projectPoints
    px, _ = project(
        rays.reshape(-1, 1, 3), np.zeros(3), np.zeros(3), cam.camera_matrix, cam.dist_coefs
    )
    back = unproject_pixels(px.reshape(-1, 2), cam)
    np.testing.assert_allclose(back, rays, atol=1e-4)
    some = rng.choice(300, 17, replace=False)
    assert np.array_equal(unproject_pixels(px.reshape(-1, 2)[some], cam), back[some])


# --- independent oracle: Player's loop over gaze dicts ---------------------------------------------------


def player_fixations(
    gaze: list[dict[str, Any]], world: np.ndarray, params: FixationParams, cam: CameraIntrinsics
) -> list[dict[str, Any]]:
    """Spec 8.1 step by step, on dicts (3D if every kept datum has a gaze_point_3d key)."""
    data = [d for d in gaze if d["confidence"] > params.min_confidence]
    method_3d = all("gaze_point_3d" in d for d in data)
    limit, min_s, max_s = (
        np.deg2rad(params.max_dispersion_deg),
        params.min_duration_ms / 1000,
        params.max_duration_ms / 1000,
    )
    w, h = cam.resolution

    def angle(subset: list[dict[str, Any]]) -> Any:
        if method_3d:
            vectors = np.array([d["gaze_point_3d"] for d in subset])
        else:
            px = np.array(
                [[d["norm_pos"][0] * w, (1.0 - d["norm_pos"][1]) * h] for d in subset], np.float32
            )
            flat = cv2.undistortPoints(px.reshape(-1, 1, 2), cam.camera_matrix, cam.dist_coefs)
            vectors = cv2.convertPointsToHomogeneous(flat).reshape(-1, 3)
        return np.arccos(1.0 - pdist(vectors, "cosine").max())

    def fixation(base: list[dict[str, Any]], dispersion: Any) -> dict[str, Any]:
        start, end = np.searchsorted(world, [base[0]["timestamp"], base[-1]["timestamp"]])
        end = min(end, len(world) - 1)
        return {
            "norm_pos": np.mean([d["norm_pos"] for d in base], axis=0).tolist(),
            "dispersion": np.rad2deg(dispersion), "timestamp": base[0]["timestamp"],
            "duration": (base[-1]["timestamp"] - base[0]["timestamp"]) * 1000,
            "confidence": float(np.mean([d["confidence"] for d in base])),
            "start_frame_index": int(start), "end_frame_index": int(end), "mid_frame_index": int((start + end) // 2),
            "base": [d["row"] for d in base],
            "gaze_point_3d": np.mean([d["gaze_point_3d"] for d in base], axis=0).tolist() if method_3d else None,
        }  # fmt: skip

    out: list[dict[str, Any]] = []
    q: deque[dict[str, Any]] = deque()
    rest = deque(data)
    while rest:
        if len(q) < 2 or q[-1]["timestamp"] - q[0]["timestamp"] < min_s:
            q.append(rest.popleft())
        elif angle(list(q)) > limit:
            q.popleft()
        else:
            left = len(q)
            while rest and rest[0]["timestamp"] <= q[0]["timestamp"] + max_s:
                q.append(rest.popleft())
            window = list(q)
            q.clear()
            if (full := angle(window)) <= limit:
                out.append(fixation(window, full))
                continue
            right = len(window)
            while left < right - 1:
                mid = (left + right) // 2
                left, right = (mid, right) if angle(window[: mid + 1]) <= limit else (left, mid)
            out.append(fixation(window[:left], angle(window[:left])))
            rest.extendleft(reversed(window[left:]))
    return out


def as_dicts(g: dict[str, np.ndarray], use_3d: bool) -> list[dict[str, Any]]:
    rows = []
    for i in range(len(g["t"])):
        d: dict[str, Any] = {
            "row": i,
            "timestamp": float(g["t"][i]),
            "confidence": float(g["c"][i]),
        }
        d["norm_pos"] = [float(v) for v in g["norm"][i]]
        if use_3d and not np.isnan(g["p3"][i]).all():
            d["gaze_point_3d"] = [float(v) for v in g["p3"][i]]
        rows.append(d)
    return rows


def assert_matches_oracle(out: np.ndarray, oracle: list[dict[str, Any]], kept: np.ndarray) -> None:
    assert len(out) == len(oracle)
    for row, want in zip(out, oracle, strict=True):
        assert (int(row["first_sample"]), int(row["last_sample"])) == (
            want["base"][0],
            want["base"][-1],
        )
        assert kept[row["first_sample"] : row["last_sample"] + 1].sum() == len(want["base"])
        got = {
            "norm_pos": [row["norm_pos_x"], row["norm_pos_y"]], "dispersion": row["dispersion_deg"],
            "timestamp": row["start_timestamp"], "duration": row["duration_ms"],
            "confidence": row["confidence"], "start_frame_index": row["start_frame_index"],
            "end_frame_index": row["end_frame_index"], "mid_frame_index": row["mid_frame_index"],
        }  # fmt: skip
        for key, value in got.items():
            assert value == want[key], key  # exact: same floats as Player
        if want["gaze_point_3d"] is not None:
            point = [row["gaze_point_3d_x"], row["gaze_point_3d_y"], row["gaze_point_3d_z"]]
            assert point == want["gaze_point_3d"]


# --- fast == reference == oracle ---------------------------------------------------------------------


def random_gaze(rng: np.random.Generator, n: int, *, rate: float = 200.0) -> dict[str, np.ndarray]:
    """Jittery fixations, ramps between them, low-confidence runs, gaps and repeated timestamps."""
    dt = rng.normal(1 / rate, 0.2 / rate, n).clip(0.0, None)
    dt[rng.random(n) < 0.01] = 0.0  # repeated timestamps
    dt[rng.random(n) < 0.002] = 0.5  # gaps
    az, el = np.empty(n), np.empty(n)
    i, a, e = 0, 0.0, 0.0
    while i < n:
        k = int(rng.uniform(0.03, 0.6) * rate)
        az[i : i + k] = a + rng.normal(0, rng.uniform(0.05, 0.6), len(az[i : i + k]))
        el[i : i + k] = e + rng.normal(0, rng.uniform(0.05, 0.6), len(el[i : i + k]))
        i += k
        k = int(rng.uniform(0.005, 0.06) * rate) + 1
        a2, e2 = rng.uniform(-25, 25), rng.uniform(-18, 18)
        seg = slice(min(n, i), min(n, i + k))
        az[seg] = np.linspace(a, a2, k)[: seg.stop - seg.start]
        el[seg] = np.linspace(e, e2, k)[: seg.stop - seg.start]
        i, a, e = i + k, a2, e2
    p = np.stack(
        [direction(x, y, d) for x, y, d in zip(az, el, rng.normal(600, 20, n), strict=True)]
    )
    px = FOCAL * p[:, :2] / p[:, 2:] + np.array(SIZE) / 2
    c = rng.uniform(0.65, 1.0, n)
    c[rng.random(n) < 0.05] = rng.uniform(0, 0.6)
    return {
        "t": T0 + np.cumsum(dt), "c": c, "p3": p,
        "norm": np.column_stack([px[:, 0] / SIZE[0], 1.0 - px[:, 1] / SIZE[1]]),
    }  # fmt: skip


PARAMS = [
    pytest.param(FixationParams(), id="defaults"),
    pytest.param(FixationParams(1.0, 100.0, 300.0), id="tight"),
    pytest.param(FixationParams(3.0, 50.0, 150.0, 0.7), id="loose"),
]


def world_for(g: dict[str, np.ndarray]) -> np.ndarray:
    return np.arange(g["t"][0] - 0.2, g["t"][-1] - 0.5, 1 / 30)  # ends early: end clipping


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("seed", [0, 1])
def test_fast_equals_reference_and_oracle_3d(seed: int, params: FixationParams) -> None:
    g = random_gaze(np.random.default_rng(seed), 2500)
    world = world_for(g)
    fast = run(g, world=world, params=params)
    assert len(fast) > 10
    assert (
        fast.tobytes()
        == run(g, world=world, params=params, fn=detect_fixations_reference).tobytes()
    )
    oracle = player_fixations(as_dicts(g, True), world, params, dummy_intrinsics(SIZE))
    assert_matches_oracle(fast, oracle, g["c"] > params.min_confidence)


@pytest.mark.parametrize("seed", [2, 3])
def test_fast_equals_reference_and_oracle_2d_dummy(seed: int) -> None:
    g = random_gaze(np.random.default_rng(seed), 2500)
    world = world_for(g)
    fast = run(g, world=world, use_3d=False)
    assert set(fast["method"]) == {"2d gaze"}
    assert (
        fast.tobytes() == run(g, world=world, use_3d=False, fn=detect_fixations_reference).tobytes()
    )
    oracle = player_fixations(as_dicts(g, False), world, FixationParams(), dummy_intrinsics(SIZE))
    assert_matches_oracle(fast, oracle, g["c"] > 0.6)


@pytest.mark.parametrize(
    "recording", ["core358_artemisge_003", "core116_vedb"], ids=["radial", "fisheye"]
)
def test_fast_equals_reference_2d_with_real_intrinsics(recording: str) -> None:
    cam = camera(recording)
    g = random_gaze(np.random.default_rng(11), 6000)
    for params in (FixationParams(), FixationParams(2.0, 60.0, 400.0)):
        fast = run(g, world=world_for(g), use_3d=False, intrinsics=cam, params=params)
        ref = run(
            g,
            world=world_for(g),
            use_3d=False,
            intrinsics=cam,
            params=params,
            fn=detect_fixations_reference,
        )
        assert len(fast) > 20 and fast.tobytes() == ref.tobytes()


@pytest.mark.parametrize("seed", range(4, 12))
def test_fast_equals_reference_on_long_random_walks(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    banded = fx._banded_spans
    calls: list[int] = []

    def counted(*args: Any) -> Any:
        calls.append(1)
        return banded(*args)

    monkeypatch.setattr(fx, "_banded_spans", counted)
    rng = np.random.default_rng(seed)
    g = random_gaze(rng, 12_000, rate=float(rng.choice([120.0, 200.0, 250.0])))
    params = FixationParams(
        float(rng.uniform(0.5, 3.0)), float(rng.uniform(40, 150)), float(rng.uniform(150, 600)), 0.6
    )
    fast = run(g, world=world_for(g), params=params)
    assert calls == [1]  # the fast path, not the literal fallback
    assert (
        fast.tobytes()
        == run(g, world=world_for(g), params=params, fn=detect_fixations_reference).tobytes()
    )


def test_degenerate_rays_and_huge_windows_take_the_literal_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    g = random_gaze(np.random.default_rng(5), 3000)
    g["p3"][100:103] = 0.0  # zero vectors: NaN distances, exactly as scipy gives them
    g["c"][100:103] = 0.9
    out = run(g, world=world_for(g))
    assert np.isnan(out["dispersion_deg"]).any()
    assert out.tobytes() == run(g, world=world_for(g), fn=detect_fixations_reference).tobytes()
    g = random_gaze(np.random.default_rng(6), 3000)
    big = FixationParams(max_dispersion_deg=60.0)  # beyond the cosine shortcut
    assert (
        run(g, world=world_for(g), params=big).tobytes()
        == run(g, world=world_for(g), params=big, fn=detect_fixations_reference).tobytes()
    )
    monkeypatch.setattr(fx, "_MAX_WIDTH", 10)
    assert (
        run(g, world=world_for(g)).tobytes()
        == run(g, world=world_for(g), fn=detect_fixations_reference).tobytes()
    )


@pytest.mark.parametrize("degrees", [0.01, 0.5, 1.5, 5.0, 30.0, 57.0])
def test_cosine_threshold_is_exactly_players_comparison(degrees: float) -> None:
    thr = np.deg2rad(degrees)
    c_star = fx._cosine_threshold(thr)
    assert c_star is not None
    bits = np.array(c_star).view(np.int64)
    near = (bits + np.arange(-3000, 3000)).view(np.float64)
    far = np.random.default_rng(1).uniform(-1.2, 1.2, 3000)
    for c in np.concatenate([near, far, [-1.0, 1.0, 1.0000000000000002]]):
        players = np.arccos(1.0 - (1.0 - np.clip(c, -1.0, 1.0))) > thr
        assert players == (c < c_star), c
    assert fx._cosine_threshold(np.deg2rad(58.0)) is None


def test_window_ends_subtract_like_player() -> None:
    # On a 4 ms grid "t[j] - t[s] >= d" and "t[j] >= t[s] + d" disagree now and then.
    rng = np.random.default_rng(2)
    for _ in range(60):
        t = np.sort(np.round(rng.random(int(rng.integers(0, 300))) / 0.004) * 0.004 + 1e5)
        n = len(t)
        for d_min in (0.012, 0.08, 0.1):
            f, ext = fx._window_ends(t, d_min, 0.22)
            for s in range(n):
                j = next((j for j in range(s + 1, n) if t[j] - t[s] >= d_min), n)
                beyond = next((j for j in range(n) if t[j] > t[s] + 0.22), n)
                assert (f[s], ext[s]) == (j + 1, max(j + 1, beyond))


@pytest.mark.parametrize("d", [2, 3])
def test_sequential_means_are_players_mean_of_each_run(d: int) -> None:
    # Player: np.mean([datum[...] for datum in fixation], axis=0), rows added in order.
    rng = np.random.default_rng(d)
    n = 4000
    values = rng.normal(0.0, 300.0, (n, d)) * rng.choice([1e-3, 1.0, 1e3], (n, 1))
    lengths = rng.integers(1, 150, 500)
    lengths[:50] = 1
    first = rng.integers(0, n - 150, 500)
    got = fx._sequential_means(values, first, lengths)
    rows = [tuple(row) for row in values.tolist()]
    want = np.array([np.mean(rows[a : a + k], axis=0) for a, k in zip(first, lengths, strict=True)])
    assert got.shape == (500, d) and got.tobytes() == want.tobytes()
    assert fx._sequential_means(values, first[:0], lengths[:0]).shape == (0, d)


# --- real recordings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recording", "method"),
    [("core358_artemisge_003", "3d gaze"), ("core121_eyedoit_001", "2d gaze")],
)
def test_real_recordings(recording: str, method: str) -> None:
    path = fixture(recording)
    with gazeport.open(path) as rec:
        gaze, world = rec.gaze, rec.world_timestamps
    cam = camera(recording)
    g = {
        "t": gaze["timestamp"], "c": gaze["confidence"],
        "norm": np.column_stack([gaze["norm_pos_x"], gaze["norm_pos_y"]]),
        "p3": np.column_stack([gaze["gaze_point_3d_x"], gaze["gaze_point_3d_y"], gaze["gaze_point_3d_z"]]),
    }  # fmt: skip
    for params in (FixationParams(), FixationParams(1.0, 100.0, 400.0)):
        fast = run(g, world=world, intrinsics=cam, params=params)
        assert len(fast) > 5 and set(fast["method"]) == {method}
        ref = run(g, world=world, intrinsics=cam, params=params, fn=detect_fixations_reference)
        assert fast.tobytes() == ref.tobytes()
    oracle = player_fixations(as_dicts(g, True), world, FixationParams(), cam)
    assert_matches_oracle(run(g, world=world, intrinsics=cam), oracle, g["c"] > 0.6)
