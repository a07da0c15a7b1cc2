"""The results page in AppTest: closed without the secret, the analysis with it, filters, inert comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from components import demo_data, results_view, storage
from tests.apptest.helpers import APP, all_text, run_page
from tests.unit.test_results_data import PAYLOADS, answers, atlas, response

SECRET = "correct horse battery staple"
TIMEOUT = 60


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> list[storage.NewResponse]:
    """The test's own SQLite store: 9 real responses with hostile comments in sessions A (6) and B (3)."""
    monkeypatch.delenv("ATLAS_RESEARCHER_SECRET", raising=False)
    engine = storage.get_engine(storage.database_url())
    base = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
    rows = [
        response(
            answers(likert=1 + i % 5, comment=PAYLOADS[i % len(PAYLOADS)]),
            when=base + timedelta(days=i),
            session="A" if i < 6 else "B",
            lang=("en", "pt-BR")[i % 2],
        )
        for i in range(9)
    ]
    storage.insert_responses(engine, rows)
    return rows


def _unlock(at: AppTest, secret: str = SECRET) -> AppTest:
    at.text_input[0].input(secret)
    at.button[0].click()
    return at.run()


def _show(at: AppTest, tab: str) -> AppTest:
    """Open a tab (lazy tabs: only the open one is drawn)."""
    at.session_state[results_view.TAB_KEY] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _login(monkeypatch: pytest.MonkeyPatch, lang: str = "en") -> AppTest:
    monkeypatch.setenv("ATLAS_RESEARCHER_SECRET", SECRET)
    at = run_page("results", timeout=TIMEOUT, lang=lang)
    at = _unlock(at)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.tabs) == 6
    return at


# --- access ---------------------------------------------------------------------------------------


def test_without_a_configured_secret_the_page_explains_and_shows_no_data(seeded) -> None:
    at = run_page("results", timeout=TIMEOUT, lang="en")
    text = all_text(at)
    assert "no researcher secret is configured" in text
    assert "ATLAS_RESEARCHER_SECRET" in text
    assert not at.tabs and not at.text_input, "no data and not even a form"
    assert "submitted responses" not in text


