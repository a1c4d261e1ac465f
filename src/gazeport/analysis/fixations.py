"""Pupil Player's offline fixation detector (dispersion-duration), bit for bit, but fast.

Player scans the gaze (``confidence > min_confidence``) with a working queue ``Q``: it grows ``Q``
to ``min_duration``, drops ``Q``'s first sample while the dispersion (largest pairwise angle,
``arccos(1 - max(pdist(rays, "cosine")))``) exceeds ``max_dispersion``, then extends ``Q`` to
``max_duration`` and emits either all of it or, after a binary search, ``Q[0:left]`` (one sample
fewer than the longest valid prefix found). A candidate still open when the data end is dropped.

:func:`detect_fixations_reference` re-implements that loop literally (``pdist`` of every window).
:func:`detect_fixations` gives identical results without re-running ``pdist``. ``Q`` is always a
contiguous run of samples, and the window checked for a start ``s`` is always ``[s, f(s))``, with
``f(s)`` the first end reaching ``min_duration``. A window is within the dispersion iff none of its
pairs is "bad" (cosine below ``c*``, the bound equivalent to Player's ``arccos`` comparison), so one
band of pairwise cosines (offsets up to the longest window) tells, for every start, the first
sample that breaks its window; every drop/emit decision and the outcome of the binary search follow
from that in O(1). Cosines use pdist's exact arithmetic, so the dispersions are the same floats.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..formats.intrinsics import CameraIntrinsics
from .camera import resolve_camera, unproject_norm_pos
from .fixation_band import band_blocks, span_dispersions

Progress = Callable[[float], object]
_Ints = npt.NDArray[np.int64]
_Spans = tuple[np.ndarray, np.ndarray, np.ndarray]  # first, stop (exclusive), dispersion rad

FIXATION_DTYPE = np.dtype([
    ("id", "i8"), ("start_timestamp", "f8"), ("duration_ms", "f8"),
    ("start_frame_index", "i8"), ("end_frame_index", "i8"), ("mid_frame_index", "i8"),
    ("norm_pos_x", "f8"), ("norm_pos_y", "f8"), ("dispersion_deg", "f8"), ("confidence", "f8"),
    ("method", "U7"), ("gaze_point_3d_x", "f8"), ("gaze_point_3d_y", "f8"),
    ("gaze_point_3d_z", "f8"), ("first_sample", "i8"), ("last_sample", "i8"),
])  # fmt: skip
"""One row per fixation. ``first_sample``/``last_sample`` (inclusive) index the detector's input
arrays; the fixation's gaze are the samples between them with ``confidence > min_confidence``."""

METHOD_2D = "2d gaze"
METHOD_3D = "3d gaze"

_BAND_BUDGET = 1 << 19  # cosines per block of the band (4 MiB, cache-friendly)
_MAX_WIDTH = 1024  # longer windows (samples) are left to the literal loop: the band gets big


@dataclass(frozen=True)
class FixationParams:
    """Player's detector settings (defaults as in Pupil Player 3.x)."""

    max_dispersion_deg: float = 1.5
    min_duration_ms: float = 80.0
    max_duration_ms: float = 220.0
    min_confidence: float = 0.6  #: gaze with ``confidence > min_confidence`` is used

    def validate(self, names: Mapping[str, str] | None = None) -> None:
        """Raise ``ValueError`` naming the first parameter out of its range.

        ``names`` spells parameters in the caller's words (e.g. a front-end's
        ``{"max_dispersion_deg": "--max-dispersion"}``); by default the field names are used.
        """

        def name(field: str) -> str:
            return (names or {}).get(field, field)

        units = {"max_dispersion_deg": "degrees", "min_duration_ms": "ms", "max_duration_ms": "ms"}
        for field, unit in units.items():
            value = getattr(self, field)
            if not _is_real(value) or not 0 < value < np.inf:
                raise ValueError(
                    f"{name(field)} is {value!r}, but it must be a finite number of {unit} "
                    "greater than 0."
                )
        if self.min_duration_ms > self.max_duration_ms:
            lo, hi = name("min_duration_ms"), name("max_duration_ms")
            raise ValueError(
                f"{lo} ({self.min_duration_ms!r}) is greater than {hi} "
                f"({self.max_duration_ms!r}); {lo} must be at most {hi}."
            )
        c = self.min_confidence
        if not _is_real(c) or not 0.0 <= c <= 1.0:
            raise ValueError(f"{name('min_confidence')} is {c!r}, but it must lie between 0 and 1.")


