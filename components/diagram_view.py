"""The page of one diagram: the clickable figure, prev/next, the details panel, a text
alternative and the downloads.

Only wiring lives here: layout and drawing are in ``figures``, selection rules in ``selection``,
exports in ``diagram_export``. The interactive part runs in an ``st.fragment`` so a click reruns
the figure and its details, not the whole app, and figures are cached per (content version,
diagram, language, selection, filter, phone or not).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from components import diagram_export, figures, i18n, selection, ui
from components.memo import Memo
from components.model import Atlas, Diagram, Node, tr


def selected_key(diagram_id: str) -> str:
    """Session-state key of a diagram's selected node (the single source of truth)."""
    return f"atlas_node_{diagram_id}"


def chart_key(diagram_id: str, revision: int) -> str:
    """A new revision gives a new chart widget: the way to redraw a figure whose spec is equal."""
    return f"atlas_chart_{diagram_id}_{revision}"


def _drawn_key(diagram_id: str) -> str:
    return f"atlas_drawn_{diagram_id}"


def _clicked_key(diagram_id: str) -> str:
    return f"atlas_clicked_{diagram_id}"


def _redraw_key(diagram_id: str) -> str:
    return f"atlas_redraw_{diagram_id}"


def search_key(diagram_id: str) -> str:
    return f"atlas_search_{diagram_id}"


def groups_key(diagram_id: str) -> str:
    return f"atlas_groups_{diagram_id}"


# ---------------------------------------------------------------------------- state changes


def _select(diagram_id: str, node_id: str) -> None:
    st.session_state[selected_key(diagram_id)] = node_id
    st.query_params["node"] = node_id


def _on_chart_select(diagram_id: str, key: str, known: tuple[str, ...]) -> None:
    """A click on the figure. Plotly has already highlighted the node in the browser, so the
    figure is left as it is. A second click on a node deselects it there: the details keep the
    node and the figure is redrawn with it highlighted again."""
    state = st.session_state.get(key)
    chosen = getattr(state, "selection", None)
    if chosen is None and isinstance(state, Mapping):
        chosen = state.get("selection")
    node_id = selection.selected_node(chosen, known)
    if node_id:
        _select(diagram_id, node_id)
        st.session_state[_clicked_key(diagram_id)] = node_id
    else:
        st.session_state[_redraw_key(diagram_id)] = True


def _figure_args(diagram_id: str, lang: str, visible: tuple[str, ...] | None, compact: bool,
                 shown: str | None) -> tuple[tuple, int]:
    """The figure to send and the chart's revision (``selection.figure_to_send``)."""
    key = _drawn_key(diagram_id)
    drawn = selection.figure_to_send(
        st.session_state.get(key) or selection.DrawnFigure(),
        (lang, visible, compact, shown),
        st.session_state.pop(_clicked_key(diagram_id), None),
        st.session_state.pop(_redraw_key(diagram_id), False),
    )
    st.session_state[key] = drawn
    return drawn.args, drawn.revision


def _on_step(diagram_id: str, order: tuple[str, ...], delta: int, wrap: bool) -> None:
    target = selection.step(order, st.session_state.get(selected_key(diagram_id)), delta, wrap)
    if target:
        _select(diagram_id, target)


def _sync_deep_link(diagram: Diagram) -> str | None:
    """``?node=`` wins when it names a node of this diagram; otherwise the session's selection is
    written to the URL so the address bar is always a shareable link. Returns an unknown id."""
    requested = st.query_params.get("node")
    key = selected_key(diagram.id)
    if requested:
        if diagram.node(requested) is not None:
            st.session_state[key] = requested
            return None
        return requested
    current = st.session_state.get(key)
    if current and diagram.node(current) is not None:
        st.query_params["node"] = current
    return None


# ---------------------------------------------------------------------------- cached pieces


_FIGURES: Memo[go.Figure] = Memo(max_entries=512)


def _figure(version: str, diagram_id: str, lang: str, selected: str | None,
            visible: tuple[str, ...] | None, compact: bool, atlas: Atlas) -> go.Figure:
    """Shared, read-only figure objects: ``st.plotly_chart`` only serialises them."""
    return _FIGURES.get(
        (version, diagram_id, lang, selected, visible, compact),
        lambda: figures.FrozenFigure(
            figures.diagram_figure(atlas.diagrams[diagram_id], lang, selected, visible, compact)),
    )


def _is_compact() -> bool:
    try:
        agent = st.context.headers.get("User-Agent")
    except Exception:  # no request headers in bare runs and AppTest
        agent = None
    return figures.is_compact_client(agent)


def _base_url(diagram_id: str) -> str:
    return ui.public_base_url(diagram_id)


