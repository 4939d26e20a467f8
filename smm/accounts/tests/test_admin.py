"""The admin panel: staff only, useful lists, audit log read only, changes audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from smm.accounts.models import AccountLevel, AccountPermission, AuditEvent, Membership, User
from tests.fixtures import Personas


@pytest.fixture
def staff(personas: Personas) -> User:
    return User.objects.create_superuser("staff@example.com", "a staff password 123")


@pytest.mark.parametrize(
    "name",
    [
        "admin:accounts_user_changelist",
        "admin:accounts_workspace_changelist",
        "admin:accounts_membership_changelist",
        "admin:accounts_accountpermission_changelist",
        "admin:accounts_invitation_changelist",
        "admin:accounts_auditevent_changelist",
        "admin:networks_connectedaccount_changelist",
    ],
)
def test_staff_see_every_list_and_members_do_not(client, personas: Personas, staff: User, name: str) -> None:
    client.force_login(personas.owner)  # a workspace owner is not staff
    assert client.get(reverse(name)).status_code == 302
    client.force_login(staff)
    assert client.get(reverse(name), {"q": "example"}).status_code == 200


def test_the_audit_log_is_read_only_in_the_admin(client, personas: Personas, staff: User) -> None:
    client.force_login(staff)
    event = AuditEvent.objects.first()
    assert event is not None
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_role_and_level_changes_in_the_admin_are_audited(client, personas: Personas, staff: User) -> None:
    client.force_login(staff)
    member = personas.membership(personas.editor)
    response = client.post(
        reverse("admin:accounts_membership_change", args=[member.pk]),
        {"user": personas.editor.pk, "workspace": personas.workspace.pk, "role": "viewer"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == Membership.Role.VIEWER
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_ROLE_CHANGED)
    assert (event.actor, event.data["to"], event.data["via"]) == (staff, "viewer", "admin")

    client.post(
        reverse("admin:accounts_accountpermission_add"),
        {"membership": member.pk, "account": personas.account.pk, "level": AccountLevel.NONE},
    )
    permission = AccountPermission.objects.get(membership=member)
    client.post(reverse("admin:accounts_accountpermission_delete", args=[permission.pk]), {"post": "yes"})
    assert not AccountPermission.objects.exists()
    changes = AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_PERMISSION_CHANGED).order_by("id")
    assert [(e.data["from"], e.data["to"]) for e in changes] == [("default", "none"), ("none", "default")]

    client.post(reverse("admin:accounts_membership_delete", args=[member.pk]), {"post": "yes"})
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_REMOVED, target=personas.editor.email).exists()


def test_staff_status_changes_are_audited(client, personas: Personas, staff: User) -> None:
    client.force_login(staff)
    user = personas.viewer
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "language": "",
        "timezone": "UTC",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_ACCESS_CHANGED)
    assert event.data["changes"]["is_staff"] == {"from": False, "to": True}
