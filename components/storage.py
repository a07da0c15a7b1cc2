"""Where questionnaire responses, drafts, workshop sessions and the audit log are kept (no Streamlit).

One SQLAlchemy 2 Core module for SQLite (the default, a file in the data directory) and PostgreSQL
(by URL), with the same code. Callers resolve the URL (:func:`database_url`; the view layer reads
``st.secrets`` and passes it in), get a cached engine (:func:`get_engine`) and call the functions
below; every function creates or migrates the schema on first use, so nothing needs setting up.

Every public function may raise :class:`sqlalchemy.exc.SQLAlchemyError` (database down, locked,
unreachable) or :class:`OSError` (data directory not writable): callers on pages catch both and
keep the respondent's answers on screen.

Stored shape (schema version 1)
-------------------------------
``responses`` — one row per submitted questionnaire::

    response_id     str(36)  PK   uuid4 fixed when the form opened (idempotent submit)
    survey_version  str(12)       components.survey.Survey.version (hash of the definition)
    content_version str(12)       Atlas.content_version (hash of the artefact files)
    lang            str(8)        "pt-BR" | "en"
    session_code    str(16)|NULL  workshop session (upper-case), NULL outside workshops
    started_at      UTC datetime  consent given / form opened
    submitted_at    UTC datetime
    answers         JSON          {question_id: value} for EVERY question of that survey version;
                                  None = not answered; single -> option code; multiple -> list of
                                  codes; likert -> int 1..5 or the don't-know code (e.g. "dk-na");
                                  text -> str; number -> int/float
    synthetic       bool          True for demo data; real responses are False
    receipt_hash    str(64)       SHA-256 of the respondent's receipt code (never returned)

Nothing else about the respondent is stored: no IP address, user agent or account.

``withdrawals`` (tombstones; no content): ``response_id`` PK, ``withdrawn_at``. A withdrawn id can
never be stored again. ``drafts``: ``token_hash`` PK (SHA-256 of the private URL token),
``response_id``, ``survey_version``, ``lang``, ``session_code``, ``started_at``, ``updated_at``,
``step`` (section index), ``answers`` JSON; deleted on submit, purged after :data:`DRAFT_TTL`.
``workshop_sessions``: ``code`` PK, ``state`` (draft/open/closed/ended), ``step``,
``results_revealed``, ``created_at``, ``updated_at`` (written by ``components.workshop``).
``audit_log`` (append-only: only :func:`append_audit` and :func:`read_audit`): ``id``, ``at``,
``action``, ``detail`` JSON. ``schema_version``: one row per migration applied.

Reading for analysis: :func:`fetch_responses` (list of dicts with the ``responses`` columns above
except ``receipt_hash``; timestamps are timezone-aware UTC) and :func:`count_responses`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

REPO_ROOT = Path(__file__).resolve().parent.parent
DB_FILE = "atlas.sqlite3"
DRAFT_TTL = timedelta(days=7)
"""Unsent drafts older than this are deleted (the consent text promises it)."""
SQLITE_BUSY_TIMEOUT_MS = 5000
WORKSHOP_STATES = ("draft", "open", "closed", "ended")

# -------------------------------------------------------------------------------------------- types


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite (no tz support) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # rows written with raw SQL by other modules
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _schema_v1(md: sa.MetaData) -> dict[str, sa.Table]:
    """Schema version 1. Frozen: a later change copies this into ``_schema_v2`` (pointing
    ``METADATA`` at it) and adds a migration; migration 1 keeps creating exactly these tables."""
    return {
        "schema_version": sa.Table(
            "schema_version", md,
            sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("applied_at", UTCDateTime, nullable=False),
            sa.Column("description", sa.String(200), nullable=False),
        ),
        "responses": sa.Table(
            "responses", md,
            sa.Column("response_id", sa.String(36), primary_key=True),
            sa.Column("survey_version", sa.String(12), nullable=False),
            sa.Column("content_version", sa.String(12), nullable=False),
            sa.Column("lang", sa.String(8), nullable=False),
            sa.Column("session_code", sa.String(16), nullable=True),
            sa.Column("started_at", UTCDateTime, nullable=False),
            sa.Column("submitted_at", UTCDateTime, nullable=False),
            sa.Column("answers", JSONType, nullable=False),
            sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
            sa.Column("receipt_hash", sa.String(64), nullable=False, unique=True),
            sa.Index("ix_responses_session_code", "session_code"),
            sa.Index("ix_responses_survey_version", "survey_version"),
        ),
        "withdrawals": sa.Table(
            "withdrawals", md,
            sa.Column("response_id", sa.String(36), primary_key=True),
            sa.Column("withdrawn_at", UTCDateTime, nullable=False),
        ),
        "drafts": sa.Table(
            "drafts", md,
            sa.Column("token_hash", sa.String(64), primary_key=True),
            sa.Column("response_id", sa.String(36), nullable=False),
            sa.Column("survey_version", sa.String(12), nullable=False),
            sa.Column("lang", sa.String(8), nullable=False),
            sa.Column("session_code", sa.String(16), nullable=True),
            sa.Column("started_at", UTCDateTime, nullable=False),
            sa.Column("updated_at", UTCDateTime, nullable=False),
            sa.Column("step", sa.Integer, nullable=False, server_default="0"),
            sa.Column("answers", JSONType, nullable=False),
            sa.Index("ix_drafts_updated_at", "updated_at"),
        ),
        "workshop_sessions": sa.Table(
            "workshop_sessions", md,
            sa.Column("code", sa.String(16), primary_key=True),
            sa.Column("state", sa.String(8), nullable=False, server_default="draft"),
            sa.Column("step", sa.Integer, nullable=False, server_default="0"),
            sa.Column("results_revealed", sa.Boolean, nullable=False, server_default=sa.false()),
            sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Column("updated_at", UTCDateTime, nullable=False),
            sa.CheckConstraint(
                "state IN (" + ", ".join(f"'{s}'" for s in WORKSHOP_STATES) + ")",
                name="ck_workshop_sessions_state",
            ),
        ),
        "audit_log": sa.Table(
            "audit_log", md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", UTCDateTime, nullable=False),
            sa.Column("action", sa.String(64), nullable=False),
            sa.Column("detail", JSONType, nullable=True),
            sa.Index("ix_audit_log_action", "action"),
        ),
    }


METADATA = sa.MetaData()
T = _schema_v1(METADATA)
schema_version, responses, withdrawals, drafts, workshop_sessions, audit_log = (
    T["schema_version"], T["responses"], T["withdrawals"], T["drafts"], T["workshop_sessions"],
    T["audit_log"],
)


def _migration_1(conn: Connection) -> None:
    md = sa.MetaData()
    tables = _schema_v1(md)
    md.create_all(conn, tables=[t for name, t in tables.items() if name != "schema_version"])


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "responses, withdrawals, drafts, workshop_sessions, audit_log", _migration_1),
]
"""Ordered migrations; append ``(n, description, function)`` for every schema change."""
SCHEMA_VERSION = MIGRATIONS[-1][0]

# ------------------------------------------------------------------------------------------ engines


def default_data_dir() -> Path:
    return Path(os.environ.get("ATLAS_DATA_DIR") or REPO_ROOT / "data")


def database_url(configured: str | None = None) -> str:
    """``ATLAS_DATABASE_URL``, else ``configured`` (the view passes ``st.secrets['database_url']``),
    else the SQLite file in the data directory."""
    for candidate in (os.environ.get("ATLAS_DATABASE_URL"), configured):
        if candidate and candidate.strip():
            return candidate.strip()
    return f"sqlite:///{default_data_dir() / DB_FILE}"


_engines: dict[tuple[str, str | None], Engine] = {}
_schema_ready: weakref.WeakSet[Engine] = weakref.WeakSet()
_lock = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL for the process (engines are thread-safe and pool connections)."""
    url = url or database_url()
    with _lock:
        engine = _engines.get((url, None))
        if engine is None:
            engine = make_engine(url)
            _engines[(url, None)] = engine
        return engine


