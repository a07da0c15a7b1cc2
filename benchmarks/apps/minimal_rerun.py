"""Baseline for benchmarks/click_latency.py: the cheapest Streamlit page that reruns on a click.

A button, a counter and one line of text: whatever a click on it costs is Streamlit's own round
trip (websocket, script run, delta, React render), the floor under any interactive page.

``BENCH_EXTRAS`` adds, one at a time, what every diagram click needs anyway, so the benchmark can
say where the gap to the floor comes from: ``url`` writes ``st.query_params`` in the click (the
shareable ``?node=`` link), ``figure`` keeps the lifecycle figure on the page (unchanged).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

EXTRAS = set(filter(None, os.environ.get("BENCH_EXTRAS", "").split(",")))

st.session_state.setdefault("runs", 0)


def _clicked() -> None:
    st.session_state["runs"] += 1
    if "url" in EXTRAS:
        st.query_params["node"] = f"n{st.session_state['runs']}"


st.button("Rerun", key="rerun", on_click=_clicked)
st.markdown(f"Runs: {st.session_state['runs']}")

if "figure" in EXTRAS:
    REPO = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(REPO))
    from components import figures
    from components.loader import load_atlas

    @st.cache_resource
    def _figure():  # the figure the lifecycle page shows, built once
        atlas = load_atlas(REPO / "artefacts").atlas
        return figures.diagram_figure(atlas.diagrams["lifecycle"], "en")

    st.plotly_chart(_figure(), key="figure", on_select=lambda: None, selection_mode="points",
                    config=figures.PLOTLY_CONFIG, theme=None)
