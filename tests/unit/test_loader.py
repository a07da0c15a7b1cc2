"""The artefact loader: the real artefacts load, and broken ones are reported by file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from components.loader import content_version, load_atlas
from components.validate import main as validate_main
from tests.conftest import ARTEFACTS

MANIFEST = """\
atlas:
  title: {pt-BR: Atlas, en: Atlas}
  tagline: {pt-BR: Lema, en: Tagline}
  about: {pt-BR: Sobre, en: About}
  languages: [pt-BR, en]
  diagrams: [grid, chain]
"""

REFERENCES = """\
references:
  - id: ref-a
    citation: "Author, A. (2020). A book."
"""

GRID = """\
diagram:
  id: grid
  layout: matrix
  title: {pt-BR: Grade, en: Grid}
  summary: {pt-BR: Resumo, en: Summary}
  node_label: {pt-BR: Item, en: Item}
  sections:
    - id: tips
      title: {pt-BR: Dicas, en: Tips}
  groups:
    - id: left
      label: {pt-BR: Esquerda, en: Left}
      color: "#0072B2"
  nodes:
    - id: alpha
      group: left
      label: {pt-BR: Alfa, en: Alpha}
      summary: {pt-BR: Resumo alfa, en: Alpha summary}
      description: {pt-BR: Descrição, en: Description}
      details:
        tips:
          - {pt-BR: Dica, en: Tip}
      references: [ref-a]
      links: [one]
"""

CHAIN = """\
diagram:
  id: chain
  layout: flow
  title: {pt-BR: Cadeia, en: Chain}
  summary: {pt-BR: Resumo, en: Summary}
  node_label: {pt-BR: Passo, en: Step}
  nodes:
    - id: one
      number: 1
      label: {pt-BR: Um, en: One}
      summary: {pt-BR: Um, en: One}
      description: {pt-BR: Um, en: One}
      position: [0, 0]
    - id: two
      number: 2
      label: {pt-BR: Dois, en: Two}
      summary: {pt-BR: Dois, en: Two}
      description: {pt-BR: Dois, en: Two}
      position: [1, 0]
  edges:
    - {from: one, to: two}
    - {from: two, to: one, kind: feedback, label: {pt-BR: volta, en: back}}
