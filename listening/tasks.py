"""Listening background jobs: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def listening_collect_task(source_id: int) -> int:
    """Read one source and ingest what is new; returns how many mentions were stored. A run that
    finds another run of the same source going on does nothing (an advisory lock per source)."""
    from listening.models import Source
    from listening.services.sources import source_collect

    source = Source.objects.filter(pk=source_id, active=True).first()
    if source is None:
        return 0
    return source_collect(source=source).stored


@shared_task(ignore_result=True)
def listening_collect_all_task() -> int:
    """Every minute: one collection task per source that is due (feeds every 15 minutes, network
    searches and timelines every 3–5, the inbox every minute)."""
    from listening.services.sources import sources_due

    source_ids = sources_due()
    for source_id in source_ids:
        listening_collect_task.delay(source_id)
    return len(source_ids)


@shared_task(ignore_result=True)
def alerts_check_task() -> int:
    """Every minute: check every active alert rule, deliver new alerts and retry failed deliveries
    (listening/services/alerts.py). Returns how many alerts were raised."""
    from listening.services.alerts import alerts_check

    return len(alerts_check())
