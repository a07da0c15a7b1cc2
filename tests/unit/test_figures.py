"""Figures drawn from the model: one clickable point per node, edges, regions, highlight, layout."""

from __future__ import annotations

import itertools
import json
import math

import pytest

from components import figures
from components.loader import load_atlas
from components.model import Atlas, Diagram, Edge, Group, Node
from tests.conftest import ARTEFACTS

LANGS = ("pt-BR", "en")


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    result = load_atlas(ARTEFACTS)
    assert result.ok, result.problems
    return result.atlas


def _text(en: str, pt: str | None = None) -> dict[str, str]:
    return {"en": en, "pt-BR": pt or en}


def _cycle() -> Diagram:
    """A small cycle with two phases and a feedback edge, independent of the real content."""
    nodes = [
        Node(id=f"n{i}", diagram="c", label=_text(f"Step {i}"), summary=_text("s"),
             description=_text("d"), group="p1" if i <= 2 else "p2", number=i, position=pos)
        for i, pos in enumerate([(0, 1), (1, 1), (2, 1), (2, 0)], start=1)
    ]
    edges = [Edge("n1", "n2"), Edge("n2", "n3"), Edge("n3", "n4"),
             Edge("n4", "n1", "feedback", _text("loop back"))]
    return Diagram(id="c", layout="cycle", title=_text("C"), summary=_text("S"),
                   node_label=_text("Step"), file="diagrams/c.yaml",
                   groups=[Group("p1", _text("Phase one"), "#56B4E9"),
                           Group("p2", _text("Phase two"), "#E69F00")],
                   nodes=nodes, edges=edges)


def _node_trace(fig_dict: dict) -> dict:
    """The clickable trace: one bar per node, over its card."""
    trace = fig_dict["data"][0]
    assert trace["type"] == "bar" and trace["name"] == "nodes"
    return trace


def _trace(fig_dict: dict, name: str) -> dict:
    return next(t for t in fig_dict["data"] if t.get("name") == name)


def _all_variants(atlas: Atlas) -> list[tuple[Diagram, str, bool]]:
    return list(itertools.product(atlas.diagrams.values(), LANGS, (False, True)))


def test_every_diagram_has_one_clickable_point_per_node_with_its_id(atlas: Atlas) -> None:
    for diagram, lang, compact in _all_variants(atlas):
        fig = figures.diagram_figure(diagram, lang, compact=compact).to_dict()
        trace = _node_trace(fig)
        ids = [n.id for n in diagram.ordered_nodes()]
        assert list(trace["customdata"]) == ids, (diagram.id, lang, compact)
        assert list(trace["ids"]) == ids
        # Only the node trace answers clicks: every other trace is skipped by hover and click.
        for other in fig["data"][1:]:
            assert other.get("hoverinfo") == "skip", (diagram.id, other.get("name"))


def test_clickable_bars_cover_their_cards_exactly(atlas: Atlas) -> None:
    """The whole card answers a click, not just a point at its centre."""
    for diagram, lang, compact in _all_variants(atlas):
        scene = figures.build_scene(diagram, lang, compact=compact)
        bars = _node_trace(figures.scene_figure(scene).to_dict())
        for i, card in enumerate(scene.cards):
            assert bars["x"][i] == pytest.approx(card.cx)
            assert bars["width"][i] == pytest.approx(card.w)
            assert bars["base"][i] == pytest.approx(card.y0)
            assert bars["y"][i] == pytest.approx(card.h)


def test_labels_come_from_the_model_wrapped_with_br(atlas: Atlas) -> None:
    for diagram, lang, compact in _all_variants(atlas):
        fig = figures.diagram_figure(diagram, lang, compact=compact).to_dict()
        labels = _trace(fig, "labels")
        for node, text in zip(diagram.ordered_nodes(), labels["text"], strict=True):
            assert text.replace("<br>", " ") == figures.html_escape(node.figure_label(lang))


