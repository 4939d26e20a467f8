"""Roles, removal and per-account permission levels, through the pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from smm.accounts import services
from smm.accounts.models import AccountLevel, AccountPermission, AuditEvent, Membership
from tests.fixtures import Personas


def _login(client, user):
    client.force_login(user)
    return client


def test_it_changes_a_role_and_audits_it(client, personas: Personas) -> None:
    member = personas.membership(personas.editor)
    _login(client, personas.admin)
    response = client.post(
        reverse("workspace-member-role", args=[personas.workspace.slug, member.pk]), {"role": "viewer"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == Membership.Role.VIEWER
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_ROLE_CHANGED)
    assert event.actor == personas.admin
    assert event.data == {"from": "editor", "to": "viewer"}


def test_it_keeps_the_last_owner(client, personas: Personas) -> None:
    owner = personas.membership(personas.owner)
    _login(client, personas.owner)
    response = client.post(
        reverse("workspace-member-role", args=[personas.workspace.slug, owner.pk]), {"role": "admin"}, follow=True
    )
    owner.refresh_from_db()
    assert owner.role == Membership.Role.OWNER
    assert "at least one owner" in response.content.decode()
    response = client.post(reverse("workspace-member-remove", args=[personas.workspace.slug, owner.pk]), follow=True)
    assert Membership.objects.filter(pk=owner.pk).exists()
    assert "at least one owner" in response.content.decode()


def test_it_lets_only_owners_touch_owners(client, personas: Personas) -> None:
    owner = personas.membership(personas.owner)
    editor = personas.membership(personas.editor)
    _login(client, personas.admin)
    client.post(reverse("workspace-member-role", args=[personas.workspace.slug, owner.pk]), {"role": "viewer"})
    client.post(reverse("workspace-member-role", args=[personas.workspace.slug, editor.pk]), {"role": "owner"})
    client.post(reverse("workspace-member-remove", args=[personas.workspace.slug, owner.pk]))
    owner.refresh_from_db()
    editor.refresh_from_db()
    assert owner.role == Membership.Role.OWNER
    assert editor.role == Membership.Role.EDITOR


def test_it_ends_access_at_once_when_a_member_is_removed(client, personas: Personas) -> None:
    viewer_client = client.__class__()
    viewer_client.force_login(personas.viewer)
    dashboard = reverse("workspace-dashboard", args=[personas.workspace.slug])
    assert viewer_client.get(dashboard).status_code == 200
    _login(client, personas.owner)
    member = personas.membership(personas.viewer)
    response = client.post(reverse("workspace-member-remove", args=[personas.workspace.slug, member.pk]))
    assert response.status_code == 302
    assert viewer_client.get(dashboard).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_REMOVED, target=personas.viewer.email).exists()


def test_it_sets_an_account_level_with_htmx_and_returns_the_row(client, personas: Personas) -> None:
    member = personas.membership(personas.editor)
    _login(client, personas.owner)
    url = reverse("workspace-member-account", args=[personas.workspace.slug, member.pk, personas.account.pk])
    response = client.post(url, {"level": str(AccountLevel.VIEW)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="account-row-' in response.content.decode()
    assert "Saved" in response.content.decode()
    assert AccountPermission.objects.get(membership=member, account=personas.account).level == AccountLevel.VIEW
    assert services.account_level_for(membership=member, account=personas.account) == AccountLevel.VIEW
    response = client.post(url, {"level": "default"}, HTTP_HX_REQUEST="true")
    assert not AccountPermission.objects.filter(membership=member).exists()
    assert services.account_level_for(membership=member, account=personas.account) == AccountLevel.PUBLISH
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_PERMISSION_CHANGED).count() == 2


def test_it_never_lets_a_contributor_publish(client, personas: Personas) -> None:
    member = personas.membership(personas.contributor)
    _login(client, personas.owner)
    url = reverse("workspace-member-account", args=[personas.workspace.slug, member.pk, personas.account.pk])
    response = client.post(url, {"level": str(AccountLevel.PUBLISH)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Choose one of the listed levels" in response.content.decode()
    assert not AccountPermission.objects.filter(membership=member).exists()
    with pytest.raises(ValidationError):
        services.account_permission_set(
            membership=member,
            account=personas.account,
            level=AccountLevel.MANAGE,
            actor_membership=personas.membership(personas.owner),
        )


def test_it_caps_explicit_levels_when_a_role_is_lowered(personas: Personas) -> None:
    owner = personas.membership(personas.owner)
    editor = personas.membership(personas.editor)
    services.account_permission_set(
        membership=editor, account=personas.account, level=AccountLevel.MANAGE, actor_membership=owner
    )
    services.membership_change_role(membership=editor, role=Membership.Role.CONTRIBUTOR, actor_membership=owner)
    assert AccountPermission.objects.get(membership=editor).level == AccountLevel.DRAFT


def test_it_hides_accounts_a_member_may_not_see(client, personas: Personas) -> None:
    owner = personas.membership(personas.owner)
    viewer = personas.membership(personas.viewer)
    services.account_permission_set(
        membership=viewer, account=personas.account, level=AccountLevel.NONE, actor_membership=owner
    )
    client.force_login(personas.viewer)
    page = client.get(reverse("workspace-dashboard", args=[personas.workspace.slug])).content.decode()
    assert personas.account.handle not in page
    client.force_login(personas.editor)
    page = client.get(reverse("workspace-dashboard", args=[personas.workspace.slug])).content.decode()
    assert personas.account.handle in page


def test_it_lists_members_with_their_levels_on_the_account_page(client, personas: Personas) -> None:
    _login(client, personas.owner)
    response = client.get(reverse("workspace-account", args=[personas.workspace.slug, personas.account.pk]))
    content = response.content.decode()
    for user in (personas.owner, personas.editor, personas.viewer):
        assert user.display_name in content
