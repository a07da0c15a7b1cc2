"""The projector view (``pages/present.py``): the artefacts one slide at a time, in large type.

``/present?session=<code>`` follows the workshop session stored in the database: a small fragment
re-reads it every couple of seconds through a one-second cache (so any number of open projector tabs
cost about one query per second) and reruns the page when the presenter moved. With the presenter's
``key`` (linked from the presenter page) the tab also *drives* the session, so a clicker works: the
Previous/Next buttons carry keyboard shortcuts (arrow keys, Page Up/Page Down — what clickers send).
``/present`` without a session is a plain slideshow driven from the keyboard.

Slides are drawn from the diagram figures' own scene (``components.figures``) as SVG images, with the
current step highlighted, so the projector shows what the diagram pages show.
"""

from __future__ import annotations

import html
from urllib.parse import quote

import streamlit as st

from components import access, ui
from components import workshop as ws
from components import workshop_view as wv
from components.model import Atlas, Diagram, tr

LIVE_REFRESH = "2s"
LOCAL_STEP_KEY = "present_step"
DRIVER_KEY = "present_driver"

CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"] { display: none !important; }
[data-testid="stMain"] { margin-left: 0 !important; }
[data-testid="stMainBlockContainer"], .block-container {
  padding: 1.4rem 2.4rem 4.6rem 2.4rem !important; max-width: 100% !important; }
