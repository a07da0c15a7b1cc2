"""Diagram pages in AppTest: figures from YAML, deep links, prev/next, list, search, downloads.

A click on the figure cannot be simulated here (streamlit-facts.md, section 2); the browser tests
click for real. Everything the click leads to is driven here through ``?node=``, the buttons and
the accessible list, which share the same state.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from components.loader import load_atlas
from components.model import Atlas
from tests.apptest.helpers import all_text, run_page
from tests.conftest import ARTEFACTS

DIAGRAMS = ["practices", "governance", "lifecycle", "principles", "goals", "architecture"]


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    result = load_atlas(ARTEFACTS)
    assert result.ok, result.problems
    return result.atlas


def plain(text: str) -> str:
    """Markdown-escaped text (``ui.md_escape``) as a reader sees it."""
    return re.sub(r"\\(.)", r"\1", text)


def text_of(at: AppTest) -> str:
    return plain(all_text(at))


def figure(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def drawn_labels(at: AppTest) -> str:
    """The labels drawn on the figure's cards, wrapped lines joined again."""
    text = " | ".join(figure(at)["data"][1]["text"])
    return text.replace("<br>", " ").replace("<b>", "").replace("</b>", "").replace("&amp;", "&")


def node_ids(at: AppTest) -> list[str]:
    return list(figure(at)["data"][0]["customdata"])


def selected(at: AppTest, diagram: str) -> str | None:
    return at.session_state[f"atlas_node_{diagram}"] if \
        f"atlas_node_{diagram}" in at.session_state else None


def open_tab(at: AppTest, diagram: str, title: str) -> str:
    """Switch the details to a tab (only the open tab is built) and return the page text."""
    at.session_state[f"atlas_tabs_{diagram}"] = title
    at.run()
    assert not at.exception
    return text_of(at)


def details_title(at: AppTest) -> str:
    return plain(at.subheader[0].value) if at.subheader else ""


