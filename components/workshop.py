"""Workshop mode: session codes, the session state machine, the slide deck and the shared state.

Pure logic plus small database functions over the ``workshop_sessions`` table that
``components.storage`` creates. Workshop state lives in the database, never in a process, so the
projector, the presenter and the phones agree even when several app processes serve the room.
Every state change is one short transaction guarded by an optimistic ``WHERE`` on the state (or
step) the caller saw, so two controllers pressing at once cannot skip a state or a slide.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from components.model import Atlas, Diagram, Edge

# ---------------------------------------------------------------------------------------------- codes

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I/L: a code read off a projector is typed without guessing."""
CODE_LENGTH = 6


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    return "".join(choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: object) -> str | None:
    """The canonical code for what a URL or a person typed (case, spaces, dashes forgiven), or None."""
    if not isinstance(raw, str):
        return None
    code = "".join(ch for ch in raw.upper() if ch not in " -_\t")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


# --------------------------------------------------------------------------------------- state machine

DRAFT, OPEN, CLOSED, ENDED = "draft", "open", "closed", "ended"
STATES = (DRAFT, OPEN, CLOSED, ENDED)
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "open": (frozenset({DRAFT, CLOSED}), OPEN),
    "close": (frozenset({OPEN}), CLOSED),
    "end": (frozenset({DRAFT, OPEN, CLOSED}), ENDED),
}
"""action -> (states it may start from, state it leads to). Closing can be undone; ending cannot."""


class TransitionError(ValueError):
    """The action is not allowed from the session's current state."""


class ConflictError(RuntimeError):
    """Someone else changed the session between our read and our write; re-read and retry."""


def next_state(state: str, action: str) -> str:
    if action not in ACTIONS:
        raise TransitionError(f"unknown action {action!r}")
    sources, target = ACTIONS[action]
    if state not in sources:
        raise TransitionError(f"cannot {action} a session that is {state}")
    return target


def allowed_actions(state: str) -> list[str]:
    return [action for action, (sources, _) in ACTIONS.items() if state in sources]


GATE_REASONS = {
    None: "workshop.gate.unknown",
    DRAFT: "workshop.gate.not_open",
    CLOSED: "workshop.gate.closed",
    ENDED: "workshop.gate.ended",
}


def gate_for_state(state: str | None) -> tuple[bool, str | None]:
    """May a phone store a submission for a session in ``state`` (None: no such session)?"""
    if state == OPEN:
        return True, None
    return False, GATE_REASONS.get(state, "workshop.gate.unknown")


# ---------------------------------------------------------------------------------------------- deck

TITLE, OVERVIEW, GROUP, NODE, JOIN = "title", "overview", "group", "node", "join"
WALKED_LAYOUTS = ("flow", "cycle")
"""Layouts presented node by node; a grouped matrix is presented group by group."""


@dataclass(frozen=True)
class Slide:
    kind: str
    diagram: str | None = None
    node: str | None = None
    group: str | None = None


def build_deck(atlas: Atlas, diagram_ids: Iterable[str] | None = None) -> list[Slide]:
    """The presentation, derived from the artefacts only: a title, then for each diagram in the
    manifest's order its overview and a walk through it, then the questionnaire's join slide."""
    wanted = list(diagram_ids) if diagram_ids is not None else list(atlas.diagrams)
    deck = [Slide(TITLE)]
    for diagram_id in wanted:
        diagram = atlas.diagrams.get(diagram_id)
        if diagram is None:
            continue
        deck.append(Slide(OVERVIEW, diagram.id))
        if diagram.layout in WALKED_LAYOUTS:
            deck.extend(Slide(NODE, diagram.id, node=n.id) for n in diagram.ordered_nodes())
        elif diagram.groups:
            for group in diagram.groups:
                if any(n.group == group.id for n in diagram.nodes):
                    deck.append(Slide(GROUP, diagram.id, group=group.id))
    deck.append(Slide(JOIN))
    return deck


