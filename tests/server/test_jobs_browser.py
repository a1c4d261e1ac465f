"""The dataset export page and the job list in a real browser (Playwright driving Debian's
Chromium): run an export from the form, watch it go from running to completed, download the zip;
watch a recording export run in the job list and cancel it. Every test fails on any console
error or warning, page error, failed request or HTTP error. Skipped where Chromium is missing."""

from __future__ import annotations

import threading
import time
import zipfile
from collections.abc import Iterator

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from gazeport.server import create_app, dataset_jobs  # noqa: E402
from tests.server.browser_harness import Problems, chromium, needs_chromium, serve  # noqa: E402
from tests.server.browser_harness import screenshot as _shot  # noqa: E402
from tests.server.jobs_factories import Gate, Study, labelled_study  # noqa: E402

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Study:
    return labelled_study(tmp_path_factory.mktemp("jobs-browser") / "study")


@pytest.fixture(scope="module")
def gate() -> Iterator[Gate]:
    """The ``slow`` exporter, installed for the whole module (the server runs in this process);
    event streams end every second, so the pages also live through reconnecting."""
    from gazeport.server import routes_jobs

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(routes_jobs, "STREAM_LIFETIME_S", 1.0)
        g = Gate().install(mp)
        yield g
        g.open()


@pytest.fixture(scope="module")
def server_app(study, tmp_path_factory):
    return create_app(study.root, db=study.db, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def server(server_app, gate) -> Iterator[str]:
    app = server_app
    with serve(app) as url:
        yield url


@pytest.fixture
def page(browser) -> Iterator[tuple[object, Problems]]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    p = context.new_page()
    problems = Problems()
    problems.watch(p)
    yield p, problems
    context.close()


def test_the_datasets_page_runs_an_export_and_offers_the_zip(
    server, page, study, tmp_path, monkeypatch
) -> None:
    p, problems = page
    expect = playwright_api.expect
    release, real = threading.Event(), dataset_jobs.export_store

    def held(db, out_dir, options, *, progress):  # the real export, once the test has looked
        progress(1, 4)
        release.wait(20)
        return real(db, out_dir, options, progress=progress)

    monkeypatch.setattr(dataset_jobs, "export_store", held)
    p.goto(f"{server}/datasets")
    expect(p.locator("h1")).to_have_text("Datasets")
    expect(p.locator(".job-empty")).to_be_visible()
    expect(p.locator("#where")).to_have_text("Label store labels.sqlite · datasets go to datasets/")
    expect(p.locator("#command")).to_have_text(
        "gazeport dataset export --db DB --format coco --out DIR"
    )
    p.click("text=YOLO")
    p.fill("input[name=val]", "20")
    p.fill("input[name=train]", "80")
    p.fill("input[name=seed]", "3")
    expect(p.locator("#command")).to_contain_text(
        "--format yolo --out DIR --split train=80,val=20 --seed 3"
    )
    with p.expect_response(lambda r: r.url.endswith("/api/datasets/exports") and r.ok) as sent:
        p.click("#run")
    job = p.locator(f".job[data-job='{sent.value.json()['job_id']}']")  # not an earlier one
    expect(job).to_have_attribute("data-status", "running")
    expect(job.locator("progress").first).to_be_visible()
    expect(job.locator(".job-cancel")).to_be_visible()
    _shot(p, "datasets-running", tmp_path)
    release.set()
    expect(job).to_have_attribute("data-status", "completed", timeout=20000)
    expect(job.locator(".job-badge")).to_have_text("Completed")
    expect(job.locator(".job-folder code")).to_contain_text("datasets/")
    link = job.locator("a.job-download")
    expect(link).to_have_text("Download zip")
    _shot(p, "datasets", tmp_path)
    with p.expect_download() as info:
        link.click()
    saved = tmp_path / "dataset.zip"
    info.value.save_as(saved)
    names = zipfile.ZipFile(saved).namelist()
    assert any(n.endswith("/data.yaml") for n in names)
    assert any("/images/train/" in n for n in names)
    assert not problems, problems


def test_coco_from_the_page_is_valid_coco_with_the_stores_boxes(server, page, tmp_path) -> None:
    """The page's default format, downloaded and read back by pycocotools."""
    from pycocotools.coco import COCO

    p, problems = page
    expect = playwright_api.expect
    p.goto(f"{server}/datasets")
    expect(p.locator("#command")).to_have_text(
        "gazeport dataset export --db DB --format coco --out DIR"
    )
    with p.expect_response(lambda r: r.url.endswith("/api/datasets/exports") and r.ok) as sent:
        p.click("#run")
    job = p.locator(f".job[data-job='{sent.value.json()['job_id']}']")  # not an earlier one
    expect(job).to_have_attribute("data-status", "completed", timeout=30000)
    with p.expect_download() as info:
        job.locator("a.job-download").click()
    saved = tmp_path / "coco.zip"
    info.value.save_as(saved)
    out = tmp_path / "coco"
    zipfile.ZipFile(saved).extractall(out)
    (ann,) = out.rglob("instances_train.json")
    coco = COCO(str(ann))
    boxes = {(coco.cats[a["category_id"]]["name"], *a["bbox"]) for a in coco.anns.values()}
    assert boxes == {("car", 10.0, 20.0, 30.0, 40.0), ("person", 50.0, 30.0, 20.0, 20.0)}
    for image in coco.imgs.values():  # every image is in the zip, at its stated size
        (path,) = out.rglob(image["file_name"])
        assert path.stat().st_size > 0
    assert not problems, problems


def test_a_bad_option_shows_the_servers_sentence(server, page) -> None:
    p, problems = page
    expect = playwright_api.expect
    p.goto(f"{server}/datasets")
    p.fill("input[name=min_size]", "eight")
    p.click("#run")
    expect(p.locator("#message")).to_contain_text("WIDTHxHEIGHT")
    # the 400 (and Chromium's console line about it) is the expected answer, not a page problem
    assert [x for x in problems if "400" not in x] == []


def test_the_job_list_shows_a_running_export_and_cancels_it(
    server, server_app, page, gate, study, tmp_path
) -> None:
    p, problems = page
    expect = playwright_api.expect
    p.goto(f"{server}/datasets")
    expect(p.locator("#jobs .job-list")).to_be_attached()
    rid = p.evaluate(
        "fetch('/api/recordings').then(r => r.json()).then(d => d.recordings.find(r => r.path === 'core/001').id)"
    )
    p.evaluate(
        """async (rid) => {
            const jobs = await import('/static/jobs.js');
            const box = document.createElement('div');
            box.id = 'all-jobs';
            box.className = 'card';
            document.querySelector('main').append(box);
            jobs.mountJobList(box, { filter: (job) => job.kind === 'export', empty: 'No exports.' });
            await jobs.startExport(rid, { exporters: ['slow'] });
        }""",
        rid,
    )
    job = p.locator("#all-jobs .job").first
    expect(job).to_have_attribute("data-status", "running")
    expect(job.locator(".job-name")).to_have_text("Export of core/001")
    expect(job.locator(".job-task-name")).to_have_text("Slow")
    expect(job.locator(".job-task-state")).to_have_text("waiting for the test")
    _shot(p, "jobs-running", tmp_path)
    job.locator(".job-cancel").click()
    expect(job).to_have_attribute("data-status", "cancelled", timeout=10000)
    expect(job.locator(".job-cancel")).to_have_count(0)
    expect(job.locator(".job-badge")).to_have_text("Cancelled")
    assert not list((study.core / "exports").glob("*/slow.txt"))
    _no_stream_left(server_app)  # every job finished: the page holds no event stream
    assert not problems, problems


def _no_stream_left(app, timeout: float = 10.0) -> None:
    registry = app.state.gazeport.extras["jobs"]
    deadline = time.monotonic() + timeout
    while registry.watchers:
        assert time.monotonic() < deadline, f"{registry.watchers} event streams still open"
        time.sleep(0.05)


def test_a_stream_ends_when_its_client_goes(server, server_app, monkeypatch) -> None:
    import urllib.request

    from gazeport.server import routes_jobs

    monkeypatch.setattr(routes_jobs, "STREAM_LIFETIME_S", 60.0)  # only the client ends it
    with urllib.request.urlopen(f"{server}/api/jobs/events", timeout=10) as r:
        assert r.readline().decode().strip() == "retry: 1000"
        assert server_app.state.gazeport.extras["jobs"].watchers >= 1
    _no_stream_left(server_app)


def test_without_event_source_the_list_polls(server, browser, study, tmp_path) -> None:
    expect = playwright_api.expect
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.add_init_script("delete window.EventSource;")
    p = context.new_page()
    problems = Problems()
    problems.watch(p)
    try:
        p.goto(f"{server}/datasets")
        p.click("text=CSV")
        p.check("input[name=status][value=draft]")
        p.uncheck("input[name=images]")
        expect(p.locator("#command")).to_have_text(
            "gazeport dataset export --db DB --format csv --out DIR --no-images --status draft"
        )
        with p.expect_response(lambda r: r.url.endswith("/api/datasets/exports") and r.ok) as sent:
            p.click("#run")
        job = p.locator(f"#jobs .job[data-job='{sent.value.json()['job_id']}']")
        expect(job).to_have_attribute("data-status", "completed", timeout=20000)
        expect(job.locator(".job-name")).to_have_text("CSV dataset")
        expect(job.locator(".job-summary")).to_contain_text("3 images, 2 boxes")
        assert p.evaluate("typeof window.EventSource") == "undefined"
        assert not problems, problems
    finally:
        context.close()