# ---------------------------------------------------------------------------- text helpers


def node_title(diagram: Diagram, node: Node, lang: str) -> str:
    label = tr(node.label, lang)
    return f"{node.number}. {label}" if node.number is not None else label


def _esc(text: str) -> str:
    return ui.md_escape(text)


def _node_link(diagram: Diagram, node: Node, lang: str) -> None:
    """A link that opens ``node`` selected on its own diagram's page, keeping the language."""
    label = _esc(node_title(diagram, node, lang))
    if (ui.REPO_ROOT / "pages" / f"{diagram.id}.py").exists():
        st.page_link(f"pages/{diagram.id}.py", label=label, icon=":material/arrow_outward:",
                     query_params={"node": node.id, "lang": lang})
    else:  # a diagram added in YAML only: its page is a function page without a file
        st.markdown(f"[{label}]({selection.share_url('', diagram.id, node.id, lang)})")


# ---------------------------------------------------------------------------- page parts


def _details(atlas: Atlas, diagram: Diagram, node: Node, lang: str) -> None:
    with st.container(border=True, key=f"atlas_details_{diagram.id}"):
        meta = [ui.t("diagrams.number", node_label=tr(diagram.node_label, lang), number=node.number)
                if node.number is not None else tr(diagram.node_label, lang)]
        group = diagram.group(node.group)
        if group is not None:
            meta.append(tr(group.label, lang))
        st.caption(" · ".join(_esc(m) for m in meta))
        st.subheader(_esc(tr(node.label, lang)), anchor=False)
        st.markdown(f"**{_esc(tr(node.summary, lang))}**\n\n{_esc(tr(node.description, lang))}")
        sections = [(tr(sec.title, lang), node.details.get(sec.id) or [])
                    for sec in diagram.sections]
        sections = [(title, items) for title, items in sections if items]
        related = atlas.related_by_diagram(node)
        refs = [atlas.references[r] for r in node.references if r in atlas.references]
        titles = [title for title, _ in sections]
        if related:
            titles.append(ui.t("diagrams.related"))
        if refs:
            titles.append(ui.t("diagrams.references"))
        if not titles:
            return _share(diagram, node, lang)
        # Only the open tab runs (lazy tabs): a click sends the first tab, not every link and
        # reference; the choice of tab is kept from node to node.
        tabs = iter(st.tabs(titles, key=f"atlas_tabs_{diagram.id}", on_change="rerun"))
        for _title, items in sections:
            if (tab := next(tabs)).open:
                with tab:
                    st.markdown("\n".join(f"- {_esc(tr(item, lang))}" for item in items))
        if related and (tab := next(tabs)).open:
            with tab:
                st.caption(_esc(ui.t("diagrams.related_hint")))
                for other, members in related:
                    st.markdown(f"**{_esc(tr(other.title, lang))}**")
                    for member in members:
                        _node_link(other, member, lang)
        if refs and (tab := next(tabs)).open:
            with tab:
                lines = []
                for ref in refs:
                    line = f"- {_esc(ref.citation)}"
                    if ref.url and ref.url.startswith(("https://", "http://")):
                        line += f" [{_esc(ref.url)}]({ref.url})"
                    lines.append(line)
                st.markdown("\n".join(lines))
        _share(diagram, node, lang)


def _share(diagram: Diagram, node: Node, lang: str) -> None:
    st.caption(_esc(ui.t("diagrams.share")))
    st.code(selection.share_url(_base_url(diagram.id), diagram.id, node.id, lang),
            language=None, wrap_lines=True)


def _unknown(atlas: Atlas, requested: str, lang: str) -> None:
    st.info(ui.t("diagrams.unknown_node", node=requested), icon=":material/help:")
    other = atlas.node(requested)
    if other is not None:
        home = atlas.diagrams[other.diagram]
        st.caption(_esc(ui.t("diagrams.elsewhere", label=tr(other.label, lang))))
        _node_link(home, other, lang)


def _filters(diagram: Diagram) -> tuple[str, list[str]]:
    """Search box (every matrix) and group filter (grouped matrices)."""
    if diagram.layout != "matrix":
        return "", []
    lang = ui.lang()
    left, right = st.columns([2, 3], vertical_alignment="center")
    with left:
        query = st.text_input(ui.t("diagrams.search"), key=search_key(diagram.id),
                              placeholder=ui.t("diagrams.search_placeholder"),
                              icon=":material/search:", label_visibility="collapsed")
    chosen: list[str] = []
    if diagram.groups:
        with right:
            names = {g.id: tr(g.label, lang) for g in diagram.groups}
            chosen = st.pills(ui.t("diagrams.group_filter"), options=list(names),
                              format_func=names.__getitem__, selection_mode="multi",
                              key=groups_key(diagram.id), wrap=True,
                              label_visibility="collapsed") or []
    return query or "", list(chosen)


