"""Workshop mode: codes, the session state machine, the deck, links, the submission gate, the DB rules."""

from __future__ import annotations

import random
import threading

import pytest

from components import workshop as ws
from components.loader import load_atlas
from tests.conftest import ARTEFACTS

# ------------------------------------------------------------------------------------------------ codes


def test_codes_are_six_unambiguous_characters() -> None:
    rng = random.Random(7)
    codes = {ws.new_code(rng.choice) for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 6
        assert not set(code) & set("01OIL")
        assert ws.normalize_code(code) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("k7qm2p", "K7QM2P"), (" K7Q-M2P ", "K7QM2P"), ("K7Q M2P", "K7QM2P"), ("K7QM2", None), ("K7QM2P9", None),
     ("K7QM0P", None), ("K7QMOP", None), (None, None), (123456, None), ("", None)],
)
def test_normalize_code(raw: object, expected: str | None) -> None:
    assert ws.normalize_code(raw) == expected


# ---------------------------------------------------------------------------------------- state machine


def test_the_workshop_path_start_open_close_end() -> None:
    state = ws.DRAFT
    for action, expected in [("open", ws.OPEN), ("close", ws.CLOSED), ("open", ws.OPEN), ("close", ws.CLOSED),
                             ("end", ws.ENDED)]:
        state = ws.next_state(state, action)
        assert state == expected


@pytest.mark.parametrize(
    ("state", "action"),
    [("draft", "close"), ("open", "open"), ("closed", "close"), ("ended", "open"), ("ended", "end"),
     ("ended", "close"), ("open", "bogus")],
)
def test_forbidden_transitions(state: str, action: str) -> None:
    with pytest.raises(ws.TransitionError):
        ws.next_state(state, action)


def test_allowed_actions_match_the_machine() -> None:
    assert ws.allowed_actions(ws.DRAFT) == ["open", "end"]
    assert ws.allowed_actions(ws.OPEN) == ["close", "end"]
    assert ws.allowed_actions(ws.CLOSED) == ["open", "end"]
    assert ws.allowed_actions(ws.ENDED) == []


@pytest.mark.parametrize(
    ("state", "allowed", "reason"),
    [("open", True, None), ("draft", False, "workshop.gate.not_open"),
     ("closed", False, "workshop.gate.closed"), ("ended", False, "workshop.gate.ended"),
     (None, False, "workshop.gate.unknown")],
)
def test_gate_for_state(state: str | None, allowed: bool, reason: str | None) -> None:
    assert ws.gate_for_state(state) == (allowed, reason)


def test_gate_reasons_exist_in_both_languages() -> None:
    from components import i18n

    for key in ws.GATE_REASONS.values():
        for lang in ("en", "pt-BR"):
            assert key in i18n.catalogs()[lang], (key, lang)


# ------------------------------------------------------------------------------------------------- deck


@pytest.fixture(scope="module")
def atlas():
    return load_atlas(ARTEFACTS).atlas


def test_deck_walks_every_diagram_in_manifest_order(atlas) -> None:
    deck = ws.build_deck(atlas)
    assert deck[0].kind == ws.TITLE and deck[-1].kind == ws.JOIN
    overviews = [s.diagram for s in deck if s.kind == ws.OVERVIEW]
    assert overviews == list(atlas.diagrams)
    lifecycle = [s.node for s in deck if s.kind == ws.NODE and s.diagram == "lifecycle"]
    assert lifecycle == [n.id for n in atlas.diagrams["lifecycle"].ordered_nodes()]
    assert lifecycle[0] == "step-data-extraction" and lifecycle[-1] == "step-monitoring"
    # A grouped matrix is presented group by group, right after its overview.
    start = deck.index(ws.Slide(ws.OVERVIEW, "practices"))
    groups = [s.group for s in deck[start + 1 : start + 5]]
    assert groups == [g.id for g in atlas.diagrams["practices"].groups]


def test_deck_can_be_limited_to_some_diagrams(atlas) -> None:
    deck = ws.build_deck(atlas, ["governance", "nope"])
    assert [s.kind for s in deck] == [ws.TITLE, ws.OVERVIEW, ws.NODE, ws.NODE, ws.NODE, ws.JOIN]


def test_feedback_edges_are_announced_at_their_source(atlas) -> None:
    lifecycle = atlas.diagrams["lifecycle"]
    edges = ws.feedback_edges(lifecycle, "step-monitoring")
    assert {e.target for e in edges} == {"step-data-extraction", "step-ml-pipeline"}
    assert all(e.label for e in edges)
    assert ws.feedback_edges(lifecycle, "step-data-extraction") == []


def test_highlighted_nodes(atlas) -> None:
    practices = atlas.diagrams["practices"]
    group = practices.groups[0].id
    assert ws.highlighted_nodes(ws.Slide(ws.GROUP, "practices", group=group), practices) == {
        n.id for n in practices.nodes if n.group == group
    }
    assert ws.highlighted_nodes(ws.Slide(ws.OVERVIEW, "practices"), practices) == set()


