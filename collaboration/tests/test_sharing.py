"""Employee sharing: members' own accounts, share-ready items, sharing to one's account and copying."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from collaboration.models import (
    ApprovalRequest,
    ApprovalStep,
    ApprovalWorkflow,
    Notification,
    Share,
    ShareSuggestion,
    WordRule,
)
from collaboration.services import sharing
from collaboration.services.approvals import steps_for
from publishing.models import Post, Target
from publishing.services import engine
from publishing.services.posts import PostInput, When, post_save
from smm.accounts.models import AccountLevel, AuditEvent
from smm.accounts.selectors import visible_accounts
from smm.accounts.services import account_level_for
from smm.networks.base import AuthError
from smm.networks.mastodon import client as mastodon_client
from smm.networks.models import ConnectedAccount
from smm.networks.services import account_record_failure
from tests.factories import make_connected_account, make_personal_account
from tests.fixtures import Personas
from tests.peers.mastodon import MastodonMockServer, MockUser


@pytest.fixture(autouse=True)
def _loopback_allowed(settings) -> None:
    # The Mastodon stand-in and the Bluesky peer listen on 127.0.0.1, which the SSRF guard refuses otherwise.
    settings.OUTBOUND_ALLOW_LOOPBACK = True


def _sharing_url(personas: Personas) -> str:
    return reverse("collaboration:sharing", args=[personas.workspace.slug])


def _link(personas: Personas, text: str = "We are hiring designers.") -> ShareSuggestion:
    return sharing.share_suggestion_create(
        membership=personas.membership(personas.owner),
        url="https://acme.example/jobs",
        title="We are hiring",
        suggested_text=text,
    )


def _standin_account(
    personas: Personas, mastodon_server: MastodonMockServer, owner
) -> tuple[ConnectedAccount, MockUser]:
    """A personal account of `owner` on the Mastodon stand-in, as the connect flow stores it."""
    user = mastodon_server.create_user("staff")
    info = mastodon_client.instance_info(mastodon_server.base_url)
    account = ConnectedAccount(
        workspace=personas.workspace,
        network="mastodon",
        handle=f"@{user.username}@127.0.0.1",
        remote_id=user.id,
        personal_owner=owner,
        config={**info.config(), "account_id": user.id},
    )
    account.set_credentials({"access_token": user.access_token})
    account.save()
    return account, user


# Personal accounts -------------------------------------------------------------------------------
def _authorize_state(response) -> str:
    assert response.status_code == 200, response.content[:300]
    return parse_qs(urlsplit(response.context["authorize_url"]).query)["state"][0]


def test_it_connects_a_viewers_own_mastodon_account_through_oauth(
    client, personas: Personas, mastodon_server: MastodonMockServer
) -> None:
    me = mastodon_server.create_user("viewer", display_name="Vera Viewer")
    client.force_login(personas.viewer)
    connect_url = reverse("collaboration:sharing-connect-mastodon", args=[personas.workspace.slug])
    assert "Connect your own Mastodon account" in client.get(connect_url).content.decode()
    state = _authorize_state(client.post(connect_url, {"instance": mastodon_server.base_url}))

    # The stand-in's authorisation page hands out "mockcode_<username>" for the account chosen.
    response = client.get(reverse("mastodon-callback"), {"state": state, "code": f"mockcode_{me.username}"})

    assert response["Location"] == _sharing_url(personas)
    account = ConnectedAccount.objects.get(remote_id=me.id)
    assert (account.workspace, account.personal_owner, account.status) == (personas.workspace, personas.viewer, "ok")
    assert account.credentials["access_token"]
    assert not ConnectedAccount.objects.for_workspace(personas.workspace.pk).filter(pk=account.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_CONNECTED, actor=personas.viewer)
    assert event.data == {"account": account.pk, "network": "mastodon", "personal": True}
    page = client.get(_sharing_url(personas)).content.decode()
    assert "Vera Viewer" in page and "My accounts for sharing" in page


def test_a_personal_account_never_merges_with_the_workspace_account_of_the_same_address(
    client, personas: Personas, mastodon_server: MastodonMockServer
) -> None:
    person = mastodon_server.create_user("both")
    info = mastodon_client.instance_info(mastodon_server.base_url)
    workspace_account = ConnectedAccount.objects.create(
        workspace=personas.workspace,
        network="mastodon",
        handle=f"@{person.username}@127.0.0.1",
        remote_id=person.id,
        config={**info.config(), "account_id": person.id},
    )
    client.force_login(personas.owner)
    connect_url = reverse("collaboration:sharing-connect-mastodon", args=[personas.workspace.slug])
    for _round in range(2):  # connected, then connected again: the same personal row
        state = _authorize_state(client.post(connect_url, {"instance": mastodon_server.base_url}))
        client.get(reverse("mastodon-callback"), {"state": state, "code": f"mockcode_{person.username}"})

    rows = ConnectedAccount.objects.filter(remote_id=person.id)
    assert rows.count() == 2
    personal = rows.get(personal_owner=personas.owner)
    workspace_account.refresh_from_db()
    assert workspace_account.personal_owner is None and not workspace_account.credentials_encrypted
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_RECONNECTED, data__account=personal.pk).exists()


def test_a_workspace_connect_callback_still_needs_the_right_to_connect(
    client, personas: Personas, mastodon_server: MastodonMockServer
) -> None:
    """The personal flag comes from the session, set by the personal connect page only."""
    person = mastodon_server.create_user("brand")
    client.force_login(personas.owner)
    state = _authorize_state(
        client.post(
            reverse("workspace-connect-mastodon", args=[personas.workspace.slug]),
            {"instance": mastodon_server.base_url},
        )
    )
    personas.membership(personas.owner).__class__.objects.filter(pk=personas.membership(personas.owner).pk).update(
        role="viewer"
    )
    response = client.get(reverse("mastodon-callback"), {"state": state, "code": f"mockcode_{person.username}"})
    assert response.status_code == 403
    assert not ConnectedAccount.objects.filter(remote_id=person.id).exists()


@pytest.mark.slow
def test_it_connects_an_own_bluesky_account_with_an_app_password(client, personas: Personas, bluesky_network) -> None:
    person = bluesky_network.create_account("staff")
    client.force_login(personas.contributor)
    response = client.post(
        reverse("collaboration:sharing-connect-bluesky", args=[personas.workspace.slug]),
        {"identifier": person.handle, "app_password": person.app_password, "pds_url": bluesky_network.pds_url},
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == _sharing_url(personas)
    account = ConnectedAccount.objects.get(remote_id=person.did)
    assert (account.network, account.personal_owner, account.handle) == ("bluesky", personas.contributor, person.handle)
    assert account.credentials["app_password"] == person.app_password
    for member in (personas.owner, personas.contributor):
        assert account.pk not in [row.account.pk for row in visible_accounts(personas.membership(member))]


def test_a_personal_account_is_its_owners_alone(client, personas: Personas) -> None:
    account = make_personal_account(personas.workspace, personas.editor, "@eddie@mastodon.example")
    slug = personas.workspace.slug

    assert account_level_for(membership=personas.membership(personas.editor), account=account) == AccountLevel.MANAGE
    viewer_own = make_personal_account(personas.workspace, personas.viewer)
    assert account_level_for(membership=personas.membership(personas.viewer), account=viewer_own) == AccountLevel.MANAGE
    for persona in (personas.owner, personas.admin, personas.viewer):
        assert account_level_for(membership=personas.membership(persona), account=account) == AccountLevel.NONE

    for user in (personas.owner, personas.editor):  # not even its owner finds it among the workspace's
        client.force_login(user)
        for url in (
            reverse("workspace-accounts", args=[slug]),
            reverse("publishing:compose", args=[slug]),
            reverse("publishing:queues", args=[slug]),
            reverse("workspace-dashboard", args=[slug]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "eddie" not in response.content.decode(), url
        assert client.get(reverse("workspace-account", args=[slug, account.pk])).status_code == 404
        assert client.post(reverse("workspace-account-disconnect", args=[slug, account.pk])).status_code == 404

    client.force_login(personas.owner)
    # No permission can be given on it: the editor's permissions page does not list it.
    member_page = client.get(reverse("workspace-member", args=[slug, personas.membership(personas.editor).pk]))
    assert member_page.status_code == 200 and "eddie" not in member_page.content.decode()
    level_url = reverse("workspace-member-account", args=[slug, personas.membership(personas.viewer).pk, account.pk])
    assert client.post(level_url, {"level": "40"}).status_code == 404
    assert "eddie" not in client.get(_sharing_url(personas)).content.decode()
    disconnect = reverse("collaboration:sharing-account-disconnect", args=[slug, account.pk])
    assert client.post(disconnect).status_code == 404
    item = _link(personas)
    response = client.post(
        reverse("collaboration:sharing-publish", args=[slug, item.pk]), {"text": "Mine now", "account": account.pk}
    )
    assert response.status_code == 400  # not one of the owner's own accounts to choose
    assert not Post.objects.filter(source=Post.Source.SHARE).exists()
    client.force_login(personas.editor)
    assert "eddie" in client.get(_sharing_url(personas)).content.decode()


def test_a_member_disconnects_their_own_account(client, personas: Personas) -> None:
    account = make_personal_account(personas.workspace, personas.viewer)
    client.force_login(personas.viewer)
    response = client.post(
        reverse("collaboration:sharing-account-disconnect", args=[personas.workspace.slug, account.pk])
    )
    assert response["Location"] == _sharing_url(personas)
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.DISCONNECTED and not account.credentials_encrypted
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.ACCOUNT_DISCONNECTED, actor=personas.viewer, data__personal=True
    ).exists()
    page = client.get(_sharing_url(personas)).content.decode()
    assert "Connect again" in page and "Share to my account" not in page


def test_only_the_owner_hears_that_a_personal_account_needs_reconnecting(
    personas: Personas, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    account = make_personal_account(personas.workspace, personas.editor)
    with django_capture_on_commit_callbacks(execute=True):
        account_record_failure(account=account, error=AuthError("The token was revoked."))
    notices = Notification.objects.filter(kind=Notification.Kind.ACCOUNT_RECONNECT)
    assert [notice.recipient for notice in notices] == [personas.editor]
    assert notices.get().url == _sharing_url(personas)
    assert [message.to for message in mailoutbox] == [[personas.editor.email]]


# Share-ready items --------------------------------------------------------------------------------
def test_a_publisher_marks_a_post_share_ready_from_its_page(client, personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    post = post_save(
        membership=personas.membership(personas.owner),
        data=PostInput(text="Our new office opens on Monday!\nCome and see.", accounts=[account]),
        when=When.NOW,
    )
    Target.objects.filter(post=post).update(
        status=Target.Status.PUBLISHED, remote_id="1", remote_url="https://mastodon.example/@acme/1"
    )
    detail = reverse("publishing:post-detail", args=[personas.workspace.slug, post.pk])
    add = reverse("collaboration:sharing-post-add", args=[personas.workspace.slug, post.pk])
    client.force_login(personas.editor)
    assert add in client.get(detail).content.decode()

    assert client.post(add)["Location"] == detail
    item = ShareSuggestion.objects.get(post=post)
    assert (item.title, item.url, item.created_by) == (
        "Our new office opens on Monday!",
        "https://mastodon.example/@acme/1",
        personas.editor,
    )
    assert (
        sharing.share_text(item) == "Our new office opens on Monday!\nCome and see.\n\nhttps://mastodon.example/@acme/1"
    )
    page = client.post(add, follow=True).content.decode()
    assert "already on the sharing page" in page
    assert ShareSuggestion.objects.filter(post=post).count() == 1
    assert add not in page and "Open the sharing page" in page

    client.force_login(personas.contributor)  # members who cannot publish see the card, not the button
    page = client.get(detail).content.decode()
    assert "Open the sharing page" in page and add not in page
    assert client.post(add).status_code == 403


def test_a_publisher_adds_a_link_and_takes_it_off_the_page(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    response = client.post(
        reverse("collaboration:sharing-link-add", args=[personas.workspace.slug]),
        {"url": "acme.example/jobs", "title": "We are hiring", "suggested_text": "Come and work with us."},
    )
    item = ShareSuggestion.objects.get()
    assert response["Location"] == f"{_sharing_url(personas)}#item-{item.pk}"
    assert item.url == "https://acme.example/jobs" and item.active
    bad = client.post(reverse("collaboration:sharing-link-add", args=[personas.workspace.slug]), {"title": "No link"})
    assert bad.status_code == 400

    client.force_login(personas.viewer)
    page = client.get(_sharing_url(personas)).content.decode()
    assert "We are hiring" in page and "Come and work with us." in page and "Add a link to share" not in page
    deactivate = reverse("collaboration:sharing-deactivate", args=[personas.workspace.slug, item.pk])
    assert client.post(deactivate).status_code == 403

    client.force_login(personas.editor)
    assert "is no longer on the sharing page" in client.post(deactivate, follow=True).content.decode()
    item.refresh_from_db()
    assert not item.active
    assert "We are hiring" not in client.get(_sharing_url(personas)).content.decode()
    client.force_login(personas.viewer)
    copy = reverse("collaboration:sharing-copy", args=[personas.workspace.slug, item.pk])
    assert client.post(copy).status_code == 404


# Sharing -----------------------------------------------------------------------------------------
def test_sharing_publishes_once_to_the_members_own_account_without_approval(
    client, personas: Personas, mastodon_server: MastodonMockServer, django_capture_on_commit_callbacks
) -> None:
    # Every post of the workspace needs an admin's approval; a viewer never publishes for the team.
    workflow = ApprovalWorkflow.objects.create(workspace=personas.workspace, name="Everything")
    ApprovalStep.objects.create(workflow=workflow, kind=ApprovalStep.Kind.ROLE, role="admin")
    account, person = _standin_account(personas, mastodon_server, personas.viewer)
    item = _link(personas)
    share_url = reverse("collaboration:sharing-publish", args=[personas.workspace.slug, item.pk])
    text = "Proud of my team: we are hiring designers. https://acme.example/jobs"

    client.force_login(personas.viewer)
    response = client.post(share_url, {"text": text, "account": account.pk})

    assert response.status_code == 302, response.content[:500]
    share = Share.objects.get(kind=Share.Kind.PUBLISHED)
    assert (share.suggestion, share.user, share.account) == (item, personas.viewer, account)
    post = share.post
    assert post is not None
    assert (post.source, post.author, post.text, post.approval_required) == (
        Post.Source.SHARE,
        personas.viewer,
        text,
        False,
    )
    assert not ApprovalRequest.objects.exists()
    target = post.targets.get()
    assert target.status == Target.Status.SCHEDULED

    with django_capture_on_commit_callbacks(execute=True):
        assert engine.targets_claim_due() == 1
    target.refresh_from_db()
    assert target.status == Target.Status.PUBLISHED, target.last_error
    statuses = mastodon_server.client(person).account_statuses(person.id)
    assert len(statuses) == 1 and "Proud of my team" in statuses[0]["content"]

    with django_capture_on_commit_callbacks(execute=True):
        assert engine.targets_claim_due() == 0
    again = client.post(share_url, {"text": text, "account": account.pk})
    assert again.status_code == 400 and "already shared this" in again.content.decode()
    assert len(mastodon_server.client(person).account_statuses(person.id)) == 1
    assert Post.objects.filter(source=Post.Source.SHARE).count() == 1

    page = client.get(_sharing_url(personas)).content.decode()
    assert "You shared it" in page and target.remote_url in page
    client.force_login(personas.owner)
    page = client.get(_sharing_url(personas)).content.decode()
    assert "shared from smm once" in page and "1 went out" in page
    # The share is the viewer's own speech: it is no post of the workspace's.
    assert client.get(reverse("publishing:post-detail", args=[personas.workspace.slug, post.pk])).status_code == 404
    assert text not in client.get(reverse("publishing:posts", args=[personas.workspace.slug])).content.decode()


def test_banned_words_still_block_a_share(client, personas: Personas) -> None:
    WordRule.objects.create(workspace=personas.workspace, phrase="guaranteed returns", level=WordRule.Level.BANNED)
    account = make_personal_account(personas.workspace, personas.contributor)
    item = _link(personas)
    client.force_login(personas.contributor)
    response = client.post(
        reverse("collaboration:sharing-publish", args=[personas.workspace.slug, item.pk]),
        {"text": "Guaranteed returns for everyone!", "account": account.pk},
    )
    assert response.status_code == 400
    assert "banned words" in response.content.decode()
    assert "Guaranteed returns for everyone!</textarea>" in response.content.decode()  # the text is kept
    assert not Post.objects.exists() and not Share.objects.exists()


def test_copying_records_each_copy_and_works_without_scripts(client, personas: Personas) -> None:
    item = _link(personas)
    copy = reverse("collaboration:sharing-copy", args=[personas.workspace.slug, item.pk])
    client.force_login(personas.viewer)

    assert client.post(copy, {"text": "My words"}, headers={"X-Requested-With": "fetch"}).status_code == 204
    page = client.post(copy, {"text": "My own words & more"})
    assert page.status_code == 200
    assert "data-select-on-load>My own words &amp; more</textarea>" in page.content.decode()
    client.force_login(personas.editor)
    client.post(copy, headers={"X-Requested-With": "fetch"})

    assert Share.objects.filter(suggestion=item, kind=Share.Kind.COPIED).count() == 3
    assert "Copied 3 times" in client.get(_sharing_url(personas)).content.decode()
    client.force_login(personas.viewer)
    assert "Copied 3 times" not in client.get(_sharing_url(personas)).content.decode()  # counts are for publishers


def test_the_live_count_uses_the_chosen_accounts_network(client, personas: Personas) -> None:
    mine = make_personal_account(personas.workspace, personas.viewer)
    theirs = make_personal_account(personas.workspace, personas.editor)
    url = reverse("collaboration:sharing-count", args=[personas.workspace.slug])
    client.force_login(personas.viewer)

    fragment = client.post(url, {"text": "Hello https://example.com/a/very/long/path", "account": mine.pk})
    assert "29 / 500 characters on Mastodon" in fragment.content.decode()  # a link counts as 23
    too_long = client.post(url, {"text": "x" * 510, "account": mine.pk}).content.decode()
    assert "text-danger" in too_long and "10 characters too long" in too_long
    assert client.post(url, {"text": "Hello", "account": theirs.pk}).content.decode().strip() == ""
    _link(personas)
    assert "characters on Mastodon" in client.get(_sharing_url(personas)).content.decode()  # counted at once


# The rules underneath ----------------------------------------------------------------------------
def test_a_personal_share_needs_no_approval_but_a_team_post_still_does(personas: Personas) -> None:
    ApprovalWorkflow.objects.create(workspace=personas.workspace, name="Default")
    ApprovalStep.objects.create(workflow=ApprovalWorkflow.objects.get(), kind=ApprovalStep.Kind.ROLE, role="admin")
    contributor = personas.membership(personas.contributor)
    own = make_personal_account(personas.workspace, personas.contributor)
    share = post_save(
        membership=contributor,
        data=PostInput(text="Look what we made", accounts=[own]),
        when=When.NOW,
        source=Post.Source.SHARE,
        confirmed=True,
    )
    assert steps_for(share, contributor) == []
    assert share.targets.get().status == Target.Status.SCHEDULED

    team = post_save(
        membership=contributor,
        data=PostInput(text="Look what we made", accounts=[make_connected_account(personas.workspace)]),
        when=When.NOW,
        confirmed=True,
    )
    assert steps_for(team, contributor) and team.targets.get().status == Target.Status.IN_REVIEW


def test_a_personal_account_takes_only_its_owners_own_shares(personas: Personas) -> None:
    editor = personas.membership(personas.editor)
    own = make_personal_account(personas.workspace, personas.editor)
    data = PostInput(text="Hello", accounts=[own])
    with pytest.raises(PermissionDenied):  # the composer never offers it
        post_save(membership=editor, data=data, when=When.NOW, confirmed=True)
    with pytest.raises(PermissionDenied):  # nor alongside the team's accounts
        post_save(
            membership=editor,
            data=PostInput(text="Hello", accounts=[own, personas.account]),
            when=When.NOW,
            source=Post.Source.SHARE,
            confirmed=True,
        )
    with pytest.raises(ValidationError):  # another member's: no level at all
        post_save(
            membership=personas.membership(personas.owner),
            data=PostInput(text="Hello", accounts=[own]),
            when=When.NOW,
            source=Post.Source.SHARE,
            confirmed=True,
        )
    with pytest.raises(PermissionDenied):
        sharing.share_publish(
            membership=personas.membership(personas.owner), suggestion=_link(personas), account=own, text="Hello"
        )


def test_the_sharing_page_reads_a_fixed_number_of_queries(client, personas: Personas) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    viewer = personas.membership(personas.viewer)
    account = make_personal_account(personas.workspace, personas.viewer)

    def add_item(number: int) -> None:
        item = _link(personas, f"Item {number}")
        sharing.share_copy(membership=viewer, suggestion=item)
        sharing.share_publish(membership=viewer, suggestion=item, account=account, text=f"Shared {number}")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_sharing_url(personas)).status_code == 200
        return len(queries)

    client.force_login(personas.viewer)
    add_item(1)
    first = count()
    for number in range(2, 6):
        add_item(number)
    assert count() == first
