"""The results page in Chromium: hostile comments stay inert, a download is neutralised and audited.

Runs its own server (researcher secret set, its own SQLite store with real and demo responses).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect

from components import demo_data, storage
from tests.browser.server import AppServer, open_page, start_app, wait_for_app
from tests.unit.test_results_data import PAYLOADS, answers, atlas, response

SHOTS = Path("/tmp/atlas-shots")
SECRET = "browser-test-secret-42"


@pytest.fixture(scope="module")
def results_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    data = tmp_path_factory.mktemp("results-browser")
    engine = storage.make_engine(f"sqlite:///{data / storage.DB_FILE}")
    demo_data.fill(engine, atlas().survey, atlas().content_version, 120, seed=9)
    now = datetime.now(UTC)
    hostile = [
        response(
            answers(likert=1 + i % 5, comment=p), when=now - timedelta(minutes=i), lang="en", synthetic=True
        )
        for i, p in enumerate(PAYLOADS)
    ]
    storage.insert_responses(engine, hostile)
    engine.dispose()
    server = start_app({"ATLAS_DATA_DIR": str(data), "ATLAS_RESEARCHER_SECRET": SECRET})
    try:
        yield server
    finally:
        server.stop()


def _unlock(page: Page, server: AppServer, lang: str = "en") -> None:
    open_page(page, f"{server.url}/results?lang={lang}")
    page.get_by_label("Researcher secret" if lang == "en" else "Segredo de pesquisador").fill(SECRET)
    page.get_by_role("button", name="Unlock" if lang == "en" else "Desbloquear").click()
    wait_for_app(page)
    expect(page.get_by_role("tab", name="Overview" if lang == "en" else "Visão geral")).to_be_visible()


def _tab(page: Page, name: str) -> None:
    """Open a tab; the tabs are lazy, so opening one reruns the page."""
    page.get_by_role("tab", name=name).click()
    page.wait_for_timeout(150)
    wait_for_app(page)


def test_comments_render_literally_and_nothing_executes(results_server: AppServer, page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _unlock(page, results_server)
    _tab(page, "Comments")
    main = page.get_by_test_id("stMain")
    for payload in PAYLOADS[:7]:
        expect(main.get_by_text(payload, exact=True).first).to_be_visible()
    expect(main.locator("img[src='x']")).to_have_count(0)
    expect(main.locator("a[href^='javascript']")).to_have_count(0)
    expect(main.locator("[data-testid='stText'] strong")).to_have_count(0)
    page.wait_for_timeout(500)
    assert dialogs == [], "no script ran"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "res-comments-1280x720.png"))


def test_a_download_is_neutralised_and_written_to_the_audit_log(
    results_server: AppServer, page: Page
) -> None:
    _unlock(page, results_server)
    _tab(page, "Exports")
    with page.expect_download() as info:
        page.get_by_role("button", name="CSV, one row per response").click()
    data = Path(info.value.path()).read_bytes()
    df = pd.read_csv(io.BytesIO(data), dtype={"PM_COMMENT": str}, keep_default_na=False)
    comments = set(df["PM_COMMENT"])
    assert "'" + PAYLOADS[3] in comments and "'+1" in comments and "'@SUM(A1)" in comments
    assert PAYLOADS[3] not in comments
    assert PAYLOADS[0] in comments, "text that is no formula is unchanged"
    assert pd.api.types.is_integer_dtype(df["PM_UND"])
    # A new session (reload) sees the export in the audit log.
    _unlock(page, results_server)
    _tab(page, "Audit log")
    # st.dataframe draws on a canvas; its accessible grid cells hold the text.
    expect(page.get_by_test_id("stMain").get_by_text("results.exported").first).to_be_attached()


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (390, 844)])
def test_screens(results_server: AppServer, browser: Browser, width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    page = context.new_page()
    try:
        _unlock(page, results_server)
        for tab in ("Overview", "Artefacts", "Iterations", "Exports"):
            _tab(page, tab)
            if tab != "Exports":
                chart = page.locator("[data-testid='stPlotlyChart']:visible").first
                expect(chart).to_be_visible()
                chart.scroll_into_view_if_needed()
                page.wait_for_timeout(600)
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / f"res-{tab.lower()}-{width}x{height}.png"))
            expect(page.get_by_test_id("stException")).to_have_count(0)
            # Nothing overflows the viewport horizontally (usable on a phone).
            assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth") <= width + 1
    finally:
        context.close()
