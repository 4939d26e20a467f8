"""Background jobs for collaboration: thin wrappers that load the row and call a service."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from collaboration import services
from collaboration.models import NewsroomDigest, Notification, NotificationPreference
from collaboration.services.newsroom import newsroom_digest_send
from collaboration.services.notifications import notification_digest_send
from smm.accounts.models import User


@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def notification_email_task(notification_id: int, template: str, context: dict[str, Any] | None = None) -> None:
    """Email one notification to its recipient with templates/emails/<template>_*. SMTP hiccups are retried."""
    notification = Notification.objects.select_related("recipient", "workspace").filter(pk=notification_id).first()
    if notification is not None:
        services.notification_email_send(notification=notification, template=template, context=context)


@shared_task
def notification_digests_task() -> int:
    """Queue the daily digest of every active user who chose one (the "collaboration-notification-digests"
    schedule); returns how many were queued. One task per user, so one bad address stops nobody else's."""
    user_ids = list(
        NotificationPreference.objects.filter(
            email=NotificationPreference.Email.DIGEST, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    for user_id in user_ids:
        notification_digest_task.delay(user_id)
    return len(user_ids)


# Not retried: the service moves the user's last_digest_at before it sends, so a retry would find
# nothing new. The notifications stay unread in smm either way.
@shared_task
def notification_digest_task(user_id: int) -> None:
    """E-mail one user their unread notifications since their last digest (if they still want one)."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        notification_digest_send(user=user)


@shared_task
def newsroom_digests_task() -> int:
    """Queue the weekly newsroom digest of every workspace that has it on (the "collaboration-newsroom-digests"
    schedule, Mondays); returns how many were queued."""
    workspace_ids = list(
        NewsroomDigest.objects.filter(enabled=True).exclude(recipients="").values_list("workspace_id", flat=True)
    )
    for workspace_id in workspace_ids:
        newsroom_digest_task.delay(workspace_id)
    return len(workspace_ids)


# Not retried, for the same reason: the digest is claimed for the week before it is sent.
@shared_task
def newsroom_digest_task(workspace_id: int) -> None:
    """Send one workspace's weekly newsroom digest, unless it went out in the last six days."""
    newsroom_digest_send(workspace_id=workspace_id)


@shared_task(ignore_result=True)
def approvals_remind_and_expire_task() -> None:
    """Hourly: remind approvers of requests waiting over a day (once a day), expire old requests."""
    from collaboration.services.approvals import approvals_remind_and_expire

    approvals_remind_and_expire()
