"""A workshop in real browsers: presenter, projector and a phone that joins by the QR code's URL.

Screenshots go to /tmp/atlas-shots/ (presenter and projector at 1280x720 and 1920x1080, phone at
390x844).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.server import AppServer, assert_no_exception, open_page, start_app, wait_for_app

SECRET = "workshop-browser-secret"
SHOTS = Path("/tmp/atlas-shots")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def workshop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """Its own server: the researcher secret must be configured for the presenter page."""
    server = start_app({
        "ATLAS_DATA_DIR": str(tmp_path_factory.mktemp("workshop-data")),
        "ATLAS_RESEARCHER_SECRET": SECRET,
    })
    try:
        yield server
    finally:
        server.stop()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _presenter(browser: Browser, server: AppServer) -> tuple[BrowserContext, Page, str, str]:
    """Unlock the presenter page, start a session, open its questionnaire; returns the code and the
    join URL as printed under the QR code."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
    page = context.new_page()
    open_page(page, f"{server.url}/workshop?lang=en")
    page.get_by_label("Researcher secret").fill(SECRET)
    page.get_by_role("button", name="Unlock").click()
    wait_for_app(page)
    page.get_by_role("button", name="Start a workshop session").click()
    wait_for_app(page)
    heading = page.get_by_text(re.compile(r"^Session [A-Z2-9]{6}$"))
    expect(heading).to_be_visible()
    code = heading.inner_text().split()[-1]
    join_url = page.locator(".atlas-join-url").first.inner_text().strip()
    assert join_url == f"{server.url}/questionnaire?session={code}&lang=en"
    page.get_by_role("button", name="Open the questionnaire").click()
    wait_for_app(page)
    expect(page.get_by_text("Questionnaire open").first).to_be_visible()
    assert_no_exception(page)
    return context, page, code, join_url


def _projector(browser: Browser, presenter: Page, size: dict[str, int]) -> tuple[BrowserContext, Page]:
    href = presenter.get_by_role("link", name="Open the projector view").get_attribute("href")
    assert href and href.startswith("present?session=") and "key=" in href
    base = presenter.url.split("/workshop")[0]
    context = browser.new_context(viewport=size, locale="en-US")
    page = context.new_page()
    open_page(page, f"{base}/{href}")
    return context, page


def _answer_everything(phone: Page, note: str | None = None) -> None:
    """Consent, then every section: one option per choice question, a number, and Next."""
    phone.get_by_test_id("stCheckbox").first.locator("label").click()
    wait_for_app(phone)
    phone.get_by_role("button", name="Agree and start").click()
    wait_for_app(phone)
    for _ in range(12):
        for group in phone.get_by_test_id("stRadio").all():
            group.locator('label:has(input[type="radio"])').first.click()
            wait_for_app(phone)
        for pills in phone.get_by_test_id("stButtonGroup").all():
            if pills.locator("button[aria-checked='true'], button[kind*='Active']").count():
                continue
            options = pills.locator("button")
            if options.count() > 2:  # not the two-option language switch
                options.first.click()
                wait_for_app(phone)
        for number in phone.get_by_test_id("stNumberInput").all():
            box = number.locator("input")
            if not box.input_value():
                box.fill("3")
                box.press("Enter")
                wait_for_app(phone)
        areas = phone.locator("textarea")
        if note and areas.count():
            areas.last.fill(note)
            areas.last.press("Tab")
            wait_for_app(phone)
        submit = phone.get_by_role("button", name="Submit answers")
        if submit.count():
            return
        phone.get_by_role("button", name="Next").click()
        wait_for_app(phone)
    raise AssertionError("never reached the last section")


