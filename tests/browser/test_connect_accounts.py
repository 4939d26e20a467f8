"""An owner connects a Mastodon account (through the stand-in's OAuth pages) and a Bluesky account
(on the local AT Protocol network) from the browser, and sees both working with profile basics."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from smm.accounts.models import AuditEvent
from smm.networks.models import ConnectedAccount
from tests.browser.flows import label, log_in
from tests.factories import PASSWORD
from tests.fixtures import Personas
from tests.peers.bluesky import BlueskyNetwork
from tests.peers.mastodon import MastodonMockServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _site(settings, live_server) -> None:
    # The OAuth redirect comes back to the live server, and the stand-ins listen on loopback.
    settings.SITE_URL = live_server.url
    settings.OUTBOUND_ALLOW_LOOPBACK = True


def _open_connect(page: Page, personas: Personas, network: str) -> None:
    page.goto(f"/w/{personas.workspace.slug}/accounts/")
    page.get_by_role("button", name="Connect an account").click()
    page.get_by_role("link", name=network, exact=True).click()


def test_it_connects_a_mastodon_account_through_oauth(
    page: Page,
    personas: Personas,
    mastodon_server: MastodonMockServer,
) -> None:
    brand = mastodon_server.create_user("brandoy", display_name="Brand Oy")
    log_in(page, personas.owner.email, PASSWORD)
    _open_connect(page, personas, "Mastodon")
    page.get_by_label(label("Mastodon server")).fill(mastodon_server.base_url)
    page.get_by_role("button", name="Continue to Mastodon").click()

    # The server's own page: pick the organisation's account to approve smm's access.
    page.wait_for_url(f"{mastodon_server.base_url}/oauth/authorize**")
    page.get_by_role("button", name=re.compile(rf"@{brand.username}\)")).click()

    page.wait_for_url(f"**/w/{personas.workspace.slug}/accounts/")
    expect(page.get_by_role("status").filter(has_text="is connected")).to_be_visible()
    card = page.locator("section.card").filter(has_text="Brand Oy")
    expect(card.get_by_text("Working")).to_be_visible()
    account = ConnectedAccount.objects.get(workspace=personas.workspace, remote_id=brand.id)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_CONNECTED, target=str(account)).exists()

    card.get_by_role("link", name="Brand Oy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Brand Oy")
    expect(page.get_by_role("button", name="Check now")).to_be_visible()
    expect(page.get_by_text("Publish images")).to_be_visible()


def test_it_connects_a_bluesky_account_with_an_app_password(
    page: Page,
    personas: Personas,
    bluesky_network: BlueskyNetwork,
) -> None:
    bluesky_network.require_appview()
    person = bluesky_network.create_account("brand")
    log_in(page, personas.owner.email, PASSWORD)
    _open_connect(page, personas, "Bluesky")
    page.get_by_label(label("Handle")).fill(person.handle)
    page.get_by_label(label("App password")).fill("wrong-pass-word-1234")
    page.get_by_label(label("Server (PDS)")).fill(bluesky_network.pds_url)
    page.get_by_role("button", name="Connect", exact=True).click()
    # A wrong app password is explained and nothing typed but the password is lost.
    expect(page.get_by_role("alert").filter(has_text="did not accept the app password")).to_be_visible()
    expect(page.get_by_label(label("Handle"))).to_have_value(person.handle)

    page.get_by_label(label("App password")).fill(person.app_password)
    page.get_by_role("button", name="Connect", exact=True).click()
    page.wait_for_url(f"**/w/{personas.workspace.slug}/accounts/")
    card = page.locator("section.card").filter(has_text=person.handle)
    expect(card.get_by_text("Working")).to_be_visible()
    account = ConnectedAccount.objects.get(workspace=personas.workspace, network="bluesky")
    assert account.remote_id == person.did
    assert person.app_password not in account.credentials_encrypted
