"""Connected social accounts. Minimal for now: the connectors fill in credentials and health."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConnectedAccountQuerySet(models.QuerySet["ConnectedAccount"]):
    def for_workspace(self, workspace_id: int) -> ConnectedAccountQuerySet:
        return self.filter(workspace_id=workspace_id)


class ConnectedAccount(models.Model):
    class Network(models.TextChoices):
        MASTODON = "mastodon", "Mastodon"
        BLUESKY = "bluesky", "Bluesky"
        FACEBOOK = "facebook", "Facebook"
        INSTAGRAM = "instagram", "Instagram"
        THREADS = "threads", "Threads"
        LINKEDIN = "linkedin", "LinkedIn"
        X = "x", "X"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="connected_accounts", verbose_name=_("workspace")
    )
    network = models.CharField(_("network"), max_length=20, choices=Network.choices)
    handle = models.CharField(_("handle"), max_length=200, help_text=_("The account's address on the network."))
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("connected at"), auto_now_add=True)

    objects = ConnectedAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("connected account")
        verbose_name_plural = _("connected accounts")
        ordering = ["network", "handle"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "network", "handle"], name="account_unique_per_workspace")
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.handle}"
