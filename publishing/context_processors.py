"""Template context on workspace pages: whether publishing is paused (shown as a banner everywhere)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from publishing.models import GlobalPause, PublishingSettings
from smm.accounts.models import Workspace


def publishing_state(request: HttpRequest) -> dict[str, Any]:
    """One query on every workspace page; the details are read only while a pause is on."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    state = (
        Workspace.objects.filter(pk=membership.workspace_id)
        .annotate(
            paused=Exists(PublishingSettings.objects.filter(workspace_id=OuterRef("pk"), paused=True)),
            globally_paused=Exists(GlobalPause.objects.filter(id=1, paused=True)),
        )
        .values("paused", "globally_paused")
        .first()
    ) or {"paused": False, "globally_paused": False}
    return {
        "publishing_paused": PublishingSettings.objects.filter(workspace_id=membership.workspace_id).first()
        if state["paused"]
        else None,
        "publishing_global_pause": GlobalPause.objects.filter(id=1).first() if state["globally_paused"] else None,
    }
