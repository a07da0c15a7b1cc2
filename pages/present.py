"""Projector view: the artefacts slide by slide, following the workshop session (?session=<code>)."""

from __future__ import annotations

from components.present_view import render_projector_page

render_projector_page()
