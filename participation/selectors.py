"""Reads for the inbox settings pages that join several models: rules in words, which networks can
hide replies, and how many conversations missed the response-time targets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from participation.models import Conversation, InboxItem, InboxRule, InboxTag, ResponseTargets, SavedReply, Sentiment
from smm.accounts.models import Membership
from smm.networks.base import Capability
from smm.networks.models import ConnectedAccount
from smm.networks.registry import adapter_class

FIRINGS_DAYS = 7


def rules_with_firings(workspace_id: int, *, now: datetime | None = None) -> QuerySet[InboxRule]:
    """The workspace's rules in the order they run, each with `recent_firings` (the last 7 days)."""
    since = (now or timezone.now()) - timedelta(days=FIRINGS_DAYS)
    return InboxRule.objects.filter(workspace_id=workspace_id).annotate(
        recent_firings=Count("firings", filter=Q(firings__created_at__gte=since))
    )


@dataclass(frozen=True)
class RuleInWords:
    rule: InboxRule
    conditions: list[str]
    actions: list[str]


def rules_in_words(
    rules: Iterable[InboxRule], membership: Membership, visible_account_ids: list[int]
) -> list[RuleInWords]:
    """Each rule's conditions and actions as short sentences (four queries for the names, however many rules)."""
    workspace_id = membership.workspace_id
    accounts = {
        account.pk: str(account)
        for account in ConnectedAccount.objects.filter(workspace_id=workspace_id, pk__in=visible_account_ids)
    }
    tags = dict(InboxTag.objects.filter(workspace_id=workspace_id).values_list("pk", "name"))
    saved = dict(SavedReply.objects.filter(workspace_id=workspace_id).values_list("pk", "title"))
    members = {
        member.user_id: member.user.display_name
        for member in Membership.objects.filter(workspace_id=workspace_id).select_related("user")
    }
    return [_in_words(rule, accounts, tags, saved, members) for rule in rules]


def _labels(values: Iterable[Any], labels: dict[Any, Any]) -> str:
    return ", ".join(str(labels.get(value, value)) for value in values)


def _in_words(
    rule: InboxRule,
    accounts: dict[int, str],
    tags: dict[int, str],
    saved: dict[int, str],
    members: dict[int, str],
) -> RuleInWords:
    conditions: dict[str, Any] = rule.conditions or {}
    actions: dict[str, Any] = rule.actions or {}
    hidden = _("an account you cannot see")
    when: list[str] = []
    if conditions.get("words"):
        when.append(_("contains %(words)s") % {"words": ", ".join(f"“{word}”" for word in conditions["words"])})
    if conditions.get("authors"):
        when.append(_("written by %(authors)s") % {"authors": ", ".join(conditions["authors"])})
    if conditions.get("accounts"):
        names = ", ".join(accounts.get(account_id, str(hidden)) for account_id in conditions["accounts"])
        when.append(_("to %(accounts)s") % {"accounts": names})
    if conditions.get("networks"):
        when.append(
            _("on %(networks)s") % {"networks": _labels(conditions["networks"], dict(ConnectedAccount.Network.choices))}
        )
    if conditions.get("kinds"):
        when.append(_("type: %(kinds)s") % {"kinds": _labels(conditions["kinds"], dict(InboxItem.Kind.choices))})
    if conditions.get("sentiments"):
        when.append(
            _("sentiment: %(sentiments)s") % {"sentiments": _labels(conditions["sentiments"], dict(Sentiment.choices))}
        )
    if conditions.get("languages"):
        when.append(_("language: %(languages)s") % {"languages": ", ".join(conditions["languages"])})
    if not when:
        when.append(_("every new item"))
    then: list[str] = []
    if actions.get("tag"):
        then.append(_("tag “%(tag)s”") % {"tag": tags.get(actions["tag"], "?")})
    if actions.get("assign"):
        then.append(_("assign to %(member)s") % {"member": members.get(actions["assign"], _("a former member"))})
    if actions.get("priority") is not None and str(actions["priority"]).isdigit():
        label = dict(Conversation.Priority.choices).get(int(actions["priority"]), actions["priority"])
        then.append(_("priority: %(priority)s") % {"priority": label})
    if actions.get("spam"):
        then.append(_("mark as spam"))
    if actions.get("hide"):
        then.append(_("hide it where the network allows"))
    if actions.get("notify"):
        names = ", ".join(members.get(user_id, str(_("a former member"))) for user_id in actions["notify"])
        then.append(_("notify %(members)s") % {"members": names})
    if actions.get("reply"):
        then.append(_("auto-reply “%(reply)s”") % {"reply": saved.get(actions["reply"], "?")})
    return RuleInWords(rule=rule, conditions=when, actions=then)


def hide_support(visible_account_ids: list[int]) -> tuple[list[str], list[str]]:
    """The networks of the member's connected accounts that can hide replies, and those that cannot."""
    networks = sorted(
        set(ConnectedAccount.objects.filter(pk__in=visible_account_ids).values_list("network", flat=True))
    )
    labels = dict(ConnectedAccount.Network.choices)
    can: list[str] = []
    cannot: list[str] = []
    for network in networks:
        try:
            capable = Capability.HIDE in adapter_class(network).capabilities
        except LookupError:
            capable = False
        (can if capable else cannot).append(str(labels.get(network, network)))
    return can, cannot


@dataclass(frozen=True)
class Breaches:
    conversations: int
    first_response: int
    resolution: int


def breaches_in_period(
    *, workspace_id: int, since: datetime, until: datetime, targets: ResponseTargets, now: datetime | None = None
) -> Breaches:
    """Conversations that started in the period (not spam, not only reposts or likes) and how many missed
    each target: answered or resolved late, or still waiting past the target now."""
    now = now or timezone.now()
    first_late = Q(first_response_at__gt=F("first_item_at") + targets.first_response) | Q(
        first_response_at__isnull=True, first_item_at__lt=now - targets.first_response
    )
    resolution_late = Q(resolved_at__gt=F("first_item_at") + targets.resolution) | Q(
        resolved_at__isnull=True, first_item_at__lt=now - targets.resolution
    )
    counts = Conversation.objects.filter(
        workspace_id=workspace_id,
        first_item_at__gte=since,
        first_item_at__lt=until,
        spam=False,
        lower_priority=False,
    ).aggregate(
        conversations=Count("pk"),
        first_response=Count("pk", filter=first_late),
        resolution=Count("pk", filter=resolution_late),
    )
    return Breaches(**counts)
