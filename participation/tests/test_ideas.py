"""Ideas with the in-memory network: made from an inbox item, voted once per member, moved through
their statuses with the contributor told in their own thread (or by e-mail with consent), the
reward awarded once, and the board and idea pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from participation.models import (
    Contact,
    Idea,
    IdeaStatusChange,
    IdeaVote,
    InboxItem,
    LedgerEntry,
    Reply,
    RewardAction,
    RewardProgramme,
    RewardRule,
)
from participation.models.ideas import IdeaBoardSettings
from participation.services import ideas
from participation.services.collection import inbox_collect
from smm.accounts.models import AuditEvent
from smm.networks.base import PermanentError, PostDraft, PublishedPost
from tests.access import client_for
from tests.factories import make_connected_account
from tests.fake_inbox import FakeInbox, FakeInboxAdapter, install
from tests.fixtures import Personas


@pytest.fixture
def box(monkeypatch) -> FakeInbox:
    return install(monkeypatch)


@pytest.fixture
def account(personas: Personas):
    return make_connected_account(personas.workspace, "@brand@fake.example")


@pytest.fixture
def awards(monkeypatch) -> list[dict[str, Any]]:
    """Calls of rewards.award (the rewards themselves are tested with the ledger)."""
    calls: list[dict[str, Any]] = []

    def award(**kwargs: Any) -> list[object]:
        calls.append(kwargs)
        return []

    monkeypatch.setattr("participation.services.rewards.award", award)
    return calls


def _collected(box: FakeInbox, account, *, text: str, kind: str = "mention", author: str = "anna") -> InboxItem:
    """A customer's message collected into the inbox like any other (with its contact)."""
    box.notify(kind, box.post(text=text, author=author), author=author)
    inbox_collect(account=account)
    return InboxItem.objects.filter(text=text).select_related("account", "contact", "conversation").get()


def _idea_from_message(personas: Personas, box: FakeInbox, account, **kwargs: Any) -> Idea:
    item = _collected(box, account, text="Could you sell oat milk too?\nThe nearest shop is far.", **kwargs)
    return ideas.idea_from_item(item=item, actor=personas.editor)


# Making ideas ------------------------------------------------------------------------------------
def test_an_inbox_item_becomes_an_idea_linked_to_its_contributor(personas: Personas, box: FakeInbox, account):
    item = _collected(box, account, text="Could you sell oat milk too?\nThe nearest shop is far.")
    idea = ideas.idea_from_item(item=item, actor=personas.editor)
    assert idea.title == "Could you sell oat milk too?"  # the first line
    assert idea.text == item.text and idea.source_item == item
    assert idea.contact == item.contact and idea.contact is not None and idea.contact.display_name == "Anna"
    assert idea.status == Idea.Status.NEW and idea.moderation == Idea.Moderation.INTERNAL
    assert idea.created_by == personas.editor and idea.workspace == personas.workspace
    event = AuditEvent.objects.get(action=AuditEvent.Action.IDEA_CREATED)
    assert event.actor == personas.editor and event.data["item"] == item.pk

    with pytest.raises(ValidationError) as refused:
        ideas.idea_from_item(item=item, actor=personas.editor)
    assert refused.value.code == "exists"
    assert Idea.objects.count() == 1


def test_a_given_title_wins_and_our_own_replies_are_not_ideas(personas: Personas, box: FakeInbox, account):
    item = _collected(box, account, text="x" * 300)
    assert ideas.title_from_text(item.text) == "x" * 79 + "…"
    idea = ideas.idea_from_item(item=item, actor=personas.editor, title="  Longer   opening hours ", text="")
    assert idea.title == "Longer opening hours" and idea.text == ""
    ours = InboxItem.objects.create(
        workspace=personas.workspace,
        account=account,
        conversation=item.conversation,
        kind=InboxItem.Kind.OURS,
        remote_id="ours-1",
        text="Thanks!",
        created_at=item.created_at,
    )
    with pytest.raises(ValidationError):
        ideas.idea_from_item(item=ours, actor=personas.editor)


