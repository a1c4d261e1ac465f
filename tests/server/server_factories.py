"""A study folder of small synthetic recordings and a TestClient on it, for the server tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from gazeport.server import create_app
from tests.neon_factories import SCENE, write_neon
from tests.scene_factories import core_with_video
from tests.video_factories import write_video

BASE_URL = "http://127.0.0.1:8642"
CORE_FRAMES = 30


@dataclass(frozen=True)
class Study:
    root: Path
    core: Path  #: Pupil Core, 30 frames of mpeg4 (needs a proxy)
    neon: Path  #: Neon, one scene part with an H.264 MP4 (served as it is)
    broken: Path  #: a Core folder whose info.player.json is not JSON


def make_study(root: Path) -> Study:
    """``root/core/001``, ``root/neon/walk`` and ``root/broken/002``."""
    core = core_with_video(root / "core" / "001", n_frames=CORE_FRAMES)
    neon = root / "neon" / "walk"
    write_neon(neon, parts=((0.5, 1.0),))
    n = (neon / f"{SCENE} ps1.time").stat().st_size // 8
    write_video(neon / f"{SCENE} ps1.mp4", n, codec="libx264", size=(96, 72))
    broken = root / "broken" / "002"
    broken.mkdir(parents=True)
    (broken / "info.player.json").write_text("{ not json")
    return Study(root, core, neon, broken)


def make_client(root: Path, *, cache_dir: Path, **options: Any) -> TestClient:
    """A TestClient of ``create_app(root, ...)`` reaching it as http://127.0.0.1:8642."""
    app = create_app(root, cache_dir=cache_dir, **options)
    return TestClient(app, base_url=BASE_URL)


def ids(client: TestClient) -> dict[str, str]:
    """Recording id by path below the root."""
    return {r["path"]: r["id"] for r in client.get("/api/recordings").json()["recordings"]}


def wait_for_video(client: TestClient) -> None:
    """Let every proxy being built finish."""
    client.app.state.gazeport.proxies.wait(60.0)  # type: ignore[attr-defined]
