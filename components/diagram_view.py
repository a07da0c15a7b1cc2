"""The page of one diagram (placeholder until the clickable figures land)."""

from __future__ import annotations

import streamlit as st

from components import ui
from components.model import tr


def render_diagram_page(diagram_id: str) -> None:
    atlas = ui.get_atlas()
    lang = ui.lang()
    diagram = atlas.diagrams.get(diagram_id)
    if diagram is None:
        st.warning(diagram_id)
        return
    st.title(tr(diagram.title, lang))
    st.write(tr(diagram.summary, lang))
    for node in diagram.ordered_nodes():
        st.markdown(f"- **{tr(node.label, lang)}** — {tr(node.summary, lang)}")
