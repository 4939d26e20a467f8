"""Every inbox page × persona × method (see tests/access.py). Conversations and items are built with
the ORM; the network is the in-memory one of tests/fake_inbox.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from participation.models import InboxItem, InboxRule, InboxTag, InboxView, Reply, SavedReply
from participation.tests.inbox_data import make_item
from tests.access import (
    ADMINS,
    ALL_MEMBERS,
    DRAFTERS,
    PUBLISHERS,
    Matrix,
    cases,
    check_access,
    check_post_only,
    client_for,
)
from tests.access import slug_kwargs as _slug
from tests.fake_inbox import FakeInbox, install
from tests.fixtures import Personas


@pytest.fixture(autouse=True)
def box(monkeypatch) -> FakeInbox:
    """Replies, reactions and moderation go to the in-memory network."""
    return install(monkeypatch)


def _conversation(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "conversation_id": make_item(p).conversation_id}


def _item(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "item_id": make_item(p).pk}


def _reply_in_review(p: Personas) -> dict[str, object]:
    """A contributor's reply waiting for approval."""
    item = make_item(p)
    reply = Reply.objects.create(
        conversation=item.conversation,
        in_reply_to=item,
        author=p.contributor,
        text="Yes, 10–16!",
        status=Reply.Status.IN_REVIEW,
        idempotency_key=f"key-{item.pk}",
    )
    return {"slug": p.workspace.slug, "reply_id": reply.pk}


def _reply_data(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    item = InboxItem.objects.get(conversation_id=int(str(kwargs["conversation_id"])))
    return {"item": item.pk, "text": "Yes, 10–16 on Sundays."}


def _saved_reply(p: Personas) -> dict[str, object]:
    saved = SavedReply.objects.create(workspace=p.workspace, title="Opening hours", body="Hi {author_name}!")
    return {"slug": p.workspace.slug, "saved_reply_id": saved.pk}


def _tag(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "tag_id": InboxTag.objects.create(workspace=p.workspace, name="Refunds").pk}


def _rule(p: Personas) -> dict[str, object]:
    rule = InboxRule.objects.create(
        workspace=p.workspace, name="Casino spam", conditions={"words": ["casino"]}, actions={"spam": True}
    )
    return {"slug": p.workspace.slug, "rule_id": rule.pk}


def _shared_view(p: Personas) -> dict[str, object]:
    view = InboxView.objects.create(workspace=p.workspace, name="Negative", query="sentiment=negative")
    return {"slug": p.workspace.slug, "view_id": view.pk}


def _approval_data(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"members": [str(p.membership(p.contributor).pk)]}


SAVED_REPLY: dict[str, object] = {"title": "Thanks", "body": "Thank you, {author_name}!", "is_warning": "on"}
RULE: dict[str, object] = {"name": "Casino spam", "position": "1", "words": "casino", "spam": "on"}

MATRIX: Matrix = {
    # Working the inbox: every member reads; members who may draft work conversations (per-account
    # levels are checked too); replies go out directly for publishers, through approval for contributors;
    # likes, boosts, moderation and approving replies need the publish level.
    "participation:inbox": (_slug, {"get": (ALL_MEMBERS, {})}),
    "participation:conversation": (_conversation, {"get": (ALL_MEMBERS, {})}),
    "participation:conversation-update": (_conversation, {"post": (DRAFTERS, {"status": "open"})}),
    "participation:conversation-note": (_conversation, {"post": (DRAFTERS, {"body": "Customer called too."})}),
    "participation:conversation-reply": (_conversation, {"post": (DRAFTERS, _reply_data)}),
    "participation:conversation-presence": (_conversation, {"post": (ALL_MEMBERS, {"typing": "1"})}),
    "participation:reply-review": (_reply_in_review, {"post": (PUBLISHERS, {"decision": "approve"})}),
    "participation:item-react": (_item, {"post": (PUBLISHERS, {"action": "like"})}),
    "participation:item-moderate": (_item, {"post": (PUBLISHERS, {"action": "block"})}),
    # Inbox settings: every member reads; members who publish change saved replies, tags and rules;
    # owners and admins change the targets and whose replies need approval.
    "participation:setup": (_slug, {"get": (ALL_MEMBERS, {})}),
    "participation:saved-reply-new": (_slug, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, SAVED_REPLY)}),
    "participation:saved-reply-edit": (_saved_reply, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, SAVED_REPLY)}),
    "participation:saved-reply-delete": (_saved_reply, {"post": (PUBLISHERS, {})}),
    "participation:tag-new": (_slug, {"post": (PUBLISHERS, {"name": "Complaints", "color": "#dc3545"})}),
    "participation:tag-delete": (_tag, {"post": (PUBLISHERS, {})}),
    "participation:targets": (_slug, {"post": (ADMINS, {"first_response_minutes": "30", "resolution_minutes": "480"})}),
    "participation:reply-approval": (_slug, {"post": (ADMINS, _approval_data)}),
    "participation:rules": (_slug, {"get": (ALL_MEMBERS, {})}),
    "participation:rule-new": (_slug, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, RULE)}),
    "participation:rule-edit": (_rule, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, RULE)}),
    "participation:rule-delete": (_rule, {"post": (PUBLISHERS, {})}),
    "participation:rule-try": (_slug, {"post": (PUBLISHERS, {"words": "open"})}),
    # Saved views: every member saves their own; shared ones are for members who publish.
    "participation:views": (_slug, {"get": (ALL_MEMBERS, {})}),
    "participation:view-new": (
        _slug,
        {"get": (ALL_MEMBERS, {"query": "status=new"}), "post": (ALL_MEMBERS, {"name": "New", "query": "status=new"})},
    ),
    "participation:view-delete": (_shared_view, {"post": (PUBLISHERS, {})}),
    "participation:columns": (_slug, {"get": (ALL_MEMBERS, {})}),
    "participation:report": (_slug, {"get": (ALL_MEMBERS, {})}),
}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)


