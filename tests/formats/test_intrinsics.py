from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest
from tests import fixtures

from gazeport.errors import CorruptFileError, GazeportWarning
from gazeport.formats.intrinsics import (
    CameraIntrinsics,
    dummy_intrinsics,
    read_intrinsics,
    read_intrinsics_for,
)

RECORDINGS = fixtures.RECORDINGS


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fixture(name: str) -> Path:
    return fixtures.recording(name)


def entry(
    k: list[list[float]] | None = None,
    d: Any = None,
    cam_type: str = "radial",
    resolution: tuple[int, int] = (1280, 720),
) -> dict[str, Any]:
    return {
        "camera_matrix": k or [[800.0, 0.0, 640.0], [0.0, 801.0, 360.0], [0.0, 0.0, 1.0]],
        "dist_coefs": d if d is not None else [[0.1, -0.2, 0.0, 0.0, 0.05]],
        "resolution": list(resolution),
        "cam_type": cam_type,
    }


def write(path: Path, obj: Any) -> Path:
    path.write_bytes(msgpack.packb(obj, use_bin_type=True))
    return path


# --- real recordings -----------------------------------------------------------------------


def test_core358_world_radial_8_coefficients() -> None:
    path = fixture("core358_artemisge_003/world.intrinsics")
    before = sha(path)
    models = read_intrinsics(path)
    assert list(models) == [(1280, 720)]
    cam = models[(1280, 720)]
    assert cam.cam_type == "radial"
    assert cam.resolution == (1280, 720)
    assert cam.camera_matrix.shape == (3, 3)
    assert cam.camera_matrix[0, 0] == 794.3311439869655
    assert cam.camera_matrix[1, 1] == 793.5290139393004
    assert cam.camera_matrix[0, 2] == 633.0104437728625
    assert cam.camera_matrix[1, 2] == 397.36927353414865
    assert cam.dist_coefs.shape == (1, 8)
    assert cam.dist_coefs[0, 0] == -0.3758628065070806
    assert cam.dist_coefs[0, 7] == 0.14463365333602152
    assert sha(path) == before


def test_core358_eye0_192px() -> None:
    cam = read_intrinsics_for(fixture("core358_artemisge_003/eye0.intrinsics"), (192, 192))
    assert cam is not None
    assert cam.camera_matrix.tolist() == [
        [282.976877, 0.0, 96.0],
        [0.0, 283.561467, 96.0],
        [0.0, 0.0, 1.0],
    ]
    assert cam.dist_coefs.tolist() == [[0.0] * 5]


def test_core121_world_radial_5_coefficients() -> None:
    cam = read_intrinsics_for(fixture("core121_eyedoit_001/world.intrinsics"), (1280, 720))
    assert cam is not None
    assert cam.cam_type == "radial"
    assert cam.camera_matrix[0, 0] == 829.3510515270362
    assert cam.camera_matrix[1, 2] == 373.0776462356668
    assert cam.dist_coefs.shape == (1, 5)
    assert cam.dist_coefs[0, 0] == -0.43738542863224966


def test_core116_world_fisheye() -> None:
    path = fixture("core116_vedb/world.intrinsics")
    before = sha(path)
    cam = read_intrinsics_for(path, (1280, 720))
    assert cam is not None
    assert cam.cam_type == "fisheye"
    assert cam.camera_matrix[0, 0] == 826.1521272145403
    assert cam.camera_matrix[1, 1] == 769.1786602466223
    assert cam.dist_coefs.shape == (4, 1)
    assert cam.dist_coefs.ravel().tolist() == [
        -0.14119955505495468,
        0.024919584525371758,
        -0.21233916934283625,
        0.22636274811293397,
    ]
    assert read_intrinsics_for(path, (640, 480)) is None
    assert sha(path) == before


# --- synthetic files -----------------------------------------------------------------------


