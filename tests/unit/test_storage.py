"""Storage: schema and migrations, exactly-once submission, withdrawal, drafts, audit, concurrency.

Every test runs on SQLite and, when ``ATLAS_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it), on a
real PostgreSQL server in a private schema that is dropped afterwards.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from components import storage
from components.storage import NewResponse, SubmitStatus
from tests.databases import PG_SKIP, private_schema_engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[PG_SKIP, pytest.mark.postgres])])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        eng = storage.make_engine(f"sqlite:///{tmp_path / 'db' / storage.DB_FILE}")
        yield eng
        eng.dispose()
        return
    with private_schema_engine("atlas_test") as eng:
        yield eng


def response(answers: dict | None = None, **changes) -> tuple[NewResponse, str]:
    code = storage.new_receipt_code()
    now = datetime.now(UTC)
    r = NewResponse(
        response_id=str(uuid.uuid4()), survey_version="survey000001", content_version="content00001",
        lang="pt-BR", session_code=None, started_at=now - timedelta(minutes=9), submitted_at=now,
        answers=answers if answers is not None else {"role": "ml-engineer", "pm_usefulness": 4,
                                                      "pm_correctness": "dk-na", "tools": ["a", "b"],
                                                      "years": None, "comment": "ótimo <b>x</b>"},
        receipt_hash=storage.receipt_hash(code),
    )
    return dataclasses.replace(r, **changes), code


# ------------------------------------------------------------------------------------------- schema


def test_schema_is_created_versioned_and_audited_once(engine: sa.Engine) -> None:
    assert storage.ensure_schema(engine) == storage.SCHEMA_VERSION
    assert storage.current_schema_version(engine) == storage.SCHEMA_VERSION
    tables = set(sa.inspect(engine).get_table_names())
    assert {"schema_version", "responses", "withdrawals", "drafts", "workshop_sessions",
            "audit_log"} <= tables
    again = storage.make_engine(engine.url.render_as_string(hide_password=False),
                                search_path=_search_path(engine))
    storage.ensure_schema(again)
    again.dispose()
    migrated = storage.read_audit(engine, action="schema.migrated")
    assert [row["detail"]["version"] for row in migrated] == [1]


def _search_path(engine: sa.Engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT current_schema()")).scalar()


def test_a_later_migration_runs_once_and_is_recorded(engine: sa.Engine, monkeypatch) -> None:
    storage.ensure_schema(engine)

    def add_table(conn: sa.Connection) -> None:
        conn.execute(sa.text("CREATE TABLE extra_v2 (id INTEGER PRIMARY KEY)"))

    monkeypatch.setattr(storage, "MIGRATIONS", [*storage.MIGRATIONS, (2, "extra table", add_table)])
    monkeypatch.setattr(storage, "SCHEMA_VERSION", 2)
    for _ in range(2):  # new engines on the same database, as after a deploy
        fresh = storage.make_engine(engine.url.render_as_string(hide_password=False),
                                    search_path=_search_path(engine))
        assert storage.ensure_schema(fresh) == 2
        fresh.dispose()
    assert storage.current_schema_version(engine) == 2
    assert "extra_v2" in sa.inspect(engine).get_table_names()
    details = [r["detail"] for r in storage.read_audit(engine, action="schema.migrated")]
    assert [d["version"] for d in details] == [1, 2]
    assert details[1]["description"] == "extra table"


def test_responses_hold_nothing_identifying(engine: sa.Engine) -> None:
    storage.ensure_schema(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("responses")}
    assert columns == {"response_id", "survey_version", "content_version", "lang", "session_code",
                       "started_at", "submitted_at", "answers", "synthetic", "receipt_hash"}


def test_workshop_sessions_table_checks_its_state(engine: sa.Engine) -> None:
    storage.ensure_schema(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("workshop_sessions")}
    assert columns == {"code", "state", "step", "results_revealed", "created_at", "updated_at"}
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(storage.workshop_sessions.insert().values(code="ABC234", state="open", step=0,
                                                              results_revealed=False,
                                                              created_at=now, updated_at=now))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(storage.workshop_sessions.insert().values(code="XYZ234", state="paused", step=0,
                                                              results_revealed=False,
                                                              created_at=now, updated_at=now))


# ---------------------------------------------------------------------------------------- responses


def test_submit_stores_the_documented_shape(engine: sa.Engine) -> None:
    r, _ = response(session_code="WS-01")
    outcome = storage.submit_response(engine, r)
    assert outcome == storage.SubmitOutcome(SubmitStatus.STORED, True)
    rows = storage.fetch_responses(engine)
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {"response_id", "survey_version", "content_version", "lang", "session_code",
                        "started_at", "submitted_at", "answers", "synthetic"}
    assert row["answers"] == r.answers
    assert row["synthetic"] is False
    assert row["session_code"] == "WS-01"
    assert row["submitted_at"].tzinfo is not None and row["submitted_at"].utcoffset() == timedelta(0)
    assert abs(row["submitted_at"] - r.submitted_at) < timedelta(milliseconds=1)
    audit = storage.read_audit(engine, action="response.submitted")
    assert audit[0]["detail"]["response_id"] == r.response_id


def test_the_same_response_id_is_stored_once(engine: sa.Engine) -> None:
    r, _ = response()
    assert storage.submit_response(engine, r).status is SubmitStatus.STORED
    again = storage.submit_response(engine, dataclasses.replace(r, submitted_at=datetime.now(UTC)))
    assert again == storage.SubmitOutcome(SubmitStatus.DUPLICATE, True)
    other_receipt, _ = response()
    changed = dataclasses.replace(r, answers={"role": "student"}, receipt_hash=other_receipt.receipt_hash)
    assert storage.submit_response(engine, changed) == storage.SubmitOutcome(SubmitStatus.CONFLICT, False)
    rows = storage.fetch_responses(engine)
    assert len(rows) == 1
    assert rows[0]["answers"] == r.answers  # the first one is kept
    assert len(storage.read_audit(engine, action="response.submitted")) == 1


def test_counts_and_filters(engine: sa.Engine) -> None:
    for code, synthetic, version in [("AAA", False, "v1"), ("AAA", True, "v1"), ("BBB", False, "v2"),
                                     (None, False, "v1")]:
        storage.submit_response(engine, response(session_code=code, synthetic=synthetic,
                                                 survey_version=version)[0])
    assert storage.count_responses(engine) == 4
    assert storage.count_responses(engine, "AAA") == 2
    assert storage.count_responses(engine, "AAA", include_synthetic=False) == 1
    assert storage.count_responses(engine, survey_version="v2") == 1
    assert len(storage.fetch_responses(engine, include_synthetic=False)) == 3
    assert [r["session_code"] for r in storage.fetch_responses(engine, session_code="BBB")] == ["BBB"]
    assert sum(r["synthetic"] for r in storage.fetch_responses(engine)) == 1


def test_bulk_insert_for_demo_data(engine: sa.Engine) -> None:
    rows = [response(synthetic=True)[0] for _ in range(5)]
    assert storage.insert_responses(engine, rows) == 5
    assert storage.insert_responses(engine, rows) == 0
    assert storage.count_responses(engine, include_synthetic=False) == 0
    assert storage.count_responses(engine) == 5


# ---------------------------------------------------------------------------------------- withdrawal


def test_withdrawal_deletes_leaves_a_tombstone_and_refuses_resubmission(engine: sa.Engine) -> None:
    r, code = response()
    keep, _ = response()
    storage.submit_response(engine, r)
    storage.submit_response(engine, keep)
    typed = code.lower().replace("-", " ")  # as a person might type it
    assert storage.withdraw_response(engine, typed) is True
    assert storage.response_exists(engine, r.response_id) is False
    assert storage.response_exists(engine, keep.response_id) is True
    assert storage.withdrawn_ids(engine) == {r.response_id}
    with engine.connect() as conn:
        tombstone = conn.execute(sa.select(storage.withdrawals)).one()._mapping
    assert set(tombstone) == {"response_id", "withdrawn_at"}
    audit = storage.read_audit(engine, action="response.withdrawn")
    assert [a["detail"]["response_id"] for a in audit] == [r.response_id]
    assert storage.submit_response(engine, r) == storage.SubmitOutcome(SubmitStatus.WITHDRAWN, False)
    assert storage.count_responses(engine) == 1
    assert storage.withdraw_response(engine, code) is False  # already gone: same answer as unknown


@pytest.mark.parametrize("bad", ["", "   ", "AAAA-BBBB", "x" * 200, "' OR 1=1 --"])
def test_unknown_or_wrong_receipt_codes_change_nothing(engine: sa.Engine, bad: str) -> None:
    r, code = response()
    storage.submit_response(engine, r)
    assert storage.withdraw_response(engine, bad) is False
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert storage.withdraw_response(engine, wrong) is False
    assert storage.count_responses(engine) == 1
    assert storage.read_audit(engine, action="response.withdrawn") == []


def test_receipt_codes_are_long_random_and_forgiving() -> None:
    codes = {storage.new_receipt_code() for _ in range(2000)}
    assert len(codes) == 2000
    code = next(iter(codes))
    assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", code)
    assert len(code.replace("-", "")) * 5 >= 128  # base32: 5 bits per character
    assert storage.receipt_hash(code) == storage.receipt_hash(f"  {code.lower()} ")
    assert storage.receipt_hash(code) == storage.receipt_hash(code.replace("O", "0").replace("I", "1"))
    assert re.fullmatch(r"[0-9a-f]{64}", storage.receipt_hash(code))
    assert code not in storage.receipt_hash(code)


# -------------------------------------------------------------------------------------------- drafts


def draft(**changes) -> storage.Draft:
    base = storage.Draft(response_id=str(uuid.uuid4()), survey_version="survey000001", lang="en",
                         session_code="ABC", started_at=datetime.now(UTC), step=1,
                         answers={"role": "student"})
    return dataclasses.replace(base, **changes)


def test_drafts_round_trip_update_and_never_store_the_token(engine: sa.Engine) -> None:
    token = storage.new_draft_token()
    assert len(token) >= 32
    d = draft()
    storage.save_draft(engine, token, d)
    storage.save_draft(engine, token, dataclasses.replace(d, step=3, answers={"role": "student", "x": 2}))
    loaded = storage.load_draft(engine, token)
    assert loaded.response_id == d.response_id
    assert loaded.step == 3 and loaded.answers == {"role": "student", "x": 2}
    assert loaded.session_code == "ABC"
    assert storage.count_drafts(engine) == 1
    assert storage.load_draft(engine, storage.new_draft_token()) is None
    assert storage.load_draft(engine, None) is None
    with engine.connect() as conn:
        dump = str([tuple(r) for r in conn.execute(sa.select(storage.drafts))])
    assert token not in dump


def test_submit_deletes_the_draft_in_the_same_transaction(engine: sa.Engine) -> None:
    token = storage.new_draft_token()
    storage.save_draft(engine, token, draft())
    r, _ = response()
    storage.submit_response(engine, r, draft_token=token)
    assert storage.load_draft(engine, token) is None
    assert storage.count_drafts(engine) == 0


def test_old_drafts_expire(engine: sa.Engine) -> None:
    old, fresh = storage.new_draft_token(), storage.new_draft_token()
    storage.save_draft(engine, old, draft())
    storage.save_draft(engine, fresh, draft())
    with engine.begin() as conn:
        conn.execute(storage.drafts.update()
                     .where(storage.drafts.c.token_hash == storage._token_hash(old))
                     .values(updated_at=datetime.now(UTC) - storage.DRAFT_TTL - timedelta(hours=1)))
    assert storage.load_draft(engine, old) is None
    assert storage.purge_drafts(engine) == 1
    assert storage.count_drafts(engine) == 1
    assert storage.load_draft(engine, fresh) is not None


# --------------------------------------------------------------------------------------------- audit


def test_audit_is_append_only_and_joins_the_callers_transaction(engine: sa.Engine) -> None:
    storage.append_audit(engine, "results.export", {"format": "csv", "rows": 3})
    storage.append_audit(engine, "workshop.create", "K7P2QX")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        storage.append_audit(conn, "never.committed", None)
        raise RuntimeError("roll back")
    rows = storage.read_audit(engine)
    actions = [r["action"] for r in rows]
    assert actions == ["schema.migrated", "results.export", "workshop.create"]
    assert rows[1]["detail"] == {"format": "csv", "rows": 3}
    assert rows[2]["detail"] == "K7P2QX"
    assert all(r["at"].tzinfo is not None for r in rows)
    assert [r["action"] for r in storage.read_audit(engine, limit=1)] == ["schema.migrated"]
    public = {name for name in dir(storage) if "audit" in name.lower() and not name.startswith("_")}
    assert public == {"append_audit", "read_audit", "audit_log"}


# --------------------------------------------------------------------------------------- concurrency


def test_200_concurrent_submissions_are_all_stored_exactly_once(engine: sa.Engine) -> None:
    """Each response is submitted twice at the same time (a double tap): 200 rows, never 400."""
    items = [response(answers={"i": i, "pm_usefulness": 1 + i % 5}) for i in range(200)]
    calls = [r for r, _ in items] * 2
    barrier = threading.Barrier(16)

    def submit(r: NewResponse) -> SubmitStatus:
        try:
            barrier.wait(timeout=0.5)
        except threading.BrokenBarrierError:
            pass
        return storage.submit_response(engine, r).status

    storage.ensure_schema(engine)
    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = Counter(pool.map(submit, calls))
    assert statuses == {SubmitStatus.STORED: 200, SubmitStatus.DUPLICATE: 200}
    rows = storage.fetch_responses(engine)
    assert len(rows) == 200
    assert sorted(r["answers"]["i"] for r in rows) == list(range(200))
    assert len(storage.read_audit(engine, action="response.submitted")) == 200


def test_concurrent_withdrawal_and_resubmission_never_resurrect(engine: sa.Engine) -> None:
    items = [response() for _ in range(40)]
    for r, _ in items:
        storage.submit_response(engine, r)

    def race(item: tuple[NewResponse, str]) -> None:
        r, code = item
        with ThreadPoolExecutor(max_workers=2) as pool:
            pool.submit(storage.withdraw_response, engine, code)
            pool.submit(storage.submit_response, engine, r)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(race, items))
    assert storage.count_responses(engine) == 0
    assert len(storage.withdrawn_ids(engine)) == 40


# ----------------------------------------------------------------------------------- configuration


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "nested" / "data"
    monkeypatch.setenv("ATLAS_DATA_DIR", str(data))
    url = storage.database_url()
    assert url == f"sqlite:///{data / 'atlas.sqlite3'}"
    assert not data.exists()
    eng = storage.get_engine(url)
    assert eng is storage.get_engine(url)
    storage.submit_response(eng, response()[0])
    assert (data / "atlas.sqlite3").exists()
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == storage.SQLITE_BUSY_TIMEOUT_MS
    raw = sqlite3.connect(data / "atlas.sqlite3")
    assert raw.execute("SELECT count(*) FROM responses").fetchone() == (1,)
    raw.close()


def test_url_precedence_env_then_secret_then_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ATLAS_DATABASE_URL", raising=False)
    assert storage.database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert storage.database_url("  ") == f"sqlite:///{tmp_path / 'atlas.sqlite3'}"
    monkeypatch.setenv("ATLAS_DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    assert storage.database_url("postgresql+psycopg://u@h/db") == "sqlite:////tmp/x.sqlite3"


def test_an_unavailable_database_raises_what_the_page_catches(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(OSError):
        storage.make_engine(f"sqlite:///{blocker / 'atlas.sqlite3'}")
    unreachable = storage.make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=2")
    with pytest.raises(SQLAlchemyError):
        storage.submit_response(unreachable, response()[0])
    unreachable.dispose()


def test_a_locked_sqlite_database_fails_cleanly_and_recovers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(storage, "SQLITE_BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "locked.sqlite3"
    eng = storage.make_engine(f"sqlite:///{path}")
    storage.ensure_schema(eng)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    r, _ = response()
    with pytest.raises(SQLAlchemyError):
        storage.submit_response(eng, r)
    holder.execute("COMMIT")
    holder.close()
    assert storage.submit_response(eng, r).status is SubmitStatus.STORED
    assert storage.count_responses(eng) == 1
    eng.dispose()
