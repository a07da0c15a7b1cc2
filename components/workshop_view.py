"""The presenter's control page (``pages/workshop.py``) and the workshop helpers other pages call.

Every decision lives in ``components.workshop``; this module reads the session from the database,
draws it, and turns clicks into the guarded state changes there. The page refreshes itself every few
seconds (one session, the presenter's), so it follows the projector's clicker and counts answers.
"""

from __future__ import annotations

import html
from datetime import datetime

import streamlit as st

from components import access, access_view, ui
from components import workshop as ws
from components.qr import join_card_html

SESSION_KEY = "workshop_code"
FLASH_KEY = "workshop_flash"
CONFIRM_END_KEY = "workshop_confirm_end"
REVEAL_KEY = "workshop_reveal"
JUMP_KEY = "workshop_jump"
PRESENTER_REFRESH = "3s"
STATE_ICONS = {
    ws.DRAFT: ":material/hourglass_empty:",
    ws.OPEN: ":material/play_circle:",
    ws.CLOSED: ":material/stop_circle:",
    ws.ENDED: ":material/flag:",
}
STATE_COLORS = {ws.DRAFT: "gray", ws.OPEN: "green", ws.CLOSED: "orange", ws.ENDED: "violet"}


# ------------------------------------------------------------------------------------------ shared


def engine():
    """The shared storage engine."""
    return ui.database_engine()


base_url = ui.public_base_url


def join_card(code: str, lang: str, size_css: str, page_path: str) -> str:
    url = ws.join_url(base_url(page_path), code, lang)
    return join_card_html(
        url, code, alt=ui.t("workshop.qr_alt"), code_label=ui.t("workshop.code_label"), size_css=size_css
    )


def state_badge(state: str) -> None:
    st.badge(
        ui.t(f"workshop.state.{state}"), icon=STATE_ICONS.get(state), color=STATE_COLORS.get(state, "gray")
    )


def _flash(key: str) -> None:
    st.session_state[FLASH_KEY] = key


def _show_flash() -> None:
    key = st.session_state.pop(FLASH_KEY, None)
    if key:
        st.toast(ui.t(key), icon=":material/sync_problem:")


# ----------------------------------------------------------------------------------- presenter page


def render_presenter_page() -> None:
    ui.get_atlas()  # first: routes a deep link on a fresh server through app.py
    st.title(ui.t("workshop.title"), anchor=False)
    if not access_view.require_researcher():
        return
    try:
        eng = engine()
        code = st.session_state.get(SESSION_KEY) or ws.normalize_code(st.query_params.get("session"))
        session = ws.get_session(eng, code) if code else None
    except Exception:
        st.error(ui.t("workshop.no_storage"), icon=":material/database_off:")
        return
    if session is None:
        st.session_state.pop(SESSION_KEY, None)
        if "session" in st.query_params:
            del st.query_params["session"]
        _session_picker(eng)
        return
    st.session_state[SESSION_KEY] = session.code
    st.query_params["session"] = session.code
    _control_panel(session.code)


def _start(eng) -> None:
    session = ws.create_session(eng)
    st.session_state[SESSION_KEY] = session.code
    st.session_state.pop(CONFIRM_END_KEY, None)


def _resume(code: str) -> None:
    st.session_state[SESSION_KEY] = code
    st.session_state.pop(CONFIRM_END_KEY, None)


def _leave() -> None:
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(CONFIRM_END_KEY, None)
    if "session" in st.query_params:
        del st.query_params["session"]


def _session_picker(eng) -> None:
    st.markdown(ui.t("workshop.intro"))
    st.button(
        ui.t("workshop.start"),
        type="primary",
        icon=":material/add_circle:",
        help=ui.t("workshop.start_help"),
        on_click=_start,
        args=(eng,),
        key="workshop_start",
    )
    sessions = ws.recent_sessions(eng)
    st.subheader(ui.t("workshop.resume_title"), anchor=False)
    if not sessions:
        st.caption(ui.t("workshop.none_running"))
    for session in sessions:
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            created = (
                session.created_at.strftime("%Y-%m-%d %H:%M UTC")
                if isinstance(session.created_at, datetime)
                else ""
            )
            st.markdown(
                ui.t(
                    "workshop.resume_row",
                    code=session.code,
                    state=ui.t(f"workshop.state.{session.state}"),
                    created=created,
                )
            )
            st.button(
                ui.t("workshop.resume"),
                key=f"resume_{session.code}",
                on_click=_resume,
                args=(session.code,),
                icon=":material/play_arrow:",
            )
    access_view.lock_button()


# -- callbacks (run before the rerun, so the page draws the new state) -----------------------------


def _act(code: str, action: str, seen: str) -> None:
    try:
        ws.apply_action(engine(), code, action, seen)
    except (ws.ConflictError, ws.TransitionError):
        _flash("workshop.conflict")
    st.session_state.pop(CONFIRM_END_KEY, None)


def _move(code: str, seen: int, new: int) -> None:
    if not ws.set_step(engine(), code, seen, new):
        _flash("workshop.conflict")


def _jump(code: str, seen: int) -> None:
    target = st.session_state.get(JUMP_KEY)
    if isinstance(target, int) and target != seen:
        _move(code, seen, target)


def _reveal(code: str) -> None:
    ws.set_revealed(engine(), code, bool(st.session_state.get(REVEAL_KEY)))


def _projector_link(code: str, lang: str) -> str:
    """Relative, so the projector tab opens on the same server as this page; the key lets that tab
    drive the slides with a clicker without typing the researcher secret."""
    from urllib.parse import urlencode

    params = {"session": code, "lang": lang}
    secret = access.configured_secret(st.secrets)
    if secret:
        params["key"] = ws.presenter_token(secret, code)
    return "present?" + urlencode(params)


