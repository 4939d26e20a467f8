"""Reward programmes: rules award points and badges for what community members do, into an
append-only ledger (docs/community.md). A mistake is undone by a reversal entry, never by editing.

Other services call `award()` when something worth a reward happened:
    award(contact=contact, action=RewardAction.CONTEST_ENTRY, source=f"contest:{contest.pk}")
Each active rule of each active programme awards once per (rule, person, source), however often
`award()` is called for the same source (the database's `ledger_award_once_per_source`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from participation.models import (
    Contact,
    Conversation,
    InboxItem,
    LedgerEntry,
    RewardAction,
    RewardProgramme,
    RewardRule,
    Sentiment,
)
from smm.accounts.models import AuditEvent, User, Workspace
from smm.accounts.services import audit_record

MAX_SOURCE = 60


# Awards ------------------------------------------------------------------------------------------
def award(*, contact: Contact | None, action: str, source: str, actor: User | None = None) -> list[LedgerEntry]:
    """Apply every active rule for `action` of the contact's workspace's active programmes, once per
    (rule, contact, source). Returns the entries made by this call: empty when every rule had
    already awarded for this source, when nothing rewards the action, or for a blocked person."""
    if contact is None or contact.blocked or not source:
        return []
    if action not in RewardAction.values:
        raise ValueError(f"unknown reward action {action!r}")
    source = source[:MAX_SOURCE]
    rules = RewardRule.objects.filter(
        programme__workspace_id=contact.workspace_id, programme__active=True, active=True, action=action
    ).select_related("programme")
    made: list[LedgerEntry] = []
    for rule in rules:
        if LedgerEntry.objects.filter(rule=rule, contact=contact, source=source, kind=LedgerEntry.Kind.AWARD).exists():
            continue
        try:
            # A savepoint: a concurrent award of the same source loses the race without spoiling
            # the caller's transaction (the unique index `ledger_award_once_per_source` decides).
            with transaction.atomic():
                entry = LedgerEntry.objects.create(
                    workspace_id=contact.workspace_id,
                    programme=rule.programme,
                    contact=contact,
                    kind=LedgerEntry.Kind.AWARD,
                    points=rule.points,
                    badge=rule.badge,
                    rule=rule,
                    action=action,
                    source=source,
                    created_by=actor,
                )
        except IntegrityError:
            continue
        made.append(entry)
    return made


# Kinds of item that speak about us: a positive one is a "positive mention".
MENTION_KINDS = ("mention", "quote", "comment")


def item_awards(*, item: InboxItem) -> list[LedgerEntry]:
    """Rewards for a newly collected item (called by collection for each new item):
    a positive mention, quote or comment on our post → POSITIVE_MENTION; a reply in one of our
    threads to another person's item (not ours) → ANSWERED_CUSTOMER. Source `item:<id>` of the
    item that earned it.

    Collection stores the newest first, so an answer may arrive before the question it answers:
    storing the question also rewards the answers already stored below it."""
    made: list[LedgerEntry] = []
    if item.contact_id is None or item.kind == InboxItem.Kind.OURS:
        return made
    if item.kind in MENTION_KINDS and item.sentiment == Sentiment.POSITIVE and item.contact is not None:
        made += award(contact=item.contact, action=RewardAction.POSITIVE_MENTION, source=f"item:{item.pk}")
    if item.conversation.kind != Conversation.Kind.THREAD:
        return made
    answers = InboxItem.objects.filter(
        conversation__kind=Conversation.Kind.THREAD, kind=InboxItem.Kind.REPLY, contact__isnull=False
    ).select_related("contact")
    if item.kind == InboxItem.Kind.REPLY and item.parent_remote_id:
        question = (
            InboxItem.objects.filter(account_id=item.account_id, remote_id=item.parent_remote_id)
            .exclude(kind=InboxItem.Kind.OURS)
            .values_list("contact_id", flat=True)
            .first()
        )
        if question is not None and question != item.contact_id:
            answers_now = answers.filter(pk=item.pk)
        else:
            answers_now = answers.none()
    else:
        answers_now = answers.none()
    below = answers.filter(account_id=item.account_id, parent_remote_id=item.remote_id).exclude(
        contact_id=item.contact_id
    )
    for answer in list(answers_now) + list(below):
        made += award(contact=answer.contact, action=RewardAction.ANSWERED_CUSTOMER, source=f"item:{answer.pk}")
    return made


def award_by_hand(*, contact: Contact, rule: RewardRule, note: str, actor: User | None) -> LedgerEntry:
    """A member awards one rule's points and badge by hand, for something no rule sees by itself
    (each is an entry of its own, without a source); audited."""
    if rule.programme.workspace_id != contact.workspace_id:
        raise ValidationError(_("That rule belongs to another workspace."))
    if not (rule.active and rule.programme.active):
        raise ValidationError({"rule": _("That rule or its programme is switched off.")})
    with transaction.atomic():
        entry = LedgerEntry(
            workspace_id=contact.workspace_id,
            programme=rule.programme,
            contact=contact,
            kind=LedgerEntry.Kind.AWARD,
            points=rule.points,
            badge=rule.badge,
            rule=rule,
            action=rule.action,
            note=note[:300],
            created_by=actor,
        )
        entry.full_clean(exclude=["created_by"])
        entry.save()
        _audit_ledger(entry, actor)
    return entry


def redeem(
    *, contact: Contact, programme: RewardProgramme, points: int, note: str = "", actor: User | None = None
) -> LedgerEntry:
    """Spend `points` of the contact's balance in `programme` (a prize, a discount); never below zero."""
    if programme.workspace_id != contact.workspace_id:
        raise ValidationError(_("That programme belongs to another workspace."))
    if points <= 0:
        raise ValidationError({"points": _("Redeem at least one point.")})
    with transaction.atomic():
        # One redemption at a time per person: two at once could both see the same balance.
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        available = balance(contact=contact, programme=programme)
        if points > available:
            raise ValidationError(
                {
                    "points": _("%(name)s has %(balance)d points in %(programme)s; %(points)d cannot be redeemed.")
                    % {"name": contact, "balance": available, "programme": programme.name, "points": points}
                }
            )
        entry = LedgerEntry(
            workspace_id=contact.workspace_id,
            programme=programme,
            contact=contact,
            kind=LedgerEntry.Kind.REDEMPTION,
            points=-points,
            note=note[:300],
            created_by=actor,
        )
        entry.full_clean(exclude=["created_by"])
        entry.save()
        _audit_ledger(entry, actor)
    return entry


