"""Inbox background jobs: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from smm.networks.models import ConnectedAccount


@shared_task(ignore_result=True, acks_late=True)
def inbox_collect_task(account_id: int) -> int:
    """Collect what is new for one account (a second run at the same time finds the items stored).

    Enqueued every minute for each account, and by the inbox stream (participation/streaming.py)
    seconds after a Mastodon notification."""
    from participation.services.collection import inbox_collect

    account = ConnectedAccount.objects.connected().filter(pk=account_id).first()
    if account is None:
        return 0
    return len(inbox_collect(account=account).new_items)


@shared_task(ignore_result=True)
def inbox_collect_all_task() -> int:
    """Every minute: one collection task per connected account with an inbox."""
    from participation.services.collection import accounts_to_collect

    account_ids = accounts_to_collect()
    for account_id in account_ids:
        inbox_collect_task.delay(account_id)
    return len(account_ids)


@shared_task(ignore_result=True)
def inbox_breaches_task() -> int:
    """Every five minutes: tell people about conversations past their first-response target."""
    from participation.services.conversations import breaches_notify

    return breaches_notify()


@shared_task(ignore_result=True, acks_late=True)
def contest_collect_task(contest_id: int, force: bool = False) -> int:
    """Collect one open contest's entries and decide their eligibility; returns how many were new.

    `force` for the "Collect now" button, which runs even while a scheduled collection is marked
    as running (two at once store each entry once)."""
    from participation.models import Contest
    from participation.services.contest_entries import entries_collect

    contest = Contest.objects.filter(pk=contest_id, state=Contest.State.OPEN).first()
    if contest is None:
        return 0
    return entries_collect(contest=contest, force=force).new


@shared_task(ignore_result=True)
def contests_collect_all_task() -> int:
    """Every five minutes: one collection task per contest whose entry window is open."""
    from participation.services.contest_entries import collect_due

    contest_ids = collect_due()
    for contest_id in contest_ids:
        contest_collect_task.delay(contest_id)
    return len(contest_ids)


@shared_task(ignore_result=True)
def community_scores_task() -> int:
    """Daily: recompute the participation score of members with new activity, fade the rest."""
    from participation.services.community import scores_refresh

    return scores_refresh()
