"""The whole app in a real browser: every page opens by URL, the language switch works and persists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from components.loader import load_atlas
from tests.browser.server import AppServer, assert_no_exception, open_page, start_app, wait_for_app
from tests.conftest import ARTEFACTS, REPO

SHOTS = Path("/tmp/atlas-shots")
PAGES = ["", *sorted(p.stem for p in (REPO / "pages").glob("*.py") if p.stem != "home")]


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A server no browser has visited yet: the first request below is a deep link."""
    server = start_app({"ATLAS_DATA_DIR": str(tmp_path_factory.mktemp("fresh"))})
    yield server
    server.stop()


def test_a_deep_link_as_the_very_first_request_goes_through_the_app(
    fresh_server: AppServer, page: Page
) -> None:
    atlas = load_atlas(ARTEFACTS).atlas
    open_page(page, f"{fresh_server.url}/lifecycle?lang=en")
    # app.py ran: translated navigation titles and the language switch are in the sidebar.
    expect(page.get_by_test_id("stMain").get_by_role("link", name="Português")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text(atlas.diagrams["practices"].title["en"])).to_be_visible()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_opens_directly_without_error(app_server: AppServer, browser: Browser, path: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        open_page(page, f"{app_server.url}/{path}?lang=en")
        expect(page.get_by_test_id("stMain")).to_be_visible()
        assert_no_exception(page)
    finally:
        context.close()


def test_language_switch_changes_labels_and_persists_across_pages(app_server: AppServer, page: Page) -> None:
    atlas = load_atlas(ARTEFACTS).atlas
    practices = atlas.diagrams["practices"].title
    open_page(page, f"{app_server.url}/?lang=en")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(atlas.tagline["en"])).to_be_visible()

    main.get_by_role("link", name="Português").click()
    wait_for_app(page)
    expect(main.get_by_text(atlas.tagline["pt-BR"])).to_be_visible()
    expect(page).to_have_url(re.compile(r"lang=pt-BR"))

    # Follow the sidebar navigation to another page: still Portuguese, and the URL says so.
    page.get_by_test_id("stSidebarNav").get_by_text(practices["pt-BR"]).click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"/practices\?.*lang=pt-BR"))
    expect(main.get_by_role("heading", name=practices["pt-BR"]).first).to_be_visible()
    assert_no_exception(page)


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (390, 844)])
def test_home_screenshot(app_server: AppServer, browser: Browser, width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        open_page(page, f"{app_server.url}/?lang=en")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"home-{width}x{height}.png"), full_page=False)
        atlas = load_atlas(ARTEFACTS).atlas
        expect(page.get_by_role("heading", name=atlas.title["en"]).first).to_be_visible()
    finally:
        context.close()
