"""Connecting, reconnecting and disconnecting social accounts, and keeping their health."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from smm.accounts.models import AuditEvent, Membership, Workspace
from smm.accounts.services import audit_record
from smm.networks.base import (
    AuthError,
    NetworkError,
    Profile,
    RateLimitedError,
)
from smm.networks.models import ConnectedAccount

logger = logging.getLogger(__name__)

# Keys whose value must survive a refresh that returns them empty (see account_save_credentials).
STICKY_SECRETS = ("refresh_jwt", "refresh_token")
# First key of the two-int advisory lock: "refreshing tokens of ConnectedAccount <id>".
REFRESH_LOCK_CLASS = 7401


def _apply_profile(account: ConnectedAccount, profile: Profile) -> list[str]:
    new_url = profile.avatar_url[:1000]
    if new_url != account.avatar_url or (new_url and not account.avatar_version):
        _avatar_refresh_on_commit(account)
    account.display_name = profile.display_name[:200]
    account.bio = profile.bio
    account.avatar_url = profile.avatar_url[:1000]
    account.profile_url = profile.url[:1000]
    account.followers_count = profile.followers_count
    account.following_count = profile.following_count
    account.posts_count = profile.posts_count
    account.profile_refreshed_at = timezone.now()
    return [
        "display_name",
        "bio",
        "avatar_url",
        "profile_url",
        "followers_count",
        "following_count",
        "posts_count",
        "profile_refreshed_at",
    ]


def _avatar_refresh_on_commit(account: ConnectedAccount) -> None:
    from smm.networks.tasks import account_avatar_refresh_task

    # The account may be new: its id exists only once the caller has saved it, before commit.
    transaction.on_commit(lambda: account.pk and account_avatar_refresh_task.delay(account.pk))


def account_avatar_refresh(*, account: ConnectedAccount) -> bool:
    """Fetch the avatar the network names and keep a re-encoded copy; False (placeholder) on failure.

    Does network I/O: call outside a transaction."""
    from smm.lib.images import ImageFetchError, fetch_thumbnail
    from smm.networks.models import AccountAvatar

    url = account.avatar_url
    if not url:
        AccountAvatar.objects.filter(account=account).delete()
        ConnectedAccount.objects.filter(pk=account.pk).update(avatar_version="")
        return False
    try:
        image = fetch_thumbnail(url)
    except ImageFetchError as error:
        logger.info("account %s: avatar not fetched: %s", account.pk, error)
        return False
    version = hashlib.sha256(image).hexdigest()[:16]
    with transaction.atomic():
        AccountAvatar.objects.update_or_create(account=account, defaults={"source_url": url, "image": image})
        ConnectedAccount.objects.filter(pk=account.pk).update(avatar_version=version)
    account.avatar_version = version
    return True


def account_connect(
    *,
    workspace: Workspace,
    network: str,
    profile: Profile,
    credentials: dict[str, Any],
    config: dict[str, Any],
    actor_membership: Membership,
    token_expires_at: datetime | None = None,
    request: HttpRequest | None = None,
    personal: bool = False,
) -> ConnectedAccount:
    """Store a freshly authorised account (new, or the same handle connected again), audited.

    `personal`: the actor's own account for employee sharing (personal_owner = the actor). It is
    matched only among the actor's personal accounts, never merged with a workspace account (or
    another member's personal one) on the same network address."""
    personal_owner = actor_membership.user if personal else None
    with transaction.atomic():
        account = (
            ConnectedAccount.objects.select_for_update()
            .filter(workspace=workspace, network=network, personal_owner=personal_owner)
            .filter(Q(remote_id=profile.remote_id) | Q(handle=profile.handle))
            .first()
        )
        action = AuditEvent.Action.ACCOUNT_RECONNECTED if account else AuditEvent.Action.ACCOUNT_CONNECTED
        if account is None:
            account = ConnectedAccount(
                workspace=workspace, network=network, connected_by=actor_membership.user, personal_owner=personal_owner
            )
        account.handle = profile.handle[:200]
        account.remote_id = profile.remote_id
        account.set_credentials(credentials)
        account.config = config
        account.status = ConnectedAccount.Status.OK
        account.status_detail = ""
        account.last_success_at = timezone.now()
        account.rate_limited_until = None
        account.token_expires_at = token_expires_at
        _apply_profile(account, profile)
        account.full_clean()
        account.save()
        audit_record(
            action=action,
            actor=actor_membership.user,
            workspace=workspace,
            target=str(account),
            data={"account": account.pk, "network": network, **({"personal": True} if personal else {})},
            request=request,
        )
    return account


def account_disconnect(
    *, account: ConnectedAccount, actor_membership: Membership, request: HttpRequest | None = None
) -> None:
    """Forget the credentials; the account stays listed as disconnected and can be connected again."""
    with transaction.atomic():
        account = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        account.set_credentials({})
        account.status = ConnectedAccount.Status.DISCONNECTED
        account.status_detail = ""
        account.token_expires_at = None
        account.save(update_fields=["credentials_encrypted", "status", "status_detail", "token_expires_at"])
        audit_record(
            action=AuditEvent.Action.ACCOUNT_DISCONNECTED,
            actor=actor_membership.user,
            workspace=account.workspace,
            target=str(account),
            data={
                "account": account.pk,
                "network": account.network,
                **({"personal": True} if account.personal_owner_id else {}),
            },
            request=request,
        )