def test_clamp_step(atlas) -> None:
    deck = ws.build_deck(atlas)
    assert ws.clamp_step(-3, deck) == 0
    assert ws.clamp_step(10_000, deck) == len(deck) - 1
    assert ws.clamp_step(2, deck) == 2


# ------------------------------------------------------------------------------------------------ links


@pytest.mark.parametrize(
    ("page_url", "expected"),
    [("http://10.0.0.5:8501/workshop", "http://10.0.0.5:8501"),
     ("https://atlas.example.org/sub/workshop/", "https://atlas.example.org/sub"),
     ("http://host:8501/", "http://host:8501"), ("", None), ("not a url", None)],
)
def test_base_from_page_url(page_url: str, expected: str | None) -> None:
    assert ws.base_from_page_url(page_url, "workshop") == expected


def test_public_base_url_prefers_the_configured_value() -> None:
    assert ws.public_base_url("https://atlas.org/", "http://127.0.0.1:8501/workshop", "workshop") == "https://atlas.org"
    assert ws.public_base_url(None, "http://10.1.1.1:8501/workshop", "workshop") == "http://10.1.1.1:8501"
    headers = {"Host": "atlas.lan:8080", "X-Forwarded-Proto": "https"}
    assert ws.public_base_url("", None, "workshop", headers) == "https://atlas.lan:8080"


def test_join_url_and_display() -> None:
    url = ws.join_url("http://10.0.0.5:8501", "K7QM2P", "pt-BR")
    assert url == "http://10.0.0.5:8501/questionnaire?session=K7QM2P&lang=pt-BR"
    assert ws.display_url(url) == "10.0.0.5:8501/questionnaire?session=K7QM2P&lang=pt-BR"
    assert ws.is_loopback("http://127.0.0.1:8501") and ws.is_loopback("http://localhost")
    assert not ws.is_loopback(url)


def test_presenter_token_is_bound_to_the_secret_and_the_code() -> None:
    token = ws.presenter_token("a-long-secret", "K7QM2P")
    assert ws.token_valid("a-long-secret", "K7QM2P", token)
    assert not ws.token_valid("another-secret", "K7QM2P", token)
    assert not ws.token_valid("a-long-secret", "K7QM2Q", token)
    assert not ws.token_valid(None, "K7QM2P", token)
    assert not ws.token_valid("a-long-secret", "K7QM2P", "")


# --------------------------------------------------------------------------------------------- database

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path):
    """The storage layer's engine on SQLite, and on PostgreSQL in a private schema when configured."""
    from components import storage

    if request.param == "sqlite":
        eng = storage.make_engine(f"sqlite:///{tmp_path / 'atlas.sqlite3'}")
        yield eng
        eng.dispose()
        return
    from tests.databases import private_schema_engine

    with private_schema_engine("t_ws") as eng:
        yield eng


def test_a_new_session_is_a_hidden_draft_on_the_first_slide(engine) -> None:
    session = ws.create_session(engine)
    stored = ws.get_session(engine, session.code)
    assert stored is not None
    assert (stored.state, stored.step, stored.results_revealed) == (ws.DRAFT, 0, False)
    assert ws.get_session(engine, session.code.lower()) == stored
    assert ws.get_session(engine, "ZZZZZZ") is None
    assert ws.get_session(engine, "bad code") is None


def test_code_collision_draws_again(engine) -> None:
    first = ws.create_session(engine, choice=lambda alphabet: alphabet[0])
    draws = iter(["A"] * 6 + ["B"] * 6)
    second = ws.create_session(engine, choice=lambda alphabet: next(draws))
    assert first.code == "AAAAAA" and second.code == "BBBBBB"
    with pytest.raises(ws.ConflictError):
        ws.create_session(engine, choice=lambda alphabet: alphabet[0], attempts=3)


def test_state_changes_are_stored_and_audited(engine) -> None:
    from components import storage

    code = ws.create_session(engine).code
    assert ws.apply_action(engine, code, "open", ws.DRAFT).state == ws.OPEN
    assert ws.apply_action(engine, code, "close", ws.OPEN).state == ws.CLOSED
    assert ws.apply_action(engine, code, "end").state == ws.ENDED
    assert ws.get_session(engine, code).state == ws.ENDED
    with pytest.raises(ws.TransitionError):
        ws.apply_action(engine, code, "open")
    actions = [row["action"] for row in storage.read_audit(engine) if row["action"].startswith("workshop.")]
    assert actions == ["workshop.create", "workshop.open", "workshop.close", "workshop.end"]


def test_a_stale_screen_cannot_apply_an_action(engine) -> None:
    code = ws.create_session(engine).code
    ws.apply_action(engine, code, "open", ws.DRAFT)
    # Another tab saw the session as a draft and presses "end": the session is open now, so refuse.
    with pytest.raises(ws.ConflictError):
        ws.apply_action(engine, code, "end", ws.DRAFT)
    assert ws.get_session(engine, code).state == ws.OPEN


