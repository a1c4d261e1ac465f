"""The recordings page in a real browser (Playwright driving Debian's Chromium).

Few and fast: one server per module on a free loopback port, one browser. Every test fails on
any console error or warning, uncaught page error, failed request or HTTP error (a missing
favicon included). Skipped, with the reason, where Chromium is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from gazeport.server import create_app  # noqa: E402
from tests.server.server_factories import make_study  # noqa: E402

CHROMIUM = os.environ.get("GAZEPORT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]  # fmt: skip
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)",
)
#: Where the screenshots go (set GAZEPORT_SCREENSHOTS to keep them, e.g. for docs/).
SHOTS = os.environ.get("GAZEPORT_SCREENSHOTS")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """A real uvicorn server on the study folder, in a thread; yields its base URL."""
    base = tmp_path_factory.mktemp("browser")
    study = make_study(base / "study")
    (study.core / "exports" / "000").mkdir(parents=True)
    app = create_app(study.root, cache_dir=base / "cache")
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # The machine is shared: wait on explicit states for longer than the 5 s default.
    playwright_api.expect.set_options(timeout=20_000)
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Problems(list):
    """Console errors/warnings, page errors, failed requests and HTTP errors of one page."""

    def watch(self, page) -> None:
        page.on(
            "console",
            lambda m: m.type in ("error", "warning") and self.append(f"console {m.type}: {m.text}"),
        )
        page.on("pageerror", lambda e: self.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.append(f"HTTP {r.status}: {r.url}"))


@pytest.fixture
def page(browser) -> Iterator[tuple[object, Problems]]:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    p = context.new_page()
    problems = Problems()
    problems.watch(p)
    yield p, problems
    context.close()


def _shot(page, name: str, tmp_path: Path) -> Path:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_recordings_page_lists_searches_and_sorts(server, page, tmp_path) -> None:
    p, problems = page
    expect = playwright_api.expect
    p.goto(f"{server}/")
    rows = p.locator("#recordings tbody tr")
    expect(rows).to_have_count(3)
    expect(p.locator("#recordings")).to_contain_text("Pupil Core")
    expect(p.locator("#recordings")).to_contain_text("Synthetic")
    expect(p.locator("#count")).to_have_text("3 recordings")
    _shot(p, "recordings", tmp_path)

    p.fill("#search", "neon")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("walk")
    expect(p.locator("#count")).to_have_text("1 of 3 recordings")
    p.fill("#search", "no such thing")
    expect(rows).to_have_count(0)
    expect(p.locator("#empty")).to_be_visible()
    p.fill("#search", "")

    p.click("th[data-sort=duration]")
    expect(p.locator("th[data-sort=duration]")).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_contain_text("001")
    p.click("th[data-sort=duration]")
    expect(rows.first).to_contain_text("walk")
    expect(rows.last).to_contain_text("002")  # no duration: last either way
    assert not problems, problems


def test_player_placeholder_shows_the_first_frame(server, page, tmp_path) -> None:
    p, problems = page
    expect = playwright_api.expect
    p.goto(f"{server}/")
    p.click("text=walk")
    expect(p).to_have_url(re.compile(r"/player/[0-9a-f]{12}$"))
    expect(p.locator("#title")).to_have_text("walk")
    img = p.locator("#frame")
    expect(img).to_be_visible()
    # the JPEG decoded at the frame's size (no wait_for_function: the page's CSP forbids eval)
    expect(img).to_have_js_property("naturalWidth", 96)
    _shot(p, "player-placeholder", tmp_path)
    assert not problems, problems


def test_other_pages_load_cleanly(server, page, tmp_path) -> None:
    p, problems = page
    expect = playwright_api.expect
    for path, title in (("/labels", "Labels"), ("/datasets", "Datasets"), ("/docs", "HTTP API")):
        p.goto(f"{server}{path}")
        expect(p.locator("h1")).to_have_text(title)
    expect(p.locator(".endpoint").first).to_be_visible()
    _shot(p, "api-docs", tmp_path)
    assert not problems, problems
