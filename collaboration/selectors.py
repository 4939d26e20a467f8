"""Reads for collaboration pages and the navigation bar."""

from __future__ import annotations

from django.db.models import Case, QuerySet, Value, When

from collaboration.models import Notification
from smm.accounts.models import Membership, User, Workspace


def unread_count(user: User, workspace: Workspace | None = None) -> int:
    """How many unread notifications the user has (in one workspace, or in all): one COUNT query."""
    notifications = Notification.objects.unread().filter(recipient=user)
    if workspace is not None:
        notifications = notifications.filter(workspace=workspace)
    return notifications.count()


def notifications_for_member(membership: Membership) -> QuerySet[Notification]:
    """The member's own notifications in the member's workspace: unread first, then newest first."""
    return Notification.objects.filter(recipient_id=membership.user_id, workspace_id=membership.workspace_id).order_by(
        Case(When(read_at__isnull=True, then=Value(0)), default=Value(1)), "-created_at", "-pk"
    )
