"""Template context for the navigation bar: the notification bell and the open-tasks badge."""

from __future__ import annotations

from functools import cache, partial
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from collaboration.selectors import open_task_count, unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """On workspace pages only: the bell's link and the unread count.

    The count is a cached callable (templates call it), so it costs one COUNT query on pages
    that show the bell and none on fragments or emails that do not."""
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_authenticated:
        return {}
    return {
        "notifications_url": reverse("collaboration:notification-list", args=[membership.workspace.slug]),
        "notifications_unread_count": cache(partial(unread_count, request.user, membership.workspace)),
    }


def tasks(request: HttpRequest) -> dict[str, Any]:
    """On workspace pages only: how many open tasks are assigned to the member (the "Team work" badge),
    as a cached callable like the bell's count, so pages that do not show it pay no query."""
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_authenticated:
        return {}
    return {"open_tasks_count": cache(partial(open_task_count, request.user, membership.workspace))}
