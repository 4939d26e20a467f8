"""Writes with side effects for collaboration: in-app notifications and their emails."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme

from collaboration.models import Notification, NotificationPreference
from smm.accounts.models import Membership, User, Workspace

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# What a caller passes as the message: a lazy string, or a function that builds the text with
# gettext (for messages with placeholders). Either is evaluated once per recipient language.
NotificationMessage: TypeAlias = "Callable[[], str] | StrPromise"


def is_local_url(url: str) -> bool:
    """True for a path on this site ("/w/acme/..."); False for "//host", "/\\host" or "https://...".

    Notifications link only inside smm, so following one can never become an open redirect."""
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False)


def workspace_admins(workspace: Workspace) -> QuerySet[User]:
    """The workspace's active owners and admins (each once), e.g. to notify with a post's author."""
    return User.objects.filter(
        is_active=True,
        memberships__workspace=workspace,
        memberships__role__in=[Membership.Role.OWNER, Membership.Role.ADMIN],
    ).order_by("email")


def _render_message(message: NotificationMessage, language: str) -> str:
    with translation.override(language):
        return str(message) if isinstance(message, Promise) else str(message())


def notification_send(
    *,
    recipients: Iterable[User],
    workspace: Workspace,
    kind: Notification.Kind,
    message: NotificationMessage,
    url: str = "",
    email: str | None = None,
    context: dict[str, Any] | None = None,
) -> int:
    """Notify each recipient once, in their own language; returns how many were notified.

    Recipients are deduplicated, and those who are not (or no longer) members of the workspace are
    skipped. `url` must be a local path. With `email` (a template name under templates/emails/),
    each recipient is also emailed after commit; `context` adds JSON-serialisable values to that
    email's template context (they travel through the task queue)."""
    # Both checks guard against programming mistakes, not user input: hence ValueError.
    if url and not is_local_url(url):
        raise ValueError(f"A notification links only to a path on this site, not to {url!r}.")
    if context:
        # Fail here, in the caller, rather than later in a worker that cannot deserialise it.
        try:
            json.dumps(context)
        except TypeError as error:
            raise ValueError("The email context must be JSON-serialisable.") from error
    unique = {user.pk: user for user in recipients}
    member_ids = set(
        Membership.objects.filter(workspace=workspace, user_id__in=unique).values_list("user_id", flat=True)
    )
    texts: dict[str, str] = {}  # language -> message, rendered once per language
    notifications = []
    for user_id, user in unique.items():
        if user_id not in member_ids:
            continue
        language = user.language or workspace.language
        if language not in texts:
            texts[language] = _render_message(message, language)
        notification = Notification(recipient=user, workspace=workspace, kind=kind, message=texts[language], url=url)
        # The related rows are model instances we were given; validating them would cost a query each.
        notification.full_clean(exclude=["recipient", "workspace"])
        notifications.append(notification)
    if not notifications:
        return 0
    from collaboration.tasks import notification_email_task

    with transaction.atomic():
        Notification.objects.bulk_create(notifications)
        if email:
            # People who chose a daily digest get these in it; people who chose none get no e-mail.
            modes = dict(
                NotificationPreference.objects.filter(user_id__in=[n.recipient_id for n in notifications]).values_list(
                    "user_id", "email"
                )
            )
            for notification in notifications:
                if modes.get(notification.recipient_id, NotificationPreference.Email.IMMEDIATE) != (
                    NotificationPreference.Email.IMMEDIATE
                ):
                    continue
                transaction.on_commit(partial(notification_email_task.delay, notification.pk, email, context))
    return len(notifications)


def notification_email_send(
    *, notification: Notification, template: str, context: dict[str, Any] | None = None
) -> bool:
    """Email one notification to its recipient (in their language); False if they cannot be emailed.

    Called by the worker: the recipient may have been deactivated since."""
    from smm.lib.emails import send_templated

    recipient = notification.recipient
    if not recipient.is_active or not recipient.email:
        return False
    workspace = notification.workspace
    path = notification.url or reverse("collaboration:notification-list", args=[workspace.slug])
    send_templated(
        template,
        to=recipient.email,
        language=recipient.language or workspace.language,
        context={
            **(context or {}),
            "notification": notification,
            "message": notification.message,
            "link": settings.SITE_URL + path,
            "workspace": workspace,
        },
    )
    return True


def notification_mark_read(
    *, recipient: User, ids: Iterable[int] | None = None, workspace: Workspace | None = None
) -> int:
    """Mark the recipient's unread notifications read: those in `ids` (None = all), optionally only
    in one workspace. Someone else's ids are ignored. Returns how many changed."""
    notifications = Notification.objects.unread().filter(recipient=recipient)
    if ids is not None:
        notifications = notifications.filter(pk__in=list(ids))
    if workspace is not None:
        notifications = notifications.filter(workspace=workspace)
    return notifications.update(read_at=timezone.now())


def notification_digest_send(*, user: User, now: Any = None) -> int:
    """E-mail one user (who chose the daily digest) their unread notifications since the last digest."""
    from smm.lib.emails import send_templated

    now = now or timezone.now()
    preference = NotificationPreference.objects.filter(user=user).first()
    if preference is None or preference.email != NotificationPreference.Email.DIGEST or not user.is_active:
        return 0
    since = preference.last_digest_at or (now - timedelta(days=1))
    items = list(
        Notification.objects.unread()
        .filter(recipient=user, created_at__gt=since, created_at__lte=now)
        .select_related("workspace")
        .order_by("workspace__name", "created_at")[:200]
    )
    NotificationPreference.objects.filter(pk=preference.pk).update(last_digest_at=now)
    if not items:
        return 0
    send_templated(
        "notification_digest",
        to=user.email,
        language=user.language or items[0].workspace.language,
        context={"items": items, "user": user, "site_url": settings.SITE_URL},
    )
    return len(items)


def notification_preference_set(*, user: User, email: str) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.get_or_create(user=user)
    preference.email = email
    preference.full_clean()
    preference.save(update_fields=["email"])
    return preference
