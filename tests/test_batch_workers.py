"""What a worker process of a multi-job batch sets up for itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from gazeport.batch import WORKER_THREAD_SETTINGS

PROBE = (
    "import json, os\n"
    "from gazeport.batch import _init_worker, WORKER_THREAD_SETTINGS\n"
    "from gazeport._threads import reader_threads\n"
    "from gazeport.analysis.fixation_band import band_threads\n"
    "_init_worker(None, 0)\n"
    "print(json.dumps([{s: os.environ.get(s) for s in WORKER_THREAD_SETTINGS},"
    " reader_threads(), band_threads()]))\n"
)


def _worker_settings(env: dict[str, str]) -> list:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_worker_runs_its_steps_in_one_thread() -> None:
    env = {k: v for k, v in os.environ.items() if k not in WORKER_THREAD_SETTINGS}
    settings, reader, band = _worker_settings(env)
    assert settings == dict.fromkeys(WORKER_THREAD_SETTINGS, "1")
    assert (reader, band) == (1, 1)


def test_a_users_thread_setting_is_kept() -> None:
    env = {**os.environ, "GAZEPORT_FIXATION_THREADS": "2"}
    env.pop("GAZEPORT_READER_THREADS", None)
    settings, reader, band = _worker_settings(env)
    assert settings["GAZEPORT_FIXATION_THREADS"] == "2" and band == 2
    assert settings["GAZEPORT_READER_THREADS"] == "1" and reader == 1