@pytest.mark.parametrize("lang", ["pt-BR", "en"])
@pytest.mark.parametrize("did", DIAGRAMS)
def test_each_diagram_page_draws_its_figure_in_the_language(atlas: Atlas, did: str,
                                                             lang: str) -> None:
    at = run_page(did, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    diagram = atlas.diagrams[did]
    assert plain(at.markdown[0].value).startswith(f"# {diagram.title[lang]}\n")
    assert node_ids(at) == [n.id for n in diagram.ordered_nodes()]
    drawn = drawn_labels(at)
    for node in diagram.nodes:
        assert node.figure_label(lang) in drawn
    chart = at.get("plotly_chart")[0].proto
    assert diagram.title[lang] in chart.alt
    assert json.loads(chart.config)["displayModeBar"] is False
    # Nothing selected yet: the panel invites a click instead of showing details.
    assert not at.subheader
    # The accessible list: one pill per node, in reading order, none pressed yet.
    picks = at.button_group(key=f"atlas_pick_{did}")
    assert [plain(o.content) for o in picks.proto.options] == [
            plain(f"{n.number}. {n.label[lang]}" if n.number is not None else n.label[lang])
            for n in diagram.ordered_nodes()]
    assert not picks.value


@pytest.mark.parametrize("lang", ["pt-BR", "en"])
def test_deep_link_opens_the_node_details(atlas: Atlas, lang: str) -> None:
    at = run_page("lifecycle", lang=lang, node="step-monitoring")
    assert not at.exception
    node = atlas.node("step-monitoring")
    diagram = atlas.diagrams["lifecycle"]
    assert details_title(at) == node.label[lang]
    text = text_of(at)
    assert node.summary[lang] in text
    assert node.description[lang] in text
    tabs = [plain(t.label) for t in at.tabs]
    for section in diagram.sections:
        assert section.title[lang] in tabs
        text = open_tab(at, "lifecycle", section.title[lang])
        for item in node.details[section.id]:
            assert item[lang] in text
    text = open_tab(at, "lifecycle", tabs[-1])
    for rid in node.references:
        assert atlas.references[rid].citation in text
    code = [c.value for c in at.code]
    assert any(c.endswith(f"/lifecycle?node=step-monitoring&lang={lang}") for c in code), code
    assert at.query_params["node"] == "step-monitoring"
    assert selected(at, "lifecycle") == "step-monitoring"
    # The figure highlights it, and only it.
    assert figure(at)["data"][0]["selectedpoints"] == [node_ids(at).index("step-monitoring")]


def test_related_nodes_link_to_their_own_pages_with_node_and_language(atlas: Atlas) -> None:
    at = run_page("practices", lang="pt-BR", node="version-control")
    node = atlas.node("version-control")
    def node_links() -> list:
        return [p for p in at.get("page_link") if p.proto.page != "practices"]  # not the language

    assert not node_links()  # lazy: the links are built when their tab opens
    open_tab(at, "practices", "Relacionados")
    links = {(p.proto.page, p.proto.query_string) for p in node_links()}
    for diagram, members in atlas.related_by_diagram(node):
        for member in members:
            assert (diagram.id, f"node={member.id}&lang=pt-BR") in links
    labels = [plain(p.proto.label) for p in at.get("page_link")]
    assert any(atlas.node("step-model-development").label["pt-BR"] in lab for lab in labels)


def test_unknown_node_gives_a_gentle_message() -> None:
    at = run_page("lifecycle", lang="en", node="no-such-step")
    assert not at.exception
    assert not at.error
    assert any("no-such-step" in plain(i.value) for i in at.info)
    assert not at.subheader  # no details of some other node
    assert at.get("plotly_chart")


def test_a_node_of_another_diagram_points_to_its_page(atlas: Atlas) -> None:
    at = run_page("lifecycle", lang="en", node="version-control")
    assert any("version-control" in plain(i.value) for i in at.info)
    links = [(p.proto.page, p.proto.query_string) for p in at.get("page_link")]
    assert ("practices", "node=version-control&lang=en") in links


def test_next_and_previous_walk_the_cycle_in_order_and_wrap(atlas: Atlas) -> None:
    order = [n.id for n in atlas.diagrams["lifecycle"].ordered_nodes()]
    at = run_page("lifecycle", lang="en")
    at.button(key="atlas_next_lifecycle").click().run()
    assert selected(at, "lifecycle") == order[0]
    walked = [order[0]]
    for _ in range(len(order)):
        at.button(key="atlas_next_lifecycle").click().run()
        walked.append(selected(at, "lifecycle"))
    assert walked == [*order, order[0]]  # after the last step comes the first again
    assert at.query_params["node"] == order[0]
    assert details_title(at) == atlas.node(order[0]).label["en"]
    at.button(key="atlas_prev_lifecycle").click().run()
    assert selected(at, "lifecycle") == order[-1]
    assert f"Step {len(order)}" in " ".join(plain(c.value) for c in at.caption)


def test_a_flow_stops_at_its_last_step(atlas: Atlas) -> None:
    last = atlas.diagrams["governance"].ordered_nodes()[-1].id
    at = run_page("governance", lang="en", node=last)
    assert at.button(key="atlas_next_governance").disabled
    assert not at.button(key="atlas_prev_governance").disabled
    at.button(key="atlas_prev_governance").click().run()
    assert selected(at, "governance") != last


def test_the_accessible_list_selects_the_same_node(atlas: Atlas) -> None:
    at = run_page("lifecycle", lang="pt-BR")
    node = atlas.node("step-trained-model")
    picks = at.button_group(key="atlas_pick_lifecycle")
    labels = {o.content for o in picks.proto.options}
    assert f"{node.number}\\. {node.label['pt-BR']}" in labels  # shown as typed (escaped)
    picks.set_value("step-trained-model").run()
    assert selected(at, "lifecycle") == "step-trained-model"
    assert at.button_group(key="atlas_pick_lifecycle").value == "step-trained-model"
    # Pressing the chosen pill again empties the widget, not the selection.
    at.button_group(key="atlas_pick_lifecycle").set_value(None).run()
    assert selected(at, "lifecycle") == "step-trained-model"
    assert at.button_group(key="atlas_pick_lifecycle").value == "step-trained-model"
    assert details_title(at) == node.label["pt-BR"]
    assert at.query_params["node"] == "step-trained-model"
    # Next continues from the node chosen in the list.
    at.button(key="atlas_next_lifecycle").click().run()
    assert selected(at, "lifecycle") == "step-prediction-service"


def test_text_alternative_lists_order_and_feedback_edges(atlas: Atlas) -> None:
    at = run_page("lifecycle", lang="en")
    assert "Connections" not in text_of(at)  # built only when opened
    at.session_state["atlas_outline_lifecycle"] = True
    at.run()
    text = text_of(at)
    diagram = atlas.diagrams["lifecycle"]
    for edge in diagram.edges:
        if edge.kind == "feedback":
            a, b = diagram.node(edge.source), diagram.node(edge.target)
            expected = (f"{a.number}. {a.label['en']} ⇢ {b.number}. {b.label['en']} "
                        f"(feedback: {edge.label['en']})")
            assert expected in text


def test_search_and_group_filter_narrow_the_matrix(atlas: Atlas) -> None:
    at = run_page("practices", lang="pt-BR")
    at.text_input(key="atlas_search_practices").input("implemente CONTROLE de versao").run()
    assert node_ids(at) == ["version-control"]  # every word, any case, accents optional
    at.text_input(key="atlas_search_practices").input("versão").run()
    assert 1 < len(node_ids(at)) < len(atlas.diagrams["practices"].nodes)
    at.text_input(key="atlas_search_practices").input("").run()
    at.button_group(key="atlas_groups_practices").set_value(["monitoring"]).run()
    monitoring = [n.id for n in atlas.diagrams["practices"].ordered_nodes()
                  if n.group == "monitoring"]
    assert node_ids(at) == monitoring
    at.text_input(key="atlas_search_practices").input("zzzz-nothing").run()
    assert not at.get("plotly_chart")
    assert at.info and not at.exception


def test_language_switch_changes_the_figure_labels(atlas: Atlas) -> None:
    at = run_page("practices", lang="pt-BR")
    pt = drawn_labels(at)
    at.query_params["lang"] = "en"
    at.session_state["lang"] = "en"
    at.run()
    en = drawn_labels(at)
    label = atlas.node("comply-regulations").figure_label
    assert label("pt-BR") in pt and label("en") in en and pt != en


def _downloads(page: str) -> list[str]:
    at = run_page(page, lang="en")
    assert not at.get("download_button")  # built only when their expander opens
    at.session_state[f"atlas_outline_{page}"] = True
    at.run()
    return [d.proto.label for d in at.get("download_button")]


def test_downloads_are_offered(atlas: Atlas) -> None:
    assert _downloads("practices") == ["SVG image", "Graphviz DOT", "CSV table"]
    assert _downloads("lifecycle") == ["SVG image", "Graphviz DOT"]


# ---------------------------------------------------------------------------- drawn from YAML


def _with_new_nodes(root: Path) -> None:
    """Add a practice and a lifecycle step by editing the YAML only."""
    practices = root / "diagrams" / "practices.yaml"
    data = yaml.safe_load(practices.read_text(encoding="utf-8"))
    body = data["diagram"]
    sections = [s["id"] for s in body.get("sections", [])]
    body["nodes"].append({
        "id": "test-new-practice",
        "group": body["groups"][-1]["id"],
        "label": {"pt-BR": "Prática nova de teste", "en": "Brand new test practice"},
        "summary": {"pt-BR": "Resumo da prática nova.", "en": "Summary of the new practice."},
        "description": {"pt-BR": "Descrição nova.", "en": "New description."},
        "details": {s: [{"pt-BR": f"Item {s}", "en": f"Item {s}"}] for s in sections},
        "links": ["test-new-step"],
    })
    practices.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                         encoding="utf-8")
    lifecycle = root / "diagrams" / "lifecycle.yaml"
    data = yaml.safe_load(lifecycle.read_text(encoding="utf-8"))
    body = data["diagram"]
    sections = [s["id"] for s in body.get("sections", [])]
    body["nodes"].append({
        "id": "test-new-step",
        "group": body["groups"][-1]["id"],
        "number": 8,
        "position": [2, 0],
        "label": {"pt-BR": "Etapa nova de teste", "en": "Brand new test step"},
        "summary": {"pt-BR": "O que acontece na etapa nova.", "en": "What happens in the new step."},
        "description": {"pt-BR": "Descrição da etapa.", "en": "Step description."},
        "details": {s: [{"pt-BR": f"Item {s}", "en": f"Item {s}"}] for s in sections},
    })
    body["edges"].append({"from": "step-monitoring", "to": "test-new-step"})
    lifecycle.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                         encoding="utf-8")


