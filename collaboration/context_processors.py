"""Template context for the navigation bar: the notification bell and the open-tasks badge."""

from __future__ import annotations

from functools import cache, partial
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from collaboration.selectors import navigation_counts


def notifications(request: HttpRequest) -> dict[str, Any]:
    """On workspace pages only: the bell's link and unread count, and the member's open tasks.

    The counts are callables (templates call them) sharing one cached query: it costs one query on
    pages that show the navigation bar, and none on fragments or emails that do not."""
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_authenticated:
        return {}
    counts = cache(partial(navigation_counts, request.user, membership.workspace))

    def unread() -> int:
        return counts().unread_notifications

    def open_tasks() -> int:
        return counts().open_tasks

    return {
        "notifications_url": reverse("collaboration:notification-list", args=[membership.workspace.slug]),
        "notifications_unread_count": unread,
        "open_tasks_count": open_tasks,
    }
