"""Pure helpers behind a diagram page's selection: what was clicked, where prev/next go, search.

Kept free of Streamlit so the rules (empty selections are ignored, cycles wrap, search ignores
accents) are unit tested without a browser.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from components.model import Diagram, Node, tr


def _get(obj: Any, key: str) -> Any:
    """Read a field from a dict or from Streamlit's attribute-style state objects."""
    if isinstance(obj, Mapping):
        return obj.get(key)
    try:
        return obj[key]
    except (KeyError, TypeError, IndexError):
        return getattr(obj, key, None)


def selected_node(selection: Any, known: Iterable[str] | None = None) -> str | None:
    """The node id of a plotly click, or None when there is nothing usable.

    A second click on a selected point deselects it and sends an empty selection: callers keep the
    previous node then, so ``None`` here means "no change", never "clear". Points of traces without
    ids (edges, badges) and ids not in ``known`` are skipped.
    """
    if selection is None:
        return None
    points = _get(selection, "points")
    if not points:
        return None
    allowed = set(known) if known is not None else None
    for point in points:
        for field in ("customdata", "id"):
            value = _get(point, field)
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            if isinstance(value, str) and value and (allowed is None or value in allowed):
                return value
    return None


def step(order: Sequence[str], current: str | None, delta: int, wrap: bool) -> str | None:
    """The node ``delta`` places from ``current`` in ``order``.

    Cycles wrap around (after the last step comes the first again); flows and matrices stop at the
    ends. With nothing selected, "next" starts at the first node and "previous" at the last.
    """
    if not order:
        return None
    if current not in order:
        return order[0] if delta >= 0 else order[-1]
    index = order.index(current) + delta
    if wrap:
        return order[index % len(order)]
    return order[max(0, min(len(order) - 1, index))]


def can_step(order: Sequence[str], current: str | None, delta: int, wrap: bool) -> bool:
    """Whether a prev/next button would move (used to disable it at a flow's ends)."""
    target = step(order, current, delta, wrap)
    return target is not None and (target != current or current not in order)


@dataclass
class DrawnFigure:
    """What the browser's chart was last sent, and whether its own selection has moved since."""

    args: tuple | None = None
    revision: int = 0
    diverged: bool = False


def figure_to_send(drawn: DrawnFigure, wanted: tuple, clicked: str | None,
                   redraw: bool) -> DrawnFigure:
    """Which figure to send so a click on the chart costs no redraw.

    ``wanted`` is ``(lang, visible, compact, selected)``. After a click on node ``clicked`` the
    browser already highlights it (plotly's own selection), so the same figure as before is sent
    again and Streamlit keeps the chart as it is. Any other change sends the figure of the current
    state, with a new revision (a new chart) when the browser's selection may differ from it, or
    when ``redraw`` asks for one (a second click on a node cleared the browser's highlight).
    """
    last = drawn.args
    if (not redraw and last is not None and clicked is not None and clicked == wanted[-1]
            and last[:-1] == wanted[:-1]):
        return DrawnFigure(last, drawn.revision, True)
    revision = drawn.revision + 1 if (drawn.diverged or redraw) else drawn.revision
    return DrawnFigure(wanted, revision, False)


def fold(text: str) -> str:
    """Lower-case text without accents, so 'implantacao' finds 'Implantação'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def node_text(node: Node, lang: str) -> str:
    """Everything a reader could search a node for, in one language."""
    parts = [tr(node.label, lang), tr(node.short_label, lang), tr(node.summary, lang),
             tr(node.description, lang), node.id]
    for items in node.details.values():
        parts.extend(tr(item, lang) for item in items)
    return " ".join(p for p in parts if p)


def matches(node: Node, query: str, lang: str) -> bool:
    """Every word of the query appears somewhere in the node's text (accent-insensitive)."""
    words = fold(query).split()
    if not words:
        return True
    haystack = fold(node_text(node, lang))
    return all(word in haystack for word in words)


def filter_nodes(diagram: Diagram, query: str = "", groups: Iterable[str] | None = None,
                 lang: str = "en") -> list[Node]:
    """The diagram's nodes (reading order) that pass the search box and the group filter.

    An empty group choice means "all groups", like an unticked filter in a catalogue.
    """
    wanted = set(groups or ())
    out = []
    for node in diagram.ordered_nodes():
        if wanted and node.group not in wanted:
            continue
        if matches(node, query or "", lang):
            out.append(node)
    return out


def filter_key(query: str, groups: Iterable[str] | None) -> tuple[str, tuple[str, ...]]:
    """A small hashable key for a filter state, so equivalent filters share one cached figure."""
    return " ".join(fold(query or "").split()), tuple(sorted(set(groups or ())))


def share_url(base: str, page_path: str, node_id: str, lang: str) -> str:
    """The deep link that opens ``node_id`` on its page in ``lang``."""
    query = urlencode({"node": node_id, "lang": lang})
    return f"{base.rstrip('/')}/{page_path.strip('/')}?{query}"
