from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from smm.lib import ratelimit
from smm.networks.base import RateLimitedError

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_it_reads_mastodon_headers():
    info = ratelimit.parse_headers(
        {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-25T12:05:00.000Z"},
        now=NOW,
    )
    assert (info.limit, info.remaining, info.resets_at) == (300, 0, NOW + timedelta(minutes=5))


def test_it_reads_bluesky_and_ietf_headers():
    epoch = int((NOW + timedelta(seconds=90)).timestamp())
    info = ratelimit.parse_headers({"ratelimit-remaining": "12", "ratelimit-reset": str(epoch)}, now=NOW)
    assert (info.remaining, info.resets_at) == (12, NOW + timedelta(seconds=90))
    delta = ratelimit.parse_headers({"RateLimit-Reset": "30", "Retry-After": "7"}, now=NOW)
    assert (delta.resets_at, delta.retry_after) == (NOW + timedelta(seconds=30), 7.0)
    http_date = ratelimit.parse_headers({"Retry-After": "Wed, 25 Nov 2026 12:01:00 GMT"}, now=NOW)
    assert http_date.retry_after == 60.0


def test_an_empty_bucket_makes_work_wait_until_the_reset(db):
    with time_machine.travel(NOW, tick=False):
        ratelimit.record(
            "mastodon:account:1",
            status=200,
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-25T12:00:10Z"},
        )
        slept: list[float] = []
        ratelimit.acquire("mastodon:account:1", max_wait=30, sleep=slept.append)
        assert slept == [10.0]
        assert ratelimit.wait_seconds("mastodon:account:2") == 0.0  # other buckets are not affected


def test_a_429_blocks_the_bucket_for_as_long_as_the_network_says(db):
    with time_machine.travel(NOW, tick=False):
        ratelimit.record("bluesky:account:1", status=429, headers={"Retry-After": "120"})
        with pytest.raises(RateLimitedError) as caught:
            ratelimit.acquire("bluesky:account:1", max_wait=30)
        assert caught.value.retry_after == 120.0
    with time_machine.travel(NOW + timedelta(seconds=121), tick=False):
        assert ratelimit.wait_seconds("bluesky:account:1") == 0.0


def test_a_session_feeds_and_obeys_its_budget(db):
    class Response:
        status_code = 429
        headers = {"Retry-After": "600"}

    class Session:
        calls = 0

        def request(self, method, url, *args, **kwargs):
            self.calls += 1
            return Response()

    session = ratelimit.limit_requests_session(Session(), "mastodon:server:example")
    session.request("GET", "https://mastodon.example/api/v1/instance")
    with pytest.raises(RateLimitedError):
        session.request("GET", "https://mastodon.example/api/v1/instance")
    assert session.calls == 1
    assert timezone.now()


def test_a_session_writes_the_budget_only_when_it_runs_low(db):
    from smm.networks.models import RateBudget

    class Response:
        status_code = 200

        def __init__(self, remaining: int) -> None:
            self.headers = {
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": "2026-11-25T12:05:00.000Z",
            }

    class Session:
        remaining = [250, 200, 40, 10, 280]

        def request(self, method, url, *args, **kwargs):
            return Response(self.remaining.pop(0))

    session = ratelimit.limit_requests_session(Session(), "mastodon:account:7")
    with time_machine.travel(NOW, tick=False):
        for _call in range(2):  # plenty left: a row lock and a commit per call would be wasted
            session.request("GET", "https://mastodon.example/api/v1/statuses/1")
        assert not RateBudget.objects.filter(key="mastodon:account:7").exists()
        session.request("GET", "https://mastodon.example/api/v1/statuses/1")
        assert RateBudget.objects.get(key="mastodon:account:7").remaining == 40
        session.request("GET", "https://mastodon.example/api/v1/statuses/1")
        assert RateBudget.objects.get(key="mastodon:account:7").remaining == 10
        session.request("GET", "https://mastodon.example/api/v1/statuses/1")  # the window reset
        assert RateBudget.objects.get(key="mastodon:account:7").remaining == 280


def test_a_bucket_with_plenty_left_is_trusted_for_a_moment_without_reading_it(db, django_assert_num_queries) -> None:
    from smm.lib import ratelimit

    headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "290", "X-RateLimit-Reset": "2099-01-01T00:00:00Z"}
    ratelimit.record("mastodon:account:memo", status=200, headers=headers, stored=None)
    with django_assert_num_queries(0):
        stored = ratelimit.acquire("mastodon:account:memo")
    # Running low: the row is written and read again by every caller.
    low = {**headers, "X-RateLimit-Remaining": "3"}
    ratelimit.record("mastodon:account:memo", status=200, headers=low, stored=stored)
    with django_assert_num_queries(1):
        ratelimit.acquire("mastodon:account:memo")
