"""Pupil Cloud Timeseries CSVs: LF and CRLF, exact int64 ns, one-sentence errors naming the cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazeport.errors import CorruptFileError, NoInfoFileError
from gazeport.formats.cloud_csv import read_cloud_csv, read_scene_camera

GAZE = (
    "section id,recording id,timestamp [ns],gaze x [px],gaze y [px],worn,fixation id,blink id,"
    "azimuth [deg],elevation [deg]"
)
ROWS = [
    "s1,r1,1760676790465965534,719.783,749.776,1.0,,,-5.536175567444938,-8.435926354069277",
    "s1,r1,1760676790470949535,718.984,746.841,0.0,3,1,-5.586346387381192,-8.247034350433653",
]


@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_gaze_lf_and_crlf_give_the_same_columns(tmp_path: Path, eol: str):
    path = tmp_path / "gaze.csv"
    path.write_bytes(eol.join([GAZE, *ROWS, ""]).encode())
    table = read_cloud_csv(path)
    data = table.data
    assert data.dtype["timestamp_ns"] == np.int64 and data.dtype["gaze_x_px"] == np.float32
    assert data["timestamp_ns"].tolist() == [1760676790465965534, 1760676790470949535]
    assert data["gaze_x_px"].tolist() == [np.float32(719.783), np.float32(718.984)]
    assert data["worn"].tolist() == [1.0, 0.0]
    assert data["azimuth_deg"][0] == -5.536175567444938
    assert table.section_ids == ("s1",)


def test_eyelids_with_or_without_rad_and_missing_floats(tmp_path: Path):
    path = tmp_path / "3d_eye_states.csv"
    header = "section id,recording id,timestamp [ns],eyelid angle top left [rad],eyelid aperture left [mm]"
    path.write_text(f"{header}\ns,r,5,0.25,\n")
    data = read_cloud_csv(path).data
    assert data["eyelid_angle_top_left_rad"].tolist() == [0.25]
    assert np.isnan(data["eyelid_aperture_left_mm"][0])


@pytest.mark.parametrize(
    ("row", "line", "column", "what"),
    [
        pytest.param("s,r,12x,1.0,2.0,1.0,,,0,0", 3, "timestamp [ns]", "an integer", id="int"),
        pytest.param("s,r,12,abc,2.0,1.0,,,0,0", 3, "gaze x [px]", "a number", id="float"),
        pytest.param("s,r,,1.0,2.0,1.0,,,0,0", 3, "timestamp [ns]", "an integer", id="empty-ts"),
    ],
)
def test_a_bad_cell_names_file_line_and_column(
    tmp_path: Path, row: str, line: int, column: str, what: str
):
    path = tmp_path / "gaze.csv"
    path.write_text("\n".join([GAZE, ROWS[0], row, ""]))
    with pytest.raises(CorruptFileError) as info:
        read_cloud_csv(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}, column {column!r}: ")
    assert f"is not {what}; " in message and message.count(".") >= 1


def test_missing_column_and_ragged_row(tmp_path: Path):
    path = tmp_path / "blinks.csv"
    path.write_text("section id,recording id,blink id,start timestamp [ns]\n")
    with pytest.raises(CorruptFileError, match=r"lacks the column\(s\) 'end timestamp \[ns\]'"):
        read_cloud_csv(path)
    path.write_text(
        "section id,recording id,blink id,start timestamp [ns],end timestamp [ns],duration [ms]\n"
        "s,r,1,5,6\n"
    )
    with pytest.raises(CorruptFileError, match=r"line 2: 5 cells for 6 columns"):
        read_cloud_csv(path)


def test_scene_camera_nested_and_missing(tmp_path: Path):
    path = tmp_path / "scene_camera.json"
    path.write_text(
        '{"camera_matrix": [[1,0,2],[0,1,3],[0,0,1]], "distortion_coefficients": [[1,2,3,4,5,6,7,8]],'
        ' "serial_number": "123"}'
    )
    cam = read_scene_camera(path)
    assert cam["distortion_coefficients"].shape == (8,) and cam["serial_number"] == "123"
    with pytest.raises(NoInfoFileError, match="does not exist"):
        read_scene_camera(tmp_path / "nope.json")