def pick_key(diagram_id: str) -> str:
    """The accessible node list (one pills widget)."""
    return f"atlas_pick_{diagram_id}"


def _stepper(diagram: Diagram, order: list[str], current: str | None) -> None:
    """Previous / next through the nodes in reading order (cycles wrap around)."""
    wrap = diagram.layout == "cycle"
    with st.container(horizontal=True, vertical_alignment="center", gap="small",
                      key=f"atlas_stepper_{diagram.id}"):
        st.button(ui.t("diagrams.prev"), key=f"atlas_prev_{diagram.id}",
                  icon=":material/arrow_back:", on_click=_on_step,
                  args=(diagram.id, tuple(order), -1, wrap),
                  disabled=not selection.can_step(order, current, -1, wrap))
        st.button(ui.t("diagrams.next"), key=f"atlas_next_{diagram.id}",
                  icon=":material/arrow_forward:", icon_position="right", on_click=_on_step,
                  args=(diagram.id, tuple(order), +1, wrap),
                  disabled=not selection.can_step(order, current, +1, wrap))


def _on_list_pick(diagram_id: str) -> None:
    node_id = st.session_state.get(pick_key(diagram_id))
    if node_id:  # a second press on the chosen pill empties it: the selection stays
        _select(diagram_id, node_id)


def _node_list(diagram: Diagram, nodes: list[Node], lang: str, current: str | None) -> None:
    """The same nodes as one row of pills, for keyboard and screen-reader users: each selects
    its node like a click on the figure does, and the chosen one is shown pressed. One widget,
    not a button per node: under a crowd every widget is paid by every session."""
    key = pick_key(diagram.id)
    titles = {n.id: _esc(node_title(diagram, n, lang)) for n in nodes}
    st.session_state[key] = current if current in titles else None
    st.pills(ui.t("diagrams.list"), options=list(titles), format_func=titles.__getitem__,
             key=key, on_change=_on_list_pick, args=(diagram.id,),
             help=ui.t("diagrams.list_help"))


def _more(atlas: Atlas, diagram: Diagram, lang: str) -> None:
    """The text alternative and the downloads, built only while their expander is open."""
    box = st.expander(ui.t("diagrams.as_text_and_downloads"), icon=":material/notes:",
                      key=f"atlas_outline_{diagram.id}", on_change="rerun")
    if box.open:
        with box:
            _downloads(atlas, diagram, lang)
            st.markdown(text_outline(diagram, lang))


def text_outline(diagram: Diagram, lang: str) -> str:
    """Markdown: the nodes in order (by group for matrices) and every connection."""
    t = functools.partial(i18n.t, lang=lang)
    lines: list[str] = []
    ordered = diagram.ordered_nodes()
    if diagram.layout == "matrix" and diagram.groups:
        for group in diagram.groups:
            members = [n for n in ordered if n.group == group.id]
            labels = "; ".join(tr(n.label, lang) for n in members)
            lines.append("- " + _esc(t("diagrams.in_group", group=tr(group.label, lang),
                                       labels=labels)))
    else:
        lines.append(f"**{_esc(t('diagrams.order'))}**\n")
        for i, node in enumerate(ordered, start=1):
            number = node.number if node.number is not None else i
            group = diagram.group(node.group)
            extra = f" ({tr(group.label, lang)})" if group else ""
            lines.append(f"{number}. {_esc(tr(node.label, lang) + extra)}")
    if diagram.edges:
        lines.append(f"\n**{_esc(t('diagrams.connections'))}**\n")
        for edge in diagram.edges:
            a, b = diagram.node(edge.source), diagram.node(edge.target)
            if a is None or b is None:
                continue
            source, target = node_title(diagram, a, lang), node_title(diagram, b, lang)
            label = tr(edge.label, lang) if edge.label else ""
            if edge.kind == "feedback":
                key = "diagrams.edge_feedback" if label else "diagrams.edge_feedback_plain"
            else:
                key = "diagrams.edge_label" if label else "diagrams.edge"
            lines.append("- " + _esc(t(key, source=source, target=target, label=label)))
    return "\n".join(lines)


def _alt(diagram: Diagram, nodes: list[Node], lang: str) -> str:
    return ui.t("diagrams.alt", title=tr(diagram.title, lang), count=len(nodes),
                labels="; ".join(node_title(diagram, n, lang) for n in nodes))


def _current(diagram: Diagram) -> str | None:
    current = st.session_state.get(selected_key(diagram.id))
    return current if current is not None and diagram.node(current) is not None else None


