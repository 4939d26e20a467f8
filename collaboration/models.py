"""Collaboration: in-app notifications (approvals, comments and tasks come with issue 6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something a member should know about, shown in the app (and often also emailed)."""

    class Kind(models.TextChoices):
        PUBLISH_FAILED = "publish_failed", _("A post failed")
        PUBLISH_UNCONFIRMED = "publish_unconfirmed", _("A post is unconfirmed")
        PUBLISH_ATTENTION = "publish_attention", _("A post needs attention")
        PUBLISH_HELD = "publish_held", _("Posts were held")
        ACCOUNT_RECONNECT = "account_reconnect", _("An account needs reconnecting")
        IMPORT_DONE = "import_done", _("An import finished")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    message = models.TextField()  # already in the recipient's language
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.message[:60]
