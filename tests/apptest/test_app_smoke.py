"""Every page runs without exception in both languages; broken artefacts show the problem list."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from components.navigation import CHROMELESS
from tests.apptest.helpers import all_text, run_page
from tests.conftest import REPO

PAGES = sorted(p.stem for p in (REPO / "pages").glob("*.py"))


@pytest.mark.pages_folder_mode
@pytest.mark.parametrize("lang", ["pt-BR", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page: str, lang: str) -> None:
    at = run_page(page, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["lang"] == lang
    assert at.session_state["lang"] == lang
    assert "Traceback" not in all_text(at)
    if page not in CHROMELESS:
        # app.py routed this run (not Streamlit's old pages/ mode): its language switch is there,
        # a link to this same page in the other language.
        other = "en" if lang == "pt-BR" else "pt-BR"
        switch = [p.proto for p in at.get("page_link") if f"lang={other}" in p.proto.query_string]
        assert switch, f"{page} was run without app.py"


def test_home_lists_every_diagram_in_the_chosen_language() -> None:
    from components.loader import load_atlas

    atlas = load_atlas(REPO / "artefacts").atlas
    for lang in ("pt-BR", "en"):
        at = run_page(lang=lang)
        text = all_text(at)
        for diagram in atlas.diagrams.values():
            assert diagram.title[lang] in text, (lang, diagram.id)
        assert atlas.title[lang] in text


def test_language_comes_from_the_browser_locale_when_no_query() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.context["locale"] = "en-US"
    at.run()
    assert at.session_state["lang"] == "en"
    assert at.query_params["lang"] == "en"


def test_default_language_is_portuguese() -> None:
    at = run_page()
    assert at.session_state["lang"] == "pt-BR"


def test_language_choice_survives_a_page_change() -> None:
    at = run_page(lang="en")
    at.query_params.clear()  # st.navigation drops query params when the page changes
    at.switch_page("pages/lifecycle.py")
    at.run()
    assert at.session_state["lang"] == "en"
    assert at.query_params["lang"] == "en"


def _broken_copy(artefact_copy: Path) -> Path:
    path = artefact_copy / "diagrams" / "lifecycle.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("layout: cycle", "layout: spiral", 1))
    (artefact_copy / "diagrams" / "bogus.yaml").write_text(
        textwrap.dedent("""\
        diagram:
          id: bogus
          layout: [matrix
        """)
    )
    return artefact_copy


@pytest.mark.parametrize("page", [None, "lifecycle", "questionnaire", "results"])
def test_broken_artefacts_show_the_problem_list_on_every_page(
    artefact_copy: Path, monkeypatch: pytest.MonkeyPatch, page: str | None
) -> None:
    monkeypatch.setenv("ATLAS_ARTEFACTS", str(_broken_copy(artefact_copy)))
    at = run_page(page, lang="en")
    assert not at.exception
    assert at.error and "The artefact definitions have problems" in at.error[0].value
    listing = "\n".join(c.value for c in at.code)
    assert "diagrams/lifecycle.yaml:" in listing and "diagram.layout: 'spiral' is not a layout" in listing
    assert "diagrams/bogus.yaml:3: layout: is not valid YAML" in listing


def test_fixing_the_yaml_restores_the_pages_without_restart(
    artefact_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATLAS_ARTEFACTS", str(artefact_copy))
    path = artefact_copy / "diagrams" / "practices.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("layout: matrix", "layout: nope", 1))
    at = run_page(lang="en")
    assert at.error
    path.write_text(original)
    at.run()
    assert not at.error


def test_a_title_edited_in_yaml_shows_in_the_app_with_no_code_change(
    artefact_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATLAS_ARTEFACTS", str(artefact_copy))
    path = artefact_copy / "diagrams" / "practices.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('en: "MLOps best practices"', 'en: "Renamed practice matrix"', 1))
    at = run_page(lang="en")
    assert "Renamed practice matrix" in all_text(at)
    assert any(p.title == "Renamed practice matrix" for p in _nav_pages(at))


def _nav_pages(at):
    from types import SimpleNamespace

    return [SimpleNamespace(title=info.get("page_name")) for info in at._registered_pages.values()]