def test_the_conversation_page_offers_make_an_idea_to_drafters(personas: Personas, box: FakeInbox, account):
    item = _collected(box, account, text="Please add a vegan menu")
    url = reverse("participation:conversation", args=[personas.workspace.slug, item.conversation_id])
    new_url = reverse("ideas:new", args=[personas.workspace.slug]) + f"?item={item.pk}"
    assert new_url in client_for(personas, "contributor").get(url).content.decode()
    assert new_url not in client_for(personas, "viewer").get(url).content.decode()

    client = client_for(personas, "contributor")
    form = client.get(new_url)
    assert form.status_code == 200 and 'value="Please add a vegan menu"' in form.content.decode()
    response = client.post(
        reverse("ideas:new", args=[personas.workspace.slug]),
        {"title": "A vegan menu", "text": "From Anna", "item": item.pk},
    )
    idea = Idea.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/ideas/{idea.pk}/")
    assert idea.source_item == item and idea.contact == item.contact and idea.title == "A vegan menu"
    # A second "Make an idea" on the same message leads to the idea made already.
    again = client.get(new_url)
    assert again.status_code == 302 and again["Location"].endswith(f"/ideas/{idea.pk}/")


def test_a_member_writes_an_idea_down_and_edits_it(personas: Personas) -> None:
    client = client_for(personas, "editor")
    slug = personas.workspace.slug
    assert client.post(reverse("ideas:new", args=[slug]), {"title": "  ", "text": ""}).status_code == 400
    client.post(reverse("ideas:new", args=[slug]), {"title": "Loyalty card", "text": "Stamps"})
    idea = Idea.objects.get()
    assert idea.contact is None and idea.source_item is None and idea.created_by == personas.editor
    response = client.post(reverse("ideas:edit", args=[slug, idea.pk]), {"title": "Loyalty app", "text": "Stamps"})
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.title == "Loyalty app"
    event = AuditEvent.objects.get(action=AuditEvent.Action.IDEA_EDITED)
    assert event.data["fields"] == ["title"]


# Votes -------------------------------------------------------------------------------------------
def test_a_member_votes_once_and_may_take_it_back(personas: Personas) -> None:
    idea = Idea.objects.create(workspace=personas.workspace, title="Oat milk")
    assert ideas.idea_vote(idea=idea, user=personas.editor, vote=True) is True
    assert ideas.idea_vote(idea=idea, user=personas.editor, vote=True) is True  # a second click: still one
    ideas.idea_vote(idea=idea, user=personas.admin, vote=True)
    idea.refresh_from_db()
    assert idea.votes_count == 2 and IdeaVote.objects.filter(idea=idea).count() == 2
    assert ideas.idea_vote(idea=idea, user=personas.editor, vote=False) is False
    assert ideas.idea_vote(idea=idea, user=personas.editor, vote=False) is False
    idea.refresh_from_db()
    assert idea.votes_count == 1 and list(IdeaVote.objects.values_list("user", flat=True)) == [personas.admin.pk]


