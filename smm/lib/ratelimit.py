"""Rate-limit budgets shared by all workers, fed by the networks' own headers.

A budget key names one bucket: `mastodon:account:42`, `mastodon:server:mastodon.social`,
`bluesky:account:7`. Before a call, `acquire(key)` waits while the bucket is known to be empty
(or blocked after a 429) and raises RateLimitedError when the wait would be longer than the
caller can afford; after a response, `record(key, status, headers)` stores what the network said.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import wraps
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from smm.networks.base import RateLimitedError

DEFAULT_MAX_WAIT_SECONDS = 30.0
# A bucket with more than this share of its limit left is not worth a write per call (see record).
PLENTY_FRACTION = 0.2
# What `record` is told when the caller did not read the stored budget before the call.
_UNREAD: Any = object()
# A reset value above this is a Unix timestamp (Bluesky), below it a number of seconds (IETF draft).
_EPOCH_THRESHOLD = 1_000_000_000


@dataclass(frozen=True)
class RateInfo:
    remaining: int | None = None
    limit: int | None = None
    resets_at: datetime | None = None
    retry_after: float | None = None


def _header(headers: Mapping[str, str], *names: str) -> str | None:
    lowered = {key.lower(): value for key, value in headers.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _reset_time(value: str | None, now: datetime) -> datetime | None:
    if not value:
        return None
    number = _int(value)
    if number is not None:
        if number > _EPOCH_THRESHOLD:
            return datetime.fromtimestamp(number, tz=UTC)
        return now + timedelta(seconds=number)
    parsed = parse_datetime(value)  # Mastodon: ISO 8601
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def parse_headers(headers: Mapping[str, str], *, now: datetime | None = None) -> RateInfo:
    """Read X-RateLimit-* (Mastodon), RateLimit-* (Bluesky, IETF draft) and Retry-After."""
    now = now or timezone.now()
    retry_after: float | None = None
    raw_retry = _header(headers, "Retry-After")
    if raw_retry:
        seconds = _int(raw_retry)
        if seconds is not None:
            retry_after = float(max(seconds, 0))
        else:
            try:
                retry_after = max((parsedate_to_datetime(raw_retry) - now).total_seconds(), 0.0)
            except (TypeError, ValueError):
                retry_after = None
    return RateInfo(
        remaining=_int(_header(headers, "X-RateLimit-Remaining", "RateLimit-Remaining")),
        limit=_int(_header(headers, "X-RateLimit-Limit", "RateLimit-Limit")),
        resets_at=_reset_time(_header(headers, "X-RateLimit-Reset", "RateLimit-Reset"), now),
        retry_after=retry_after,
    )


def record(key: str, *, status: int, headers: Mapping[str, str], stored: Any = _UNREAD) -> RateInfo:
    """Store what a response said about the bucket; a 429 blocks it until the network allows.

    `stored` is the budget row (or None) the caller read before the call (`acquire` returns it).
    When neither it nor the response is anywhere near the limit, nothing is written: only an
    empty or blocked bucket makes anyone wait, and a row lock plus a commit per call serialised
    the workers of one account (the publishing benchmark's largest cost after the call itself).
    """
    from smm.networks.models import RateBudget

    now = timezone.now()
    info = parse_headers(headers, now=now)
    if stored is _CLEAR:
        stored = None
    if status != 429 and info.remaining is None and info.resets_at is None:
        return info
    if (
        status != 429
        and stored is not _UNREAD
        and _plenty(info.remaining, info.limit)
        and (
            stored is None
            or (
                (stored.remaining is None or _plenty(stored.remaining, stored.limit))
                and not (stored.blocked_until and stored.blocked_until > now)
            )
        )
    ):
        _remember_clear(key, True)
        return info
    _remember_clear(key, False)
    with transaction.atomic():
        budget, _created = RateBudget.objects.select_for_update().get_or_create(key=key)
        if info.remaining is not None:
            budget.remaining, budget.limit, budget.resets_at = info.remaining, info.limit, info.resets_at
        if status == 429:
            until = now + timedelta(seconds=info.retry_after) if info.retry_after is not None else info.resets_at
            budget.blocked_until = until or now + timedelta(seconds=60)
        budget.save()
    return info


# Buckets this process saw with plenty left, and until when (time.monotonic()) it trusts that
# without reading the row again. A call per post used to cost one read here; another worker's 429
# reaches this process at most this late, and the network answers that call with a 429 itself.
CLEAR_SECONDS = 2.0
_clear: dict[str, float] = {}
_CLEAR = object()  # acquire()'s answer for such a bucket: no row was read, and none needs writing


def _remember_clear(key: str, clear: bool) -> None:
    if clear:
        _clear[key] = time.monotonic() + CLEAR_SECONDS
    else:
        _clear.pop(key, None)


def _plenty(remaining: int | None, limit: int | None) -> bool:
    return remaining is not None and bool(limit) and remaining > (limit or 0) * PLENTY_FRACTION


def wait_seconds(key: str, *, now: datetime | None = None, budget: Any = _UNREAD) -> float:
    """How long to wait before the next call on this bucket (0 when it may go now)."""
    from smm.networks.models import RateBudget

    now = now or timezone.now()
    if budget is _UNREAD:
        budget = RateBudget.objects.filter(key=key).first()
    if budget is None:
        return 0.0
    waits = [0.0]
    if budget.blocked_until and budget.blocked_until > now:
        waits.append((budget.blocked_until - now).total_seconds())
    if budget.remaining is not None and budget.remaining <= 0 and budget.resets_at and budget.resets_at > now:
        waits.append((budget.resets_at - now).total_seconds())
    return max(waits)


def acquire(
    key: str, *, max_wait: float = DEFAULT_MAX_WAIT_SECONDS, sleep: Callable[[float], None] = time.sleep
) -> Any:
    """Wait until the bucket allows a call; raise RateLimitedError if that is more than max_wait.

    Returns the budget row it read (None when there is none), for `record(..., stored=...)`.
    """
    from smm.networks.models import RateBudget

    if _clear.get(key, 0.0) > time.monotonic():
        return _CLEAR
    budget = RateBudget.objects.filter(key=key).first()
    wait = wait_seconds(key, budget=budget)
    if wait > max_wait:
        raise RateLimitedError(_("The network's rate limit is used up for now."), retry_after=wait)
    if wait > 0:
        sleep(wait)
    return budget


def limit_requests_session(session: Any, key: str, *, max_wait: float = DEFAULT_MAX_WAIT_SECONDS) -> Any:
    """Make every request of a requests.Session (one a library drives) wait for and feed `key`."""
    send = session.request

    @wraps(send)
    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        stored = acquire(key, max_wait=max_wait)
        response = send(method, url, *args, **kwargs)
        record(key, status=response.status_code, headers=response.headers, stored=stored)
        return response

    session.request = request
    return session


def httpx_event_hooks(key: str, *, max_wait: float = DEFAULT_MAX_WAIT_SECONDS) -> dict[str, list[Callable[..., Any]]]:
    """Event hooks for an httpx.Client that wait for and feed `key`."""

    def before(request: Any) -> None:
        acquire(key, max_wait=max_wait)

    def after(response: Any) -> None:
        record(key, status=response.status_code, headers=response.headers)

    return {"request": [before], "response": [after]}
