"""Pupil Player's offline blink detector: a confidence-drop filter over the pooled pupil series.

The algorithm follows ``shared/spec/pupil-player-compat.md`` section 9.1:

1. ``activity`` = pupil confidence of both eyes pooled into one time-sorted series (``N`` samples
   spanning ``T = ts[-1] - ts[0]`` seconds; :func:`pooled_pupil_confidence` picks Player's input).
2. A filter of ``n = 2 * round(N * history_length / T / 2)`` taps of ``1/n`` (Python's ``round``,
   ties to even), the *first* half negated, so that after convolution (which flips the kernel)
   ``response ≈ (mean confidence before − mean confidence after) / 0.45``.
3. ``response = scipy.signal.fftconvolve(activity, filter, mode="same") / 0.45`` (computed by
   :func:`fft_convolve_same`, bit for bit the same numbers).
4. Every sample is classified ``+1`` (``response > onset``), ``-1`` (``response < -offset``) or 0.
5. A state machine (no blink → started → ending) turns the classes into blinks.

:func:`detect_blinks` and :func:`player_blinks` differ in one point only: when a blink ends and
the next one starts at the very same sample, Player (issue pupil-labs/pupil#2365) starts the new
blink at sample 0, so it gets the recording's first pupil timestamp. :func:`player_blinks` keeps
that bug (to reproduce Player's ``blinks.csv``); :func:`detect_blinks` starts the blink where it
really starts.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Real

import numpy as np
import numpy.typing as npt

from ..errors import GazeportWarning

__all__ = [
    "BLINK_DTYPE",
    "BlinkParams",
    "blink_filter",
    "blink_filter_size",
    "detect_blinks",
    "player_blinks",
    "pooled_pupil_confidence",
]

FloatArray = npt.NDArray[np.float64]
#: ``progress(fraction, text)`` with ``fraction`` in [0, 1].
Progress = Callable[[float, str], None]

#: One row per blink. Timestamps and ``duration_s`` in seconds of Pupil time; frame indices are
#: world frame-table indices; ``first_sample .. last_sample`` (inclusive) index the pooled input
#: samples that are the blink's ``base_data`` and ``filter_response`` (Player's ``s .. e-1``).
BLINK_DTYPE = np.dtype(
    [
        ("id", "i8"),
        ("start_timestamp", "f8"),
        ("end_timestamp", "f8"),
        ("timestamp", "f8"),
        ("duration_s", "f8"),
        ("start_frame_index", "i8"),
        ("index", "i8"),
        ("end_frame_index", "i8"),
        ("confidence", "f8"),
        ("first_sample", "i8"),
        ("last_sample", "i8"),
    ]
)

#: Response of a full 1 → 0 confidence drop that Player treats as confidence 1 (theory: 0.5).
_RESPONSE_SCALE = 0.45
#: Longest filter we accept; Player's slider offers 0.1 to 0.5 s, a blink lasts ~0.1–0.4 s.
_MAX_HISTORY_LENGTH_S = 10.0


@dataclass(frozen=True)
class BlinkParams:
    """Parameters of the blink detector (Player's defaults).

    ``history_length_s`` is the filter length in seconds; the thresholds are filter responses
    (about "confidence drop" units, 0 to 1) above which a sample counts as onset/offset.
    """

    history_length_s: float = 0.2
    onset_confidence_threshold: float = 0.5
    offset_confidence_threshold: float = 0.5

    def validate(self, names: Mapping[str, str] | None = None) -> None:
        """Raise ``ValueError`` naming the first parameter that is out of range.

        ``names`` spells parameters in the caller's words (e.g. a front-end's
        ``{"history_length_s": "--history-length"}``); by default the field names are used.
        """

        def name(field: str) -> str:
            return (names or {}).get(field, field)

        h = self.history_length_s
        if not _is_real(h) or not math.isfinite(h) or not 0.0 < h <= _MAX_HISTORY_LENGTH_S:
            raise ValueError(
                f"{name('history_length_s')} must be a number of seconds greater than 0 and at "
                f"most {_MAX_HISTORY_LENGTH_S:g} (Pupil Player offers 0.1 to 0.5); got {h!r}."
            )
        for field in ("onset_confidence_threshold", "offset_confidence_threshold"):
            value = getattr(self, field)
            if not _is_real(value) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name(field)} must be a number from 0 to 1; got {value!r}.")


#: NumPy 2 runs the same C++ pocketfft as ``scipy.fft`` (NumPy 1 has an older C port whose last
#: bits may differ): there its real FFTs are SciPy's, bit for bit, and SciPy (~0.12 s to
#: import in every process) is not needed. ``tests/analysis/test_blinks.py`` checks both paths
#: against ``scipy.signal.fftconvolve``.
NUMPY_FFT_IS_SCIPYS = int(np.__version__.split(".", 1)[0]) >= 2


def next_fast_len_real(n: int) -> int:
    """``scipy.fft.next_fast_len(n, real=True)``: the smallest ``2**a * 3**b * 5**c >= n``."""
    if n <= 6:
        return max(n, 1)
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            q = -(-n // p35)  # the smallest power of two times p35 that reaches n
            best = min(best, (1 << (q - 1).bit_length()) * p35)
            p35 *= 3
        p5 *= 5
    return best


def fft_convolve_same(
    signal: np.ndarray, kernel: np.ndarray, *, use_scipy: bool | None = None
) -> np.ndarray:
    """``scipy.signal.fftconvolve(signal, kernel, "same")`` for 1-D float arrays, bit for bit.

    The same real FFTs of the same padded length (``scipy.fft.next_fast_len``), product, inverse
    and centred slice as SciPy; written out because importing ``scipy.signal`` takes ~0.9 s and
    ``scipy.fft`` ~0.12 s, which every worker process of a batch would pay. The FFTs are
    NumPy's where they are SciPy's (:data:`NUMPY_FFT_IS_SCIPYS`; ``use_scipy`` overrides).
    """
    signal = np.asarray(signal, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    s1, s2 = signal.shape[0], kernel.shape[0]
    if s1 == 0 or s2 == 0:
        return np.empty(0)
    scipy_fft = not NUMPY_FFT_IS_SCIPYS if use_scipy is None else use_scipy
    if s1 == 1 or s2 == 1:
        full = signal * kernel  # SciPy multiplies (broadcasts) instead of transforming
    elif scipy_fft:
        import scipy.fft as sp_fft  # imported here: only blink detection on NumPy 1 needs it

        n = s1 + s2 - 1
        shape = [sp_fft.next_fast_len(n, True)]
        spectrum = sp_fft.rfftn(signal, shape, axes=[0]) * sp_fft.rfftn(kernel, shape, axes=[0])
        full = sp_fft.irfftn(spectrum, shape, axes=[0])[:n]
    else:
        n = s1 + s2 - 1
        size = next_fast_len_real(n)
        spectrum = np.fft.rfft(signal, size) * np.fft.rfft(kernel, size)
        full = np.fft.irfft(spectrum, size)[:n]
    start = (full.shape[0] - s1) // 2
    return np.array(full[start : start + s1], dtype=np.float64)


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


# --- input selection ---------------------------------------------------------------------------


def _detector_kind(method: str) -> str:
    # Player groups pupil data by detector tag: "2d" for topics ``pupil.N.2d`` and the legacy
    # methods "2d c++" / "2d python"; "3d" for ``pupil.N.3d`` ("3d c++", "pye3d <version> ...").
    # gazeport keeps only the method string, which identifies the same groups.
    if "2d" in method:
        return "2d"
    if "3d" in method:  # also matches "pye3d"
        return "3d"
    return ""


def detector_kinds(methods: np.ndarray, eye_ids: np.ndarray | None = None) -> np.ndarray:
    """Per pupil datum: 2 for 2D detector rows, 3 for 3D rows, 0 for others (or eye not 0/1)."""
    methods = np.asarray(methods).ravel()
    if methods.size == 0:
        return np.zeros(0, dtype=np.int8)
    unique, inverse = np.unique(methods.astype(str), return_inverse=True)
    codes = np.array(
        [{"2d": 2, "3d": 3}.get(_detector_kind(m), 0) for m in unique.tolist()], np.int8
    )
    kinds = codes[inverse.reshape(-1)]
    if eye_ids is not None:
        kinds[~np.isin(eye_ids, (0, 1))] = 0
    return kinds


def select_blink_input(
    timestamps: np.ndarray, confidence: np.ndarray, kinds: np.ndarray
) -> tuple[FloatArray, FloatArray]:
    """Player's choice among pooled pupil rows: the 2D ones, or the 3D ones if there is no 2D
    row; sorted stably by time. ``kinds`` from :func:`detector_kinds`."""
    chosen = kinds == 2
    if not chosen.any():
        chosen = kinds == 3
    ts = np.asarray(timestamps, dtype=np.float64)[chosen]
    conf = np.asarray(confidence, dtype=np.float64)[chosen]
    order = np.argsort(ts, kind="stable")
    return np.ascontiguousarray(ts[order]), np.ascontiguousarray(conf[order])


def pooled_pupil_confidence(pupil: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """Player's blink-detector input from a pupil stream (``PUPIL_DTYPE``, e.g. ``rec.pupil``).

    All 2D datums of both eyes (``method`` containing ``"2d"``: ``"2d c++"``, legacy
    ``"2d python"``); if there are none, all 3D datums (``method`` containing ``"3d"``:
    ``"3d c++"``, ``"pye3d ..."``). Other methods and eye ids other than 0/1 are ignored.
    Returns ``(timestamps [s], confidence)``, float64 arrays of shape ``(N,)`` sorted by time
    (stable, so datums with equal timestamps keep their stream order).
    """
    names = pupil.dtype.names or ()
    missing = [f for f in ("timestamp", "confidence", "method") if f not in names]
    if missing:
        raise ValueError(
            f"The pupil array lacks the field(s) {', '.join(missing)}; pass a PUPIL_DTYPE "
            f"array such as gazeport.open(path).pupil."
        )
    kinds = detector_kinds(pupil["method"], pupil["eye_id"] if "eye_id" in names else None)
    return select_blink_input(pupil["timestamp"], pupil["confidence"], kinds)


# --- filter ------------------------------------------------------------------------------------


def blink_filter_size(n_samples: int, total_time_s: float, history_length_s: float) -> int:
    """Player's filter size ``2 * round(N * history_length / T / 2)`` (an even number of taps).

    Python's ``round`` rounds half to even (``round(0.5) == 0``, ``round(1.5) == 2``).
    ``total_time_s`` must be greater than 0.
    """
    return 2 * round(n_samples * float(history_length_s) / float(total_time_s) / 2.0)


def blink_filter(size: int) -> FloatArray:
    """The ``size`` filter taps: ``1/size`` each, the first ``size // 2`` negated."""
    taps = np.ones(size) / size
    taps[: size // 2] *= -1
    return taps


# --- detection ---------------------------------------------------------------------------------


def detect_blinks(
    timestamps: npt.ArrayLike,
    confidence: npt.ArrayLike,
    *,
    world_timestamps: npt.ArrayLike,
    params: BlinkParams = BlinkParams(),
    progress: Progress | None = None,
) -> tuple[np.ndarray, FloatArray]:
    """Blinks in a pooled pupil-confidence series, Player's algorithm without its restart bug.

    ``timestamps`` [s] and ``confidence`` have shape ``(N,)``, sorted by time (see
    :func:`pooled_pupil_confidence`); ``world_timestamps`` [s] (shape ``(F,)``, sorted, not empty)
    give the frame indices. Returns ``(blinks, filter_response)``: a ``BLINK_DTYPE`` array (ids
    from 1) and the response for every input sample, float64 shape ``(N,)``.

    With fewer than 2 samples, no time span or a filter of 0 taps (too few samples per
    ``history_length_s``), there are no blinks and the response is all zeros; the last three
    cases emit a :class:`GazeportWarning` saying why (Pupil Player would fail there).
    """
    return _run(timestamps, confidence, world_timestamps, params, progress, restart_bug=False)


def player_blinks(
    timestamps: npt.ArrayLike,
    confidence: npt.ArrayLike,
    *,
    world_timestamps: npt.ArrayLike,
    params: BlinkParams = BlinkParams(),
    progress: Progress | None = None,
) -> tuple[np.ndarray, FloatArray]:
    """Like :func:`detect_blinks`, but exactly as Pupil Player, including its restart bug.

    A blink that starts at the sample where the previous one was seen to end starts at sample 0
    (``first_sample == 0``, ``start_timestamp`` = the first pupil timestamp), as in Player's
    ``blinks.csv`` (issue pupil-labs/pupil#2365).
    """
    return _run(timestamps, confidence, world_timestamps, params, progress, restart_bug=True)


def _as_series(values: npt.ArrayLike, name: str) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a one-dimensional array of numbers.") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must be finite; element {bad} is {float(arr[bad])!r}.")
    return arr


