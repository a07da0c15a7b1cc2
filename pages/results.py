"""Evaluation results (researchers only): analysis, design iterations, exports, audit."""

from __future__ import annotations

from components import results_view, ui
from components.access_view import lock_button, require_researcher

ui.get_atlas()  # routes a deep link through app.py (language, navigation) before anything is drawn
if require_researcher():
    results_view.render()
    lock_button()
