"""Switching the interface to Finnish with the language switcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.browser.flows import log_in
from tests.factories import PASSWORD, make_user, make_workspace

pytestmark = pytest.mark.browser

FINNISH_CATALOGUE = Path(settings.BASE_DIR) / "locale" / "fi" / "LC_MESSAGES" / "django.mo"


def test_it_switches_to_finnish_and_remembers_it(page: Page) -> None:
    user = make_user("fanni@example.com", full_name="Fanni Finn")
    workspace = make_workspace("Acme Oy", owner=user)
    log_in(page, user.email, PASSWORD)
    page.wait_for_url(f"**/w/{workspace.slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation).to_contain_text("Team")

    page.get_by_role("button", name="Suomi").click()

    expect(page.locator("html")).to_have_attribute("lang", "fi")
    page.wait_for_url(f"**/w/{workspace.slug}/")
    expect(page.get_by_role("button", name="Suomi")).to_have_attribute("aria-pressed", "true")
    user.refresh_from_db()
    assert user.language == "fi"

    # The Finnish catalogue is compiled by `make messages`; until then the page is Finnish in name only.
    if FINNISH_CATALOGUE.exists():
        nav_text = page.locator("nav.navbar").text_content() or ""
        assert "Team" not in nav_text
        assert "Sign out" not in nav_text

    # A new session (another browser) opens in Finnish too: the choice is kept on the user.
    page.context.clear_cookies()
    log_in(page, user.email, PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "fi")
