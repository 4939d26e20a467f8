"""Steps shared by the browser tests and the screenshot script."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium keeps calling home on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def label(text: str) -> re.Pattern[str]:
    """Match a form field's label exactly; crispy-forms ends the label of a required field with "*"."""
    return re.compile(rf"^\s*{re.escape(text)}\*?\s*$")


def log_in(page: Page, email: str, password: str) -> None:
    """Sign in through the login form and wait to leave it. Works in any interface language."""
    page.goto("/account/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/account/login/" not in url)


def switch_language(page: Page, button_text: str, language: str) -> None:
    """Press a button of the language switcher ("Suomi", "English") and wait for the page to follow."""
    page.locator(".language-switcher").first.get_by_role("button", name=button_text).click()
    page.locator(f"html[lang={language}]").wait_for(state="attached")