"""


def write_atlas(root: Path, **overrides: str) -> Path:
    files = {
        "atlas.yaml": MANIFEST,
        "references.yaml": REFERENCES,
        "diagrams/grid.yaml": GRID,
        "diagrams/chain.yaml": CHAIN,
    }
    files.update({k.replace("__", "/").replace("_yaml", ".yaml"): v for k, v in overrides.items()})
    for name, text in files.items():
        if text is None:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle`` (keeps tests honest about lines)."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in text")


def test_minimal_atlas_loads(tmp_path: Path) -> None:
    result = load_atlas(write_atlas(tmp_path))
    assert result.problems == []
    atlas = result.atlas
    assert list(atlas.diagrams) == ["grid", "chain"]
    assert atlas.node("two").number == 2
    assert atlas.diagrams["chain"].edges[1].kind == "feedback"


def test_links_are_two_way(tmp_path: Path) -> None:
    atlas = load_atlas(write_atlas(tmp_path)).atlas
    assert atlas.node("alpha").related == ["one"]
    assert atlas.node("one").related == ["alpha"]
    groups = atlas.related_by_diagram(atlas.node("one"))
    assert [(d.id, [n.id for n in ns]) for d, ns in groups] == [("grid", ["alpha"])]


# Each case: the file to replace, its new text, and what the problem must name.
BROKEN = [
    (
        "bad_syntax",
        "diagrams/grid.yaml",
        GRID.replace("  layout: matrix\n", "  layout: [matrix\n"),
        "diagrams/grid.yaml",
        "layout: [matrix",
        "layout",
        "not valid YAML",
    ),
    (
        "missing_label",
        "diagrams/grid.yaml",
        GRID.replace("      label: {pt-BR: Alfa, en: Alpha}\n", ""),
        "diagrams/grid.yaml",
        "- id: alpha",
        "diagram.nodes[0].label",
        "is missing",
    ),
    (
        "missing_translation",
        "diagrams/grid.yaml",
        GRID.replace("summary: {pt-BR: Resumo alfa, en: Alpha summary}", "summary: {pt-BR: Resumo alfa}"),
        "diagrams/grid.yaml",
        "Resumo alfa",
        "diagram.nodes[0].summary",
        "missing translation 'en'",
    ),
    (
        "unknown_language",
        "diagrams/chain.yaml",
        CHAIN.replace("title: {pt-BR: Cadeia, en: Chain}", "title: {pt-BR: Cadeia, en: Chain, fr: Chaîne}"),
        "diagrams/chain.yaml",
        "Chaîne",
        "diagram.title.fr",
        "unknown language 'fr'",
    ),
    (
        "duplicate_node_id",
        "diagrams/chain.yaml",
        CHAIN.replace("    - id: two\n", "    - id: one  # again\n").replace("to: two}", "to: one}"),
        "diagrams/chain.yaml",
        "- id: one  # again",
        "diagram.nodes[1].id",
        "duplicate node id 'one'",
    ),
    (
        "edge_to_unknown_node",
        "diagrams/chain.yaml",
        CHAIN.replace("{from: one, to: two}", "{from: one, to: three}"),
        "diagrams/chain.yaml",
        "to: three",
        "diagram.edges[0].to",
        "unknown node 'three'",
    ),
    (
        "link_to_unknown_node",
        "diagrams/grid.yaml",
        GRID.replace("links: [one]", "links: [nowhere]"),
        "diagrams/grid.yaml",
        "links: [nowhere]",
        "diagram.nodes[0].links[0]",
        "unknown node 'nowhere'",
    ),
    (
        "unknown_reference",
        "diagrams/grid.yaml",
        GRID.replace("references: [ref-a]", "references: [ref-z]"),
        "diagrams/grid.yaml",
        "references: [ref-z]",
        "diagram.nodes[0].references[0]",
        "unknown reference 'ref-z'",
    ),
    (
        "wrong_type_number",
        "diagrams/chain.yaml",
        CHAIN.replace("      number: 2\n", "      number: two\n"),
        "diagrams/chain.yaml",
        "number: two",
        "diagram.nodes[1].number",
        "expected a whole number",
    ),
    (
        "bad_position",
        "diagrams/chain.yaml",
        CHAIN.replace("position: [1, 0]", "position: [1]"),
        "diagrams/chain.yaml",
        "position: [1]",
        "diagram.nodes[1].position",
        "two numbers",
    ),
    (
        "missing_position_in_flow",
        "diagrams/chain.yaml",
        CHAIN.replace("      position: [1, 0]\n", ""),
        "diagrams/chain.yaml",
        "- id: two",
        "diagram.nodes[1].position",
        "needs [x, y]",
    ),
    (
        "unknown_group",
        "diagrams/grid.yaml",
        GRID.replace("      group: left\n", "      group: right\n"),
        "diagrams/grid.yaml",
        "group: right",
        "diagram.nodes[0].group",
        "unknown group 'right'",
    ),
    (
        "bad_colour",
        "diagrams/grid.yaml",
        GRID.replace('color: "#0072B2"', "color: blue"),
        "diagrams/grid.yaml",
        "color: blue",
        "diagram.groups[0].color",
        "is not a colour",
    ),
    (
        "unknown_layout",
        "diagrams/grid.yaml",
        GRID.replace("layout: matrix", "layout: spiral"),
        "diagrams/grid.yaml",
        "layout: spiral",
        "diagram.layout",
        "'spiral' is not a layout",
    ),
    (
        "unknown_section_in_details",
        "diagrams/grid.yaml",
        GRID.replace("        tips:\n", "        hints:\n"),
        "diagrams/grid.yaml",
        "hints:",
        "diagram.nodes[0].details.hints",
        "unknown section 'hints'",
    ),
    (
        "text_is_plain_string",
        "diagrams/grid.yaml",
        GRID.replace("description: {pt-BR: Descrição, en: Description}", "description: Just English"),
        "diagrams/grid.yaml",
        "description: Just English",
        "diagram.nodes[0].description",
        "expected a text in pt-BR and en",
    ),
    (
        "id_differs_from_file",
        "diagrams/grid.yaml",
        GRID.replace("  id: grid\n", "  id: table\n"),
        "diagrams/grid.yaml",
        "id: table",
        "diagram.id",
        "must equal the file name 'grid'",
    ),
    (
        "diagram_not_in_manifest",
        "atlas.yaml",
        MANIFEST.replace("diagrams: [grid, chain]", "diagrams: [grid, chain, ghost]"),
        "atlas.yaml",
        "diagrams: [grid, chain, ghost]",
        "atlas.diagrams[2]",
        "unknown diagram 'ghost'",
    ),
    (
        "manifest_unknown_language_code",
        "atlas.yaml",
        MANIFEST.replace("languages: [pt-BR, en]", "languages: [pt-BR, english]"),
        "atlas.yaml",
        "languages:",
        "atlas.languages[1]",
        "not a language code",
    ),
    (
        "duplicate_key",
        "diagrams/chain.yaml",
        CHAIN.replace("  layout: flow\n", "  layout: flow\n  layout: cycle\n"),
        "diagrams/chain.yaml",
        "layout: cycle",
        "diagram.layout",
        "appears twice",
    ),
    (
        "bad_edge_kind",
        "diagrams/chain.yaml",
        CHAIN.replace("kind: feedback", "kind: loop"),
        "diagrams/chain.yaml",
        "kind: loop",
        "diagram.edges[1].kind",
        "'loop' is not an edge kind",
    ),
    (
        "empty_text",
        "references.yaml",
        REFERENCES.replace('citation: "Author, A. (2020). A book."', "citation: 42"),
        "references.yaml",
        "citation: 42",
        "references[0].citation",
        "expected the citation as text",
    ),
]


@pytest.mark.parametrize(
    ("name", "target", "text", "file", "line_needle", "field", "message"),
    BROKEN,
    ids=[case[0] for case in BROKEN],
)
def test_broken_fixture_is_reported_with_file_line_and_field(
    tmp_path: Path, name: str, target: str, text: str, file: str, line_needle: str, field: str, message: str
) -> None:
    root = write_atlas(tmp_path)
    (root / target).write_text(text, encoding="utf-8")
    result = load_atlas(root)
    assert result.atlas is None, "a broken atlas must not load"
    expected_line = line_of(text, line_needle)
    matching = [p for p in result.problems if p.file == file and message in p.message and p.field == field]
    assert matching, f"no problem for {field!r} with {message!r}; got:\n" + "\n".join(
        map(str, result.problems)
    )
    assert matching[0].line == expected_line
    rendered = str(matching[0])
    assert rendered.startswith(f"{file}:{expected_line}: {field}" if field else f"{file}:{expected_line}:")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = write_atlas(tmp_path)
    broken = GRID.replace("links: [one]", "links: [nowhere]").replace("layout: matrix", "layout: spiral")
    (root / "diagrams/grid.yaml").write_text(broken)
    (root / "diagrams/chain.yaml").write_text(CHAIN.replace("{from: one, to: two}", "{from: one, to: x}"))
    result = load_atlas(root)
    messages = "\n".join(map(str, result.problems))
    assert "unknown node 'nowhere'" in messages
    assert "'spiral' is not a layout" in messages
    assert "unknown node 'x'" in messages


def test_missing_manifest(tmp_path: Path) -> None:
    write_atlas(tmp_path, atlas_yaml=None)
    result = load_atlas(tmp_path)
    assert [str(p) for p in result.problems] == ["atlas.yaml: (file): is missing from the artefact directory"]


def test_real_artefacts_load_without_problems() -> None:
    result = load_atlas(ARTEFACTS)
    assert result.problems == [], "\n".join(map(str, result.problems))
    atlas = result.atlas
    assert atlas.languages[:2] == ["pt-BR", "en"]
    matrix = atlas.diagrams["practices"]
    assert len(matrix.groups) == 4
    assert len(matrix.nodes) == 10
    for node in matrix.nodes:
        assert len(node.details["actions"]) >= 3, node.id
        assert node.references, node.id
        linked = {atlas.node(r).diagram for r in node.related}
        assert {"lifecycle", "principles"} <= linked, node.id
    lifecycle = atlas.diagrams["lifecycle"]
    assert sorted(n.number for n in lifecycle.nodes) == list(range(1, 8))
    feedback = [(e.source, e.target) for e in lifecycle.edges if e.kind == "feedback"]
    monitoring = next(n.id for n in lifecycle.nodes if n.number == 7)
    targets = {lifecycle.node(t).number for s, t in feedback if s == monitoring}
    assert targets == {1, 4}
    assert len(atlas.diagrams["governance"].nodes) == 3
    assert len(atlas.diagrams["architecture"].nodes) == 8
    assert len(atlas.diagrams["goals"].nodes) == 8


def test_changing_a_title_in_yaml_changes_the_model(artefact_copy: Path) -> None:
    path = artefact_copy / "diagrams" / "practices.yaml"
    data = yaml.safe_load(path.read_text())
    data["diagram"]["nodes"][0]["label"]["en"] = "A brand new practice title"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    atlas = load_atlas(artefact_copy).atlas
    first = data["diagram"]["nodes"][0]["id"]
    assert atlas.node(first).label["en"] == "A brand new practice title"


def test_content_version_is_stable_and_tracks_edits(artefact_copy: Path) -> None:
    before = content_version(artefact_copy)
    assert before == content_version(artefact_copy) == content_version(ARTEFACTS)
    assert len(before) == 12
    with (artefact_copy / "atlas.yaml").open("a") as fh:
        fh.write("\n# edited\n")
    assert content_version(artefact_copy) != before


def test_validate_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_atlas(tmp_path)
    assert validate_main([str(root)]) == 0
    assert "OK: 2 diagrams, 3 nodes" in capsys.readouterr().out
    (root / "diagrams/grid.yaml").write_text(GRID.replace("links: [one]", "links: [nowhere]"))
    assert validate_main([str(root)]) == 1
    err = capsys.readouterr().err
    assert "diagrams/grid.yaml:" in err and "unknown node 'nowhere'" in err
