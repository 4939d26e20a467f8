"""Background jobs for tenancy: thin wrappers that load rows and call a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from smm.accounts import services
from smm.accounts.models import Invitation


@shared_task(autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def invitation_send_task(invitation_id: int) -> None:
    """Email an invitation link. SMTP hiccups (OSError) are retried with backoff."""
    invitation = Invitation.objects.select_related("workspace", "invited_by").filter(pk=invitation_id).first()
    if invitation is not None:
        services.invitation_send_email(invitation=invitation)


@shared_task
def housekeeping_task() -> None:
    """Daily: drop expired sessions and invitations that ended more than 30 days ago."""
    now = timezone.now()
    Session.objects.filter(expire_date__lt=now).delete()
    Invitation.objects.filter(accepted_at__isnull=True, expires_at__lt=now - timedelta(days=30)).delete()
