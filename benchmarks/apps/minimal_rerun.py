"""Baseline for benchmarks/click_latency.py: the cheapest Streamlit page that reruns on a click.

A button, a counter and one line of text: whatever a click on it costs is Streamlit's own
round trip (websocket, script run, delta, React render), the floor under any interactive page.
"""

from __future__ import annotations

import streamlit as st

st.session_state.setdefault("runs", 0)
if st.button("Rerun", key="rerun"):
    st.session_state["runs"] += 1
st.markdown(f"Runs: {st.session_state['runs']}")