def account_save_credentials(*, account: ConnectedAccount, credentials: dict[str, Any]) -> None:
    """Persist credentials an adapter refreshed. A refresh token is never replaced by an empty one."""
    with transaction.atomic():
        locked = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        merged = dict(credentials)
        stored = locked.credentials
        for key in STICKY_SECRETS:
            if not merged.get(key) and stored.get(key):
                merged[key] = stored[key]
        locked.set_credentials(merged)
        locked.save(update_fields=["credentials_encrypted"])
    account.credentials_encrypted = locked.credentials_encrypted


@contextmanager
def account_refresh_guard(*, account_id: int) -> Iterator[dict[str, Any]]:
    """Hold this account's refresh lock (a PostgreSQL advisory lock, shared by all workers) and
    yield the credentials stored now. Held only around one token refresh, outside transactions."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [REFRESH_LOCK_CLASS, account_id])
    try:
        account = ConnectedAccount.objects.filter(pk=account_id).first()
        yield account.credentials if account else {}
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [REFRESH_LOCK_CLASS, account_id])


def account_record_success(*, account: ConnectedAccount, profile: Profile | None = None) -> None:
    fields = ["status", "status_detail", "last_success_at", "rate_limited_until"]
    account.status = ConnectedAccount.Status.OK
    account.status_detail = ""
    account.last_success_at = timezone.now()
    account.rate_limited_until = None
    if profile is not None:
        fields += _apply_profile(account, profile)
    account.save(update_fields=fields)


def account_record_failure(*, account: ConnectedAccount, error: NetworkError) -> None:
    """Turn an adapter error into the account's health; admins hear about a needed reconnect once."""
    previous = account.status
    account.last_failure_at = timezone.now()
    account.status_detail = error.message
    fields = ["status", "status_detail", "last_failure_at"]
    if isinstance(error, AuthError):
        account.status = ConnectedAccount.Status.RECONNECT
    elif isinstance(error, RateLimitedError):
        account.status = ConnectedAccount.Status.RATE_LIMITED
        account.rate_limited_until = timezone.now() + timedelta(seconds=error.retry_after or 60)
        fields.append("rate_limited_until")
    else:
        account.status = ConnectedAccount.Status.FAILING
    account.save(update_fields=fields)
    logger.info("account %s health %s -> %s: %s", account.pk, previous, account.status, error.message)
    if account.status == ConnectedAccount.Status.RECONNECT and previous != ConnectedAccount.Status.RECONNECT:
        from smm.networks.tasks import account_reconnect_notice_task

        _account_reconnect_notification_send(account=account)
        transaction.on_commit(lambda: account_reconnect_notice_task.delay(account.pk))


def _account_reconnect_notification_send(*, account: ConnectedAccount) -> None:
    """Show owners and admins (a personal account's owner) in the app that the account needs reconnecting.

    In-app only: the email goes out from account_reconnect_notice_send, which has its own template."""
    from django.utils.translation import gettext as _

    from collaboration.models import Notification
    from collaboration.services import notification_send, workspace_admins

    workspace = account.workspace
    notification_send(
        # A personal account (employee sharing) is its owner's business alone.
        recipients=[account.personal_owner] if account.personal_owner else workspace_admins(workspace),
        workspace=workspace,
        kind=Notification.Kind.ACCOUNT_RECONNECT,
        message=lambda: _("%(account)s no longer accepts smm's access and must be reconnected.") % {"account": account},
        url=_accounts_page(account),
    )


def _accounts_page(account: ConnectedAccount) -> str:
    """Where the account is reconnected: the workspace's accounts, or the owner's sharing page."""
    from django.urls import reverse

    if account.personal_owner_id:
        return reverse("collaboration:sharing", args=[account.workspace.slug])
    return reverse("workspace-accounts", args=[account.workspace.slug])


def account_refresh_profile(*, account: ConnectedAccount) -> None:
    """Fetch profile basics (the cheapest call that also proves the credentials work)."""
    from django.utils.translation import gettext as _

    from smm.networks.registry import adapter_for

    if not account.credentials_encrypted:
        account_record_failure(account=account, error=AuthError(_("No access keys are stored. Reconnect the account.")))
        return
    try:
        profile = adapter_for(account).profile()
    except NetworkError as error:
        account_record_failure(account=account, error=error)
        return
    account_record_success(account=account, profile=profile)


def account_reconnect_notice_send(*, account: ConnectedAccount) -> int:
    """Email the workspace's owners and admins (a personal account's owner) that an account must be reconnected."""
    from django.conf import settings

    from smm.lib.emails import send_templated

    if account.status != ConnectedAccount.Status.RECONNECT:
        return 0
    admins = Membership.objects.filter(workspace_id=account.workspace_id).select_related("user")
    if account.personal_owner_id:
        admins = admins.filter(user_id=account.personal_owner_id)  # only the owner hears of a personal account
    else:
        admins = admins.filter(role__in=[Membership.Role.OWNER, Membership.Role.ADMIN])
    link = settings.SITE_URL + _accounts_page(account)
    for member in admins:
        send_templated(
            "account_reconnect",
            to=member.user.email,
            language=member.user.language or account.workspace.language,
            context={"account": account, "link": link, "workspace": account.workspace},
        )
    return len(admins)