def test_no_axes_no_zoom_no_toolbar_and_no_double_click(atlas: Atlas) -> None:
    fig = figures.diagram_figure(atlas.diagrams["lifecycle"], "en").to_dict()
    layout = fig["layout"]
    for axis in ("xaxis", "yaxis"):
        assert layout[axis]["visible"] is False
        assert layout[axis]["fixedrange"] is True
    assert layout["dragmode"] is False
    assert figures.PLOTLY_CONFIG["displayModeBar"] is False
    assert figures.PLOTLY_CONFIG["scrollZoom"] is False
    # Two quick clicks on two nodes must stay two selections (see figures.PLOTLY_CONFIG).
    assert figures.PLOTLY_CONFIG["doubleClickDelay"] <= 1


def test_selection_dimming_is_disabled_so_unselected_nodes_stay_visible(atlas: Atlas) -> None:
    """Plotly dims what is not selected; here nothing fades: unselected cards are shapes, their
    click targets stay invisible, and labels and badges keep their colours."""
    fig = figures.diagram_figure(atlas.diagrams["lifecycle"], "en", "step-monitoring").to_dict()
    nodes = _node_trace(fig)
    assert nodes["marker"]["opacity"] == 0
    assert nodes["unselected"]["marker"]["opacity"] == 0
    assert nodes["selected"]["marker"]["opacity"] == 1
    labels = _trace(fig, "labels")
    # Only a selected colour defined: plotly then leaves unselected text untouched.
    assert "color" in labels["selected"]["textfont"]
    assert "unselected" not in labels
    badges = _trace(fig, "numbers")
    assert badges["unselected"]["marker"]["opacity"] == 1
    assert "color" in badges["selected"]["textfont"]


def test_feedback_edges_are_dashed_curves_in_another_colour_with_their_label(atlas: Atlas) -> None:
    diagram = atlas.diagrams["lifecycle"]
    feedback = [e for e in diagram.edges if e.kind == "feedback"]
    assert feedback, "the lifecycle has feedback edges"
    fig = figures.diagram_figure(diagram, "en").to_dict()
    dashed = [s for s in fig["layout"]["shapes"] if s["line"].get("dash") == "dash"]
    assert len(dashed) == len(feedback)
    colour = figures.feedback_color(diagram)
    assert {s["line"]["color"] for s in dashed} == {colour}
    assert colour not in {g.color for g in diagram.groups}
    for shape in dashed:  # a curve: many points, not a straight segment
        assert shape["path"].count("L") > 5
    texts = " ".join(a["text"] for a in fig["layout"]["annotations"])
    for edge in feedback:
        assert figures.html_escape(edge.label["en"]) in texts


def test_every_edge_gets_an_arrowhead(atlas: Atlas) -> None:
    for diagram in atlas.diagrams.values():
        fig = figures.diagram_figure(diagram, "en").to_dict()
        arrows = [a for a in fig["layout"].get("annotations", []) if a.get("showarrow")]
        assert len(arrows) == len(diagram.edges), diagram.id


def test_sequence_arrows_point_from_source_to_target() -> None:
    diagram = _cycle()
    scene = figures.build_scene(diagram, "en")
    for link in scene.links:
        a, b = scene.card(link.source), scene.card(link.target)
        start, end = link.points[0], link.points[-1]
        assert math.dist(start, (a.cx, a.cy)) < math.dist(start, (b.cx, b.cy))
        assert math.dist(end, (b.cx, b.cy)) < math.dist(end, (a.cx, a.cy))


def test_regions_are_drawn_per_group_around_their_members() -> None:
    diagram = _cycle()
    for compact in (False, True):
        scene = figures.build_scene(diagram, "en", compact=compact)
        regions = [b for b in scene.bands if b.kind == "region"]
        assert [r.group_id for r in regions] == ["p1", "p2"]
        for region in regions:
            members = [c for c in scene.cards if diagram.node(c.node_id).group == region.group_id]
            for card in members:
                assert region.x0 < card.x0 and card.x1 < region.x1
                assert region.y0 < card.y0 and card.y1 < region.y1
            others = [c for c in scene.cards if c not in members]
            for card in others:  # a region never swallows a card of another phase
                assert not (region.x0 < card.cx < region.x1 and region.y0 < card.cy < region.y1)


