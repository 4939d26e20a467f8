"""Ideas from the browser: a customer's inbox message becomes an idea, is voted, marked done, and
the customer is told in their own thread; on the public page a visitor sends an idea, which is
shown only after the team approves it, and votes for it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from participation.models import Idea, IdeaStatusChange, InboxItem
from participation.services.collection import inbox_collect
from tests.browser.flows import log_in
from tests.factories import PASSWORD, make_connected_account
from tests.fake_inbox import FakeInbox, install
from tests.fixtures import Personas

pytestmark = pytest.mark.browser


@pytest.fixture
def box(monkeypatch) -> FakeInbox:
    return install(monkeypatch)


def test_an_idea_from_the_inbox_is_voted_done_and_its_contributor_told(
    page: Page, personas: Personas, box: FakeInbox
) -> None:
    slug = personas.workspace.slug
    account = make_connected_account(personas.workspace, "@brand@fake.example")
    box.notify("mention", box.post(text="Could you sell oat milk too?\nThe shop is far.", author="anna"), author="anna")
    inbox_collect(account=account)
    item = InboxItem.objects.get()

    log_in(page, personas.owner.email, PASSWORD)
    page.goto(f"/w/{slug}/inbox/c/{item.conversation_id}/")
    page.locator(f"#item-{item.pk}").get_by_role("link", name="Make an idea").click()
    expect(page.get_by_label("Title")).to_have_value("Could you sell oat milk too?")
    page.get_by_role("button", name="Save the idea").click()
    page.wait_for_url(re.compile(r"/ideas/\d+/$"))
    idea = Idea.objects.get()
    assert idea.source_item == item and idea.contact == item.contact
    expect(page.locator("#contributor")).to_contain_text("Anna")

    # A vote, with htmx: the button is swapped for the counted one.
    page.get_by_role("button", name="Vote for “Could you sell oat milk too?”").click()
    expect(page.get_by_role("button", name="Take back your vote for “Could you sell oat milk too?”")).to_be_visible()
    expect(page.locator(f"#vote-{idea.pk} [data-votes]")).to_have_text("1")

    # Done: the message follows the chosen status (static JS) and may be edited before it is sent.
    page.get_by_label("New status").select_option(label="Done")
    message = page.get_by_label("Message to the contributor")
    expect(message).to_have_value(re.compile(r"^Hi Anna! We built your idea “Could you sell oat milk too\?”"))
    message.fill(message.input_value() + " Ask for it at the counter.")
    page.get_by_role("button", name="Change the status").click()
    expect(page.get_by_role("status").filter(has_text="the contributor was told")).to_be_visible()
    expect(page.locator("#history-table")).to_contain_text("Told by a reply in their thread")

    assert [draft.reply_to for draft in box.sent] == [item.remote_id]
    assert box.sent[0].text.endswith("Ask for it at the counter.")
    change = IdeaStatusChange.objects.get()
    assert change.to_status == Idea.Status.DONE and change.told == "reply" and change.told_at is not None
    # The reply is in the conversation, too.
    page.goto(f"/w/{slug}/inbox/c/{item.conversation_id}/")
    expect(page.locator(".thread")).to_contain_text("We built your idea")


def test_a_public_idea_is_moderated_before_it_is_shown(
    page: Page, new_context, personas: Personas, monkeypatch
) -> None:
    # No waiting in tests: the minimum fill time is tested in participation/tests/test_idea_public.py.
    monkeypatch.setattr("participation.services.ideas.MIN_FILL_SECONDS", 0)
    slug = personas.workspace.slug
    log_in(page, personas.owner.email, PASSWORD)
    page.goto(f"/w/{slug}/ideas/settings/")
    page.get_by_label("Public idea page").check()
    page.get_by_label("Introduction on the public page").fill("What should we do next?")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Idea settings saved.")).to_be_visible()

    visitor = new_context().new_page()
    visitor.goto(f"/p/{slug}/ideas/")
    expect(visitor.get_by_text("What should we do next?")).to_be_visible()
    expect(visitor.locator("nav.navbar")).to_have_count(0)
    visitor.get_by_label("Your idea in a few words").fill("Sunday opening hours")
    visitor.get_by_label("Tell us more (optional)").fill("<script>alert(1)</script> Please!")
    visitor.get_by_label("Your e-mail address (optional)").fill("maija@example.com")
    visitor.get_by_label("You may e-mail me about this idea").check()
    visitor.get_by_role("button", name="Send the idea").click()
    expect(visitor.get_by_role("status").filter(has_text="once we have read it")).to_be_visible()
    expect(visitor.locator("#public-ideas")).to_have_count(0)  # not shown before moderation

    page.goto(f"/w/{slug}/ideas/moderation/")
    row = page.locator("#moderation-list li").filter(has_text="Sunday opening hours")
    row.get_by_role("button", name=re.compile(r"^Show")).click()
    expect(page.get_by_role("status").filter(has_text="is shown on the public page")).to_be_visible()

    visitor.reload()
    card = visitor.locator("#public-ideas li").filter(has_text="Sunday opening hours")
    expect(card).to_contain_text("<script>alert(1)</script> Please!")  # text, not markup
    card.get_by_role("button", name="Vote for “Sunday opening hours”").click()
    expect(visitor.get_by_role("status").filter(has_text="Thank you for your vote!")).to_be_visible()
    expect(card.locator("[data-votes]")).to_have_text("1")
    expect(card.get_by_role("button", name="You voted for this idea")).to_be_disabled()
    idea = Idea.objects.get()
    assert idea.votes_count == 1 and idea.moderation == Idea.Moderation.APPROVED and idea.contact_consent
