"""The recordings page in a real browser (Playwright driving Debian's Chromium).

Few and fast: one server per module on a free loopback port, one browser. Every test fails on
any console error or warning, uncaught page error, failed request or HTTP error (a missing
favicon included). Skipped, with the reason, where Chromium is not installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from gazeport.server import create_app  # noqa: E402
from tests.server.browser_harness import Problems, chromium, needs_chromium, serve  # noqa: E402
from tests.server.browser_harness import screenshot as _shot  # noqa: E402
from tests.server.server_factories import make_study  # noqa: E402

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """A real uvicorn server on the study folder, in a thread; yields its base URL."""
    base = tmp_path_factory.mktemp("browser")
    study = make_study(base / "study")
    (study.core / "exports" / "000").mkdir(parents=True)
    app = create_app(study.root, cache_dir=base / "cache")
    with serve(app) as url:
        yield url


@pytest.fixture
def page(browser) -> Iterator[tuple[object, Problems]]:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    p = context.new_page()
    problems = Problems()
    problems.watch(p)
    yield p, problems
    context.close()


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


def test_a_recording_opens_its_player(server, page, tmp_path) -> None:
    p, problems = page
    expect = playwright_api.expect
    p.goto(f"{server}/")
    p.click("text=walk")
    expect(p).to_have_url(re.compile(r"/player/[0-9a-f]{12}$"))
    expect(p.locator("#title")).to_have_text("walk")
    expect(p.locator("#frame-readout")).not_to_have_text("–")
    _shot(p, "player", tmp_path)
    assert not problems, problems


def test_other_pages_load_cleanly(server, page, tmp_path) -> None:
    p, problems = page
    expect = playwright_api.expect
    for path, title in (("/docs", "HTTP API"),):
        p.goto(f"{server}{path}")
        expect(p.locator("h1")).to_have_text(title)
    expect(p.locator(".endpoint").first).to_be_visible()
    _shot(p, "api-docs", tmp_path)
    assert not problems, problems
