"""MLOps Atlas entry point: ``streamlit run app.py``.

Builds the navigation from the artefact manifest (language-neutral url paths, translated titles),
resolves the language, and shows the artefact problems instead of any page when the YAML is invalid.
"""

from __future__ import annotations

import streamlit as st

from components import navigation, ui

result = ui.atlas_result()
lang = ui.init_language()
phone = navigation.phone_view()  # a workshop participant's phone, opened from the QR code
if not phone:  # a phone keeps Streamlit's centred layout, which suits it
    st.set_page_config(page_title="MLOps Atlas", page_icon=":material/hub:", layout="wide")
pages = navigation.build_pages(result.atlas, lang, phone=phone)
current = st.navigation(pages, position="hidden" if phone else "sidebar", expanded=True)

if phone:
    ui.language_switch(current)  # one element: a whole room opens this page at once
elif current.url_path not in navigation.CHROMELESS:
    # Top right of every page, so phones (sidebar collapsed) see it too.
    with st.container(horizontal=True, horizontal_alignment="right"):
        ui.language_switch(current)

if result.atlas is None:
    ui.show_problems(result)
else:
    current.run()
