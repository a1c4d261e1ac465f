"""The Neon stream decoder on synthetic recordings (tests/neon_factories.py): clean ones against
both the hand-made truth and pupil-labs-neon-recording, damaged ones against the truth where the
vendor reader is wrong (it joins parts by number and truncates only after joining)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from tests.neon_factories import (
    DTYPES,
    EYE,
    START_NS,
    NeonTruth,
    append_bytes,
    cut_records,
    empty_stream,
    write_dtype_file,
    write_neon,
)
from tests.neon_factories import (
    tree_sha as sha,
)
from tests.neon_oracle import assert_fields_equal, oracle_streams

from gazeport.errors import CorruptFileError, GazeportWarning, StreamNotFoundError
from gazeport.formats.neon_inventory import list_neon_streams
from gazeport.formats.neon_streams import (
    EYE_STATE_EYELID_FALLBACK,
    neon_stream,
    read_blinks,
    read_events,
    read_video_times,
)

#: gazeport stream → (oracle stream, fields the oracle has).
ORACLE_OF = {
    "gaze": "gaze",
    "worn": "worn",
    "eye_state": "eyeball",
    "imu": "imu",
    "fixations": "fixations",
    "saccades": "saccades",
    "blinks": "blinks",
}


def decode(folder: Path, name: str) -> tuple[np.ndarray, list[str]]:
    """``neon_stream`` and the texts of the GazeportWarnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = neon_stream(folder, name)
    assert all(issubclass(w.category, GazeportWarning) for w in caught)
    return data, [str(w.message) for w in caught]


def quiet(folder: Path, name: str) -> np.ndarray:
    data, messages = decode(folder, name)
    assert messages == []
    return data


def drop_last(truth: NeonTruth, stream: str, index: int, count: int = 1) -> None:
    """The truth after the last ``count`` samples of part ``index`` (time order) were lost."""
    number, times, records = truth.parts[stream][index]
    truth.parts[stream][index] = (number, times[:-count], records[:-count])


@pytest.mark.parametrize("data_format", ["2.3", "2.5"])
def test_clean_recording_equals_the_truth_and_the_vendor_reader(tmp_path: Path, data_format: str) -> None:  # fmt: skip
    truth = write_neon(tmp_path / "rec", data_format=data_format)
    before = sha(truth.root)
    oracle = oracle_streams(truth.root)
    for name in truth.parts:
        ours = quiet(truth.root, name)
        assert_fields_equal(ours, truth.expected(name), name)
        if name in ORACLE_OF and name not in ("fixations", "saccades"):
            assert_fields_equal(ours, oracle[ORACLE_OF[name]], name)
        elif name in ORACLE_OF:
            assert_fields_equal(ours, oracle[name], name)  # app 2.9.40: no offset added
    if data_format == "2.5":
        assert_fields_equal(quiet(truth.root, "eye_state"), oracle["eyelid"], "eyelid")
        assert "eyelid_aperture_left_mm" in quiet(truth.root, "eye_state").dtype.names
    else:
        assert "eyelid" not in oracle
        assert "eyelid_aperture_left_mm" not in quiet(truth.root, "eye_state").dtype.names
        for name in ("fixations", "saccades", "blinks"):
            with pytest.raises(StreamNotFoundError, match=rf"has no {name} stream"):
                neon_stream(truth.root, name)
    events = quiet(truth.root, "events")
    assert events.tolist() == sorted(truth.events)
    assert_fields_equal(events, oracle["events"], "events")
    right = quiet(truth.root, "gaze_right")
    assert_fields_equal(right[["x", "y"]], oracle["gaze_monocular_right"][["x", "y"]], "right")
    assert np.array_equal(right["timestamp_ns"], oracle["gaze"]["timestamp_ns"] + 5_000_000)
    assert sha(truth.root) == before


