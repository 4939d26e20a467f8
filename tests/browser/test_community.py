"""The community from the browser: open a member, add a note, give a tag and a segment, merge the
suggested duplicate from another network, award points with a rule and export the member's data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from participation.models import (
    Contact,
    ContactIdentity,
    InboxTag,
    LedgerEntry,
    RewardAction,
    RewardProgramme,
    RewardRule,
)
from participation.tests.inbox_data import make_item
from smm.accounts.models import AuditEvent
from tests.browser.flows import log_in
from tests.factories import PASSWORD
from tests.fixtures import Personas

pytestmark = pytest.mark.browser


def _person(personas: Personas, network: str, handle: str) -> Contact:
    contact = Contact.objects.create(workspace=personas.workspace, display_name="Anna Virtanen")
    ContactIdentity.objects.create(
        workspace=personas.workspace,
        contact=contact,
        network=network,
        remote_id=f"{network}-{handle}",
        handle=handle,
        profile_url=f"https://{network}.example/{handle}",
    )
    return contact


def test_look_after_a_community_member(page: Page, personas: Personas, tmp_path: Path) -> None:
    slug = personas.workspace.slug
    anna = _person(personas, "mastodon", "@anna@mastodon.example")
    twin = _person(personas, "bluesky", "anna.bsky.social")
    item = make_item(personas, text="I love the new autumn coats!", contact=anna)
    InboxTag.objects.create(workspace=personas.workspace, name="VIP")
    programme = RewardProgramme.objects.create(workspace=personas.workspace, name="Ambassadors")
    RewardRule.objects.create(programme=programme, action=RewardAction.ANSWERED_CUSTOMER, points=5, badge="Helper")
    page.on("dialog", lambda dialog: dialog.accept())

    log_in(page, personas.owner.email, PASSWORD)
    page.goto(f"/w/{slug}/community/")
    page.get_by_label("Name or handle").fill("@anna@mastodon")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#member-rows tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Anna Virtanen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anna Virtanen")
    expect(page.get_by_role("link", name="@anna@mastodon.example")).to_have_attribute("rel", "nofollow noopener ugc")
    expect(page.get_by_text("I love the new autumn coats!")).to_be_visible()

    # A note, a tag and a segment.
    page.get_by_role("textbox", name="Note").fill("Wants to test the winter range.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#note-list")).to_contain_text("Wants to test the winter range.")
    page.locator("#labels-form").get_by_label("VIP").check()
    page.locator("#labels-form").get_by_label("Advocates").check()
    page.get_by_role("button", name="Save tags and segments").click()
    expect(page.get_by_role("status").filter(has_text="Tags and segments saved")).to_be_visible()
    assert list(anna.tags.values_list("name", flat=True)) == ["VIP"]
    assert list(anna.segments.values_list("builtin", flat=True)) == ["advocates"]

    # The same person on Bluesky is suggested; merge it here.
    suggestion = page.locator("#same-person").locator("xpath=..")
    expect(suggestion).to_contain_text("anna.bsky.social")
    suggestion.get_by_role("button", name="Merge").click()
    expect(page.get_by_role("status").filter(has_text="is now one member")).to_be_visible()
    assert not Contact.objects.filter(pk=twin.pk).exists()
    expect(page.locator("#identities").locator("xpath=..")).to_contain_text("anna.bsky.social")

    # Award with a rule: the ledger and the standing show it.
    award = page.locator("#award-form")
    award.get_by_label("Rule").select_option(label="Ambassadors: Answered another customer (+5, Helper)")
    award.get_by_label("Why").fill("Helped Bert with sizes at the fair")
    award.get_by_role("button", name="Award").click()
    expect(page.get_by_role("status").filter(has_text="+5 points")).to_be_visible()
    rewards_card = page.locator("#rewards").locator("xpath=..")
    expect(rewards_card).to_contain_text("5 points")
    expect(rewards_card).to_contain_text("Helper")
    assert LedgerEntry.objects.get(contact=anna).created_by == personas.owner

    # Export: a JSON file with what smm holds about her.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export data (JSON)").click()
    path = tmp_path / "export.json"
    download.value.save_as(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert {identity["handle"] for identity in data["identities"]} == {"@anna@mastodon.example", "anna.bsky.social"}
    assert data["notes"][0]["text"] == "Wants to test the winter range."
    assert data["items"][0]["text"] == item.text and data["ledger"][0]["points"] == 5
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONTACT_EXPORTED).exists()
