"""Object lookups for collaboration views (see smm/accounts/access.py for the rules)."""

from __future__ import annotations

from django.http import Http404

from collaboration.models import Notification
from smm.accounts.models import Membership


def get_notification_for_member(membership: Membership, notification_id: int) -> Notification:
    """One of the member's own notifications in this workspace; 404 for anyone else's, even a teammate's."""
    notification = Notification.objects.filter(
        pk=notification_id, recipient_id=membership.user_id, workspace_id=membership.workspace_id
    ).first()
    if notification is None:
        raise Http404
    return notification