def test_region_labels_are_in_the_figure_and_never_on_an_arrow(atlas: Atlas) -> None:
    for diagram in (atlas.diagrams["lifecycle"], _cycle()):
        for lang, compact in itertools.product(LANGS, (False, True)):
            scene = figures.build_scene(diagram, lang, compact=compact)
            fig = figures.scene_figure(scene).to_dict()
            texts = " ".join(a["text"] for a in fig["layout"]["annotations"]).replace("<br>", " ")
            for group in diagram.groups:
                assert figures.html_escape(group.label[lang]) in texts
            for band in scene.bands:
                lx, ly = band.label_at
                w = max(len(s) for s in band.label_lines) * (scene.font_size - 1) * 0.5
                h = len(band.label_lines) * scene.font_size
                left = {"right": lx - w, "left": lx}.get(band.label_align, lx - w / 2)
                top = ly if band.label_valign == "top" else ly + h
                box = (left, top - h, left + w, top)
                assert not figures._crosses(box, scene.links), (diagram.id, lang, band.group_id)


def test_regions_of_neighbouring_phases_do_not_overlap(atlas: Atlas) -> None:
    for lang, compact in itertools.product(LANGS, (False, True)):
        bands = figures.build_scene(atlas.diagrams["lifecycle"], lang, compact=compact).bands
        for a, b in itertools.combinations(bands, 2):
            overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert overlap_x <= 0 or overlap_y <= 0, (lang, compact, a.group_id, b.group_id)


def test_cards_never_overlap(atlas: Atlas) -> None:
    for diagram, lang, compact in _all_variants(atlas):
        cards = figures.build_scene(diagram, lang, compact=compact).cards
        for a, b in itertools.combinations(cards, 2):
            apart = a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0
            assert apart, (diagram.id, lang, compact, a.node_id, b.node_id)


def test_numbers_are_drawn_on_badges(atlas: Atlas) -> None:
    diagram = atlas.diagrams["lifecycle"]
    fig = figures.diagram_figure(diagram, "en").to_dict()
    badges = _trace(fig, "numbers")
    assert [t.replace("<b>", "").replace("</b>", "") for t in badges["text"]] == \
        [str(n.number) for n in diagram.ordered_nodes()]


def test_the_selected_node_is_highlighted_and_only_it(atlas: Atlas) -> None:
    """A selection made in Python looks exactly like one made by a click: plotly's selected
    style on the node's bar (highlight fill, thick outline in the group colour)."""
    diagram = atlas.diagrams["lifecycle"]
    plain = _node_trace(figures.diagram_figure(diagram, "en").to_dict())
    chosen = _node_trace(figures.diagram_figure(diagram, "en", "step-ml-pipeline").to_dict())
    scene = figures.build_scene(diagram, "en", "step-ml-pipeline")
    assert [c.node_id for c in scene.cards if c.selected] == ["step-ml-pipeline"]
    index = [n.id for n in diagram.ordered_nodes()].index("step-ml-pipeline")
    assert chosen["selectedpoints"] == [index]
    assert "selectedpoints" not in plain
    assert chosen["selected"]["marker"]["color"] == figures.HIGHLIGHT
    assert chosen["marker"]["line"]["width"] >= 3
    group = diagram.group(diagram.node("step-ml-pipeline").group)
    assert chosen["marker"]["line"]["color"][index] == group.color


def test_a_click_and_a_python_selection_send_the_same_figure_otherwise(atlas: Atlas) -> None:
    """Only ``selectedpoints`` differs, which is what lets a click keep the chart."""
    diagram = atlas.diagrams["practices"]
    plain = figures.diagram_figure(diagram, "en").to_dict()
    chosen = figures.diagram_figure(diagram, "en", "version-control").to_dict()
    del chosen["data"][0]["selectedpoints"]
    assert chosen == plain


