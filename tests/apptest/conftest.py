"""AppTest runs as a long-running server sees them."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _navigation_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep Streamlit in ``st.navigation`` mode, as a server is once any session has loaded app.py.

    AppTest resets Streamlit's old ``pages/`` folder mode before every run, so each run would first
    execute the page directly and ``ui.ensure_router`` would rerun it through app.py — a rerun that
    drops a form submit. Tests marked ``pages_folder_mode`` keep AppTest's behaviour to exercise
    ``ensure_router`` itself (the browser tests cover it on a really fresh server).
    """
    if request.node.get_closest_marker("pages_folder_mode"):
        return
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
