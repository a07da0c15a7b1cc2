"""A diagram page: the figure, its clickable nodes and the details panel (see diagram_view)."""

from __future__ import annotations

from pathlib import Path

from components.diagram_view import render_diagram_page

render_diagram_page(Path(__file__).stem)
