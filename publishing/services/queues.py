"""Queue slots, the next free slot, blackout windows and the posting rhythm.

Slots are wall-clock times in the account's time zone (`ConnectedAccount.zone_name`), so a
Tuesday 09:00 slot stays at 09:00 local time across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from publishing.models import AccountPlan, Blackout, QueueSlot, Target
from smm.accounts.models import Workspace
from smm.lib.tz import utc_to_wall, wall_to_utc
from smm.networks.models import ConnectedAccount

QUEUE_HORIZON_DAYS = 120
# A slot closer than this to now is skipped: the post could not be checked and claimed in time.
MIN_LEAD = timedelta(minutes=1)
# Statuses that occupy a slot.
OCCUPYING = (*Target.OPEN, Target.Status.IN_REVIEW, Target.Status.PUBLISHED)


@dataclass(frozen=True)
class Slot:
    at: datetime  # UTC
    local: datetime  # naive wall time in `zone`
    zone: str


def blackouts_for(*, account: ConnectedAccount, start: datetime, end: datetime) -> list[Blackout]:
    """Blackout windows of the account's workspace that overlap [start, end) and apply to it."""
    return list(
        Blackout.objects.filter(workspace_id=account.workspace_id, starts_at__lt=end, ends_at__gt=start)
        .filter(Q(accounts__isnull=True) | Q(accounts=account))
        .distinct()
    )


def blackout_at(*, account: ConnectedAccount, instant: datetime) -> Blackout | None:
    found = blackouts_for(account=account, start=instant, end=instant + timedelta(microseconds=1))
    return found[0] if found else None


def queue_next_slot(
    *, account: ConnectedAccount, after: datetime | None = None, taken: Iterable[datetime] = ()
) -> Slot | None:
    """The first slot of the account's queue after `after` that is free and not in a blackout."""
    after = (after or timezone.now()) + MIN_LEAD
    slots = sorted(QueueSlot.objects.filter(account=account), key=lambda slot: (slot.weekday, slot.time))
    if not slots:
        return None
    zone = account.zone_name
    horizon = after + timedelta(days=QUEUE_HORIZON_DAYS)
    occupied = set(taken) | set(
        Target.objects.filter(
            account=account, status__in=OCCUPYING, scheduled_at__gte=after, scheduled_at__lt=horizon
        ).values_list("scheduled_at", flat=True)
    )
    windows = blackouts_for(account=account, start=after, end=horizon)
    first_day = utc_to_wall(after, zone).date()
    for offset in range(QUEUE_HORIZON_DAYS + 1):
        day = first_day + timedelta(days=offset)
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            local = datetime.combine(day, slot.time)
            instant = wall_to_utc(local, zone)
            if instant < after or instant in occupied:
                continue
            if any(window.starts_at <= instant < window.ends_at for window in windows):
                continue
            return Slot(at=instant, local=utc_to_wall(instant, zone), zone=zone)
    return None


def queue_set_slots(*, account: ConnectedAccount, slots: Sequence[tuple[int, time]]) -> None:
    """Replace the account's queue times with `slots` (weekday, local time)."""
    unique = sorted(set(slots))
    with transaction.atomic():
        QueueSlot.objects.filter(account=account).delete()
        QueueSlot.objects.bulk_create([QueueSlot(account=account, weekday=day, time=at) for day, at in unique])


def plan_set(*, account: ConnectedAccount, posts_per_period: int, period: str) -> AccountPlan:
    plan, _created = AccountPlan.objects.get_or_create(account=account)
    plan.posts_per_period = posts_per_period
    plan.period = period
    plan.full_clean()
    plan.save()
    return plan


def blackout_create(
    *,
    workspace: Workspace,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    accounts: Sequence[ConnectedAccount] = (),
    created_by: object = None,
) -> Blackout:
    if ends_at <= starts_at:
        raise ValidationError(_("The end must be after the start."))
    if any(account.workspace_id != workspace.pk for account in accounts):
        raise ValidationError(_("Choose accounts of this workspace."))
    with transaction.atomic():
        blackout = Blackout(workspace=workspace, title=title, starts_at=starts_at, ends_at=ends_at)
        blackout.created_by = created_by  # type: ignore[assignment]
        blackout.full_clean()
        blackout.save()
        blackout.accounts.set(accounts)
    return blackout


@dataclass(frozen=True)
class RhythmGap:
    account: ConnectedAccount
    start: date  # first day of the period (a Monday for weeks), in the account's zone
    end: date  # the day after the period
    planned: int
    wanted: int

    @property
    def missing(self) -> int:
        return self.wanted - self.planned


def rhythm_gaps(*, accounts: Sequence[ConnectedAccount], start: date, weeks: int = 4) -> list[RhythmGap]:
    """Periods from `start` on where fewer posts are planned than the account's rhythm asks for."""
    gaps: list[RhythmGap] = []
    plans = {plan.account_id: plan for plan in AccountPlan.objects.filter(account__in=accounts, posts_per_period__gt=0)}
    for account in accounts:
        plan = plans.get(account.pk)
        if plan is None:
            continue
        zone = account.zone_name
        if plan.period == AccountPlan.Period.WEEK:
            first = start - timedelta(days=start.weekday())
            periods = [(first + timedelta(weeks=n), first + timedelta(weeks=n + 1)) for n in range(weeks)]
        else:
            periods = [(start + timedelta(days=n), start + timedelta(days=n + 1)) for n in range(weeks * 7)]
        window_start = wall_to_utc(datetime.combine(periods[0][0], time.min), zone)
        window_end = wall_to_utc(datetime.combine(periods[-1][1], time.min), zone)
        planned_days = [
            utc_to_wall(instant, zone).date()
            for instant in Target.objects.filter(scheduled_at__isnull=False)
            .filter(account=account, status__in=OCCUPYING, scheduled_at__gte=window_start, scheduled_at__lt=window_end)
            .values_list("scheduled_at", flat=True)
            if instant is not None
        ]
        for period_start, period_end in periods:
            planned = sum(1 for day in planned_days if period_start <= day < period_end)
            if planned < plan.posts_per_period:
                gaps.append(RhythmGap(account, period_start, period_end, planned, plan.posts_per_period))
    return gaps