def clamp_step(step: int, deck: list[Slide]) -> int:
    """A stored step that no longer fits the deck (artefacts edited mid-workshop) lands on a slide."""
    return max(0, min(int(step), len(deck) - 1))


def feedback_edges(diagram: Diagram, node_id: str) -> list[Edge]:
    """Feedback edges leaving the node: announced on the projector when the walk reaches it."""
    return [e for e in diagram.edges if e.source == node_id and e.kind == "feedback"]


def highlighted_nodes(slide: Slide, diagram: Diagram) -> set[str]:
    if slide.kind == NODE and slide.node:
        return {slide.node}
    if slide.kind == GROUP and slide.group:
        return {n.id for n in diagram.nodes if n.group == slide.group}
    return set()


# ------------------------------------------------------------------------------------------ links

def base_from_page_url(page_url: str | None, page_path: str) -> str | None:
    """The app's base URL from the address of one of its pages (``st.context.url``)."""
    if not page_url:
        return None
    parts = urlsplit(page_url)
    if not parts.scheme or not parts.netloc:
        return None
    path = parts.path.rstrip("/")
    if page_path and path.endswith("/" + page_path):
        path = path[: -len(page_path) - 1]
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")


def base_from_headers(headers: dict[str, str] | None) -> str | None:
    """Fallback when the browser sent no URL: the Host header, and the proxy's scheme if it set one."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    host = lowered.get("x-forwarded-host") or lowered.get("host")
    if not host:
        return None
    scheme = (lowered.get("x-forwarded-proto") or "http").split(",")[0].strip()
    return f"{scheme}://{host.split(',')[0].strip()}"


def public_base_url(configured: str | None, page_url: str | None, page_path: str, headers=None) -> str:
    """Configured base (env or secret) first, as behind a proxy only it knows the public name."""
    for candidate in (configured, base_from_page_url(page_url, page_path), base_from_headers(headers)):
        if candidate and candidate.strip():
            return candidate.strip().rstrip("/")
    return "http://localhost:8501"


def is_loopback(url: str) -> bool:
    """Phones in the room cannot reach a loopback address; the presenter page warns about it."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def join_url(base: str, code: str, lang: str, page: str = "questionnaire") -> str:
    return f"{base.rstrip('/')}/{page}?{urlencode({'session': code, 'lang': lang})}"


def display_url(url: str) -> str:
    """What to print under the QR code: no scheme, so it is shorter to read and type."""
    parts = urlsplit(url)
    return urlunsplit(("", parts.netloc, parts.path, parts.query, "")).lstrip("/")


def presenter_token(secret: str, code: str) -> str:
    """A key that lets a projector tab drive the session's steps without the researcher secret.

    Derived from the secret (HMAC), so it needs no storage and dies when the secret changes.
    """
    import hashlib
    import hmac

    return hmac.new(secret.encode("utf-8"), f"present:{code}".encode(), hashlib.sha256).hexdigest()[:20]


def token_valid(secret: str | None, code: str, token: object) -> bool:
    import hmac

    if not secret or not isinstance(token, str) or not token:
        return False
    return hmac.compare_digest(presenter_token(secret, code), token)


# ------------------------------------------------------------------------------------------ database
#
# Over ``components.storage``'s ``workshop_sessions`` table. Writes ask storage's SQLite "begin" hook
# for ``BEGIN IMMEDIATE`` (execution option ``atlas_write``), so a read-then-write transaction takes
# the write lock up front instead of failing to upgrade; PostgreSQL ignores the option.


@dataclass(frozen=True)
class WorkshopSession:
    code: str
    state: str
    step: int
    results_revealed: bool
    created_at: Any = None
    updated_at: Any = None


def _table() -> Any:
    from components import storage

    return storage.workshop_sessions