def test_it_gives_404_for_another_workspaces_rows(personas: Personas) -> None:
    """Through their own workspace's slug, an owner reaches no saved reply, tag, rule or view of another."""
    other = personas.other_workspace
    saved = SavedReply.objects.create(workspace=other, title="Theirs", body="Hi")
    tag = InboxTag.objects.create(workspace=other, name="Theirs")
    rule = InboxRule.objects.create(workspace=other, name="Theirs", actions={"spam": True})
    view = InboxView.objects.create(workspace=other, name="Theirs")
    slug = personas.workspace.slug
    client = client_for(personas, "owner")
    assert client.get(reverse("participation:saved-reply-edit", args=[slug, saved.pk])).status_code == 404
    assert client.post(reverse("participation:saved-reply-delete", args=[slug, saved.pk])).status_code == 404
    assert client.post(reverse("participation:tag-delete", args=[slug, tag.pk])).status_code == 404
    assert client.get(reverse("participation:rule-edit", args=[slug, rule.pk])).status_code == 404
    assert client.post(reverse("participation:rule-delete", args=[slug, rule.pk])).status_code == 404
    assert client.post(reverse("participation:view-delete", args=[slug, view.pk])).status_code == 404
    assert all(
        model.objects.filter(pk=row.pk).exists()
        for model, row in ((SavedReply, saved), (InboxTag, tag), (InboxRule, rule), (InboxView, view))
    )
    # A rule being tried does not look at another workspace's items either.
    make_item(personas, account=personas.other_account, text="Their open question")
    tried = client.post(
        reverse("participation:rule-try", args=[slug]), {"words": "open"}, headers={"HX-Request": "true"}
    )
    assert "Their open question" not in tried.content.decode()


def test_a_members_own_view_is_theirs_alone(personas: Personas) -> None:
    """Another member's own view is not found, even by the owner; its owner deletes it whatever the role."""
    view = InboxView.objects.create(workspace=personas.workspace, owner=personas.viewer, name="Viewer's own", query="")
    url = reverse("participation:view-delete", args=[personas.workspace.slug, view.pk])
    assert client_for(personas, "owner").post(url).status_code == 404
    columns = client_for(personas, "owner").get(reverse("participation:columns", args=[personas.workspace.slug]))
    assert "Viewer&#x27;s own" not in columns.content.decode() and "Waiting for them" in columns.content.decode()
    assert client_for(personas, "viewer").post(url).status_code == 302
    assert not InboxView.objects.filter(pk=view.pk).exists()
