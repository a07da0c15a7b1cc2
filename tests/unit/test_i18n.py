"""UI catalogs and the language choice."""

from __future__ import annotations

import re

import pytest

from components import i18n


def test_both_languages_have_the_same_keys() -> None:
    cats = i18n.catalogs()
    assert set(cats) == set(i18n.SUPPORTED)
    en, pt = set(cats["en"]), set(cats["pt-BR"])
    assert en - pt == set(), f"missing in pt-BR: {sorted(en - pt)}"
    assert pt - en == set(), f"missing in en: {sorted(pt - en)}"


def test_placeholders_match_between_languages() -> None:
    cats = i18n.catalogs()
    for key, text in cats["en"].items():
        names = set(re.findall(r"\{(\w+)\}", text))
        assert names == set(re.findall(r"\{(\w+)\}", cats["pt-BR"][key])), key


def test_every_text_is_non_empty_and_translated() -> None:
    cats = i18n.catalogs()
    for lang, catalog in cats.items():
        for key, text in catalog.items():
            assert text.strip(), f"{lang}:{key} is empty"


def test_t_formats_and_falls_back() -> None:
    assert i18n.t("core.home.nodes", "pt-BR", count=3) == "3 elementos"
    assert i18n.t("core.home.nodes", "en", count=3) == "3 elements"
    assert i18n.t("core.home.nodes", "xx", count=3) == "3 elements"
    assert i18n.t("no.such.key", "en") == "no.such.key"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("pt-BR", "pt-BR"),
        ("pt", "pt-BR"),
        ("pt_br", "pt-BR"),
        ("PT-br", "pt-BR"),
        ("en", "en"),
        ("en-GB", "en"),
        ("de", None),
        ("", None),
        (None, None),
        ("pt-BR'--", None),
    ],
)
def test_normalize(code: str | None, expected: str | None) -> None:
    assert i18n.normalize(code) == expected


def test_choose_language_order() -> None:
    assert i18n.choose_language("en", "pt-BR", "pt-BR") == "en"  # ?lang= wins
    assert i18n.choose_language(None, "en", "pt-BR") == "en"  # then the session's choice
    assert i18n.choose_language("klingon", None, "en-US") == "en"  # then the browser
    assert i18n.choose_language(None, None, "de-DE") == "pt-BR"  # then the default
    assert i18n.choose_language(None, None, None, default="en") == "en"
