"""Presenter controls and the projector view in AppTest: the session states, reveal, the gate."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from components import storage
from components import workshop as ws
from tests.apptest.helpers import all_text, run_page
from tests.conftest import REPO

SECRET = "workshop-secret-for-tests"


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ATLAS_RESEARCHER_SECRET", SECRET)
    return SECRET


def _engine():
    return storage.get_engine()


def _presenter(unlocked: bool = True, **query: str) -> AppTest:
    """The workshop page; ``unlocked`` marks the session as one that entered the secret (the gate's
    own form is tested with the access module)."""
    from components import access_view

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.query_params["lang"] = "en"
    for key, value in query.items():
        at.query_params[key] = value
    if unlocked:
        at.session_state[access_view.SESSION_FLAG] = access_view._fingerprint(SECRET)
    at.run()
    at.switch_page("pages/workshop.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


# ---------------------------------------------------------------------------------------- presenter


def test_presenter_page_is_closed_without_a_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATLAS_RESEARCHER_SECRET", raising=False)
    at = run_page("workshop", lang="en")
    assert not at.exception
    assert "no researcher secret is configured" in all_text(at)
    assert "workshop_start" not in _keys(at)


def test_presenter_page_asks_for_the_secret(secret: str) -> None:
    at = _presenter(unlocked=False)
    assert "Enter the researcher secret" in all_text(at)
    assert at.text_input[0].label == "Researcher secret"
    assert "workshop_start" not in _keys(at)
    assert ws.recent_sessions(_engine()) == []


def test_a_workshop_from_start_to_end(secret: str) -> None:
    at = _presenter()
    assert "workshop_start" in _keys(at)
    _click(at, "workshop_start")
    code = at.session_state["workshop_code"]
    assert ws.normalize_code(code) == code
    assert at.query_params["session"] == code
    session = ws.get_session(_engine(), code)
    assert session.state == ws.DRAFT and session.step == 0
    text = all_text(at)
    assert f"Session {code}" in text and "Questionnaire not open yet" in text
    # The join link under the QR code carries the session and the language.
    html = "\n".join(h.proto.body for h in at.get("html"))
    assert f"questionnaire?session={code}&amp;lang=en" in html
    # Results are hidden by default.
    assert at.toggle(key="workshop_reveal").value is False

    _click(at, "workshop_open")
    assert ws.get_session(_engine(), code).state == ws.OPEN
    assert "workshop_open" not in _keys(at) and "workshop_close" in _keys(at)
    assert "Questionnaire open" in all_text(at)

    _click(at, "workshop_close")
    assert ws.get_session(_engine(), code).state == ws.CLOSED
    assert at.button(key="workshop_open").label == "Reopen the questionnaire"

    _click(at, "workshop_end")  # asks first
    assert ws.get_session(_engine(), code).state == ws.CLOSED
    assert "Ending is final" in all_text(at)
    _click(at, "workshop_end_yes")
    assert ws.get_session(_engine(), code).state == ws.ENDED
    assert "This session has ended" in all_text(at)
    assert at.button(key="workshop_next").disabled
    assert not ({"workshop_open", "workshop_close", "workshop_end"} & _keys(at))


def test_cancelling_the_end_keeps_the_session(secret: str) -> None:
    code = ws.create_session(_engine()).code
    at = _presenter(session=code)
    _click(at, "workshop_end")
    _click(at, "workshop_end_no")
    assert ws.get_session(_engine(), code).state == ws.DRAFT
    assert "Ending is final" not in all_text(at)


def test_reveal_and_hide_the_results(secret: str) -> None:
    code = ws.create_session(_engine()).code
    at = _presenter(session=code)
    at.toggle(key="workshop_reveal").set_value(True)
    at.run()
    assert ws.get_session(_engine(), code).results_revealed is True
    at.toggle(key="workshop_reveal").set_value(False)
    at.run()
    assert ws.get_session(_engine(), code).results_revealed is False


def test_stepping_through_the_slides(secret: str) -> None:
    code = ws.create_session(_engine()).code
    at = _presenter(session=code)
    assert at.button(key="workshop_prev").disabled
    _click(at, "workshop_next")
    _click(at, "workshop_next")
    assert ws.get_session(_engine(), code).step == 2
    _click(at, "workshop_prev")
    assert ws.get_session(_engine(), code).step == 1
    at.selectbox(key="workshop_jump").set_value(5)
    at.run()
    assert ws.get_session(_engine(), code).step == 5
    assert "Slide 6 of" in all_text(at) or any("Slide 6 of" in str(p.proto) for p in at.get("progress"))


def test_a_stale_screen_gets_a_conflict_note_not_a_wrong_state(secret: str) -> None:
    code = ws.create_session(_engine()).code
    at = _presenter(session=code)
    ws.apply_action(_engine(), code, "open")  # another tab opened it meanwhile
    _click(at, "workshop_open")  # this screen still showed "draft"
    assert ws.get_session(_engine(), code).state == ws.OPEN
    assert any("changed a moment ago" in t.proto.body for t in at.get("toast"))


def test_resume_a_running_session_from_the_list(secret: str) -> None:
    code = ws.create_session(_engine()).code
    ended = ws.create_session(_engine()).code
    ws.apply_action(_engine(), ended, "end")
    at = _presenter()
    assert f"resume_{code}" in _keys(at) and f"resume_{ended}" not in _keys(at)
    _click(at, f"resume_{code}")
    assert at.session_state["workshop_code"] == code
    _click(at, "workshop_leave")
    assert "workshop_start" in _keys(at)


# ---------------------------------------------------------------------------------------- projector


def _projector(**query: str) -> AppTest:
    at = run_page("present", lang="en", **query)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _html(at: AppTest) -> str:
    """The page's HTML blocks, without the style sheet."""
    return "\n".join(h.proto.body for h in at.get("html") if not h.proto.body.lstrip().startswith("<style"))


