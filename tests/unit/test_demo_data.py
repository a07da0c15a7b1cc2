"""The demo-data command: realistic, seeded, always synthetic, never mixed into real data by accident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components import analysis, demo_data, storage, survey
from components import results_data as rd
from tests.unit.test_results_data import answers, atlas, bank, frame_of, response

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    eng = storage.make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    yield eng
    eng.dispose()


def _generate(n: int = 200, seed: int = 5):
    a = atlas()
    return demo_data.generate(a.survey, n, demo_data.default_plan(a.content_version, seed, NOW), seed)


def test_generation_is_seeded_and_every_row_is_synthetic_and_valid() -> None:
    rows = _generate()
    again = _generate()
    assert [r.answers for r in rows] == [r.answers for r in again]
    assert [r.response_id for r in rows] == [r.response_id for r in again]
    assert _generate(seed=6)[0].answers != rows[0].answers
    s = atlas().survey
    for r in rows:
        assert r.synthetic
        assert r.survey_version == s.version
        assert survey.validate_answers(s, r.answers) == [], r.answers
        assert r.started_at < r.submitted_at
    assert len({r.response_id for r in rows}) == len(rows)
    assert len({r.receipt_hash for r in rows}) == len(rows)


def test_generated_data_is_realistic() -> None:
    rows = _generate(300)
    frame = frame_of(rows)
    versions = [r.content_version for r in rows]
    assert len(set(versions)) == 3 and versions[-1] == atlas().content_version
    assert versions == sorted(versions, key=versions.index), "iterations follow each other in time"
    assert len({r.session_code for r in rows if r.session_code}) >= 3
    assert any(r.session_code is None for r in rows)
    days = {r.submitted_at.date() for r in rows}
    assert max(days) - min(days) >= timedelta(weeks=4)
    dk = atlas().survey.scale.dont_know_code
    likert = [q.id for q in atlas().survey.questions if q.type == "likert"]
    share_dk = sum(r.answers[q] == dk for r in rows for q in likert) / (len(rows) * len(likert))
    assert 0.005 < share_dk < 0.1
    assert {r.lang for r in rows} == {"pt-BR", "en"}
    assert sum(bool(r.answers["pm_comment"]) for r in rows) > 20
    for key in ("practices", "governance", "lifecycle"):
        values = rd.likert_values(frame, bank().likert(key), bank().scale)
        alpha = analysis.cronbach_alpha(values).alpha
        assert 0.7 < alpha < 0.95, (key, alpha)
    it = rd.iterations(frame, bank())
    assert it.delta("pm_correctness") > 0, "the design cycle improves the ratings"


def test_fill_writes_synthetic_rows_and_audits(engine) -> None:
    written = demo_data.fill(engine, atlas().survey, atlas().content_version, 40, seed=1, now=NOW)
    assert written == 40
    rows = storage.fetch_responses(engine)
    assert len(rows) == 40 and all(r["synthetic"] for r in rows)
    assert storage.count_responses(engine, include_synthetic=False) == 0
    audit = storage.read_audit(engine, action="demo_data.generated")
    assert audit[-1]["detail"] == {"count": 40, "seed": 1, "forced": False}


def test_fill_refuses_a_database_with_real_responses_unless_forced(engine) -> None:
    storage.insert_responses(engine, [response(answers())])
    with pytest.raises(demo_data.RealDataPresent):
        demo_data.fill(engine, atlas().survey, atlas().content_version, 10, now=NOW)
    assert storage.count_responses(engine) == 1, "nothing was written"
    assert demo_data.fill(engine, atlas().survey, atlas().content_version, 10, force=True, now=NOW) == 10
    assert storage.count_responses(engine, include_synthetic=False) == 1


def test_command_line(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert demo_data.main(["--n", "12", "--database-url", url, "--seed", "3"]) == 0
    assert "12 synthetic responses" in capsys.readouterr().out
    eng = storage.make_engine(url)
    storage.insert_responses(eng, [response(answers())])
    eng.dispose()
    assert demo_data.main(["--n", "5", "--database-url", url, "--seed", "4"]) == 3
    assert "--force-into-real-data" in capsys.readouterr().err
    assert demo_data.main(["--n", "5", "--database-url", url, "--seed", "4", "--force-into-real-data"]) == 0
    eng = storage.make_engine(url)
    assert storage.count_responses(eng) == 18
    eng.dispose()
