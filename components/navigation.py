"""The app's pages, built from the artefact manifest so a new diagram needs no code change."""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from components import i18n
from components.model import Atlas, tr

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
CHROMELESS = {"present"}
"""Pages drawn without the sidebar clutter (the projector view)."""

PHONE_PAGE = "questionnaire"
"""The page a workshop's QR code opens (``?session=<code>``)."""


def is_phone_view(requested_page: str | None, query: Mapping[str, str]) -> bool:
    """A workshop participant's phone: the QR code's address, the questionnaire with a
    workshop code (the presenter's and projector's pages carry the code too, on other paths).

    That view is focused, as audience-response tools make theirs: the questionnaire alone, no
    sidebar of researcher pages, the phone's natural (centred) layout. It is also the view a
    whole room opens within seconds, so it must cost the server as little as a page can: one
    page registered instead of the whole site (see benchmarks/session_cost.py).
    """
    return requested_page == PHONE_PAGE and bool(query.get("session"))


def _requested_page() -> str | None:
    """The url path the browser asked for in this run, before ``st.navigation`` resolves it.

    Streamlit has no public API for it yet; if this internal one changes, the app falls back
    to the full navigation (never to a wrong page)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return (ctx.pages_manager.intended_page_name or None) if ctx else None
    except Exception:  # pragma: no cover - depends on Streamlit internals
        return None


_PHONE_KEY = "atlas_phone_view"


def phone_view() -> bool:
    """Decided on a session's first run (the only one that names the requested path) and kept
    while the address still carries the workshop code."""
    if not st.query_params.get("session"):
        st.session_state.pop(_PHONE_KEY, None)
        return False
    if st.session_state.get(_PHONE_KEY):
        return True
    phone = is_phone_view(_requested_page(), st.query_params)
    if phone:
        st.session_state[_PHONE_KEY] = True
    return phone


# (url_path, title key, icon) of the fixed pages after the diagrams.
EVALUATION = [("questionnaire", "core.nav.questionnaire", ":material/rate_review:")]
RESEARCH = [
    ("results", "core.nav.results", ":material/monitoring:"),
    ("workshop", "core.nav.workshop", ":material/co_present:"),
    ("present", "core.nav.present", ":material/slideshow:"),
]
DIAGRAM_ICONS = {
    "matrix": ":material/grid_view:",
    "flow": ":material/trending_flat:",
    "cycle": ":material/autorenew:",
}


@functools.lru_cache(maxsize=64)
def _page_file(url_path: str) -> str | None:
    """Page files do not appear while the app runs; look each up once per process."""
    path = PAGES_DIR / f"{url_path}.py"
    return str(path) if path.exists() else None


@functools.lru_cache(maxsize=256)
def _file_page(path: str, title: str, icon: str, url_path: str, default: bool) -> st.Page:
    return st.Page(path, title=title, icon=icon, url_path=url_path, default=default)


def _cached_page(path: str, title: str, icon: str, url_path: str | None = None,
                 default: bool = False) -> st.Page:
    """A fresh copy of a page built once per process (per title and language).

    ``st.Page`` resolves and stats its file on every construction, a quarter of an app run's CPU
    under a crowd; ``st.navigation`` only flips per-run flags (``_can_be_called``, ``_default``)
    on the objects it gets, so each run gets its own shallow copy of the prototype.
    """
    return copy.copy(_file_page(path, title, icon, url_path, default))


def _page(url_path: str, title: str, icon: str) -> st.Page:
    path = _page_file(url_path)
    if path is not None:
        return _cached_page(path, title, icon, url_path)
    # A diagram added in YAML without its own page file still gets a page.
    from components.diagram_view import render_diagram_page

    def _render() -> None:
        render_diagram_page(url_path)

    _render.__name__ = f"diagram_{url_path.replace('-', '_')}"
    return st.Page(_render, title=title, icon=icon, url_path=url_path)


def build_pages(atlas: Atlas | None, lang: str,
                phone: bool = False) -> dict[str, list[st.Page]]:
    home = _cached_page(
        str(PAGES_DIR / "home.py"), i18n.t("core.nav.home", lang), ":material/home:", default=True
    )
    if phone and atlas is not None:
        # The questionnaire keeps its own path (a default page's path is the root, and the QR
        # code's address would then be "page not found"), so the home page stays registered.
        return {"": [home, *(_page(p, i18n.t(k, lang), i) for p, k, i in EVALUATION)]}
    diagrams = []
    if atlas is not None:
        for diagram in atlas.diagrams.values():
            diagrams.append(
                _page(
                    diagram.id, tr(diagram.title, lang), DIAGRAM_ICONS.get(diagram.layout, ":material/hub:")
                )
            )
    if atlas is None:
        # Register every page file so any URL lands on a page that lists the problems.
        others = [
            _page(p.stem, p.stem, ":material/error:")
            for p in sorted(PAGES_DIR.glob("*.py"))
            if p.stem != "home"
        ]
        return {"": [home, *others]}
    return {
        "": [home],
        i18n.t("core.nav.section.artefacts", lang): diagrams,
        i18n.t("core.nav.section.evaluation", lang): [_page(p, i18n.t(k, lang), i) for p, k, i in EVALUATION],
        i18n.t("core.nav.section.research", lang): [_page(p, i18n.t(k, lang), i) for p, k, i in RESEARCH],
    }
