"""The strategy page: why we are in social media, objectives, audiences, each channel's purpose."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from collaboration.models import Audience, ChannelPurpose, Objective, Strategy
from smm.accounts.models import User, Workspace
from smm.networks.models import ConnectedAccount

# The free-text sections of Strategy, each edited with its own small form.
STRATEGY_SECTIONS = ("purpose", "voice", "roles")


def strategy_update(*, workspace: Workspace, actor: User, section: str, text: str) -> Strategy:
    """Replace one free-text section of the workspace's strategy (one of STRATEGY_SECTIONS)."""
    if section not in STRATEGY_SECTIONS:
        raise ValueError(f"Unknown strategy section: {section}")
    with transaction.atomic():
        strategy, _created = Strategy.objects.select_for_update().get_or_create(workspace=workspace)
        setattr(strategy, section, text.strip())
        strategy.updated_by = actor
        strategy.full_clean()
        strategy.save(update_fields=[section, "updated_by", "updated_at"])
    return strategy


def objective_create(*, workspace: Workspace, title: str, description: str = "") -> Objective:
    """Add an objective at the end of the list."""
    with transaction.atomic():
        # Lock the workspace row so that two objectives added at once do not share a position.
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        last = Objective.objects.filter(workspace=workspace).aggregate(last=Max("position"))["last"]
        objective = Objective(
            workspace=workspace, title=title.strip(), description=description.strip(), position=(last or 0) + 1
        )
        objective.full_clean()
        objective.save()
    return objective


def objective_update(*, objective: Objective, title: str, description: str = "") -> Objective:
    objective.title = title.strip()
    objective.description = description.strip()
    objective.full_clean()
    objective.save(update_fields=["title", "description"])
    return objective


def objective_delete(*, objective: Objective) -> None:
    objective.delete()


def objective_move(*, objective: Objective, offset: int) -> None:
    """Move an objective up (offset -1) or down (+1) the list; at either end nothing changes."""
    with transaction.atomic():
        objectives = list(Objective.objects.select_for_update().filter(workspace_id=objective.workspace_id))
        index = next(index for index, other in enumerate(objectives) if other.pk == objective.pk)
        target = index + offset
        if not 0 <= target < len(objectives):
            return
        objectives[index], objectives[target] = objectives[target], objectives[index]
        # Renumber the whole list: positions of older rows may repeat (all 0) or have gaps.
        for position, other in enumerate(objectives, start=1):
            other.position = position
        Objective.objects.bulk_update(objectives, ["position"])


def _guard_audience_name(*, workspace_id: int, name: str, audience_id: int | None = None) -> None:
    others = Audience.objects.filter(workspace_id=workspace_id, name__iexact=name)
    if audience_id is not None:
        others = others.exclude(pk=audience_id)
    if others.exists():
        raise ValidationError({"name": _("“%(name)s” is already a target audience.") % {"name": name}})


def audience_create(*, workspace: Workspace, name: str, description: str = "") -> Audience:
    name = name.strip()
    _guard_audience_name(workspace_id=workspace.pk, name=name)
    audience = Audience(workspace=workspace, name=name, description=description.strip())
    audience.full_clean()
    audience.save()
    return audience


def audience_update(*, audience: Audience, name: str, description: str = "") -> Audience:
    audience.name = name.strip()
    audience.description = description.strip()
    _guard_audience_name(workspace_id=audience.workspace_id, name=audience.name, audience_id=audience.pk)
    audience.full_clean()
    audience.save(update_fields=["name", "description"])
    return audience


def audience_delete(*, audience: Audience) -> None:
    """Remove an audience; the channels that named it simply no longer do."""
    audience.delete()


def channel_purpose_update(*, account: ConnectedAccount, purpose: str, audiences: Iterable[Audience]) -> ChannelPurpose:
    """Say what one connected account is for and whom it speaks to (audiences of its own workspace)."""
    audiences = list(audiences)
    if any(audience.workspace_id != account.workspace_id for audience in audiences):
        raise ValidationError(_("Choose audiences of this workspace."))
    with transaction.atomic():
        channel, _created = ChannelPurpose.objects.select_for_update().get_or_create(account=account)
        channel.purpose = purpose.strip()
        channel.full_clean()
        channel.save(update_fields=["purpose"])
        channel.audiences.set(audiences)
    return channel
