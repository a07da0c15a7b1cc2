"""The baseline of benchmarks/burst.py: the cheapest page Streamlit can serve, served the same way."""

import streamlit as st

st.write("ok")
