"""Selection rules: what a plotly click selects, prev/next order, search and group filter, links."""

from __future__ import annotations

import pytest

from components import selection
from components.model import Diagram, Group, Node


def _text(en: str, pt: str | None = None) -> dict[str, str]:
    return {"en": en, "pt-BR": pt or en}


def _node(nid: str, label: str, group: str | None = None, number: int | None = None,
          pt: str | None = None, details: list[str] | None = None) -> Node:
    return Node(id=nid, diagram="d", label=_text(label, pt), summary=_text(f"{label} summary"),
                description=_text(f"About {label}."), group=group, number=number,
                details={"tips": [_text(d) for d in details or []]})


@pytest.fixture
def matrix() -> Diagram:
    return Diagram(
        id="d", layout="matrix", title=_text("D"), summary=_text("S"), node_label=_text("N"),
        file="diagrams/d.yaml",
        groups=[Group("g1", _text("One"), "#0072B2"), Group("g2", _text("Two"), "#009E73")],
        nodes=[
            _node("b", "Deployment automation", "g2", pt="Automação da implantação"),
            _node("a", "Version control", "g1", details=["Tag every release"]),
            _node("c", "Monitoring", "g2", pt="Monitoramento contínuo"),
        ],
    )


# A click as Streamlit 1.67 reports it (streamlit-facts.md, section 1).
CLICK = {"points": [{"curve_number": 0, "point_number": 2, "point_index": 2, "x": 2, "y": 0,
                     "id": "check", "customdata": "check", "text": "check"}],
         "point_indices": [2], "box": [], "lasso": []}


def test_selected_node_reads_the_clicked_id() -> None:
    assert selection.selected_node(CLICK) == "check"


@pytest.mark.parametrize("empty", [None, {}, {"points": []}, {"points": None, "box": []}])
def test_an_empty_selection_is_no_change(empty: object) -> None:
    """The second click on a node deselects it: the panel must keep the node, not clear it."""
    assert selection.selected_node(empty) is None


def test_selected_node_accepts_list_customdata_and_attribute_objects() -> None:
    class State:
        points = [{"customdata": ["x1", "extra"]}]

    assert selection.selected_node(State()) == "x1"
    assert selection.selected_node({"points": [{"id": "only-id"}]}) == "only-id"


def test_selected_node_skips_points_that_are_not_known_nodes() -> None:
    points = {"points": [{"customdata": None, "text": "7"}, {"customdata": "ghost"},
                         {"customdata": "real"}]}
    assert selection.selected_node(points, known={"real"}) == "real"
    assert selection.selected_node({"points": [{"customdata": "ghost"}]}, known={"real"}) is None


ORDER = ["s1", "s2", "s3", "s4"]


def test_cycles_wrap_around() -> None:
    assert selection.step(ORDER, "s4", +1, wrap=True) == "s1"
    assert selection.step(ORDER, "s1", -1, wrap=True) == "s4"
    assert selection.step(ORDER, "s2", +1, wrap=True) == "s3"


def test_flows_stop_at_their_ends() -> None:
    assert selection.step(ORDER, "s4", +1, wrap=False) == "s4"
    assert selection.step(ORDER, "s1", -1, wrap=False) == "s1"
    assert not selection.can_step(ORDER, "s4", +1, wrap=False)
    assert not selection.can_step(ORDER, "s1", -1, wrap=False)
    assert selection.can_step(ORDER, "s1", +1, wrap=False)
    assert selection.can_step(ORDER, "s4", +1, wrap=True)


def test_without_a_selection_next_starts_at_the_first_and_previous_at_the_last() -> None:
    assert selection.step(ORDER, None, +1, wrap=False) == "s1"
    assert selection.step(ORDER, None, -1, wrap=True) == "s4"
    assert selection.step(ORDER, "not-there", +1, wrap=False) == "s1"
    assert selection.can_step(ORDER, None, -1, wrap=False)
    assert selection.step([], None, +1, wrap=True) is None


def test_walking_a_cycle_visits_every_node_in_order() -> None:
    seen, current = [], None
    for _ in range(len(ORDER) + 1):
        current = selection.step(ORDER, current, +1, wrap=True)
        seen.append(current)
    assert seen == [*ORDER, "s1"]


def test_search_ignores_case_and_accents(matrix: Diagram) -> None:
    assert [n.id for n in selection.filter_nodes(matrix, "AUTOMACAO", lang="pt-BR")] == ["b"]
    assert [n.id for n in selection.filter_nodes(matrix, "monitoramento contínuo",
                                                 lang="pt-BR")] == ["c"]


def test_search_needs_every_word_and_looks_into_details(matrix: Diagram) -> None:
    assert [n.id for n in selection.filter_nodes(matrix, "tag release", lang="en")] == ["a"]
    assert selection.filter_nodes(matrix, "tag monitoring", lang="en") == []


def test_search_is_in_the_chosen_language(matrix: Diagram) -> None:
    assert selection.filter_nodes(matrix, "implantação", lang="en") == []
    assert [n.id for n in selection.filter_nodes(matrix, "implantação", lang="pt-BR")] == ["b"]


def test_group_filter_and_search_combine_in_reading_order(matrix: Diagram) -> None:
    assert [n.id for n in selection.filter_nodes(matrix, "", [], "en")] == ["a", "b", "c"]
    assert [n.id for n in selection.filter_nodes(matrix, "", ["g2"], "en")] == ["b", "c"]
    assert [n.id for n in selection.filter_nodes(matrix, "monitoring", ["g2"], "en")] == ["c"]
    assert selection.filter_nodes(matrix, "version", ["g2"], "en") == []


def test_equivalent_filters_share_a_key() -> None:
    assert selection.filter_key("  Versão  Control ", ["g2", "g1"]) == \
        selection.filter_key("versao control", ["g1", "g2", "g1"])
    assert selection.filter_key("", None) == ("", ())


def test_share_url_carries_node_and_language() -> None:
    assert selection.share_url("https://x.org/", "lifecycle", "step-monitoring", "pt-BR") == \
        "https://x.org/lifecycle?node=step-monitoring&lang=pt-BR"
