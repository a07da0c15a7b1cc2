"""The researcher gate drawn on the results and workshop-presenter pages."""

from __future__ import annotations

import streamlit as st

from components import access, ui

SESSION_FLAG = "researcher_ok"


@st.cache_resource
def _throttle() -> access.Throttle:
    return access.Throttle()


def require_researcher() -> bool:
    """True when this session has entered the secret; otherwise draws the gate and returns False."""
    secret = access.configured_secret(st.secrets)
    if secret is None:
        st.warning(ui.t("access.not_configured"), icon=":material/lock:")
        st.markdown(ui.t("access.how_to_configure"))
        return False
    if st.session_state.get(SESSION_FLAG) == _fingerprint(secret):
        return True
    st.info(ui.t("access.locked"), icon=":material/lock:")
    with st.form("researcher_login", clear_on_submit=True):
        candidate = st.text_input(ui.t("access.secret_label"), type="password")
        submitted = st.form_submit_button(ui.t("access.unlock"), type="primary")
    if submitted:
        if access.attempt(candidate or "", secret, _throttle()):
            st.session_state[SESSION_FLAG] = _fingerprint(secret)
            st.rerun()
        st.error(ui.t("access.wrong"), icon=":material/block:")
    return False


def _fingerprint(secret: str) -> str:
    """Remember *which* secret unlocked the session, so changing the secret locks everyone out."""
    import hashlib

    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


def lock_button() -> None:
    if st.button(ui.t("access.lock"), icon=":material/lock:"):
        st.session_state.pop(SESSION_FLAG, None)
        st.rerun()
