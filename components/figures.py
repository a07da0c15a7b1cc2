"""Turn a diagram of the model into a figure: first a pure *scene*, then a plotly figure.

The scene (cards, shaded bands, links, all in pixel-like units with y growing upwards) is the one
place where layout decisions live; the plotly figure and the SVG export (``diagram_export``) both
draw the same scene, so the download looks like the page. Nothing here imports Streamlit.

Text is sized in pixels while the figure stretches to its container's width, so the layout is
computed for a reference width (``WIDE_WIDTH`` or, on phones, ``COMPACT_WIDTH``) and labels are
wrapped to the card widths at that reference.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go

from components.model import Diagram, Node, tr

WIDE_WIDTH = 500.0
COMPACT_WIDTH = 350.0
FONT = '"Source Sans", "Source Sans 3", "Source Sans Pro", "Segoe UI", Helvetica, Arial, sans-serif'
TEXT = "#1B2733"
MUTED = "#4F5D6B"
EDGE = "#3D4A57"
CARD_OUTLINE = "#C9D2DB"
WHITE = "#FFFFFF"
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")
"""The colour-blind-safe palette the YAML colours come from; code only picks neutral accents."""
UNGROUPED_ACCENT = "#0072B2"
HIGHLIGHT = "rgba(240,228,66,0.42)"
"""Okabe–Ito yellow, see-through: a highlighter over the selected card, whatever its group."""
SELECTED_OUTLINE = 4.0
FEEDBACK_CHOICES = ("#D55E00", "#CC79A7", "#E69F00", "#0072B2", "#000000")

PLOTLY_CONFIG = {
    "displayModeBar": False,
    "scrollZoom": False,
    "doubleClick": False,
    # Two quick clicks on two nodes are two selections, not a double click (which Streamlit
    # turns into an empty selection) now that a click no longer redraws the chart.
    "doubleClickDelay": 1,
    "showTips": False,
    "responsive": True,
    "displaylogo": False,
}
"""No zoom clutter: the figure is a figure, not a chart to explore."""

_MOBILE_RE = re.compile(r"Mobi|Android|iPhone|iPod|Windows Phone", re.IGNORECASE)


def is_compact_client(user_agent: str | None) -> bool:
    """Phones get the portrait layout: there is no viewport width on the server, the UA is the
    best cheap signal, and a phone that is missed still gets a legible (smaller) figure."""
    return bool(user_agent and _MOBILE_RE.search(user_agent))


# ---------------------------------------------------------------------------- colours and text


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _hex(rgb: Iterable[float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(v))):02X}" for v in rgb)


def tint(color: str, amount: float) -> str:
    """Mix ``color`` with white; ``amount`` 0 keeps the colour, 1 gives white."""
    return _hex(c + (255 - c) * amount for c in _rgb(color))


def shade(color: str, amount: float) -> str:
    """Mix ``color`` with black; used for label text in a group's colour on a light fill."""
    return _hex(c * (1 - amount) for c in _rgb(color))