def test_the_vote_button_answers_htmx_with_itself(personas: Personas) -> None:
    idea = Idea.objects.create(workspace=personas.workspace, title="Oat milk")
    url = reverse("ideas:vote", args=[personas.workspace.slug, idea.pk])
    response = client_for(personas, "contributor").post(url, {"vote": "1"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and f'id="vote-{idea.pk}"' in body and 'aria-pressed="true"' in body
    assert "<span data-votes>1</span>" in body


# Status changes and telling the contributor ------------------------------------------------------
def test_a_status_change_replies_in_the_contributors_thread(
    personas: Personas, box: FakeInbox, account, awards
) -> None:
    idea = _idea_from_message(personas, box, account)
    item = idea.source_item
    assert item is not None
    membership = personas.membership(personas.editor)
    change = ideas.idea_set_status(idea=idea, membership=membership, status=Idea.Status.DONE)

    # One reply, to the contributor's own message, from the account that received it.
    assert len(box.sent) == 1
    sent = box.sent[0]
    assert sent.reply_to == item.remote_id and sent.visibility == "public"
    assert sent.text == "Hi Anna! We built your idea “Could you sell oat milk too?”. Thank you for suggesting it!"
    change.refresh_from_db()
    assert change.told == IdeaStatusChange.Told.REPLY and change.told_at is not None and not change.tell_error
    assert change.reply is not None and change.reply.status == Reply.Status.SENT
    assert change.reply.in_reply_to == item and change.changed_by == personas.editor
    assert (change.from_status, change.to_status) == ("new", "done")
    assert InboxItem.objects.filter(kind=InboxItem.Kind.OURS, conversation=item.conversation).count() == 1
    idea.refresh_from_db()
    assert idea.status == Idea.Status.DONE
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IDEA_STATUS_CHANGED).count() == 1
    told = AuditEvent.objects.get(action=AuditEvent.Action.IDEA_CONTRIBUTOR_TOLD)
    assert told.data["succeeded"] is True and told.data["how"] == "reply"

    page = client_for(personas, "viewer").get(reverse("ideas:detail", args=[personas.workspace.slug, idea.pk]))
    assert 'data-told="told"' in page.content.decode() and "Told by a reply in their thread" in page.content.decode()


def test_the_message_is_edited_before_sending_or_not_sent_at_all(personas: Personas, box: FakeInbox, account):
    idea = _idea_from_message(personas, box, account)
    membership = personas.membership(personas.admin)
    client = client_for(personas, "admin")
    url = reverse("ideas:status", args=[personas.workspace.slug, idea.pk])
    response = client.post(url, {"status": "under_review", "tell": "on", "message": "Looking at it, {name}!"})
    assert response.status_code == 302
    assert [draft.text for draft in box.sent] == ["Looking at it, Anna!"]
    # Not told: the change is kept without a message.
    change = ideas.idea_set_status(idea=idea, membership=membership, status=Idea.Status.PLANNED, tell=False)
    assert len(box.sent) == 1 and change.note == "" and change.told == "" and ideas.told_state(change) == ""
    with pytest.raises(ValidationError):
        ideas.idea_set_status(idea=idea, membership=membership, status=Idea.Status.PLANNED)
    assert client.post(url, {"status": "nonsense"}).status_code == 400


def test_the_teams_own_message_for_a_status_is_used(personas: Personas, box: FakeInbox, account) -> None:
    IdeaBoardSettings.objects.create(
        workspace=personas.workspace, messages={"declined": "Sorry {name}: “{title}” is {status}."}
    )
    idea = _idea_from_message(personas, box, account)
    ideas.idea_set_status(idea=idea, membership=personas.membership(personas.editor), status=Idea.Status.DECLINED)
    assert box.sent[0].text == "Sorry Anna: “Could you sell oat milk too?” is declined."


def test_a_direct_message_is_answered_by_direct_message(personas: Personas, box: FakeInbox, account) -> None:
    idea = _idea_from_message(personas, box, account, kind="direct")
    change = ideas.idea_set_status(idea=idea, membership=personas.membership(personas.editor), status="planned")
    assert box.sent[0].visibility == "direct" and box.sent[0].reply_to == idea.source_item.remote_id  # type: ignore[union-attr]
    assert change.told == IdeaStatusChange.Told.DIRECT


def test_a_failed_message_is_shown_and_sent_again_on_retry(
    personas: Personas, box: FakeInbox, account, monkeypatch
) -> None:
    idea = _idea_from_message(personas, box, account)
    real_publish = FakeInboxAdapter.publish

    def refuse(self, draft: PostDraft) -> PublishedPost:
        raise PermanentError("The post was refused.")

    monkeypatch.setattr(FakeInboxAdapter, "publish", refuse)
    client = client_for(personas, "editor")
    slug = personas.workspace.slug
    client.post(reverse("ideas:status", args=[slug, idea.pk]), {"status": "planned", "tell": "on"})
    change = IdeaStatusChange.objects.get()
    assert change.told_at is None and change.tell_error == "The post was refused."
    idea.refresh_from_db()
    assert idea.status == Idea.Status.PLANNED  # the status change stands
    page = client.get(reverse("ideas:detail", args=[slug, idea.pk])).content.decode()
    assert "The post was refused." in page and reverse("ideas:tell", args=[slug, idea.pk, change.pk]) in page

    monkeypatch.setattr(FakeInboxAdapter, "publish", real_publish)
    assert client.post(reverse("ideas:tell", args=[slug, idea.pk, change.pk])).status_code == 302
    change.refresh_from_db()
    assert change.told == "reply" and change.told_at is not None and change.tell_error == ""
    assert len(box.sent) == 1 and box.sent[0].text.startswith("Hi Anna! Good news")
    # Told once: a second retry is refused.
    with pytest.raises(ValidationError):
        ideas.idea_tell(change=change, membership=personas.membership(personas.editor))
    assert len(box.sent) == 1


def test_a_reply_waiting_for_approval_is_shown_as_waiting(personas: Personas, box: FakeInbox, account) -> None:
    from collaboration.models import ReplyApproval

    approval = ReplyApproval.objects.create(workspace=personas.workspace)
    approval.members.add(personas.membership(personas.editor))
    idea = _idea_from_message(personas, box, account)
    change = ideas.idea_set_status(idea=idea, membership=personas.membership(personas.editor), status="done")
    assert not box.sent and change.reply is not None and change.reply.status == Reply.Status.IN_REVIEW
    assert ideas.told_state(change) == "waiting" and not ideas.can_retell(change)


def test_a_public_contributor_with_consent_gets_an_email(personas: Personas, box: FakeInbox) -> None:
    idea = Idea.objects.create(
        workspace=personas.workspace,
        title="Oat milk",
        contributor_name="Maija",
        contributor_email="maija@example.com",
        contact_consent=True,
        contributor_language="fi",
        moderation=Idea.Moderation.APPROVED,
    )
    no_consent = Idea.objects.create(
        workspace=personas.workspace, title="Soy milk", contributor_email="x@example.com", contact_consent=False
    )
    membership = personas.membership(personas.editor)
    change = ideas.idea_set_status(idea=idea, membership=membership, status=Idea.Status.DONE, message="Valmista!")
    assert len(mail.outbox) == 1 and not box.sent
    message = mail.outbox[0]
    assert message.to == ["maija@example.com"] and "Valmista!" in message.body and "Oat milk" in message.body
    assert change.told == IdeaStatusChange.Told.EMAIL and change.told_at is not None

    quiet = ideas.idea_set_status(idea=no_consent, membership=membership, status=Idea.Status.DONE)
    assert len(mail.outbox) == 1 and quiet.told == "" and quiet.note == ""
    assert ideas.how_to_tell(no_consent) == IdeaStatusChange.Told.NOT_TOLD


def test_the_reward_is_awarded_once_when_first_accepted(
    personas: Personas, box: FakeInbox, account, awards: list[dict[str, Any]]
) -> None:
    idea = _idea_from_message(personas, box, account)
    membership = personas.membership(personas.editor)
    for status in ("under_review", "planned", "done", "under_review", "planned", "declined", "done"):
        ideas.idea_set_status(idea=idea, membership=membership, status=status, tell=False)
    assert awards == [
        {
            "contact": idea.contact,
            "action": RewardAction.IDEA_ACCEPTED,
            "source": f"idea:{idea.pk}",
            "actor": personas.editor,
        }
    ]
    # An idea without a contributor in the community earns nobody anything.
    loose = Idea.objects.create(workspace=personas.workspace, title="Anonymous")
    ideas.idea_set_status(idea=loose, membership=membership, status="done", tell=False)
    assert len(awards) == 1


def test_the_accepted_idea_lands_in_the_ledger(personas: Personas, box: FakeInbox, account) -> None:
    programme = RewardProgramme.objects.create(workspace=personas.workspace, name="Friends")
    RewardRule.objects.create(programme=programme, action=RewardAction.IDEA_ACCEPTED, points=10)
    idea = _idea_from_message(personas, box, account)
    membership = personas.membership(personas.editor)
    ideas.idea_set_status(idea=idea, membership=membership, status="planned", tell=False)
    ideas.idea_set_status(idea=idea, membership=membership, status="done", tell=False)
    entries = LedgerEntry.objects.filter(contact=idea.contact)
    assert [(entry.points, entry.source) for entry in entries] == [(10, f"idea:{idea.pk}")]


# The board, moderation and settings --------------------------------------------------------------
def test_the_board_filters_searches_sorts_and_leaves_out_pending_ideas(personas: Personas) -> None:
    make = lambda title, **fields: Idea.objects.create(workspace=personas.workspace, title=title, **fields)  # noqa: E731
    make("Oat milk", votes_count=5)
    make("Longer hours", status=Idea.Status.PLANNED, votes_count=1)
    make("Casino link", moderation=Idea.Moderation.PENDING)
    make("Rejected one", moderation=Idea.Moderation.REJECTED)
    Idea.objects.create(workspace=personas.other_workspace, title="Their idea")
    client = client_for(personas, "viewer")
    url = reverse("ideas:board", args=[personas.workspace.slug])
    body = client.get(url).content.decode()
    assert body.index("Oat milk") < body.index("Longer hours")
    assert "Casino link" not in body and "Rejected one" not in body and "Their idea" not in body
    newest = client.get(url, {"sort": "newest"}).content.decode()
    assert newest.index("Longer hours") < newest.index("Oat milk")
    planned = client.get(url, {"status": "planned"}).content.decode()
    assert "Longer hours" in planned and "Oat milk" not in planned
    found = client.get(url, {"q": "oat"}).content.decode()
    assert "Oat milk" in found and "Longer hours" not in found
    assert client.get(url, {"status": "bogus", "sort": "bogus", "page": "x"}).status_code == 200
    queue = client.get(reverse("ideas:moderation", args=[personas.workspace.slug])).content.decode()
    assert "Casino link" in queue and "Oat milk" not in queue and "Rejected one" not in queue


def test_the_board_paginates(personas: Personas) -> None:
    Idea.objects.bulk_create(Idea(workspace=personas.workspace, title=f"Idea {number}") for number in range(30))
    client = client_for(personas, "viewer")
    url = reverse("ideas:board", args=[personas.workspace.slug])
    assert client.get(url).content.decode().count('class="list-group-item idea-row"') == 25
    assert client.get(url, {"page": "2"}).content.decode().count('class="list-group-item idea-row"') == 5


def test_moderation_shows_rejects_and_hides(personas: Personas) -> None:
    idea = Idea.objects.create(workspace=personas.workspace, title="From the web", moderation="pending")
    spam = Idea.objects.create(workspace=personas.workspace, title="Spam", moderation="pending")
    client = client_for(personas, "editor")
    slug = personas.workspace.slug
    client.post(reverse("ideas:moderate", args=[slug, idea.pk]), {"decision": "approve", "next": "moderation"})
    client.post(reverse("ideas:moderate", args=[slug, spam.pk]), {"decision": "reject"})
    idea.refresh_from_db()
    spam.refresh_from_db()
    assert idea.moderation == Idea.Moderation.APPROVED and spam.moderation == Idea.Moderation.REJECTED
    # A rejected submission cannot be hidden, and a shown one can be taken off the page.
    with pytest.raises(ValidationError):
        ideas.idea_moderate(idea=spam, actor=personas.editor, decision="hide")
    ideas.idea_moderate(idea=idea, actor=personas.editor, decision="hide")
    assert idea.moderation == Idea.Moderation.INTERNAL
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IDEA_MODERATED).count() == 3


