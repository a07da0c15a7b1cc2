"""The Relevance Cycle questionnaire (see components.questionnaire_view)."""

from __future__ import annotations

from components.questionnaire_view import render_questionnaire_page

render_questionnaire_page()
