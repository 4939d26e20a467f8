"""Publishing background jobs: thin wrappers that take ids and call the engine or a service."""

from __future__ import annotations

from celery import shared_task

from publishing.services import engine, imports


@shared_task(acks_late=True, ignore_result=True)
def attempt_run_task(attempt_id: int) -> str:
    """Send one claimed attempt; a redelivered message finds the attempt sent and does nothing."""
    return engine.attempt_run(attempt_id=attempt_id)


@shared_task(acks_late=True, ignore_result=True)
def attempts_run_task(attempt_ids: list[int]) -> dict[int, str]:
    """Send a batch of claimed attempts; a redelivered message finds them sent and does nothing."""
    return engine.attempts_run(attempt_ids=attempt_ids)


@shared_task(acks_late=True, ignore_result=True)
def target_reconcile_task(target_id: int) -> str:
    """Find out whether an unconfirmed post is on the network."""
    return engine.target_reconcile(target_id=target_id)


@shared_task(ignore_result=True)
def target_verify_task(target_id: int) -> bool:
    """Read a published post back from the network."""
    return engine.target_verify(target_id=target_id)


@shared_task(ignore_result=True)
def publisher_tick_task() -> int:
    """Periodic safety net: the same tick as `manage.py run_publisher`, once a minute."""
    claimed = engine.publisher_tick()
    engine.targets_verify_dispatch()
    return claimed


@shared_task(acks_late=True, ignore_result=True)
def csv_import_check_task(import_id: int) -> str:
    """Check an uploaded CSV row by row; a redelivered message checks it again from the start."""
    return imports.csv_import_check(import_id=import_id)


@shared_task(ignore_result=True)
def targets_recompute_instants_task() -> int:
    """Daily: future posts keep their wall-clock time if time-zone rules changed (tzdata update)."""
    from publishing.services.posts import targets_recompute_instants

    return targets_recompute_instants()


@shared_task(ignore_result=True)
def feeds_poll_task() -> int:
    """Every 15 minutes: queue a check of each enabled RSS/Atom feed."""
    from publishing.services.feeds import feeds_poll_dispatch

    return feeds_poll_dispatch()


@shared_task(ignore_result=True)
def feed_poll_task(feed_id: int) -> int:
    """Check one feed; its problems are stored on it (in the workspace's language), never raised."""
    from django.utils import translation

    from publishing.models import Feed
    from publishing.services.feeds import feed_poll

    feed = Feed.objects.select_related("workspace").filter(pk=feed_id, enabled=True).first()
    if feed is None:
        return 0  # deleted or turned off since it was queued
    with translation.override(feed.workspace.language):
        return feed_poll(feed=feed).posts_created


@shared_task(ignore_result=True)
def csv_imports_discard_stale_task() -> int:
    """Periodic: discard CSV imports left unimported for a week (their text and fetched media)."""
    return imports.csv_imports_discard_stale()