def luminance(color: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(color: str) -> str:
    """White or dark text, whichever reads better on ``color`` (WCAG contrast)."""
    return WHITE if contrast(WHITE, color) >= contrast(TEXT, color) else TEXT


def readable_accent(color: str, background: str = WHITE, minimum: float = 4.5) -> str:
    """The group colour darkened until text in it is readable on ``background``."""
    out = color
    for step in range(1, 11):
        if contrast(out, background) >= minimum:
            break
        out = shade(color, step * 0.08)
    return out


def feedback_color(diagram: Diagram) -> str:
    """A palette colour no group uses, so feedback arrows never read as part of a phase."""
    used = {g.color.upper() for g in diagram.groups}
    return next((c for c in FEEDBACK_CHOICES if c.upper() not in used), FEEDBACK_CHOICES[0])


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap to ``width`` characters; words longer than a line stay whole, and a short
    word left alone on a line ("de", "of") joins the next one when that nearly fits."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    merged: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if len(line) <= 3 and i + 1 < len(lines) and len(line) + 1 + len(lines[i + 1]) <= width + 3:
            merged.append(f"{line} {lines[i + 1]}")
            i += 2
        else:
            merged.append(line)
            i += 1
    return merged or [""]


MIN_LABEL_FONT = 11.5
CHAR_EM = 0.5
"""Average character width of the (Source Sans) label font, in em: checks that a line fits."""


def fit_labels(labels: dict[str, str], width_px: float, font: float
               ) -> tuple[dict[str, list[str]], float]:
    """Wrap every label to ``width_px``; when a single word is still too wide (pt-BR has long
    ones), shrink the font (one size for the figure, not below ``MIN_LABEL_FONT``)."""
    lines: dict[str, list[str]] = {}
    for _ in range(4):
        lines = {k: wrap(v, chars_for(width_px, font)) for k, v in labels.items()}
        longest = max((len(s) for ls in lines.values() for s in ls), default=1)
        fits = width_px / (longest * CHAR_EM)
        if fits >= font or font <= MIN_LABEL_FONT:
            break
        font = max(MIN_LABEL_FONT, fits)
    return lines, font


def chars_for(width_px: float, font_px: float) -> int:
    """How many average characters fit in ``width_px`` (0.55 em per character: sans serif, with
    room for the bold face of a selected card)."""
    return max(6, int(width_px / (font_px * 0.55)))


def html_escape(text: str) -> str:
    """Plotly renders a small HTML subset in text; authored text must stay literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------- the scene

Point = tuple[float, float]


@dataclass
class Card:
    node_id: str
    cx: float
    cy: float
    w: float
    h: float
    lines: list[str]
    accent: str
    hover: str
    number: int | None = None
    selected: bool = False
    strip: bool = False
    """Matrix cards carry a coloured strip on the left instead of a coloured outline."""

    @property
    def x0(self) -> float:
        return self.cx - self.w / 2

    @property
    def x1(self) -> float:
        return self.cx + self.w / 2

    @property
    def y0(self) -> float:
        return self.cy - self.h / 2

    @property
    def y1(self) -> float:
        return self.cy + self.h / 2

    @property
    def badge(self) -> Point:
        """Centre of the number badge: on the card's top-left corner."""
        return self.x0 + 4, self.y1 - 2


@dataclass
class Band:
    """A shaded area behind cards: a matrix column (``panel``) or a lifecycle phase (``region``)."""

    kind: str
    group_id: str
    x0: float
    y0: float
    x1: float
    y1: float
    color: str
    label_lines: list[str]
    label_at: Point
    label_align: str = "left"
    label_valign: str = "top"


@dataclass
class Link:
    source: str
    target: str
    kind: str
    points: list[Point]
    color: str
    dashed: bool
    label_lines: list[str] = field(default_factory=list)
    label_at: Point | None = None
    label_align: str = "center"
    label_valign: str = "middle"


@dataclass
class Scene:
    diagram_id: str
    layout: str
    compact: bool
    cards: list[Card]
    bands: list[Band]
    links: list[Link]
    font_size: float
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0
    label_font: float = 0.0
    """Size of the card labels (``font_size`` unless long words needed a smaller one)."""

    @property
    def label_size(self) -> float:
        return self.label_font or self.font_size

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def card(self, node_id: str) -> Card | None:
        return next((c for c in self.cards if c.node_id == node_id), None)

    def fit(self, margin: float = 8.0) -> None:
        """Set the bounds to everything drawn, so nothing is clipped and nothing floats."""
        xs: list[float] = []
        ys: list[float] = []
        for c in self.cards:
            xs += [c.x0, c.x1]
            ys += [c.y0, c.y1 + (10 if c.number is not None else 0)]
        for b in self.bands:
            xs += [b.x0, b.x1]
            ys += [b.y0, b.y1]
        for link in self.links:
            xs += [p[0] for p in link.points]
            ys += [p[1] for p in link.points]
            if link.label_at and link.label_lines:
                lx, ly = link.label_at
                half = max(len(s) for s in link.label_lines) * self.font_size * 0.3
                lines_h = len(link.label_lines) * self.font_size * 1.25
                xs += [lx - half, lx + half]
                ys += [ly - lines_h, ly + lines_h / 2]
        if not xs:
            xs, ys = [0.0, 100.0], [0.0, 100.0]
        self.x0, self.x1 = min(xs) - margin, max(xs) + margin
        self.y0, self.y1 = min(ys) - margin, max(ys) + margin


# ---------------------------------------------------------------------------- layouts


def _accent(diagram: Diagram, node: Node) -> str:
    group = diagram.group(node.group)
    return group.color if group else UNGROUPED_ACCENT


def _hover(node: Node, lang: str) -> str:
    return "<br>".join(html_escape(s) for s in wrap(tr(node.label, lang), 40))


def _matrix_scene(diagram: Diagram, lang: str, nodes: list[Node], selected: str | None,
                  compact: bool) -> Scene:
    width = COMPACT_WIDTH if compact else WIDE_WIDTH
    font = 13.0
    line_h = font * 1.25
    gap = 8.0
    pad = 6.0
    scene = Scene(diagram.id, diagram.layout, compact, [], [], [], font)
    visible_groups = [g for g in diagram.groups if any(n.group == g.id for n in nodes)]

    def cards_grid(members: list[Node], cols: int, left: float, top: float, inner_w: float,
                   strip: bool) -> float:
        """Lay ``members`` out row by row below ``top``; returns the bottom y."""
        card_w = (inner_w - (cols - 1) * gap) / cols
        text_w = card_w - (16 if strip else 10)
        lines, size = fit_labels({n.id: n.figure_label(lang) for n in members}, text_w, font)
        scene.label_font = min(scene.label_font or size, size)
        most = max((len(v) for v in lines.values()), default=1)
        card_h = max(52.0, most * size * 1.25 + 26)
        for i, node in enumerate(members):
            row, col = divmod(i, cols)
            cx = left + col * (card_w + gap) + card_w / 2
            cy = top - row * (card_h + gap) - card_h / 2
            scene.cards.append(Card(node.id, cx + (3 if strip else 0), cy,
                                    card_w - (6 if strip else 0), card_h, lines[node.id],
                                    _accent(diagram, node), _hover(node, lang), node.number,
                                    node.id == selected, strip))
        rows = math.ceil(len(members) / cols) if members else 0
        return top - rows * (card_h + gap) + gap

    if visible_groups:
        header_font = font
        if compact:
            top = 0.0
            for group in visible_groups:
                members = [n for n in nodes if n.group == group.id]
                label = wrap(tr(group.label, lang), chars_for(width - 2 * pad, header_font))
                header_h = len(label) * line_h + 18
                bottom = cards_grid(members, 2, pad, top - header_h, width - 2 * pad, True)
                scene.bands.append(Band("panel", group.id, 0, bottom - pad, width, top,
                                        group.color, label, (pad, top - 9), "left"))
                top = bottom - pad - 14
        else:
            cols = len(visible_groups)
            col_w = (width - (cols - 1) * gap) / cols
            labels = {g.id: wrap(tr(g.label, lang), chars_for(col_w - 2 * pad, header_font))
                      for g in visible_groups}
            header_h = max(len(v) for v in labels.values()) * line_h + 20
            bottoms = {}
            for i, group in enumerate(visible_groups):
                members = [n for n in nodes if n.group == group.id]
                left = i * (col_w + gap)
                bottoms[group.id] = cards_grid(members, 1, left + pad, -header_h,
                                               col_w - 2 * pad, True)
            bottom = min(bottoms.values()) - pad
            for i, group in enumerate(visible_groups):
                left = i * (col_w + gap)
                scene.bands.append(Band("panel", group.id, left, bottom, left + col_w, 0.0,
                                        group.color, labels[group.id],
                                        (left + col_w / 2, -10.0), "center"))
    else:
        cols = max(1, diagram.columns or math.ceil(math.sqrt(max(1, len(nodes)))))
        if compact:
            cols = min(cols, 2)
        cols = min(cols, max(1, len(nodes)))
        cards_grid(nodes, cols, 0.0, 0.0, width, False)
    scene.fit(margin=4.0)
    return scene


def _portrait(points: dict[str, Point]) -> dict[str, Point]:
    """Turn a landscape arrangement a quarter turn so a phone shows it as a column.

    Reading order is kept: what was left-to-right becomes top-to-bottom, and the top row
    becomes the left column.
    """
    ys = [p[1] for p in points.values()]
    top = max(ys) if ys else 0.0
    return {nid: (top - y, -x) for nid, (x, y) in points.items()}


def _box_exit(card: Card, towards: Point, gap: float = 4.0) -> Point:
    """Where the segment from the card's centre to ``towards`` leaves the card (plus a gap)."""
    dx, dy = towards[0] - card.cx, towards[1] - card.cy
    if dx == 0 and dy == 0:
        return card.cx, card.cy
    tx = (card.w / 2 + gap) / abs(dx) if dx else math.inf
    ty = (card.h / 2 + gap) / abs(dy) if dy else math.inf
    t = min(tx, ty, 1.0)
    return card.cx + dx * t, card.cy + dy * t


def _inside(card: Card, p: Point, gap: float) -> bool:
    return (card.x0 - gap <= p[0] <= card.x1 + gap) and (card.y0 - gap <= p[1] <= card.y1 + gap)


def _curve(a: Card, b: Card, centre: Point, bend: float, samples: int = 40) -> list[Point]:
    """A quadratic curve between two cards bowed away from the diagram's centre, clipped to the
    cards' borders: feedback loops read as going *around* the main sequence."""
    p0, p2 = (a.cx, a.cy), (b.cx, b.cy)
    mx, my = (p0[0] + p2[0]) / 2, (p0[1] + p2[1]) / 2
    dx, dy = p2[0] - p0[0], p2[1] - p0[1]
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    away = (mx - centre[0], my - centre[1])
    if nx * away[0] + ny * away[1] < 0 or (abs(nx * away[0] + ny * away[1]) < 1e-9 and ny > 0):
        nx, ny = -nx, -ny
    offset = max(bend, 0.35 * length)
    p1 = (mx + nx * offset * 2, my + ny * offset * 2)  # control point: the curve peaks at half
    pts = []
    for i in range(samples + 1):
        t = i / samples
        u = 1 - t
        pts.append((u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0],
                    u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1]))
    start = next((i for i, p in enumerate(pts) if not _inside(a, p, 5)), 0)
    end = next((i for i in range(len(pts) - 1, -1, -1) if not _inside(b, pts[i], 5)), len(pts) - 1)
    return pts[start : end + 1] if end > start else [p0, p2]


