"""The questionnaire in headless Chromium against a real server with its own SQLite directory:
a whole submission on a phone, a reload mid-way, a database outage and recovery, simultaneous
submits from several tabs, and screenshots at 390x844 and 1280x720 (in /tmp/atlas-shots/)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from components import i18n, storage
from components import survey as sv
from components.loader import load_atlas
from tests.browser.server import AppServer, assert_no_exception, start_app, wait_for_app
from tests.conftest import ARTEFACTS

ATLAS = load_atlas(ARTEFACTS).atlas
SURVEY: sv.Survey = ATLAS.survey
SHOTS = Path("/tmp/atlas-shots")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                       "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"}
DESKTOP = {"viewport": {"width": 1280, "height": 720}}
LANG = "en"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppServer, Path]]:
    data = tmp_path_factory.mktemp("questionnaire-data")
    app = start_app({"ATLAS_DATA_DIR": str(data)})
    try:
        yield app, data / storage.DB_FILE
    finally:
        app.stop()


@pytest.fixture
def db(server: tuple[AppServer, Path]) -> Iterator[Any]:
    engine = storage.make_engine(f"sqlite:///{server[1]}")
    yield engine
    engine.dispose()


def t(key: str, **kw: Any) -> str:
    return i18n.t(key, LANG, **kw)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(SHOTS / f"questionnaire-{name}-{size['width']}x{size['height']}.png"))


def settle(page: Page) -> None:
    """Wait for the rerun a click started (it may not have started yet when we look)."""
    try:
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=700)
    except Exception:  # the rerun was already over
        pass
    wait_for_app(page)


def widget(page: Page, qid: str):
    return page.locator(f".st-key-survey-q-{qid}")


def answer(page: Page, q: sv.Question, value: Any) -> None:
    box = widget(page, q.id)
    if q.type == sv.SINGLE:
        box.get_by_text(q.option(value).label[LANG], exact=True).click()
    elif q.type == sv.LIKERT:
        label = SURVEY.scale.point_label(value)[LANG]
        text = label if value == SURVEY.scale.dont_know_code else f"{value} · {label}"
        box.get_by_text(text, exact=True).click()
    elif q.type == sv.MULTIPLE:
        for code in value:
            box.get_by_role("button", name=q.option(code).label[LANG]).click()
            settle(page)
        return
    elif q.type == sv.NUMBER:
        box.locator("input").fill(str(value))
        box.locator("input").press("Enter")
    else:
        field = box.locator("textarea" if q.type == sv.LONG_TEXT else "input")
        field.fill(value)
        field.press("Tab")
    settle(page)


def phone_answers() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, q in enumerate(SURVEY.questions):
        if q.type == sv.SINGLE:
            out[q.id] = q.options[i % len(q.options)].code
        elif q.type == sv.LIKERT:
            out[q.id] = SURVEY.scale.dont_know_code if i % 7 == 3 else 1 + i % 5
        elif q.type == sv.MULTIPLE:
            out[q.id] = [q.options[0].code, q.options[2].code]
        elif q.type == sv.NUMBER:
            out[q.id] = 7
        elif q.id == SURVEY.sections[1].questions[-1].id:
            out[q.id] = "Muito útil, <b>mas</b> falta =SUM(A1)"
    return out


ANSWERS = phone_answers()


def open_questionnaire(page: Page, app: AppServer, **query: str) -> None:
    params = "&".join(f"{k}={v}" for k, v in {"lang": LANG, **query}.items())
    page.goto(f"{app.url}/questionnaire?{params}")
    wait_for_app(page)
    assert_no_exception(page)


def agree_and_start(page: Page) -> None:
    page.get_by_text(SURVEY.consent.agree[LANG]).click()
    settle(page)
    page.get_by_role("button", name=t("survey.consent.start")).click()
    settle(page)
    expect(page.get_by_role("heading", name=SURVEY.sections[0].title[LANG])).to_be_visible()


def fill_section(page: Page, index: int, answers: dict[str, Any] = ANSWERS) -> None:
    for q in SURVEY.sections[index].questions:
        if q.id in answers:
            answer(page, q, answers[q.id])


def click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    settle(page)


def assert_fits_the_screen(page: Page) -> None:
    width = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollWidth")
    assert width <= page.viewport_size["width"], f"horizontal scrolling: {width}px"


def likert_index(value: Any) -> int:
    return [1, 2, 3, 4, 5, SURVEY.scale.dont_know_code].index(value)


def prepared_draft(engine: Any, step: int, answers: dict[str, Any]) -> tuple[str, str]:
    token = storage.new_draft_token()
    response_id = str(uuid.uuid4())
    storage.save_draft(engine, token, storage.Draft(
        response_id=response_id, survey_version=SURVEY.version, lang=LANG, session_code=None,
        started_at=datetime.now(UTC), step=step, answers=answers))
    return token, response_id


# ------------------------------------------------------------------------------------------------ tests


def test_whole_questionnaire_on_a_phone(browser: Browser, server, db) -> None:
    app, _ = server
    before = storage.count_responses(db)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        open_questionnaire(page, app)
        shot(page, "consent")
        assert_fits_the_screen(page)
        agree_and_start(page)
        click(page, t("survey.next"))  # nothing answered: messages, same section
        expect(page.get_by_text(t("survey.error.required")).first).to_be_visible()
        shot(page, "required")
        for index, section in enumerate(SURVEY.sections):
            expect(page.get_by_role("heading", name=section.title[LANG])).to_be_visible()
            fill_section(page, index)
            assert_fits_the_screen(page)
            if index < len(SURVEY.sections) - 1:
                if index in (1, 2):
                    page.locator(".st-key-survey-preview").scroll_into_view_if_needed()
                    shot(page, f"section-{section.id}")
                click(page, t("survey.next"))
        expect(page.get_by_text(t("survey.error.required"))).to_have_count(0)
        shot(page, "last-section")
        token = page.url.split("draft=")[1].split("&")[0]
        click(page, t("survey.submit"))
        expect(page.get_by_text(t("survey.done.title"))).to_be_visible()
        receipt = page.get_by_test_id("stCode").inner_text().strip()
        shot(page, "thank-you")
        assert_no_exception(page)
    finally:
        context.close()
    rows = storage.fetch_responses(db)
    assert len(rows) == before + 1
    mine = [r for r in rows if r["answers"] == sv.complete_answers(SURVEY, ANSWERS)]
    assert len(mine) == 1, "exactly one stored response with these answers"
    row = mine[0]
    assert row["survey_version"] == SURVEY.version
    assert row["content_version"] == ATLAS.content_version
    assert row["lang"] == LANG
    assert storage.load_draft(db, token) is None  # the submitted draft was deleted
    assert storage.withdraw_response(db, receipt) is True  # the code on screen is the stored one


def test_reload_mid_way_keeps_the_answers(browser: Browser, server, db) -> None:
    app, _ = server
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        open_questionnaire(page, app)
        agree_and_start(page)
        fill_section(page, 0)
        click(page, t("survey.next"))
        likert = [q for q in SURVEY.sections[1].questions if q.type == sv.LIKERT][:2]
        for q in likert:
            answer(page, q, ANSWERS[q.id])
        url = page.url
        assert "draft=" in url
        page.reload()
        wait_for_app(page)
        assert_no_exception(page)
        expect(page.get_by_text(t("survey.draft.restored"))).to_be_visible()
        expect(page.get_by_role("heading", name=SURVEY.sections[1].title[LANG])).to_be_visible()
        for q in likert:
            radios = widget(page, q.id).get_by_role("radio")
            expect(radios.nth(likert_index(ANSWERS[q.id]))).to_be_checked()
        shot(page, "after-reload")
        click(page, t("survey.back"))
        role = SURVEY.question("role")
        checked = [o.code for o in role.options].index(ANSWERS["role"])
        expect(widget(page, "role").get_by_role("radio").nth(checked)).to_be_checked()
    finally:
        context.close()


def test_database_outage_mid_way_then_recovery(browser: Browser, server, db) -> None:
    app, path = server
    before = storage.count_responses(db)
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    try:
        last = len(SURVEY.sections) - 1
        first = SURVEY.sections[last].questions[0].id
        prepared = {k: v for k, v in ANSWERS.items() if k != first}
        token, response_id = prepared_draft(db, last, prepared)  # filled up to the last question
        open_questionnaire(page, app, draft=token)
        closing = {first: ANSWERS[first]}
        # The database becomes unavailable: another process holds its write lock.
        holder = sqlite3.connect(path, isolation_level=None, timeout=1)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            answer(page, SURVEY.question(first), closing[first])
            expect(page.get_by_text(t("survey.save_failed"))).to_be_visible(timeout=15_000)
            click(page, t("survey.submit"))
            expect(page.get_by_text(t("survey.submit_failed"))).to_be_visible(timeout=15_000)
            shot(page, "database-down")
            assert_no_exception(page)
            # The answers are still on the screen.
            assert SURVEY.question(first).type == sv.LIKERT
            radios = widget(page, first).get_by_role("radio")
            expect(radios.nth(likert_index(closing[first]))).to_be_checked()
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        click(page, t("survey.submit"))
        expect(page.get_by_text(t("survey.done.title"))).to_be_visible(timeout=15_000)
    finally:
        context.close()
    assert storage.count_responses(db) == before + 1
    assert storage.response_exists(db, response_id)


def test_simultaneous_submits_from_several_tabs_store_each_response_once(browser: Browser, server,
                                                                          db) -> None:
    app, _ = server
    before = storage.count_responses(db)
    drafts = [prepared_draft(db, len(SURVEY.sections) - 1, ANSWERS) for _ in range(3)]
    context = browser.new_context(**DESKTOP)
    pages = []
    try:
        for token, _ in drafts:
            for _ in range(2):  # the same link open in two tabs
                page = context.new_page()
                open_questionnaire(page, app, draft=token)
                pages.append(page)
        buttons = [p.get_by_role("button", name=t("survey.submit"), exact=True) for p in pages]
        for button in buttons:  # press them all before any reply arrives
            button.click(no_wait_after=True)
        for page in pages:
            expect(page.get_by_text(t("survey.done.title"))).to_be_visible(timeout=20_000)
            # Each tab ends with either its receipt or "already received" (wait: it may still render).
            outcome = page.get_by_test_id("stCode").or_(page.get_by_text(t("survey.done.already")))
            expect(outcome.first).to_be_visible(timeout=20_000)
        with_receipt = sum(p.get_by_test_id("stCode").count() for p in pages)
        already = sum(p.get_by_text(t("survey.done.already")).count() for p in pages)
        assert (with_receipt, already) == (3, 3)
    finally:
        context.close()
    rows = storage.fetch_responses(db)
    assert len(rows) == before + 3
    assert {rid for _, rid in drafts} <= {r["response_id"] for r in rows}


def test_desktop_screenshots(browser: Browser, server, db) -> None:
    app, _ = server
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    try:
        open_questionnaire(page, app, session="nosuch")
        shot(page, "consent")
        token, _ = prepared_draft(db, 3, {k: v for k, v in ANSWERS.items()
                                          if SURVEY.section_of(k) <= 3})
        open_questionnaire(page, app, draft=token)
        shot(page, "section-lifecycle")
        page.mouse.wheel(0, 700)
        page.wait_for_timeout(300)
        shot(page, "section-lifecycle-items")
        click(page, t("survey.next"))
        click(page, t("survey.submit"))
        expect(page.get_by_text(t("survey.error.required")).first).to_be_visible()
        shot(page, "closing-errors")
        fill_section(page, len(SURVEY.sections) - 1)
        click(page, t("survey.submit"))
        expect(page.get_by_text(t("survey.done.title"))).to_be_visible()
        page.get_by_text(t("survey.withdraw.title")).click()
        settle(page)
        shot(page, "thank-you")
        assert_no_exception(page)
    finally:
        context.close()
