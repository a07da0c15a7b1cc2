"""The questionnaire page through the real app (AppTest): consent gate, validation, submission,
drafts across reloads, database outages, withdrawal, workshop codes and concurrent submissions."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components import i18n, storage
from components import survey as sv
from components.loader import load_atlas
from components.questionnaire_view import K_RESPONSE_ID, WIDGET
from tests.apptest.helpers import all_text, run_page
from tests.conftest import ARTEFACTS

ATLAS = load_atlas(ARTEFACTS).atlas
SURVEY: sv.Survey = ATLAS.survey
XSS = "Ótimo <script>alert(1)</script> [x](javascript:alert(1))"


def answer_for(q: sv.Question) -> Any:
    """A valid answer of every type (two likert items use the don't-know code)."""
    if q.type == sv.SINGLE:
        return q.options[-1].code
    if q.type == sv.MULTIPLE:
        return [q.options[0].code, q.options[1].code]
    if q.type == sv.LIKERT:
        return SURVEY.scale.dont_know_code if q.criterion == "correctness" and q.artefact == "governance" \
            else 1 + len(q.id) % 5
    if q.type in sv.TEXT_TYPES:
        return XSS
    return 12


ANSWERS = {q.id: answer_for(q) for q in SURVEY.questions}


def db():
    return storage.get_engine(storage.database_url())


def data_file() -> Path:
    return Path(storage.database_url().removeprefix("sqlite:///"))


def t(key: str, lang: str = "en", **kw: Any) -> str:
    return i18n.t(key, lang, **kw)


def open_page(lang: str = "en", **query: str) -> AppTest:
    at = run_page("questionnaire", lang=lang, **query)
    assert not at.exception, [e.value for e in at.exception]
    return at


def start(at: AppTest) -> AppTest:
    at.checkbox(key="survey.agree").check().run()
    at.button(key="survey.start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def set_answer(at: AppTest, q: sv.Question, value: Any) -> None:
    key = WIDGET + q.id
    if q.type in (sv.SINGLE, sv.LIKERT):
        at.radio(key=key).set_value(value)
    elif q.type == sv.MULTIPLE:
        at.pills(key=key).set_value(value)
    elif q.type == sv.TEXT:
        at.text_input(key=key).input(value)
    elif q.type == sv.LONG_TEXT:
        at.text_area(key=key).input(value)
    else:
        at.number_input(key=key).set_value(value)


def fill_section(at: AppTest, index: int, answers: dict[str, Any] = ANSWERS) -> AppTest:
    for q in SURVEY.sections[index].questions:
        if q.id in answers:
            set_answer(at, q, answers[q.id])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def next_section(at: AppTest) -> AppTest:
    at.button(key="survey.next").click().run()
    return at


def fill_all(at: AppTest) -> AppTest:
    last = len(SURVEY.sections) - 1
    for i in range(len(SURVEY.sections)):
        fill_section(at, i)
        if i < last:
            next_section(at)
    return at


def submit(at: AppTest) -> AppTest:
    at.button(key="survey.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def walk(node: Any):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from walk(child)


def find_block(node: Any, key: str) -> Any:
    return next(b for b in walk(node) if getattr(b, "key", None) == key)


def header(at: AppTest) -> str:
    return at.header[0].value


# ------------------------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("lang", ["pt-BR", "en"])
def test_page_renders_in_both_languages(lang: str) -> None:
    at = open_page(lang)
    text = all_text(at)
    assert SURVEY.title[lang] in text
    assert SURVEY.consent.title[lang] in text
    for point in SURVEY.consent.points:
        assert point.title[lang] in text
    assert at.checkbox(key="survey.agree").label == SURVEY.consent.agree[lang]
    assert at.button(key="survey.start").label == t("survey.consent.start", lang)
    start(at)
    assert header(at) == SURVEY.sections[0].title[lang]
    role = at.radio(key=WIDGET + "role")
    assert role.options == [o.label[lang] for o in SURVEY.question("role").options]


def test_nothing_is_stored_before_consent() -> None:
    at = open_page()
    assert at.button(key="survey.start").disabled  # not agreed yet
    at.checkbox(key="survey.agree").check().run()
    assert not at.button(key="survey.start").disabled
    at.checkbox(key="survey.agree").uncheck().run()
    assert at.button(key="survey.start").disabled
    _withdraw(at, storage.new_receipt_code())  # the page may read, but writes nothing
    assert "draft" not in at.query_params
    assert SURVEY.consent.title["en"] in all_text(at)
    if data_file().exists():
        assert storage.count_drafts(db()) == 0
        assert storage.count_responses(db()) == 0
        assert storage.read_audit(db(), action="response.submitted") == []


def test_consent_starts_a_draft_with_a_private_token_in_the_url() -> None:
    at = start(open_page())
    token = at.query_params["draft"]
    assert len(token) >= 32
    draft = storage.load_draft(db(), token)
    assert draft is not None
    assert draft.response_id == at.session_state[K_RESPONSE_ID]
    assert str(uuid.UUID(draft.response_id)) == draft.response_id
    assert draft.answers == {}
    assert storage.count_responses(db()) == 0


# ------------------------------------------------------------------------------------------ validation


def test_required_answers_are_checked_with_messages_next_to_each_question() -> None:
    at = start(open_page())
    next_section(at)
    required = [q for q in SURVEY.sections[0].questions if q.required]
    errors = [e.value for e in at.error]
    assert errors.count(t("survey.error.required")) == len(required)
    assert t("survey.errors_summary") in errors
    assert header(at) == SURVEY.sections[0].title["en"]
    for q in SURVEY.sections[0].questions:  # each message sits inside its question's own box
        box = find_block(at.main, f"survey.box.{q.id}")
        assert [e.value for e in walk(box) if e.type == "error"] == (
            [t("survey.error.required")] if q.required else []), q.id
    fill_section(at, 0)
    assert t("survey.error.required") not in [e.value for e in at.error]
    next_section(at)
    assert header(at) == SURVEY.sections[1].title["en"]


def test_out_of_range_number_gets_a_message_and_blocks_next() -> None:
    at = start(open_page())
    fill_section(at, 0)
    at.session_state["survey.answers"]["experience_years"] = 99  # as a crafted session could
    next_section(at)
    assert t("survey.error.too_large", max="50") in [e.value for e in at.error]
    assert header(at) == SURVEY.sections[0].title["en"]


def test_free_text_is_limited_and_shows_a_counter() -> None:
    at = start(open_page())
    fill_section(at, 0)
    next_section(at)
    comment = next(q for q in SURVEY.sections[1].questions if q.type == sv.LONG_TEXT)
    assert at.text_area(key=WIDGET + comment.id).max_chars == comment.max_length


def test_none_of_the_above_replaces_the_other_choices() -> None:
    at = start(open_page())
    fill_all(at)
    q = SURVEY.question("most_useful")
    exclusive = next(o.code for o in q.options if o.exclusive)
    at.pills(key=WIDGET + q.id).set_value([q.options[0].code, exclusive]).run()
    assert at.session_state["survey.answers"][q.id] == [exclusive]
    at.pills(key=WIDGET + q.id).set_value([exclusive, q.options[1].code]).run()
    assert at.session_state["survey.answers"][q.id] == [q.options[1].code]


# ------------------------------------------------------------------------------------------ submission


def test_full_submission_shows_a_receipt_and_stores_one_response() -> None:
    at = fill_all(start(open_page("pt-BR")))
    token = at.query_params["draft"]
    submit(at)
    text = all_text(at)
    assert t("survey.done.title", "pt-BR") in [s.value for s in at.success]
    receipt = at.code[0].value
    assert len(receipt.replace("-", "")) == 32
    rows = storage.fetch_responses(db())
    assert len(rows) == 1
    row = rows[0]
    assert row["survey_version"] == SURVEY.version
    assert row["content_version"] == ATLAS.content_version
    assert row["lang"] == "pt-BR"
    assert row["session_code"] is None
    assert row["synthetic"] is False
    assert row["response_id"] == at.session_state[K_RESPONSE_ID]
    assert row["answers"] == sv.complete_answers(SURVEY, ANSWERS)
    assert row["answers"]["pm_comment"] == XSS.strip()
    assert row["started_at"] <= row["submitted_at"] <= datetime.now(UTC)
    assert storage.load_draft(db(), token) is None
    assert "draft" not in at.query_params
    assert XSS not in text  # the respondent's text is not echoed on the thank-you screen
    assert storage.withdraw_response(db(), receipt) is True  # the shown code is the stored one


def test_a_second_tab_on_the_same_draft_cannot_store_a_second_row() -> None:
    first = fill_all(start(open_page()))
    token = first.query_params["draft"]
    second = open_page(draft=token)  # the same link opened again (reload, another tab)
    assert t("survey.draft.restored") in [i.value for i in second.info]
    assert second.session_state[K_RESPONSE_ID] == first.session_state[K_RESPONSE_ID]
    assert second.session_state["survey.answers"] == sv.restorable_answers(SURVEY, ANSWERS)
    assert header(second) == SURVEY.sections[-1].title["en"]
    submit(second)
    submit(first)
    assert storage.count_responses(db()) == 1
    assert t("survey.done.already") in all_text(first)


def test_reload_restores_answers_section_and_response_id() -> None:
    at = start(open_page())
    fill_section(at, 0)
    next_section(at)
    partial = {q.id: ANSWERS[q.id] for q in SURVEY.sections[1].questions[:2]}
    fill_section(at, 1, partial)
    token = at.query_params["draft"]
    reloaded = open_page(draft=token)
    assert header(reloaded) == SURVEY.sections[1].title["en"]
    for qid, value in partial.items():
        assert reloaded.radio(key=WIDGET + qid).value == value
    assert reloaded.session_state[K_RESPONSE_ID] == at.session_state[K_RESPONSE_ID]
    reloaded.button(key="survey.back").click().run()
    assert reloaded.radio(key=WIDGET + "role").value == ANSWERS["role"]


def test_an_unknown_draft_link_starts_fresh_with_a_notice() -> None:
    at = open_page(draft="no-such-draft-token-0000000000000000")
    assert t("survey.draft.expired") in [i.value for i in at.info]
    assert "draft" not in at.query_params
    assert at.checkbox(key="survey.agree") is not None


# -------------------------------------------------------------------------------------------- outages


def test_database_outage_keeps_answers_and_submit_works_once_it_is_back(tmp_path: Path, monkeypatch) -> None:
    at = start(open_page())
    fill_section(at, 0)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a directory should be")
    monkeypatch.setenv("ATLAS_DATABASE_URL", f"sqlite:///{blocker / 'down' / 'atlas.sqlite3'}")
    next_section(at)
    fill_section(at, 1)
    assert t("survey.save_failed") in [w.value for w in at.warning]
    for i in range(2, len(SURVEY.sections)):
        if i > 1:
            next_section(at)
        fill_section(at, i)
    submit(at)
    assert t("survey.submit_failed") in [e.value for e in at.error]
    assert header(at) == SURVEY.sections[-1].title["en"]
    assert at.session_state["survey.answers"] == sv.restorable_answers(SURVEY, ANSWERS)
    submit(at)  # still down: the same message, no crash
    assert t("survey.submit_failed") in [e.value for e in at.error]
    monkeypatch.delenv("ATLAS_DATABASE_URL")
    submit(at)
    assert t("survey.done.title") in [s.value for s in at.success]
    rows = storage.fetch_responses(db())
    assert len(rows) == 1
    assert rows[0]["answers"] == sv.complete_answers(SURVEY, ANSWERS)


def test_reload_during_an_outage_offers_a_retry(tmp_path: Path, monkeypatch) -> None:
    at = start(open_page())
    fill_section(at, 0)
    token = at.query_params["draft"]
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("ATLAS_DATABASE_URL", f"sqlite:///{blocker / 'x.sqlite3'}")
    reloaded = open_page(draft=token)
    assert t("survey.draft.restore_failed") in [e.value for e in reloaded.error]
    assert not reloaded.checkbox, "a consent form here would start a second response"
    monkeypatch.delenv("ATLAS_DATABASE_URL")
    next(b for b in reloaded.button if b.label == t("survey.draft.retry")).click().run()
    assert reloaded.radio(key=WIDGET + "role").value == ANSWERS["role"]
    assert reloaded.session_state[K_RESPONSE_ID] == at.session_state[K_RESPONSE_ID]


# ------------------------------------------------------------------------------------------ withdrawal


def test_withdrawal_with_the_receipt_code_and_identical_message_for_bad_codes() -> None:
    at = submit(fill_all(start(open_page())))
    receipt = at.code[0].value
    messages = []
    for bad in (storage.new_receipt_code(), receipt[:-1] + ("A" if receipt[-1] != "A" else "B")):
        _withdraw(at, bad)
        messages.append([w.value for w in at.warning])
    assert messages[0] == messages[1] == [t("survey.withdraw.not_found")]
    assert storage.count_responses(db()) == 1
    _withdraw(at, receipt.lower())
    assert t("survey.withdraw.done") in [s.value for s in at.success]
    assert storage.count_responses(db()) == 0
    assert len(storage.withdrawn_ids(db())) == 1


def _withdraw(at: AppTest, code: str) -> None:
    if not _has_withdraw_form(at):
        at.session_state["survey.withdraw_open"] = True  # the form is built when opened
        at.run()
    at.text_input(key="survey.withdraw_code").input(code)
    next(b for b in at.button if b.label == t("survey.withdraw.button")).click().run()
    assert not at.exception


def _has_withdraw_form(at: AppTest) -> bool:
    return any(w.key == "survey.withdraw_code" for w in at.text_input)


def test_the_withdrawal_form_is_built_only_when_opened() -> None:
    at = open_page()
    assert not _has_withdraw_form(at)
    at.session_state["survey.withdraw_open"] = True
    at.run()
    assert _has_withdraw_form(at)


def test_repeated_wrong_codes_are_slowed_down() -> None:
    at = open_page()
    for _ in range(5):
        _withdraw(at, storage.new_receipt_code())
    _withdraw(at, storage.new_receipt_code())
    assert [w.value for w in at.warning] == [t("survey.withdraw.wait")]


# ---------------------------------------------------------------------------------------- workshops


def _workshop(state: str) -> str:
    from components import workshop

    session = workshop.create_session(db())
    if state in ("open", "closed"):
        workshop.apply_action(db(), session.code, "open")
    if state == "closed":
        workshop.apply_action(db(), session.code, "close")
    return session.code


def test_workshop_session_code_from_the_url_is_stored_upper_case() -> None:
    code = _workshop("open")
    at = start(open_page(session=code.lower()))
    assert t("survey.session", code=code) in all_text(at)
    submit(fill_all(at))
    assert [r["session_code"] for r in storage.fetch_responses(db())] == [code]
    assert storage.count_responses(db(), code) == 1


@pytest.mark.parametrize("raw", ["<script>", "x", "ABCDEFGHIJKLMNOPQ", "NOSUCH"])
def test_invalid_or_unknown_session_codes_are_dropped(raw: str) -> None:
    at = open_page(session=raw)
    assert t("survey.session_invalid") in all_text(at)
    submit(fill_all(start(at)))
    assert [r["session_code"] for r in storage.fetch_responses(db())] == [None]


def test_a_closed_workshop_keeps_the_answers_and_offers_storing_without_the_code() -> None:
    code = _workshop("open")
    at = fill_all(start(open_page(session=code)))
    from components import workshop

    workshop.apply_action(db(), code, "close")
    submit(at)
    assert t("workshop.gate.closed") in [w.value for w in at.warning]
    assert storage.count_responses(db()) == 0
    at.button(key="survey.submit_without_session").click().run()
    assert t("survey.done.title") in [s.value for s in at.success]
    assert [r["session_code"] for r in storage.fetch_responses(db())] == [None]


# -------------------------------------------------------------------------------------- concurrency


def test_concurrent_submissions_through_the_app_are_stored_exactly_once() -> None:
    """Sixteen respondents, each with the questionnaire open in two tabs, all press Submit at once."""
    engine = db()
    tokens = []
    for _ in range(16):
        token = storage.new_draft_token()
        storage.save_draft(engine, token, storage.Draft(
            response_id=str(uuid.uuid4()), survey_version=SURVEY.version, lang="en", session_code=None,
            started_at=datetime.now(UTC), step=len(SURVEY.sections) - 1, answers=dict(ANSWERS)))
        tokens.append(token)
    tabs = [open_page(draft=token) for token in tokens for _ in range(2)]
    barrier = threading.Barrier(len(tabs))

    def press(at: AppTest) -> AppTest:
        barrier.wait(timeout=60)
        return submit(at)

    with ThreadPoolExecutor(max_workers=len(tabs)) as pool:
        done = list(pool.map(press, tabs))
    assert all(t("survey.done.title") in [s.value for s in at.success] for at in done)
    rows = storage.fetch_responses(engine)
    assert len(rows) == 16
    assert {r["response_id"] for r in rows} == {at.session_state[K_RESPONSE_ID] for at in done}
    assert storage.count_drafts(engine) == 0