@dataclass(frozen=True)
class _Gaze:
    """The samples that passed the confidence filter, and what the detector needs of them."""

    kept: np.ndarray  # indices into the input arrays
    t: np.ndarray
    confidence: np.ndarray
    norm_pos: np.ndarray  # (n, 2)
    point_3d: np.ndarray | None  # (n, 3) if the 3D method is used
    method: str
    camera: tuple[CameraIntrinsics, tuple[int, int]]
    world_ts: np.ndarray
    max_dispersion: np.float64  # radians
    min_duration: float  # seconds
    max_duration: float

    def rays(self, which: slice | list[int] = slice(None)) -> np.ndarray:
        """Direction vectors of some kept samples, the way Player builds them."""
        if self.point_3d is not None:
            return self.point_3d[which]
        return unproject_norm_pos(self.norm_pos[which], *self.camera)


def detect_fixations(
    timestamps: npt.ArrayLike,
    confidence: npt.ArrayLike,
    norm_pos: npt.ArrayLike,
    gaze_point_3d: npt.ArrayLike | None = None,
    *,
    world_timestamps: npt.ArrayLike,
    params: FixationParams = FixationParams(),
    intrinsics: CameraIntrinsics | None = None,
    frame_size: tuple[int, int] | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """Fixations of Pupil Player's offline detector, as a :data:`FIXATION_DTYPE` array.

    ``timestamps`` (n,) s sorted ascending, ``confidence`` (n,), ``norm_pos`` (n, 2) normalized,
    ``gaze_point_3d`` (n, 3) mm with NaN rows where a datum has no 3D point (or ``None``),
    ``world_timestamps`` (N,) s of the world frames (Player's frame index space). The 3D method
    is used when every sample kept has a 3D point, else ``norm_pos`` is unprojected through
    ``intrinsics`` (Player's dummy camera for ``frame_size``, default 1280x720, if ``None``).
    ``progress(fraction)`` is called at most a few hundred times.

    Identical to :func:`detect_fixations_reference`, ~15x faster on long recordings; inputs it
    cannot decide exactly from cosines (zero, huge or NaN rays, ``max_dispersion_deg`` >= 57)
    or windows of over a thousand samples go through the literal loop.
    """
    gaze, report = _prepare(
        timestamps, confidence, norm_pos, gaze_point_3d, world_timestamps,
        params, intrinsics, frame_size, progress,
    )  # fmt: skip
    rays = np.ascontiguousarray(gaze.rays(), dtype=np.float64)
    x, y, z = (np.ascontiguousarray(rays[:, k]) for k in range(3))
    with np.errstate(all="ignore"):
        norms = np.sqrt(x * x + y * y + z * z)  # scipy's row norms, same order
    c_star = _cosine_threshold(gaze.max_dispersion)
    conditioned = bool(np.all((norms > 1e-100) & (norms < 1e100)))  # also False for NaN/inf
    if c_star is None or not conditioned:
        # Degenerate rays (NaN distances) or a huge threshold: Player's loop, literally.
        spans = _reference_spans(gaze, report)
    else:
        spans = _banded_spans((x, y, z, norms), gaze, c_star, report)
    report(1.0)
    return _fixations(gaze, *spans)


def detect_fixations_reference(
    timestamps: npt.ArrayLike,
    confidence: npt.ArrayLike,
    norm_pos: npt.ArrayLike,
    gaze_point_3d: npt.ArrayLike | None = None,
    *,
    world_timestamps: npt.ArrayLike,
    params: FixationParams = FixationParams(),
    intrinsics: CameraIntrinsics | None = None,
    frame_size: tuple[int, int] | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """Same as :func:`detect_fixations`, computed the slow, literal way of Player's loop.

    Every dispersion is ``pdist`` over the window's rays (2D rays unprojected per window), as in
    Player; this is the oracle for tests and the baseline of ``benchmarks/fixations.py``.
    """
    gaze, report = _prepare(
        timestamps, confidence, norm_pos, gaze_point_3d, world_timestamps,
        params, intrinsics, frame_size, progress,
    )  # fmt: skip
    spans = _reference_spans(gaze, report)
    report(1.0)
    return _fixations(gaze, *spans)


def _reference_spans(gaze: _Gaze, report: _Reporter) -> _Spans:
    from scipy.spatial.distance import pdist  # imported here: scipy loads slowly

    t = gaze.t.tolist()
    n = len(t)

    def dispersion(samples: list[int]) -> np.float64:
        return np.arccos(1.0 - pdist(gaze.rays(samples), "cosine").max())

    queue: deque[int] = deque()
    remaining = deque(range(n))
    spans: list[tuple[int, int, np.float64]] = []
    while remaining:
        if report.wanted:
            report(0.999 * (n - len(remaining)) / n)
        if len(queue) < 2 or t[queue[-1]] - t[queue[0]] < gaze.min_duration:
            queue.append(remaining.popleft())
            continue
        if dispersion(list(queue)) > gaze.max_dispersion:
            queue.popleft()
            continue
        left = len(queue)
        while remaining and not t[remaining[0]] > t[queue[0]] + gaze.max_duration:
            queue.append(remaining.popleft())
        window = list(queue)
        queue.clear()
        disp = dispersion(window)
        if disp <= gaze.max_dispersion:
            spans.append((window[0], window[-1] + 1, disp))
            continue
        right = len(window)
        while left < right - 1:
            mid = (left + right) // 2
            if dispersion(window[: mid + 1]) <= gaze.max_dispersion:
                left = mid
            else:
                right = mid
        base = window[:left]
        spans.append((base[0], base[-1] + 1, dispersion(base)))
        remaining.extendleft(reversed(window[left:]))
    starts = np.array([a for a, _, _ in spans], dtype=np.int64)
    stops = np.array([b for _, b, _ in spans], dtype=np.int64)
    return starts, stops, np.array([d for _, _, d in spans], dtype=np.float64)


# --- the fast path ------------------------------------------------------------------------------


def _window_ends(t: np.ndarray, min_duration: float, max_duration: float) -> tuple[_Ints, _Ints]:
    """``f`` and ``ext``, per start ``s``: ends (exclusive) of Player's windows from ``s``.

    ``f[s]``: smallest ``e >= s + 2`` with ``t[e-1] - t[s] >= min_duration`` (Player's
    subtraction, which may round differently from ``t[s] + min_duration``), or ``n + 1``.
    ``ext[s]``: ``f[s]`` extended by every sample with ``t <= t[s] + max_duration``.
    """
    n = len(t)
    s = np.arange(n)
    j = np.clip(np.searchsorted(t, t + min_duration), s + 1, n)  # j = e - 1, up to rounding

    def reached(jj: _Ints, ss: _Ints) -> np.ndarray:
        return (jj >= n) | (t[np.minimum(jj, n - 1)] - t[ss] >= min_duration)

    for step in (-1, 1):  # walk j to the exact boundary; rarely more than one step
        move = (j > s + 1) & reached(j - 1, s) if step < 0 else ~reached(j, s)
        active = s[move]
        while active.size:
            j[active] += step
            jj = j[active]
            keep = (jj > active + 1) & reached(jj - 1, active) if step < 0 else ~reached(jj, active)
            active = active[keep]
    f = j + 1
    return f, np.maximum(f, np.searchsorted(t, t + max_duration, side="right"))


def _cosine_threshold(thr: np.float64) -> float | None:
    """``c*`` with ``arccos(1 - (1 - clip(c, -1, 1))) > thr  <=>  c < c*`` for every float64 ``c``.

    Player compares ``arccos(1 - max distance)`` with ``thr``; with ``c*`` every comparison
    becomes one on the raw cosine of a single pair. For ``c`` in [0.5, 1] both subtractions are
    exact, so the predicate is ``arccos(c) > thr``; its boundary is found by bisection over the
    floats and then checked float by float around it with the scalar ``arccos`` Player calls
    (farther away the true angle differs from ``thr`` by far more than arccos can err). ``None``
    if ``thr`` is 1 rad or more, or the check fails: the caller then runs the literal loop.
    """
    if not thr < 1.0:  # keep c* above 0.54, where 1 - (1 - c) == c
        return None
    as_int = np.array([0.5, 1.0]).view(np.int64)
    lo, hi = int(as_int[0]), int(as_int[1])  # arccos(0.5) > thr >= arccos(1.0)

    def above(bits: int) -> bool:
        return bool(np.arccos(np.array(bits, dtype=np.int64).view(np.float64)[()]) > thr)

    while hi - lo > 1:
        mid = (lo + hi) // 2
        if above(mid):
            lo = mid
        else:
            hi = mid
    if any(above(bits) != (bits < hi) for bits in range(hi - 256, hi + 257)):
        return None
    return float(np.array(hi, dtype=np.int64).view(np.float64)[()])


def _banded_spans(
    rays: tuple[np.ndarray, ...], gaze: _Gaze, c_star: float, report: _Reporter
) -> _Spans:
    """Player's loop, decided from each column's nearest "bad" pair (cosine below ``c*``).

    For a start ``s``, ``first_fail[s]`` is the first sample ``j`` that has a bad partner ``i``
    with ``s <= i < j``: the window ``[s, e)`` is within the dispersion iff ``first_fail >= e``.
    So ``s`` is dropped iff ``first_fail < f[s]``; an accepted ``s`` emits ``[s, ext[s])`` if
    that is valid, else the binary search ends at ``max(f[s], first_fail - 1)`` (Player emits
    one sample fewer than the longest valid prefix, but never fewer than ``f[s] - s``).
    """
    t = gaze.t
    n = len(t)
    f, ext = _window_ends(t, gaze.min_duration, gaze.max_duration)
    s_end = int(np.searchsorted(f, n, side="left"))  # Player stops before checking these
    if s_end == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    width = int(np.max(ext[:s_end] - np.arange(s_end))) - 1  # largest pair offset in a window
    if width > _MAX_WIDTH:
        return _reference_spans(gaze, report)
    block = max(width + 1, _BAND_BUDGET // width)
    owned = [(own0, min(s_end, own0 + block)) for own0 in range(0, s_end, block)]
    bands = band_blocks(rays, [(a, min(n, b + width)) for a, b in owned], width, c_star)
    starts: list[int] = []
    stops: list[int] = []
    disp: list[np.ndarray] = []
    s = 0
    with closing(bands):
        for (own0, own1), (colmin, good) in zip(owned, bands, strict=True):
            lo, hi = own0, min(n, own1 + width)
            last_bad = np.where(good < width, np.arange(lo, hi) - good - 1, -1)
            first_fail = lo + np.searchsorted(
                np.maximum.accumulate(last_bad), np.arange(own0, own1)
            )
            ok = first_fail >= f[own0:own1]
            next_ok = np.minimum.accumulate(np.where(ok, np.arange(own0, own1), own1)[::-1])[::-1]
            ext_own = ext[own0:own1]
            emit_stop = np.where(
                first_fail >= ext_own, ext_own, np.maximum(f[own0:own1], first_fail - 1)
            )
            first = len(starts)
            while s < own1:
                s = next_ok.item(s - own0)
                if s >= own1:
                    break
                starts.append(s)
                s = emit_stop.item(s - own0)
                stops.append(s)
            if len(starts) > first:
                disp.append(span_dispersions(colmin, lo, starts[first:], stops[first:]))
            report(own1 / s_end)
    return (
        np.array(starts, dtype=np.int64),
        np.array(stops, dtype=np.int64),
        np.concatenate(disp) if disp else np.zeros(0),
    )


# --- shared: input checks, output rows, progress ------------------------------------------------


def _prepare(
    timestamps: npt.ArrayLike,
    confidence: npt.ArrayLike,
    norm_pos: npt.ArrayLike,
    gaze_point_3d: npt.ArrayLike | None,
    world_timestamps: npt.ArrayLike,
    params: FixationParams,
    intrinsics: CameraIntrinsics | None,
    frame_size: tuple[int, int] | None,
    progress: Progress | None,
) -> tuple[_Gaze, _Reporter]:
    """Checks the inputs, keeps ``confidence > min_confidence``, chooses the method."""
    if not isinstance(params, FixationParams):
        raise TypeError(f"params should be a FixationParams, not {type(params).__name__}.")
    params.validate()
    t = _float_array("timestamps", timestamps, 1)
    n = len(t)
    conf = _float_array("confidence", confidence, 1, n)
    pos = _float_array("norm_pos", norm_pos, 2, n)
    points = None if gaze_point_3d is None else _float_array("gaze_point_3d", gaze_point_3d, 3, n)
    world = _float_array("world_timestamps", world_timestamps, 1)
    if np.isnan(t).any() or np.any(t[1:] < t[:-1]):
        raise ValueError(
            "timestamps must be sorted ascending and hold no NaN; sort the gaze by timestamp "
            "(gazeport.open(...).gaze already is)."
        )
    if world.size == 0 or np.isnan(world).any() or np.any(world[1:] < world[:-1]):
        raise ValueError(
            "world_timestamps must be a non-empty, ascending array of world frame timestamps "
            "(Recording.world_timestamps)."
        )
    if progress is not None and not callable(progress):
        raise TypeError(f"progress should be a callable taking a fraction, not {progress!r}.")
    camera = resolve_camera(intrinsics, frame_size)

    kept = np.flatnonzero(conf > params.min_confidence)
    point_3d = None
    if points is not None and kept.size:
        # a datum without a 3D point is a row of NaN (Player: no "gaze_point_3d" key)
        missing = np.isnan(points[:, 0][kept])
        for axis in (1, 2):
            missing &= np.isnan(points[:, axis][kept])
        if not missing.any():
            point_3d = np.take(points, kept, axis=0)
    report = _Reporter(progress)
    report(0.0)
    gaze = _Gaze(
        kept=kept,
        t=t[kept],
        confidence=conf[kept],
        norm_pos=np.take(pos, kept, axis=0),
        point_3d=point_3d,
        method=METHOD_2D if point_3d is None else METHOD_3D,
        camera=camera,
        world_ts=world,
        max_dispersion=np.deg2rad(params.max_dispersion_deg),
        min_duration=params.min_duration_ms / 1000,
        max_duration=params.max_duration_ms / 1000,
    )
    return gaze, report


def _float_array(name: str, value: npt.ArrayLike, dims: int, rows: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} should be numeric, but could not be read as floats ({exc})."
        ) from exc
    want = "(n,)" if dims == 1 else f"(n, {dims})"
    if (dims == 1 and arr.ndim != 1) or (dims > 1 and (arr.ndim != 2 or arr.shape[1] != dims)):
        raise ValueError(f"{name} should have the shape {want}, but has the shape {arr.shape}.")
    if rows is not None and arr.shape[0] != rows:
        raise ValueError(
            f"{name} has {arr.shape[0]} rows but timestamps has {rows}; pass the columns of one "
            "gaze array."
        )
    return arr


def _fixations(gaze: _Gaze, first: np.ndarray, stop: np.ndarray, disp: np.ndarray) -> np.ndarray:
    """Fixation rows for runs ``first[k]:stop[k]`` of kept samples, Player's way."""
    out = np.zeros(len(first), dtype=FIXATION_DTYPE)
    if len(first) == 0:
        return out
    last = stop - 1
    out["id"] = np.arange(len(first))
    out["start_timestamp"] = gaze.t[first]
    out["duration_ms"] = (gaze.t[last] - gaze.t[first]) * 1000
    start_frame = np.searchsorted(gaze.world_ts, gaze.t[first])
    end_frame = np.minimum(np.searchsorted(gaze.world_ts, gaze.t[last]), len(gaze.world_ts) - 1)
    out["start_frame_index"] = start_frame
    out["end_frame_index"] = end_frame
    out["mid_frame_index"] = (start_frame + end_frame) // 2
    out["dispersion_deg"] = np.rad2deg(disp)
    out["method"] = gaze.method
    out["first_sample"] = gaze.kept[first]
    out["last_sample"] = gaze.kept[last]
    for axis in "xyz":
        out[f"gaze_point_3d_{axis}"] = np.nan
    # Player's np.mean over a fixation's (k, 2) and (k, 3) values adds the rows one after the
    # other (so does _sequential_means, for all fixations at once); over its (k,) confidences
    # numpy sums pairwise: fixations of one length are stacked and reduced the same way.
    lengths = stop - first
    norm = _sequential_means(gaze.norm_pos, first, lengths)
    out["norm_pos_x"], out["norm_pos_y"] = norm[:, 0], norm[:, 1]
    if gaze.point_3d is not None:
        point = _sequential_means(gaze.point_3d, first, lengths)
        for i, axis in enumerate("xyz"):
            out[f"gaze_point_3d_{axis}"] = point[:, i]
    for k in sorted(set(lengths.tolist())):  # not np.unique: it imports numpy.ma (~6 ms)
        rows = np.flatnonzero(lengths == k)
        idx = first[rows, None] + np.arange(k)
        out["confidence"][rows] = np.take(gaze.confidence, idx).mean(axis=1)
    return out


def _sequential_means(values: np.ndarray, first: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``(n, d)`` rows -> ``(m, d)``: mean of rows ``first[i] .. first[i] + lengths[i] - 1``
    (``lengths >= 1``), summed in row order and divided by the length, as ``np.mean`` over
    ``axis=0`` of each run does. Runs of similar length (within a factor 2) are stacked into
    one block, padded with -0.0 (``x + -0.0`` is ``x`` for every float, 0.0 and -0.0 too), and
    summed one row position at a time: a few dozen steps in all, not one per fixation."""
    out = np.empty((len(first), values.shape[1]))
    bucket = np.frexp(lengths.astype(np.float64))[1]  # binary exponent: 2**(b-1) <= k < 2**b
    for b in sorted(set(bucket.tolist())):  # np.unique would import numpy.ma (~6 ms)
        rows = np.flatnonzero(bucket == b)
        k = lengths[rows]
        offsets = np.arange(int(k.max()))
        inside = offsets < k[:, None]
        block = np.take(values, np.where(inside, first[rows, None] + offsets, 0), axis=0)
        block[~inside] = -0.0
        total = block[:, 0].copy()
        for r in range(1, len(offsets)):
            total += block[:, r]
        out[rows] = total / k[:, None]
    return out


class _Reporter:
    """Calls ``progress`` only when the fraction moved by at least 1/200, and once with 1.0."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._last = -1.0
        self.wanted = progress is not None

    def __call__(self, fraction: float) -> None:
        if self._progress is None or self._last >= 1.0:
            return
        if fraction >= 1.0 or fraction - self._last >= 0.005:
            self._last = min(1.0, fraction)
            self._progress(self._last)


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