def make_engine(url: str, *, search_path: str | None = None) -> Engine:
    """A new engine with this project's SQLite pragmas, or a PostgreSQL ``search_path`` (tests use
    a private schema). Creates the SQLite file's directory on first use."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, pool_size=8, max_overflow=24, pool_timeout=30)
        _sqlite_events(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if search_path:
        connect_args["options"] = f"-csearch_path={search_path}"
    return sa.create_engine(
        parsed, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=30,
        connect_args=connect_args,
    )


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # SQLAlchemy, not the sqlite3 module, emits BEGIN (see _on_begin), so reads are in a
        # transaction too and writes can ask for IMMEDIATE locking.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write transaction that first reads must take the write lock up front: a deferred one
        # cannot upgrade once another writer committed (SQLITE_BUSY without waiting).
        immediate = conn.get_execution_options().get("atlas_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_write_locks: dict[int, threading.Lock] = {}


@contextmanager
def _tx(engine: Engine, write: bool) -> Iterator[Connection]:
    """One short transaction on a pooled connection, the schema ensured first."""
    ensure_schema(engine)
    lock = None
    if write and engine.dialect.name == "sqlite":
        # SQLite has one writer at a time; queue the process's writers on a Python lock (woken at
        # once) instead of SQLite's busy handler (which sleeps in growing steps under contention).
        lock = _write_locks.setdefault(id(engine), threading.Lock())
        lock.acquire()
    try:
        with engine.connect() as conn:
            if write:
                conn.execution_options(atlas_write=True)
            with conn.begin():
                yield conn
    finally:
        if lock is not None:
            lock.release()


def _write(engine: Engine) -> Any:
    return _tx(engine, write=True)


def _read(engine: Engine) -> Any:
    return _tx(engine, write=False)


def _now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------------------------------- schema


def ensure_schema(engine: Engine) -> int:
    """Create or migrate the schema once per engine; safe when several processes start at once."""
    if engine in _schema_ready:
        return SCHEMA_VERSION
    with engine.connect() as conn:
        conn.execution_options(atlas_write=True)
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7402611)"))
            schema_version.create(conn, checkfirst=True)
            done = {r[0] for r in conn.execute(sa.select(schema_version.c.version))}
            for version, description, migrate in MIGRATIONS:
                if version in done:
                    continue
                migrate(conn)
                conn.execute(schema_version.insert().values(
                    version=version, applied_at=_now(), description=description))
                _append(conn, "schema.migrated", {"version": version, "description": description})
    _schema_ready.add(engine)
    return SCHEMA_VERSION


def current_schema_version(engine: Engine) -> int:
    with _read(engine) as conn:
        return int(conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0)


# -------------------------------------------------------------------------------------------- audit


def _append(conn: Connection, action: str, detail: Any) -> None:
    conn.execute(audit_log.insert().values(at=_now(), action=action[:64], detail=detail))


def append_audit(target: Engine | Connection, action: str, detail: Any = None) -> None:
    """Append one audit row (``detail`` must be JSON-serialisable). Given a Connection, the row is
    part of the caller's transaction; given an Engine, it is its own."""
    if isinstance(target, Connection):
        _append(target, action, detail)
        return
    with _write(target) as conn:
        _append(conn, action, detail)