def test_a_wrong_secret_is_refused_and_shows_no_data(seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATLAS_RESEARCHER_SECRET", SECRET)
    at = _unlock(run_page("results", timeout=TIMEOUT, lang="en"), "not the secret")
    assert "That secret is not right" in all_text(at)
    assert not at.tabs
    assert not any(PAYLOADS[0] in t.value for t in at.text)


def test_the_right_secret_from_the_environment_opens_the_page(
    seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _login(monkeypatch)
    assert [t.label for t in at.tabs] == [
        "Overview",
        "Artefacts",
        "Iterations",
        "Comments",
        "Exports",
        "Audit log",
    ]
    assert "All 9 submitted responses." in all_text(at)
    assert at.metric[0].value == "9"


def test_the_right_secret_from_secrets_toml_opens_the_page(seeded) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["researcher_secret"] = SECRET
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/results.py")
    at.run()
    at = _unlock(at)
    assert len(at.tabs) == 6
    wrong = AppTest.from_file(APP, default_timeout=TIMEOUT)
    wrong.secrets["researcher_secret"] = SECRET
    wrong.run()
    wrong.switch_page("pages/results.py")
    wrong.run()
    assert not _unlock(wrong, SECRET[:-1]).tabs


# --- content ----------------------------------------------------------------------------------------


def test_comments_are_shown_as_plain_text_never_markdown(seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _show(_login(monkeypatch), "Comments")
    texts = [t.value for t in at.text]
    for payload in PAYLOADS[:6]:
        assert payload in texts, payload
    rendered = "\n".join(str(m.value) for m in at.markdown) + "\n".join(str(c.value) for c in at.caption)
    for payload in ("<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "**bold**"):
        assert payload not in rendered, "respondent text never reaches Markdown"


def test_artefact_statistics_and_small_sample_warning(seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _show(_login(monkeypatch), "Artefacts")
    text = all_text(at)
    for key in ("practices", "governance", "lifecycle"):
        assert atlas().diagrams[key].title["en"] in text
    assert "Only" in text and "fewer than 30" in text, "n < 30 warns"
    assert any(m.label == "Cronbach's alpha" for m in at.metric)
    tables = [df.value for df in at.dataframe]
    item_table = next(t for t in tables if "n valid" in t.columns)
    assert list(item_table["Criterion"])[0] == "Understandability"
    assert set(item_table["n valid"]) == {9}
    assert "PM_UND · The matrix is easy to understand." in [t.value for t in at.text]


def test_session_filter_narrows_everything_and_small_groups_are_not_shown(
    seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _login(monkeypatch)
    sessions = at.multiselect(key="results.f.sessions")
    sessions.set_value(["A"]).run()
    assert "6 of 9 submitted responses match the filters." in all_text(at)
    assert at.metric[0].value == "6"
    sessions.set_value(["B"]).run()
    text = all_text(at)
    assert "3 of 9" in text
    at.multiselect(key="results.f.langs").set_value(["pt-BR"]).run()
    _show(at, "Comments")
    text = all_text(at)
    assert "1 of 9" in text
    assert "Fewer than 3 responses match the current filters" in text
    assert not [t for t in at.text if t.value in PAYLOADS], "no comment from a group of one"
    at.multiselect(key="results.f.sessions").set_value(["A"]).run()
    at.multiselect(key="results.f.langs").set_value(["en"]).run()
    assert "3 of 9" in all_text(at)
    texts = [t.value for t in at.text]
    assert PAYLOADS[0] in texts and PAYLOADS[2] in texts and PAYLOADS[4] in texts
    assert PAYLOADS[6] not in texts, "a comment from session B is filtered out"
    assert PAYLOADS[1] not in texts, "a Portuguese-language response is filtered out"


def test_new_responses_show_up_and_a_chosen_date_range_is_kept(
    seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _login(monkeypatch)
    later = seeded[-1].submitted_at + timedelta(days=3)
    engine = storage.get_engine(storage.database_url())
    storage.insert_responses(engine, [response(answers(), when=later + timedelta(hours=i)) for i in range(3)])
    at.run()
    assert "All 12 submitted responses." in all_text(at), "an untouched date filter follows the data"
    first = seeded[0].submitted_at.date()
    at.date_input(key="results.f.dates").set_value((first, first + timedelta(days=1))).run()
    assert "2 of 12" in all_text(at)
    storage.insert_responses(engine, [response(answers(), when=later + timedelta(days=1))])
    at.run()
    assert "2 of 13" in all_text(at), "a chosen range stays as chosen"


def test_an_empty_selection_says_so(seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _login(monkeypatch)
    first = seeded[0].submitted_at.date()
    at.date_input(key="results.f.dates").set_value((first, first)).run()
    assert "1 of 9" in all_text(at)
    at.multiselect(key="results.f.sessions").set_value(["B"]).run()
    assert "No responses match the current filters" in all_text(at)


def test_exports_and_audit_tabs(seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _show(_login(monkeypatch), "Exports")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [
        "CSV, one row per response",
        "CSV, one row per answer",
        "Codebook",
        "SPSS (.sav)",
        "JSON",
        "Methods paragraph",
        "Everything (ZIP)",
    ]
    text = all_text(at)
    assert "9 responses were submitted" in text, "the methods preview is filled from the data"
    _show(at, "Audit log")
    audit = at.dataframe[-1].value
    assert {"schema.migrated", "response.imported"} <= set(audit["Action"])


def test_demo_data_is_flagged_and_can_be_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = storage.get_engine(storage.database_url())
    storage.insert_responses(engine, [response(answers()) for _ in range(4)])
    demo_data.fill(engine, atlas().survey, atlas().content_version, 20, seed=2, force=True)
    at = _login(monkeypatch)
    assert "4 of 24" not in all_text(at)
    assert "All 4 submitted responses." in all_text(at), (
        "real data present: demo rows are left out by default"
    )
    at.toggle(key="results.f.synthetic").set_value(True).run()
    text = all_text(at)
    assert "synthetic demo responses" in text
    assert at.metric[0].value == "24"


def test_no_responses_yet_explains_how_to_try_it(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _login_empty(monkeypatch)
    text = all_text(at)
    assert "No responses have been submitted yet" in text
    assert "python -m components.demo_data" in text


def _login_empty(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("ATLAS_RESEARCHER_SECRET", SECRET)
    at = _unlock(run_page("results", timeout=TIMEOUT, lang="en"))
    assert not at.exception
    return at


def test_portuguese(seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _login(monkeypatch, lang="pt-BR")
    assert [t.label for t in at.tabs][0] == "Visão geral"
    assert "Todas as 9 respostas enviadas." in all_text(at)


def test_comments_are_paged_and_the_page_survives_a_narrower_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = storage.get_engine(storage.database_url())
    base = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
    rows = [
        response(
            answers(comment=f"comment {i:02d}"),
            when=base + timedelta(hours=i),
            session="A" if i < 45 else "B",
        )
        for i in range(50)
    ]
    storage.insert_responses(engine, rows)
    at = _show(_login(monkeypatch), "Comments")
    texts = [t.value for t in at.text]
    assert texts[:2] == ["comment 49", "comment 48"], "newest first"
    assert len(texts) == results_view.COMMENTS_PER_PAGE
    page = at.number_input(key="results.comments.page.practices")
    page.set_value(3).run()
    assert [t.value for t in at.text] == [f"comment {i:02d}" for i in range(9, -1, -1)]
    at.multiselect(key="results.f.sessions").set_value(["B"]).run()
    assert not at.exception
    assert [t.value for t in at.text] == [f"comment {i:02d}" for i in range(49, 44, -1)]
