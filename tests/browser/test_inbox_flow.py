"""The inbox from the browser: the list with keyboard shortcuts, a conversation assigned, answered
with a saved reply and closed; a hostile message stays inert; a second member sees who is typing
and is asked before answering the same message again."""

from __future__ import annotations

import dataclasses
import re

import pytest
from playwright.sync_api import Page, expect

from participation.models import Conversation, Reply, SavedReply
from participation.services.collection import inbox_collect
from publishing.models import Post, Target
from tests.browser.flows import log_in
from tests.factories import PASSWORD, make_connected_account
from tests.fake_inbox import FakeInbox, install
from tests.fixtures import Personas

pytestmark = pytest.mark.browser


@pytest.fixture
def box(monkeypatch) -> FakeInbox:
    return install(monkeypatch)


@pytest.fixture
def account(personas: Personas):
    account = make_connected_account(personas.workspace, "@brand@fake.example")
    post = Post.objects.create(workspace=personas.workspace, author=personas.editor, text="Our autumn news")
    Target.objects.create(post=post, account=account, status=Target.Status.PUBLISHED, remote_id="our-1")
    return account


def test_work_the_inbox_with_the_keyboard(page: Page, new_context, personas: Personas, account, box: FakeInbox):
    slug = personas.workspace.slug
    box.notify("reply", box.post(text="When do the coats arrive?", author="anna", reply_to="our-1"), author="anna")
    hostile = (
        '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>Click <a href="javascript:alert(1)">me</a>'
    )
    hostile_post = dataclasses.replace(box.post(text="Click me", author="mallory"), raw_html=hostile)
    box.notify("mention", hostile_post, author="mallory")
    inbox_collect(account=account)
    SavedReply.objects.create(
        workspace=personas.workspace, title="Thanks", body="Thank you {author_name}! Greetings from {account}."
    )

    log_in(page, personas.owner.email, PASSWORD)
    page.goto(f"/w/{slug}/inbox/")
    rows = page.locator(".inbox-row")
    expect(rows).to_have_count(2)
    # The hostile message is shown as text; nothing of it runs.
    page.keyboard.press("j")  # newest first: the mention
    page.keyboard.press("Enter")
    expect(page.locator(".thread")).to_contain_text("Click")
    assert page.evaluate("window.pwned") is None
    assert page.locator(".thread a[href^='javascript']").count() == 0
    page.go_back()

    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile("active"))
    page.keyboard.press("Enter")
    expect(page.locator(".thread")).to_contain_text("When do the coats arrive?")
    conversation = Conversation.objects.get(kind=Conversation.Kind.THREAD)
    page.keyboard.press("a")  # assign to me
    expect(page.locator("#assignee")).to_have_value(str(personas.owner.pk))

    # A second member opens the same conversation and sees the first one typing.
    other = new_context().new_page()
    log_in(other, personas.admin.email, PASSWORD)
    other.goto(f"/w/{slug}/inbox/c/{conversation.pk}/")
    page.keyboard.press("r")
    page.get_by_label("Saved reply").select_option(label="Thanks")
    expect(page.locator("#id_text")).to_have_value(re.compile(r"^Thank you Anna! Greetings from "))
    expect(other.locator("#presence")).to_contain_text("typing", timeout=15_000)

    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status").filter(has_text="Replied on")).to_be_visible()
    question = conversation.items.get(text="When do the coats arrive?")
    assert [draft.reply_to for draft in box.sent] == [question.remote_id]

    # The second member answers the same message: asked first, sent only when confirmed.
    other.reload()
    other.locator("#id_text").fill("We will write to you soon.")
    other.get_by_role("button", name="Send reply").click()
    expect(other.get_by_role("alert").filter(has_text="already answered")).to_be_visible()
    assert Reply.objects.count() == 1
    other.get_by_role("button", name="Send anyway").click()
    expect(other.get_by_role("status").filter(has_text="Replied on")).to_be_visible()
    assert Reply.objects.count() == 2

    # Close with "c": back to the list, where the closed conversation is gone.
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r"/inbox/$"))
    expect(page.locator(".inbox-row")).to_have_count(1)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED
