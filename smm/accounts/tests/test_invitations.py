"""Inviting by email, the signed expiring link, accepting, revoking."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from smm.accounts import services
from smm.accounts.models import AuditEvent, Invitation, Membership, User
from tests.factories import PASSWORD, make_user
from tests.fixtures import Personas


@pytest.fixture
def invite(client, personas: Personas, django_capture_on_commit_callbacks):
    """Post the invite form as an admin and run the on-commit email task, as a worker would."""

    def post(email: str = "new.person@example.com", role: str = "editor"):
        client.force_login(personas.admin)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("workspace-invite", args=[personas.workspace.slug]), {"email": email, "role": role}
            )

    return post


def _link_path() -> str:
    match = re.search(r"https?://[^/\s]+(/account/invitations/[^\s]+/)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_it_emails_a_signed_link_and_lists_the_pending_invitation(client, personas: Personas, invite) -> None:
    response = invite(email="New.Person@Example.com")
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@example.com"
    assert invitation.status == Invitation.Status.PENDING
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    assert "Acme Oy" in mail.outbox[0].subject
    page = client.get(reverse("workspace-members", args=[personas.workspace.slug])).content.decode()
    assert "new.person@example.com" in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITATION_SENT, target="new.person@example.com").exists()


def test_it_keeps_what_was_typed_when_the_invitation_is_refused(client, personas: Personas, invite) -> None:
    response = invite(email=personas.editor.email)
    assert response.status_code == 400
    content = response.content.decode()
    assert "already a member" in content
    assert personas.editor.email in content
    response = invite(email="not-an-email")
    assert response.status_code == 400
    assert 'value="not-an-email"' in response.content.decode()
    assert not Invitation.objects.exists()


def test_it_refuses_a_second_pending_invitation(client, personas: Personas, invite) -> None:
    invite()
    response = invite()
    assert response.status_code == 400
    assert "already has a pending invitation" in response.content.decode()


def test_it_does_not_let_an_admin_invite_an_owner(client, personas: Personas, invite) -> None:
    response = invite(role="owner")
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_a_new_person_signs_up_through_the_link(client, personas: Personas, invite) -> None:
    invite(role="contributor")
    path = _link_path()
    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    assert "new.person@example.com" in page.content.decode()
    response = client.post(path, {"full_name": "Nina New", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace-dashboard", args=[personas.workspace.slug])
    user = User.objects.get(email="new.person@example.com")
    assert Membership.objects.get(user=user, workspace=personas.workspace).role == Membership.Role.CONTRIBUTOR
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED
    assert client.get(path).status_code == 404  # used up


def test_signup_errors_keep_the_form(client, personas: Personas, invite) -> None:
    invite()
    path = _link_path()
    client.logout()
    response = client.post(path, {"full_name": "Nina", "password1": PASSWORD, "password2": "different"})
    assert response.status_code == 200
    assert "The two passwords differ" in response.content.decode()
    assert 'value="Nina"' in response.content.decode()
    assert not User.objects.filter(email="new.person@example.com").exists()


def test_an_existing_user_accepts_when_signed_in_as_the_invitee(client, personas: Personas, invite) -> None:
    existing = make_user("existing@example.com")
    invite(email="existing@example.com", role="viewer")
    path = _link_path()
    client.logout()
    assert reverse("accounts:login") in client.get(path).content.decode()
    client.force_login(personas.editor)  # the wrong person
    assert "but the invitation is for" in client.get(path).content.decode()
    client.post(path)
    assert not Membership.objects.filter(user=existing, workspace=personas.workspace).exists()
    client.force_login(existing)
    response = client.post(path)
    assert response.status_code == 302
    assert Membership.objects.get(user=existing, workspace=personas.workspace).role == Membership.Role.VIEWER


def test_a_revoked_or_expired_link_stops_working(client, personas: Personas, invite) -> None:
    invite()
    path = _link_path()
    invitation = Invitation.objects.get()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert client.get(path).status_code == 404
    client.post(reverse("workspace-invitation-revoke", args=[personas.workspace.slug, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    client.logout()
    assert client.get(path).status_code == 404
    assert client.get(path[:-5] + "xxxx/").status_code == 404  # tampered signature


def test_the_worker_skips_an_invitation_revoked_before_sending(personas: Personas) -> None:
    invitation = Invitation.objects.create(
        workspace=personas.workspace,
        email="late@example.com",
        expires_at=timezone.now() + timedelta(days=1),
        revoked_at=timezone.now(),
    )
    services.invitation_send_email(invitation=invitation)
    assert mail.outbox == []


def test_the_email_is_in_the_workspace_language(client, personas: Personas, invite) -> None:
    personas.workspace.language = "fi"
    personas.workspace.save(update_fields=["language"])
    invite()
    assert "Acme Oy" in mail.outbox[0].subject
    assert getattr(mail.outbox[0], "alternatives", None)  # an HTML part too
