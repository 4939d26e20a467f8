"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright cannot download its own browsers here, so the tests use the system Chromium and are
skipped, with the reason, when it is not installed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.flows import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

# Playwright's sync API keeps an asyncio event loop in the main thread, so Django's async-safety
# check would otherwise refuse the ORM calls the tests make there between browser steps.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# Generous enough for a loaded CI machine; every wait is on a selector or a URL, never a sleep.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser, live_server, transactional_db) -> Iterator[Callable[[], BrowserContext]]:
    """Open fresh browser contexts (own cookies, so own session) on the live server; closed after the test."""
    contexts: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        # A fixed English locale: LocaleMiddleware follows Accept-Language for users without a language.
        context = browser.new_context(base_url=live_server.url, locale="en-US", timezone_id="Europe/Helsinki")
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[[], BrowserContext]) -> Page:
    return new_context().new_page()