def test_matrix_groups_are_columns_in_yaml_order_in_their_colours(atlas: Atlas) -> None:
    diagram = atlas.diagrams["practices"]
    scene = figures.build_scene(diagram, "en")
    panels = [b for b in scene.bands if b.kind == "panel"]
    assert [p.group_id for p in panels] == [g.id for g in diagram.groups]
    assert [p.x0 for p in panels] == sorted(p.x0 for p in panels)
    for panel, group in zip(panels, diagram.groups, strict=True):
        assert panel.color == group.color
        for card in scene.cards:
            inside = panel.x0 < card.cx < panel.x1
            assert inside == (diagram.node(card.node_id).group == group.id)
            if inside:
                assert card.accent == group.color
    fills = {s["fillcolor"] for s in figures.scene_figure(scene).to_dict()["layout"]["shapes"]}
    assert {g.color.upper() for g in diagram.groups} <= {f.upper() for f in fills}


def test_ungrouped_matrices_use_the_yaml_column_count(atlas: Atlas) -> None:
    for did in ("principles", "goals"):
        diagram = atlas.diagrams[did]
        assert diagram.columns and not diagram.groups
        scene = figures.build_scene(diagram, "en")
        columns = {round(c.cx) for c in scene.cards}
        rows = {round(c.cy) for c in scene.cards}
        assert len(columns) == diagram.columns
        assert len(rows) == math.ceil(len(diagram.nodes) / diagram.columns)
        compact = figures.build_scene(diagram, "en", compact=True)
        assert len({round(c.cx) for c in compact.cards}) == 2


def test_a_filter_narrows_the_matrix_to_the_visible_nodes(atlas: Atlas) -> None:
    diagram = atlas.diagrams["practices"]
    keep = ["version-control", "monitor-continuously"]
    fig = figures.diagram_figure(diagram, "en", visible=keep).to_dict()
    assert list(_node_trace(fig)["customdata"]) == keep
    scene = figures.build_scene(diagram, "en", visible=keep)
    assert {b.group_id for b in scene.bands} == {"development", "monitoring"}
    empty = figures.diagram_figure(diagram, "en", visible=[]).to_dict()
    assert not empty["data"]


def test_positions_come_from_the_yaml(atlas: Atlas) -> None:
    diagram = atlas.diagrams["lifecycle"]
    scene = figures.build_scene(diagram, "en")
    by_id = {c.node_id: c for c in scene.cards}
    for a, b in itertools.combinations(diagram.nodes, 2):
        ca, cb = by_id[a.id], by_id[b.id]
        if a.position[0] < b.position[0]:
            assert ca.cx < cb.cx
        if a.position[0] == b.position[0]:
            assert ca.cx == pytest.approx(cb.cx)
        if a.position[1] > b.position[1]:
            assert ca.cy > cb.cy


def test_phones_get_a_portrait_layout_that_keeps_the_reading_order(atlas: Atlas) -> None:
    diagram = atlas.diagrams["lifecycle"]
    wide = figures.build_scene(diagram, "en")
    tall = figures.build_scene(diagram, "en", compact=True)
    assert wide.width > wide.height
    assert tall.height > tall.width
    first, second = (tall.card(n.id) for n in diagram.ordered_nodes()[:2])
    assert first.cy > second.cy  # step 1 above step 2
    assert tall.width <= figures.COMPACT_WIDTH + 40


def test_figure_heights_fit_a_projector_and_a_phone(atlas: Atlas) -> None:
    for diagram in atlas.diagrams.values():
        wide = figures.diagram_figure(diagram, "pt-BR").to_dict()["layout"]["height"]
        phone = figures.diagram_figure(diagram, "pt-BR", compact=True).to_dict()["layout"]["height"]
        assert 120 <= wide <= 440, (diagram.id, wide)
        assert phone <= 1000, (diagram.id, phone)


