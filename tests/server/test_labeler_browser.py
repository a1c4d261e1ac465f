"""The task list and the labeler in a real browser (Playwright driving Debian's Chromium).

One uvicorn server per module on a free loopback port, on a study with a real small world
video and a label store; the label store is made again for every test. Every test fails on any
console error or warning, page error, failed request or HTTP error. What a test did in the page
is checked in the store itself (a separate connection), in frame pixels: the test converts
frame pixels to screen points with the canvas's own fit-to-window rule, so a box drawn with
the mouse must land on the right frame pixels however the canvas is scaled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from gazeport.labels import BoxRecord, open_store  # noqa: E402
from gazeport.server import create_app  # noqa: E402
from tests.server.browser_harness import Problems, chromium, needs_chromium, serve  # noqa: E402
from tests.server.browser_harness import screenshot as _shot  # noqa: E402
from tests.server.label_server_factories import (  # noqa: E402
    SIZE,
    LabelStudy,
    make_label_study,
    make_store,
)

PAD = 16  # the labeler's margin around the fitted frame [CSS px] (labeler_canvas.js)
_EXTRAS: dict[str, dict[str, Any]] = {}  # the server's state.extras by its URL

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> LabelStudy:
    return make_label_study(tmp_path_factory.mktemp("labeler") / "study")


@pytest.fixture(scope="module")
def server(built: LabelStudy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(built.root, db=built.db, cache_dir=tmp_path_factory.mktemp("cache"))
    with serve(app) as url:
        _EXTRAS[url] = app.state.gazeport.extras
        yield url


@pytest.fixture
def study(built: LabelStudy, server: str) -> LabelStudy:
    """A fresh label store; the server's open one is closed and opened again on next use."""
    old = _EXTRAS[server].pop("labels", None)
    if old is not None:
        old.close()
    make_store(built)
    return built


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, Problems]]:
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    p = context.new_page()
    problems = Problems()
    problems.watch(p)
    yield p, problems
    context.close()
    assert problems == [], problems


def _boxes(study: LabelStudy, task_id: int) -> tuple[BoxRecord, ...]:
    with open_store(study.db) as s:
        return s.task(task_id).boxes


