"""Placeholder: this page is being built."""

from __future__ import annotations

import streamlit as st

st.info("…")