def read_audit(engine: Engine, action: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Audit rows, oldest first (``id``, ``at``, ``action``, ``detail``)."""
    query = sa.select(audit_log).order_by(audit_log.c.id)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if limit is not None:
        query = query.limit(int(limit))
    with _read(engine) as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


# ------------------------------------------------------------------------------------------ receipts

RECEIPT_BYTES = 20
"""160 random bits: 32 base32 characters, shown in 8 groups of 4."""


def new_receipt_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(RECEIPT_BYTES)).decode("ascii").rstrip("=")
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalize_receipt(code: str) -> str:
    """What a person typed, forgiving case, spaces, dashes and 0/O, 1/I, 8/B confusions."""
    cleaned = "".join(ch for ch in str(code).upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"0": "O", "1": "I", "8": "B"}))


def receipt_hash(code: str) -> str:
    """SHA-256 of the normalised code. The code has 160 random bits, so no slow hash is needed."""
    return hashlib.sha256(normalize_receipt(code).encode("ascii", "ignore")).hexdigest()


# ----------------------------------------------------------------------------------------- responses


@dataclass(frozen=True)
class NewResponse:
    response_id: str
    survey_version: str
    content_version: str
    lang: str
    session_code: str | None
    started_at: datetime
    submitted_at: datetime
    answers: dict[str, Any]
    receipt_hash: str
    synthetic: bool = False


class SubmitStatus(StrEnum):
    STORED = "stored"
    """New row written."""
    DUPLICATE = "duplicate"
    """Same id already stored with the same answers (reload, double click): nothing written."""
    CONFLICT = "conflict"
    """Same id already stored with other answers: the first is kept, nothing written."""
    WITHDRAWN = "withdrawn"
    """This id was withdrawn: it can never be stored again."""


@dataclass(frozen=True)
class SubmitOutcome:
    status: SubmitStatus
    receipt_matches: bool
    """True when the stored row's receipt is the one this call offered (the respondent's code works)."""


def _row_values(r: NewResponse) -> dict[str, Any]:
    return {
        "response_id": r.response_id, "survey_version": r.survey_version,
        "content_version": r.content_version, "lang": r.lang, "session_code": r.session_code,
        "started_at": r.started_at, "submitted_at": r.submitted_at, "answers": r.answers,
        "synthetic": bool(r.synthetic), "receipt_hash": r.receipt_hash,
    }


def _insert_ignore(conn: Connection, table: sa.Table, values: dict[str, Any], key: str) -> bool:
    """INSERT ... ON CONFLICT (key) DO NOTHING; True when a row was written."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT through SQLAlchemy.
    return conn.execute(stmt.returning(table.c[key])).first() is not None


