"""Background jobs for connected accounts: thin wrappers that load the row and call a service."""

from __future__ import annotations

from celery import shared_task

from smm.networks import services
from smm.networks.models import ConnectedAccount


@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def account_reconnect_notice_task(account_id: int) -> None:
    """Email owners and admins that an account needs reconnecting (skips if it recovered)."""
    account = ConnectedAccount.objects.select_related("workspace").filter(pk=account_id).first()
    if account is not None:
        services.account_reconnect_notice_send(account=account)


@shared_task
def account_refresh_task(account_id: int) -> None:
    """Refresh one account's profile basics and health."""
    account = ConnectedAccount.objects.connected().filter(pk=account_id).first()
    if account is not None:
        services.account_refresh_profile(account=account)


@shared_task
def account_avatar_refresh_task(account_id: int) -> None:
    """Fetch and keep one account's avatar picture."""
    account = ConnectedAccount.objects.connected().filter(pk=account_id).first()
    if account is not None:
        services.account_avatar_refresh(account=account)


@shared_task
def accounts_refresh_task() -> None:
    """Periodic: queue a profile and health refresh for every connected account."""
    for account_id in ConnectedAccount.objects.connected().values_list("pk", flat=True).iterator():
        account_refresh_task.delay(account_id)
