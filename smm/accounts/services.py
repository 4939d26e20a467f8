"""Writes with side effects for tenancy: workspaces, members, permissions, invitations, audit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from smm.accounts.models import (
    AccountLevel,
    AccountPermission,
    AuditEvent,
    Invitation,
    Membership,
    User,
    Workspace,
)
from smm.lib.requests import client_ip
from smm.networks.models import ConnectedAccount

INVITATION_SALT = "smm.accounts.invitation"
BACKUP_CODE_COUNT = 10


# Audit ---------------------------------------------------------------------------------------
def audit_record(
    *,
    action: str,
    actor: User | None = None,
    workspace: Workspace | None = None,
    target: str = "",
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_email: str = "",
) -> AuditEvent:
    """Append one audit event; the caller's transaction (if any) decides whether it lands."""
    event = AuditEvent(
        action=action,
        actor=actor,
        actor_email=actor.email if actor else actor_email,
        workspace=workspace,
        target=target[:300],
        data=data or {},
        ip_address=client_ip(request),
    )
    event.full_clean()
    event.save()
    return event


# Workspaces ----------------------------------------------------------------------------------
def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    slug, number = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def workspace_create(
    *,
    name: str,
    owner: User,
    timezone_name: str = "Europe/Helsinki",
    language: str = "fi",
    request: HttpRequest | None = None,
) -> Workspace:
    with transaction.atomic():
        workspace = Workspace(name=name, slug=_unique_slug(name), timezone=timezone_name, language=language)
        workspace.full_clean()
        workspace.save()
        Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.OWNER)
        audit_record(
            action=AuditEvent.Action.WORKSPACE_CREATED, actor=owner, workspace=workspace, target=name, request=request
        )
    return workspace


def workspace_update_settings(
    *, workspace: Workspace, actor: User, request: HttpRequest | None = None, **values: Any
) -> list[str]:
    """Change name, timezone, language or the 2FA rule; returns the changed field names."""
    changed = {}
    for field, value in values.items():
        old = getattr(workspace, field)
        if old != value:
            changed[field] = {"from": old, "to": value}
            setattr(workspace, field, value)
    if not changed:
        return []
    with transaction.atomic():
        workspace.full_clean()
        workspace.save(update_fields=list(changed))
        audit_record(
            action=AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED,
            actor=actor,
            workspace=workspace,
            target=workspace.name,
            data={"changes": changed},
            request=request,
        )
    return list(changed)


def workspace_remember(*, user: User, workspace: Workspace) -> None:
    """Remember the workspace a user last opened, so `/` takes them back there."""
    if user.last_workspace_id != workspace.pk:
        user.last_workspace = workspace
        user.save(update_fields=["last_workspace"])


# Members -------------------------------------------------------------------------------------
def _guard_last_owner(membership: Membership) -> None:
    if membership.role != Membership.Role.OWNER:
        return
    owners = Membership.objects.filter(workspace_id=membership.workspace_id, role=Membership.Role.OWNER)
    if owners.count() <= 1:
        raise ValidationError(_("A workspace must keep at least one owner. Make someone else an owner first."))


def _guard_can_manage(*, actor_membership: Membership, membership: Membership, new_role: str | None = None) -> None:
    """Admins manage everyone but owners; only owners make or unmake owners."""
    touches_owner = membership.role == Membership.Role.OWNER or new_role == Membership.Role.OWNER
    if touches_owner and actor_membership.role != Membership.Role.OWNER:
        raise ValidationError(_("Only an owner can change an owner or make someone an owner."))


def membership_change_role(
    *, membership: Membership, role: str, actor_membership: Membership, request: HttpRequest | None = None
) -> Membership:
    if role == membership.role:
        return membership
    _guard_can_manage(actor_membership=actor_membership, membership=membership, new_role=role)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if role != Membership.Role.OWNER:
            _guard_last_owner(membership)
        old_role = membership.role
        membership.role = role
        membership.full_clean()
        membership.save(update_fields=["role"])
        # A lower role may cap existing explicit levels (a contributor never publishes).
        AccountPermission.objects.filter(membership=membership, level__gt=membership.max_account_level).update(
            level=membership.max_account_level
        )
        audit_record(
            action=AuditEvent.Action.MEMBER_ROLE_CHANGED,
            actor=actor_membership.user,
            workspace=membership.workspace,
            target=membership.user.email,
            data={"from": old_role, "to": role},
            request=request,
        )
    return membership


