"""UI string catalogs and language choice, kept free of Streamlit so they can be unit tested.

Catalogs live in ``components/locales/<lang>/<area>.yaml`` as flat ``key: text`` mappings; each area
(core, diagrams, survey, ...) has its own file so features do not collide. Keys are dotted by area.
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path

import yaml

LOCALES_DIR = Path(__file__).parent / "locales"
SUPPORTED = ("pt-BR", "en")
DEFAULT = "pt-BR"
_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
NATIVE_NAMES = {"pt-BR": "Português", "en": "English"}


@functools.cache
def catalogs(directory: Path = LOCALES_DIR) -> dict[str, dict[str, str]]:
    """All catalogs, ``{lang: {key: text}}``; a key defined twice for one language is an error."""
    out: dict[str, dict[str, str]] = {}
    for lang_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
        merged: dict[str, str] = {}
        for path in sorted(lang_dir.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for key, text in data.items():
                if key in merged:
                    raise ValueError(f"{path}: key '{key}' is already defined for {lang_dir.name}")
                merged[str(key)] = str(text)
        out[lang_dir.name] = merged
    return out


def t(key: str, lang: str, **values: object) -> str:
    """The UI text for ``key`` in ``lang`` (English, then the key itself, as fallbacks)."""
    cats = catalogs()
    text = cats.get(lang, {}).get(key) or cats.get("en", {}).get(key) or key
    if values:
        return string.Formatter().vformat(text, (), values)
    return text


def normalize(code: str | None, supported: tuple[str, ...] | list[str] = SUPPORTED) -> str | None:
    """Map what a URL or a browser says (``pt``, ``pt_br``, ``en-GB``) onto a supported language."""
    if not code or not isinstance(code, str):
        return None
    code = code.strip().replace("_", "-")
    if not _TAG_RE.match(code):
        return None
    lowered = {s.lower(): s for s in supported}
    if code.lower() in lowered:
        return lowered[code.lower()]
    base = code.split("-")[0].lower()
    for s in supported:
        if s.lower().split("-")[0] == base:
            return s
    return None


def choose_language(
    query: str | None,
    session: str | None,
    browser_locale: str | None,
    supported: tuple[str, ...] | list[str] = SUPPORTED,
    default: str = DEFAULT,
) -> str:
    """``?lang=`` first, then the session's earlier choice, then the browser locale, then the default."""
    for candidate in (query, session, browser_locale):
        found = normalize(candidate, supported)
        if found:
            return found
    return default