@st.fragment
def _interactive(diagram_id: str, visible: tuple[str, ...] | None, compact: bool) -> None:
    """The figure and the details: all that a click on the figure reruns."""
    atlas = ui.get_atlas()
    lang = ui.lang()
    diagram = atlas.diagrams[diagram_id]
    unknown = _sync_deep_link(diagram)
    current = _current(diagram)
    if unknown:
        _unknown(atlas, unknown, lang)
    nodes = [n for n in diagram.ordered_nodes() if visible is None or n.id in visible]
    if nodes:  # here, not outside: a click on the figure must update them too
        _stepper(diagram, [n.id for n in nodes], current)
    fig_col, detail_col = st.columns([5, 3], gap="medium")
    # The details go out first: they are what a click is for (the browser shows each part as soon
    # as it arrives), and after a click the figure is sent unchanged.
    with detail_col:
        node = diagram.node(current) if current else None
        if node is not None:
            _details(atlas, diagram, node, lang)
        else:
            st.info(ui.t("diagrams.prompt"), icon=":material/touch_app:")
    with fig_col:
        if visible is not None:
            st.caption(ui.t("diagrams.matches", shown=len(nodes), total=len(diagram.nodes)))
        if nodes:
            shown = current if current in {n.id for n in nodes} else None
            args, revision = _figure_args(diagram_id, lang, visible, compact, shown)
            fig = _figure(atlas.content_version, diagram_id, args[0], args[3], args[1], args[2],
                          atlas)
            _chart(fig, diagram, nodes, lang, revision)
        else:
            st.info(ui.t("diagrams.no_match"), icon=":material/filter_alt_off:")
    if nodes:
        _node_list(diagram, nodes, lang, current)


def _chart(fig: go.Figure, diagram: Diagram, nodes: list[Node], lang: str, revision: int) -> Any:
    known = tuple(n.id for n in diagram.nodes)
    key = chart_key(diagram.id, revision)
    return st.plotly_chart(
        fig, key=key,
        on_select=functools.partial(_on_chart_select, diagram.id, key, known),
        selection_mode="points", config=figures.PLOTLY_CONFIG, theme=None,
        alt=_alt(diagram, nodes, lang),
    )


def _downloads(atlas: Atlas, diagram: Diagram, lang: str) -> None:
    """Files are generated only when a button is pressed (deferred data), and pressing one does
    not rerun the page."""
    headers = {k: ui.t(f"diagrams.csv.{k}") for k in
               ("group", "number", "id", "label", "summary", "description", "references",
                "related")}
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.caption(_esc(ui.t("diagrams.downloads")), width="content")
        stem = f"{diagram.id}-{lang}"
        st.download_button(
            ui.t("diagrams.download_svg"), key=f"atlas_svg_{diagram.id}",
            data=functools.partial(diagram_export.to_svg, diagram, lang),
            file_name=f"{stem}.svg", mime="image/svg+xml", on_click="ignore",
            icon=":material/image:", type="tertiary")
        st.download_button(
            ui.t("diagrams.download_dot"), key=f"atlas_dot_{diagram.id}",
            data=functools.partial(diagram_export.to_dot, diagram, lang),
            file_name=f"{stem}.dot", mime="text/vnd.graphviz", on_click="ignore",
            icon=":material/account_tree:", type="tertiary")
        if diagram.layout == "matrix":
            st.download_button(
                ui.t("diagrams.download_csv"), key=f"atlas_csv_{diagram.id}",
                data=functools.partial(diagram_export.to_csv, diagram, lang, headers, atlas),
                file_name=f"{stem}.csv", mime="text/csv", on_click="ignore",
                icon=":material/table:", type="tertiary")


def render_diagram_page(diagram_id: str) -> None:
    atlas = ui.get_atlas()
    lang = ui.lang()
    diagram = atlas.diagrams.get(diagram_id)
    if diagram is None:
        st.warning(ui.t("diagrams.not_found", id=diagram_id))
        return
    # Title, summary and source in one element: each element is a message to every session.
    intro = f"# {_esc(tr(diagram.title, lang))}\n\n{_esc(tr(diagram.summary, lang))}"
    if diagram.source:
        intro += f"\n\n:small[:gray[{_esc(tr(diagram.source, lang))}]]"
    st.markdown(intro)
    _sync_deep_link(diagram)
    query, groups = _filters(diagram)
    filtering = bool(selection.fold(query).strip() or groups)
    nodes = selection.filter_nodes(diagram, query, groups, lang) if filtering \
        else diagram.ordered_nodes()
    _interactive(diagram_id, tuple(n.id for n in nodes) if filtering else None, _is_compact())
    _more(atlas, diagram, lang)
