"""Pupil Player's offline fixation detector (dispersion-duration), bit for bit, but fast.

Player scans the gaze (``confidence > min_confidence``) with a working queue ``Q``: it grows ``Q``
to ``min_duration``, drops ``Q``'s first sample while the dispersion (largest pairwise angle,
``arccos(1 - max(pdist(rays, "cosine")))``) exceeds ``max_dispersion``, then extends ``Q`` to
``max_duration`` and emits either all of it or, after a binary search, ``Q[0:left]`` (one sample
fewer than the longest valid prefix found). A candidate still open when the data end is dropped.

:func:`detect_fixations_reference` re-implements that loop literally (``pdist`` of every window).
:func:`detect_fixations` gives identical results: ``Q`` is always a contiguous run of samples, the
window checked at a start ``s`` is always ``[s, f(s))`` with ``f(s)`` the first end reaching
``min_duration``, so all "drop the first sample?" decisions are computed at once from a band of
pairwise distances; each accepted start then needs one pairwise matrix, whose prefix maxima answer
the whole binary search. Every distance is computed with scipy's ``pdist`` cosine arithmetic, so
all comparisons see the same floats.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import pdist

from ..formats.intrinsics import CameraIntrinsics
from .camera import resolve_camera, unproject_norm_pos

Progress = Callable[[float], object]

FIXATION_DTYPE = np.dtype(
    [
        ("id", "i8"),
        ("start_timestamp", "f8"),
        ("duration_ms", "f8"),
        ("start_frame_index", "i8"),
        ("end_frame_index", "i8"),
        ("mid_frame_index", "i8"),
        ("norm_pos_x", "f8"),
        ("norm_pos_y", "f8"),
        ("dispersion_deg", "f8"),
        ("confidence", "f8"),
        ("method", "U7"),
        ("gaze_point_3d_x", "f8"),
        ("gaze_point_3d_y", "f8"),
        ("gaze_point_3d_z", "f8"),
        ("first_sample", "i8"),
        ("last_sample", "i8"),
    ]
)
"""One row per fixation. ``first_sample``/``last_sample`` (inclusive) index the detector's input
arrays; the fixation's gaze are the samples between them with ``confidence > min_confidence``."""

METHOD_2D = "2d gaze"
METHOD_3D = "3d gaze"

# Starts whose window dispersion lies this close (radians) to the threshold are re-decided with
# the scalar arccos Player uses, in case a vectorised arccos rounds differently.
_RECHECK_RAD = 1e-9
_BAND_BUDGET = 1 << 21  # distances per chunk of the band (16 MiB)


@dataclass(frozen=True)
class FixationParams:
    """Player's detector settings (defaults as in Pupil Player 3.x)."""

    max_dispersion_deg: float = 1.5
    min_duration_ms: float = 80.0
    max_duration_ms: float = 220.0
    min_confidence: float = 0.6  #: gaze with ``confidence > min_confidence`` is used

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first parameter out of its range."""
        for name in ("max_dispersion_deg", "min_duration_ms", "max_duration_ms"):
            value = getattr(self, name)
            if not _is_real(value) or not 0 < value < np.inf:
                raise ValueError(
                    f"{name} is {value!r}, but it must be a finite number greater than 0."
                )
        if self.min_duration_ms > self.max_duration_ms:
            raise ValueError(
                f"min_duration_ms ({self.min_duration_ms!r}) is greater than max_duration_ms "
                f"({self.max_duration_ms!r}); min_duration_ms must be at most max_duration_ms."
            )
        c = self.min_confidence
        if not _is_real(c) or not 0.0 <= c <= 1.0:
            raise ValueError(f"min_confidence is {c!r}, but it must lie between 0 and 1.")


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
    """
    gaze = _prepare(
        timestamps, confidence, norm_pos, gaze_point_3d, world_timestamps,
        params, intrinsics, frame_size, progress,
    )  # fmt: skip
    report = _Reporter(progress)
    n = len(gaze.t)
    if n == 0:
        report(1.0)
        return np.zeros(0, dtype=FIXATION_DTYPE)
    rays = np.ascontiguousarray(gaze.rays(), dtype=np.float64)
    x, y, z = (np.ascontiguousarray(rays[:, k]) for k in range(3))
    norms = np.sqrt(x * x + y * y + z * z)  # scipy's row norms, same order

    t = gaze.t
    f = _window_ends(t, gaze.min_duration)
    # Player checks a start only while samples remain after its min-duration window.
    s_end = int(np.searchsorted(f, n, side="left"))
    ok = ~_rejected_starts(x, y, z, norms, f, s_end, gaze.max_dispersion, report)
    candidates = np.where(ok, np.arange(s_end), s_end)
    next_ok = np.minimum.accumulate(candidates[::-1])[::-1].tolist()
    extended = np.maximum(f, np.searchsorted(t, t + gaze.max_duration, side="right")).tolist()
    f_list = f.tolist()

    thr = gaze.max_dispersion
    spans: list[tuple[int, int, np.float64]] = []
    s = 0
    while s < s_end:
        s = next_ok[s]
        if s >= s_end:
            break
        report(0.5 + 0.5 * s / n)
        left = f_list[s] - s
        stop = extended[s]
        prefix = _prefix_max_distances(x[s:stop], y[s:stop], z[s:stop], norms[s:stop])
        disp = np.arccos(1.0 - prefix[-1])
        if disp <= thr:
            spans.append((s, stop, disp))
            s = stop
            continue
        right = stop - s
        while left < right - 1:
            mid = (left + right) // 2
            if np.arccos(1.0 - prefix[mid]) <= thr:
                left = mid
            else:
                right = mid
        spans.append((s, s + left, np.arccos(1.0 - prefix[left - 1])))
        s += left
    report(1.0)
    return _fixations(gaze, spans)


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
    gaze = _prepare(
        timestamps, confidence, norm_pos, gaze_point_3d, world_timestamps,
        params, intrinsics, frame_size, progress,
    )  # fmt: skip
    report = _Reporter(progress)
    t = gaze.t.tolist()
    n = len(t)

    def dispersion(samples: list[int]) -> np.float64:
        return np.arccos(1.0 - pdist(gaze.rays(samples), "cosine").max())

    queue: deque[int] = deque()
    remaining = deque(range(n))
    spans: list[tuple[int, int, np.float64]] = []
    while remaining:
        if progress is not None:
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
    report(1.0)
    return _fixations(gaze, spans)