def test_an_admin_switches_the_public_page_on_and_writes_messages(personas: Personas) -> None:
    client = client_for(personas, "admin")
    url = reverse("ideas:settings", args=[personas.workspace.slug])
    assert "We built your idea" in client.get(url).content.decode()  # the built-in message as placeholder
    data = {"public_page": "on", "intro": "Tell us!", "message_done": "Valmis, {name}!", "message_new": " "}
    assert client.post(url, data).status_code == 302
    board = IdeaBoardSettings.objects.get(workspace=personas.workspace)
    assert board.public_page and board.intro == "Tell us!" and board.messages == {"done": "Valmis, {name}!"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.IDEA_SETTINGS_CHANGED)
    assert event.data["changes"]["public_page"] == {"from": False, "to": True}
    assert client.post(url, {"message_done": "x" * 501}).status_code == 400


def test_the_contributor_links_to_their_community_page_when_it_exists(personas: Personas) -> None:
    contact = Contact.objects.create(workspace=personas.workspace, display_name="Anna Asiakas")
    idea = Idea.objects.create(workspace=personas.workspace, title="Oat milk", contact=contact)
    page = client_for(personas, "viewer").get(reverse("ideas:detail", args=[personas.workspace.slug, idea.pk]))
    body = page.content.decode()
    assert "Anna Asiakas" in body
    member_url = f"/w/{personas.workspace.slug}/community/m/{contact.pk}/"
    from django.urls import Resolver404, resolve

    try:
        resolve(member_url)
    except Resolver404:
        assert member_url not in body
    else:
        assert f'href="{member_url}"' in body
