"""From stored responses to the results page's frames: item bank, names, filters, small cells, analysis.

Also the shared builders of the results tests (``atlas``, ``stored_rows``, ``response``, ``PAYLOADS``),
imported by test_exports, the AppTest and the browser test.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import pandas as pd
import pytest

from components import demo_data, storage
from components import results_data as rd
from components.loader import load_atlas
from tests.conftest import ARTEFACTS

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "**bold**",
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
]
"""What respondents might type to attack the researchers' page or their spreadsheet."""


@cache
def atlas():
    result = load_atlas(ARTEFACTS)
    assert result.ok, result.problems
    return result.atlas


@cache
def bank() -> rd.ItemBank:
    a = atlas()
    return rd.bank_from_survey(a.survey, a.diagrams, a.languages)


def answers(likert: Any = 4, comment: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A complete, valid answer set for the real questionnaire."""
    survey = atlas().survey
    out: dict[str, Any] = {}
    for q in survey.questions:
        if q.type == "likert":
            out[q.id] = likert
        elif q.type == "single":
            out[q.id] = q.options[0].code
        elif q.type == "multiple":
            out[q.id] = [q.options[0].code]
        elif q.type == "number":
            out[q.id] = 5
        else:
            out[q.id] = None
    for sec in survey.sections:
        if sec.artefact and comment is not None:
            for q in sec.questions:
                if q.type in ("text", "long_text"):
                    out[q.id] = comment
    out.update(overrides)
    return out


def response(
    answers_: dict[str, Any],
    *,
    when: datetime | None = None,
    session: str | None = "WS-1",
    lang: str = "en",
    content_version: str | None = None,
    synthetic: bool = False,
) -> storage.NewResponse:
    when = when or datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    rid = str(uuid.uuid4())
    return storage.NewResponse(
        response_id=rid,
        survey_version=atlas().survey.version,
        content_version=content_version or atlas().content_version,
        lang=lang,
        session_code=session,
        started_at=when - timedelta(minutes=9, microseconds=123),
        submitted_at=when,
        answers=answers_,
        receipt_hash=storage.receipt_hash(storage.new_receipt_code()),
        synthetic=synthetic,
    )


def stored_rows(responses: list[storage.NewResponse]) -> list[dict[str, Any]]:
    """The rows as ``storage.fetch_responses`` returns them (without a database)."""
    rows = []
    for r in responses:
        row = asdict(r)
        row.pop("receipt_hash")
        rows.append(row)
    return rows


def frame_of(responses: list[storage.NewResponse]) -> pd.DataFrame:
    return rd.responses_frame(stored_rows(responses), bank())


@pytest.fixture(scope="module")
def demo_frame() -> pd.DataFrame:
    a = atlas()
    rows = demo_data.generate(a.survey, 240, demo_data.default_plan(a.content_version, 3), seed=3)
    return frame_of(rows)


# --- item bank and names ---------------------------------------------------------------------------


def test_bank_names_likert_items_artefact_and_criterion() -> None:
    b = bank()
    names = {v.qid: v.name for v in b.variables}
    assert names["pm_understandability"] == "PM_UND"
    assert names["cg_completeness"] == "CG_COM"
    assert names["lc_correctness"] == "LC_COR"
    assert names["lc_visual_quality"] == "LC_VIS"
    assert names["role"] == "ROLE"
    assert len({n.upper() for n in names.values()}) == len(names), "names are unique"
    for name in names.values():
        assert rd.spss_name(name) == name, name


def test_bank_constructs_profile_and_dont_know() -> None:
    b = bank()
    keys = [c.key for c in b.constructs]
    assert keys[:3] == ["practices", "governance", "lifecycle"]
    assert "overall:intention" in keys
    assert len(b.construct("practices").qids) == 6
    assert b.construct("practices").title == atlas().diagrams["practices"].title
    assert b.dk_codes == [atlas().survey.scale.dont_know_code]
    assert 3 not in b.dk_codes
    assert {v.qid for v in b.profile()} >= {"role", "experience_years"}
    assert [v.qid for v in b.comments("practices")] == ["pm_comment"]
    assert all(v.kind == "likert" for v in b.likert())


def test_spss_names() -> None:
    taken: set[str] = set()
    assert rd.spss_name("1st item", taken) == "V1ST_ITEM"
    assert rd.spss_name("with", taken) == "WITH_"
    assert rd.spss_name("a-b.c", taken) == "A_B_C"
    assert rd.spss_name("A_B_C", taken) == "A_B_C2"
    long = rd.spss_name("x" * 100, taken)
    assert len(long) == 64


def test_abbreviations_are_generic_and_distinct() -> None:
    assert rd.abbreviations(["alpha", "beta"], 2) == {"alpha": "AL", "beta": "BE"}
    assert rd.abbreviations(["correctness", "completeness"], 3) == {
        "correctness": "COR",
        "completeness": "COM",
    }
    assert rd.abbreviations(["prime", "prize"], 2) == {"prime": "PRIM", "prize": "PRIZ"}
    names = rd.likert_names([("q1", "alpha", "clear"), ("q2", "alpha", "clear"), ("q3", "beta", "clear")])
    assert names == {"q1": "AL_CLE1", "q2": "AL_CLE2", "q3": "BE_CLE"}


# --- responses frame and filters -----------------------------------------------------------------


def test_responses_frame_keeps_stored_values() -> None:
    dk = atlas().survey.scale.dont_know_code
    r = response(answers(likert=2, comment="hi", pm_completeness=dk), session=None)
    frame = frame_of([r])
    row = frame.iloc[0]
    assert row["pm_understandability"] == 2
    assert row["pm_completeness"] == dk
    assert row["pm_comment"] == "hi"
    assert row["session_code"] == ""
    assert row["submitted_at"] == pd.Timestamp(r.submitted_at)
    assert row[rd.RAW] == r.answers
    values = rd.likert_values(frame, bank().likert("practices"), bank().scale)
    assert pd.isna(values.iloc[0]["pm_completeness"]), "don't know is missing in the analysis view"
    assert values.iloc[0]["pm_understandability"] == 2.0


def _three_sessions() -> pd.DataFrame:
    base = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    rows = []
    for i in range(9):
        rows.append(
            response(
                answers(likert=1 + i % 5),
                when=base + timedelta(days=i),
                session=("A", "B", "C")[i % 3],
                lang=("en", "pt-BR")[i % 2],
                content_version=("v-one", "v-two")[i // 5],
            )
        )
    return frame_of(rows)


def test_filters_each_dimension() -> None:
    frame = _three_sessions()
    opts = rd.filter_options(frame)
    assert opts.sessions == ("A", "B", "C")
    assert opts.content_versions == ("v-one", "v-two"), "ordered by first response"
    assert (opts.first_day, opts.last_day) == (date(2026, 5, 1), date(2026, 5, 9))
    assert len(rd.apply_filters(frame, rd.Filters())) == 9
    assert len(rd.apply_filters(frame, rd.Filters(date_from=date(2026, 5, 3), date_to=date(2026, 5, 4)))) == 2
    assert set(rd.apply_filters(frame, rd.Filters(sessions=("A",)))["session_code"]) == {"A"}
    assert len(rd.apply_filters(frame, rd.Filters(langs=("pt-BR",)))) == 4
    assert len(rd.apply_filters(frame, rd.Filters(content_versions=("v-two",)))) == 4
    assert len(rd.apply_filters(frame, rd.Filters(survey_versions=("nope",)))) == 0
    both = rd.Filters(sessions=("A", "B"), langs=("en",))
    assert len(rd.apply_filters(frame, both)) == 3
    assert both.active and not rd.Filters().active


def test_small_cells_are_never_broken_down() -> None:
    counts = rd.protected_counts(pd.Series(["a"] * 5 + ["b"] * 3 + ["c"] * 2 + ["d"] * 1 + [""]))
    assert counts.shown == [("a", 5), ("b", 3)]
    assert counts.hidden_groups == 2 and counts.hidden_n == 3
    single = rd.protected_counts(pd.Series(["a"] * 5 + ["b"]))
    assert single.hidden_groups == 1 and single.hidden_n == 0, "a total below 3 is not reported either"


def test_analysis_of_fewer_than_three_responses_shows_nothing() -> None:
    frame = frame_of([response(answers(comment="mine")) for _ in range(2)])
    res = rd.analyse(frame, bank(), rd.groupings(frame, bank()))
    assert res.too_small and res.n == 2
    assert not res.constructs and not res.comments and not res.iterations.versions
    empty = rd.analyse(frame.iloc[0:0], bank(), {})
    assert empty.n == 0 and empty.too_small


def test_analysis_items_reliability_and_comments(demo_frame: pd.DataFrame) -> None:
    res = rd.analyse(demo_frame, bank(), rd.groupings(demo_frame, bank()))
    assert res.n == 240 and not res.too_small
    practices = res.constructs["practices"]
    assert [i.variable.qid for i in practices.items] == list(bank().construct("practices").qids)
    rel = practices.reliability
    assert 0.7 < rel.alpha.alpha < 0.95
    assert rel.alpha.n < 240, "listwise: respondents with a don't-know are not complete cases"
    assert rel.omega.method == "ml" and rel.omega.omega is not None
    dk = bank().dk_codes[0]
    item = practices.items[0]
    raw = demo_frame[item.variable.qid]
    assert item.summary.n_dk == int((raw == dk).sum())
    assert item.summary.n_valid == int(raw.isin([1, 2, 3, 4, 5]).sum())
    overall = res.constructs["overall:intention"]
    assert overall.reliability.omega.omega is None and "too_few_items" in overall.reliability.warnings
    comments = res.comments["practices"]
    days = list(comments["day"])
    assert days == sorted(days, reverse=True)
    assert set(comments["qid"]) == {"pm_comment"}
    assert len(comments) == int(demo_frame["pm_comment"].map(lambda x: isinstance(x, str)).sum())


def test_comparisons_skip_groups_below_five_and_are_holm_adjusted(demo_frame: pd.DataFrame) -> None:
    small = demo_frame.iloc[:40]
    groups = rd.groupings(demo_frame, bank())
    res = rd.analyse_construct(small, bank(), "practices", groups)
    role = res.comparisons_by("role")
    assert len(role) == 7, "six items and the construct score"
    for c in role:
        for g in c.result.groups:
            assert g.tested == (g.n >= 5)
        if c.result.test:
            assert set(c.result.test.groups) == {g.group for g in c.result.groups if g.tested}
            assert c.p_holm >= c.result.test.p
    shown, hidden = rd.visible_groups(role[0].result.groups)
    assert all(g.n >= 3 for g in shown)
    assert hidden == sum(1 for g in role[0].result.groups if g.n < 3)


def test_number_profile_question_is_cut_into_stable_bands(demo_frame: pd.DataFrame) -> None:
    groups = rd.groupings(demo_frame, bank())
    years = groups["experience_years"]
    assert len(years.order) == 3 and len(years.bands) == 3
    assigned = years.assign(demo_frame["experience_years"])
    answered = demo_frame["experience_years"].notna()
    assert assigned[answered].notna().all()
    assert assigned[~answered].isna().all()
    lows = [lo for lo, _ in years.bands]
    assert lows == sorted(lows)


def test_iterations_compare_versions_with_enough_responses() -> None:
    base = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    rows = [
        response(answers(likert=2), when=base + timedelta(hours=i), content_version="old") for i in range(4)
    ]
    rows += [
        response(answers(likert=5), when=base + timedelta(days=3, hours=i), content_version="new")
        for i in range(3)
    ]
    rows += [response(answers(likert=3), when=base + timedelta(days=5), content_version="lonely")]
    it = rd.iterations(frame_of(rows), bank())
    assert [v.content_version for v in it.versions] == ["old", "new", "lonely"]
    assert [v.n for v in it.versions] == [4, 3, 1]
    assert it.compared == ("old", "new"), "a version with fewer than 3 responses is not broken down"
    cell = it.cells[("pm_understandability", "old")]
    assert (cell.n, cell.median, cell.agree) == (4, 2.0, 0.0)
    assert it.delta("pm_understandability") == 1.0
    assert it.delta("pm_understandability", "median") == 3.0
    assert it.versions[0].first == base and it.versions[0].last == base + timedelta(hours=3)
