"""The player page in a real browser (Playwright driving Debian's Chromium).

One server per module on a free loopback port, one browser. The recordings: a synthetic Pupil
Capture recording (gaze that fixates and jumps, blinks) whose world video is H.264, played as it
is, and a Core one with an mpeg4 video, played from a proxy built while the page shows still
frames. Every test fails on any console
error or warning, page error, failed request or HTTP error. Skipped, with the reason, where
Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from gazeport.recording.annotation_stores import annotation_store  # noqa: E402
from gazeport.server import create_app  # noqa: E402
from tests.scene_factories import capture_with_video, core_with_video, neon_with_video  # noqa: E402
from tests.server.browser_harness import Problems, chromium, needs_chromium, serve  # noqa: E402
from tests.server.browser_harness import screenshot as _shot  # noqa: E402
from tests.video_factories import write_video  # noqa: E402

N_FRAMES = 180  # 6 s at 30 fps
HOTKEY, LABEL = "x", "Looks at target"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium(("--autoplay-policy=no-user-gesture-required",)) as b:
        yield b


class Server:
    def __init__(self, url: str, ids: dict[str, str], root: Path | None = None) -> None:
        self.url = url
        self.ids = ids
        self.rid = ids["capture/001"]
        self.root = root

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as r:
            return json.loads(r.read())

    def call(self, method: str, path: str) -> dict:
        req = urllib.request.Request(f"{self.url}{path}", method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """uvicorn in a thread serving the two recordings (see the module docstring)."""
    base = tmp_path_factory.mktemp("player")
    rec = capture_with_video(base / "study" / "capture" / "001", seconds=N_FRAMES / 30)
    write_video(rec / "world.mp4", N_FRAMES, codec="libx264", size=(640, 480))
    core = core_with_video(base / "study" / "core" / "002", n_frames=30)
    world = np.load(core / "world_timestamps.npy")
    for eye in (0, 1):  # eye videos for the picture-in-picture
        write_video(core / f"eye{eye}.mp4", 45, size=(96, 96))
        np.save(core / f"eye{eye}_timestamps.npy", np.linspace(world[0], world[-1], 45))
    neon_with_video(base / "study" / "neon" / "walk", parts=((0.5, 1.0),))
    annotation_store(rec).update_definitions({LABEL: HOTKEY, "Blink": "b"}, ["My annotation"])
    app = create_app(base / "study", cache_dir=base / "cache")
    with serve(app) as url:
        with urllib.request.urlopen(f"{url}/api/recordings", timeout=10) as r:
            ids = {rec["path"]: rec["id"] for rec in json.loads(r.read())["recordings"]}
        yield Server(url, ids, base / "study")


@pytest.fixture
def player(browser, server) -> Iterator[tuple[object, Problems]]:
    """The player page of the recording, loaded with its video ready, trim marks reset."""
    server.call("DELETE", f"/api/recordings/{server.rid}/trim")
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    problems = Problems(ignore_failed=lambda url: "/video" in url)
    problems.watch(page)
    _open(page, server)
    yield page, problems
    context.close()


def _open(page, server: Server, rid: str | None = None) -> None:
    page.goto(f"{server.url}/player/{rid or server.rid}")
    _ready(page)


def _ready(page) -> None:
    page.wait_for_selector("body[data-ready=yes][data-video=ready]", timeout=20000)
    page.wait_for_function("() => document.getElementById('video').readyState >= 2")


def _frame(page) -> int:
    return int(page.get_attribute("#frame-readout", "data-frame"))


def _shown(page) -> int:
    """The frame index of the video frame the browser shows (its currentTime mapped)."""
    return int(
        page.evaluate(
            "() => { const p = window.gazeportPlayer.playback;"
            " return p.frameAtMediaTime(p.video.currentTime); }"
        )
    )


def test_player_loads_and_space_plays(player, tmp_path) -> None:
    page, problems = player
    expect = playwright_api.expect
    expect(page.locator("#title")).to_have_text("001")
    fixations = page.evaluate("() => window.gazeportPlayer.timeline.data.fixations.length")
    assert fixations > 5  # the timeline row has them
    expect(page.locator("#frame-readout")).to_have_text(f"0 / {N_FRAMES - 1}")
    expect(page.locator("#time-readout")).to_have_text("0.000 s")
    expect(page.locator("#trim-text")).to_contain_text(f"frames 0 – {N_FRAMES - 1}")
    box = page.locator("#timeline").bounding_box()
    x = page.evaluate(
        "() => { const t = window.gazeportPlayer.timeline; const f = t.data.fixations[3];"
        " return t.xOfTime((f.start_s + f.end_s) / 2); }"
    )
    page.mouse.move(box["x"] + x, box["y"] + 24 + 24 + 11)  # over the fixations row
    hover = page.evaluate("() => window.gazeportPlayer.timeline.hoverText")
    assert hover.startswith("Fixation "), hover
    _shot(page, "player", tmp_path)
    page.keyboard.press("Space")
    page.wait_for_function(
        "() => Number(document.getElementById('frame-readout').dataset.frame) >= 10", timeout=10000
    )
    page.keyboard.press("ArrowRight")  # playing: faster, as in Pupil Player
    expect(page.locator("#speed")).to_have_value("1.5")
    page.keyboard.press("Shift+<")
    expect(page.locator("#speed")).to_have_value("1")
    page.keyboard.press("Space")
    expect(page.locator("body")).to_have_attribute("data-playing", "no")
    assert _frame(page) >= 10
    assert not problems, problems


def test_playback_stops_at_the_right_trim_mark(player) -> None:
    page, problems = player
    _seek(page, 20)
    page.keyboard.press("[")
    _seek(page, 40)
    with page.expect_response(lambda r: r.url.endswith("/trim") and r.request.method == "PUT"):
        page.keyboard.press("]")
    _seek(page, 30)
    page.keyboard.press("Space")
    playwright_api.expect(page.locator("body")).to_have_attribute(
        "data-playing", "no", timeout=10000
    )
    page.wait_for_function("() => !document.getElementById('video').seeking")
    assert _frame(page) == 40 and _shown(page) == 40
    page.keyboard.press("Space")  # at the right mark: back to the left one, paused
    page.wait_for_function("() => document.getElementById('frame-readout').dataset.frame === '20'")
    assert not problems, problems


def test_mpeg4_recording_shows_still_frames_until_its_proxy_is_ready(browser, server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = Problems(ignore_failed=lambda url: "/video" in url)
    problems.watch(page)
    stills: list[str] = []
    page.on("response", lambda r: "/frames/" in r.url and r.ok and stills.append(r.url))
    page.goto(f"{server.url}/player/{server.ids['core/002']}")
    page.wait_for_selector("body[data-ready=yes]")
    _ready(page)  # the proxy got built meanwhile
    page.keyboard.press("Shift+ArrowRight")
    page.wait_for_function("() => document.getElementById('frame-readout').dataset.frame === '1'")
    page.wait_for_function("() => !document.getElementById('video').seeking")
    assert _shown(page) == 1
    assert any(u.endswith("/frames/0.jpg") for u in stills)  # shown before the video was
    context.close()
    assert not problems, problems


def test_arrow_steps_exactly_one_frame_when_paused(player, tmp_path) -> None:
    page, problems = player
    for expected in (1, 2, 3):
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            f"() => document.getElementById('frame-readout').dataset.frame === '{expected}'"
        )
        page.wait_for_function("() => !document.getElementById('video').seeking")
        assert _shown(page) == expected  # the video shows that frame, not a neighbour
    page.keyboard.press("Shift+ArrowLeft")
    page.wait_for_function("() => document.getElementById('frame-readout').dataset.frame === '2'")
    page.wait_for_function("() => !document.getElementById('video').seeking")
    page.wait_for_timeout(200)
    assert _frame(page) == 2 and _shown(page) == 2
    page.keyboard.press("?")
    playwright_api.expect(page.locator("#help")).to_be_visible()
    playwright_api.expect(page.locator("#help-rows")).to_contain_text("Previous / next frame")
    playwright_api.expect(page.locator("#help-hotkeys")).to_contain_text(LABEL)
    _shot(page, "player-help", tmp_path)
    page.check("#presets input[value=neon]")  # Neon Player's arrows: ±5 s
    page.keyboard.press("Escape")
    playwright_api.expect(page.locator("#help")).to_be_hidden()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.getElementById('frame-readout').dataset.frame !== '2'")
    times = page.evaluate("() => Array.from(window.gazeportPlayer.times)")
    assert times[_frame(page)] <= times[2] + 5 < times[_frame(page) + 1]
    there = _frame(page)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        f"() => document.getElementById('frame-readout').dataset.frame !== '{there}'"
    )
    assert times[_frame(page)] <= times[there] - 5 + 1e-6 < times[_frame(page) + 1]
    page.evaluate("() => window.localStorage.clear()")
    assert not problems, problems


def _seek(page, frame: int) -> None:
    page.evaluate(f"window.gazeportPlayer.playback.seek({frame})")
    page.wait_for_function(
        f"() => document.getElementById('frame-readout').dataset.frame === '{frame}'"
    )


def test_trim_marks_by_keys_and_drag_persist_after_reload(player, server) -> None:
    page, problems = player
    expect = playwright_api.expect
    _seek(page, 10)
    with page.expect_response(lambda r: r.url.endswith("/trim") and r.request.method == "PUT"):
        page.keyboard.press("[")
    _seek(page, 60)
    with page.expect_response(lambda r: r.url.endswith("/trim") and r.request.method == "PUT"):
        page.keyboard.press("]")
    expect(page.locator("#trim-text")).to_contain_text("frames 10 – 60")
    page.reload()
    _ready(page)
    expect(page.locator("#trim-text")).to_contain_text("frames 10 – 60")
    expect(page.locator("#trim-saved")).to_have_text("saved")

    box = page.locator("#timeline").bounding_box()
    x_end, x_to = page.evaluate(
        "() => { const t = window.gazeportPlayer.timeline; return [t.xOfFrame(60), t.xOfFrame(40)]; }"
    )
    y = box["y"] + 24 + 12  # the trim row, below the ruler
    page.mouse.move(box["x"] + x_end, y)
    page.mouse.down()
    page.mouse.move(box["x"] + (x_end + x_to) / 2, y, steps=3)
    page.mouse.move(box["x"] + x_to, y, steps=3)
    with page.expect_response(lambda r: r.url.endswith("/trim") and r.request.method == "PUT"):
        page.mouse.up()
    expect(page.locator("#trim-text")).to_contain_text("frames 10 – 40")
    assert _frame(page) == 40  # dragging a mark shows its frame
    page.reload()
    _ready(page)
    expect(page.locator("#trim-text")).to_contain_text("frames 10 – 40")
    trim = server.get(f"/api/recordings/{server.rid}/trim")
    assert (trim["start_frame"], trim["end_frame"]) == (10, 40)
    assert not problems, problems


def test_a_slow_trim_save_never_undoes_a_newer_mark(player, server) -> None:
    """``[`` then ``]`` while the first save's reply is held back: the reply to the older save must
    not move the marks back, and the server ends on the newest marks (saves go one at a time)."""
    page, problems = player
    expect = playwright_api.expect
    held: list[object] = []
    puts: list[dict] = []

    def hold_first_put(route) -> None:
        if route.request.method != "PUT":
            route.continue_()
            return
        puts.append(route.request.post_data_json)
        if len(puts) == 1:
            held.append(route)  # answered below, after the second mark is set
        else:
            route.continue_()

    page.route("**/api/recordings/*/trim", hold_first_put)
    _seek(page, 5)
    page.keyboard.press("[")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the first trim save never reached the network"
    _seek(page, 50)
    page.keyboard.press("]")
    expect(page.locator("#trim-text")).to_contain_text("frames 5 – 50")
    page.wait_for_timeout(200)  # a second PUT sent now would race the held one
    assert len(puts) == 1, "a second save went out while the first was in flight"
    with page.expect_response(
        lambda r: (
            r.url.endswith("/trim")
            and r.request.method == "PUT"
            and (r.request.post_data_json or {}).get("end_frame") == 50
        )
    ):
        held[0].continue_()
    expect(page.locator("#trim-text")).to_contain_text("frames 5 – 50")
    assert puts == [
        {"start_frame": 5, "end_frame": N_FRAMES - 1},
        {"start_frame": 5, "end_frame": 50},
    ]
    trim = server.get(f"/api/recordings/{server.rid}/trim")
    assert (trim["start_frame"], trim["end_frame"]) == (5, 50)
    page.unroute("**/api/recordings/*/trim")
    assert not problems, problems


def test_annotation_hotkey_adds_an_annotation(player, server, tmp_path) -> None:
    page, problems = player
    expect = playwright_api.expect
    before = server.get(f"/api/recordings/{server.rid}/annotations")["count"]
    _seek(page, 25)
    with page.expect_response(
        lambda r: r.url.endswith("/annotations") and r.request.method == "POST"
    ):
        page.keyboard.press(HOTKEY)
    items = page.locator("#annotations-panel .ann")
    expect(items).to_have_count(before + 1)
    expect(items.filter(has_text=LABEL).first).to_contain_text("#25")
    listing = server.get(f"/api/recordings/{server.rid}/annotations")
    assert listing["count"] == before + 1
    assert [a["frame_index"] for a in listing["items"] if a["label"] == LABEL] == [25]

    _seek(page, 120)
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.keyboard.press("b")
    expect(items).to_have_count(before + 2)
    _shot(page, "player-annotations", tmp_path)
    with page.expect_response(lambda r: r.request.method == "DELETE"):
        items.filter(has_text="Blink").locator("button[title=Delete]").click()
    row = items.filter(has_text=LABEL).first
    row.locator("button[title=Edit]").click()
    with page.expect_response(lambda r: r.url.endswith("/trim") and r.request.method == "PUT"):
        page.click("#annotations-panel .ann-marks button >> nth=0")  # the event as left mark
    expect(page.locator("#trim-text")).to_contain_text(f"frames 25 – {N_FRAMES - 1}")
    page.fill("#annotations-panel .ann-edit input[name=label]", "Renamed")
    with page.expect_response(lambda r: r.request.method == "PATCH"):
        page.click("#annotations-panel .ann-edit button[type=submit]")
    expect(items.filter(has_text="Renamed")).to_have_count(1)
    with page.expect_response(lambda r: r.request.method == "DELETE"):
        items.filter(has_text="Renamed").locator("button[title=Delete]").click()
    expect(items.filter(has_text="Renamed")).to_have_count(0)
    assert server.get(f"/api/recordings/{server.rid}/annotations")["count"] == before
    assert not problems, problems


def test_e_posts_the_export_with_the_trim_range(player) -> None:
    """On a server without the jobs part (no ``/api/jobs`` in its OpenAPI) the player lists the
    job it started itself; the export endpoint is faked."""
    page, problems = player
    expect = playwright_api.expect
    sent: list[dict] = []

    def fake_exports(route) -> None:
        sent.append(route.request.post_data_json)
        route.fulfill(status=202, content_type="application/json", body='{"job_id": 7}')

    def openapi_without_jobs(route) -> None:
        spec = route.fetch().json()
        spec["paths"] = {k: v for k, v in spec["paths"].items() if not k.startswith("/api/jobs")}
        route.fulfill(json=spec)

    page.route("**/openapi.json", openapi_without_jobs)
    page.route("**/api/recordings/*/exports", fake_exports)
    page.reload()
    _ready(page)
    _seek(page, 5)
    page.keyboard.press("[")
    _seek(page, 50)
    with page.expect_response(
        lambda r: (
            r.url.endswith("/trim")
            and r.request.method == "PUT"
            and (r.request.post_data_json or {}).get("end_frame") == 50
        )
    ):
        page.keyboard.press("]")
    page.keyboard.press("e")
    expect(page.locator("#export-panel [data-role=queued]")).to_contain_text("job 7")
    assert sent == [
        {
            "start_frame": 5,
            "end_frame": 50,
            "exporters": ["raw", "annotations", "fixations", "blinks"],
        }
    ]
    _seek(page, 20)
    page.keyboard.press("Space")  # the player stays usable while the export runs
    page.wait_for_function(
        "() => Number(document.getElementById('frame-readout').dataset.frame) > 25", timeout=10000
    )
    assert not problems, problems


def test_e_exports_the_trim_range_to_completion_with_its_files(player, server) -> None:
    """No mocks: the real job endpoint, the real task list, the files on disk."""
    page, problems = player
    expect = playwright_api.expect
    _seek(page, 60)
    with page.expect_response(lambda r: r.url.endswith("/trim") and r.request.method == "PUT"):
        page.keyboard.press("]")
    _seek(page, 10)
    with page.expect_response(lambda r: r.url.endswith("/trim") and r.request.method == "PUT"):
        page.keyboard.press("[")
    with page.expect_response(lambda r: r.url.endswith("/exports") and r.status == 202) as sent:
        page.keyboard.press("e")
    job_id = sent.value.json()["job_id"]
    card = page.locator(f"#export-panel li.job[data-job='{job_id}']")
    expect(card).to_have_attribute("data-status", "completed", timeout=60000)
    job = server.get(f"/api/jobs/{job_id}")
    assert job["status"] == "completed" and {t["status"] for t in job["tasks"]} == {"completed"}
    assert server.root is not None
    out = server.root / job["out_dir"]
    names = {p.name for p in out.iterdir()}
    assert {"export_info.csv", "gaze_positions.csv", "fixations.csv"} <= names, names
    info = (out / "export_info.csv").read_text()
    assert "10 - 60" in info  # Player's "Frame Index Range" of the trim marks
    assert not problems, problems


FAKE_JOBS_JS = """
export function mountJobList(element, options) {
  element.dataset.mounted = options.recordingId;
  const list = document.createElement("ol");
  element.append(list);
  return { refresh() { const li = document.createElement("li"); li.textContent = "refreshed";
                       list.append(li); } };
}
"""


def test_export_refreshes_the_task_list_when_the_server_has_jobs(browser, server) -> None:
    """With the jobs part of the server (``/api/jobs`` in the OpenAPI, ``static/jobs.js``), the
    player mounts its task list and refreshes it after ``e``; both are faked here."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = Problems(ignore_failed=lambda url: "/video" in url)
    problems.watch(page)

    def openapi(route) -> None:
        spec = route.fetch().json()
        spec["paths"]["/api/jobs"] = {}
        route.fulfill(json=spec)

    page.route("**/openapi.json", openapi)
    page.route(
        "**/static/jobs.js",
        lambda route: route.fulfill(body=FAKE_JOBS_JS, content_type="text/javascript"),
    )
    page.route(
        "**/api/recordings/*/exports",
        lambda route: route.fulfill(status=202, json={"job_id": 3}),
    )
    _open(page, server)
    jobs = page.locator("#export-panel [data-role=jobs]")
    playwright_api.expect(jobs).to_have_attribute("data-mounted", server.rid)
    page.keyboard.press("e")
    playwright_api.expect(jobs).to_contain_text("refreshed")
    playwright_api.expect(page.locator("#toast")).to_contain_text("job 3")
    assert page.locator("#export-panel [data-role=queued] li").count() == 0
    context.close()
    assert not problems, problems


