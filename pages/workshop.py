"""Workshop presenter controls (researchers only): start a session, step, open/close, reveal, end."""

from __future__ import annotations

from components.workshop_view import render_presenter_page

render_presenter_page()