def _check_sorted(arr: FloatArray, name: str) -> None:
    backward = np.flatnonzero(np.diff(arr) < 0)
    if backward.size:
        i = int(backward[0])
        raise ValueError(
            f"{name} must be sorted by time; element {i + 1} ({arr[i + 1]!r}) is earlier than "
            f"element {i} ({arr[i]!r}). Sort the samples first (pooled_pupil_confidence does)."
        )


def _validate(
    timestamps: npt.ArrayLike,
    confidence: npt.ArrayLike,
    world_timestamps: npt.ArrayLike,
    params: BlinkParams,
    progress: Progress | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    if not isinstance(params, BlinkParams):
        raise TypeError(f"params must be a BlinkParams; got {type(params).__name__}.")
    params.validate()
    if progress is not None and not callable(progress):
        raise TypeError("progress must be a callable progress(fraction, text) or None.")
    ts = _as_series(timestamps, "timestamps")
    conf = _as_series(confidence, "confidence")
    world = _as_series(world_timestamps, "world_timestamps")
    if ts.shape != conf.shape:
        raise ValueError(
            f"timestamps and confidence must have the same length; got {ts.size} and {conf.size}."
        )
    if world.size == 0:
        raise ValueError("world_timestamps is empty; blinks need at least one world frame.")
    _check_sorted(ts, "timestamps")
    _check_sorted(world, "world_timestamps")
    return ts, conf, world


def _run(
    timestamps: npt.ArrayLike,
    confidence: npt.ArrayLike,
    world_timestamps: npt.ArrayLike,
    params: BlinkParams,
    progress: Progress | None,
    *,
    restart_bug: bool,
) -> tuple[np.ndarray, FloatArray]:
    ts, conf, world = _validate(timestamps, confidence, world_timestamps, params, progress)
    n_samples = ts.size
    no_blinks = np.empty(0, dtype=BLINK_DTYPE)
    if n_samples == 0:
        return no_blinks, np.zeros(0)
    total_time = float(ts[-1] - ts[0])
    if n_samples < 2 or total_time <= 0.0:
        warnings.warn(
            f"No blinks detected: the {n_samples} pupil sample(s) span no time, so no filter "
            f"length can be derived from them.",
            GazeportWarning,
            stacklevel=3,
        )
        return no_blinks, np.zeros(n_samples)
    size = blink_filter_size(n_samples, total_time, params.history_length_s)
    if size == 0:
        warnings.warn(
            f"No blinks detected: {n_samples} pupil samples over {total_time:g} s give a blink "
            f"filter of 0 samples for history_length_s={params.history_length_s!r}; the data "
            f"is too sparse (or the filter too short).",
            GazeportWarning,
            stacklevel=3,
        )
        return no_blinks, np.zeros(n_samples)

    if progress:
        progress(0.0, "filtering pupil confidence")
    response = fft_convolve_same(conf, blink_filter(size))
    response /= _RESPONSE_SCALE
    classes = np.zeros(n_samples, dtype=np.int8)
    classes[response > params.onset_confidence_threshold] = 1
    classes[response < -params.offset_confidence_threshold] = -1
    if progress:
        progress(0.5, "classifying blink onsets and offsets")

    spans = _blink_spans(classes, restart_bug=restart_bug)
    blinks = _blink_table(spans, ts, response, world)
    if progress:
        progress(1.0, f"{blinks.size} blinks")
    return blinks, response


def _blink_spans(classes: npt.NDArray[np.int8], *, restart_bug: bool) -> list[tuple[int, int]]:
    """``(s, e)`` of every finished blink: it starts at sample ``s`` and ends at sample ``e``.

    States only change where the class changes (or at sample 0): a blink starts on a +1 seen
    while idle, starts ending on a -1 and ends on the first sample after the -1 run. So only
    those positions are visited.
    """
    positions = np.concatenate(([0], np.flatnonzero(np.diff(classes)) + 1))
    spans: list[tuple[int, int]] = []
    idle, started, ending = 0, 1, 2
    state = idle
    start = 0
    for i, cls in zip(positions.tolist(), classes[positions].tolist(), strict=True):
        if state == idle and cls > 0:
            start, state = i, started
        elif state == started and cls == -1:
            state = ending
        elif state == ending and cls >= 0:
            spans.append((start, i - 1))
            if cls > 0:
                start, state = (0 if restart_bug else i), started
            else:
                state = idle
    if state == ending:
        spans.append((start, classes.size - 1))
    return spans


def _blink_table(
    spans: list[tuple[int, int]], ts: FloatArray, response: FloatArray, world: FloatArray
) -> np.ndarray:
    blinks = np.zeros(len(spans), dtype=BLINK_DTYPE)
    if not spans:
        return blinks
    s = np.array([a for a, _ in spans], dtype=np.int64)
    e = np.array([b for _, b in spans], dtype=np.int64)
    start, end = ts[s], ts[e]
    first_frame = np.searchsorted(world, start, side="left")
    # Player clips only the end frame (its "list index out of range" fix); a blink starting
    # after the last world frame keeps start_frame_index == len(world_timestamps).
    last_frame = np.minimum(np.searchsorted(world, end, side="left"), world.size - 1)
    blinks["id"] = np.arange(1, len(spans) + 1)
    blinks["start_timestamp"] = start
    blinks["end_timestamp"] = end
    blinks["timestamp"] = (end + start) / 2
    blinks["duration_s"] = end - start
    blinks["start_frame_index"] = first_frame
    blinks["end_frame_index"] = last_frame
    blinks["index"] = (first_frame + last_frame) // 2
    # np.mean per blink (pairwise summation), bit-identical to Player's confidence.
    blinks["confidence"] = [min(float(np.abs(response[a:b]).mean()), 1.0) for a, b in spans]
    blinks["first_sample"] = s
    blinks["last_sample"] = e - 1
    return blinks