def _crosses(box: tuple[float, float, float, float], links: Sequence[Link]) -> bool:
    """Whether any link passes through ``box`` (sampled every few pixels along each segment)."""
    x0, y0, x1, y1 = box
    for link in links:
        for (ax, ay), (bx, by) in zip(link.points, link.points[1:], strict=False):
            n = max(1, int(math.hypot(bx - ax, by - ay) / 4))
            for i in range(n + 1):
                px, py = ax + (bx - ax) * i / n, ay + (by - ay) * i / n
                if x0 <= px <= x1 and y0 <= py <= y1:
                    return True
    return False


def _region(group_id: str, color: str, label: str, members: list[Card], links: Sequence[Link],
            font: float, pad: float = 10.0) -> Band:
    """A phase drawn as a padded box around its cards, labelled at the top where no arrow passes
    (else at the bottom), so labels never sit on a connection."""
    line_h = font * 1.25
    x0 = min(c.x0 for c in members) - pad
    x1 = max(c.x1 for c in members) + pad
    y0 = min(c.y0 for c in members) - pad
    y1 = max(c.y1 for c in members) + pad
    lines = wrap(label, chars_for(x1 - x0 - 40, font))[:2]
    band = len(lines) * line_h + 8
    text_w = max(len(s) for s in lines) * font * 0.56
    badge = 24 if any(c.number is not None for c in members) else 0
    candidates = [("top", "right", x1 - 8), ("top", "left", x0 + 8 + badge),
                  ("top", "center", (x0 + x1) / 2), ("bottom", "right", x1 - 8),
                  ("bottom", "left", x0 + 8)]
    for valign, align, x in candidates:
        left = {"right": x - text_w, "left": x}.get(align, x - text_w / 2)
        box = (left - 4, y1 - 2, left + text_w + 4, y1 + band) if valign == "top" else \
              (left - 4, y0 - band, left + text_w + 4, y0 + 2)
        if not _crosses(box, links):
            break
    else:
        valign, align, x = candidates[0]
    if valign == "top":
        return Band("region", group_id, x0, y0, x1, y1 + band, color, lines, (x, y1 + band - 6),
                    align, "top")
    return Band("region", group_id, x0, y0 - band, x1, y1, color, lines, (x, y0 - band + 6),
                align, "bottom")


