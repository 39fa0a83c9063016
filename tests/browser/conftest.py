"""Browser fixtures: one demo server and one Chromium for the whole run, a fresh page per test.

`make test` installs what these need (Debian's chromium, node_modules/axe-core); run alone,
they need the same: `make browser-deps`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from .live import AXE_SCRIPT, CHROMIUM, demo_app, launch_chromium, serve


@pytest.fixture(scope="session")
def live_url(tmp_path_factory):
    with serve(demo_app(tmp_path_factory.mktemp("live"))) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    assert Path(CHROMIUM).is_file(), f"no Chromium at {CHROMIUM}: run 'make browser-deps'"
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_url):
    """new_page(**context_options): a page in its own context; console errors are collected."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_url, **options)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="session")
def axe_source():
    assert AXE_SCRIPT.is_file(), f"{AXE_SCRIPT} is missing: run 'make browser-deps'"
    return AXE_SCRIPT.read_text("utf-8")
