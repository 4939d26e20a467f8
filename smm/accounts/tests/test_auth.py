"""Sign-in by email, throttling, two-factor authentication, passwords."""

from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from smm.accounts.models import AuditEvent, Membership
from tests.factories import PASSWORD, make_user
from tests.fixtures import Personas


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_it_signs_in_by_email_in_any_case(client, personas: Personas) -> None:
    response = client.post(reverse("accounts:login"), {"username": "EDITOR@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_it_explains_a_wrong_password_and_keeps_the_email(client, personas: Personas) -> None:
    response = client.post(reverse("accounts:login"), {"username": "editor@example.com", "password": "nope"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "The email or password is incorrect" in content
    assert 'value="editor@example.com"' in content


def test_it_locks_out_after_repeated_failures(client, personas: Personas, settings) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "editor@example.com", "password": "nope"})
    response = client.post(reverse("accounts:login"), {"username": "editor@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "Try again in 15 minutes" in response.content.decode()


def test_two_factor_setup_verify_and_disable(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    page = client.get(reverse("accounts:security"))
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=personas.editor, confirmed=False)
    wrong = client.post(reverse("accounts:security"), {"token": "000000" if _code(device) != "000000" else "111111"})
    assert "That code is incorrect" in wrong.content.decode()
    throttled = client.post(reverse("accounts:security"), {"token": _code(device)})
    assert "Too many wrong codes" in throttled.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # as if the few seconds had passed
    response = client.post(reverse("accounts:security"), {"token": _code(device)})
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", response.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(actor=personas.editor, action=AuditEvent.Action.MFA_ENABLED).exists()

    # A new sign-in needs the second step before any page opens.
    client.logout()
    client.post(reverse("accounts:login"), {"username": personas.editor.email, "password": PASSWORD})
    dashboard = reverse("workspace-dashboard", args=[personas.workspace.slug])
    response = client.get(dashboard)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:verify"))
    client.post(reverse("accounts:verify"), {"token": codes[0]})  # a backup code works once
    assert client.get(dashboard).status_code == 200

    refused = client.post(reverse("accounts:mfa-disable"), {"password": "wrong"}, follow=True)
    assert "still on" in refused.content.decode()
    client.post(reverse("accounts:mfa-disable"), {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=personas.editor).exists()
    assert AuditEvent.objects.filter(actor=personas.editor, action=AuditEvent.Action.MFA_DISABLED).exists()


def test_a_workspace_can_require_two_factor_for_admins(client, personas: Personas) -> None:
    personas.workspace.require_2fa_for_admins = True
    personas.workspace.save(update_fields=["require_2fa_for_admins"])
    dashboard = reverse("workspace-dashboard", args=[personas.workspace.slug])
    client.force_login(personas.admin)
    response = client.get(dashboard)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:security")
    client.force_login(personas.editor)  # the rule is for owners and admins only
    assert client.get(dashboard).status_code == 200


def test_it_changes_the_password_and_keeps_the_session(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    new_password = "a much longer new password"
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    personas.editor.refresh_from_db()
    assert personas.editor.check_password(new_password)
    assert client.get(reverse("accounts:preferences")).status_code == 200
    assert AuditEvent.objects.filter(actor=personas.editor, action=AuditEvent.Action.PASSWORD_CHANGED).exists()


def test_password_reset_by_email(client, personas: Personas) -> None:
    client.post(reverse("accounts:password-reset"), {"email": personas.viewer.email})
    assert len(mail.outbox) == 1
    match = re.search(r"https?://[^/]+(/account/reset/\S+/)", str(mail.outbox[0].body))
    assert match
    path = match.group(1)
    form_page = client.get(path, follow=True)
    new_password = "another long password 42"
    response = client.post(
        form_page.request["PATH_INFO"], {"new_password1": new_password, "new_password2": new_password}
    )
    assert response.status_code == 302
    personas.viewer.refresh_from_db()
    assert personas.viewer.check_password(new_password)
    assert AuditEvent.objects.filter(actor=personas.viewer, action=AuditEvent.Action.PASSWORD_RESET).exists()


def test_home_takes_a_user_to_the_workspace_they_opened_last(client, personas: Personas) -> None:
    Membership.objects.create(workspace=personas.other_workspace, user=personas.editor, role="viewer")
    client.force_login(personas.editor)
    client.get(reverse("workspace-dashboard", args=[personas.other_workspace.slug]))
    assert client.get(reverse("home"))["Location"] == reverse(
        "workspace-dashboard", args=[personas.other_workspace.slug]
    )
    client.get(reverse("workspace-dashboard", args=[personas.workspace.slug]))
    assert client.get(reverse("home"))["Location"] == reverse("workspace-dashboard", args=[personas.workspace.slug])


def test_a_user_without_workspaces_is_asked_to_create_one(client, db) -> None:
    user = make_user()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("workspace-new")
    response = client.post(
        reverse("workspace-new"), {"name": "Uusi Oy", "timezone": "Europe/Helsinki", "language": "fi"}
    )
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert response["Location"] == reverse("workspace-dashboard", args=[membership.workspace.slug])