def test_projector_without_a_session_is_a_keyboard_slideshow(secret: str) -> None:
    at = _projector()
    # The keys presentation clickers send: arrows and Page Up/Page Down.
    shortcuts = {b.key: b.proto.shortcut for b in at.button}
    assert shortcuts == {"present_prev": "left", "present_next": "right", "present_pgup": "pageup",
                         "present_pgdn": "pagedown"}
    _click(at, "present_next")
    assert at.session_state["present_step"] == 1
    assert at.query_params["step"] == "1"


def test_projector_follows_the_session_and_only_the_presenter_link_drives(secret: str) -> None:
    from components.loader import load_atlas

    atlas = load_atlas(REPO / "artefacts").atlas
    eng = _engine()
    code = ws.create_session(eng).code
    deck = ws.build_deck(atlas)
    monitoring = next(i for i, s in enumerate(deck) if s.node == "step-monitoring")
    ws.set_step(eng, code, 0, monitoring)

    room = _projector(session=code)
    assert "present_next" not in _keys(room)  # the room's link cannot move the slides
    html = _html(room)
    assert atlas.nodes["step-monitoring"].label["en"] in html
    for edge in ws.feedback_edges(atlas.diagrams["lifecycle"], "step-monitoring"):
        assert edge.label["en"] in html  # feedback edges announced when reached

    presenter = _projector(session=code, key=ws.presenter_token(SECRET, code))
    assert "present_next" in _keys(presenter)
    _click(presenter, "present_next")
    assert ws.get_session(eng, code).step == monitoring + 1

    forged = _projector(session=code, key="0" * 20)
    assert "present_next" not in _keys(forged)


def test_projector_join_slide_counts_and_reveals_only_on_command(secret: str) -> None:
    from datetime import UTC, datetime

    from components.loader import load_atlas

    atlas = load_atlas(REPO / "artefacts").atlas
    survey = atlas.survey
    eng = _engine()
    code = ws.create_session(eng).code
    ws.apply_action(eng, code, "open")
    ws.set_step(eng, code, 0, len(ws.build_deck(atlas)) - 1)
    likert = [q for q in survey.questions if q.type == "likert"]
    free_text = next(q for q in survey.questions if q.type == "long_text")
    for i in range(3):
        now = datetime.now(UTC)
        answers = {q.id: None for q in survey.questions} | {q.id: 5 for q in likert}
        answers[free_text.id] = "SECRET-FREE-TEXT"
        storage.submit_response(eng, storage.NewResponse(
            f"r{i}", survey.version, "c0ffee", "en", code, now, now, answers, storage.receipt_hash(f"r{i}")))

    hidden = _html(_projector(session=code))
    assert 'data-testid="atlas-live-count">3<' in hidden
    assert f"questionnaire?session={code}" in hidden
    assert "Results stay hidden" in hidden and "100%" not in hidden

    ws.set_revealed(eng, code, True)
    st.cache_data.clear()  # the projector reads through a one-second cache
    shown = _html(_projector(session=code))
    assert "Agreement so far" in shown and "100%" in shown
    assert survey.criteria[0].label["en"] in shown
    assert "SECRET-FREE-TEXT" not in shown


def test_projector_says_thank_you_when_the_session_ends(secret: str) -> None:
    eng = _engine()
    code = ws.create_session(eng).code
    ws.apply_action(eng, code, "end")
    html = _html(_projector(session=code))
    assert "Thank you for taking part!" in html
    assert "<img" not in html.split("atlas-live-count")[0] or "questionnaire?session" not in html


def test_projector_with_an_unknown_session_says_so(secret: str) -> None:
    at = _projector(session="ZZZZZZ")
    assert "There is no workshop session ZZZZZZ" in _html(at)
    at = _projector(session="<b>x</b>")
    assert "<b>x</b>" not in _html(at) and "&lt;b&gt;" in _html(at)
