"""Downloads of a diagram: Graphviz DOT, a standalone SVG and (for matrices) a CSV table.

All three are built in Python from the model: the DOT text comes from the ``graphviz`` package
(``Digraph.source``, no ``dot`` binary at runtime) and the SVG is drawn from the same scene as the
on-screen figure, so a download looks like what the presenter showed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from xml.sax.saxutils import escape as xml_escape

import graphviz

from components.figures import (
    CARD_OUTLINE,
    EDGE,
    FONT,
    MUTED,
    SELECTED_OUTLINE,
    TEXT,
    UNGROUPED_ACCENT,
    WHITE,
    Scene,
    build_scene,
    feedback_color,
    readable_accent,
    shade,
    text_on,
    tint,
    wrap,
)
from components.model import Atlas, Diagram, Node, tr

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HIGHLIGHT_RGB, HIGHLIGHT_ALPHA = "#F0E442", 0.42  # figures.HIGHLIGHT, as SVG wants it


# ---------------------------------------------------------------------------- CSV


def safe_cell(value: object) -> str:
    """A spreadsheet cell that cannot run as a formula (OWASP CSV injection): text starting with
    ``= + - @``, tab or carriage return gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_csv(diagram: Diagram, lang: str, headers: Mapping[str, str], atlas: Atlas | None = None) -> str:
    """One row per node in reading order; list sections are joined with `` | ``.

    ``headers`` holds the translated column titles for ``group``, ``number``, ``id``, ``label``,
    ``summary``, ``description``, ``references`` and ``related``; section columns use the section
    titles from the YAML. A BOM lets spreadsheet programs detect UTF-8 (accents in pt-BR).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    fixed = ["group", "number", "id", "label", "summary", "description"]
    writer.writerow([safe_cell(headers.get(k, k)) for k in fixed]
                    + [safe_cell(tr(s.title, lang)) for s in diagram.sections]
                    + [safe_cell(headers.get("references", "references")),
                       safe_cell(headers.get("related", "related"))])
    for node in diagram.ordered_nodes():
        group = diagram.group(node.group)
        refs = []
        for rid in node.references:
            ref = atlas.references.get(rid) if atlas else None
            refs.append(ref.citation if ref else rid)
        related = []
        for rid in node.related:
            other = atlas.node(rid) if atlas else None
            related.append(tr(other.label, lang) if other else rid)
        row = [tr(group.label, lang) if group else "", node.number if node.number is not None else "",
               node.id, tr(node.label, lang), tr(node.summary, lang), tr(node.description, lang)]
        row += [" | ".join(tr(item, lang) for item in node.details.get(s.id, []))
                for s in diagram.sections]
        row += ["; ".join(refs), "; ".join(related)]
        writer.writerow([safe_cell(v) for v in row])
    return "\ufeff" + buffer.getvalue()


# ---------------------------------------------------------------------------- DOT


def _dot_label(node: Node, lang: str) -> str:
    text = tr(node.label, lang)
    if node.number is not None:
        text = f"{node.number}. {text}"
    return "\\n".join(graphviz.escape(line) for line in wrap(text, 22))


def to_dot(diagram: Diagram, lang: str) -> str:
    """The diagram as Graphviz DOT: groups become clusters, feedback edges are dashed and do not
    constrain the ranking, and positioned nodes carry ``pos`` for ``neato -n``."""
    rankdir = "TB" if diagram.layout == "matrix" else "LR"
    graph = graphviz.Digraph(
        name=diagram.id,
        graph_attr={"label": graphviz.escape(tr(diagram.title, lang)), "labelloc": "t",
                    "fontname": "Helvetica", "fontsize": "16", "rankdir": rankdir,
                    "nodesep": "0.35", "ranksep": "0.5", "bgcolor": "white"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                   "fontsize": "11", "fillcolor": "white", "color": UNGROUPED_ACCENT,
                   "penwidth": "1.6", "margin": "0.15,0.08"},
        edge_attr={"color": EDGE, "fontname": "Helvetica", "fontsize": "10", "penwidth": "1.4"},
    )

    def add_node(target: graphviz.Digraph, node: Node) -> None:
        group = diagram.group(node.group)
        attrs = {"label": _dot_label(node, lang), "tooltip": graphviz.escape(tr(node.summary, lang))}
        if group:
            attrs.update(color=group.color, fillcolor=tint(group.color, 0.85))
        if node.position is not None:
            attrs["pos"] = f"{node.position[0] * 2.2:.2f},{node.position[1] * 1.6:.2f}!"
        target.node(node.id, **attrs)

    ungrouped = [n for n in diagram.ordered_nodes() if diagram.group(n.group) is None]
    for group in diagram.groups:
        members = [n for n in diagram.ordered_nodes() if n.group == group.id]
        if not members:
            continue
        with graph.subgraph(name=f"cluster_{group.id}") as sub:
            sub.attr(label=graphviz.escape(tr(group.label, lang)), color=group.color,
                     style="rounded,filled", fillcolor=tint(group.color, 0.92),
                     fontcolor=shade(group.color, 0.45), fontname="Helvetica-Bold")
            for node in members:
                add_node(sub, node)
            if diagram.layout == "matrix":
                for a, b in zip(members, members[1:], strict=False):
                    sub.edge(a.id, b.id, style="invis")
    for node in ungrouped:
        add_node(graph, node)
    if diagram.layout == "matrix" and not diagram.groups and diagram.columns:
        cols = diagram.columns
        for i in range(0, len(ungrouped), cols):
            with graph.subgraph() as row:
                row.attr(rank="same")
                for node in ungrouped[i : i + cols]:
                    row.node(node.id)
            if i + cols < len(ungrouped):
                graph.edge(ungrouped[i].id, ungrouped[i + cols].id, style="invis")
    fb = feedback_color(diagram)
    for edge in diagram.edges:
        attrs: dict[str, str] = {}
        if edge.label:
            attrs["label"] = graphviz.escape(tr(edge.label, lang))
        if edge.kind == "feedback":
            attrs.update(style="dashed", color=fb, fontcolor=fb, constraint="false")
        graph.edge(edge.source, edge.target, **attrs)
    return graph.source


# ---------------------------------------------------------------------------- SVG


def _tspans(lines: list[str], x: float, y: float, size: float, line_h: float, anchor: str,
            valign: str, color: str, weight: str = "normal", style: str = "normal") -> str:
    """Multi-line text; ``y`` is the top, middle or bottom of the block as ``valign`` says."""
    total = line_h * len(lines)
    if valign == "top":
        first = y + size * 0.85
    elif valign == "bottom":
        first = y - total + size * 0.85
    else:
        first = y - total / 2 + size * 0.85 + (line_h - size) / 2
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{first + i * line_h:.1f}">{xml_escape(s)}</tspan>'
        for i, s in enumerate(lines)
    )
    return (f'<text font-size="{size:.1f}" fill="{color}" text-anchor="{anchor}" '
            f'font-weight="{weight}" font-style="{style}">{spans}</text>')


def _rect(x0: float, y0: float, x1: float, y1: float, rx: float, fill: str, stroke: str = "none",
          width: float = 0.0, dash: str | None = None, opacity: float | None = None) -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    if opacity is not None:
        extra += f' fill-opacity="{opacity}"'
    return (f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
            f'rx="{rx}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"{extra}/>')


def scene_svg(scene: Scene, title: str = "", description: str = "") -> str:
    """A standalone SVG of the scene (y flipped: the scene's y grows upwards)."""
    font = scene.font_size
    line_h = font * 1.25

    def Y(y: float) -> float:  # the y axis flipped: SVG grows downwards
        return -y

    out: list[str] = []
    colors = sorted({link.color for link in scene.links})
    markers = "".join(
        f'<marker id="arrow{i}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{c}"/></marker>'
        for i, c in enumerate(colors)
    )
    marker_of = {c: f"arrow{i}" for i, c in enumerate(colors)}
    w, h = scene.width, scene.height
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{scene.x0:.1f} {Y(scene.y1):.1f} '
        f'{w:.1f} {h:.1f}" width="{w:.0f}" height="{h:.0f}" role="img" '
        f'font-family={_attr(FONT)}>'
    )
    out.append(f"<title>{xml_escape(title)}</title><desc>{xml_escape(description)}</desc>")
    out.append(f"<defs>{markers}</defs>")
    out.append(_rect(scene.x0, Y(scene.y1), scene.x1, Y(scene.y0), 0, WHITE))
    for band in scene.bands:
        if band.kind == "panel":
            out.append(_rect(band.x0, Y(band.y1), band.x1, Y(band.y0), 10, tint(band.color, 0.86)))
            out.append(_rect(band.x0, Y(band.y1), band.x1, Y(band.y1 - 6), 3, band.color))
            anchor = "middle" if band.label_align == "center" else "start"
            out.append(_tspans(band.label_lines, band.label_at[0], Y(band.label_at[1]), font,
                               line_h, anchor, "top", TEXT, "bold"))
        else:
            out.append(_rect(band.x0, Y(band.y1), band.x1, Y(band.y0), 12, tint(band.color, 0.82),
                             tint(band.color, 0.25), 1.2, "2,3"))
            anchor = {"right": "end", "center": "middle"}.get(band.label_align, "start")
            color = readable_accent(shade(band.color, 0.35), tint(band.color, 0.82))
            out.append(_tspans(band.label_lines, band.label_at[0], Y(band.label_at[1]), font - 1,
                               line_h, anchor, band.label_valign, color, "bold"))
    for link in scene.links:
        pts = " ".join(f"{x:.1f},{Y(y):.1f}" for x, y in link.points)
        dash = ' stroke-dasharray="7,5"' if link.dashed else ""
        width = 2.4 if link.kind == "feedback" else 2.0
        out.append(f'<polyline points="{pts}" fill="none" stroke="{link.color}" '
                   f'stroke-width="{width}"{dash} marker-end="url(#{marker_of[link.color]})"/>')
    for link in scene.links:
        if link.label_lines and link.label_at:
            lx, ly = link.label_at
            anchor = {"left": "start", "right": "end"}.get(link.label_align, "middle")
            size = font - 2
            lw = max(len(s) for s in link.label_lines) * size * 0.55 + 6
            lh = len(link.label_lines) * size * 1.25 + 4
            bx0 = {"start": lx - 3, "end": lx - lw + 3}.get(anchor, lx - lw / 2)
            top = {"top": Y(ly), "bottom": Y(ly) - lh}.get(link.label_valign, Y(ly) - lh / 2)
            out.append(_rect(bx0, top, bx0 + lw, top + lh, 3, WHITE, opacity=0.92))
            color = link.color if link.kind == "feedback" else MUTED
            weight = "bold" if link.kind == "feedback" else "normal"
            out.append(_tspans(link.label_lines, lx, top + 2, size, size * 1.25, anchor, "top",
                               color, weight, "italic"))
    for card in scene.cards:
        x0, y0, x1, y1 = card.x0, Y(card.y1), card.x1, Y(card.y0)
        if card.strip:
            out.append(_rect(x0, y0, x1, y1, 8, WHITE, CARD_OUTLINE, 1.0))
            out.append(_rect(x0 + 0.5, y0 + 0.5, x0 + 6, y1 - 0.5, 3, card.accent))
            cx = card.cx + 3
        else:
            out.append(_rect(x0, y0, x1, y1, 9, WHITE, card.accent, 2.0))
            cx = card.cx
        if card.selected:  # as on screen: plotly's selected style of the node's bar
            out.append(_rect(x0, y0, x1, y1, 9, HIGHLIGHT_RGB, card.accent, SELECTED_OUTLINE,
                             opacity=HIGHLIGHT_ALPHA))
        size = scene.label_size
        out.append(_tspans(card.lines, cx, Y(card.cy), size, size * 1.25, "middle", "middle",
                           TEXT))
        if card.number is not None:
            bx, by = card.badge
            r = 12.5
            out.append(f'<circle cx="{bx:.1f}" cy="{Y(by):.1f}" r="{r}" fill="{card.accent}" '
                       f'stroke="{WHITE}" stroke-width="2"/>')
            out.append(_tspans([str(card.number)], bx, Y(by), font - 1, font, "middle", "middle",
                               text_on(card.accent), "bold"))
    out.append("</svg>")
    return "\n".join(out)


def _attr(value: str) -> str:
    """An XML attribute value in single quotes (the font list contains double quotes)."""
    return "'" + value.replace("&", "&amp;").replace("'", "&apos;").replace("<", "&lt;") + "'"


def to_svg(diagram: Diagram, lang: str, compact: bool = False) -> str:
    """The diagram without a selection, as the page draws it, in a standalone SVG file."""
    scene = build_scene(diagram, lang, None, None, compact)
    return scene_svg(scene, tr(diagram.title, lang), tr(diagram.summary, lang))