def _is_withdrawn(conn: Connection, response_id: str) -> bool:
    query = sa.select(withdrawals.c.response_id).where(withdrawals.c.response_id == response_id)
    return conn.execute(query).first() is not None


class _Withdrawn(Exception):
    pass


def submit_response(engine: Engine, response: NewResponse, draft_token: str | None = None) -> SubmitOutcome:
    """Store a response exactly once, in one transaction (with its audit row and draft deletion).

    Idempotent on ``response_id``: a second call never writes a second row; see :class:`SubmitStatus`.
    """
    try:
        with _write(engine) as conn:
            if _is_withdrawn(conn, response.response_id):
                raise _Withdrawn
            if _insert_ignore(conn, responses, _row_values(response), "response_id"):
                # Checked again after the insert: a withdrawal that committed while this insert
                # waited for the row lock (PostgreSQL, read committed) must win.
                if _is_withdrawn(conn, response.response_id):
                    raise _Withdrawn
                _append(conn, "response.submitted", {
                    "response_id": response.response_id, "survey_version": response.survey_version,
                    "synthetic": bool(response.synthetic)})
                if draft_token:
                    conn.execute(drafts.delete().where(drafts.c.token_hash == _token_hash(draft_token)))
                return SubmitOutcome(SubmitStatus.STORED, True)
            existing = conn.execute(
                sa.select(responses.c.answers, responses.c.receipt_hash)
                .where(responses.c.response_id == response.response_id)
            ).first()
            if existing is None:  # deleted between the two statements: a concurrent withdrawal
                raise _Withdrawn
            if draft_token:
                conn.execute(drafts.delete().where(drafts.c.token_hash == _token_hash(draft_token)))
            matches = hmac.compare_digest(existing.receipt_hash, response.receipt_hash)
            same = existing.answers == response.answers
            return SubmitOutcome(SubmitStatus.DUPLICATE if same else SubmitStatus.CONFLICT, matches)
    except _Withdrawn:
        return SubmitOutcome(SubmitStatus.WITHDRAWN, False)


def withdraw_response(engine: Engine, receipt_code: str) -> bool:
    """Delete the response this receipt code belongs to and leave a tombstone; False if none does.

    The caller shows one message for "unknown" and "wrong" codes alike.
    """
    if not normalize_receipt(receipt_code):
        return False
    digest = receipt_hash(receipt_code)
    with _write(engine) as conn:
        row = conn.execute(
            sa.select(responses.c.response_id, responses.c.survey_version)
            .where(responses.c.receipt_hash == digest)
        ).first()
        if row is None:
            return False
        conn.execute(responses.delete().where(responses.c.response_id == row.response_id))
        _insert_ignore(conn, withdrawals, {"response_id": row.response_id, "withdrawn_at": _now()},
                       "response_id")
        _append(conn, "response.withdrawn", {"response_id": row.response_id,
                                             "survey_version": row.survey_version})
    return True


def _filters(query: Any, survey_version: str | None, session_code: str | None,
             include_synthetic: bool) -> Any:
    if survey_version is not None:
        query = query.where(responses.c.survey_version == survey_version)
    if session_code is not None:
        query = query.where(responses.c.session_code == session_code)
    if not include_synthetic:
        query = query.where(responses.c.synthetic == sa.false())
    return query