def reverse(*, entry: LedgerEntry, note: str = "", actor: User | None = None) -> LedgerEntry:
    """Cancel an award or a redemption with a new entry of the opposite points (once per entry)."""
    if entry.kind == LedgerEntry.Kind.REVERSAL:
        raise ValidationError(_("A reversal cannot be reversed; record a new award or redemption instead."))
    with transaction.atomic():
        if entry.contact_id is not None:
            Contact.objects.select_for_update().filter(pk=entry.contact_id).first()
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise ValidationError(_("This entry has already been reversed."))
        if entry.contact is not None and entry.points > 0:
            available = balance(contact=entry.contact, programme=entry.programme)
            if available - entry.points < 0:
                raise ValidationError(
                    _("Reversing this would leave %(name)s with %(balance)d points. Reverse a redemption first.")
                    % {"name": entry.contact, "balance": available - entry.points}
                )
        reversal = LedgerEntry(
            workspace_id=entry.workspace_id,
            programme=entry.programme,
            contact=entry.contact,
            kind=LedgerEntry.Kind.REVERSAL,
            points=-entry.points,
            badge=entry.badge,
            action=entry.action,
            reverses=entry,
            note=note[:300],
            created_by=actor,
        )
        reversal.full_clean(exclude=["created_by"])
        try:
            with transaction.atomic():
                reversal.save()
        except IntegrityError:  # reversed at the same moment by someone else
            raise ValidationError(_("This entry has already been reversed.")) from None
        _audit_ledger(reversal, actor)
    return reversal


def _audit_ledger(entry: LedgerEntry, actor: User | None) -> None:
    """An award by hand, a redemption or a reversal by a member (the person is named by id only)."""
    audit_record(
        action=AuditEvent.Action.REWARD_LEDGER_CHANGED,
        actor=actor,
        workspace=entry.programme.workspace,
        target=entry.programme.name,
        data={
            "entry": entry.pk,
            "kind": entry.kind,
            "points": entry.points,
            "contact": entry.contact_id,
            "reverses": entry.reverses_id,
        },
    )


def _audit_programme(programme: RewardProgramme, actor: User | None, change: str, **data: Any) -> None:
    audit_record(
        action=AuditEvent.Action.REWARD_PROGRAMME_CHANGED,
        actor=actor,
        workspace=programme.workspace,
        target=programme.name,
        data={"programme": programme.pk, "change": change, **data},
    )


# Reading the ledger ------------------------------------------------------------------------------
def balance(*, contact: Contact, programme: RewardProgramme) -> int:
    """The contact's points in the programme: the sum of every entry (awards, redemptions, reversals)."""
    total = LedgerEntry.objects.filter(programme=programme, contact=contact).aggregate(total=Sum("points"))["total"]
    return int(total or 0)


@dataclass
class Standing:
    """One person's points and badges in one programme."""

    programme: RewardProgramme
    points: int
    badges: list[str]


def standings(*, contact: Contact) -> list[Standing]:
    """The contact's balance and badges in every programme they have entries in."""
    entries = list(LedgerEntry.objects.filter(contact=contact).select_related("programme").order_by("created_at", "pk"))
    by_programme: dict[int, Standing] = {}
    for entry in entries:
        standing = by_programme.setdefault(entry.programme_id, Standing(entry.programme, 0, []))
        standing.points += entry.points
        if entry.badge and entry.kind == LedgerEntry.Kind.AWARD:
            standing.badges.append(entry.badge)
        elif entry.badge and entry.kind == LedgerEntry.Kind.REVERSAL and entry.badge in standing.badges:
            standing.badges.remove(entry.badge)
    for standing in by_programme.values():
        standing.badges = sorted(set(standing.badges), key=str.casefold)
    return sorted(by_programme.values(), key=lambda standing: standing.programme.name.casefold())