@st.fragment(run_every=PRESENTER_REFRESH)
def _control_panel(code: str) -> None:
    _show_flash()
    eng = engine()
    session = ws.get_session(eng, code)
    if session is None:
        st.rerun()
    atlas = ui.get_atlas()
    lang = ui.lang()
    deck = ws.build_deck(atlas)
    step = ws.clamp_step(session.step, deck)
    ended = session.state == ws.ENDED
    from components.model import tr

    title = f"{ui.t('workshop.slide.title')} · {tr(atlas.title, lang)}"
    join = ui.t("workshop.slide.join")
    labels = [ws.slide_label(s, atlas, lang, title, join) for s in deck]

    with st.container(horizontal=True, vertical_alignment="center", key="workshop_head"):
        st.subheader(ui.t("workshop.session", code=session.code), anchor=False)
        state_badge(session.state)
        st.space("stretch")
        st.button(
            ui.t("workshop.leave"),
            key="workshop_leave",
            on_click=_leave,
            icon=":material/list:",
            type="tertiary",
        )
        st.link_button(
            ui.t("workshop.open_projector"),
            _projector_link(session.code, lang),
            type="primary",
            icon=":material/slideshow:",
            help=ui.t("workshop.projector_help"),
            disabled=ended,
        )

    if ended:
        st.info(ui.t("workshop.ended_note"), icon=":material/flag:")

    slides, questionnaire, join_col = st.columns([1.2, 1, 1], gap="medium")
    with slides.container(border=True):
        st.markdown(f"**{ui.t('workshop.presentation')}**")
        st.html(
            '<div style="font-size:1.3rem;font-weight:700;line-height:1.25;margin:.2rem 0 .3rem 0">'
            f"{html.escape(labels[step])}</div>"
        )
        from components.present_view import slide_thumbnail

        thumbnail = slide_thumbnail(atlas, deck[step], lang)
        if thumbnail:
            st.html(
                f'<img src="{thumbnail}" alt="" style="width:100%;max-height:12rem;object-fit:contain;'
                'border:1px solid #E1E7ED;border-radius:8px;background:#fff"/>'
            )
        st.progress((step + 1) / len(deck), text=ui.t("workshop.slide_of", n=step + 1, total=len(deck)))
        with st.container(horizontal=True):
            st.button(
                ui.t("workshop.prev"),
                key="workshop_prev",
                icon=":material/arrow_back:",
                on_click=_move,
                args=(session.code, step, step - 1),
                disabled=ended or step == 0,
                width="stretch",
            )
            st.button(
                ui.t("workshop.next"),
                key="workshop_next",
                icon=":material/arrow_forward:",
                on_click=_move,
                args=(session.code, step, step + 1),
                disabled=ended or step >= len(deck) - 1,
                type="primary",
                width="stretch",
            )
        if step < len(deck) - 1:
            st.caption(ui.t("workshop.up_next", label=labels[step + 1]))
        st.session_state[JUMP_KEY] = step
        st.selectbox(
            ui.t("workshop.jump"),
            options=list(range(len(deck))),
            format_func=lambda i: f"{i + 1}. {labels[i]}",
            key=JUMP_KEY,
            on_change=_jump,
            args=(session.code, step),
            disabled=ended,
        )

    with questionnaire.container(border=True):
        st.markdown(f"**{ui.t('workshop.questionnaire')}**")
        count = _count(session.code)
        st.metric(ui.t("workshop.responses"), count)
        for action in ws.allowed_actions(session.state):
            if action == "end":
                continue
            label = (
                "workshop.action.reopen"
                if action == "open" and session.state == ws.CLOSED
                else (f"workshop.action.{action}")
            )
            st.button(
                ui.t(label),
                key=f"workshop_{action}",
                on_click=_act,
                args=(session.code, action, session.state),
                type="primary" if action == "open" else "secondary",
                icon=":material/play_arrow:" if action == "open" else ":material/stop:",
                width="stretch",
            )
        st.session_state[REVEAL_KEY] = session.results_revealed
        st.toggle(
            ui.t("workshop.reveal"),
            key=REVEAL_KEY,
            on_change=_reveal,
            args=(session.code,),
            help=ui.t("workshop.reveal_help"),
            disabled=ended,
        )

    with join_col.container(border=True):
        st.markdown(f"**{ui.t('workshop.join_title')}**")
        base = base_url("workshop")
        st.html(join_card(session.code, lang, "min(14rem, 100%)", "workshop"))
        if ws.is_loopback(base):
            from urllib.parse import urlsplit

            st.warning(
                ui.t("workshop.loopback_warning", host=urlsplit(base).netloc), icon=":material/wifi_off:"
            )

    if not ended:
        if st.session_state.get(CONFIRM_END_KEY):
            with st.container(border=True):
                st.warning(ui.t("workshop.end_confirm", code=session.code), icon=":material/warning:")
                with st.container(horizontal=True):
                    st.button(
                        ui.t("workshop.end_yes"),
                        key="workshop_end_yes",
                        type="primary",
                        icon=":material/flag:",
                        on_click=_act,
                        args=(session.code, "end", session.state),
                    )
                    st.button(
                        ui.t("workshop.end_no"),
                        key="workshop_end_no",
                        on_click=lambda: st.session_state.pop(CONFIRM_END_KEY, None),
                    )
        else:
            st.button(
                ui.t("workshop.action.end"),
                key="workshop_end",
                icon=":material/flag:",
                on_click=lambda: st.session_state.__setitem__(CONFIRM_END_KEY, True),
            )


def _count(code: str) -> int:
    from components import storage

    return storage.count_responses(engine(), session_code=code)