def test_card_text_fits_its_card(atlas: Atlas) -> None:
    """Every wrapped line fits inside its card at the reference width, in both languages (long
    pt-BR words shrink the labels a little instead of spilling over the border)."""
    for diagram, lang, compact in _all_variants(atlas):
        scene = figures.build_scene(diagram, lang, compact=compact)
        size = scene.label_size
        assert size >= figures.MIN_LABEL_FONT
        for card in scene.cards:
            for line in card.lines:
                assert len(line) * size * figures.CHAR_EM <= card.w - 4, (diagram.id, lang, line)
            assert len(card.lines) * size * 1.25 < card.h


def test_labels_shrink_only_as_much_as_a_long_word_needs() -> None:
    lines, size = figures.fit_labels({"a": "Monitoramento", "b": "Short"}, 80, 13)
    assert lines == {"a": ["Monitoramento"], "b": ["Short"]}
    assert size == pytest.approx(80 / (13 * figures.CHAR_EM))
    same, size = figures.fit_labels({"a": "Data extraction"}, 80, 13)
    assert size == 13 and same == {"a": ["Data", "extraction"]}


def test_authored_text_is_escaped_for_plotly() -> None:
    diagram = _cycle()
    diagram.nodes[0].label = _text("A <b>bold</b> & plain label")
    text = _trace(figures.diagram_figure(diagram, "en").to_dict(), "labels")["text"][0]
    assert "<b>bold" not in text and "&lt;b&gt;bold" in text and "&amp;" in text


def test_wrap_keeps_words_and_respects_the_width() -> None:
    assert figures.wrap("Automated ML pipeline", 12) == ["Automated ML", "pipeline"]
    assert figures.wrap("Supercalifragilistic word", 8) == ["Supercalifragilistic", "word"]
    assert figures.wrap("", 10) == [""]
    # No short word alone on a line when it can join the next one.
    assert figures.wrap("Engenharia de atributos", 10) == ["Engenharia", "de atributos"]


def test_colour_helpers_keep_text_readable() -> None:
    for colour in figures.OKABE_ITO:
        text = figures.text_on(colour)
        assert figures.contrast(text, colour) >= 3.0, colour
        assert figures.contrast(figures.readable_accent(colour), figures.WHITE) >= 4.5, colour
    assert figures.tint("#0072B2", 1.0) == "#FFFFFF"
    assert figures.tint("#0072B2", 0.0) == "#0072B2"


def test_phone_user_agents_get_the_compact_layout() -> None:
    assert figures.is_compact_client(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148")
    assert figures.is_compact_client("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/126 Mobile")
    assert not figures.is_compact_client("Mozilla/5.0 (X11; Linux x86_64) Chrome/126 Safari/537")
    assert not figures.is_compact_client(None)


def test_a_frozen_figure_gives_the_same_spec_cheaply_and_cannot_be_changed_by_a_caller(
        atlas: Atlas) -> None:
    import plotly.io as pio
    import plotly.tools

    fig = figures.diagram_figure(atlas.diagrams["lifecycle"], "en", "step-monitoring")
    frozen = figures.FrozenFigure(fig)
    assert frozen.to_dict() == fig.to_dict()
    # What st.plotly_chart does with it: the same JSON spec as from the plain figure.
    spec = pio.to_json(plotly.tools.return_figure_from_figure_or_data(frozen, True), validate=False)
    assert json.loads(spec) == json.loads(pio.to_json(fig, validate=False))
    mine = frozen.to_dict()
    mine["layout"]["shapes"].clear()
    assert frozen.to_dict()["layout"]["shapes"]  # a caller's change stays in its own copy
    # No default template: 7 KB of unused defaults every session would receive.
    assert len(json.dumps(json.loads(spec)["layout"].get("template", {}))) < 100
