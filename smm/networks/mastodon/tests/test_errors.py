"""Error mapping and media processing, against a scripted local stand-in."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smm.networks.base import (
    AuthError,
    MediaItem,
    PermanentError,
    PostDraft,
    RateLimitedError,
    TransientError,
    UnknownOutcomeError,
)
from smm.networks.mastodon import client
from smm.networks.mastodon.adapter import MastodonAdapter
from tests.peers.mastodon import Reply, ScriptedServer, load_fixture

STATUS = load_fixture("notifications_mastodon_4_3.json")[4]["status"]
ACCOUNT = load_fixture("account_verify_credentials_mastodon_4_3.json")


def adapter_for(server: ScriptedServer, *, timeout: float = 5.0) -> MastodonAdapter:
    return MastodonAdapter(
        credentials={"access_token": "token"},
        config={"instance_url": server.base_url, "account_id": "1", "version": "4.3.2"},
        timeout=timeout,
    )


def post(text: str = "Hello", **fields: Any) -> PostDraft:
    return PostDraft(text=text, idempotency_key="key-1", **fields)


def test_it_maps_401_to_auth_error(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on(
        "GET", "/api/v1/accounts/verify_credentials", Reply(401, {"error": "The access token is invalid"})
    )

    with pytest.raises(AuthError) as caught:
        adapter_for(scripted_mastodon).profile()

    assert (caught.value.status, caught.value.detail) == (401, "The access token is invalid")
    assert caught.value.message


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, "This action is outside the authorized scopes"),
        (403, "Your login is currently disabled"),
        (403, "Your login is missing a confirmed e-mail address"),
        (422, "This method requires an authenticated user"),
    ],
)
def test_it_maps_account_level_refusals_to_auth_error(
    scripted_mastodon: ScriptedServer, status: int, error: str
) -> None:
    scripted_mastodon.on("POST", "/api/v1/statuses", Reply(status, {"error": error}))

    with pytest.raises(AuthError):
        adapter_for(scripted_mastodon).publish(post())


def test_it_maps_a_refusal_of_one_action_to_permanent_error(scripted_mastodon: ScriptedServer) -> None:
    # A 403 on one status (say, favouriting a post the account cannot see) must not disconnect it.
    scripted_mastodon.on("POST", "/api/v1/statuses/42/favourite", Reply(403, {"error": "This action is not allowed"}))

    with pytest.raises(PermanentError) as caught:
        adapter_for(scripted_mastodon).like("42")

    assert (caught.value.status, caught.value.detail) == (403, "This action is not allowed")


def test_it_maps_422_to_permanent_error_with_the_servers_words(scripted_mastodon: ScriptedServer) -> None:
    reason = "Validation failed: Text character limit of 500 exceeded"
    scripted_mastodon.on("POST", "/api/v1/statuses", Reply(422, {"error": reason}))

    with pytest.raises(PermanentError) as caught:
        adapter_for(scripted_mastodon).publish(post("x" * 600))

    assert (caught.value.status, caught.value.detail) == (422, reason)
    assert reason in caught.value.message


@pytest.mark.parametrize("status", [400, 404, 410])
def test_it_maps_other_client_errors_to_permanent_error(scripted_mastodon: ScriptedServer, status: int) -> None:
    scripted_mastodon.on("POST", "/api/v1/statuses/42/reblog", Reply(status, {"error": "Record not found"}))

    with pytest.raises(PermanentError) as caught:
        adapter_for(scripted_mastodon).boost("42")

    assert caught.value.status == status


def test_it_counts_deleting_a_gone_post_as_done(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on("DELETE", "/api/v1/statuses/42", Reply(404, {"error": "Record not found"}))

    adapter_for(scripted_mastodon).delete("42")


def test_it_maps_429_with_retry_after(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on("POST", "/api/v1/statuses", Reply(429, {"error": "Too many requests"}, {"Retry-After": "120"}))

    with pytest.raises(RateLimitedError) as caught:
        adapter_for(scripted_mastodon).publish(post())

    assert (caught.value.status, caught.value.retry_after) == (429, 120.0)


def test_it_maps_429_with_a_rate_limit_reset(scripted_mastodon: ScriptedServer) -> None:
    reset = (datetime.now(UTC) + timedelta(minutes=5)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    scripted_mastodon.on(
        "GET",
        "/api/v1/notifications",
        Reply(
            429,
            {"error": "Too many requests"},
            {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        ),
    )

    with pytest.raises(RateLimitedError) as caught:
        adapter_for(scripted_mastodon).notifications()

    assert caught.value.retry_after == pytest.approx(300, abs=3)  # measured on the server's Date


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_it_maps_server_errors_to_transient_error(scripted_mastodon: ScriptedServer, status: int) -> None:
    scripted_mastodon.on(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Reply(status, b"<html>Down for maintenance</html>", {"Content-Type": "text/html", "Retry-After": "30"}),
    )

    with pytest.raises(TransientError) as caught:
        adapter_for(scripted_mastodon).profile()

    assert not isinstance(caught.value, RateLimitedError)
    assert (caught.value.status, caught.value.retry_after) == (status, 30.0)


def test_it_reports_an_unknown_outcome_when_a_post_gets_no_answer(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on("POST", "/api/v1/statuses", Reply(hang=True))
    started = time.monotonic()

    with pytest.raises(UnknownOutcomeError):
        adapter_for(scripted_mastodon, timeout=0.5).publish(post())

    assert time.monotonic() - started < 5
    assert [request.path for request in scripted_mastodon.requests] == ["/api/v1/statuses"]  # it did arrive


def test_it_reports_an_unknown_outcome_when_the_connection_drops_after_a_post(
    scripted_mastodon: ScriptedServer,
) -> None:
    scripted_mastodon.on("POST", "/api/v1/statuses/42/reblog", Reply(drop=True))

    with pytest.raises(UnknownOutcomeError):
        adapter_for(scripted_mastodon).boost("42")


def test_it_retries_a_read_that_got_no_answer(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on("GET", "/api/v1/notifications", Reply(hang=True))

    with pytest.raises(TransientError):
        adapter_for(scripted_mastodon, timeout=0.5).notifications()


def test_it_reports_an_unknown_outcome_for_an_unreadable_answer_to_a_post(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on(
        "POST", "/api/v1/statuses", Reply(200, b"<html>proxy page</html>", {"Content-Type": "text/html"})
    )

    with pytest.raises(UnknownOutcomeError):
        adapter_for(scripted_mastodon).publish(post())


def test_it_maps_a_refused_connection_to_transient_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = MastodonAdapter(credentials={"access_token": "t"}, config={"instance_url": f"http://127.0.0.1:{port}"})

    with pytest.raises(TransientError) as caught:
        adapter.publish(post())

    assert not isinstance(caught.value, UnknownOutcomeError)


def test_it_maps_an_unknown_host_to_transient_error(monkeypatch: Any) -> None:
    def no_such_host(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr("smm.lib.http.socket.getaddrinfo", no_such_host)  # smm.lib.http's stand-in for DNS
    adapter = MastodonAdapter(credentials={"access_token": "t"}, config={"instance_url": "https://gone.example"})

    with pytest.raises(TransientError) as caught:
        adapter.publish(post())

    assert not isinstance(caught.value, UnknownOutcomeError)


def test_it_refuses_loopback_without_the_setting(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = False

    with pytest.raises(PermanentError) as caught:
        client.instance_info("https://127.0.0.1:8443")

    assert "smm server itself" in caught.value.message
    with pytest.raises(PermanentError):
        client.normalise_instance_url("http://mastodon.example")  # and plain http


def test_it_sends_the_idempotency_key(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on("POST", "/api/v1/statuses", Reply(body=STATUS))

    published = adapter_for(scripted_mastodon).publish(post(visibility="unlisted"))

    [request] = scripted_mastodon.requests
    assert request.headers["Idempotency-Key"] == "key-1"
    assert request.headers["Authorization"] == "Bearer token"
    assert (published.remote_id, published.url) == (STATUS["id"], STATUS["url"])


def test_it_waits_for_a_video_to_be_processed(scripted_mastodon: ScriptedServer) -> None:
    processing = {
        "id": "77",
        "type": "video",
        "url": None,
        "preview_url": None,
        "remote_url": None,
        "description": "A clip",
        "blurhash": None,
        "meta": None,
    }
    scripted_mastodon.on("POST", "/api/v2/media", Reply(202, processing))
    scripted_mastodon.on(
        "GET",
        "/api/v1/media/77",
        Reply(206, processing),
        Reply(200, {**processing, "url": "https://files.example/77.mp4"}),
    )
    scripted_mastodon.on("POST", "/api/v1/statuses", Reply(body=STATUS))

    adapter_for(scripted_mastodon).publish(post(media=(MediaItem(b"video", "video/mp4", "A clip", "clip"),)))

    assert [(request.method, request.path) for request in scripted_mastodon.requests] == [
        ("POST", "/api/v2/media"),
        ("GET", "/api/v1/media/77"),
        ("GET", "/api/v1/media/77"),
        ("POST", "/api/v1/statuses"),
    ]
    upload, *_, status = scripted_mastodon.requests
    assert b'filename="clip.mp4"' in upload.body and b"A clip" in upload.body
    assert b"media_ids%5B%5D=77" in status.body


def test_it_gives_up_on_media_that_stays_in_processing(scripted_mastodon: ScriptedServer) -> None:
    processing = {
        "id": "77",
        "type": "video",
        "url": None,
        "preview_url": None,
        "remote_url": None,
        "description": None,
        "blurhash": None,
        "meta": None,
    }
    scripted_mastodon.on("POST", "/api/v2/media", Reply(202, processing))
    scripted_mastodon.on("GET", "/api/v1/media/77", Reply(206, processing))
    adapter = adapter_for(scripted_mastodon)
    adapter.media_processing_timeout = 0.6

    with pytest.raises(TransientError):
        adapter.publish(post(media=(MediaItem(b"video", "video/mp4"),)))

    assert all(request.path != "/api/v1/statuses" for request in scripted_mastodon.requests)


def test_its_own_rate_limit_refusal_before_sending_is_rate_limited_not_unknown(
    scripted_mastodon: ScriptedServer, db: None
) -> None:
    """Mastodon.py wrapped smm's refusal (raised before the request left) in MastodonNetworkError,
    which read as "may have gone through": a publish blocked by the budget became unconfirmed."""
    from smm.lib import ratelimit

    ratelimit.record("mastodon:account:9", status=429, headers={"Retry-After": "600"})
    adapter = MastodonAdapter(
        credentials={"access_token": "token"},
        config={"instance_url": scripted_mastodon.base_url, "account_id": "1", "version": "4.3.2"},
        rate_limit_key="mastodon:account:9",
    )

    with pytest.raises(RateLimitedError) as caught:
        adapter.own_posts()  # a Mastodon.py call
    with pytest.raises(RateLimitedError):
        adapter.publish(post())

    assert caught.value.retry_after is not None and caught.value.retry_after > 500
    assert scripted_mastodon.requests == []