def test_concurrent_closes_apply_once(engine) -> None:
    from components import storage

    code = ws.create_session(engine).code
    ws.apply_action(engine, code, "open")
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def close() -> None:
        barrier.wait()
        try:
            ws.apply_action(engine, code, "close", ws.OPEN)
            outcomes.append("ok")
        except (ws.ConflictError, ws.TransitionError):
            outcomes.append("refused")

    threads = [threading.Thread(target=close) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok"] + ["refused"] * 7
    closes = storage.read_audit(engine, "workshop.close")
    assert len(closes) == 1


def test_step_moves_only_from_the_step_the_caller_saw(engine) -> None:
    code = ws.create_session(engine).code
    assert ws.set_step(engine, code, expected=0, new=1)
    assert not ws.set_step(engine, code, expected=0, new=1)  # a double press moves one slide
    assert ws.get_session(engine, code).step == 1
    assert not ws.set_step(engine, code, expected=1, new=-1)
    ws.apply_action(engine, code, "end")
    assert not ws.set_step(engine, code, expected=1, new=2)  # an ended session is frozen


def test_results_are_hidden_until_revealed(engine) -> None:
    code = ws.create_session(engine).code
    assert ws.get_session(engine, code).results_revealed is False
    assert ws.set_revealed(engine, code, True)
    assert ws.get_session(engine, code).results_revealed is True
    assert not ws.set_revealed(engine, code, True)  # no change, no audit row
    assert ws.set_revealed(engine, code, False)
    assert ws.get_session(engine, code).results_revealed is False


def test_submission_gate_follows_the_session(engine) -> None:
    code = ws.create_session(engine).code
    assert ws.submission_gate(engine, None) == (True, None)  # not a workshop submission
    assert ws.submission_gate(engine, "") == (True, None)
    assert ws.submission_gate(engine, code) == (False, "workshop.gate.not_open")
    ws.apply_action(engine, code, "open")
    assert ws.submission_gate(engine, code) == (True, None)
    assert ws.submission_gate(engine, code.lower()) == (True, None)
    ws.apply_action(engine, code, "close")
    assert ws.submission_gate(engine, code) == (False, "workshop.gate.closed")
    ws.apply_action(engine, code, "end")
    assert ws.submission_gate(engine, code) == (False, "workshop.gate.ended")
    assert ws.submission_gate(engine, "ZZZZZZ") == (False, "workshop.gate.unknown")
    assert ws.submission_gate(engine, "<script>") == (False, "workshop.gate.unknown")


def test_recent_sessions_leave_out_ended_ones(engine) -> None:
    a = ws.create_session(engine).code
    b = ws.create_session(engine).code
    ws.apply_action(engine, a, "end")
    assert [s.code for s in ws.recent_sessions(engine)] == [b]
    assert {s.code for s in ws.recent_sessions(engine, include_ended=True)} == {a, b}


# ------------------------------------------------------------------------------------------- live panel


def _response(survey, code: str, answers: dict, rid: str):
    from datetime import UTC, datetime

    from components import storage

    now = datetime.now(UTC)
    full = {q.id: None for q in survey.questions} | answers
    return storage.NewResponse(rid, survey.version, "c0ffee", "en", code, now, now, full,
                               storage.receipt_hash(rid))


def test_agreement_summary_counts_only_valid_likert_answers(atlas) -> None:
    survey = atlas.survey
    likert = [q for q in survey.questions if q.type == "likert"]
    first = likert[0]
    same = [q for q in likert if q.criterion == first.criterion]
    answers = [
        {same[0].id: 5, same[1].id: 4},
        {same[0].id: 2, same[1].id: survey.scale.dont_know_code},
        {same[0].id: 3, "pm_comment": "free text is never read"},
        {same[0].id: True, same[1].id: 9},
    ]
    summary = {a.criterion: a for a in ws.agreement_summary(survey, answers)}
    assert [a.criterion for a in ws.agreement_summary(survey, [])] == [
        c.id for c in survey.criteria if any(q.criterion == c.id for q in likert)
    ]
    row = summary[first.criterion]
    assert (row.valid, row.agree) == (4, 2)
    assert row.share == 0.5
    assert all(a.valid == 0 and a.share is None for c, a in summary.items() if c != first.criterion)


def test_live_numbers_read_only_the_session(engine, atlas) -> None:
    from components import storage

    survey = atlas.survey
    code = ws.create_session(engine).code
    other = ws.create_session(engine).code
    likert = next(q for q in survey.questions if q.type == "likert")
    storage.submit_response(engine, _response(survey, code, {likert.id: 5}, "r1"))
    storage.submit_response(engine, _response(survey, code, {likert.id: 1}, "r2"))
    storage.submit_response(engine, _response(survey, other, {likert.id: 4}, "r3"))
    hidden = ws.live_numbers(engine, code, survey, with_summary=False)
    assert hidden.count == 2 and hidden.agreement == []
    shown = ws.live_numbers(engine, code, survey, with_summary=True)
    row = next(a for a in shown.agreement if a.criterion == likert.criterion)
    assert shown.count == 2 and (row.valid, row.agree) == (2, 1)