def test_several_resolutions_keyed_by_the_key(tmp_path: Path) -> None:
    path = write(
        tmp_path / "world.intrinsics",
        {
            "version": 1,
            "(1280, 720)": entry(),
            # the inner "resolution" is ignored like in Player: the key decides
            "(1920, 1080)": entry(cam_type="fisheye", d=[0.1, 0.2, 0.3, 0.4], resolution=(1, 1)),
        },
    )
    models = read_intrinsics(path)
    assert sorted(models) == [(1280, 720), (1920, 1080)]
    assert models[(1920, 1080)].resolution == (1920, 1080)
    assert models[(1920, 1080)].dist_coefs.shape == (4,)
    assert isinstance(models[(1280, 720)], CameraIntrinsics)
    assert not models[(1280, 720)].camera_matrix.flags.writeable


def test_unknown_cam_type_becomes_dummy(tmp_path: Path) -> None:
    path = write(tmp_path / "eye0.intrinsics", {"version": 1, "(400, 400)": entry(cam_type="x")})
    with pytest.warns(GazeportWarning, match="unknown camera type 'x'"):
        cam = read_intrinsics_for(path, (400, 400))
    assert cam is not None
    assert cam.cam_type == "dummy"
    assert cam.camera_matrix.tolist() == [[1000.0, 0.0, 200.0], [0.0, 1000.0, 200.0], [0, 0, 1]]
    assert np.array_equal(cam.dist_coefs, np.zeros((1, 5)))


def test_dummy_cam_type_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "w.intrinsics", {"version": 1, "(640, 480)": entry(cam_type="dummy")})
    cam = read_intrinsics_for(path, (640, 480))
    assert cam is not None and cam.cam_type == "dummy"
    assert cam.camera_matrix[0, 0] == 800.0


def test_dummy_intrinsics() -> None:
    cam = dummy_intrinsics((1088, 1080))
    assert cam.camera_matrix[0, 2] == 544.0 and cam.camera_matrix[1, 2] == 540.0


def test_deprecated_version_warns_but_reads(tmp_path: Path) -> None:
    path = write(tmp_path / "world.intrinsics", {"version": 0, "(1280, 720)": entry()})
    with pytest.warns(GazeportWarning, match="deprecated"):
        models = read_intrinsics(path)
    assert list(models) == [(1280, 720)]


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        pytest.param([1, 2], "holds a list", id="not-a-map"),
        pytest.param({"(1280, 720)": entry()}, "no 'version'", id="no-version"),
        pytest.param({"version": 1, "1280x720": entry()}, "'1280x720'", id="bad-key"),
        pytest.param({"version": 1, "(1280, 720)": [1, 2]}, "should be a map", id="entry-list"),
        pytest.param({"version": 1, "(1280, 720)": {"cam_type": "radial", "dist_coefs": [0] * 5}},
                     "no 'camera_matrix'", id="no-matrix"),
        pytest.param({"version": 1, "(1280, 720)": entry(k=[[1.0, 2.0], [3.0, 4.0]])},
                     "shape \\(2, 2\\)", id="matrix-shape"),
        pytest.param({"version": 1, "(1280, 720)": entry(d=[[1.0, 2.0]])}, "dist_coefs",
                     id="dist-size"),
        pytest.param({"version": 1, "(1280, 720)": entry(d=[["a"] * 5])}, "non-numeric",
                     id="dist-text"),
    ],
)  # fmt: skip
def test_malformed_names_file_and_key(tmp_path: Path, obj: Any, message: str) -> None:
    path = write(tmp_path / "world.intrinsics", obj)
    with pytest.raises(CorruptFileError, match=message) as info:
        read_intrinsics(path)
    assert str(path) in str(info.value)


def test_not_msgpack(tmp_path: Path) -> None:
    path = tmp_path / "world.intrinsics"
    path.write_bytes(b"\xc1garbage")
    with pytest.raises(CorruptFileError, match=r"world\.intrinsics"):
        read_intrinsics(path)
