"""CLI errors in the user's words: a range in the units it was given, detector options by name.

A range outside the recording is a gazeport error (exit 1, one line) that speaks seconds when the
range was given in seconds (with the recording's length in seconds) and frames when it was given
in frames. A bad detector parameter is a usage error (exit 2) that names the option the user
typed (``--max-dispersion``), never the library's field (``max_dispersion_deg``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gazeport import cli
from gazeport.errors import TrimRangeError
from gazeport.recording import open_recording
from tests.factories import CoreSpec, make_core_recording

runner = CliRunner()


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_core_recording(tmp_path_factory.mktemp("errors") / "rec", CoreSpec(n_frames=40))


def error_line(rec: Path, *args: str) -> str:
    result = runner.invoke(cli.app, ["export", str(rec), "--quiet", *args])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert not (rec / "exports").exists() or not any((rec / "exports").iterdir())
    return lines[0]


def test_range_in_seconds_is_answered_in_seconds(rec: Path) -> None:
    world = np.load(rec / "world_timestamps.npy")
    length = f"{world[-1] - world[0]:.3f} s"
    line = error_line(rec, "--start-s", "1e9")
    assert "1e+09 s" in line and f"0 to {length}" in line, line
    assert not re.search(r"\b(39|40)\b", line), line  # no frame numbers
    line = error_line(rec, "--start-s", "1", "--end-s", "0.5")
    assert "1 s" in line and "0.5 s" in line and "swap" in line, line
    assert not re.search(r"\b(32|16)\b", line), line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(["--start-frame", "1000"], ["start frame 1000", "0 - 39"], id="start"),
        pytest.param(["--end-frame", "1000"], ["end frame 1000", "0 - 39"], id="end"),
        pytest.param(
            ["--start-frame", "30", "--end-frame", "10"],
            ["start frame 30", "end frame 10", "swap"],
            id="reversed",
        ),
    ],
)
def test_range_in_frames_is_answered_in_frames(rec: Path, args: list[str], words: list[str]):
    line = error_line(rec, *args)
    assert all(w in line for w in words), line
    assert " s " not in line and " s;" not in line, line


def test_library_range_errors_speak_the_units_given(rec: Path) -> None:
    recording = open_recording(rec)
    with pytest.raises(TrimRangeError, match=r"start time 99 s .* 0 to 1\.219 s"):
        recording.frame_range(start_s=99.0)
    with pytest.raises(TrimRangeError, match="end time is not a number"):
        recording.frame_range(end_s=float("nan"))
    with pytest.raises(TrimRangeError, match="end frame 40 is outside"):
        recording.frame_range(end_frame=40)
    assert recording.frame_range(end_s=99.0) == (0, 39)  # an end past the last frame is the last


#: Every detector option of the CLI with a value it rejects, and the field it sets.
BAD_DETECTOR_OPTIONS = [
    ("--max-dispersion", "-1", "max_dispersion_deg", "fixations"),
    ("--min-duration", "0", "min_duration_ms", "fixations"),
    ("--min-duration", "300", "min_duration_ms", "fixations"),  # above --max-duration
    ("--max-duration", "nan", "max_duration_ms", "fixations"),
    ("--gaze-confidence", "2", "min_confidence", "fixations"),
    ("--history-length", "0", "history_length_s", "blinks"),
    ("--onset-threshold", "1.5", "onset_confidence_threshold", "blinks"),
    ("--offset-threshold", "-0.1", "offset_confidence_threshold", "blinks"),
]


@pytest.mark.parametrize("command", ["export", "events"])
@pytest.mark.parametrize(
    ("option", "value", "field", "detector"),
    [pytest.param(*case, id=f"{case[0]}={case[1]}") for case in BAD_DETECTOR_OPTIONS],
)
def test_bad_detector_option_is_a_usage_error_naming_the_option(
    rec: Path, command: str, option: str, value: str, field: str, detector: str
) -> None:
    args = [command, str(rec), option, value] if command == "export" else [detector, str(rec)]
    if command == "events":
        args += [option, value]
    else:
        args.append("--quiet")
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.replace("│", " ").split())
    assert option in text and value.lstrip("-") in text, text
    assert field not in text and "Traceback" not in text, text
    assert not (rec / "exports").exists() or not any((rec / "exports").iterdir())


def test_every_detector_option_has_a_bad_value_case() -> None:
    from gazeport.cli.detector_options import DETECTOR_OPTIONS

    assert {o for o, *_ in BAD_DETECTOR_OPTIONS} == set(DETECTOR_OPTIONS.values())
    assert {f for _, _, f, _ in BAD_DETECTOR_OPTIONS} == set(DETECTOR_OPTIONS)


def test_library_messages_keep_the_field_names() -> None:
    from gazeport.analysis.blinks import BlinkParams
    from gazeport.analysis.fixations import FixationParams

    with pytest.raises(ValueError, match=r"^max_dispersion_deg is -1\.0, .* of degrees"):
        FixationParams(max_dispersion_deg=-1.0).validate()
    with pytest.raises(ValueError, match=r"^onset_confidence_threshold must be"):
        BlinkParams(onset_confidence_threshold=2.0).validate()