.atlas-p { color: #1B2733; line-height: 1.3; }
.atlas-p .kicker { font-size: clamp(0.85rem, 1.15vw, 1.6rem); text-transform: uppercase;
  letter-spacing: .08em; color: #4F5D6B; font-weight: 600; margin: 0 0 .35em 0; }
.atlas-p h1 { font-size: clamp(2rem, 3.5vw, 4.6rem); line-height: 1.08; margin: 0 0 .3em 0; padding: 0;
  font-weight: 700; }
.atlas-p h2 { font-size: clamp(1.6rem, 2.6vw, 3.4rem); line-height: 1.12; margin: 0 0 .35em 0; padding: 0;
  font-weight: 700; }
.atlas-p .lead { font-size: clamp(1.1rem, 1.75vw, 2.3rem); margin: 0 0 .6em 0; }
.atlas-p .body { font-size: clamp(0.95rem, 1.3vw, 1.7rem); margin: 0 0 .6em 0; color: #2B3947; }
.atlas-p .muted { color: #4F5D6B; font-size: clamp(0.85rem, 1.05vw, 1.4rem); }
.atlas-p ul { margin: .2em 0 .6em 1.1em; padding: 0; font-size: clamp(1rem, 1.4vw, 1.85rem); }
.atlas-p li { margin: .15em 0; }
.atlas-p .num { display: inline-flex; align-items: center; justify-content: center; min-width: 1.5em;
  height: 1.5em; border-radius: 999px; color: #fff; font-weight: 700; margin-right: .35em; font-size: .85em; }
.atlas-p .swatch { display: inline-block; width: .8em; height: .8em; border-radius: 3px; margin-right: .4em; }
.atlas-p .feedback { border-left: 6px solid #D55E00; background: #FDF1EA; padding: .5em .8em; margin: .3em 0;
  border-radius: 6px; font-size: clamp(1rem, 1.4vw, 1.85rem); }
.atlas-p .feedback b { color: #A94400; }
.atlas-p h1.hero { font-size: clamp(2.6rem, 5vw, 6.4rem); }
.atlas-figure { width: 100%; display: flex; justify-content: center; align-items: center; }
.atlas-figure img { width: 100%; height: auto; max-height: calc(100vh - 9.5rem); object-fit: contain; }
.atlas-figure.wide img { max-height: 46vh; }
.st-key-present_slide { min-height: calc(100vh - 6.4rem); justify-content: center; }
.atlas-progress { position: fixed; left: 0; bottom: 0; height: 5px; background: #0072B2; z-index: 1001; }
.atlas-count { font-size: clamp(3rem, 7vw, 9rem); font-weight: 800; line-height: 1; color: #0072B2; }
.atlas-bars { width: 100%; font-size: clamp(0.95rem, 1.3vw, 1.7rem); }
.atlas-bars .row { display: grid; grid-template-columns: 38% 1fr 4.2em; gap: .6em; align-items: center;
  margin: .3em 0; }
.atlas-bars .track { background: #E6EBF0; border-radius: 6px; height: 1.05em; overflow: hidden; }
.atlas-bars .fill { background: #0072B2; height: 100%; }
.atlas-bars .pct { font-weight: 700; text-align: right; }
.atlas-join figcaption { font-size: clamp(1rem, 1.5vw, 2rem); }
.st-key-present_nav { position: fixed; left: 1.2rem; bottom: .7rem; z-index: 1000; width: auto !important;
  opacity: .55; }
.st-key-present_nav:hover { opacity: 1; }
.st-key-present_keys { position: fixed; left: -10000px; top: 0; width: 1px !important; height: 1px;
  overflow: hidden; }
.st-key-present_footer { position: fixed; left: 50%; transform: translateX(-50%); bottom: .9rem;
  width: auto !important; z-index: 999; }
.st-key-present_badge { position: fixed; right: 1rem; bottom: .8rem; z-index: 1000; width: auto !important;
  background: #fff; border: 1px solid #C9D2DB; border-radius: 12px; padding: .4rem .7rem .4rem .4rem;
  box-shadow: 0 4px 18px rgba(27, 39, 51, .12); }
.atlas-badge { display: flex; gap: .6rem; align-items: center; }
.atlas-badge img { width: clamp(4.2rem, 6.2vw, 8.5rem); height: auto; }
.atlas-badge .code { font-family: ui-monospace, monospace; font-weight: 700; letter-spacing: .1em;
  font-size: clamp(1rem, 1.6vw, 2.2rem); }
.atlas-badge .count { font-size: clamp(1.3rem, 2.2vw, 3rem); font-weight: 800; color: #0072B2;
  line-height: 1; }
.atlas-badge .label { font-size: clamp(.75rem, .95vw, 1.25rem); color: #4F5D6B; }
</style>
"""


def _esc(text: str) -> str:
    return html.escape(text or "", quote=True)


# ------------------------------------------------------------------------------------------ figures

STACK_ASPECT = 2.2
"""Figures wider than this (flows, one-row matrices) go above the text instead of beside it."""


@st.cache_data(max_entries=512, show_spinner=False)
def _figure_uri(
    content_version: str, diagram_id: str, lang: str, highlighted: tuple[str, ...]
) -> tuple[str, float]:
    """The diagram as an SVG data URI with ``highlighted`` nodes marked, and its aspect ratio; cached
    per slide, since the drawing only depends on the artefacts, the language and the highlight."""
    from components.diagram_export import scene_svg
    from components.figures import build_scene

    diagram = ui.get_atlas().diagrams[diagram_id]
    scene = build_scene(diagram, lang)
    for card in scene.cards:
        card.selected = card.node_id in highlighted
    svg = scene_svg(scene, tr(diagram.title, lang), tr(diagram.summary, lang))
    aspect = scene.width / scene.height if scene.height else 1.0
    return "data:image/svg+xml;charset=utf-8," + quote(svg, safe=""), aspect


def slide_thumbnail(atlas: Atlas, slide: ws.Slide, lang: str) -> str | None:
    """The slide's figure as a data URI (for the presenter's preview), or None for text slides."""
    diagram = atlas.diagrams.get(slide.diagram or "")
    if diagram is None:
        return None
    highlighted = ws.highlighted_nodes(slide, diagram)
    return _figure_uri(atlas.content_version, diagram.id, lang, tuple(sorted(highlighted)))[0]


def _slide(atlas: Atlas, diagram: Diagram, lang: str, highlighted: set[str], head: str, body: str) -> None:
    """One diagram slide: the figure beside the text, or above it when the figure is wide."""
    uri, aspect = _figure_uri(atlas.content_version, diagram.id, lang, tuple(sorted(highlighted)))
    image = f'<img src="{uri}" alt="{_esc(tr(diagram.title, lang))}"/>'
    if aspect > STACK_ASPECT:
        st.html(f'<div class="atlas-figure wide">{image}</div>')
        left, right = st.columns([1, 1], gap="large")
        left.html(f'<div class="atlas-p">{head}</div>')
        if body:
            right.html(f'<div class="atlas-p">{body}</div>')
        return
    figure, text = st.columns([3, 2], gap="large", vertical_alignment="center")
    figure.html(f'<div class="atlas-figure">{image}</div>')
    text.html(f'<div class="atlas-p">{head}{body}</div>')


# ------------------------------------------------------------------------------------------ slides


def _title_slide(atlas: Atlas, lang: str, session: ws.WorkshopSession | None) -> None:
    text, qr = st.columns([3, 2], gap="large", vertical_alignment="center")
    text.html(
        f'<div class="atlas-p"><h1 class="hero">{_esc(tr(atlas.title, lang))}</h1>'
        f'<p class="lead">{_esc(tr(atlas.tagline, lang))}</p></div>'
    )
    if session is not None and session.state != ws.ENDED:
        with qr:
            st.html(
                f'<div class="atlas-p" style="text-align:center"><p class="kicker">'
                f"{_esc(ui.t('workshop.present.join_short'))}</p></div>"
            )
            st.html(wv.join_card(session.code, lang, "min(52vh, 30vw)", "present"))


def _overview_slide(atlas: Atlas, diagram: Diagram, lang: str) -> None:
    source = f'<p class="muted">{_esc(tr(diagram.source, lang))}</p>' if diagram.source else ""
    head = f"<h1>{_esc(tr(diagram.title, lang))}</h1>"
    body = (
        f'<p class="lead">{_esc(tr(diagram.summary, lang))}</p>'
        f'<p class="muted">{_esc(ui.t("workshop.present.elements", count=len(diagram.nodes)))}</p>{source}'
    )
    _slide(atlas, diagram, lang, set(), head, body)


def _node_slide(atlas: Atlas, diagram: Diagram, node_id: str, lang: str) -> None:
    node = diagram.node(node_id)
    if node is None:
        _overview_slide(atlas, diagram, lang)
        return
    group = diagram.group(node.group)
    accent = group.color if group else "#0072B2"
    number = ""
    if node.number is not None:
        number = f'<span class="num" style="background:{_esc(accent)}">{node.number}</span>'
    announced = ""
    for edge in ws.feedback_edges(diagram, node.id):
        target = diagram.node(edge.target)
        arrow = f"↺ {_esc(tr(target.label, lang))}" if target else ""
        label = f"<br/>{_esc(tr(edge.label, lang))}" if edge.label else ""
        announced += (
            f'<div class="feedback"><b>{_esc(ui.t("workshop.present.feedback"))}</b> {arrow}{label}</div>'
        )
    head = (
        f'<p class="kicker">{_esc(tr(diagram.title, lang))} · {_esc(tr(diagram.node_label, lang))}</p>'
        f"<h2>{number}{_esc(tr(node.label, lang))}</h2>"
        f'<p class="lead">{_esc(tr(node.summary, lang))}</p>'
    )
    body = f'<p class="body">{_esc(tr(node.description, lang))}</p>{announced}'
    _slide(atlas, diagram, lang, {node.id}, head, body)


def _group_slide(atlas: Atlas, diagram: Diagram, group_id: str, lang: str) -> None:
    group = diagram.group(group_id)
    if group is None:
        _overview_slide(atlas, diagram, lang)
        return
    members = [n for n in diagram.ordered_nodes() if n.group == group.id]
    items = "".join(f"<li>{_esc(tr(n.label, lang))}</li>" for n in members)
    swatch = f'<span class="swatch" style="background:{_esc(group.color)}"></span>'
    head = (
        f'<p class="kicker">{_esc(tr(diagram.title, lang))}</p><h2>{swatch}{_esc(tr(group.label, lang))}</h2>'
    )
    description = f'<p class="lead">{_esc(tr(group.description, lang))}</p>' if group.description else ""
    _slide(atlas, diagram, lang, {n.id for n in members}, head, f"{description}<ul>{items}</ul>")


def _join_slide(lang: str, session: ws.WorkshopSession | None) -> None:
    qr, live = st.columns([2, 3], gap="large", vertical_alignment="center")
    if session is None:
        with qr:
            url = f"{wv.base_url('present')}/questionnaire?lang={lang}"
            from components.qr import join_card_html

            st.html(join_card_html(url, None, alt=ui.t("workshop.qr_alt"), size_css="min(58vh, 32vw)"))
        with live:
            st.html(
                f'<div class="atlas-p"><h1>{_esc(ui.t("workshop.present.join_title"))}</h1>'
                f'<p class="lead">{_esc(ui.t("workshop.present.join_text"))}</p></div>'
            )
        return
    with qr:
        if session.state in (ws.DRAFT, ws.OPEN):
            st.html(wv.join_card(session.code, lang, "min(58vh, 32vw)", "present"))
    with live:
        _live_panel(session.code, _signature(session), "join")


# ---------------------------------------------------------------------------------------- live panel


@st.cache_data(ttl=1, max_entries=64, show_spinner=False)
def _session_snapshot(code: str) -> ws.WorkshopSession | None:
    """One read per second per code for the whole process, however many tabs follow the session."""
    return ws.get_session(wv.engine(), code)


@st.cache_data(ttl=2, max_entries=64, show_spinner=False)
def _live_numbers(code: str, with_summary: bool) -> ws.LiveNumbers:
    return ws.live_numbers(wv.engine(), code, ui.get_atlas().survey, with_summary)


def _signature(session: ws.WorkshopSession) -> tuple:
    return session.step, session.state, session.results_revealed


def _bars(agreement: list[ws.Agreement], lang: str) -> str:
    survey = ui.get_atlas().survey
    rows = []
    for item in agreement:
        criterion = survey.criterion(item.criterion) if survey else None
        label = tr(criterion.label, lang) if criterion else item.criterion
        share = item.share
        pct = f"{share * 100:.0f}%" if share is not None else "—"
        width = f"{(share or 0) * 100:.1f}%"
        rows.append(
            f'<div class="row"><div>{_esc(label)}</div><div class="track"><div class="fill" '
            f'style="width:{width}"></div></div><div class="pct">{pct}</div></div>'
        )
    return '<div class="atlas-bars">' + "".join(rows) + "</div>"


@st.fragment(run_every=LIVE_REFRESH)
def _live_panel(code: str, rendered: tuple, mode: str) -> None:
    """Follow the session (rerun the page when the presenter moved) and show the live numbers."""
    session = _session_snapshot(code)
    if session is None or _signature(session) != rendered:
        st.rerun(scope="app")
    lang = ui.lang()
    if mode == "none":
        return
    if mode == "badge":
        if session.state != ws.OPEN:
            return
        numbers = _live_numbers(code, False)
        url = ws.join_url(wv.base_url("present"), code, lang)
        from components.qr import qr_data_uri

        with st.container(key="present_badge"):
            st.html(
                f'<div class="atlas-badge"><img src="{_esc(qr_data_uri(url))}" '
                f'alt="{_esc(ui.t("workshop.qr_alt"))}"/>'
                f'<div><div class="code">{_esc(code)}</div>'
                f'<div><span class="count">{numbers.count}</span> '
                f'<span class="label">{_esc(ui.t("workshop.present.responses"))}</span></div></div></div>'
            )
        return
    numbers = _live_numbers(code, session.results_revealed)
    heading = {
        ws.DRAFT: ui.t("workshop.present.join_title"),
        ws.OPEN: ui.t("workshop.present.join_title"),
        ws.CLOSED: ui.t("workshop.present.closed"),
        ws.ENDED: ui.t("workshop.present.ended"),
    }[session.state]
    sub = {
        ws.DRAFT: ui.t("workshop.present.not_open"),
        ws.OPEN: ui.t("workshop.present.join_text"),
    }.get(session.state, "")
    if session.results_revealed:
        results = (
            f'<p class="kicker" style="margin-top:1em">{_esc(ui.t("workshop.present.results_title"))}</p>'
            + (
                _bars(numbers.agreement, lang)
                if numbers.count
                else f'<p class="body">{_esc(ui.t("workshop.present.no_results"))}</p>'
            )
            + f'<p class="muted">{_esc(ui.t("workshop.present.results_note"))}</p>'
        )
    else:
        results = f'<p class="muted">{_esc(ui.t("workshop.present.results_hidden"))}</p>'
    st.html(
        f'<div class="atlas-p"><h1>{_esc(heading)}</h1>'
        + (f'<p class="lead">{_esc(sub)}</p>' if sub else "")
        + f'<div class="atlas-count" data-testid="atlas-live-count">{numbers.count}</div>'
        f'<p class="body">{_esc(ui.t("workshop.present.responses"))}</p>{results}</div>'
    )


# ------------------------------------------------------------------------------------------ driving


def _go(code: str | None, seen: int, new: int, last: int) -> None:
    new = max(0, min(new, last))
    if new == seen:
        return
    if code is None:
        st.session_state[LOCAL_STEP_KEY] = new
        st.query_params["step"] = str(new)
        return
    ws.set_step(wv.engine(), code, seen, new)
    _session_snapshot.clear()


def _controls(code: str | None, step: int, last: int) -> None:
    """Previous/Next with the keys clickers send (arrows; Page Up/Down on hidden twins)."""
    with st.container(key="present_nav", horizontal=True, gap="small"):
        st.button(
            "",
            key="present_prev",
            icon=":material/chevron_left:",
            help=ui.t("workshop.present.prev"),
            on_click=_go,
            args=(code, step, step - 1, last),
            shortcut="Left",
            disabled=step == 0,
        )
        st.button(
            "",
            key="present_next",
            icon=":material/chevron_right:",
            help=ui.t("workshop.present.next"),
            on_click=_go,
            args=(code, step, step + 1, last),
            shortcut="Right",
            disabled=step >= last,
        )
    with st.container(key="present_keys"):
        st.button(
            "PageUp", key="present_pgup", on_click=_go, args=(code, step, step - 1, last), shortcut="PageUp"
        )
        st.button(
            "PageDown",
            key="present_pgdn",
            on_click=_go,
            args=(code, step, step + 1, last),
            shortcut="PageDown",
        )


def _may_drive(code: str) -> bool:
    """The presenter's link carries a key derived from the researcher secret; the room's link doesn't."""
    if st.session_state.get(DRIVER_KEY) == code:
        return True
    if ws.token_valid(access.configured_secret(st.secrets), code, st.query_params.get("key")):
        st.session_state[DRIVER_KEY] = code
        return True
    return False


# ------------------------------------------------------------------------------------------ the page


def render_projector_page() -> None:
    atlas = ui.get_atlas()  # first: routes a deep link on a fresh server through app.py
    st.html(CSS)
    lang = ui.lang()
    deck = ws.build_deck(atlas)
    last = len(deck) - 1
    raw = st.query_params.get("session")
    code = ws.normalize_code(raw)
    session: ws.WorkshopSession | None = None
    if raw:
        try:
            session = _session_snapshot(code) if code else None
        except Exception:
            st.error(ui.t("workshop.no_storage"), icon=":material/database_off:")
            return
        if session is None:
            st.html(
                f'<div class="atlas-p" style="margin-top:20vh;text-align:center"><h2>'
                f"{_esc(ui.t('workshop.present.unknown', code=str(raw)[:16]))}</h2></div>"
            )
            return
        step = ws.clamp_step(session.step, deck)
        drive = _may_drive(session.code) and session.state != ws.ENDED
    else:
        if LOCAL_STEP_KEY not in st.session_state:
            try:
                st.session_state[LOCAL_STEP_KEY] = int(st.query_params.get("step", 0))
            except ValueError:
                st.session_state[LOCAL_STEP_KEY] = 0
        step = ws.clamp_step(st.session_state[LOCAL_STEP_KEY], deck)
        drive = True

    slide = deck[step]
    if session is not None and session.state == ws.ENDED:
        slide = ws.Slide(ws.JOIN)
    diagram = atlas.diagrams.get(slide.diagram or "")
    with st.container(key="present_slide"):
        if slide.kind == ws.TITLE:
            _title_slide(atlas, lang, session)
        elif slide.kind == ws.JOIN:
            _join_slide(lang, session)
        elif diagram is not None and slide.kind == ws.NODE and slide.node:
            _node_slide(atlas, diagram, slide.node, lang)
        elif diagram is not None and slide.kind == ws.GROUP and slide.group:
            _group_slide(atlas, diagram, slide.group, lang)
        elif diagram is not None:
            _overview_slide(atlas, diagram, lang)

    if drive:
        _controls(session.code if session else None, step, last)
    with st.container(key="present_footer"):
        st.html(f'<div class="atlas-p"><span class="muted">{step + 1} / {last + 1}</span></div>')
    st.html(f'<div class="atlas-progress" style="width:{(step + 1) / (last + 1) * 100:.2f}%"></div>')
    if session is not None and slide.kind not in (ws.JOIN, ws.TITLE):
        _live_panel(session.code, _signature(session), "badge")
    elif session is not None and slide.kind == ws.TITLE:
        _live_panel(session.code, _signature(session), "none")
