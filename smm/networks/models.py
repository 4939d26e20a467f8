"""Connected social accounts (credentials encrypted at rest) and dynamically registered apps."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from smm.lib import crypto
from smm.lib.tz import validate_timezone


class ConnectedAccountQuerySet(models.QuerySet["ConnectedAccount"]):
    def for_workspace(self, workspace_id: int) -> ConnectedAccountQuerySet:
        """The workspace's own accounts (members' personal accounts for sharing are not among them)."""
        return self.filter(workspace_id=workspace_id, personal_owner__isnull=True)

    def personal(self, *, user_id: int, workspace_id: int) -> ConnectedAccountQuerySet:
        """A member's own accounts, connected to share the workspace's posts on."""
        return self.filter(workspace_id=workspace_id, personal_owner_id=user_id)

    def connected(self) -> ConnectedAccountQuerySet:
        return self.exclude(status=ConnectedAccount.Status.DISCONNECTED)


class ConnectedAccount(models.Model):
    class Network(models.TextChoices):
        MASTODON = "mastodon", "Mastodon"
        BLUESKY = "bluesky", "Bluesky"
        FACEBOOK = "facebook", "Facebook"
        INSTAGRAM = "instagram", "Instagram"
        THREADS = "threads", "Threads"
        LINKEDIN = "linkedin", "LinkedIn"
        X = "x", "X"

    class Status(models.TextChoices):
        OK = "ok", _("Working")
        RECONNECT = "reconnect", _("Reconnect needed")
        RATE_LIMITED = "rate_limited", _("Rate limited")
        FAILING = "failing", _("Failing")
        DISCONNECTED = "disconnected", _("Disconnected")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="connected_accounts", verbose_name=_("workspace")
    )
    network = models.CharField(_("network"), max_length=20, choices=Network.choices)
    handle = models.CharField(_("handle"), max_length=200, help_text=_("The account's address on the network."))
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("connected at"), auto_now_add=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set for a member's personal account (employee sharing): only that member sees and uses it.
    personal_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="personal_accounts"
    )
    # The account's id on the network (Mastodon account id, Bluesky DID).
    remote_id = models.CharField(_("id on the network"), max_length=300, blank=True)
    # Secrets, Fernet-encrypted JSON: never shown, logged, exported or passed to tasks.
    credentials_encrypted = models.TextField(blank=True, editable=False)
    # What the connect step learned and may be shown: instance/PDS URL, limits, granted scopes.
    config = models.JSONField(_("configuration"), default=dict, blank=True)

    status = models.CharField(_("health"), max_length=20, choices=Status.choices, default=Status.OK)
    status_detail = models.TextField(_("health details"), blank=True)
    last_success_at = models.DateTimeField(_("last successful call"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failed call"), null=True, blank=True)
    rate_limited_until = models.DateTimeField(_("rate limited until"), null=True, blank=True)
    token_expires_at = models.DateTimeField(_("token expires"), null=True, blank=True)

    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_("For this account's queue times. Empty: the workspace's time zone."),
    )

    # Profile basics, refreshed periodically.
    bio = models.TextField(_("bio"), blank=True)
    avatar_url = models.URLField(_("avatar"), max_length=1000, blank=True)
    # A short hash of the avatar picture smm keeps (AccountAvatar), blank while there is none; it
    # is part of the picture's address, so browsers may cache it for good.
    avatar_version = models.CharField(max_length=16, blank=True, editable=False)
    profile_url = models.URLField(_("profile address"), max_length=1000, blank=True)
    followers_count = models.PositiveIntegerField(_("followers"), null=True, blank=True)
    following_count = models.PositiveIntegerField(_("following"), null=True, blank=True)
    posts_count = models.PositiveIntegerField(_("posts"), null=True, blank=True)
    profile_refreshed_at = models.DateTimeField(_("profile refreshed"), null=True, blank=True)

    objects = ConnectedAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("connected account")
        verbose_name_plural = _("connected accounts")
        ordering = ["network", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "handle"],
                condition=models.Q(personal_owner__isnull=True),
                name="account_unique_per_workspace",
            ),
            models.UniqueConstraint(
                fields=["workspace", "personal_owner", "network", "handle"],
                condition=models.Q(personal_owner__isnull=False),
                name="personal_account_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.handle}"

    @property
    def credentials(self) -> dict[str, Any]:
        return crypto.decrypt_json(self.credentials_encrypted)

    def set_credentials(self, credentials: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(credentials) if credentials else ""

    @property
    def is_connected(self) -> bool:
        return self.status != self.Status.DISCONNECTED

    @property
    def needs_reconnect(self) -> bool:
        return self.status == self.Status.RECONNECT

    @property
    def zone_name(self) -> str:
        """The IANA zone the account's queue runs in."""
        return self.timezone or self.workspace.timezone

    @property
    def missing_permissions(self) -> list[str]:
        return list(self.config.get("missing_permissions", []))


class AccountAvatar(models.Model):
    """The account's avatar as smm re-encoded it (smm.lib.images): served from our own origin."""

    account = models.OneToOneField(ConnectedAccount, on_delete=models.CASCADE, primary_key=True, related_name="avatar")
    source_url = models.URLField(max_length=1000)
    image = models.BinaryField()
    fetched_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("avatar")
        verbose_name_plural = _("avatars")

    def __str__(self) -> str:
        return str(self.account)


class OAuthApp(models.Model):
    """An app smm registered on one server (a Mastodon instance), reused by every workspace."""

    network = models.CharField(max_length=20, choices=ConnectedAccount.Network.choices)
    server_url = models.URLField(max_length=300)
    redirect_uri = models.URLField(max_length=500)
    client_id = models.CharField(max_length=300)
    client_secret_encrypted = models.TextField(editable=False)
    scopes = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("registered app")
        verbose_name_plural = _("registered apps")
        constraints = [
            models.UniqueConstraint(fields=["network", "server_url", "redirect_uri"], name="oauth_app_unique")
        ]

    def __str__(self) -> str:
        return f"{self.network} app on {self.server_url}"

    @property
    def client_secret(self) -> str:
        return str(crypto.decrypt_json(self.client_secret_encrypted).get("secret", ""))

    def set_client_secret(self, secret: str) -> None:
        self.client_secret_encrypted = crypto.encrypt_json({"secret": secret})


class RateBudget(models.Model):
    """What a network said about one rate-limit bucket (an account, an app, a server).

    Shared by every worker through PostgreSQL; rows are locked with SELECT … FOR UPDATE.
    """

    key = models.CharField(max_length=300, unique=True)
    remaining = models.IntegerField(null=True, blank=True)
    limit = models.IntegerField(null=True, blank=True)
    resets_at = models.DateTimeField(null=True, blank=True)
    blocked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rate limit budget")
        verbose_name_plural = _("rate limit budgets")

    def __str__(self) -> str:
        return self.key
