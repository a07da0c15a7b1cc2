"""The typed artefact model: plain, immutable-by-convention data the pages and figures read.

Nothing here knows what an artefact is *about*; diagrams, groups, nodes and edges are generic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Text = dict[str, str]
"""A human-readable text in every configured language: ``{"pt-BR": ..., "en": ...}``."""

LAYOUTS = ("matrix", "flow", "cycle")
EDGE_KINDS = ("sequence", "feedback")


def tr(text: Text | None, lang: str, fallback: str = "en") -> str:
    """The text in ``lang``; the loader guarantees every language, the fallback is belt and braces."""
    if not text:
        return ""
    return text.get(lang) or text.get(fallback) or next(iter(text.values()), "")


@dataclass(frozen=True)
class Reference:
    id: str
    citation: str
    url: str | None = None


@dataclass(frozen=True)
class Section:
    id: str
    title: Text


@dataclass(frozen=True)
class Group:
    id: str
    label: Text
    color: str
    description: Text | None = None


@dataclass
class Node:
    id: str
    diagram: str
    label: Text
    summary: Text
    description: Text
    short_label: Text | None = None
    group: str | None = None
    number: int | None = None
    position: tuple[float, float] | None = None
    details: dict[str, list[Text]] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    """Outgoing links as written in YAML."""
    related: list[str] = field(default_factory=list)
    """Links in both directions (outgoing plus every node that links here), filled by the loader."""

    def figure_label(self, lang: str) -> str:
        return tr(self.short_label or self.label, lang)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str = "sequence"
    label: Text | None = None


@dataclass
class Diagram:
    id: str
    layout: str
    title: Text
    summary: Text
    node_label: Text
    file: str
    source: Text | None = None
    columns: int | None = None
    sections: list[Section] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def group(self, group_id: str | None) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def ordered_nodes(self) -> list[Node]:
        """Nodes in reading order: by number when numbered, else grouped by group order."""
        group_rank = {g.id: i for i, g in enumerate(self.groups)}
        return sorted(
            self.nodes,
            key=lambda n: (
                n.number if n.number is not None else 10_000,
                group_rank.get(n.group or "", 10_000),
                self.nodes.index(n),
            ),
        )


@dataclass
class Atlas:
    title: Text
    tagline: Text
    about: Text
    languages: list[str]
    diagrams: dict[str, Diagram]
    references: dict[str, Reference]
    content_version: str
    survey: Any = None
    """The questionnaire (``components.survey.Survey``) when ``questionnaire.yaml`` exists."""

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def nodes(self) -> dict[str, Node]:
        return {n.id: n for d in self.diagrams.values() for n in d.nodes}

    def node(self, node_id: str) -> Node | None:
        for d in self.diagrams.values():
            found = d.node(node_id)
            if found:
                return found
        return None

    def related_by_diagram(self, node: Node) -> list[tuple[Diagram, list[Node]]]:
        """The node's two-way links, grouped by the diagram they live in, in diagram order."""
        out: list[tuple[Diagram, list[Node]]] = []
        for diagram in self.diagrams.values():
            members = [n for n in diagram.ordered_nodes() if n.id in node.related]
            if members:
                out.append((diagram, members))
        return out