@dataclass
class LeaderboardRow:
    contact: Contact
    points: int
    entries: int


def leaderboard(*, programme: RewardProgramme, since: datetime | None = None, limit: int = 50) -> list[LeaderboardRow]:
    """Members by the points they earned in the programme (in the period from `since`), most first.
    Erased people (entries without a contact) are left out."""
    entries = LedgerEntry.objects.filter(programme=programme, contact__isnull=False)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    totals = list(
        entries.values("contact_id")
        .annotate(points=Sum("points"), entries=Count("pk"))
        .filter(points__gt=0)
        .order_by("-points", "contact_id")[:limit]
    )
    contacts = Contact.objects.in_bulk([row["contact_id"] for row in totals])
    return [
        LeaderboardRow(contacts[row["contact_id"]], int(row["points"]), int(row["entries"]))
        for row in totals
        if row["contact_id"] in contacts
    ]


def ledger_for(*, workspace_id: int, programme: RewardProgramme | None = None) -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.filter(workspace_id=workspace_id)
    if programme is not None:
        entries = entries.filter(programme=programme)
    return (
        entries.select_related("programme", "contact", "created_by", "rule", "reverses")
        .annotate(is_reversed=Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk"))))
        .order_by("-created_at", "-pk")
    )


# Programmes and rules ----------------------------------------------------------------------------
def programme_save(
    *,
    workspace: Workspace,
    name: str,
    description: str = "",
    active: bool = True,
    programme: RewardProgramme | None = None,
    actor: User | None = None,
) -> RewardProgramme:
    """Create a programme, or change `programme`; names are unique in a workspace."""
    created = programme is None
    programme = programme or RewardProgramme(workspace=workspace)
    programme.name, programme.description, programme.active = name.strip(), description.strip(), active
    taken = RewardProgramme.objects.filter(workspace=workspace, name__iexact=programme.name).exclude(pk=programme.pk)
    if taken.exists():
        raise ValidationError({"name": _("There is already a programme with that name.")})
    programme.full_clean(exclude=["workspace"], validate_constraints=False)
    with transaction.atomic():
        programme.save()
        _audit_programme(programme, actor, "created" if created else "changed", active=active)
    return programme


def programme_delete(*, programme: RewardProgramme, actor: User | None = None) -> None:
    """Delete a programme that has never awarded anything (a ledger is kept: switch it off instead)."""
    if LedgerEntry.objects.filter(programme=programme).exists():
        raise ValidationError(
            _("%(name)s has entries in its ledger, which is kept. Switch the programme off instead.")
            % {"name": programme.name}
        )
    with transaction.atomic():
        _audit_programme(programme, actor, "deleted")
        programme.delete()


def rule_save(
    *,
    programme: RewardProgramme,
    action: str,
    points: int,
    badge: str = "",
    active: bool = True,
    rule: RewardRule | None = None,
    actor: User | None = None,
) -> RewardRule:
    """Add a rule to the programme (or change `rule`): the action earns points and/or a badge."""
    created = rule is None
    rule = rule or RewardRule(programme=programme)
    rule.action, rule.points, rule.badge, rule.active = action, points, badge.strip(), active
    if not rule.points and not rule.badge:
        raise ValidationError(_("A rule gives points, a badge, or both."))
    rule.full_clean(exclude=["programme"])
    with transaction.atomic():
        rule.save()
        _audit_programme(
            programme,
            actor,
            "rule added" if created else "rule changed",
            rule=rule.pk,
            action=action,
            points=points,
            badge=rule.badge,
            active=active,
        )
    return rule


def rule_delete(*, rule: RewardRule, actor: User | None = None) -> None:
    """Delete a rule that never awarded (its ledger entries point at it: switch it off instead)."""
    if LedgerEntry.objects.filter(rule=rule).exists():
        raise ValidationError(_("This rule has awarded points, which the ledger keeps. Switch it off instead."))
    with transaction.atomic():
        _audit_programme(rule.programme, actor, "rule deleted", rule=rule.pk, action=rule.action)
        rule.delete()


def programme_summaries(workspace_id: int) -> QuerySet[RewardProgramme]:
    """The workspace's programmes with the number of their active rules."""
    return RewardProgramme.objects.filter(workspace_id=workspace_id).annotate(
        rule_count=Count("rules", filter=Q(rules__active=True), distinct=True),
    )


def describe_source(source: str) -> dict[str, Any]:
    """("item", 12) from "item:12": what earned an award, for linking it on the pages."""
    kind, _sep, number = source.partition(":")
    return {"kind": kind, "id": int(number) if number.isdigit() else None}
