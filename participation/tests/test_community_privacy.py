"""A member's data export (JSON) and erasure on request: complete, audited without the personal
data itself, owners and admins only, and erasure confirmed by typing the member's name."""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse

from participation.models import (
    Contact,
    ContactIdentity,
    ContactNote,
    ContestEntry,
    Conversation,
    Idea,
    IdeaVote,
    InboxItem,
    InboxTag,
    LedgerEntry,
    Reply,
    RewardAction,
    RewardProgramme,
    RewardRule,
    Segment,
)
from participation.services import community, rewards
from participation.tests.test_community import NOW, contest, entry_of, item_of, person
from smm.accounts.models import AuditEvent
from tests.access import client_for
from tests.fixtures import Personas


def _everything(personas: Personas) -> dict[str, Any]:
    """Anna with an item of each kind of data smm keeps about a person, and Bert in one of her threads."""
    anna = person(personas, "Anna Virtanen", ("mastodon", "@anna@m.example"), ("bluesky", "anna.bsky.social"))
    bert = person(personas, "Bert Berg", ("mastodon", "@bert@m.example"))
    alone = item_of(personas, anna, text="Where is my order 12345?")
    Reply.objects.create(
        conversation=alone.conversation,
        in_reply_to=alone,
        author=personas.editor,
        text="Hi Anna!",
        idempotency_key="k1",
    )
    shared = item_of(personas, anna, text="Anna's question in a thread")
    bert_item = InboxItem.objects.create(
        workspace=personas.workspace,
        account=personas.account,
        conversation=shared.conversation,
        kind=InboxItem.Kind.REPLY,
        remote_id="bert-1",
        contact=bert,
        author_handle="@bert@m.example",
        text="Bert answers",
        created_at=NOW,
    )
    ContactNote.objects.create(workspace=personas.workspace, contact=anna, author=personas.owner, text="VIP customer")
    anna.tags.add(InboxTag.objects.create(workspace=personas.workspace, name="VIP"))
    anna.segments.add(Segment.objects.create(workspace=personas.workspace, name="Fans"))
    programme = RewardProgramme.objects.create(workspace=personas.workspace, name="Ambassadors")
    RewardRule.objects.create(programme=programme, action=RewardAction.CONTEST_ENTRY, points=5, badge="Player")
    the_contest = contest(personas)
    entry = entry_of(personas, anna, the_contest)
    [award] = rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source=f"contest:{the_contest.pk}")
    idea = Idea.objects.create(
        workspace=personas.workspace,
        title="Open on Sundays",
        contact=anna,
        contributor_name="Anna Virtanen",
        contributor_email="anna@example.com",
        source_item=alone,
    )
    IdeaVote.objects.create(idea=idea, user=personas.editor)
    return {
        "anna": anna,
        "bert": bert,
        "alone": alone,
        "shared": shared,
        "bert_item": bert_item,
        "entry": entry,
        "award": award,
        "idea": idea,
    }


