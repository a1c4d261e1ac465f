"""What every browser test of the web app shares: Debian's Chromium driven by Playwright, a real
uvicorn server in a thread on a free loopback port, and the list of a page's problems (console
errors or warnings, page errors, failed requests, HTTP errors) that fails a test.

Tests import this module after ``pytest.importorskip("playwright.sync_api")``; a test module
sets ``pytestmark = needs_chromium`` so it is skipped, with the reason, where Chromium is
missing. Playwright's own browser download cannot be reached from CI: ``.ci/run`` installs
Debian's ``chromium`` with apt.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("GAZEPORT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: Without the background-networking flags Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]  # fmt: skip
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)",
)
#: Where the screenshots go (set GAZEPORT_SCREENSHOTS to keep them, e.g. for docs/).
SHOTS = os.environ.get("GAZEPORT_SCREENSHOTS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free loopback port; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def chromium(extra_args: tuple[str, ...] = ()) -> Iterator[Any]:
    """One headless Chromium; waits on explicit states for 20 s (the machine is shared)."""
    expect.set_options(timeout=20_000)
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args], headless=True
        )
        try:
            yield b
        finally:
            b.close()


class Problems(list):
    """Console errors/warnings, page errors, failed requests and HTTP errors of one page.

    ``ignore_failed(url)`` names failed requests that are not problems (a media request the
    browser cancels itself, say)."""

    def __init__(self, ignore_failed: Callable[[str], bool] | None = None) -> None:
        super().__init__()
        self.ignore_failed = ignore_failed or (lambda url: False)

    def watch(self, page: Any) -> None:
        page.on(
            "console",
            lambda m: m.type in ("error", "warning") and self.append(f"console {m.type}: {m.text}"),
        )
        page.on("pageerror", lambda e: self.append(f"page error: {e}"))
        page.on(
            "requestfailed",
            lambda r: (
                not self.ignore_failed(r.url)
                and self.append(f"request failed: {r.url} {r.failure}")
            ),
        )
        page.on("response", lambda r: r.status >= 400 and self.append(f"HTTP {r.status}: {r.url}"))


def screenshot(page: Any, name: str, tmp_path: Path) -> Path:
    """A full-page PNG in ``GAZEPORT_SCREENSHOTS`` (or ``tmp_path``)."""
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
