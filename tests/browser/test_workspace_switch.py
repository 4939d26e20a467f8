"""Moving between workspaces with the navbar switcher; `/` remembers the last one."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from smm.accounts.models import Membership
from tests.browser.flows import log_in
from tests.factories import PASSWORD, make_user, make_workspace

pytestmark = pytest.mark.browser


def test_it_opens_the_other_workspace_and_remembers_it(page: Page) -> None:
    user = make_user("sam@example.com", full_name="Sam Switcher")
    first = make_workspace("Acme Oy", owner=user)
    second = make_workspace("Birch Oy")
    Membership.objects.create(workspace=second, user=user, role=Membership.Role.EDITOR)

    log_in(page, user.email, PASSWORD)
    # Without a remembered workspace, `/` opens the first one by name.
    page.wait_for_url(f"**/w/{first.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Oy")

    page.locator("#workspace-switcher").click()
    menu = page.locator("[aria-labelledby=workspace-switcher]")
    expect(menu).to_be_visible()
    expect(menu.locator("[aria-current=true]")).to_contain_text("Acme Oy")
    menu.get_by_role("link", name="Birch Oy").click()

    page.wait_for_url(f"**/w/{second.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Birch Oy")
    expect(page.locator("#workspace-switcher")).to_contain_text("Birch Oy")
    expect(page.get_by_text("Your role: Editor")).to_be_visible()

    page.goto("/")
    page.wait_for_url(f"**/w/{second.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Birch Oy")
    user.refresh_from_db()
    assert user.last_workspace == second
