"""A real headless Chromium (Debian's package) driven by Playwright, and a live site for it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import Site, fill, serving
from playwright.sync_api import Browser, sync_playwright

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (Debian package `chromium`): browser tests skipped")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def browser_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser")
    db = Database.open(f"sqlite:///{folder / 'paperwire.sqlite3'}")
    db.upgrade()
    fill(db)
    with serving(create_app(Settings(data_dir=folder, page_size=10), db)) as url:
        yield Site(url, db)
    db.close()