def _row(row: Any) -> WorkshopSession | None:
    if row is None:
        return None
    m = row._mapping
    return WorkshopSession(
        code=m["code"],
        state=m["state"],
        step=int(m["step"] or 0),
        results_revealed=bool(m["results_revealed"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _transaction(engine: Any, write: bool) -> Iterator[Any]:
    from components import storage

    storage.ensure_schema(engine)
    with engine.connect() as conn:
        if write:
            conn.execution_options(atlas_write=True)
        with conn.begin():
            yield conn


def _audit(conn: Any, action: str, detail: dict[str, Any]) -> None:
    """Record the change in the storage layer's audit log, inside the same transaction."""
    from components import storage

    storage.append_audit(conn, action, detail)


def create_session(
    engine: Any, choice: Callable[[str], str] = secrets.choice, attempts: int = 8
) -> WorkshopSession:
    """A new draft session with a fresh code (a collision, one in 887 million, draws again)."""
    from sqlalchemy import exc

    table = _table()
    for _ in range(attempts):
        code = new_code(choice)
        now = _now()
        try:
            with _transaction(engine, write=True) as conn:
                conn.execute(
                    table.insert().values(
                        code=code, state=DRAFT, step=0, results_revealed=False, created_at=now, updated_at=now
                    )
                )
                _audit(conn, "workshop.create", {"code": code})
        except exc.IntegrityError:
            continue
        return WorkshopSession(code, DRAFT, 0, False, now, now)
    raise ConflictError("could not draw an unused session code")


def get_session(engine: Any, code: object) -> WorkshopSession | None:
    normalized = normalize_code(code)
    if normalized is None:
        return None
    table = _table()
    with _transaction(engine, write=False) as conn:
        return _row(conn.execute(table.select().where(table.c.code == normalized)).first())


def recent_sessions(engine: Any, limit: int = 10, include_ended: bool = False) -> list[WorkshopSession]:
    """Sessions a presenter can resume after a reload, newest first."""
    table = _table()
    query = table.select().order_by(table.c.created_at.desc()).limit(int(limit))
    if not include_ended:
        query = query.where(table.c.state != ENDED)
    with _transaction(engine, write=False) as conn:
        return [s for s in (_row(r) for r in conn.execute(query)) if s is not None]


def apply_action(engine: Any, code: str, action: str, expected_state: str | None = None) -> WorkshopSession:
    """Move the session through the state machine in one transaction.

    ``expected_state`` is the state the caller's screen showed; if the session moved on since (another
    presenter tab, another process), the guarded update matches no row and :class:`ConflictError`
    is raised instead of applying the action to a state nobody saw.
    """
    table = _table()
    with _transaction(engine, write=True) as conn:
        current = _row(conn.execute(table.select().where(table.c.code == code)).first())
        if current is None:
            raise TransitionError(f"no workshop session {code!r}")
        seen = expected_state or current.state
        if seen != current.state:
            raise ConflictError(f"session {code} is {current.state}, not {seen}")
        target = next_state(seen, action)
        now = _now()
        result = conn.execute(
            table.update()
            .where(table.c.code == code, table.c.state == seen)
            .values(state=target, updated_at=now)
        )
        if result.rowcount != 1:
            raise ConflictError(f"session {code} is no longer {seen}")
        _audit(conn, f"workshop.{action}", {"code": code, "from": seen, "to": target})
    return WorkshopSession(code, target, current.step, current.results_revealed, current.created_at, now)


def set_step(engine: Any, code: str, expected: int, new: int) -> bool:
    """Move to slide ``new`` if the session still shows ``expected``: a double press moves one slide."""
    if new < 0:
        return False
    table = _table()
    with _transaction(engine, write=True) as conn:
        result = conn.execute(
            table.update()
            .where(table.c.code == code, table.c.step == int(expected), table.c.state != ENDED)
            .values(step=int(new), updated_at=_now())
        )
        return result.rowcount == 1


def set_revealed(engine: Any, code: str, revealed: bool) -> bool:
    """Show or hide the live results on the projector (hidden by default, against group-think)."""
    table = _table()
    with _transaction(engine, write=True) as conn:
        result = conn.execute(
            table.update()
            .where(table.c.code == code, table.c.state != ENDED, table.c.results_revealed != bool(revealed))
            .values(results_revealed=bool(revealed), updated_at=_now())
        )
        changed = result.rowcount == 1
        if changed:
            _audit(conn, "workshop.reveal" if revealed else "workshop.hide", {"code": code})
        return changed


def submission_gate(engine: Any, code: object) -> tuple[bool, str | None]:
    """May the questionnaire store a submission for workshop ``code``?

    Returns ``(allowed, reason_key)``; ``reason_key`` is a UI string key to show the respondent
    (``ui.t(reason_key)``) when not allowed. A questionnaire opened without a session code is not a
    workshop submission and is always allowed. Call it at submit time, not only when the page opens:
    the presenter may close the session while people are typing.
    """
    if code is None or code == "":
        return True, None
    normalized = normalize_code(code)
    if normalized is None:
        return False, "workshop.gate.unknown"
    session = get_session(engine, normalized)
    return gate_for_state(session.state if session else None)


# -------------------------------------------------------------------------------------- live panel


@dataclass(frozen=True)
class Agreement:
    """One criterion's live summary: ``agree`` of ``valid`` answers were 4 or 5 (top-2 box)."""

    criterion: str
    valid: int
    agree: int

    @property
    def share(self) -> float | None:
        return self.agree / self.valid if self.valid else None


def agreement_summary(survey: Any, answer_sets: Iterable[dict[str, Any]]) -> list[Agreement]:
    """Per criterion, over every Likert item of that criterion: how many valid answers agree.

    Only Likert answers are read (never free text); "don't know" codes and anything outside the
    1..5 scale are left out, as on the results page.
    """
    from components import survey as survey_mod

    items: dict[str, list[str]] = {}
    for question in survey.questions:
        if question.type == survey_mod.LIKERT and question.criterion:
            items.setdefault(question.criterion, []).append(question.id)
    order = [c.id for c in survey.criteria if c.id in items]
    order += [c for c in items if c not in order]
    valid = dict.fromkeys(order, 0)
    agree = dict.fromkeys(order, 0)
    midpoint = (1 + survey_mod.SCALE_POINTS) / 2
    for answers in answer_sets:
        for criterion in order:
            for qid in items[criterion]:
                value = answers.get(qid)
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                if not 1 <= value <= survey_mod.SCALE_POINTS:
                    continue
                valid[criterion] += 1
                agree[criterion] += value > midpoint
    return [Agreement(c, valid[c], agree[c]) for c in order]


@dataclass(frozen=True)
class LiveNumbers:
    count: int
    agreement: list[Agreement]


def live_numbers(engine: Any, code: str, survey: Any | None, with_summary: bool) -> LiveNumbers:
    """The projector's live panel in one read: the session's response count and, when the results
    are revealed, its agreement summary (computed from the Likert answers only)."""
    from components import storage

    if not with_summary or survey is None:
        return LiveNumbers(storage.count_responses(engine, session_code=code), [])
    rows = storage.fetch_responses(engine, session_code=code)
    return LiveNumbers(len(rows), agreement_summary(survey, (r["answers"] or {} for r in rows)))


def slide_label(slide: Slide, atlas: Atlas, lang: str, title: str, join: str) -> str:
    """A one-line name of the slide for the presenter's jump list (``title``/``join`` translated)."""
    from components.model import tr

    if slide.kind == TITLE:
        return title
    if slide.kind == JOIN:
        return join
    diagram = atlas.diagrams.get(slide.diagram or "")
    if diagram is None:
        return slide.kind
    head = tr(diagram.title, lang)
    if slide.kind == NODE and slide.node:
        node = diagram.node(slide.node)
        if node is not None:
            number = f"{node.number}. " if node.number is not None else ""
            return f"{head} · {number}{tr(node.label, lang)}"
    if slide.kind == GROUP and slide.group:
        group = diagram.group(slide.group)
        if group is not None:
            return f"{head} · {tr(group.label, lang)}"
    return head
