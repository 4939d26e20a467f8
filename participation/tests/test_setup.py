"""The inbox settings page: saved replies, tags, response-time targets and whose replies need approval."""

from __future__ import annotations

import pytest
from django.urls import reverse

from collaboration.models import ReplyApproval
from participation.models import Conversation, InboxRule, InboxTag, ResponseTargets, SavedReply
from participation.services import replies
from participation.tests.inbox_data import make_item
from smm.accounts.models import AuditEvent
from tests.fixtures import Personas


def _url(personas: Personas, name: str, *args: object) -> str:
    return reverse(f"participation:{name}", args=[personas.workspace.slug, *args])


def test_it_shows_everything_to_every_member_and_forms_only_to_those_who_may_change(client, personas: Personas) -> None:
    SavedReply.objects.create(
        workspace=personas.workspace, title="Keep it civil", body="Hi {author_name}, please…", is_warning=True
    )
    InboxTag.objects.create(workspace=personas.workspace, name="Refunds")
    approval = ReplyApproval.objects.create(workspace=personas.workspace)
    approval.members.add(personas.membership(personas.editor))

    client.force_login(personas.viewer)
    page = client.get(_url(personas, "setup")).content.decode()
    assert "Keep it civil" in page and "friendly warning" in page and "Refunds" in page
    assert "{author_name}" in page and "{handle}" in page and "{account}" in page  # explained
    assert "60 minutes" in page and "1440 minutes" in page  # the default targets, read-only
    assert personas.editor.display_name in page  # whose replies need approval
    assert _url(personas, "targets") not in page and _url(personas, "tag-new") not in page
    assert _url(personas, "rules") in page and _url(personas, "views") in page

    client.force_login(personas.editor)
    page = client.get(_url(personas, "setup")).content.decode()
    assert _url(personas, "tag-new") in page and _url(personas, "saved-reply-new") in page
    assert _url(personas, "targets") not in page  # owners and admins only

    client.force_login(personas.admin)
    page = client.get(_url(personas, "setup")).content.decode()
    assert _url(personas, "targets") in page and _url(personas, "reply-approval") in page


