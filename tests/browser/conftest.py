"""Playwright in the system's headless Chromium against a real ``streamlit run`` server.

A missing browser is an error, never a skip: ``./dev test`` installs Debian's chromium.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.server import AppServer, start_app

CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run ./dev test (it installs Debian's chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 720}, "locale": "en-US"}


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """One app for the whole browser session, on its own SQLite directory."""
    data = tmp_path_factory.mktemp("browser-data")
    server = start_app({"ATLAS_DATA_DIR": str(data)})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _isolated_data() -> None:
    """Browser tests share the session server's data directory (overrides the unit-test fixture)."""


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> None:
    """The server runs in another process; nothing to clear here."""
