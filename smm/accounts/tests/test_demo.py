"""The demo workspace `make run` creates: once, with a printed login, and honest example accounts."""

from __future__ import annotations

import io

from django.core.management import call_command

from smm.accounts.models import User, Workspace
from smm.networks.models import ConnectedAccount


def test_it_creates_the_demo_once_and_its_accounts_ask_to_be_connected(db) -> None:
    out = io.StringIO()
    call_command("dev_prepare", stdout=out)
    assert "password:" in out.getvalue()
    workspace = Workspace.objects.get(slug="demo")
    accounts = ConnectedAccount.objects.filter(workspace=workspace)
    assert accounts.count() == 2
    # No keys, so they are not shown as working.
    assert {account.status for account in accounts} == {ConnectedAccount.Status.RECONNECT}
    assert all(account.credentials_encrypted == "" for account in accounts)

    from publishing.models import Post

    # A week of example posts for the calendar, and a draft.
    assert Post.objects.filter(workspace=workspace, status=Post.Status.SCHEDULED).count() == 4
    assert Post.objects.filter(workspace=workspace, status=Post.Status.DRAFT).count() == 1

    from participation.models import Conversation, InboxItem

    # An inbox to try: five conversations on both networks, tagged and assigned by the demo rules.
    assert InboxItem.objects.filter(workspace=workspace).count() == 13
    open_ones = Conversation.objects.filter(workspace=workspace).exclude(status=Conversation.Status.CLOSED)
    assert open_ones.count() == 5
    # Answered history for the response-time report: closed, with a first responder.
    answered = Conversation.objects.filter(workspace=workspace, status=Conversation.Status.CLOSED)
    assert answered.count() == 8
    assert not answered.filter(first_responder__isnull=True).exists()
    complaint = Conversation.objects.get(workspace=workspace, items__author_name="Liisa K.")
    assert complaint.sentiment == "negative"
    assert [tag.name for tag in complaint.tags.all()] == ["Reklamaatio"]
    assert complaint.assignee is not None and complaint.assignee.email == "eeva.editor@example.com"
    returns = Conversation.objects.get(workspace=workspace, kind=Conversation.Kind.DIRECT)
    assert [tag.name for tag in returns.tags.all()] == ["Palautukset"]

    from participation.models import Contest, Idea, LedgerEntry, Segment

    # Community: the built-in segments, points for the positive comment, an idea from Pekka's
    # message with two votes, and a contest draft on the autumn post.
    assert Segment.objects.filter(workspace=workspace).count() == 4
    assert LedgerEntry.objects.filter(workspace=workspace, contact__display_name="Maija M.").exists()
    idea = Idea.objects.get(workspace=workspace, source_item__author_name="Pekka")
    assert (idea.status, idea.votes_count) == (Idea.Status.UNDER_REVIEW, 2)
    assert Contest.objects.get(workspace=workspace).state == Contest.State.DRAFT

    again = io.StringIO()
    call_command("demo_workspace", stdout=again)
    assert "password:" not in again.getvalue()
    assert User.objects.filter(email="admin@example.com").count() == 1