def _positioned_scene(diagram: Diagram, lang: str, nodes: list[Node], selected: str | None,
                      compact: bool) -> Scene:
    width = COMPACT_WIDTH if compact else WIDE_WIDTH
    grouped = bool(diagram.groups)
    scene = Scene(diagram.id, diagram.layout, compact, [], [], [], 13.5)
    raw = {n.id: n.position or (float(i), 0.0) for i, n in enumerate(nodes)}
    xs0 = [p[0] for p in raw.values()]
    ys0 = [p[1] for p in raw.values()]
    if compact and (max(xs0) - min(xs0)) > (max(ys0) - min(ys0)):
        raw = _portrait(raw)
    xs = [p[0] for p in raw.values()]
    ys = [p[1] for p in raw.values()]
    span_x = max(xs) - min(xs)
    labelled_edges = any(e.label for e in diagram.edges if e.kind != "feedback")
    margin_x = 4.0
    step_x = (width - 2 * margin_x) / (span_x + 1)
    font = 13.5 if compact else max(12.5, min(15.0, step_x / 7.5))
    scene.font_size = font
    fill = 0.74 if labelled_edges else 0.84
    if compact and span_x > 0:
        fill = 0.84
    card_w = step_x * fill
    if span_x == 0:
        card_w = min(width * 0.62, 280.0)
    single_row = max(ys) == min(ys)
    if single_row and not compact:
        font = min(15.0, font + 1.0)  # a short flow gets bigger cards, not a thin strip
        scene.font_size = font
    text_w = card_w - 8
    lines, scene.label_font = fit_labels({n.id: n.figure_label(lang) for n in nodes}, text_w,
                                         font)
    most = max((len(v) for v in lines.values()), default=1)
    card_h = max(84.0 if single_row and not compact else 50.0,
                 most * scene.label_font * 1.25 + 24)
    step_y = card_h + (86 if grouped else 62)
    if compact:
        step_y = card_h + (62 if grouped else 50) + (24 if labelled_edges else 0)
    min_x, max_y = min(xs), max(ys)
    for node in nodes:
        x, y = raw[node.id]
        cx = margin_x + (x - min_x) * step_x + step_x / 2 if span_x > 0 else width / 2
        cy = (y - max_y) * step_y - card_h / 2 - (30 if grouped else 14)
        scene.cards.append(Card(node.id, cx, cy, card_w, card_h, lines[node.id],
                                _accent(diagram, node), _hover(node, lang), node.number,
                                node.id == selected))
    cards = {c.node_id: c for c in scene.cards}
    centre = (sum(c.cx for c in scene.cards) / len(scene.cards),
              sum(c.cy for c in scene.cards) / len(scene.cards))
    fb_color = feedback_color(diagram)
    for edge in diagram.edges:
        a, b = cards.get(edge.source), cards.get(edge.target)
        if a is None or b is None:
            continue
        label = tr(edge.label, lang) if edge.label else ""
        if edge.kind == "feedback":
            pts = _curve(a, b, centre, bend=0.45 * min(step_x, step_y))
            mid = pts[len(pts) // 2]
            link = Link(edge.source, edge.target, edge.kind, pts, fb_color, True,
                        wrap(label, 22) if label else [], mid)
        else:
            start = _box_exit(a, (b.cx, b.cy))
            end = _box_exit(b, (a.cx, a.cy))
            link = Link(edge.source, edge.target, edge.kind, [start, end], EDGE, False)
            if label:
                mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
                horizontal = abs(end[0] - start[0]) >= abs(end[1] - start[1])
                if horizontal:  # under the row, centred on the arrow: the gap is too narrow
                    link.label_lines = wrap(label, chars_for(step_x * 0.9, font - 2))
                    link.label_at = (mid[0], min(a.y0, b.y0) - 8)
                    link.label_valign = "top"
                else:
                    link.label_lines = wrap(label, chars_for(width / 2 - card_w / 2 + 40, font - 2))
                    link.label_at = (mid[0] + 10, mid[1])
                    link.label_align = "left"
        scene.links.append(link)
    group_of = {n.id: n.group for n in nodes}
    # Neighbouring phases must not overlap: the padding is at most half the gap between cards.
    region_pad = max(3.0, min(10.0, (step_x - card_w) / 2 - 2.5)) if span_x > 0 else 10.0
    for group in diagram.groups:
        members = [c for c in scene.cards if group_of.get(c.node_id) == group.id]
        if members:
            scene.bands.append(_region(group.id, group.color, tr(group.label, lang), members,
                                       scene.links, font - 1, region_pad))
    scene.fit(margin=8.0)
    return scene


def build_scene(diagram: Diagram, lang: str, selected: str | None = None,
                visible: Sequence[str] | None = None, compact: bool = False) -> Scene:
    """The diagram laid out: ``visible`` (ids) narrows a matrix to a search or filter result."""
    nodes = diagram.ordered_nodes()
    if visible is not None:
        keep = set(visible)
        nodes = [n for n in nodes if n.id in keep]
    if not nodes:
        return Scene(diagram.id, diagram.layout, compact, [], [], [], 13.0, 0, -60, WIDE_WIDTH, 0)
    if diagram.layout == "matrix":
        return _matrix_scene(diagram, lang, nodes, selected, compact)
    return _positioned_scene(diagram, lang, nodes, selected, compact)


# ---------------------------------------------------------------------------- plotly


def rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> str:
    """An SVG path of a rounded rectangle (plotly shapes have no corner radius)."""
    r = max(0.0, min(r, (x1 - x0) / 2, (y1 - y0) / 2))
    return (f"M{x0 + r:.1f},{y0:.1f} L{x1 - r:.1f},{y0:.1f} Q{x1:.1f},{y0:.1f} {x1:.1f},{y0 + r:.1f} "
            f"L{x1:.1f},{y1 - r:.1f} Q{x1:.1f},{y1:.1f} {x1 - r:.1f},{y1:.1f} "
            f"L{x0 + r:.1f},{y1:.1f} Q{x0:.1f},{y1:.1f} {x0:.1f},{y1 - r:.1f} "
            f"L{x0:.1f},{y0 + r:.1f} Q{x0:.1f},{y0:.1f} {x0 + r:.1f},{y0:.1f} Z")


def _path_shape(path: str, fill: str | None, line: str | None, width: float = 1.0,
                dash: str = "solid", layer: str = "below") -> dict:
    return {
        "type": "path", "path": path, "xref": "x", "yref": "y", "layer": layer,
        "fillcolor": fill or "rgba(0,0,0,0)",
        "line": {"color": line or "rgba(0,0,0,0)", "width": width if line else 0, "dash": dash},
    }


def _text(lines: Sequence[str], bold: bool = False) -> str:
    body = "<br>".join(html_escape(s) for s in lines)
    return f"<b>{body}</b>" if bold else body


def _annotation(x: float, y: float, text: str, size: float, color: str, align: str = "center",
                valign: str = "middle", bg: str | None = None) -> dict:
    xanchor = {"left": "left", "right": "right"}.get(align, "center")
    yanchor = {"top": "top", "bottom": "bottom"}.get(valign, "middle")
    ann = {"x": x, "y": y, "xref": "x", "yref": "y", "text": text, "showarrow": False,
           "xanchor": xanchor, "yanchor": yanchor, "align": align if align != "middle" else "center",
           "font": {"size": size, "color": color, "family": FONT}}
    if bg:
        ann.update(bgcolor=bg, borderpad=2)
    return ann


def _arrow(start: Point, end: Point, color: str, width: float = 2.0) -> dict:
    return {"x": end[0], "y": end[1], "ax": start[0], "ay": start[1], "xref": "x", "yref": "y",
            "axref": "x", "ayref": "y", "text": "", "showarrow": True, "arrowhead": 2,
            "arrowsize": 1.1, "arrowwidth": width, "arrowcolor": color, "standoff": 0,
            "startstandoff": 0}


def scene_figure(scene: Scene) -> go.Figure:
    """The plotly figure of a scene: shapes for cards and bands, annotations for text and arrows,
    one clickable bar per node (``customdata`` = node id), a text trace and number badges."""
    shapes: list[dict] = []
    annotations: list[dict] = []
    font = scene.font_size
    for band in scene.bands:
        if band.kind == "panel":
            shapes.append(_path_shape(rounded_rect(band.x0, band.y0, band.x1, band.y1, 10),
                                      tint(band.color, 0.86), None))
            shapes.append(_path_shape(rounded_rect(band.x0, band.y1 - 6, band.x1, band.y1, 3),
                                      band.color, None))
            annotations.append(_annotation(band.label_at[0], band.label_at[1],
                                           _text(band.label_lines, bold=True), font, TEXT,
                                           band.label_align, "top"))
        else:
            shapes.append(_path_shape(rounded_rect(band.x0, band.y0, band.x1, band.y1, 12),
                                      tint(band.color, 0.82), tint(band.color, 0.25), 1.2, "dot"))
            annotations.append(_annotation(band.label_at[0], band.label_at[1],
                                           _text(band.label_lines, bold=True), font - 1,
                                           readable_accent(shade(band.color, 0.35),
                                                           tint(band.color, 0.82)),
                                           band.label_align, band.label_valign))
    for link in scene.links:
        if link.kind == "feedback":
            path = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in link.points)
            shapes.append(_path_shape(path, None, link.color, 2.4, "dash", layer="above"))
            back = link.points[max(0, len(link.points) - 4)]
            annotations.append(_arrow(back, link.points[-1], link.color, 2.4))
        else:
            annotations.append(_arrow(link.points[0], link.points[-1], link.color, 2.0))
        if link.label_lines and link.label_at:
            color = link.color if link.kind == "feedback" else MUTED
            text = "<i>" + _text(link.label_lines, bold=link.kind == "feedback") + "</i>"
            annotations.append(_annotation(link.label_at[0], link.label_at[1], text, font - 2,
                                           color, link.label_align, link.label_valign,
                                           bg="rgba(255,255,255,0.92)"))
    for card in scene.cards:
        if card.strip:
            shapes.append(_path_shape(rounded_rect(card.x0, card.y0, card.x1, card.y1, 8), WHITE,
                                      CARD_OUTLINE, 1.0))
            shapes.append(_path_shape(rounded_rect(card.x0 + 0.5, card.y0 + 0.5, card.x0 + 6,
                                                   card.y1 - 0.5, 3), card.accent, None))
        else:
            shapes.append(_path_shape(rounded_rect(card.x0, card.y0, card.x1, card.y1, 9), WHITE,
                                      card.accent, 2.0))
    data: list[go.Bar | go.Scatter] = []
    if scene.cards:
        cards = scene.cards
        chosen = [i for i, c in enumerate(cards) if c.selected]
        # The clickable nodes: one bar per card, exactly over it, invisible until selected. Plotly
        # draws a click's selection itself, so a click needs no new figure (no redraw, no delay),
        # and a selection made from Python (``selectedpoints``) looks exactly the same.
        data.append(go.Bar(
            x=[c.cx for c in cards],
            y=[c.h for c in cards],
            base=[c.y0 for c in cards],
            width=[c.w for c in cards],
            ids=[c.node_id for c in cards],
            customdata=[c.node_id for c in cards],
            hovertext=[c.hover for c in cards],
            # Hover events without a label: clicks need them, presenters need no tooltips.
            hoverinfo="none",
            marker={"color": HIGHLIGHT, "opacity": 0, "cornerradius": 9,
                    "line": {"color": [c.accent for c in cards], "width": SELECTED_OUTLINE}},
            selected={"marker": {"opacity": 1, "color": HIGHLIGHT}},
            unselected={"marker": {"opacity": 0}},
            selectedpoints=chosen or None,
            textposition="none",
            showlegend=False,
            name="nodes",
        ))
        data.append(go.Scatter(
            x=[c.cx + (3.0 if c.strip else 0.0) for c in cards],
            y=[c.cy for c in cards],
            text=[_text(c.lines) for c in cards],
            mode="text",
            textposition="middle center",
            textfont={"size": scene.label_size, "color": TEXT, "family": FONT},
            # Defining only the selected colour keeps unselected text as it is (no dimming).
            selected={"textfont": {"color": TEXT}},
            hoverinfo="skip",
            showlegend=False,
            name="labels",
        ))
        numbered = [c for c in cards if c.number is not None]
        if numbered:
            data.append(go.Scatter(
                x=[c.badge[0] for c in numbered],
                y=[c.badge[1] for c in numbered],
                text=[f"<b>{c.number}</b>" for c in numbered],
                mode="markers+text",
                textposition="middle center",
                textfont={"size": font - 1, "color": [text_on(c.accent) for c in numbered],
                          "family": FONT},
                marker={"symbol": "circle", "size": 25, "color": [c.accent for c in numbered],
                        "line": {"color": WHITE, "width": 2}},
                selected={"marker": {"opacity": 1}, "textfont": {"color": WHITE}},
                unselected={"marker": {"opacity": 1}},
                hoverinfo="skip",
                showlegend=False,
                name="numbers",
            ))
    fig = go.Figure(data=data)
    fig.update_layout(
        # Every colour and font is set here; plotly's default template would add 7 KB of unused
        # defaults to each spec that every session receives.
        template="none",
        shapes=shapes,
        annotations=annotations,
        height=max(120, round(scene.height)),
        margin={"l": 0, "r": 0, "t": 0, "b": 0, "pad": 0},
        paper_bgcolor=WHITE,
        plot_bgcolor=WHITE,
        font={"family": FONT, "color": TEXT, "size": font},
        xaxis={"visible": False, "range": [scene.x0, scene.x1], "fixedrange": True},
        yaxis={"visible": False, "range": [scene.y0, scene.y1], "fixedrange": True},
        barmode="overlay",
        bargap=0,
        showlegend=False,
        dragmode=False,
        hovermode="closest",
        clickmode="event+select",
        hoverlabel={"bgcolor": WHITE, "bordercolor": CARD_OUTLINE,
                    "font": {"family": FONT, "size": 13, "color": TEXT}},
    )
    return fig


def diagram_figure(diagram: Diagram, lang: str, selected: str | None = None,
                   visible: Sequence[str] | None = None, compact: bool = False) -> go.Figure:
    """Model to plotly figure in one call (what the page caches)."""
    return scene_figure(build_scene(diagram, lang, selected, visible, compact))


class FrozenFigure(go.Figure):
    """A figure shared read-only by every session (the page caches it).

    ``st.plotly_chart`` asks the figure for ``to_dict()`` on every run, which deep-copies the
    whole figure: a millisecond per session, the largest share of a diagram page's cost under a
    crowd. Here the dict is made once; each caller gets its own copy of it, parsed from JSON
    (ten times cheaper than plotly's copy), so nobody can change the shared figure by accident.
    """

    def __init__(self, figure: go.Figure) -> None:
        super().__init__(figure)
        self._atlas_json = json.dumps(super().to_dict(), separators=(",", ":"))

    def to_dict(self) -> dict:
        return json.loads(self._atlas_json)
