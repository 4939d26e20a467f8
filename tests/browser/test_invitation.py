"""An owner invites a colleague by email; the colleague creates an account from the link."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import BrowserContext, Page, expect

from smm.accounts.models import Membership, User
from tests.browser.flows import label, log_in
from tests.factories import PASSWORD
from tests.fixtures import Personas

pytestmark = pytest.mark.browser

NEW_PASSWORD = "plum orchard lantern 4711"


def test_it_invites_a_colleague_who_joins_with_the_invited_role(
    page: Page, new_context: Callable[[], BrowserContext], live_server, personas: Personas
) -> None:
    log_in(page, personas.owner.email, PASSWORD)
    navigation = page.get_by_role("navigation", name="Main")
    navigation.get_by_role("button", name="Team", exact=True).click()
    navigation.get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Team")

    page.get_by_role("textbox", name="Email").fill("nina.newcomer@example.com")
    page.get_by_role("combobox", name="Role").select_option(label="Contributor")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("status")).to_contain_text("Invitation sent to nina.newcomer@example.com.")
    invitations = page.get_by_role("heading", name="Invitations").locator("xpath=..")
    row = invitations.get_by_role("row").filter(has_text="nina.newcomer@example.com")
    expect(row).to_contain_text("Contributor")
    expect(row).to_contain_text("Pending")

    # The email went out on commit (Celery runs eagerly in tests) before the page above was served.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nina.newcomer@example.com"]
    match = re.search(r"https?://\S+/account/invitations/\S+/", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    # The email links to SITE_URL; the live server listens elsewhere.
    link = live_server.url + urlsplit(match.group(0)).path

    invitee = new_context().new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Acme Oy")
    expect(invitee.get_by_label(label("Email"))).to_have_value("nina.newcomer@example.com")
    invitee.get_by_label(label("Your name")).fill("Nina Newcomer")
    invitee.get_by_label(label("Password")).fill(NEW_PASSWORD)
    invitee.get_by_label(label("Password again")).fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Create account and join").click()

    invitee.wait_for_url(f"**/w/{personas.workspace.slug}/")
    expect(invitee.get_by_role("status")).to_contain_text("Welcome to Acme Oy.")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Acme Oy")
    expect(invitee.get_by_text("Your role: Contributor")).to_be_visible()
    expect(invitee.locator("#user-menu")).to_contain_text("Nina Newcomer")
    newcomer = User.objects.get(email="nina.newcomer@example.com")
    assert personas.membership(newcomer).role == Membership.Role.CONTRIBUTOR

    page.reload()
    members = page.get_by_role("heading", name="Members").locator("xpath=..")
    member_row = members.get_by_role("row").filter(has_text="nina.newcomer@example.com")
    expect(member_row).to_contain_text("Nina Newcomer")
    expect(member_row).to_contain_text("Contributor")
    expect(invitations).not_to_contain_text("nina.newcomer@example.com")
