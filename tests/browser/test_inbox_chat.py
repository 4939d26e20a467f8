"""Bluesky DMs from the browser, against the chat stand-in (tests/peers/bluesky_chat.py): a DM shows
up in the inbox after one collection, is answered from its conversation page and lands in the same
chat conversation; an account whose app password lacks DM access says so on its page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from participation.models import Conversation, Reply
from participation.services.collection import inbox_collect
from smm.networks.bluesky.client import connect
from smm.networks.models import ConnectedAccount
from tests.browser.flows import log_in
from tests.factories import PASSWORD
from tests.fixtures import Personas
from tests.peers.bluesky_chat import BlueskyChatStandIn

pytestmark = pytest.mark.browser


@pytest.fixture
def stand_in(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    with BlueskyChatStandIn() as server:
        yield server


def _account(personas: Personas, stand_in: BlueskyChatStandIn, handle: str, *, dm_access: bool) -> ConnectedAccount:
    person = stand_in.add_account(handle, display_name="Brand", dm_access=dm_access)
    credentials, config = connect(person.handle, person.app_password, stand_in.url)
    account = ConnectedAccount(
        workspace=personas.workspace, network="bluesky", handle=person.handle, remote_id=person.did, config=config
    )
    account.set_credentials(credentials)
    account.save()
    return account


def test_answer_a_bluesky_dm_from_the_inbox(page: Page, personas: Personas, stand_in) -> None:
    slug = personas.workspace.slug
    account = _account(personas, stand_in, "brand.test", dm_access=True)
    anna = stand_in.add_account("anna.test", display_name="Anna Asiakas")
    convo, _message = stand_in.dm(anna.did, account.remote_id, "Hei, onko teillä lahjakortteja?")
    inbox_collect(account=account)

    log_in(page, personas.owner.email, PASSWORD)
    page.goto(f"/w/{slug}/inbox/")
    row = page.locator(".inbox-row").filter(has_text="lahjakortteja")
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    expect(page.locator(".thread")).to_contain_text("Hei, onko teillä lahjakortteja?")
    expect(page.locator(".thread")).to_contain_text("Anna Asiakas")
    expect(page.locator(".thread").get_by_role("button", name="Boost")).to_have_count(0)  # not for DMs

    page.locator("#id_text").fill("On! Niitä saa kaikista myymälöistä.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status").filter(has_text="Replied on")).to_be_visible()
    expect(page.locator(".thread")).to_contain_text("On! Niitä saa kaikista myymälöistä.")
    assert [(message.sender, message.text) for message in convo.messages][-1] == (
        account.remote_id,
        "On! Niitä saa kaikista myymälöistä.",
    )
    reply = Reply.objects.get()
    assert reply.status == Reply.Status.SENT and reply.conversation.kind == Conversation.Kind.DIRECT

    without = _account(personas, stand_in, "nodms.test", dm_access=False)
    page.goto(f"/w/{slug}/accounts/{without.pk}/")
    expect(page.locator("#unavailable-capabilities")).to_contain_text(
        "Create an app password with direct-message access to read Bluesky DMs"
    )
    page.goto(f"/w/{slug}/accounts/{account.pk}/")
    expect(page.locator("#unavailable-capabilities")).to_have_count(0)