def test_nodes_added_in_yaml_appear_in_the_figures_and_open(
        artefact_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_new_nodes(artefact_copy)
    result = load_atlas(artefact_copy)
    assert result.ok, result.problems
    monkeypatch.setenv("ATLAS_ARTEFACTS", str(artefact_copy))

    at = run_page("practices", lang="en")
    assert "test-new-practice" in node_ids(at)
    assert "Brand new test practice" in drawn_labels(at)

    at = run_page("lifecycle", lang="en")
    spec = figure(at)
    assert node_ids(at)[-1] == "test-new-step"
    assert "<b>8</b>" in spec["data"][2]["text"]
    arrows = [a for a in spec["layout"]["annotations"] if a.get("showarrow")]
    assert len(arrows) == len(result.atlas.diagrams["lifecycle"].edges)

    at = run_page("lifecycle", lang="pt-BR", node="test-new-step")
    assert not at.exception
    assert details_title(at) == "Etapa nova de teste"
    assert "O que acontece na etapa nova." in text_of(at)
    # The new practice links here, and the link works both ways.
    open_tab(at, "lifecycle", "Relacionados")
    links = {(p.proto.page, p.proto.query_string) for p in at.get("page_link")}
    assert ("practices", "node=test-new-practice&lang=pt-BR") in links

    at = run_page("practices", lang="en", node="test-new-practice")
    assert details_title(at) == "Brand new test practice"
