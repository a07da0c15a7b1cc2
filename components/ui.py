"""Streamlit glue shared by every page: the cached atlas, the language, problem lists.

Kept thin on purpose: decisions live in pure modules (``loader``, ``i18n``); this file only wires
them to ``st.session_state``, ``st.query_params`` and caches.
"""

from __future__ import annotations

import hashlib
import os
import string
import threading
import time
from pathlib import Path

import streamlit as st

from components import i18n
from components.loader import LoadResult, load_atlas
from components.model import Atlas

REPO_ROOT = Path(__file__).resolve().parent.parent
LANG_KEY = "lang"


def artefact_dir() -> Path:
    """``ATLAS_ARTEFACTS`` lets tests and researchers point the app at another directory."""
    return Path(os.environ.get("ATLAS_ARTEFACTS", REPO_ROOT / "artefacts"))


def _fingerprint(root: Path) -> tuple:
    """Cheap change detector (names, sizes, mtimes) so YAML edits show up without a restart."""
    try:
        return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*.yaml")))
    except OSError:
        return ()


_loaded: dict[tuple[str, str], LoadResult] = {}
_load_lock = threading.Lock()


def _load(root: str, digest: str) -> LoadResult:
    """One load per (directory, file digest) per process, shared by every session.

    A plain dict rather than ``st.cache_resource``: pages ask for the atlas several times per run
    and the cache's key hashing showed up as a tenth of a crowd's CPU."""
    key = (root, digest)
    found = _loaded.get(key)
    if found is not None:
        return found
    with _load_lock:
        found = _loaded.get(key)
        if found is None:
            found = load_atlas(Path(root))
            for old in [k for k in _loaded if k[0] == root]:
                del _loaded[old]  # keep only the current version of a directory
            _loaded[key] = found
    return found


_RECHECK_SECONDS = float(os.environ.get("ATLAS_CONFIG_RECHECK_SECONDS", "2"))
_checked: dict[str, tuple[float, str]] = {}


def _digest(root: Path) -> str:
    """The fingerprint as a short digest, recomputed at most every few seconds per process: a
    crowd opening pages at once must not walk the artefact tree and hash a long key every call
    (measured: a quarter of the server's time on the lifecycle page under a burst)."""
    now = time.monotonic()
    seen = _checked.get(str(root))
    if seen is not None and now - seen[0] < _RECHECK_SECONDS:
        return seen[1]
    digest = hashlib.sha1(repr(_fingerprint(root)).encode(), usedforsecurity=False).hexdigest()
    _checked[str(root)] = (now, digest)
    return digest


def atlas_result() -> LoadResult:
    root = artefact_dir()
    return _load(str(root), _digest(root))


_SECRETS_RECHECK_SECONDS = float(os.environ.get("ATLAS_CONFIG_RECHECK_SECONDS", "5"))
_configured_url: list = []


def database_url() -> str:
    """``ATLAS_DATABASE_URL``, else ``database_url`` in secrets, else SQLite in the data directory.

    ``st.secrets`` is read at most every few seconds: under a crowd, reading it on every database
    call was 7% of the server's time."""
    from components import storage

    now = time.monotonic()
    if not _configured_url or now - _configured_url[0] > _SECRETS_RECHECK_SECONDS:
        try:
            value = st.secrets.get("database_url")
        except Exception:  # no secrets.toml at all
            value = None
        _configured_url[:] = [now, str(value) if value else None]
    return storage.database_url(_configured_url[1])


def database_engine():
    """The shared SQLAlchemy engine for every page (one pool per URL and process)."""
    from components import storage

    return storage.get_engine(database_url())


def public_base_url(page_path: str) -> str:
    """The app's address as others must type it (QR join links, share links): ``ATLAS_PUBLIC_BASE_URL``
    or ``public_base_url`` in secrets behind a proxy, else the address this browser used."""
    from components.workshop import public_base_url as derive

    configured = os.environ.get("ATLAS_PUBLIC_BASE_URL")
    if not configured:
        try:
            configured = st.secrets.get("public_base_url")
        except Exception:  # no secrets.toml
            configured = None
    try:
        page_url = st.context.url
    except Exception:  # bare runs have no context
        page_url = None
    try:
        headers = dict(st.context.headers)
    except Exception:
        headers = None
    return derive(str(configured) if configured else None, page_url, page_path, headers)


def ensure_router() -> None:
    """Make sure ``app.py`` routes this run.

    Until some session of the process has called ``st.navigation``, Streamlit treats a ``pages/``
    folder beside the main script as its old multipage mode and runs ``pages/<x>.py`` *directly*
    for a deep link (a phone opening the QR code's ``/questionnaire`` right after a restart), skipping
    ``app.py``: no language, no navigation titles. Switch the process to ``st.navigation`` mode and
    rerun this same page through ``app.py``.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def get_atlas() -> Atlas:
    """The atlas for pages; ``app.py`` has already stopped the run if it is invalid.

    Safe in widget callbacks too (the router check never reruns there)."""
    ensure_router()
    result = atlas_result()
    if result.atlas is None:
        show_problems(result)
        st.stop()
    return result.atlas


def supported_languages() -> list[str]:
    result = atlas_result()
    if result.atlas is not None:
        return [lang for lang in result.atlas.languages if lang in i18n.SUPPORTED]
    return list(i18n.SUPPORTED)


def init_language() -> str:
    """Resolve the session's language once per run and mirror it into the URL for sharing."""
    supported = supported_languages()
    default = supported[0] if supported else i18n.DEFAULT
    try:
        browser = st.context.locale
    except Exception:
        browser = None
    lang = i18n.choose_language(
        st.query_params.get("lang"), st.session_state.get(LANG_KEY), browser, supported, default
    )
    previous = st.session_state.get(LANG_KEY)
    st.session_state[LANG_KEY] = lang
    if st.query_params.get("lang") != lang or (previous is not None and previous != lang):
        # Also after a switch: a link to the page the browser is on reruns it with the new
        # query string but leaves the address bar as it was, so the server writes it back.
        st.query_params["lang"] = lang
    return lang


def lang() -> str:
    return st.session_state.get(LANG_KEY) or i18n.DEFAULT


def t(key: str, **values: object) -> str:
    return i18n.t(key, lang(), **values)


def language_switch(page: st.Page) -> None:
    """Links to ``page`` in the other languages, keeping the rest of the address (workshop code,
    draft, selected node). Links, not a widget: the switch is on every page of every session,
    and a widget costs every phone of a crowd its registration, state and a larger message."""
    current = lang()
    params = st.query_params.to_dict()
    for code in supported_languages():
        if code != current:
            st.page_link(page, label=i18n.NATIVE_NAMES.get(code, code), icon=":material/translate:",
                          query_params={**params, "lang": code}, help=i18n.t("core.language", code))


def show_problems(result: LoadResult) -> None:
    """The list of artefact problems in plain language, instead of a traceback or a blank page."""
    st.error(t("core.problems.title"), icon=":material/error:")
    st.markdown(t("core.problems.intro", count=len(result.problems)))
    st.code("\n".join(str(p) for p in result.problems), language=None, wrap_lines=True)
    st.caption(t("core.problems.hint"))


def md_escape(text: str) -> str:
    """Backslash-escape every ASCII punctuation mark (CommonMark allows it for all of them), so
    text a respondent typed renders literally in ``st.markdown``: no links, images, HTML or math."""
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in text)


_PUNCTUATION = frozenset(string.punctuation)
