# ruff: noqa: DTZ001  (naive datetimes here are wall-clock times, which the services take)
"""Queue slots keep their wall-clock time across daylight-saving changes and skip blackouts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from publishing.models import AccountPlan, Target
from publishing.services import queues
from publishing.services.posts import PostInput, When, post_save
from tests.factories import make_connected_account
from tests.fixtures import Personas

HELSINKI = "Europe/Helsinki"


@pytest.fixture
def account(personas: Personas):
    account = make_connected_account(personas.workspace)
    account.timezone = HELSINKI
    account.save()
    return account


def test_the_next_slot_is_the_next_weekday_time_in_the_accounts_zone(account) -> None:
    queues.queue_set_slots(account=account, slots=[(1, time(9, 0)), (3, time(15, 30))])  # Tue 09:00, Thu 15:30
    monday_noon = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # Monday 12:00 in Helsinki
    slot = queues.queue_next_slot(account=account, after=monday_noon)
    assert slot is not None
    assert slot.local == datetime(2026, 1, 6, 9, 0)
    assert slot.at == datetime(2026, 1, 6, 7, 0, tzinfo=UTC)


def test_a_slot_keeps_its_wall_time_across_the_spring_change(account) -> None:
    queues.queue_set_slots(account=account, slots=[(6, time(9, 0))])  # Sundays 09:00
    before = queues.queue_next_slot(account=account, after=datetime(2026, 3, 20, tzinfo=UTC))
    after = queues.queue_next_slot(account=account, after=datetime(2026, 3, 28, tzinfo=UTC))
    assert before is not None and after is not None
    assert before.local.time() == after.local.time() == time(9, 0)
    assert before.at.hour == 7  # EET, UTC+2
    assert after.at == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # EEST, UTC+3, on the day of the change


def test_a_slot_in_the_spring_gap_moves_forward_and_one_in_the_overlap_is_taken_once(account) -> None:
    queues.queue_set_slots(account=account, slots=[(6, time(3, 30))])  # Sunday 03:30
    gap = queues.queue_next_slot(account=account, after=datetime(2026, 3, 28, tzinfo=UTC))
    assert gap is not None and gap.local == datetime(2026, 3, 29, 4, 30)
    overlap = queues.queue_next_slot(account=account, after=datetime(2026, 10, 24, tzinfo=UTC))
    assert overlap is not None
    assert overlap.at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 03:30


def test_taken_slots_and_blackouts_are_skipped(personas: Personas, account) -> None:
    queues.queue_set_slots(account=account, slots=[(day, time(9, 0)) for day in range(7)])
    start = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # a Monday
    queues.blackout_create(
        workspace=personas.workspace,
        title="Midsummer",
        starts_at=datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
        ends_at=datetime(2026, 6, 3, 0, 0, tzinfo=UTC),
    )
    first = queues.queue_next_slot(account=account, after=start)
    assert first is not None and first.local.date().isoformat() == "2026-06-01"
    second = queues.queue_next_slot(account=account, after=start, taken=[first.at])
    assert second is not None and second.local.date().isoformat() == "2026-06-03"  # Tue 2 June is blacked out


def test_add_to_queue_takes_free_slots_one_after_another(personas: Personas, account, time_machine) -> None:
    time_machine.move_to(datetime(2026, 6, 1, 5, 0, tzinfo=UTC), tick=False)
    queues.queue_set_slots(account=account, slots=[(day, time(9, 0)) for day in range(7)])
    membership = personas.membership(personas.editor)
    times = []
    for number in range(3):
        post = post_save(
            membership=membership, data=PostInput(text=f"Post {number}", accounts=[account]), when=When.QUEUE
        )
        target = post.targets.get()
        assert target.from_queue and target.status == Target.Status.SCHEDULED
        times.append(target.local_datetime)
    assert [value.isoformat() if value else None for value in times] == [
        "2026-06-01T09:00:00",
        "2026-06-02T09:00:00",
        "2026-06-03T09:00:00",
    ]


def test_rhythm_gaps_count_planned_posts_per_week(personas: Personas, account, time_machine) -> None:
    time_machine.move_to(datetime(2026, 6, 1, 5, 0, tzinfo=UTC), tick=False)
    queues.plan_set(account=account, posts_per_period=3, period=AccountPlan.Period.WEEK)
    membership = personas.membership(personas.editor)
    for day in (2, 3):
        post_save(
            membership=membership,
            data=PostInput(text=f"Week one {day}", accounts=[account]),
            when=When.AT,
            at_local=datetime(2026, 6, day, 10, 0),
            zone=HELSINKI,
        )
    gaps = queues.rhythm_gaps(accounts=[account], start=datetime(2026, 6, 1).date(), weeks=2)
    assert [(gap.start.isoformat(), gap.planned, gap.wanted) for gap in gaps] == [
        ("2026-06-01", 2, 3),
        ("2026-06-08", 0, 3),
    ]
    assert all(gap.missing > 0 for gap in gaps)
    assert timedelta(days=7) == gaps[0].end - gaps[0].start
