"""Shared fixtures: the real artefact directory, copies of it to break, AppTest helpers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Tests edit artefact files and secrets and expect the very next run to see them.
os.environ.setdefault("ATLAS_CONFIG_RECHECK_SECONDS", "0")

REPO = Path(__file__).resolve().parent.parent
ARTEFACTS = REPO / "artefacts"


@pytest.fixture
def artefact_copy(tmp_path: Path) -> Path:
    """A writable copy of the real artefacts, for tests that edit or break them."""
    target = tmp_path / "artefacts"
    shutil.copytree(ARTEFACTS, target)
    return target


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own SQLite data directory unless it sets one itself."""
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("ATLAS_DATABASE_URL", raising=False)


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> None:
    """``st.cache_*`` and the app's process memos are process-global: clear them so AppTests do
    not leak into each other (each test has its own database)."""
    import streamlit as st

    from components import questionnaire_view

    st.cache_data.clear()
    st.cache_resource.clear()
    questionnaire_view._known_codes.clear()