def test_a_new_hotkey_from_the_form_adds_annotations(player, server) -> None:
    page, problems = player
    expect = playwright_api.expect
    form = page.locator("#annotations-panel form[data-role=definition-form]")
    form.locator("input[name=label]").fill("Door")
    form.locator("input[name=hotkey]").fill("e")  # a player key: refused
    form.locator("button[type=submit]").click()
    expect(page.locator("#toast")).to_contain_text("player key")
    form.locator("input[name=hotkey]").fill("d")
    with page.expect_response(
        lambda r: r.url.endswith("/definitions") and r.request.method == "PATCH"
    ):
        form.locator("button[type=submit]").click()
    expect(page.locator("#annotations-panel .chip", has_text="Door")).to_be_visible()
    _seek(page, 33)
    with page.expect_response(
        lambda r: r.url.endswith("/annotations") and r.request.method == "POST"
    ):
        page.keyboard.press("d")
    listing = server.get(f"/api/recordings/{server.rid}/annotations")
    assert [a["frame_index"] for a in listing["items"] if a["label"] == "Door"] == [33]
    assert (
        server.get(f"/api/recordings/{server.rid}/annotations/definitions")["definitions"]["Door"]
        == "d"
    )
    assert not problems, problems


def test_neon_recording_plays_steps_and_adds_events(browser, server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = Problems(ignore_failed=lambda url: "/video" in url)
    problems.watch(page)
    _open(page, server, server.ids["neon/walk"])
    expect = playwright_api.expect
    expect(page.locator("#kind")).to_have_text("Neon")
    expect(page.locator("#annotations-panel [data-role=readonly-note]")).to_be_visible()
    real = page.evaluate("() => window.gazeportPlayer.playback.videoFrames[0]")
    _seek(page, real)
    page.keyboard.press("Shift+ArrowRight")
    _wait_frame = f"() => document.getElementById('frame-readout').dataset.frame === '{real + 1}'"
    page.wait_for_function(_wait_frame)
    page.wait_for_function("() => !document.getElementById('video').seeking")
    assert _shown(page) == real + 1
    page.keyboard.press("Space")
    page.wait_for_function(
        f"() => Number(document.getElementById('frame-readout').dataset.frame) > {real + 3}",
        timeout=10000,
    )
    page.keyboard.press("Space")
    context.close()
    assert not problems, problems


def test_eyes_toggle_shows_the_eye_pictures(browser, server, tmp_path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = Problems(ignore_failed=lambda url: "/video" in url)
    problems.watch(page)
    expect = playwright_api.expect
    _open(page, server)  # the Capture recording has no eye videos: no toggle
    expect(page.locator("#eyes-toggle")).to_be_hidden()
    _open(page, server, server.ids["core/002"])
    expect(page.locator("#eyes-toggle")).to_be_visible()
    expect(page.locator("#show-eyes")).not_to_be_checked()
    with page.expect_response(lambda r: "/eyes/eye0/at/" in r.url) as answer:
        page.locator("#show-eyes").check()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "image/jpeg"
    page.wait_for_function(
        "() => { const e = window.gazeportPlayer.eyes;"
        " return e.images.get('eye0') && e.images.get('eye1'); }"
    )
    _shot(page, "player-eyes", tmp_path)
    page.keyboard.press("ArrowRight")  # the next frame asks for its eye pictures
    page.wait_for_function("() => window.gazeportPlayer.eyes.shown === 1")
    fetched = page.evaluate(
        """async () => {  // playing: frames every 10 ms, at most ~10 eye fetches a second
          const eyes = window.gazeportPlayer.eyes;
          const seen = new Set();
          const fetch0 = window.fetch;
          window.fetch = (url, ...rest) => {
            if (String(url).includes('/eyes/eye0/')) seen.add(performance.now());
            return fetch0(url, ...rest);
          };
          for (let k = 2; k < 32; k += 1) {
            eyes.want(k % 30, true);
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          await new Promise((resolve) => setTimeout(resolve, 300));
          window.fetch = fetch0;
          return [seen.size, eyes.shown];
        }"""
    )
    assert 1 <= fetched[0] <= 6 and fetched[1] == 31 % 30, fetched
    page.reload()  # the toggle is remembered
    _ready(page)
    expect(page.locator("#show-eyes")).to_be_checked()
    page.wait_for_function("() => window.gazeportPlayer.eyes.images.get('eye0')")
    context.close()
    assert not problems, problems