_PUBLIC_COLUMNS = [c for c in responses.c if c.name != "receipt_hash"]


def fetch_responses(engine: Engine, *, survey_version: str | None = None, session_code: str | None = None,
                    include_synthetic: bool = True) -> list[dict[str, Any]]:
    """Stored responses, oldest submission first, as dicts (see the module docstring)."""
    query = _filters(sa.select(*_PUBLIC_COLUMNS), survey_version, session_code, include_synthetic)
    query = query.order_by(responses.c.submitted_at, responses.c.response_id)
    with _read(engine) as conn:
        return [_public(dict(r._mapping)) for r in conn.execute(query)]


def _public(row: dict[str, Any]) -> dict[str, Any]:
    row["synthetic"] = bool(row["synthetic"])
    return row


def count_responses(engine: Engine, session_code: str | None = None, *, survey_version: str | None = None,
                    include_synthetic: bool = True) -> int:
    query = _filters(sa.select(sa.func.count()).select_from(responses), survey_version, session_code,
                     include_synthetic)
    with _read(engine) as conn:
        return int(conn.execute(query).scalar() or 0)


def response_exists(engine: Engine, response_id: str) -> bool:
    with _read(engine) as conn:
        query = sa.select(responses.c.response_id).where(responses.c.response_id == response_id)
        return conn.execute(query).first() is not None


def withdrawn_ids(engine: Engine) -> set[str]:
    with _read(engine) as conn:
        return {r[0] for r in conn.execute(sa.select(withdrawals.c.response_id))}


def insert_responses(engine: Engine, rows: Iterable[NewResponse]) -> int:
    """Bulk insert (demo data, imports) in one transaction; existing ids are skipped. Returns rows written."""
    written = 0
    with _write(engine) as conn:
        for r in rows:
            if not _is_withdrawn(conn, r.response_id) and _insert_ignore(
                    conn, responses, _row_values(r), "response_id"):
                written += 1
        if written:
            _append(conn, "response.imported", {"count": written})
    return written


# -------------------------------------------------------------------------------------------- drafts


def new_draft_token() -> str:
    """The private token in a draft's URL (192 random bits)."""
    return secrets.token_urlsafe(24)


def _token_hash(token: str) -> str:
    return hashlib.sha256(str(token).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Draft:
    response_id: str
    survey_version: str
    lang: str
    session_code: str | None
    started_at: datetime
    step: int
    answers: dict[str, Any]
    updated_at: datetime | None = None


def save_draft(engine: Engine, token: str, draft: Draft) -> None:
    """Insert or update the draft under ``token`` (only its hash is stored)."""
    values = {
        "response_id": draft.response_id, "survey_version": draft.survey_version, "lang": draft.lang,
        "session_code": draft.session_code, "started_at": draft.started_at, "updated_at": _now(),
        "step": int(draft.step), "answers": draft.answers,
    }
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(drafts).values(token_hash=_token_hash(token), **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["token_hash"],
        set_={k: stmt.excluded[k] for k in ("lang", "updated_at", "step", "answers", "survey_version")},
    )
    with _write(engine) as conn:
        conn.execute(stmt)


def load_draft(engine: Engine, token: str | None, ttl: timedelta = DRAFT_TTL) -> Draft | None:
    """The draft for ``token``, or None (unknown, submitted, or older than ``ttl``)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    with _read(engine) as conn:
        row = conn.execute(sa.select(drafts).where(drafts.c.token_hash == _token_hash(token))).first()
    if row is None or row.updated_at < _now() - ttl:
        return None
    return Draft(row.response_id, row.survey_version, row.lang, row.session_code, row.started_at,
                 int(row.step or 0), dict(row.answers or {}), row.updated_at)


def delete_draft(engine: Engine, token: str) -> None:
    with _write(engine) as conn:
        conn.execute(drafts.delete().where(drafts.c.token_hash == _token_hash(token)))


def purge_drafts(engine: Engine, ttl: timedelta = DRAFT_TTL) -> int:
    """Delete drafts untouched for longer than ``ttl``; returns how many."""
    with _write(engine) as conn:
        result = conn.execute(drafts.delete().where(drafts.c.updated_at < _now() - ttl))
        return int(result.rowcount or 0)


def count_drafts(engine: Engine) -> int:
    with _read(engine) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(drafts)).scalar() or 0)
