"""Tenancy: users, workspaces, memberships with roles, per-account permissions, invitations, audit."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.functions import Lower
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from smm.lib.tz import validate_timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are compared case-insensitively: "Anna@Example.com" logs in as anna@example.com.
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Leave empty to follow the browser."),
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_timezone])
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Staff may sign in to the admin panel.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=now)
    last_workspace = models.ForeignKey(
        "Workspace", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class WorkspaceQuerySet(models.QuerySet["Workspace"]):
    def for_user(self, user: Any) -> WorkspaceQuerySet:
        return self.filter(memberships__user=user)


class Workspace(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("address"), max_length=60, unique=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Helsinki",
        validators=[validate_timezone],
        help_text=_("Used for schedules, posting rhythm and reports."),
    )
    language = models.CharField(
        _("default language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="fi",
        help_text=_("For new members, emails and reports."),
    )
    require_2fa_for_admins = models.BooleanField(
        _("require two-factor authentication for owners and admins"), default=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccountLevel(models.IntegerChoices):
    """What a member may do with one connected social account, from nothing to everything."""

    NONE = 0, pgettext_lazy("access level", "No access")
    VIEW = 10, pgettext_lazy("access level", "View")
    DRAFT = 20, pgettext_lazy("access level", "Draft")
    PUBLISH = 30, pgettext_lazy("access level", "Publish")
    MANAGE = 40, pgettext_lazy("access level", "Manage")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def by_role(self) -> MembershipQuerySet:
        """Owners first, viewers last; alphabetical by name and email within a role."""
        order = models.Case(
            *(models.When(role=role, then=models.Value(rank)) for rank, role in enumerate(Membership.Role.values)),
            output_field=models.IntegerField(),
        )
        return self.order_by(order, "user__full_name", "user__email")


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        EDITOR = "editor", _("Editor")
        CONTRIBUTOR = "contributor", _("Contributor")
        VIEWER = "viewer", _("Viewer")

    # The level a role gets on an account it has no explicit permission for, and the most it
    # can ever be given. Contributors never publish; viewers only read.
    DEFAULT_LEVEL: ClassVar[dict[str, int]] = {
        Role.OWNER: AccountLevel.MANAGE,
        Role.ADMIN: AccountLevel.MANAGE,
        Role.EDITOR: AccountLevel.PUBLISH,
        Role.CONTRIBUTOR: AccountLevel.DRAFT,
        Role.VIEWER: AccountLevel.VIEW,
    }
    MAX_LEVEL: ClassVar[dict[str, int]] = {
        Role.OWNER: AccountLevel.MANAGE,
        Role.ADMIN: AccountLevel.MANAGE,
        Role.EDITOR: AccountLevel.MANAGE,
        Role.CONTRIBUTOR: AccountLevel.DRAFT,
        Role.VIEWER: AccountLevel.VIEW,
    }

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("workspace")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.EDITOR)
    # People from an outside agency work in the workspace like others, but are marked as such.
    agency = models.CharField(
        _("outside agency"), max_length=100, blank=True, help_text=_("The agency's name, if this member is not staff.")
    )
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["workspace", "user__email"]
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.workspace} ({self.role})"

    @property
    def is_admin(self) -> bool:
        """Owners and admins manage members, permissions, settings and see the audit log."""
        return self.role in (self.Role.OWNER, self.Role.ADMIN)

    @property
    def can_manage_members(self) -> bool:
        return self.is_admin

    @property
    def can_connect_accounts(self) -> bool:
        return self.is_admin

    @property
    def can_change_settings(self) -> bool:
        return self.is_admin

    @property
    def can_view_audit(self) -> bool:
        return self.is_admin

    @property
    def can_publish(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN, self.Role.EDITOR)

    @property
    def can_draft(self) -> bool:
        return self.role != self.Role.VIEWER

    @property
    def is_read_only(self) -> bool:
        return self.role == self.Role.VIEWER

    @property
    def default_account_level(self) -> int:
        return self.DEFAULT_LEVEL[self.role]

    @property
    def max_account_level(self) -> int:
        return self.MAX_LEVEL[self.role]

    def needs_2fa_setup(self) -> bool:
        """True when the workspace requires 2FA of this member and they have none yet."""
        if not (self.workspace.require_2fa_for_admins and self.is_admin):
            return False
        from django_otp import user_has_device

        return not user_has_device(self.user)


class AccountPermission(models.Model):
    """An explicit level for one member on one connected account; without a row the role decides."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="account_permissions")
    account = models.ForeignKey(
        "networks.ConnectedAccount", on_delete=models.CASCADE, related_name="permissions", verbose_name=_("account")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=AccountLevel.choices)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("account permission")
        verbose_name_plural = _("account permissions")
        constraints = [
            models.UniqueConstraint(fields=["membership", "account"], name="account_permission_unique"),
            models.CheckConstraint(condition=models.Q(level__in=AccountLevel.values), name="account_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} → {self.account}: {self.get_level_display()}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.account.workspace_id != self.membership.workspace_id:
            raise ValidationError(_("The account belongs to another workspace."))
        if self.level > self.membership.max_account_level:
            raise ValidationError(
                _("Members with the role %(role)s can have at most the “%(level)s” level on an account."),
                params={
                    "role": self.membership.get_role_display(),
                    "level": AccountLevel(self.membership.max_account_level).label,
                },
            )


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now())

    def open(self) -> InvitationQuerySet:
        """Neither accepted nor revoked (pending or expired), newest first."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True).order_by("-created_at")


def _invitation_key() -> str:
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices, default=Membership.Role.EDITOR)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    # Random part of the signed link; the link also carries a signature and its age.
    key = models.CharField(max_length=40, unique=True, default=_invitation_key, editable=False)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)


def _field_label(field: str) -> str:
    """The verbose name of a Workspace or User field named in an audit event's changes."""
    for model in (Workspace, User):
        try:
            model_field = model._meta.get_field(field)
        except FieldDoesNotExist:
            continue
        return str(getattr(model_field, "verbose_name", field)).capitalize()
    return field


def _value_label(value: Any) -> str:
    """A stored audit value as people read it: role and level codes become their labels."""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if value is None or value == "":
        return "–"
    if value == "default":
        return str(_("role default"))
    if value in Membership.Role.values:
        return str(Membership.Role(value).label)
    if isinstance(value, str) and value.upper() in AccountLevel.names:
        return str(AccountLevel[value.upper()].label)
    return str(value)


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    # The audit log is append-only: bulk changes are refused here and by a database trigger.
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")

    def for_workspace(self, workspace_id: int) -> AuditEventQuerySet:
        return self.filter(workspace_id=workspace_id)


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGOUT = "logout", _("Signed out")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset by email")
        MFA_ENABLED = "mfa_enabled", _("Two-factor authentication turned on")
        MFA_DISABLED = "mfa_disabled", _("Two-factor authentication turned off")
        MFA_BACKUP_CODES = "mfa_backup_codes", _("New backup codes created")
        WORKSPACE_CREATED = "workspace_created", _("Workspace created")
        WORKSPACE_SETTINGS_CHANGED = "workspace_settings_changed", _("Workspace settings changed")
        INVITATION_SENT = "invitation_sent", _("Invitation sent")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        MEMBER_ADDED = "member_added", _("Member added")
        MEMBER_ROLE_CHANGED = "member_role_changed", _("Member's role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        ACCOUNT_PERMISSION_CHANGED = "account_permission_changed", _("Account permission changed")
        USER_ACCESS_CHANGED = "user_access_changed", _("User's staff or active status changed")
        ACCOUNT_CONNECTED = "account_connected", _("Social account connected")
        ACCOUNT_RECONNECTED = "account_reconnected", _("Social account reconnected")
        ACCOUNT_DISCONNECTED = "account_disconnected", _("Social account disconnected")
        POST_PUBLISHED = "post_published", _("Post published")
        PUBLISHING_PAUSED = "publishing_paused", _("Publishing paused")
        PUBLISHING_RESUMED = "publishing_resumed", _("Publishing resumed")
        PUBLISHING_SETTINGS_CHANGED = "publishing_settings_changed", _("Publishing settings changed")
        APPROVAL_APPROVED = "approval_approved", _("Post approved")
        APPROVAL_REJECTED = "approval_rejected", _("Post rejected")
        APPROVAL_VOIDED = "approval_voided", _("Approval voided by a change")
        REVIEW_LINK_SENT = "review_link_sent", _("Review link sent")
        REVIEW_LINK_USED = "review_link_used", _("Review link opened")
        APPROVAL_WORKFLOW_CHANGED = "approval_workflow_changed", _("Approval workflow changed")
        INBOX_MODERATED = "inbox_moderated", _("Inbox moderation")
        IDEA_CREATED = "idea_created", _("Idea added")
        IDEA_EDITED = "idea_edited", _("Idea edited")
        IDEA_SUBMITTED = "idea_submitted", _("Idea sent on the public page")
        IDEA_MODERATED = "idea_moderated", _("Idea moderated")
        IDEA_STATUS_CHANGED = "idea_status_changed", _("Idea status changed")
        IDEA_CONTRIBUTOR_TOLD = "idea_contributor_told", _("Idea contributor told")
        IDEA_SETTINGS_CHANGED = "idea_settings_changed", _("Idea settings changed")
        CONTEST_SAVED = "contest_saved", _("Contest saved")
        CONTEST_OPENED = "contest_opened", _("Contest opened")
        CONTEST_CANCELLED = "contest_cancelled", _("Contest cancelled")
        CONTEST_COMMITMENT_POSTED = "contest_commitment_posted", _("Contest's seed hash posted")
        CONTEST_ENTRIES_COLLECTED = "contest_entries_collected", _("Contest entries collected")
        CONTEST_ENTRY_EXCLUDED = "contest_entry_excluded", _("Contest entry excluded")
        CONTEST_ENTRY_INCLUDED = "contest_entry_included", _("Contest entry included again")
        CONTEST_DRAWN = "contest_drawn", _("Contest winners drawn")
        CONTEST_REDRAWN = "contest_redrawn", _("Contest prize redrawn")
        CONTEST_WINNER_MARKED = "contest_winner_marked", _("Contest winner marked")
        CONTEST_REVEALED = "contest_revealed", _("Contest seed revealed")
        CONTEST_WINNER_NOTIFIED = "contest_winner_notified", _("Contest winner told")
        CONTEST_EXPORTED = "contest_exported", _("Contest exported")
        CONTACT_MERGED = "contact_merged", _("Community members merged")
        CONTACT_SPLIT = "contact_split", _("Community member split")
        CONTACT_EXPORTED = "contact_exported", _("Community member's data exported")
        CONTACT_ERASED = "contact_erased", _("Community member erased")
        REWARD_PROGRAMME_CHANGED = "reward_programme_changed", _("Reward programme changed")
        REWARD_LEDGER_CHANGED = "reward_ledger_changed", _("Reward points awarded by hand, redeemed or reversed")
        TOPIC_CREATED = "topic_created", _("Listening topic added")
        TOPIC_EDITED = "topic_edited", _("Listening topic changed")
        TOPIC_DELETED = "topic_deleted", _("Listening topic deleted")
        MENTION_SENTIMENT_CORRECTED = "mention_sentiment_corrected", _("Mention's sentiment corrected")
        LISTENING_SOURCE_CREATED = "listening_source_created", _("Listening source added")
        LISTENING_SOURCE_CHANGED = "listening_source_changed", _("Listening source changed")
        LISTENING_SOURCE_DELETED = "listening_source_deleted", _("Listening source deleted")
        LISTENING_CSV_IMPORTED = "listening_csv_imported", _("Mentions imported from a CSV file")
        IMPORT_TOKEN_CREATED = "import_token_created", _("Import token created")
        IMPORT_TOKEN_REVOKED = "import_token_revoked", _("Import token revoked")
        ALERT_RULE_CREATED = "alert_rule_created", _("Listening alert rule added")
        ALERT_RULE_CHANGED = "alert_rule_changed", _("Listening alert rule changed")
        ALERT_RULE_DELETED = "alert_rule_deleted", _("Listening alert rule deleted")
        ALERT_ACKNOWLEDGED = "alert_acknowledged", _("Listening alert acknowledged")

    workspace = models.ForeignKey(
        Workspace, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A snapshot, so the record still says who it was if the account is renamed.
    actor_email = models.CharField(_("actor"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    target = models.CharField(_("target"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="audit_workspace_time"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_email} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")

    @property
    def details(self) -> str:
        """The data in words, e.g. "Editor → Viewer" or "Time zone: UTC → Europe/Helsinki"."""
        data = self.data or {}
        parts = []
        for field, change in (data.get("changes") or {}).items():
            parts.append(
                f"{_field_label(field)}: {_value_label(change.get('from'))} → {_value_label(change.get('to'))}"
            )
        if "from" in data or "to" in data:
            parts.append(f"{_value_label(data.get('from'))} → {_value_label(data.get('to'))}")
        elif "role" in data:
            parts.append(_value_label(data["role"]))
        if data.get("via") == "admin":
            parts.append(str(_("in the admin panel")))
        return "; ".join(parts)
