"""The inbox with an in-memory network: collection, grouping, contacts, rules, replies, moderation,
response times, and hostile or odd input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from participation.models import (
    CollectionState,
    Contact,
    ContactIdentity,
    Conversation,
    InboxItem,
    InboxRule,
    InboxTag,
    ModerationAction,
    Reply,
)
from participation.services import conversations, moderation, replies
from participation.services.collection import inbox_collect
from publishing.models import Post, Target
from smm.accounts.models import AuditEvent
from tests.factories import make_connected_account
from tests.fake_inbox import FakeInbox, install
from tests.fixtures import Personas


@pytest.fixture
def box(monkeypatch) -> FakeInbox:
    return install(monkeypatch)


@pytest.fixture
def account(personas: Personas):
    return make_connected_account(personas.workspace, "@brand@fake.example")


def _our_post(personas: Personas, account, remote_id: str) -> None:
    """A post smm published to the account (so replies to it are comments on our post)."""
    post = Post.objects.create(workspace=personas.workspace, author=personas.editor, text="Our news")
    Target.objects.create(post=post, account=account, status=Target.Status.PUBLISHED, remote_id=remote_id)


def test_mentions_replies_and_dms_arrive_once_grouped_with_their_authors(
    personas: Personas, account, box: FakeInbox
) -> None:
    _our_post(personas, account, "our-1")
    comment = box.post(text="Great news!", author="anna", reply_to="our-1")
    box.notify("reply", comment, author="anna")
    deeper = box.post(text="Agreed", author="bert", reply_to=comment.remote_id)
    box.threads[deeper.remote_id] = box.post(text="Our news", remote_id="our-1")
    box.notify("reply", deeper, author="bert")
    box.notify("mention", box.post(text="@brand hello?", author="carl"), author="carl")
    box.notify("direct", box.post(text="Can I get a refund?", author="anna"), author="anna")

    result = inbox_collect(account=account)
    assert len(result.new_items) == 4 and not result.error
    thread = Conversation.objects.get(kind=Conversation.Kind.THREAD)
    assert thread.root_remote_id == "our-1"
    assert sorted(thread.items.values_list("kind", flat=True)) == ["comment", "reply"]
    assert Conversation.objects.filter(kind=Conversation.Kind.MENTION).count() == 1
    assert Conversation.objects.filter(kind=Conversation.Kind.DIRECT).count() == 1
    anna = ContactIdentity.objects.get(remote_id="id-anna")
    assert anna.contact.items.count() == 2  # her comment and her DM: one person across the inbox
    # The next run finds nothing new, and stores nothing twice.
    assert inbox_collect(account=account).new_items == []
    assert InboxItem.objects.count() == 4


def test_an_error_mid_run_loses_nothing_and_the_next_run_completes(
    personas: Personas, account, box: FakeInbox, monkeypatch
) -> None:
    monkeypatch.setattr("participation.services.collection.PAGE_SIZE", 2)
    for number in range(5):
        box.notify("mention", box.post(text=f"Mention {number}", author=f"user{number}"), author=f"user{number}")
    box.fail_on_page = 1
    first = inbox_collect(account=account)
    assert len(first.new_items) == 2 and first.error
    assert CollectionState.objects.get(account=account).newest_remote_id == ""  # the cursor did not move
    second = inbox_collect(account=account)
    assert len(second.new_items) == 3 and not second.error
    assert InboxItem.objects.count() == 5


def test_a_renamed_author_stays_the_same_contact(personas: Personas, account, box: FakeInbox) -> None:
    box.notify("mention", box.post(text="First", author="anna"), author="anna", author_id="42")
    inbox_collect(account=account)
    box.notify("mention", box.post(text="Second", author="anna_new"), author="anna_new", author_id="42")
    inbox_collect(account=account)
    identity = ContactIdentity.objects.get(remote_id="42")
    assert identity.handle == "@anna_new@fake.example"
    assert identity.previous_handles == ["@anna@fake.example"]
    assert Contact.objects.count() == 1


def test_hostile_huge_and_odd_messages_are_stored_and_shown_inert(
    client, personas: Personas, account, box: FakeInbox
) -> None:
    hostile = box.post(text="hi", author="mallory")
    hostile = hostile.__class__(
        **{**hostile.__dict__, "raw_html": '<p>hi<script>alert(1)</script><img src=x onerror="alert(2)"></p>'}
    )
    box.notify("mention", hostile, author="mallory")
    box.notify("mention", box.post(text="x" * 50_000, author="huge"), author="huge")
    box.notify("mention", box.post(text="Z̸̡a̷l̴g̵o͜ 👩‍👩‍👧 \u202eevil\u202c \x00null", author="odd"), author="odd")
    assert len(inbox_collect(account=account).new_items) == 3
    assert len(InboxItem.objects.get(author_handle="@huge@fake.example").text) == 20_000
    client.force_login(personas.editor)
    conversation = InboxItem.objects.get(author_handle="@mallory@fake.example").conversation
    page = client.get(reverse("participation:conversation", args=[personas.workspace.slug, conversation.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>alert(1)" not in html and "onerror" not in html and "<img src=x" not in html
    odd = InboxItem.objects.get(author_handle="@odd@fake.example").conversation
    assert client.get(reverse("participation:conversation", args=[personas.workspace.slug, odd.pk])).status_code == 200


def test_a_rule_tags_and_assigns_a_new_item(personas: Personas, account, box: FakeInbox) -> None:
    tag = InboxTag.objects.create(workspace=personas.workspace, name="Refunds")
    InboxRule.objects.create(
        workspace=personas.workspace,
        name="Refunds to Eeva",
        enabled=True,
        conditions={"words": ["refund"]},
        actions={"tag": tag.pk, "assign": personas.editor.pk, "priority": 2},
    )
    box.notify("direct", box.post(text="I want a refund for my order", author="anna"), author="anna")
    box.notify("mention", box.post(text="Nice shop!", author="bert"), author="bert")
    inbox_collect(account=account)
    refund = Conversation.objects.get(kind=Conversation.Kind.DIRECT)
    assert list(refund.tags.all()) == [tag]
    assert (refund.assignee, refund.priority, refund.status) == (personas.editor, 2, Conversation.Status.OPEN)
    other = Conversation.objects.get(kind=Conversation.Kind.MENTION)
    assert other.assignee is None and not other.tags.exists()


def test_a_reply_goes_out_once_in_the_thread_and_starts_the_clock(
    client, personas: Personas, account, box: FakeInbox, django_capture_on_commit_callbacks
) -> None:
    box.notify("mention", box.post(text="@brand is the shop open on Sunday?", author="anna"), author="anna")
    inbox_collect(account=account)
    conversation = Conversation.objects.get()
    item = conversation.items.get()
    client.force_login(personas.editor)
    url = reverse("participation:conversation-reply", args=[personas.workspace.slug, conversation.pk])
    response = client.post(url, {"item": item.pk, "text": "Yes, 10–16!"})
    assert response.status_code == 302
    assert [draft.reply_to for draft in box.sent] == [item.remote_id]
    reply = Reply.objects.get()
    assert reply.status == Reply.Status.SENT
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None and conversation.first_responder == personas.editor
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.items.filter(kind=InboxItem.Kind.OURS).count() == 1
    # A colleague answering the same message a moment later is asked first.
    client.force_login(personas.admin)
    again = client.post(url, {"item": item.pk, "text": "We are open!"})
    assert again.status_code == 409 and "already answered" in again.content.decode()
    assert len(box.sent) == 1
    client.post(url, {"item": item.pk, "text": "We are open!", "confirmed": "on"})
    assert len(box.sent) == 2


def test_a_reply_too_long_for_the_network_is_refused_before_sending(
    client, personas: Personas, account, box: FakeInbox
) -> None:
    box.notify("mention", box.post(text="hello", author="anna"), author="anna")
    inbox_collect(account=account)
    conversation = Conversation.objects.get()
    client.force_login(personas.editor)
    response = client.post(
        reverse("participation:conversation-reply", args=[personas.workspace.slug, conversation.pk]),
        {"item": conversation.items.get().pk, "text": "x" * 600},
    )
    assert response.status_code == 400 and "allows 500" in response.content.decode()
    assert not box.sent


def test_replies_of_chosen_members_wait_for_approval(personas: Personas, account, box: FakeInbox) -> None:
    from collaboration.models import ReplyApproval

    approval = ReplyApproval.objects.create(workspace=personas.workspace)
    approval.members.add(personas.membership(personas.editor))
    box.notify("mention", box.post(text="hello", author="anna"), author="anna")
    inbox_collect(account=account)
    item = InboxItem.objects.get()
    reply = replies.reply_send(item=item, membership=personas.membership(personas.editor), text="Hi!")
    assert reply.status == Reply.Status.IN_REVIEW and not box.sent
    with pytest.raises(Exception):  # noqa: B017 - the author cannot approve their own reply
        replies.reply_review(reply=reply, membership=personas.membership(personas.editor), approve=True)
    sent = replies.reply_review(reply=reply, membership=personas.membership(personas.admin), approve=True)
    assert sent.status == Reply.Status.SENT and len(box.sent) == 1


def test_blocking_an_abusive_author_is_done_on_the_network_and_audited(
    personas: Personas, account, box: FakeInbox
) -> None:
    box.notify("mention", box.post(text="You are all idiots", author="troll"), author="troll", author_id="troll-1")
    inbox_collect(account=account)
    item = InboxItem.objects.get()
    assert "block" in moderation.available_actions(item)
    assert "hide" not in moderation.available_actions(item)  # this network cannot hide replies
    moderation.moderation_apply(item=item, action="block", actor=personas.membership(personas.editor))
    assert box.actions == [("block", "troll-1")]
    assert item.contact is not None and Contact.objects.get(pk=item.contact.pk).blocked
    assert ModerationAction.objects.get().succeeded
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INBOX_MODERATED).exists()
    with pytest.raises(Exception):  # noqa: B017 - a viewer never moderates
        moderation.moderation_apply(item=item, action="mute", actor=personas.membership(personas.viewer))


def test_response_times_and_the_report(personas: Personas, account, box: FakeInbox, time_machine) -> None:
    box.notify("mention", box.post(text="hello?", author="anna"), author="anna")
    inbox_collect(account=account)
    conversation = Conversation.objects.get()
    targets = conversations.targets_for(personas.workspace.pk)
    due = conversations.response_due(conversation, targets)
    assert conversation.first_item_at is not None
    assert due == conversation.first_item_at + timedelta(minutes=60)
    time_machine.move_to(conversation.first_item_at + timedelta(minutes=90), tick=False)
    assert conversations.breaches_notify() == 1
    assert conversations.breaches_notify() == 0  # once
    replies.reply_send(
        item=conversation.items.get(), membership=personas.membership(personas.editor), text="Sorry, here!"
    )
    report = conversations.response_report(
        workspace_id=personas.workspace.pk,
        since=datetime(2026, 1, 1, tzinfo=UTC),
        until=datetime(2027, 1, 1, tzinfo=UTC),
    )
    [row] = report["member"]
    assert row["count"] == 1 and 89 <= row["median"] <= 91


def test_the_inbox_list_filters_and_costs_a_fixed_number_of_queries(
    client, personas: Personas, account, box: FakeInbox, django_assert_max_num_queries
) -> None:
    for number in range(30):
        box.notify("mention", box.post(text=f"Question {number}", author=f"user{number}"), author=f"user{number}")
    inbox_collect(account=account)
    client.force_login(personas.editor)
    url = reverse("participation:inbox", args=[personas.workspace.slug])
    with django_assert_max_num_queries(20):
        page = client.get(url).content.decode()
    assert "Question 29" in page and "Page 1 of 2" in page
    assert "Question 7" in client.get(url, {"q": "Question 7"}).content.decode()
    assert "Question" not in client.get(url, {"status": "closed"}).content.decode()


def test_the_list_shows_the_newest_message_under_the_first(client, personas: Personas, account, box: FakeInbox) -> None:
    question = box.post(text="Do you ship to Oulu?", author="anna", reply_to="our-1")
    box.notify("reply", question, author="anna")
    inbox_collect(account=account)
    box.notify("reply", box.post(text="Still waiting for an answer!", author="anna", reply_to=question.remote_id))
    inbox_collect(account=account)
    client.force_login(personas.editor)
    page = client.get(reverse("participation:inbox", args=[personas.workspace.slug])).content.decode()
    assert "Do you ship to Oulu?" in page
    assert "Still waiting for an answer!" in page


def test_an_account_with_broken_settings_asks_to_be_reconnected_instead_of_crashing(personas: Personas) -> None:
    from participation.tasks import inbox_collect_task
    from smm.networks.models import ConnectedAccount

    broken = make_connected_account(personas.workspace, "@broken@fake.example")
    broken.config = {"account_id": "1"}  # the server address is gone
    broken.save(update_fields=["config"])

    assert inbox_collect_task(broken.pk) == 0

    broken.refresh_from_db()
    assert broken.status == ConnectedAccount.Status.RECONNECT
    assert "server address" in broken.status_detail
    assert "server address" in CollectionState.objects.get(account=broken).last_error


def test_a_bad_filter_value_is_explained_and_the_other_filters_still_apply(
    client, personas: Personas, account, box: FakeInbox
) -> None:
    box.notify("mention", box.post(text="Open question", author="anna"), author="anna")
    inbox_collect(account=account)
    client.force_login(personas.editor)
    url = reverse("participation:inbox", args=[personas.workspace.slug])
    response = client.get(url, {"status": "closed", "date_from": "not a date"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid date." in page
    assert "Open question" not in page  # the status filter still applies


def test_a_new_message_updates_its_authors_participation_score_at_once(
    personas: Personas, account, box: FakeInbox
) -> None:
    from participation.models import Contact

    box.notify("mention", box.post(text="Hello there", author="anna"), author="anna")
    inbox_collect(account=account)

    from django.utils import timezone

    from participation.services.community import decay

    contact = Contact.objects.get(display_name="Anna")
    item = InboxItem.objects.get(contact=contact)
    assert contact.score > 0
    # A mention weighs 2, halved for every 90 days since it was written.
    assert contact.score == pytest.approx(2 * decay(timezone.now() - item.created_at), abs=0.01)
