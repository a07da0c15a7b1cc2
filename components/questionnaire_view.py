"""The questionnaire page: consent, one section at a time, drafts, submission, receipt, withdrawal.

What the respondent types lives in ``st.session_state`` (the source of truth on screen) and, after
consent only, in a server-side draft keyed by a private token in the URL (``?draft=``), so a reload,
a dropped Wi-Fi connection or a new session restores it. Every database call goes through
:func:`_db`, which turns an unavailable database into a message instead of a crash; the answers stay
on screen and the respondent can retry. Decisions (validation, storage) live in ``components.survey``
and ``components.storage``; this module only wires them to widgets.
"""

from __future__ import annotations

import html
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from components import storage, ui
from components import survey as sv
from components.model import Atlas, tr

log = logging.getLogger(__name__)

CONSENT, FORM, DONE, RESTORE_FAILED = "consent", "form", "done", "restore_failed"
K = "survey."
K_PHASE = K + "phase"
K_ANSWERS = K + "answers"
K_SECTION = K + "section"
K_ERRORS = K + "errors"
K_RESPONSE_ID = K + "response_id"
K_TOKEN = K + "draft_token"
K_STARTED = K + "started_at"
K_SESSION = K + "session_code"
K_SESSION_RAW = K + "session_raw"
K_SAVE_OK = K + "draft_saved"
K_SUBMIT_FAILED = K + "submit_failed"
K_GATE = K + "gate_reason"
K_RECEIPT = K + "receipt"
K_RECEIPT_FOR = K + "receipt_for"
K_OUTCOME = K + "outcome"
K_NOTICE = K + "notice"
K_SCROLL = K + "scroll"
K_WITHDRAW = K + "withdraw"
K_WITHDRAW_FAILS = K + "withdraw_fails"
K_AGREE = K + "agree"
K_WITHDRAW_OPEN = K + "withdraw_open"
WIDGET = K + "q."
K_DIRTY = K + "dirty"
MAX_WITHDRAW_FAILS = 5
WITHDRAW_LOCK_SECONDS = 60


# ------------------------------------------------------------------------------------------ database


def _db(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Call a storage function; (False, None) when the database cannot be reached right now."""
    try:
        engine = ui.database_engine()
        return True, fn(engine, *args, **kwargs)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("questionnaire: database unavailable (%s: %s)", type(exc).__name__, exc)
        return False, None


# --------------------------------------------------------------------------------------------- state


def _atlas() -> Atlas:
    """The loaded atlas, for callbacks: ``ui.get_atlas`` may rerun, which would abort a callback."""
    return ui.atlas_result().atlas


def _survey() -> sv.Survey:
    return _atlas().survey


def _answers() -> dict[str, Any]:
    return st.session_state.setdefault(K_ANSWERS, {})


def _errors() -> dict[str, sv.AnswerError]:
    return st.session_state.setdefault(K_ERRORS, {})


def _capture_session_code() -> None:
    """The workshop code comes from ``?session=`` once, when the questionnaire is first opened."""
    if K_SESSION in st.session_state:
        return
    raw = st.query_params.get("session")
    st.session_state[K_SESSION] = sv.normalize_session_code(raw)
    st.session_state[K_SESSION_RAW] = raw


def _draft_payload() -> storage.Draft:
    return storage.Draft(
        response_id=st.session_state[K_RESPONSE_ID],
        survey_version=_survey().version,
        lang=ui.lang(),
        session_code=st.session_state.get(K_SESSION),
        started_at=st.session_state[K_STARTED],
        step=int(st.session_state.get(K_SECTION, 0)),
        answers=dict(_answers()),
    )


def _save_draft() -> None:
    """Saved on every change, and only after consent (there is no token before)."""
    token = st.session_state.get(K_TOKEN)
    if not token or st.session_state.get(K_PHASE) != FORM:
        return
    ok, _ = _db(storage.save_draft, token, _draft_payload())
    st.session_state[K_SAVE_OK] = ok


def _mark_dirty() -> None:
    """Callbacks only mark the draft; the run saves it once, however many answers changed."""
    st.session_state[K_DIRTY] = True


def _flush_draft() -> None:
    if st.session_state.pop(K_DIRTY, False):
        _save_draft()


def _restore(survey: sv.Survey) -> None:
    """First run of a session: a ``?draft=`` token brings back the answers and the response id."""
    token = st.query_params.get("draft")
    if not token:
        st.session_state[K_PHASE] = CONSENT
        return
    ok, draft = _db(storage.load_draft, token)
    if not ok:
        st.session_state[K_PHASE] = RESTORE_FAILED
        return
    if draft is None:
        st.session_state[K_NOTICE] = "survey.draft.expired"
        del st.query_params["draft"]
        st.session_state[K_PHASE] = CONSENT
        return
    st.session_state.update({
        K_PHASE: FORM,
        K_TOKEN: token,
        K_RESPONSE_ID: draft.response_id,
        K_STARTED: draft.started_at,
        K_SESSION: draft.session_code,
        K_ANSWERS: sv.restorable_answers(survey, draft.answers),
        K_SECTION: max(0, min(draft.step, len(survey.sections) - 1)),
        K_NOTICE: "survey.draft.restored",
        K_SAVE_OK: True,
    })


# ----------------------------------------------------------------------------------------- callbacks


def _start() -> None:
    if st.session_state.get(K_PHASE) != CONSENT or not st.session_state.get(K_AGREE):
        return
    token = storage.new_draft_token()
    st.session_state.update({
        K_PHASE: FORM,
        K_TOKEN: token,
        K_RESPONSE_ID: str(uuid.uuid4()),
        K_STARTED: datetime.now(UTC),
        K_ANSWERS: {},
        K_ERRORS: {},
        K_SECTION: 0,
        K_NOTICE: None,
        K_SCROLL: True,
    })
    st.query_params["draft"] = token
    _db(storage.purge_drafts)
    _save_draft()


def _on_answer(question_id: str) -> None:
    survey = _survey()
    question = survey.question(question_id)
    if question is None:
        return
    value = st.session_state.get(WIDGET + question_id)
    if question.type == sv.MULTIPLE:
        value = _resolve_exclusive(question, _answers().get(question_id) or [], value or [])
        st.session_state[WIDGET + question_id] = value
    value = sv.normalize(question, value)
    if value is None:
        _answers().pop(question_id, None)
    else:
        _answers()[question_id] = value
    error = sv.check_answer(survey, question, value) if value is not None else None
    if error:
        _errors()[question_id] = error
    else:
        _errors().pop(question_id, None)
    _mark_dirty()


def _resolve_exclusive(question: sv.Question, before: list[str], after: list[str]) -> list[str]:
    """Picking "none of these" clears the others and vice versa, instead of an error message."""
    added = [code for code in after if code not in before]
    exclusive = {o.code for o in question.options if o.exclusive}
    if any(code in exclusive for code in added):
        return [code for code in added if code in exclusive][:1]
    if added:
        return [code for code in after if code not in exclusive]
    return list(after)


def _go(delta: int) -> None:
    survey = _survey()
    section = int(st.session_state.get(K_SECTION, 0))
    if delta > 0:
        problems = sv.validate_answers(survey, _answers(), section=section)
        _errors().clear()
        _errors().update({e.question_id: e for e in problems})
        if problems:
            st.session_state[K_SCROLL] = problems[0].question_id
            return
    st.session_state[K_SECTION] = max(0, min(section + delta, len(survey.sections) - 1))
    st.session_state[K_SCROLL] = True
    _mark_dirty()


def _submit(without_session: bool = False) -> None:
    if st.session_state.get(K_PHASE) != FORM:
        return  # a second click after the first one finished
    atlas = _atlas()
    survey = atlas.survey
    answers = _answers()
    problems = [e for e in sv.validate_answers(survey, answers) if e.key != "survey.error.unknown_question"]
    _errors().clear()
    _errors().update({e.question_id: e for e in problems})
    if problems:
        first = survey.section_of(problems[0].question_id)
        st.session_state[K_SECTION] = first if first is not None else 0
        st.session_state[K_SCROLL] = problems[0].question_id
        return
    if without_session:
        st.session_state[K_SESSION] = None
    session_code = st.session_state.get(K_SESSION)
    if session_code:
        ok, gate = _db(_workshop_gate, session_code)
        if not ok:
            st.session_state[K_SUBMIT_FAILED] = True
            return
        allowed, reason = gate
        if not allowed:
            st.session_state[K_GATE] = reason
            return
    st.session_state[K_GATE] = None
    response_id = st.session_state[K_RESPONSE_ID]
    if st.session_state.get(K_RECEIPT_FOR) != response_id:
        # One receipt per response id: a retry after a failure or a double click offers the same.
        st.session_state[K_RECEIPT] = storage.new_receipt_code()
        st.session_state[K_RECEIPT_FOR] = response_id
    response = storage.NewResponse(
        response_id=response_id,
        survey_version=survey.version,
        content_version=atlas.content_version,
        lang=ui.lang(),
        session_code=session_code,
        started_at=st.session_state[K_STARTED],
        submitted_at=datetime.now(UTC),
        answers=sv.complete_answers(survey, answers),
        receipt_hash=storage.receipt_hash(st.session_state[K_RECEIPT]),
    )
    ok, outcome = _db(storage.submit_response, response, draft_token=st.session_state.get(K_TOKEN))
    if not ok:
        st.session_state[K_SUBMIT_FAILED] = True
        return
    st.session_state[K_SUBMIT_FAILED] = False
    st.session_state[K_PHASE] = DONE
    st.session_state[K_OUTCOME] = (outcome.status.value, outcome.receipt_matches)
    if "draft" in st.query_params:
        del st.query_params["draft"]


def _workshop_gate(engine: Any, code: str) -> tuple[bool, str | None]:
    """The workshop module decides whether its session accepts submissions right now."""
    try:
        from components import workshop
    except ImportError:  # pragma: no cover - the workshop feature is optional
        return True, None
    return workshop.submission_gate(engine, code)


def _withdraw() -> None:
    fails, until = st.session_state.get(K_WITHDRAW_FAILS, (0, 0.0))
    if time.monotonic() < until:
        st.session_state[K_WITHDRAW] = "survey.withdraw.wait"
        return
    code = str(st.session_state.get(K + "withdraw_code") or "")
    ok, found = _db(storage.withdraw_response, code)
    if not ok:
        st.session_state[K_WITHDRAW] = "survey.withdraw.unavailable"
        return
    if found:
        st.session_state[K_WITHDRAW] = "survey.withdraw.done"
        st.session_state[K_WITHDRAW_FAILS] = (0, 0.0)
        st.session_state[K + "withdraw_code"] = ""
        return
    fails += 1
    lock = time.monotonic() + WITHDRAW_LOCK_SECONDS if fails >= MAX_WITHDRAW_FAILS else 0.0
    st.session_state[K_WITHDRAW_FAILS] = (0 if lock else fails, lock)
    st.session_state[K_WITHDRAW] = "survey.withdraw.not_found"


def _retry_restore() -> None:
    st.session_state.pop(K_PHASE, None)


# ------------------------------------------------------------------------------------------- render


def render_questionnaire_page() -> None:
    atlas = ui.get_atlas()
    lang = ui.lang()
    survey: sv.Survey | None = atlas.survey
    if survey is None:
        st.info(ui.t("survey.not_configured"))
        return
    _capture_session_code()
    _flush_draft()
    if K_PHASE not in st.session_state:
        _restore(survey)
        _check_session_known()
    phase = st.session_state[K_PHASE]
    if phase == FORM and st.query_params.get("draft") != st.session_state.get(K_TOKEN):
        st.query_params["draft"] = st.session_state[K_TOKEN]  # back from another page

    if phase == FORM:
        st.caption(tr(survey.title, lang))  # the section header is the page's heading
    elif phase != CONSENT:  # the consent screen draws its title with its introduction
        st.title(tr(survey.title, lang))
    if phase != CONSENT:  # the consent screen puts the badge in its introduction
        _session_badge()
    notice = st.session_state.pop(K_NOTICE, None)
    if notice:
        st.info(ui.t(notice), icon=":material/info:")

    if phase == RESTORE_FAILED:
        st.error(ui.t("survey.draft.restore_failed"), icon=":material/cloud_off:")
        st.button(ui.t("survey.draft.retry"), on_click=_retry_restore, type="primary")
    elif phase == CONSENT:
        _render_consent(survey, lang)
        if not st.session_state.get(K_SESSION):  # not on a workshop phone: nothing to withdraw yet
            _render_withdraw()
    elif phase == FORM:
        _render_form(atlas, survey, lang)
    else:
        _render_done()
        _render_withdraw()


KNOWN_CODE_SECONDS = 30.0
"""A known workshop code stays known (sessions are never deleted; whether one accepts answers
is checked again, in a transaction, when the answers are submitted)."""
_known_codes: dict[str, float] = {}


def _check_session_known() -> None:
    """An unknown workshop code is dropped up front, so nobody answers 31 questions for nothing."""
    code = st.session_state.get(K_SESSION)
    if not code or st.session_state.get(K_PHASE) != CONSENT:
        return
    if _known_codes.get(code, 0.0) > time.monotonic():
        return  # a room of phones opens the same code within seconds: one lookup serves them
    ok, gate = _db(_workshop_gate, code)
    if ok and gate[1] == "workshop.gate.unknown":
        st.session_state[K_SESSION] = None
    elif ok:
        _known_codes[code] = time.monotonic() + KNOWN_CODE_SECONDS


def _session_badge() -> None:
    code = st.session_state.get(K_SESSION)
    if code:
        st.badge(ui.t("survey.session", code=code), icon=":material/groups:", color="blue")
    elif st.session_state.get(K_SESSION_RAW) and st.session_state.get(K_PHASE) != DONE:
        st.caption(ui.t("survey.session_invalid"))


def _render_consent(survey: sv.Survey, lang: str) -> None:
    """What a phone opening the QR code sees first, in as few elements as it can be: under a
    crowd every element is a message the server sends to every phone."""
    code = st.session_state.get(K_SESSION)
    if code:
        badge = [f":blue-badge[:material/groups: {ui.t('survey.session', code=code)}]"]
    elif st.session_state.get(K_SESSION_RAW):
        badge = [f":small[:gray[{ui.t('survey.session_invalid')}]]"]
    else:
        badge = []
    consent = survey.consent
    points = [f"**{tr(p.title, lang)}**  \n{tr(p.text, lang)}" for p in consent.points]
    st.markdown("\n\n".join([
        *badge, f"# {tr(survey.title, lang)}",
        *([tr(survey.intro, lang)] if survey.intro else []),
        "---", f"#### {tr(consent.title, lang)}", tr(consent.intro, lang), *points,
        f":small[:gray[{ui.t('survey.consent.nothing_stored')}]]",
    ]))
    st.checkbox(tr(consent.agree, lang), key=K_AGREE)
    st.button(ui.t("survey.consent.start"), type="primary", on_click=_start,
              disabled=not st.session_state.get(K_AGREE), icon=":material/arrow_forward:",
              key=K + "start", width="stretch")


def _render_form(atlas: Atlas, survey: sv.Survey, lang: str) -> None:
    sections = survey.sections
    index = max(0, min(int(st.session_state.get(K_SECTION, 0)), len(sections) - 1))
    section = sections[index]
    answers = _answers()
    answered, total = sv.progress(survey, answers)
    st.progress(answered / total if total else 0.0,
                text=ui.t("survey.progress", step=index + 1, steps=len(sections),
                          answered=answered, total=total))
    st.header(tr(section.title, lang), anchor=False)
    if section.intro:
        st.markdown(tr(section.intro, lang))
    if section.artefact:
        _render_preview(atlas, section.artefact, lang)
    number = sum(len(s.questions) for s in sections[:index])
    for i, question in enumerate(section.questions, start=number + 1):
        _render_question(survey, question, i, lang)

    errors = _errors()
    if any(q.id in errors for q in section.questions):
        st.error(ui.t("survey.errors_summary"), icon=":material/error:")
    last = index == len(sections) - 1
    if last and st.session_state.get(K_GATE):
        _render_gate()
    if last and st.session_state.get(K_SUBMIT_FAILED):
        st.error(ui.t("survey.submit_failed"), icon=":material/cloud_off:")
    with st.container(horizontal=True, horizontal_alignment="distribute", key=K + "nav"):
        st.button(ui.t("survey.back"), on_click=_go, args=(-1,), disabled=index == 0,
                  icon=":material/arrow_back:", key=K + "back")
        if last:
            st.button(ui.t("survey.submit"), on_click=_submit, type="primary",
                      icon=":material/send:", key=K + "submit")
        else:
            st.button(ui.t("survey.next"), on_click=_go, args=(1,), type="primary",
                      icon=":material/arrow_forward:", icon_position="right", key=K + "next")
    if st.session_state.get(K_SAVE_OK, True):
        st.caption(ui.t("survey.saved", days=storage.DRAFT_TTL.days))
    else:
        st.warning(ui.t("survey.save_failed"), icon=":material/cloud_off:")
    target = st.session_state.pop(K_SCROLL, None)
    if target:
        _scroll_to(None if target is True else str(target))


def _render_gate() -> None:
    reason = st.session_state.get(K_GATE)
    st.warning(ui.t(reason), icon=":material/groups:")
    st.markdown(ui.t("survey.gate.explain"))
    st.button(ui.t("survey.gate.store_anyway"), on_click=_submit, kwargs={"without_session": True},
              key=K + "submit_without_session")


def _render_question(survey: sv.Survey, question: sv.Question, number: int, lang: str) -> None:
    key = WIDGET + question.id
    answers = _answers()
    if key not in st.session_state:  # seed the widget from the answers (after Back, a reload...)
        st.session_state[key] = _widget_value(question, answers.get(question.id))
    label = tr(question.label, lang)
    with st.container(border=True, key=K + "box." + question.id):
        marker = "" if question.required else f" :gray[{ui.t('survey.optional')}]"
        st.markdown(f"**{number}.** {label}{marker}")
        if question.help:
            st.caption(tr(question.help, lang))
        common: dict[str, Any] = {"key": key, "on_change": _on_answer, "args": (question.id,),
                                  "label_visibility": "collapsed"}
        if question.type == sv.SINGLE:
            st.radio(label, [o.code for o in question.options], index=None,
                     format_func=lambda code, q=question: tr(q.option(code).label, lang), **common)
        elif question.type == sv.LIKERT:
            st.radio(label, [1, 2, 3, 4, 5, survey.scale.dont_know_code], index=None,
                     format_func=lambda v: _likert_label(survey, v, lang), **common)
        elif question.type == sv.MULTIPLE:
            st.pills(label, [o.code for o in question.options], selection_mode="multi",
                     format_func=lambda code, q=question: tr(q.option(code).label, lang), **common)
        elif question.type == sv.TEXT:
            st.text_input(label, max_chars=question.max_length, **common)
        elif question.type == sv.LONG_TEXT:
            st.text_area(label, max_chars=question.max_length, height=120, **common)
        elif question.type == sv.NUMBER:
            step = 1 if question.integer else None
            st.number_input(label, min_value=_num(question.min, question.integer),
                            max_value=_num(question.max, question.integer), step=step, value=None,
                            placeholder=ui.t("survey.number_placeholder"), **common)
        error = _errors().get(question.id)
        if error:
            st.error(_error_text(question, error, lang), icon=":material/error:")


def _num(value: float | None, integer: bool) -> float | int | None:
    if value is None:
        return None
    return int(value) if integer else float(value)


def _widget_value(question: sv.Question, value: Any) -> Any:
    if question.type == sv.MULTIPLE:
        return list(value or [])
    if question.type in sv.TEXT_TYPES:
        return value or ""
    return value


def _likert_label(survey: sv.Survey, value: int | str, lang: str) -> str:
    text = tr(survey.scale.point_label(value), lang)
    return text if value == survey.scale.dont_know_code else f"{value} · {text}"


def _error_text(question: sv.Question, error: sv.AnswerError, lang: str) -> str:
    params = dict(error.params)
    if "option_code" in params:
        option = question.option(params.pop("option_code"))
        params["option"] = tr(option.label, lang) if option else ""
    return ui.t(error.key, **params)


def _render_preview(atlas: Atlas, diagram_id: str, lang: str) -> None:
    diagram = atlas.diagrams.get(diagram_id)
    if diagram is None:
        return
    with st.container(border=True, key=K + "preview"):
        # The full artefact opens in a new tab (what Markdown links do), so the answers being
        # typed stay where they are; a relative link also works under a proxy's path prefix.
        link = f"{diagram.id}?{urlencode({'lang': lang})}"
        st.caption(f"{ui.md_escape(ui.t('survey.preview', title=tr(diagram.title, lang)))} · "
                   f"[{ui.t('survey.open_artefact')} :material/open_in_new:]({link})")
        if not _plot_preview(diagram, lang):
            labels = [ui.md_escape(n.figure_label(lang)) for n in diagram.ordered_nodes()]
            st.markdown(" · ".join(labels))


def _plot_preview(diagram: Any, lang: str) -> bool:
    """The artefact's own figure as a cached static SVG image (a plotly chart per respondent and
    run cost a fifth of the server's time in the workshop burst); False when it cannot be drawn."""
    try:
        from components import figures
        phone = figures.is_compact_client(st.context.headers.get("User-Agent"))
    except Exception:
        phone = False
    try:
        uri = _preview_uri(_atlas().content_version, diagram.id, lang, phone)
    except Exception:  # a preview must never break the questionnaire
        log.exception("questionnaire: preview of %s failed", diagram.id)
        return False
    width = PHONE_PREVIEW_WIDTH if phone else DESKTOP_PREVIEW_WIDTH
    alt = html.escape(ui.t("survey.preview", title=tr(diagram.title, lang)), quote=True)
    st.html(f'<img src="{uri}" alt="{alt}" style="width:100%;max-width:{int(width)}px;height:auto"/>')
    return True


@st.cache_data(max_entries=64, show_spinner=False)
def _preview_uri(content_version: str, diagram_id: str, lang: str, compact: bool) -> str:
    """Keyed on the content version, so an edited artefact gets a new picture."""
    from urllib.parse import quote

    from components.diagram_export import to_svg

    svg = to_svg(_atlas().diagrams[diagram_id], lang, compact=compact)
    return "data:image/svg+xml;charset=utf-8," + quote(svg, safe="")


PHONE_PREVIEW_WIDTH = 330.0
DESKTOP_PREVIEW_WIDTH = 460.0


def thumbnail(fig: Any, max_width: float | None) -> Any:
    """Give a figure drawn in pixel-like data units its natural width, scaled down to
    ``max_width``: plot size, fonts, markers and line widths shrink together, so nothing overlaps."""
    x0, x1 = fig.layout.xaxis.range
    y0, y1 = fig.layout.yaxis.range
    width, height = abs(x1 - x0), abs(y1 - y0)
    s = min(1.0, max_width / width) if max_width else 1.0
    fig.update_layout(width=round(width * s), height=round(height * s), autosize=False)
    if s == 1.0:
        return fig

    def scaled(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list | tuple):
            return [v * s if isinstance(v, int | float) else v for v in value]
        return value * s if isinstance(value, int | float) else value

    if fig.layout.font and fig.layout.font.size:
        fig.layout.font.size = fig.layout.font.size * s
    for ann in fig.layout.annotations or ():
        if ann.font and ann.font.size:
            ann.font.size = ann.font.size * s
        if ann.arrowwidth:
            ann.arrowwidth = ann.arrowwidth * s
        if ann.standoff:
            ann.standoff = ann.standoff * s
    for shape in fig.layout.shapes or ():
        if shape.line and shape.line.width:
            shape.line.width = shape.line.width * s
    for trace in fig.data:
        if getattr(trace, "textfont", None) is not None and trace.textfont.size is not None:
            trace.textfont.size = scaled(trace.textfont.size)
        marker = getattr(trace, "marker", None)
        if marker is not None:
            if marker.size is not None:
                marker.size = scaled(marker.size)
            if marker.line and marker.line.width is not None:
                marker.line.width = scaled(marker.line.width)
    return fig


def _scroll_to(question_id: str | None) -> None:
    """After Start, Next or Back the new section starts at its top, also on a phone; after a failed
    check the first question that needs attention is brought into view. The counter makes each
    script different, so the browser runs it again on consecutive clicks."""
    count = st.session_state[K + "scrolls"] = st.session_state.get(K + "scrolls", 0) + 1
    doc = "window.parent.document"
    if question_id and sv.QUESTION_ID_RE.match(question_id):
        script = (f"const el = {doc}.querySelector('.st-key-survey-box-{question_id}');"
                  " if (el) { el.scrollIntoView({block: 'center'}); }")
    else:
        script = (f"const m = {doc}.querySelector('[data-testid=\"stMain\"]');"
                  " if (m) { m.scrollTo({top: 0}); } window.parent.scrollTo({top: 0});")
    st.iframe(f"<script>/* {count} */ {script}</script>", height=1)


def _render_done() -> None:
    status, receipt_ok = st.session_state.get(K_OUTCOME, ("stored", True))
    receipt = st.session_state.get(K_RECEIPT)
    if status == storage.SubmitStatus.WITHDRAWN.value:
        st.warning(ui.t("survey.done.withdrawn"), icon=":material/block:")
        return
    st.success(ui.t("survey.done.title"), icon=":material/check_circle:")
    if status == storage.SubmitStatus.STORED.value or (receipt_ok and receipt):
        st.markdown(ui.t("survey.done.text"))
        st.markdown(f"**{ui.t('survey.done.receipt_label')}**")
        st.code(receipt, language=None, wrap_lines=True)
        st.caption(ui.t("survey.done.receipt_help"))
        st.download_button(
            ui.t("survey.done.download"), data=ui.t("survey.done.receipt_file", code=receipt),
            file_name="mlops-atlas-receipt.txt", mime="text/plain", on_click="ignore",
            icon=":material/download:", key=K + "download",
        )
    else:
        st.markdown(ui.t("survey.done.already"))


def _render_withdraw() -> None:
    """Built only while open (few respondents withdraw; every phone would pay for the form)."""
    message = st.session_state.get(K_WITHDRAW)  # the form is open when it gets one
    box = st.expander(ui.t("survey.withdraw.title"), icon=":material/delete:",
                      key=K_WITHDRAW_OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        st.markdown(ui.t("survey.withdraw.intro"))
        with st.form(K + "withdraw_form", clear_on_submit=False, border=False):
            st.text_input(ui.t("survey.withdraw.code"), key=K + "withdraw_code", max_chars=64,
                          placeholder="XXXX-XXXX-XXXX-…")
            st.form_submit_button(ui.t("survey.withdraw.button"), on_click=_withdraw)
        if message == "survey.withdraw.done":
            st.success(ui.t(message), icon=":material/check:")
        elif message:
            st.warning(ui.t(message), icon=":material/info:")
