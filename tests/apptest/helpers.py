"""Helpers for AppTest runs of the real app (app.py + st.navigation)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO

APP = str(REPO / "app.py")


def run_page(page: str | None = None, timeout: float = 30, **query: str) -> AppTest:
    """Run app.py, optionally switch to ``pages/<page>.py``, with query parameters set."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py")
        at.run()
    return at


def all_text(at: AppTest) -> str:
    """Every visible text element, for assertions on what a person would read."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
        "text",
        "code",
    ):
        parts.extend(str(getattr(e, "value", "")) for e in at.get(kind))
    parts.extend(str(b.label) for b in at.button)
    return "\n".join(parts)
