"""Placeholder: this page is being built."""

from __future__ import annotations

import streamlit as st

from components import ui

ui.get_atlas()
st.info("…")