# --- the fast path ------------------------------------------------------------------------------


def _window_ends(t: np.ndarray, min_duration: float) -> np.ndarray:
    """``f[s]``: end (exclusive) of the shortest window from ``s`` Player accepts as long enough.

    The smallest ``e >= s + 2`` with ``t[e-1] - t[s] >= min_duration`` (Player's subtraction, not
    ``t[s] + min_duration``), or ``n + 1``. Non-decreasing in ``s``.
    """
    n = len(t)
    s = np.arange(n)
    j = np.clip(np.searchsorted(t, t + min_duration, side="left"), s + 1, n)
    # The sum above may round across the subtraction's boundary: step j until it is exact.
    active = s
    while active.size:
        jj = j[active]
        down = active[(jj - 1 > active) & (t[np.maximum(jj - 1, 0)] - t[active] >= min_duration)]
        j[down] -= 1
        active = down
    active = s
    while active.size:
        jj = j[active]
        up = active[(jj < n) & ~(t[np.minimum(jj, n - 1)] - t[active] >= min_duration)]
        j[up] += 1
        active = up
    return j + 1


def _cosine_distances(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, n: np.ndarray, i: slice, j: slice
) -> np.ndarray:
    """scipy's ``pdist`` cosine distance of rows ``i`` and ``j`` (elementwise, same bits)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (x[i] * x[j] + y[i] * y[j] + z[i] * z[j]) / (n[i] * n[j])
    return 1.0 - np.clip(cos, -1.0, 1.0)


def _rejected_starts(
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    norms: np.ndarray,
    f: np.ndarray,
    s_end: int,
    thr: np.float64,
    report: _Reporter,
) -> np.ndarray:
    """For every start ``s < s_end``: is the dispersion of ``[s, f[s])`` above ``thr``?"""
    n = len(x)
    worst = np.empty(s_end, dtype=np.float64)
    lengths = f[:s_end] - np.arange(s_end)
    chunk = max(256, _BAND_BUDGET // max(1, int(lengths.max(initial=2))))
    for c0 in range(0, s_end, chunk):
        c1 = min(s_end, c0 + chunk)
        length = lengths[c0:c1]
        width = int(length.max()) - 1  # largest pair offset inside a window
        rows = c1 - c0 + width - 1
        # band[d-1, r]: distance between samples c0+r and c0+r+d, running max over d.
        band = np.full((width, rows), -np.inf)
        for d in range(1, width + 1):
            m = min(rows, n - d - c0)
            if m > 0:
                band[d - 1, :m] = _cosine_distances(
                    x, y, z, norms, slice(c0, c0 + m), slice(c0 + d, c0 + d + m)
                )
        np.maximum.accumulate(band, axis=0, out=band)
        # max over pairs in [s, s+L) = max over a of (max over b <= L-1-a of D(s+a, s+a+b))
        local = np.arange(c1 - c0)
        acc = band[length - 2, local]
        for a in range(1, width):
            sel = np.flatnonzero(length - 2 - a >= 0)
            if sel.size == 0:
                break
            acc[sel] = np.maximum(acc[sel], band[length[sel] - 2 - a, sel + a])
        worst[c0:c1] = acc
        report(0.5 * c1 / max(1, s_end))
    angle = np.arccos(1.0 - worst)
    rejected = angle > thr
    for s in np.flatnonzero(np.abs(angle - thr) <= _RECHECK_RAD).tolist():
        rejected[s] = np.arccos(1.0 - worst[s]) > thr
    return rejected


def _prefix_max_distances(x: np.ndarray, y: np.ndarray, z: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``p[m]``: the largest pairwise distance among the first ``m + 1`` rows (``p[0] = -inf``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (x[:, None] * x[None, :] + y[:, None] * y[None, :] + z[:, None] * z[None, :]) / (
            n[:, None] * n[None, :]
        )
    dist = 1.0 - np.clip(cos, -1.0, 1.0)
    dist[np.tri(len(x), dtype=bool)] = -np.inf  # keep pairs i < j (row i, column j)
    return np.maximum.accumulate(dist.max(axis=0))


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
) -> _Gaze:
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
        candidate = points[kept]
        if not np.isnan(candidate).all(axis=1).any():
            point_3d = np.ascontiguousarray(candidate)
    return _Gaze(
        kept=kept,
        t=np.ascontiguousarray(t[kept]),
        confidence=np.ascontiguousarray(conf[kept]),
        norm_pos=np.ascontiguousarray(pos[kept]),
        point_3d=point_3d,
        method=METHOD_2D if point_3d is None else METHOD_3D,
        camera=camera,
        world_ts=world,
        max_dispersion=np.deg2rad(params.max_dispersion_deg),
        min_duration=params.min_duration_ms / 1000,
        max_duration=params.max_duration_ms / 1000,
    )


def _float_array(name: str, value: npt.ArrayLike, dims: int, rows: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} should be numeric, but could not be read as floats ({exc}).")
    want = "(n,)" if dims == 1 else f"(n, {dims})"
    if (dims == 1 and arr.ndim != 1) or (dims > 1 and (arr.ndim != 2 or arr.shape[1] != dims)):
        raise ValueError(f"{name} should have the shape {want}, but has the shape {arr.shape}.")
    if rows is not None and arr.shape[0] != rows:
        raise ValueError(
            f"{name} has {arr.shape[0]} rows but timestamps has {rows}; pass the columns of one "
            "gaze array."
        )
    return arr


def _fixations(gaze: _Gaze, spans: list[tuple[int, int, np.float64]]) -> np.ndarray:
    """Fixation rows for ``(start, stop, dispersion_rad)`` runs of kept samples, Player's way."""
    out = np.zeros(len(spans), dtype=FIXATION_DTYPE)
    if not spans:
        return out
    first = np.array([s for s, _, _ in spans], dtype=np.int64)
    last = np.array([e - 1 for _, e, _ in spans], dtype=np.int64)
    out["id"] = np.arange(len(spans))
    out["start_timestamp"] = gaze.t[first]
    out["duration_ms"] = (gaze.t[last] - gaze.t[first]) * 1000
    start = np.searchsorted(gaze.world_ts, gaze.t[first])
    end = np.minimum(np.searchsorted(gaze.world_ts, gaze.t[last]), len(gaze.world_ts) - 1)
    out["start_frame_index"] = start
    out["end_frame_index"] = end
    out["mid_frame_index"] = (start + end) // 2
    out["dispersion_deg"] = [np.rad2deg(d) for _, _, d in spans]
    out["method"] = gaze.method
    out["first_sample"] = gaze.kept[first]
    out["last_sample"] = gaze.kept[last]
    # Means over (k, 2) / (k, 3) blocks, summed in the order Player's np.mean sums them.
    for row, (s, e, _) in enumerate(spans):
        out["norm_pos_x"][row], out["norm_pos_y"][row] = gaze.norm_pos[s:e].mean(axis=0)
        out["confidence"][row] = np.mean(gaze.confidence[s:e])
        if gaze.point_3d is not None:
            mean_3d = gaze.point_3d[s:e].mean(axis=0)
            out["gaze_point_3d_x"][row], out["gaze_point_3d_y"][row] = mean_3d[0], mean_3d[1]
            out["gaze_point_3d_z"][row] = mean_3d[2]
    if gaze.point_3d is None:
        for axis in "xyz":
            out[f"gaze_point_3d_{axis}"] = np.nan
    return out


class _Reporter:
    """Calls ``progress`` only when the fraction moved by at least 1/200."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._last = -1.0

    def __call__(self, fraction: float) -> None:
        if self._progress is not None and (fraction - self._last >= 0.005 or fraction >= 1.0):
            if fraction >= 1.0 and self._last >= 1.0:
                return
            self._last = fraction
            self._progress(min(1.0, fraction))


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