def test_cloud_200hz_files_equal_the_vendor_reader(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec", cloud_200hz=True)
    oracle = oracle_streams(truth.root)
    for name in ("gaze_200hz", "worn_200hz"):
        ours = quiet(truth.root, name)
        assert_fields_equal(ours, truth.expected(name), name)
        assert_fields_equal(ours, oracle[name.removesuffix("_200hz")], name)


@pytest.mark.parametrize("data_format", ["2.3", "2.5"])
def test_parts_are_joined_by_time_not_by_number(tmp_path: Path, data_format: str) -> None:
    truth = write_neon(tmp_path / "rec", data_format=data_format, numbers=(3, 1, 2))
    oracle = oracle_streams(truth.root)
    for name in ("gaze", "worn", "eye_state", "scene", "eye"):
        ours = quiet(truth.root, name)
        assert_fields_equal(ours, truth.expected(name), name)
        assert np.all(np.diff(ours["timestamp_ns"]) > 0)
    # the vendor reader concatenates ps1, ps2, ps3: its gaze goes back in time
    assert not np.all(np.diff(oracle["gaze"]["timestamp_ns"]) > 0)
    scene = quiet(truth.root, "scene")
    assert scene["part"][0] == 3 and scene["frame_in_part"][0] == 0
    assert [p.number for p in list_neon_streams(truth.root)["gaze"].parts] == [3, 1, 2]


@pytest.mark.parametrize("cut", ["gaze ps1.raw", "gaze ps1.time"])
def test_a_short_part_does_not_shift_the_later_parts(tmp_path: Path, cut: str) -> None:
    truth = write_neon(tmp_path / "rec")
    cut_records(truth.root / cut, 8, count=2)
    data, messages = decode(truth.root, "gaze")
    drop_last(truth, "gaze", 0, count=2)
    assert_fields_equal(data, truth.expected("gaze"), "gaze")
    n = len(truth.parts["gaze"][0][1])
    raw, time = (n, n + 2) if cut.endswith(".raw") else (n + 2, n)
    assert messages == [
        f"{truth.root / 'gaze ps1.raw'} holds {raw} records but {truth.root / 'gaze ps1.time'} "
        f"holds {time} timestamps; the first {n} of each are used and the rest of that part is "
        "ignored."
    ]
    # the vendor reader truncates after joining: later parts' values sit on wrong timestamps
    theirs = oracle_streams(truth.root)["gaze"]
    assert len(theirs) == len(data)
    same_times = np.array_equal(theirs["timestamp_ns"], data["timestamp_ns"])
    assert not (same_times and np.array_equal(theirs["gaze_x_px"], data["gaze_x_px"]))


def test_worn_with_an_extra_byte_per_part_stays_aligned(tmp_path: Path) -> None:
    """Format 2.3 fixtures carry one extra byte in every worn file (a pre-commit hook)."""
    truth = write_neon(tmp_path / "rec", data_format="2.3")
    for number in (1, 2, 3):
        append_bytes(truth.root / f"worn ps{number}.raw", 1)
    data, messages = decode(truth.root, "worn")
    assert_fields_equal(data, truth.expected("worn"), "worn")
    assert len(messages) == 3 and all("worn ps" in m and "gaze ps" in m for m in messages)
    theirs = oracle_streams(truth.root)["worn"]
    assert not np.array_equal(theirs["worn"], data["worn"])


def test_a_size_that_is_no_multiple_of_the_record_keeps_the_whole_records(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    append_bytes(truth.root / "eye_state ps2.raw", 3)
    data, messages = decode(truth.root, "eye_state")
    assert_fields_equal(data, truth.expected("eye_state"), "eye_state")
    path = truth.root / "eye_state ps2.raw"
    size = path.stat().st_size
    assert messages == [
        f"{path} is {size} bytes, not a multiple of its 80-byte records; the last 3 bytes (an "
        f"incomplete record) are ignored and {size // 80} records are used."
    ]
    assert "eyeball" not in oracle_streams(truth.root)  # the vendor reader gives up


def test_empty_streams_and_parts_keep_their_dtype(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    full = quiet(truth.root, "blinks")
    empty_stream(truth.root, "blinks")
    blinks = read_blinks(truth.root)
    assert len(blinks) == 0 and blinks.dtype == full.dtype
    assert len(oracle_streams(truth.root)["blinks"]) == 0
    assert list_neon_streams(truth.root)["blinks"].count == 0
    for suffix in ("raw", "time"):
        (truth.root / f"eye_state ps2.{suffix}").write_bytes(b"")
    truth.parts["eye_state"].pop(1)
    assert_fields_equal(quiet(truth.root, "eye_state"), truth.expected("eye_state"), "eye_state")


def test_without_dtype_files_the_layout_follows_the_file_size(tmp_path: Path) -> None:
    """A 2.5 recording whose .dtype files are lost: 80-byte eye states keep their eyelids and
    20-byte blinks their event type, which the vendor reader's fixed fallbacks misread."""
    truth = write_neon(tmp_path / "rec")
    for path in truth.root.glob("*.dtype"):
        path.unlink()
    for name in ("gaze", "worn", "eye_state", "imu", "fixations", "saccades", "blinks"):
        assert_fields_equal(quiet(truth.root, name), truth.expected(name), name)
    assert quiet(truth.root, "eye_state").dtype.names[-1] == "eyelid_aperture_right_mm"
    assert list_neon_streams(truth.root)["eye_state"].layout == "built-in"
    assert EYE_STATE_EYELID_FALLBACK.itemsize == 80
    oracle = oracle_streams(truth.root)
    assert "blinks" not in oracle or not np.array_equal(
        oracle["blinks"]["start_timestamp_ns"], truth.expected("blinks")["start_timestamp_ns"]
    )


def test_a_dtype_file_with_extra_fields_keeps_them_under_their_names(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    wider = np.dtype([*DTYPES["gaze"].descr, ("confidence", "<f4")])
    write_dtype_file(truth.root / "gaze.dtype", wider)
    for number, times, records in truth.parts["gaze"]:
        widened = np.zeros(len(times), wider)
        widened["x"], widened["y"], widened["confidence"] = records["x"], records["y"], 0.5
        (truth.root / f"gaze ps{number}.raw").write_bytes(widened.tobytes())
    gaze = quiet(truth.root, "gaze")
    assert gaze.dtype.names == ("timestamp_ns", "gaze_x_px", "gaze_y_px", "confidence")
    assert_fields_equal(gaze, truth.expected("gaze"), "gaze")
    assert np.all(gaze["confidence"] == 0.5)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("import os", r"gaze\.dtype is not a list of \(name, type\) pairs"),
        ("[('x', 'float32'), ('y', 'nonsense')]", r"gaze\.dtype is not a list"),
        ("[('x', 'float32'), ('y', 'U4')]", r"gaze\.dtype names a field that is not a number"),
    ],
    ids=["not-a-literal", "bad-type", "text-field"],
)
def test_a_broken_dtype_file_is_one_sentence(tmp_path: Path, text: str, match: str) -> None:
    truth = write_neon(tmp_path / "rec")
    (truth.root / "gaze.dtype").write_text(text)
    with pytest.raises(CorruptFileError, match=match):
        neon_stream(truth.root, "gaze")


def test_a_fixation_dtype_without_times_is_one_sentence(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    write_dtype_file(truth.root / "fixations.dtype", DTYPES["gaze"])
    with pytest.raises(CorruptFileError, match=r"fixations\.dtype has no start_timestamp_ns"):
        neon_stream(truth.root, "saccades")


def test_a_timestamp_beyond_int64_is_corrupt(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    path = truth.root / "gaze ps2.time"
    data = bytearray(path.read_bytes())
    data[8 * 3 : 8 * 4] = (2**63 + 5).to_bytes(8, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match=r"gaze ps2\.time holds a timestamp .* record 3 \(byte 24\)") as info:  # fmt: skip
        neon_stream(truth.root, "gaze")
    assert info.value.offset == 24


def test_overlapping_parts_are_sorted_with_a_warning(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec", parts=((0.5, 1.0), (1.2, 1.0)))
    data, messages = decode(truth.root, "gaze")
    assert np.all(np.diff(data["timestamp_ns"]) >= 0)
    assert len(data) == len(truth.expected("gaze"))
    assert len(messages) == 1 and "goes back in time" in messages[0]


def test_events_are_sorted_stably_and_mismatches_warn(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec")
    events = read_events(truth.root)
    assert events["name"].tolist() == ["recording.begin", "früh", "stim.on", "recording.end"]
    (truth.root / "event.txt").write_bytes(b"a\r\nb\xff\nc\n")
    data, messages = decode(truth.root, "events")
    assert data["name"].tolist() == ["a", "c", "b\ufffd"]  # by the first three times
    assert "not UTF-8 at byte 4" in messages[0]
    assert "holds 3 event names but" in messages[1] and "holds 4 timestamps" in messages[1]


def test_video_times_and_their_second_clock(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec", numbers=(2, 1, 3))
    (truth.root / f"{EYE} ps3.time").unlink()
    (truth.root / f"{EYE} ps3.time_aux").unlink()
    truth.parts["eye"].pop(2)
    eye = read_video_times(truth.root, "eye")
    assert eye.tolist() == truth.expected("eye").tolist()
    aux = read_video_times(truth.root, "eye", aux=True)
    assert np.array_equal(aux["timestamp_ns"], eye["timestamp_ns"] + 7_000_000)
    assert np.array_equal(aux[["part", "frame_in_part"]], eye[["part", "frame_in_part"]])


def test_missing_and_unknown_streams(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec", data_format="2.3")
    with pytest.raises(StreamNotFoundError, match=r"rec has no blinks stream"):
        neon_stream(truth.root, "blinks")
    with pytest.raises(
        StreamNotFoundError, match=r"'pupil' is not a Neon stream; use one of gaze,"
    ):
        neon_stream(truth.root, "pupil")
    (truth.root / "event.time").unlink()
    with pytest.raises(StreamNotFoundError, match=r"has no events"):
        neon_stream(truth.root, "events")
    assert "events" not in list_neon_streams(truth.root)


def test_the_listing_reports_parts_counts_and_spans(tmp_path: Path) -> None:
    truth = write_neon(tmp_path / "rec", numbers=(2, 1, 3))
    cut_records(truth.root / "gaze ps1.time", 8)
    listing = list_neon_streams(truth.root)
    gaze = listing["gaze"]
    assert gaze.layout == str(truth.root / "gaze.dtype")
    middle = gaze.parts[1]
    assert middle.number == 1 and middle.records == middle.timestamps + 1 == middle.used + 1
    assert gaze.first_ns == START_NS + 500_000_000 + 123
    assert listing["fixations"].count + listing["saccades"].count == 18
    assert listing["events"].count == 4
    assert all(p.video_file is None for p in listing["scene"].parts)


def test_format_23_imu_is_read_from_extimu_part_by_part_and_joined_by_time(tmp_path: Path) -> None:
    """Without ``imu psN.raw`` the protobuf ``extimu`` parts give the same fields; a part with
    a lost timestamp is cut on its own and parts out of number order are joined by time."""
    truth = write_neon(tmp_path / "rec", data_format="2.3", numbers=(3, 1, 2))
    assert not list(truth.root.glob("imu ps*"))
    oracle = oracle_streams(truth.root)
    ours = quiet(truth.root, "imu")
    assert ours.dtype == quiet(write_neon(tmp_path / "v25").root, "imu").dtype
    assert_fields_equal(ours, truth.expected("imu"), "imu")
    assert np.all(np.diff(ours["timestamp_ns"]) > 0)
    assert not np.all(np.diff(oracle["imu"]["timestamp_ns"]) > 0)  # the reader joins by number
    cut_records(truth.root / "extimu ps3.time", 8, count=2)
    data, messages = decode(truth.root, "imu")
    drop_last(truth, "imu", 0, count=2)
    assert_fields_equal(data, truth.expected("imu"), "imu")
    assert len(messages) == 1 and "extimu ps3.raw holds" in messages[0]
