"""Home: what the artefacts are, with a link to every page."""

from __future__ import annotations

import streamlit as st

from components import ui
from components.model import tr

atlas = ui.get_atlas()
lang = ui.lang()

st.title(tr(atlas.title, lang))
st.markdown(f"##### {tr(atlas.tagline, lang)}")

diagrams = list(atlas.diagrams.values())
for row in range(0, len(diagrams), 3):
    for col, diagram in zip(st.columns(3), diagrams[row : row + 3], strict=False):
        with col.container(border=True, height="stretch"):
            st.markdown(f"**{tr(diagram.title, lang)}**")
            st.caption(tr(diagram.summary, lang))
            label = f"{ui.t('core.home.open')} · {ui.t('core.home.nodes', count=len(diagram.nodes))}"
            if (ui.REPO_ROOT / "pages" / f"{diagram.id}.py").exists():
                st.page_link(
                    f"pages/{diagram.id}.py",
                    label=label,
                    icon=":material/arrow_forward:",
                    query_params={"lang": lang},
                )

with st.container(border=True):
    st.markdown(f"**{ui.t('core.home.evaluate_title')}**")
    st.write(ui.t("core.home.evaluate_text"))
    st.page_link(
        "pages/questionnaire.py",
        label=ui.t("core.home.evaluate_link"),
        icon=":material/rate_review:",
        query_params={"lang": lang},
    )

st.info(ui.t("core.home.tips"), icon=":material/touch_app:")
st.subheader(ui.t("core.home.about"))
st.markdown(tr(atlas.about, lang))
st.caption(ui.t("core.home.version", version=atlas.content_version))
