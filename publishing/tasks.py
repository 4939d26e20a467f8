"""Publishing background jobs: thin wrappers that take ids and call the engine or a service."""

from __future__ import annotations

from celery import shared_task

from publishing.services import engine, imports


@shared_task(acks_late=True, ignore_result=True)
def attempt_run_task(attempt_id: int) -> str:
    """Send one claimed attempt; a redelivered message finds the attempt sent and does nothing."""
    return engine.attempt_run(attempt_id=attempt_id)


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
