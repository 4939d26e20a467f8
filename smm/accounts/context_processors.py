"""Template context for the dashboard shell: the user's workspaces for the switcher."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from smm.accounts.models import Membership


def workspaces(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    memberships = Membership.objects.filter(user=request.user).select_related("workspace").order_by("workspace__name")
    return {
        "user_memberships": memberships,
        "membership": getattr(request, "membership", None),
    }
