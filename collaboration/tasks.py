"""Background jobs for collaboration: thin wrappers that load the row and call a service."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from collaboration import services
from collaboration.models import Notification


@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def notification_email_task(notification_id: int, template: str, context: dict[str, Any] | None = None) -> None:
    """Email one notification to its recipient with templates/emails/<template>_*. SMTP hiccups are retried."""
    notification = Notification.objects.select_related("recipient", "workspace").filter(pk=notification_id).first()
    if notification is not None:
        services.notification_email_send(notification=notification, template=template, context=context)
