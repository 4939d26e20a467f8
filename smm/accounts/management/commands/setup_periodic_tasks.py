"""Write every periodic schedule (django-celery-beat rows) from this one place in code."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

# name -> (task, crontab fields). Later areas add their collectors and the publishing tick here.
SCHEDULES: dict[str, tuple[str, dict[str, str]]] = {
    "housekeeping": ("smm.accounts.tasks.housekeeping_task", {"minute": "17", "hour": "3"}),
    "accounts-refresh": ("smm.networks.tasks.accounts_refresh_task", {"minute": "5", "hour": "*/6"}),
    # The safety net under `manage.py run_publisher` (which ticks twice a second).
    "approvals-remind-expire": ("collaboration.tasks.approvals_remind_and_expire_task", {"minute": "25"}),
    "inbox-collect": ("participation.tasks.inbox_collect_all_task", {"minute": "*"}),
    "inbox-breaches": ("participation.tasks.inbox_breaches_task", {"minute": "*/5"}),
    "contests-collect": ("participation.tasks.contests_collect_all_task", {"minute": "*/5"}),
    "community-scores": ("participation.tasks.community_scores_task", {"minute": "30", "hour": "4"}),
    # One task per due listening source (each source has its own interval, see listening/services/sources.py).
    "listening-collect": ("listening.tasks.listening_collect_all_task", {"minute": "*"}),
    # Spike and crisis-word alerts over the last 5-minute buckets (listening/services/alerts.py).
    "listening-alerts": ("listening.tasks.alerts_check_task", {"minute": "*"}),
    "publishing-tick": ("publishing.tasks.publisher_tick_task", {"minute": "*"}),
    "publishing-stale-imports": ("publishing.tasks.csv_imports_discard_stale_task", {"minute": "50", "hour": "3"}),
    "publishing-wall-times": ("publishing.tasks.targets_recompute_instants_task", {"minute": "40", "hour": "2"}),
    "publishing-feeds": ("publishing.tasks.feeds_poll_task", {"minute": "*/15"}),
    # Notification e-mails for people who chose one a day; the newsroom's weekly digest on Mondays.
    "collaboration-notification-digests": (
        "collaboration.tasks.notification_digests_task",
        {"minute": "0", "hour": "6"},
    ),
    "collaboration-newsroom-digests": (
        "collaboration.tasks.newsroom_digests_task",
        {"minute": "0", "hour": "6", "day_of_week": "1"},
    ),
}


# A crontab field left out means "every".
EVERY = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}


class Command(BaseCommand):
    help = "Create or update the periodic tasks the scheduler runs, and remove stale ones."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            for name, (task, fields) in SCHEDULES.items():
                # Every field named, so "06:00 daily" and "06:00 on Mondays" are two different rows.
                crontab, _created = CrontabSchedule.objects.get_or_create(**{**EVERY, **fields}, timezone="UTC")
                PeriodicTask.objects.update_or_create(
                    name=name, defaults={"task": task, "crontab": crontab, "interval": None, "enabled": True}
                )
            stale = PeriodicTask.objects.exclude(name__in=SCHEDULES).exclude(name__startswith="celery.")
            removed = stale.count()
            stale.delete()
        self.stdout.write(f"periodic tasks: {len(SCHEDULES)} set, {removed} removed")
