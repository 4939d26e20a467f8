"""An owner changes one member's level on one connected account; the select saves itself with htmx."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from smm.accounts.models import AccountLevel, AccountPermission, Membership
from tests.browser.flows import log_in
from tests.factories import PASSWORD
from tests.fixtures import Personas

pytestmark = pytest.mark.browser


def test_it_saves_the_level_on_change_and_keeps_it_after_a_reload(page: Page, personas: Personas) -> None:
    account = personas.account
    log_in(page, personas.owner.email, PASSWORD)
    page.goto(f"/w/{personas.workspace.slug}/members/")
    editor_row = page.get_by_role("row").filter(has_text=personas.editor.email)
    editor_row.get_by_role("link", name=re.compile(r"^Manage access")).click()
    page.wait_for_url(f"**/w/{personas.workspace.slug}/members/*/")
    expect(page.get_by_role("heading", level=1)).to_have_text(personas.editor.email)

    row = page.locator(f"#account-row-{account.pk}")
    level = row.get_by_label(f"Access level on {account}")
    in_effect = row.locator("[data-effective-level]")
    expect(level).to_have_value("default")
    expect(in_effect).to_have_text("Publish")
    # With htmx running, the no-JavaScript "Save" button is hidden.
    expect(row.get_by_role("button", name="Save")).to_be_hidden()

    level.select_option(label="View")

    # The row is swapped for the server's version, which carries the "Saved" status.
    expect(row.get_by_role("status")).to_have_text("Saved")
    expect(in_effect).to_have_text("View")
    expect(level).to_have_value(str(AccountLevel.VIEW))
    permission = AccountPermission.objects.get(membership=personas.membership(personas.editor), account=account)
    assert permission.level == AccountLevel.VIEW

    page.reload()
    expect(level).to_have_value(str(AccountLevel.VIEW))
    expect(in_effect).to_have_text("View")
    expect(row.get_by_role("status")).to_have_count(0)


def test_an_admin_sees_an_owners_access_read_only(page: Page, personas: Personas) -> None:
    # Only an owner may change an owner, so an admin gets no controls that would be refused.
    log_in(page, personas.admin.email, PASSWORD)
    page.goto(f"/w/{personas.workspace.slug}/members/{personas.membership(personas.owner).pk}/")
    expect(page.get_by_text("Only an owner can change an owner's access.")).to_be_visible()
    expect(page.locator(f"#account-row-{personas.account.pk} select")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove from workspace")).to_have_count(0)


def test_a_refused_change_is_explained_and_nothing_changes(page: Page, personas: Personas) -> None:
    # The page was opened while the member was a contributor; meanwhile someone made them a viewer,
    # so "Draft" is now more than their role allows and the server refuses it.
    account = personas.account
    member = personas.membership(personas.contributor)
    log_in(page, personas.owner.email, PASSWORD)
    page.goto(f"/w/{personas.workspace.slug}/members/{member.pk}/")
    row = page.locator(f"#account-row-{account.pk}")
    level = row.get_by_label(f"Access level on {account}")
    Membership.objects.filter(pk=member.pk).update(role=Membership.Role.VIEWER)

    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        level.select_option(label="Draft")
    assert answer.value.status == 400

    expect(row.get_by_role("alert")).to_have_text("Choose one of the listed levels.")
    expect(row.locator("[data-effective-level]")).to_have_text("View")
    expect(level).to_have_value("default")
    assert not AccountPermission.objects.filter(account=account).exists()
