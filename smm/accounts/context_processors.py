"""Template context for the dashboard shell: the user's workspaces for the switcher."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from smm.accounts.models import Membership


def workspaces(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    memberships = list(
        Membership.objects.filter(user=request.user).select_related("workspace").order_by("workspace__name")
    )
    current = getattr(request, "membership", None)
    if current is None:
        # Pages outside a workspace (user settings) keep the last workspace's navigation.
        last_id = request.user.last_workspace_id
        current = next((m for m in memberships if m.workspace_id == last_id), None)
    return {"user_memberships": memberships, "membership": current}