def test_presenter_qr_phone_and_projector_count(browser: Browser, workshop_server: AppServer) -> None:
    presenter_ctx, presenter, code, join_url = _presenter(browser, workshop_server)
    _shot(presenter, "workshop-presenter-1280")
    # The projector shows the join slide: jump to the last slide from the presenter page.
    presenter.get_by_label("Go to slide").click()
    presenter.keyboard.type("Questionnaire and QR code")
    presenter.keyboard.press("Enter")
    wait_for_app(presenter)
    expect(presenter.get_by_text("Slide 30 of 30")).to_be_visible()
    projector_ctx, projector = _projector(browser, presenter, {"width": 1280, "height": 720})
    count = projector.get_by_test_id("atlas-live-count")
    expect(count).to_have_text("0")
    expect(projector.get_by_test_id("stSidebar")).to_be_hidden()
    expect(projector.locator(".atlas-join-url")).to_have_text(join_url)
    _shot(projector, "workshop-projector-join-1280")

    phone_ctx = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    phone = phone_ctx.new_page()
    try:
        open_page(phone, join_url)
        expect(phone.get_by_text(f"Workshop session {code}")).to_be_visible()
        # The phone view is focused: the questionnaire alone, no site navigation to wander off.
        expect(phone.get_by_test_id("stSidebarNav")).to_have_count(0)
        expect(phone.get_by_role("link", name="Português")).to_be_visible()
        _shot(phone, "workshop-phone-consent-390")
        _answer_everything(phone)
        phone.get_by_role("button", name="Submit answers").click()
        wait_for_app(phone)
        expect(phone.get_by_text("Thank you for taking part!")).to_be_visible()
        expect(phone.get_by_test_id("stSidebarNav")).to_have_count(0)  # still focused
        _shot(phone, "workshop-phone-done-390")
        # The projector's live panel picks the answer up on its own (fragment refresh + cache).
        expect(count).to_have_text("1", timeout=15_000)
        _shot(projector, "workshop-projector-count-1280")
        # Arrow keys drive the projector (a clicker sends them): back one slide.
        projector.keyboard.press("ArrowLeft")
        wait_for_app(projector)
        expect(count).to_have_count(0)
        assert_no_exception(projector)
    finally:
        for ctx in (phone_ctx, projector_ctx, presenter_ctx):
            ctx.close()


def test_projector_reads_well_at_full_hd(browser: Browser, workshop_server: AppServer) -> None:
    presenter_ctx, presenter, _code, _url = _presenter(browser, workshop_server)
    projector_ctx, projector = _projector(browser, presenter, {"width": 1920, "height": 1080})
    try:
        _shot(projector, "workshop-projector-title-1920")
        for _ in range(17):  # to the last lifecycle step: feedback loops are announced
            projector.keyboard.press("PageDown")
            wait_for_app(projector)
        _shot(projector, "workshop-projector-step-1920")
        assert_no_exception(projector)
        # Nothing sticks out of the 16:9 screen.
        overflow = projector.evaluate("document.scrollingElement.scrollHeight - window.innerHeight")
        assert overflow <= 4, overflow
    finally:
        projector_ctx.close()
        presenter_ctx.close()


def test_a_closed_session_refuses_kindly_and_keeps_the_answers(
    browser: Browser, workshop_server: AppServer
) -> None:
    presenter_ctx, presenter, _code, join_url = _presenter(browser, workshop_server)
    phone_ctx = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    phone = phone_ctx.new_page()
    try:
        open_page(phone, join_url)
        _answer_everything(phone, note="my typed note")
        presenter.get_by_role("button", name="Close the questionnaire").click()
        wait_for_app(presenter)
        expect(presenter.get_by_text("Questionnaire closed").first).to_be_visible()
        phone.get_by_role("button", name="Submit answers").click()
        wait_for_app(phone)
        expect(phone.get_by_text("has closed, so this submission was not stored")).to_be_visible()
        expect(phone.locator("textarea").last).to_have_value("my typed note")
        expect(phone.get_by_text("Thank you for taking part!")).to_have_count(0)
        _shot(phone, "workshop-phone-closed-390")
        expect(presenter.get_by_test_id("stMetricValue").first).to_have_text("0")
    finally:
        phone_ctx.close()
        presenter_ctx.close()