def _wait(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _to_screen(page: Any, x: float, y: float) -> tuple[float, float]:
    """Frame pixels → page coordinates, by the labeler's fit rule (independent of its code)."""
    r = page.locator("#canvas").bounding_box()
    w, h = SIZE
    scale = min((r["width"] - 2 * PAD) / w, (r["height"] - 2 * PAD) / h)
    ox, oy = (r["width"] - w * scale) / 2, (r["height"] - h * scale) / 2
    return r["x"] + ox + x * scale, r["y"] + oy + y * scale


def _open(p: Any, server: str, task: int) -> None:
    p.goto(f"{server}/labels/tasks/{task}")
    playwright_api.expect(p.locator("#title")).to_have_text(f"Task {task}")
    playwright_api.expect(p.locator("#loading")).to_be_hidden()


def _drag(p: Any, a: tuple[float, float], b: tuple[float, float]) -> None:
    p.mouse.move(*_to_screen(p, *a))
    p.mouse.down()
    p.mouse.move(*_to_screen(p, *b), steps=8)
    p.mouse.up()


def test_task_list_filters_and_opens_the_labeler(server, study, page, tmp_path) -> None:
    p, _ = page
    expect = playwright_api.expect
    with open_store(study.db) as s:
        s.add_box(1, "car", 10, 10, 50, 40)
        s.set_status(1, "finished")
    p.goto(f"{server}/labels")
    rows = p.locator("#tasks tbody tr")
    expect(rows).to_have_count(8)
    expect(p.locator("#project")).to_have_text("Street study")
    expect(p.locator("#status-filter [data-status=finished] .n")).to_have_text("1")
    for thumb in p.locator(".ls-thumb").all():  # every frame decoded at full resolution
        expect(thumb).to_have_js_property("naturalWidth", SIZE[0])
    shot = _shot(p, "labels-list", tmp_path)
    p.click("#status-filter [data-status=draft]")
    expect(rows).to_have_count(7)
    p.select_option("#recording-filter", "recs/r2")
    expect(rows).to_have_count(2)
    assert "status=draft" in p.url and "recording=recs%2Fr2" in p.url
    rows.first.click()
    expect(p.locator("#title")).to_have_text("Task 7")
    expect(p.locator("#subtitle")).to_contain_text("recs/r2")
    expect(p.locator("#prev")).to_be_disabled()  # the first draft task of r2
    assert shot.exists()


def test_draw_class_delete_undo(server, study, page, tmp_path) -> None:
    p, _ = page
    expect = playwright_api.expect
    _open(p, server, 1)
    _drag(p, (100, 80), (220, 170))
    expect(p.locator("li.lb-box[data-box]")).to_have_count(1)
    (box,) = _boxes(study, 1)
    assert (box.x, box.y, box.w, box.h) == pytest.approx((100, 80, 120, 90), abs=1.0)
    assert (box.label, box.source) == ("car", "manual")
    _shot(p, "labeler-drawn", tmp_path)

    p.keyboard.press("p")  # person's hotkey: the selected box changes class
    expect(p.locator("li.lb-box[data-box] .lb-box-name")).to_have_text("person")
    assert _boxes(study, 1)[0].label == "person"
    p.keyboard.press("3")  # no hotkey: third class by position
    expect(p.locator("li.lb-box[data-box] .lb-box-name")).to_have_text("sign")

    p.keyboard.press("Delete")
    expect(p.locator("li.lb-box[data-box]")).to_have_count(0)
    assert _boxes(study, 1) == ()
    p.keyboard.press("Control+z")  # the box comes back (a new id, same values)
    expect(p.locator("li.lb-box[data-box]")).to_have_count(1)
    (back,) = _boxes(study, 1)
    assert (back.label, back.x, back.w) == ("sign", box.x, box.w)
    p.keyboard.press("Control+z")  # and its class changes are undone too, through the new id
    expect(p.locator("li.lb-box[data-box] .lb-box-name")).to_have_text("person")
    p.keyboard.press("Control+Shift+z")
    expect(p.locator("li.lb-box[data-box] .lb-box-name")).to_have_text("sign")
    assert _boxes(study, 1)[0].label == "sign"


def test_move_and_resize_with_the_mouse(server, study, page) -> None:
    p, _ = page
    with open_store(study.db) as s:
        s.add_box(2, "car", 100, 100, 100, 80)
    _open(p, server, 2)
    p.locator("li.lb-box[data-box]").click()
    _drag(p, (150, 140), (170, 150))  # move by (20, 10)
    _wait(lambda: _boxes(study, 2)[0].x == pytest.approx(120, abs=1), "the move")
    b = _boxes(study, 2)[0]
    assert (b.y, b.w, b.h) == pytest.approx((110, 100, 80), abs=1)
    _drag(p, (220, 190), (260, 230))  # the bottom-right handle
    _wait(lambda: _boxes(study, 2)[0].w == pytest.approx(140, abs=1.5), "the resize")
    assert _boxes(study, 2)[0].h == pytest.approx(120, abs=1.5)


def test_suggestion_accept_finish_and_next(server, study, page, tmp_path) -> None:
    p, _ = page
    expect = playwright_api.expect
    _open(p, server, 2)
    p.keyboard.press("g")
    expect(p.locator("li.lb-box.suggestion")).to_have_count(1)
    _shot(p, "labeler-suggestion", tmp_path)
    assert _boxes(study, 2) == ()  # not stored until accepted
    p.keyboard.press("Enter")
    expect(p.locator("li.lb-box[data-box]")).to_have_count(1)
    (box,) = _boxes(study, 2)
    with open_store(study.db) as s:
        fx, fy = s.task(2).fixation_xy_px or (0, 0)
    assert box.source == "manual" and box.fixation_id is not None
    assert box.x <= fx <= box.x + box.w and box.y <= fy <= box.y + box.h
    p.keyboard.press("Control+Enter")
    expect(p.locator("#title")).to_have_text("Task 3")
    assert p.url.endswith("/labels/tasks/3")
    with open_store(study.db) as s:
        assert s.task(2).status == "finished"
    p.keyboard.press("d")
    expect(p.locator("#title")).to_have_text("Task 2")
    expect(p.locator("#status")).to_have_text("finished")


def test_imported_boxes_accept_reject_and_review(server, study, page, tmp_path) -> None:
    p, _ = page
    expect = playwright_api.expect
    with open_store(study.db) as s:
        a = s.add_box(3, "car", 20, 30, 120, 90, confidence=0.91, source="import", author="yolo")
        s.add_box(3, "person", 250, 120, 80, 160, confidence=0.42, source="import", author="yolo")
        s.set_status(3, "finished")
    p.goto(f"{server}/labels/tasks/3?mode=review")
    expect(p.locator("#approve")).to_be_visible()
    expect(p.locator(".badge.src-import")).to_have_count(2)
    _shot(p, "labeler-review", tmp_path)
    p.keyboard.press("Enter")  # nothing selected: the first import is selected
    expect(p.locator(f"li.lb-box[data-box='{a.id}']")).to_have_attribute("aria-selected", "true")
    p.keyboard.press("Enter")  # accept: becomes manual, the next import is selected
    expect(p.locator(".badge.src-import")).to_have_count(1)
    p.keyboard.press("x")  # reject the other one
    expect(p.locator("li.lb-box[data-box]")).to_have_count(1)
    assert [(b.label, b.source) for b in _boxes(study, 3)] == [("car", "manual")]
    p.fill("#comment", "car box too loose")
    p.click("#reject-task")
    expect(p.locator("#title")).to_have_text("Task 4")
    with open_store(study.db) as s:
        assert s.task(3).status == "draft"
        assert s.reviews(3)[-1].comment == "car box too loose"


def test_track_keyframes_interpolate(server, study, page) -> None:
    p, _ = page
    expect = playwright_api.expect
    with open_store(study.db) as s:
        a = s.add_box(1, "car", 10, 10, 40, 40)
        b = s.add_box(4, "car", 70, 40, 40, 40)
    _open(p, server, 1)
    p.locator(f"li.lb-box[data-box='{a.id}']").click()
    p.keyboard.press("k")
    expect(p.locator("#message")).to_contain_text("keyframe")
    _open(p, server, 4)
    p.locator(f"li.lb-box[data-box='{b.id}']").click()
    expect(p.locator("#interpolate")).to_be_enabled()
    p.keyboard.press("i")
    expect(p.locator("#message")).to_contain_text("Interpolated 2 boxes")
    assert [x.source for x in _boxes(study, 2) + _boxes(study, 3)] == ["interpolated"] * 2
    p.keyboard.press("Control+z")
    _wait(lambda: _boxes(study, 2) == () and _boxes(study, 3) == (), "the undone track")


def test_pages_without_a_label_store_explain_how_to_start(built, page, tmp_path) -> None:
    p, _ = page
    expect = playwright_api.expect
    app = create_app(built.root, cache_dir=tmp_path / "cache")
    with serve(app) as url:
        p.goto(f"{url}/labels")
        expect(p.locator("h1")).to_have_text("Labels")
        expect(p.locator("#empty")).to_contain_text("--db")
        expect(p.locator("#tasks")).to_be_hidden()
        p.goto(f"{url}/labels/tasks/1")
        expect(p.locator("#message")).to_contain_text("start gazeport serve with --db")


def test_tags_zoom_and_approve(server, study, page, tmp_path) -> None:
    p, _ = page
    expect = playwright_api.expect
    with open_store(study.db) as s:
        box = s.add_box(5, "person", 60, 60, 80, 120)
        s.set_status(5, "finished")
    p.goto(f"{server}/labels/tasks/5?status=finished&mode=review")
    expect(p.locator("#title")).to_have_text("Task 5")
    p.locator(f"li.lb-box[data-box='{box.id}']").click()
    p.fill("#box-tags", "occluded, far")
    p.press("#box-tags", "Enter")
    _wait(lambda: _boxes(study, 5)[0].tags == ("occluded", "far"), "the tags")
    p.mouse.move(*_to_screen(p, 240, 180))
    p.mouse.wheel(0, -400)  # zoom in, then 0: the whole frame again, so the fit rule holds
    p.keyboard.press("0")
    _drag(p, (300, 200), (380, 260))
    _wait(lambda: len(_boxes(study, 5)) == 2, "the second box")
    drawn = _boxes(study, 5)[1]
    assert (drawn.x, drawn.y, drawn.w, drawn.h) == pytest.approx((300, 200, 80, 60), abs=1.0)
    _shot(p, "labeler-tags", tmp_path)
    p.keyboard.press("Control+Enter")  # review mode: approve
    _wait(lambda: open_store(study.db).task(5).status == "reviewed", "the approval")
    expect(p.locator("#message")).to_contain_text("last task of this list")


def test_classes_added_renamed_and_merged_on_the_list_page(server, study, page, tmp_path) -> None:
    p, _ = page
    expect = playwright_api.expect
    with open_store(study.db) as s:
        s.add_box(1, "sign", 10, 10, 20, 20)
    p.goto(f"{server}/labels")
    p.click("#classes-toggle")
    p.fill("#class-name", "bike")
    p.fill("#class-hotkey", "b")
    p.click("#class-add button[type=submit]")
    expect(p.locator("#message")).to_contain_text("Added the class bike")
    expect(p.locator("#class-list li")).to_have_count(4)
    field = p.locator("#class-list input[aria-label='Rename bike']")
    field.fill("bicycle")
    field.press("Enter")
    expect(p.locator("#message")).to_contain_text("Renamed bike to bicycle")
    _shot(p, "labels-classes", tmp_path)
    p.select_option("#merge-source", "sign")
    p.select_option("#merge-target", "car")
    p.click("#class-merge button[type=submit]")
    expect(p.locator("#message")).to_contain_text("1 box moved")
    with open_store(study.db) as s:
        assert [c.name for c in s.classes()] == ["car", "person", "bicycle"]
        assert s.task(1).boxes[0].label == "car"