def membership_set_agency(
    *, membership: Membership, agency: str, actor_membership: Membership, request: HttpRequest | None = None
) -> Membership:
    """Mark a member as from an outside agency (its name) or as staff (empty); audited with the member actions."""
    agency = " ".join(agency.split())
    _guard_can_manage(actor_membership=actor_membership, membership=membership)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("user", "workspace").get(pk=membership.pk)
        old_agency = membership.agency
        if agency == old_agency:
            return membership
        membership.agency = agency
        membership.full_clean()
        membership.save(update_fields=["agency"])
        # No action of its own: it is a change to the member, like a role. "changes" makes the log say what changed.
        audit_record(
            action=AuditEvent.Action.MEMBER_ROLE_CHANGED,
            actor=actor_membership.user,
            workspace=membership.workspace,
            target=membership.user.email,
            data={"agency": agency, "changes": {"agency": {"from": old_agency, "to": agency}}},
            request=request,
        )
    return membership


def membership_remove(
    *, membership: Membership, actor_membership: Membership, request: HttpRequest | None = None
) -> None:
    """Remove a member; their access ends with this transaction (every request rechecks)."""
    if membership.pk != actor_membership.pk:
        _guard_can_manage(actor_membership=actor_membership, membership=membership)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        _guard_last_owner(membership)
        user = membership.user
        membership.delete()
        if user.last_workspace_id == membership.workspace_id:
            user.last_workspace = None
            user.save(update_fields=["last_workspace"])
        audit_record(
            action=AuditEvent.Action.MEMBER_REMOVED,
            actor=actor_membership.user,
            workspace=membership.workspace,
            target=user.email,
            data={"role": membership.role},
            request=request,
        )


def account_level_for(*, membership: Membership, account: ConnectedAccount) -> int:
    """The effective level: the explicit permission if any, else the role's default, within the cap."""
    if account.personal_owner_id is not None:
        # A member's personal account (employee sharing) is theirs alone, whatever their role (a
        # viewer shares too): no role, explicit permission or workspace admin reaches it.
        is_owner = account.personal_owner_id == membership.user_id and account.workspace_id == membership.workspace_id
        return AccountLevel.MANAGE if is_owner else AccountLevel.NONE
    explicit = AccountPermission.objects.filter(membership=membership, account=account).first()
    level = explicit.level if explicit else membership.default_account_level
    return min(level, membership.max_account_level)


def account_permission_set(
    *,
    membership: Membership,
    account: ConnectedAccount,
    level: int | None,
    actor_membership: Membership,
    request: HttpRequest | None = None,
) -> None:
    """Give a member an explicit level on an account; `None` returns them to their role's default."""
    _guard_can_manage(actor_membership=actor_membership, membership=membership)
    with transaction.atomic():
        existing = AccountPermission.objects.select_for_update().filter(membership=membership, account=account).first()
        old = existing.level if existing else None
        if level == old:
            return
        if existing is not None and level is None:
            existing.delete()
        elif existing is None and level is not None:
            permission = AccountPermission(membership=membership, account=account, level=level)
            permission.full_clean()
            permission.save()
        elif existing is not None and level is not None:
            existing.level = level
            existing.full_clean()
            existing.save(update_fields=["level", "updated_at"])
        audit_record(
            action=AuditEvent.Action.ACCOUNT_PERMISSION_CHANGED,
            actor=actor_membership.user,
            workspace=membership.workspace,
            target=f"{membership.user.email} → {account}",
            data={
                "account": account.pk,
                "from": AccountLevel(old).name.lower() if old is not None else "default",
                "to": AccountLevel(level).name.lower() if level is not None else "default",
            },
            request=request,
        )


