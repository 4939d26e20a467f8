"""Template context for the navigation bar's notification bell."""

from __future__ import annotations

from functools import cache, partial
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from collaboration.selectors import unread_count


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
