"""Downloads: DOT (graphviz package), SVG (own serialisation) and formula-safe CSV."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from components import diagram_export as export
from components.loader import load_atlas
from components.model import Atlas
from tests.conftest import ARTEFACTS

LANGS = ("pt-BR", "en")
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    result = load_atlas(ARTEFACTS)
    assert result.ok, result.problems
    return result.atlas


def _svg_texts(svg: str) -> list[str]:
    """Each <text> element's lines joined with spaces: wrapped labels read as written."""
    root = ET.fromstring(svg)
    return [" ".join(t.text or "" for t in el.iter(f"{SVG_NS}tspan"))
            for el in root.iter(f"{SVG_NS}text")]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("compact", [False, True])
def test_svg_parses_and_shows_every_node_label(atlas: Atlas, lang: str, compact: bool) -> None:
    for diagram in atlas.diagrams.values():
        svg = export.to_svg(diagram, lang, compact)
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG_NS}svg"
        assert root.find(f"{SVG_NS}title").text == diagram.title[lang]
        texts = _svg_texts(svg)
        for node in diagram.nodes:
            assert node.figure_label(lang) in texts, (diagram.id, node.id)
            if node.number is not None:
                assert str(node.number) in texts
        for group in diagram.groups:
            assert any(group.label[lang] in t for t in texts), (diagram.id, group.id)


def test_svg_draws_feedback_edges_dashed_with_arrowheads(atlas: Atlas) -> None:
    diagram = atlas.diagrams["lifecycle"]
    root = ET.fromstring(export.to_svg(diagram, "en"))
    lines = list(root.iter(f"{SVG_NS}polyline"))
    assert len(lines) == len(diagram.edges)
    dashed = [p for p in lines if p.get("stroke-dasharray")]
    assert len(dashed) == sum(e.kind == "feedback" for e in diagram.edges)
    assert all(p.get("marker-end", "").startswith("url(#arrow") for p in lines)


def test_svg_escapes_authored_text(atlas: Atlas) -> None:
    diagram = atlas.diagrams["governance"]
    diagram.nodes[0].short_label = {"en": "R&D <script>", "pt-BR": "P&D"}
    try:
        svg = export.to_svg(diagram, "en")
        assert "<script>" not in svg
        assert "R&D <script>" in _svg_texts(svg)
    finally:
        diagram.nodes[0].short_label = None


@pytest.mark.parametrize("lang", LANGS)
def test_dot_names_every_node_and_marks_feedback(atlas: Atlas, lang: str) -> None:
    for diagram in atlas.diagrams.values():
        dot = export.to_dot(diagram, lang)
        assert dot.startswith(f"digraph {diagram.id}")
        flat = dot.replace("\\n", " ")
        for node in diagram.nodes:
            assert node.id in dot
            assert node.label[lang].replace('"', '\\"') in flat, (diagram.id, node.id)
        for group in diagram.groups:
            assert f"cluster_{group.id}" in dot
        feedback = [e for e in diagram.edges if e.kind == "feedback"]
        assert dot.count("style=dashed") == len(feedback)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
@pytest.mark.parametrize("did", ["practices", "governance", "lifecycle", "principles"])
def test_dot_renders_with_graphviz(atlas: Atlas, did: str) -> None:
    diagram = atlas.diagrams[did]
    result = subprocess.run(["dot", "-Tsvg"], input=export.to_dot(diagram, "pt-BR"),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    texts = " ".join(t.text or "" for t in ET.fromstring(result.stdout).iter(f"{SVG_NS}text"))
    for node in diagram.nodes:
        for word in node.label["pt-BR"].split():
            assert word in texts, (did, node.id, word)


def test_csv_has_a_row_per_node_with_sections_references_and_related(atlas: Atlas) -> None:
    diagram = atlas.diagrams["practices"]
    headers = {"group": "Grupo", "label": "Rótulo"}
    text = export.to_csv(diagram, "pt-BR", headers, atlas)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["Grupo", "number", "id", "Rótulo"]
    assert [s.title["pt-BR"] for s in diagram.sections] == rows[0][6:-2]
    assert [r[2] for r in rows[1:]] == [n.id for n in diagram.ordered_nodes()]
    for row, node in zip(rows[1:], diagram.ordered_nodes(), strict=True):
        assert row[3] == node.label["pt-BR"]
        assert row[0] == diagram.group(node.group).label["pt-BR"]
        first_action = node.details[diagram.sections[0].id][0]["pt-BR"]
        assert first_action in row[6]
        assert atlas.references[node.references[0]].citation in row[-2]
        related_label = atlas.node(node.related[0]).label["pt-BR"]
        assert related_label in row[-1]


@pytest.mark.parametrize("danger", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_csv_cells_cannot_run_as_formulas(atlas: Atlas, danger: str) -> None:
    assert export.safe_cell(danger) == "'" + danger
    diagram = atlas.diagrams["goals"]
    node = diagram.nodes[0]
    saved = node.label
    node.label = {"en": danger + 'HYPERLINK("http://evil")', "pt-BR": danger}
    try:
        rows = list(csv.reader(io.StringIO(export.to_csv(diagram, "en", {}).lstrip("\ufeff"))))
        cell = next(r[3] for r in rows if r[2] == node.id)
        assert cell.startswith("'" + danger)
    finally:
        node.label = saved


def test_harmless_cells_are_unchanged() -> None:
    assert export.safe_cell("Version control") == "Version control"
    assert export.safe_cell("a=b") == "a=b"
    assert export.safe_cell(None) == ""
    assert export.safe_cell(3) == "3"
