"""Neon Player's world frame timeline (recording/neon_timeline.py).

Checked three ways: against Neon Player 6.0.13's own ``world_timestamps.csv`` and
``export_info.csv`` of the real recordings (row counts exact, timestamps within 512 ns since
Neon Player writes float64); against a float64 restatement of Neon Player's arithmetic written
here (an oracle: numpy ``arange`` over floats, as Neon Player runs it); and against values worked
out by hand for synthetic cases.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from tests import fixtures
from tests.neon_factories import SCENE, START_NS, write_neon

import gazeport
from gazeport.recording.neon_timeline import (
    export_info_frame_range,
    float_step_ns,
    neon_player_timeline,
)

#: Neon Player 6.0.13's exports of the real recordings, beside them (README.md there).
GOLDEN = fixtures.NEON_PLAYER_EXPORTS
FRAME = 33_333_333
#: numpy's float64 arange step for 33,333,333 ns at epochs 2^60..2^61 ns (2006-2043).
STEP = 33_333_248
S = 1_000_000_000


def oracle(scene_ns: np.ndarray, start: int, stop: int) -> np.ndarray:
    """What Neon Player 6.0.13 computes for the whole recording, in float64 like it does:
    30 fps gray frames before the first and after the last scene frame, the window
    ``start <= t <= stop``, then 30 fps fill of gaps > 0.5 s ending half a frame early."""
    step = 1e9 // 30
    frames = np.concatenate(
        [
            np.arange(start, scene_ns[0], step),
            scene_ns.astype(np.float64),
            np.arange(scene_ns[-1] + step, stop, step),
        ]
    )
    frames = frames[(frames >= start) & (frames <= stop)]
    for gap in np.flatnonzero(np.diff(frames) > 0.5e9)[::-1]:
        filled = np.arange(frames[gap], frames[gap + 1] - 1e9 // 60, step)
        frames = np.concatenate([frames[:gap], filled, frames[gap + 1 :]])
    return frames


def scene(times_ns, part: int = 1) -> np.ndarray:
    """A scene stream (``timestamp_ns``, ``part``, ``frame_in_part``) of one part."""
    times = np.asarray(times_ns, dtype=np.int64)
    out = np.empty(times.size, [("timestamp_ns", "<i8"), ("part", "<i8"), ("frame_in_part", "<i8")])
    out["timestamp_ns"], out["part"], out["frame_in_part"] = times, part, np.arange(times.size)
    return out


def joined(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts)


def run_of(first_ns: int, count: int, step_ns: int = FRAME) -> np.ndarray:
    return first_ns + step_ns * np.arange(count, dtype=np.int64)


# --- Neon Player's own files ----------------------------------------------------------------------


def golden_rows(name: str) -> list[list[str]]:
    path = GOLDEN / name / "world_timestamps.csv"
    if not path.is_file():
        pytest.skip(f"Neon Player reference exports not found in {GOLDEN}")
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def golden_frame_range(name: str) -> tuple[int, int]:
    with (GOLDEN / name / "export_info.csv").open(newline="", encoding="utf-8") as fh:
        value = dict(csv.reader(fh))["Frame Index Range"]
    lo, hi = value.split(" - ")
    return int(lo), int(hi)


def scene_times(folder: Path) -> np.ndarray:
    """Every ``Neon Scene Camera v1 psN.time`` value, read here with numpy, sorted."""
    parts = sorted(folder.glob(f"{SCENE} ps*.time"))
    return np.sort(np.concatenate([np.fromfile(p, dtype="<i8") for p in parts]))


@fixtures.needs_recordings
@pytest.mark.parametrize(("name", "rows"), [("neon_demo", 375), ("neon23_multipart", 1345)])
def test_timeline_matches_neon_player(name: str, rows: int):
    folder = fixtures.recording(name)
    golden = golden_rows(name)
    assert golden[0] == ["recording id", "timestamp [ns]"]
    expected = np.array([float(r[1]) for r in golden[1:]])
    with gazeport.open(folder) as rec:
        tl = rec.timeline
        window = (rec.start_time_ns, rec.stop_time_ns)
    assert len(golden) - 1 == rows == len(tl)
    assert tl.timestamps_ns.dtype == np.int64
    assert np.abs(tl.timestamps_ns - expected.astype(np.int64)).max() <= 512
    # Scene frames are the recorded .time values, untouched (only those inside the recording).
    times = scene_times(folder)
    inside = times[(times >= window[0]) & (times <= window[1])]
    np.testing.assert_array_equal(tl.timestamps_ns[~tl.gray], inside)
    assert export_info_frame_range(tl, window) == golden_frame_range(name)


@fixtures.needs_recordings
def test_lost_parts_keep_their_frame_times():
    """neon23_multipart: ps2 and ps3 have a .time but no MP4; their frames stay on the
    timeline at their own times, with their part numbers."""
    folder = fixtures.recording("neon23_multipart")
    with gazeport.open(folder) as rec:
        tl = rec.timeline
    for number in (2, 3):
        times = np.fromfile(folder / f"{SCENE} ps{number}.time", dtype="<i8")
        on = tl.timestamps_ns[tl.part == number]
        np.testing.assert_array_equal(on, times[: on.size])
        np.testing.assert_array_equal(tl.frame_in_part[tl.part == number], np.arange(on.size))
    assert set(np.unique(tl.part).tolist()) == {-1, 1, 2, 3}


# --- Neon Player's arithmetic (oracle) and hand-worked cases --------------------------------------


def assert_like_oracle(frames: np.ndarray, start: int, stop: int) -> None:
    tl = neon_player_timeline(scene(frames), start, stop)
    expected = oracle(frames, start, stop)
    assert len(tl) == expected.size
    assert np.abs(tl.timestamps_ns - expected.astype(np.int64)).max() <= 512
    assert np.all(np.diff(tl.timestamps_ns) > 0)


@pytest.mark.parametrize(
    "gaps_s",
    [
        pytest.param((), id="no-gap"),
        pytest.param((0.4,), id="gap-below-half-second"),
        pytest.param((0.6,), id="gap-above-half-second"),
        pytest.param((7.5, 0.51, 2.0), id="several-gaps"),
    ],
)
def test_timeline_follows_neon_player_arithmetic(gaps_s: tuple[float, ...]):
    runs, t = [], START_NS + 700_000_000
    for gap in (*gaps_s, None):
        runs.append(run_of(t, 40, 33_330_000))
        t = int(runs[-1][-1]) + (0 if gap is None else int(gap * S))
    frames = np.concatenate(runs)
    assert_like_oracle(frames, START_NS, int(frames[-1]) + 900_000_000)


def test_effective_step_is_numpy_float64_arange_step():
    assert float_step_ns(START_NS) == STEP
    assert float_step_ns(1_760_676_788_219_000_000) == STEP
    assert float_step_ns(0) == FRAME  # below 2^53 ns float64 is exact


def test_gap_shorter_than_half_a_second_is_not_filled():
    frames = joined(run_of(START_NS, 10), run_of(START_NS + 9 * FRAME + 400_000_000, 10))
    tl = neon_player_timeline(scene(frames), START_NS, int(frames[-1]))
    np.testing.assert_array_equal(tl.timestamps_ns, frames)
    assert not tl.gray.any()


def test_gap_longer_than_half_a_second_gets_gray_frames():
    before = START_NS + 9 * FRAME
    after = before + 2 * S
    frames = joined(run_of(START_NS, 10), run_of(after, 10))
    tl = neon_player_timeline(scene(frames), START_NS, int(frames[-1]))
    gray = tl.timestamps_ns[tl.gray]
    # k = 1 .. while before + k * STEP < after - half a frame: ceil((2e9 - 16666666) / FRAME) - 1
    expected = before + STEP * np.arange(1, 60, dtype=np.int64)
    np.testing.assert_array_equal(gray, expected)
    assert after - gray[-1] >= 16_666_666
    assert np.all(tl.part[tl.gray] == -1) and np.all(tl.frame_in_part[tl.gray] == -1)
    assert len(tl) == 20 + 59


def test_first_frame_long_after_start_and_end_after_last_frame():
    first = START_NS + 5 * S + 1234
    frames = run_of(first, 30)
    stop = int(frames[-1]) + S
    tl = neon_player_timeline(scene(frames), START_NS, stop)
    pre = tl.timestamps_ns[: int(np.argmax(~tl.gray))]
    # ceil(5.000001234 s / FRAME) = 151 frames from the start, STEP apart.
    np.testing.assert_array_equal(pre, START_NS + STEP * np.arange(151, dtype=np.int64))
    post = tl.timestamps_ns[tl.timestamps_ns > frames[-1]]
    # From last + STEP, while earlier than the end: ceil((1e9 - STEP) / FRAME) = 30 frames.
    np.testing.assert_array_equal(post, int(frames[-1]) + STEP * np.arange(1, 31, dtype=np.int64))
    assert post[-1] < stop
    np.testing.assert_array_equal(tl.timestamps_ns[~tl.gray], frames)
    assert export_info_frame_range(tl, (START_NS, stop)) == (-1, 29)
    assert_like_oracle(frames, START_NS, stop)


def test_no_scene_at_all_gives_gray_frames_from_start_to_before_end():
    stop = START_NS + 2 * S
    tl = neon_player_timeline(scene([]), START_NS, stop)
    np.testing.assert_array_equal(tl.timestamps_ns, START_NS + STEP * np.arange(61, dtype=np.int64))
    assert tl.gray.all() and tl.timestamps_ns[-1] < stop
    assert export_info_frame_range(tl, (START_NS, stop)) == (-1, -1)


def test_scene_frames_outside_the_recording_are_dropped():
    frames = run_of(START_NS - 3 * FRAME, 30)
    stop = int(frames[20]) + 5
    tl = neon_player_timeline(scene(frames), START_NS, stop)
    np.testing.assert_array_equal(tl.timestamps_ns, frames[3:21])
    # Neon Player numbers every scene frame: the window's ends are scene frames 3 and 20.
    assert export_info_frame_range(tl, (START_NS, stop)) == (3, 20)
    assert_like_oracle(frames, START_NS, stop)


def test_parts_keep_their_numbers_and_unsorted_input_is_sorted():
    one, two = scene(run_of(START_NS + S, 20), part=2), scene(run_of(START_NS, 20), part=1)
    tl = neon_player_timeline(joined(one, two), START_NS, START_NS + 2 * S)
    real = ~tl.gray
    assert tl.part[real].tolist() == [1] * 20 + [2] * 20
    assert tl.frame_in_part[real].tolist() == list(range(20)) * 2
    assert np.all(np.diff(tl.timestamps_ns) > 0)


@pytest.mark.parametrize("ordered", [True, False], ids=["sorted", "unsorted"])
def test_timeline_holds_no_view_of_the_scene_records(ordered: bool):
    """The timeline keeps its own arrays: a view of a field would keep every column of the
    (long) scene records alive as long as the timeline."""
    one, two = scene(run_of(START_NS, 20), part=1), scene(run_of(START_NS + S, 20), part=2)
    records = joined(one, two) if ordered else joined(two, one)
    tl = neon_player_timeline(records, START_NS, START_NS + 2 * S)
    for arr in (tl.timestamps_ns, tl.part, tl.frame_in_part, tl.scene_ns):
        assert arr.base is None or arr.base.dtype.names is None
        assert not np.shares_memory(arr, records)
    assert tl.scene_ns.tolist() == sorted(records["timestamp_ns"].tolist())


def test_frame_index_range_counts_scene_frames_not_timeline_frames():
    frames = joined(run_of(START_NS + S, 10), run_of(START_NS + 3 * S, 10))
    tl = neon_player_timeline(scene(frames), START_NS, START_NS + 5 * S)
    assert export_info_frame_range(tl, (START_NS, START_NS + 5 * S)) == (-1, 19)
    inside = (int(frames[4]), int(frames[12]) - 1)
    assert export_info_frame_range(tl, inside) == (4, 11)
    # The timeline itself has gray frames before and between.
    assert tl.frame_at_or_before(inside[0]) > 4


def test_in_window_is_inclusive_at_both_ends():
    frames = run_of(START_NS, 10)
    tl = neon_player_timeline(scene(frames), START_NS, int(frames[-1]))
    window = tl.in_window((int(frames[2]), int(frames[5])))
    np.testing.assert_array_equal(tl.timestamps_ns[window], frames[2:6])
    assert tl.timestamps_ns[tl.in_window((int(frames[2]) + 1, int(frames[3]) - 1))].size == 0


# --- synthetic recordings --------------------------------------------------------------------------


def test_a_lost_scene_part_keeps_its_times(tmp_path: Path):
    """A part with a .time but no MP4 (here: ps2) is on the timeline at its recorded times,
    exactly as when its MP4 is there."""
    truth = write_neon(tmp_path / "rec", parts=((0.5, 1.0), (1.6, 0.8), (4.0, 0.6)))
    for number in (1, 3):
        (truth.root / f"{SCENE} ps{number}.mp4").write_bytes(b"")
    with gazeport.open(truth.root) as rec:
        lost = rec.timeline
    (truth.root / f"{SCENE} ps2.mp4").write_bytes(b"")
    with gazeport.open(truth.root) as rec:
        present = rec.timeline
        window = (rec.start_time_ns, rec.stop_time_ns)
    np.testing.assert_array_equal(lost.timestamps_ns, present.timestamps_ns)
    times = np.fromfile(truth.root / f"{SCENE} ps2.time", dtype="<i8")
    np.testing.assert_array_equal(lost.timestamps_ns[lost.part == 2], times)
    every = scene_times(truth.root)
    assert_like_oracle(every, *window)
    # ps1 and ps2 are 33 ms apart (not filled); the 1.53 s before ps3 is.
    ps1, ps3 = (np.fromfile(truth.root / f"{SCENE} ps{n}.time", dtype="<i8") for n in (1, 3))
    t = lost.timestamps_ns
    assert not lost.gray[(t > ps1[-1]) & (t < times[0])].any()
    assert (
        lost.gray[(t > times[-1]) & (t < ps3[0])].sum()
        == -(-(ps3[0] - 16_666_666 - times[-1]) // FRAME) - 1
    )