def test_a_saved_reply_is_added_changed_and_deleted(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    response = client.post(
        _url(personas, "saved-reply-new"),
        {"title": "Opening hours", "body": "Hi {author_name}, we are open 10–16. – {account}"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#saved-replies")
    saved = SavedReply.objects.get()
    assert (saved.workspace, saved.title, saved.is_warning) == (personas.workspace, "Opening hours", False)

    item = make_item(personas, author="anna")
    assert replies.fill_saved_reply(saved, item) == "Hi Anna, we are open 10–16. – @acme@mastodon.example"

    form = client.get(_url(personas, "saved-reply-edit", saved.pk)).content.decode()
    assert "Opening hours" in form and 'aria-describedby="id_body_helptext placeholder-help"' in form
    response = client.post(
        _url(personas, "saved-reply-edit", saved.pk),
        {"title": "Please keep it civil", "body": "{handle}, please keep it civil.", "is_warning": "on"},
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.title, saved.is_warning) == ("Please keep it civil", True)

    assert client.post(_url(personas, "saved-reply-delete", saved.pk)).status_code == 302
    assert not SavedReply.objects.exists()


def test_an_unknown_placeholder_is_refused_with_the_ones_that_work(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    response = client.post(_url(personas, "saved-reply-new"), {"title": "Hi", "body": "Hello {name}!"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "{name} is not filled in" in page and "{author_name}, {handle}, {account}" in page
    assert not SavedReply.objects.exists()
    # An empty body is refused by the form itself.
    assert client.post(_url(personas, "saved-reply-new"), {"title": "Hi", "body": " "}).status_code == 400


def test_deleting_a_saved_reply_stops_the_rules_that_sent_it(client, personas: Personas) -> None:
    saved = SavedReply.objects.create(workspace=personas.workspace, title="Thanks", body="Thanks!")
    rule = InboxRule.objects.create(
        workspace=personas.workspace, name="Thank", actions={"reply": saved.pk, "priority": 2}
    )
    client.force_login(personas.editor)
    response = client.post(_url(personas, "saved-reply-delete", saved.pk), follow=True)
    assert "no longer auto-reply" in response.content.decode()
    rule.refresh_from_db()
    assert rule.actions == {"priority": 2}


def test_tags_are_added_once_and_deleted_from_conversations_and_rules(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    response = client.post(_url(personas, "tag-new"), {"name": "  Refunds  ", "color": "#DC3545"})
    assert response.status_code == 302 and response["Location"].endswith("#tags")
    tag = InboxTag.objects.get()
    assert (tag.name, tag.color) == ("Refunds", "#dc3545")
    client.post(_url(personas, "tag-new"), {"name": "Refunds", "color": "#000000"})
    assert InboxTag.objects.count() == 1

    bad = client.post(_url(personas, "tag-new"), {"name": "", "color": "red"})
    assert bad.status_code == 400 and "Choose a colour." in bad.content.decode()

    conversation = make_item(personas).conversation
    conversation.tags.add(tag)
    rule = InboxRule.objects.create(workspace=personas.workspace, name="Tag refunds", actions={"tag": tag.pk})
    assert client.post(_url(personas, "tag-delete", tag.pk)).status_code == 302
    assert not InboxTag.objects.exists() and not Conversation.objects.get().tags.exists()
    rule.refresh_from_db()
    assert rule.actions == {}
    rules_page = client.get(_url(personas, "rules")).content.decode()
    assert "what it did was deleted" in rules_page


def test_admins_change_the_targets_and_it_is_audited(client, personas: Personas) -> None:
    client.force_login(personas.admin)
    data = {"first_response_minutes": "30", "resolution_minutes": "480"}
    response = client.post(_url(personas, "targets"), data)
    assert response.status_code == 302
    targets = ResponseTargets.objects.get(workspace=personas.workspace)
    assert (targets.first_response_minutes, targets.resolution_minutes) == (30, 480)
    event = AuditEvent.objects.get(action=AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED)
    assert event.data == {
        "changes": {
            "first_response_minutes": {"from": 60, "to": 30},
            "resolution_minutes": {"from": 1440, "to": 480},
        }
    }
    # Saving the same values again records nothing.
    client.post(_url(personas, "targets"), data)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED).count() == 1


@pytest.mark.parametrize(
    ("first", "resolution", "message"),
    [
        ("0", "60", "greater than or equal to 1"),
        ("abc", "60", "Enter a whole number"),
        ("120", "60", "Resolving cannot take less time than the first response."),
    ],
)
def test_wrong_targets_are_explained_on_the_page(
    client, personas: Personas, first: str, resolution: str, message: str
) -> None:
    client.force_login(personas.owner)
    response = client.post(
        _url(personas, "targets"), {"first_response_minutes": first, "resolution_minutes": resolution}
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not ResponseTargets.objects.filter(workspace=personas.workspace).exists()


def test_admins_choose_whose_replies_need_approval(client, personas: Personas) -> None:
    editor = personas.membership(personas.editor)
    client.force_login(personas.admin)
    page = client.get(_url(personas, "setup")).content.decode()
    assert personas.editor.display_name in page
    assert f'name="members" value="{personas.membership(personas.viewer).pk}"' not in page  # viewers never reply
    assert f'name="members" value="{editor.pk}"' in page

    assert client.post(_url(personas, "reply-approval"), {"members": [str(editor.pk)]}).status_code == 302
    assert list(ReplyApproval.objects.get(workspace=personas.workspace).members.all()) == [editor]
    assert replies.reply_needs_approval(editor)
    event = AuditEvent.objects.get(action=AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED)
    assert event.data == {"from": "", "to": personas.editor.email}

    assert client.post(_url(personas, "reply-approval"), {}).status_code == 302
    assert not replies.reply_needs_approval(editor)

    # A member of another workspace cannot be chosen.
    outsider = personas.outsider.memberships.get()
    response = client.post(_url(personas, "reply-approval"), {"members": [str(outsider.pk)]})
    assert response.status_code == 400
    assert not ReplyApproval.objects.get(workspace=personas.workspace).members.exists()
