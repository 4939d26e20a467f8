"""The periodic schedules are written from code, and writing them again (every `make run`) works."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from smm.accounts.management.commands.setup_periodic_tasks import SCHEDULES


@pytest.mark.django_db
def test_writing_the_schedules_twice_keeps_one_row_each_with_its_own_times() -> None:
    call_command("setup_periodic_tasks", stdout=io.StringIO())
    call_command("setup_periodic_tasks", stdout=io.StringIO())

    assert PeriodicTask.objects.filter(name__in=SCHEDULES).count() == len(SCHEDULES)
    daily = PeriodicTask.objects.get(name="collaboration-notification-digests").crontab
    weekly = PeriodicTask.objects.get(name="collaboration-newsroom-digests").crontab
    assert (daily.hour, daily.day_of_week) == ("6", "*")
    assert (weekly.hour, weekly.day_of_week) == ("6", "1")
    every_minute = CrontabSchedule.objects.filter(minute="*", hour="*", day_of_week="*")
    assert every_minute.count() == 1
