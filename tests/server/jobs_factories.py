"""What the jobs tests share: a study with a Core recording (and a label store), a client, a
gated exporter that runs until the test lets it finish, and waiting for a job."""

from __future__ import annotations

import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazeport.jobs import EXPORTER_TASKS
from gazeport.jobs.exporter_tasks import ExporterTask
from gazeport.labels import init_store, sample_frames
from gazeport.server import create_app
from tests.scene_factories import core_with_video

with warnings.catch_warnings():  # Starlette's test client deprecates plain httpx for httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BASE_URL = "http://127.0.0.1:8642"
FINISHED = ("completed", "failed", "cancelled")


@dataclass
class Study:
    root: Path
    core: Path  #: a Core recording with 30 world frames in world.mp4
    broken: Path  #: a folder whose info.player.json is not JSON
    db: Path | None = None  #: a label store with tasks and boxes on ``core`` (labelled_study)


def make_study(root: Path) -> Study:
    core = core_with_video(root / "core" / "001", n_frames=30)
    broken = root / "broken" / "002"
    broken.mkdir(parents=True)
    (broken / "info.player.json").write_text("{ not json")
    return Study(root, core, broken)


def labelled_study(root: Path) -> Study:
    """:func:`make_study` plus ``labels.sqlite``: a task every 10 frames, two boxes."""
    study = make_study(root)
    study.db = root / "labels.sqlite"
    with init_store(study.db, ["car", "person"]) as store:
        store.add_tasks(sample_frames(study.core, every_n=10))
        ids = [t.id for t in store.tasks()]
        store.add_box(ids[0], "car", 10, 20, 30, 40)
        store.add_box(ids[1], "person", 50, 30, 20, 20)
    return study


def client_for(study: Study, cache: Path, **options: Any) -> TestClient:
    app = create_app(study.root, db=study.db, cache_dir=cache, **options)
    return TestClient(app, base_url=BASE_URL)


def rid_of(client: TestClient, relative: str) -> str:
    for r in client.get("/api/recordings").json()["recordings"]:
        if r["path"] == relative:
            return str(r["id"])
    raise AssertionError(f"no recording {relative}")


def wait_job(
    client: TestClient, jid: str, until: tuple[str, ...] = FINISHED, timeout: float = 30.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        snap: dict[str, Any] = client.get(f"/api/jobs/{jid}").json()
        if snap["status"] in until:
            return snap
        if time.monotonic() > deadline:
            raise AssertionError(f"job {jid} still {snap['status']}: {snap}")
        time.sleep(0.02)


@dataclass
class Gate:
    """An exporter ``slow`` that reports progress until :meth:`open` (then writes slow.txt)."""

    name: str = "slow"
    started: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)
    runs: int = 0

    def run(self, ctx: Any) -> None:
        self.runs += 1
        self.started.set()
        step = 0
        while not self.gate.wait(0.01):
            step += 1
            ctx.progress(min(step / 1000, 0.5), "waiting for the test")  # raises once cancelled
        ctx.progress(0.9, "writing")
        ctx.staging.path("slow.txt").write_text("done\n")

    def install(self, monkeypatch: Any) -> Gate:
        monkeypatch.setitem(EXPORTER_TASKS, self.name, ExporterTask(self.run, heading="Slow"))
        return self

    def open(self) -> None:
        self.gate.set()