def test_the_export_holds_everything_about_the_member(personas: Personas) -> None:
    data = _everything(personas)
    anna = data["anna"]
    url = reverse("community:member-export", args=[personas.workspace.slug, anna.pk])

    response = client_for(personas, "admin").post(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith(f'attachment; filename="member-{anna.pk}-anna-virtanen-')
    export = json.loads(response.content)
    assert export["member"]["name"] == "Anna Virtanen"
    assert {i["handle"] for i in export["identities"]} == {"@anna@m.example", "anna.bsky.social"}
    assert {i["text"] for i in export["items"]} == {"Where is my order 12345?", "Anna's question in a thread"}
    assert len(export["conversations"]) == 2
    assert [n["text"] for n in export["notes"]] == ["VIP customer"]
    assert export["tags"] == ["VIP"] and export["segments"] == ["Fans"]
    assert [(e["points"], e["badge"]) for e in export["ledger"]] == [(5, "Player")]
    assert [e["text"] for e in export["contest_entries"]] == ["Count me in!"]
    assert export["ideas"][0]["contributor_email"] == "anna@example.com"
    assert export["votes"] == {"on_their_ideas": 1}
    assert export["score"]["total"] > 0 and "½" in export["score"]["formula"]
    assert "Bert answers" not in response.content.decode()

    event = AuditEvent.objects.get(action=AuditEvent.Action.CONTACT_EXPORTED)
    assert event.actor == personas.admin and event.target == f"#{anna.pk}"
    assert "Anna" not in json.dumps(event.data) and "order" not in json.dumps(event.data)


def test_erasure_removes_everything_that_identifies_the_member(personas: Personas) -> None:
    data = _everything(personas)
    anna, bert = data["anna"], data["bert"]
    entry, award, idea = data["entry"], data["award"], data["idea"]
    alone, shared, bert_item = data["alone"], data["shared"], data["bert_item"]
    ticket = entry.ticket
    # An entry collected before its author was known as Anna is hers too (found by her identity).
    unlinked = entry_of(personas, anna, entry.contest, remote_id="e2")
    ContestEntry.objects.filter(pk=unlinked.pk).update(contact=None)

    counts = community.contact_erase(contact=anna, actor=personas.owner)

    assert not Contact.objects.filter(pk=anna.pk).exists()
    assert not ContactIdentity.objects.filter(handle__in=["@anna@m.example", "anna.bsky.social"]).exists()
    assert not InboxItem.objects.filter(pk__in=[alone.pk, shared.pk]).exists()
    assert not Reply.objects.exists()  # our reply quoted her name
    # The conversation only she took part in is gone; Bert's thread stays, without her subject.
    assert not Conversation.objects.filter(pk=alone.conversation_id).exists()
    thread = Conversation.objects.get(pk=shared.conversation_id)
    assert thread.contact == bert and thread.subject == "" and thread.item_count == 1
    assert InboxItem.objects.filter(pk=bert_item.pk).exists()
    assert not ContactNote.objects.exists()
    entry.refresh_from_db()
    assert (entry.contact_id, entry.author_handle, entry.author_name, entry.text, entry.url) == (None, "", "", "", "")
    assert entry.author_remote_id == "" and entry.remote_id.startswith("erased:")
    assert entry.ticket == ticket
    unlinked.refresh_from_db()
    assert (unlinked.author_handle, unlinked.text, unlinked.author_remote_id) == ("", "", "")
    idea.refresh_from_db()
    assert (idea.contact_id, idea.contributor_name, idea.contributor_email) == (None, "", "")
    assert idea.title == "Open on Sundays"
    award.refresh_from_db()
    assert award.contact_id is None and award.points == 5
    assert counts["items"] == 2 and counts["contest_entries"] == 2 and counts["ledger"] == 1

    event = AuditEvent.objects.get(action=AuditEvent.Action.CONTACT_ERASED)
    assert event.actor == personas.owner and event.data["removed"]["identities"] == 2
    text = json.dumps(event.data) + event.target
    assert "Anna" not in text and "anna" not in text and "order" not in text


def test_erasure_asks_for_the_members_name(personas: Personas) -> None:
    anna = person(personas, "Anna Virtanen")
    url = reverse("community:member-erase", args=[personas.workspace.slug, anna.pk])
    client = client_for(personas, "owner")
    page = client.get(url)
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()

    wrong = client.post(url, {"name": "Anna"})
    assert wrong.status_code == 400 and "Nothing was erased" in wrong.content.decode()
    assert Contact.objects.filter(pk=anna.pk).exists()

    response = client.post(url, {"name": "  anna   VIRTANEN "})
    assert response.status_code == 302
    assert response["Location"] == reverse("community:members", args=[personas.workspace.slug])
    assert not Contact.objects.filter(pk=anna.pk).exists()


def test_an_erased_persons_points_leave_the_leaderboard(personas: Personas) -> None:
    data = _everything(personas)
    programme = RewardProgramme.objects.get(workspace=personas.workspace)
    assert [row.contact for row in rewards.leaderboard(programme=programme)] == [data["anna"]]
    community.contact_erase(contact=data["anna"], actor=None)
    assert rewards.leaderboard(programme=programme) == []
    assert LedgerEntry.objects.filter(programme=programme).count() == 1
    page = client_for(personas, "viewer").get(reverse("community:ledger", args=[personas.workspace.slug, programme.pk]))
    assert "(erased)" in page.content.decode()
