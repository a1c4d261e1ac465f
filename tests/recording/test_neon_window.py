"""Export windows of Neon recordings: seconds from the start, event names, frames."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.neon_factories import START_NS, write_neon

import gazeport
from gazeport.errors import TrimRangeError


@pytest.fixture
def rec(tmp_path: Path) -> gazeport.NeonRecording:
    truth = write_neon(tmp_path / "rec")
    opened = gazeport.open(truth.root)
    assert isinstance(opened, gazeport.NeonRecording)
    return opened


def test_no_range_is_the_whole_recording(rec: gazeport.NeonRecording) -> None:
    span = rec.export_window()
    assert span.window_ns == (rec.start_time_ns, rec.stop_time_ns)
    assert span.window_s == (0.0, pytest.approx(rec.duration_s))


def test_seconds_are_from_the_recording_start_and_exact_in_ns(rec: gazeport.NeonRecording) -> None:
    span = rec.export_window(start_s=0.25, end_s=1.5)
    assert span.window_ns == (START_NS + 250_000_000, START_NS + 1_500_000_000)
    assert span.window_s == (0.25, 1.5)


def test_an_end_after_the_recording_is_its_end(rec: gazeport.NeonRecording) -> None:
    assert rec.export_window(start_s=1.0, end_s=1e6).window_ns[1] == rec.stop_time_ns


@pytest.mark.parametrize(
    ("start_s", "end_s"), [(1e6, None), (2.0, 1.0)], ids=["start-after-end-of-rec", "reversed"]
)
def test_seconds_outside_say_the_valid_range(
    rec: gazeport.NeonRecording, start_s: float, end_s: float | None
) -> None:
    with pytest.raises(TrimRangeError, match=r"runs 0 – \d+\.\d{3} s from its start"):
        rec.export_window(start_s=start_s, end_s=end_s)


def test_events_bound_the_window(rec: gazeport.NeonRecording) -> None:
    # write_neon: recording.begin at 0 s, "früh" at 1 s, stim.on at 3 s, recording.end at the end
    span = rec.export_window(from_event="früh", to_event="stim.on")
    assert span.window_ns == (START_NS + 1_000_000_000, START_NS + 3_000_000_000)
    assert rec.export_window(from_event="stim.on").window_ns[1] == rec.stop_time_ns
    assert rec.export_window(to_event="früh").window_ns[0] == rec.start_time_ns


def test_the_end_event_must_come_after_the_start_event(rec: gazeport.NeonRecording) -> None:
    with pytest.raises(TrimRangeError, match=r"no event 'früh' at or after 'stim.on'"):
        rec.export_window(from_event="stim.on", to_event="früh")


def test_an_unknown_event_lists_the_known_ones(rec: gazeport.NeonRecording) -> None:
    with pytest.raises(TrimRangeError) as info:
        rec.export_window(from_event="stim.of")
    assert "no event 'stim.of'" in str(info.value)
    assert "'recording.begin', 'früh', 'stim.on', 'recording.end'" in str(info.value)


def test_one_way_of_giving_the_range(rec: gazeport.NeonRecording) -> None:
    with pytest.raises(TrimRangeError, match="in one way"):
        rec.export_window(start_s=1.0, from_event="stim.on")


def test_frames_are_timeline_frames(rec: gazeport.NeonRecording) -> None:
    ts = rec.timeline.timestamps_ns
    span = rec.export_window(start_frame=2, end_frame=5)
    assert span.window_ns == (int(ts[2]), int(ts[5]))
    assert span.frame_range == (2, 5)
    with pytest.raises(TrimRangeError, match=f"choose a frame from 0 to {len(ts) - 1}"):
        rec.export_window(end_frame=len(ts))


def test_core_recordings_refuse_event_names(tmp_path: Path) -> None:
    from tests.factories import make_core_recording

    core = gazeport.open(make_core_recording(tmp_path / "core"))
    with pytest.raises(TrimRangeError, match="--from-event/--to-event take the events of Neon"):
        core.export_window(from_event="x")