# Invitations ---------------------------------------------------------------------------------
def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "k": invitation.key}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a link names, or None when the link is forged, expired or used up."""
    try:
        value = signing.loads(token, salt=INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE)
    except signing.BadSignature:
        return None
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(pk=value.get("i"), key=value.get("k"))
        .first()
    )
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        return None
    return invitation


def invitation_create(
    *, workspace: Workspace, email: str, role: str, actor_membership: Membership, request: HttpRequest | None = None
) -> Invitation:
    email = User.objects.normalize_email(email).lower()
    if role == Membership.Role.OWNER and actor_membership.role != Membership.Role.OWNER:
        raise ValidationError({"role": _("Only an owner can invite another owner.")})
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise ValidationError({"email": _("%(email)s is already a member of this workspace.") % {"email": email}})
    if Invitation.objects.pending().filter(workspace=workspace, email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s already has a pending invitation. Revoke it to send a new one.") % {"email": email}}
        )
    from smm.accounts.tasks import invitation_send_task

    with transaction.atomic():
        invitation = Invitation(
            workspace=workspace,
            email=email,
            role=role,
            invited_by=actor_membership.user,
            expires_at=timezone.now() + settings.INVITATION_MAX_AGE,
        )
        invitation.full_clean()
        invitation.save()
        audit_record(
            action=AuditEvent.Action.INVITATION_SENT,
            actor=actor_membership.user,
            workspace=workspace,
            target=email,
            data={"role": role},
            request=request,
        )
        transaction.on_commit(lambda: invitation_send_task.delay(invitation.pk))
    return invitation


def invitation_send_email(*, invitation: Invitation) -> None:
    """Email the signed link; called by the worker, so it must tolerate a revoked invitation."""
    from smm.lib.emails import send_templated

    if invitation.status != Invitation.Status.PENDING:
        return
    link = settings.SITE_URL + reverse("accounts:invitation-accept", args=[invitation_token(invitation)])
    send_templated(
        "invitation",
        to=invitation.email,
        language=invitation.workspace.language,
        context={"invitation": invitation, "link": link, "inviter": invitation.invited_by},
    )


def invitation_revoke(
    *, invitation: Invitation, actor_membership: Membership, request: HttpRequest | None = None
) -> None:
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(_("Only a pending invitation can be revoked."))
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditEvent.Action.INVITATION_REVOKED,
            actor=actor_membership.user,
            workspace=invitation.workspace,
            target=invitation.email,
            request=request,
        )


def invitation_accept(*, invitation: Invitation, user: User, request: HttpRequest | None = None) -> Membership:
    """Join the workspace. The signed-in user's email must be the invited one."""
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != Invitation.Status.PENDING:
            raise ValidationError(_("This invitation is no longer valid."))
        membership, _created = Membership.objects.get_or_create(
            workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(
            action=AuditEvent.Action.INVITATION_ACCEPTED,
            actor=user,
            workspace=invitation.workspace,
            target=user.email,
            data={"role": membership.role},
            request=request,
        )
        workspace_remember(user=user, workspace=invitation.workspace)
    return membership


def user_register_from_invitation(
    *, invitation: Invitation, full_name: str, password: str, request: HttpRequest | None = None
) -> tuple[User, Membership]:
    """Create the account for an invited person who has none, and accept the invitation."""
    with transaction.atomic():
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError(_("An account with this email already exists. Sign in to accept."))
        user = User.objects.create_user(
            invitation.email,
            password,
            full_name=full_name,
            language=invitation.workspace.language,
            timezone=invitation.workspace.timezone,
        )
        membership = invitation_accept(invitation=invitation, user=user, request=request)
    return user, membership


# Users ---------------------------------------------------------------------------------------
def user_update_preferences(*, user: User, full_name: str, language: str, timezone_name: str) -> None:
    user.full_name = full_name
    user.language = language
    user.timezone = timezone_name
    user.full_clean()
    user.save(update_fields=["full_name", "language", "timezone"])


def user_change_password(*, user: User, password: str, request: HttpRequest) -> None:
    """Set a new password, keep this session signed in, and audit it."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(action=AuditEvent.Action.PASSWORD_CHANGED, actor=user, request=request)
    update_session_auth_hash(request, user)


# Two-factor authentication -------------------------------------------------------------------
def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator for the setup page; replaces an earlier unconfirmed one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def _new_backup_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name="backup")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def totp_device_confirm(*, device: TOTPDevice, token: str, request: HttpRequest) -> list[str]:
    """Confirm the authenticator with a code from it; returns fresh one-time backup codes."""
    from django_otp import login as otp_login

    allowed, _info = device.verify_is_allowed()
    if not allowed:
        # django-otp doubles the wait after each wrong code, against guessing.
        raise ValidationError({"token": _("Too many wrong codes in a row. Wait a few seconds and try again.")})
    if not device.verify_token(token):
        raise ValidationError({"token": _("That code is incorrect. Check the time on your phone and try again.")})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_backup_codes(device.user)
        audit_record(action=AuditEvent.Action.MFA_ENABLED, actor=device.user, request=request)
    otp_login(request, device)
    return codes


def backup_codes_regenerate(*, user: User, request: HttpRequest) -> list[str]:
    with transaction.atomic():
        codes = _new_backup_codes(user)
        audit_record(action=AuditEvent.Action.MFA_BACKUP_CODES, actor=user, request=request)
    return codes


def mfa_disable(*, user: User, request: HttpRequest) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(action=AuditEvent.Action.MFA_DISABLED, actor=user, request=request)
