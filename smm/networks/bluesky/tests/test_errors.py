"""Error mapping and session renewal against a tiny local stand-in (no real network needed)."""

from __future__ import annotations

import socket
import time

import pytest

from smm.lib.http import UnsafeURLError
from smm.networks.base import (
    AuthError,
    PermanentError,
    PostDraft,
    RateLimitedError,
    TransientError,
    UnknownOutcomeError,
)
from smm.networks.bluesky.adapter import TID, BlueskyAdapter
from smm.networks.bluesky.client import connect, normalize_pds_url, retry_after_seconds

from .standins import Reply, StandIn, fake_jwt, session_body, stand_in_credentials

CREATE = "/xrpc/com.atproto.repo.createRecord"
GET_RECORD = "/xrpc/com.atproto.repo.getRecord"
PROFILE = "/xrpc/app.bsky.actor.getProfile"
REFRESH = "/xrpc/com.atproto.server.refreshSession"
CREATE_SESSION = "/xrpc/com.atproto.server.createSession"
NOT_FOUND = Reply(400, {"error": "InvalidRequest", "message": "Could not locate record"})


@pytest.fixture
def stand_in():
    with StandIn() as server:
        yield server


def adapter_for(stand_in: StandIn, recording_client=None, **credentials) -> tuple[BlueskyAdapter, list[dict]]:
    saved: list[dict] = []
    adapter = BlueskyAdapter(
        credentials=stand_in_credentials(stand_in.url, **credentials),
        config={"did": "did:plc:standin", "handle": "standin.test"},
        save_credentials=saved.append,
        http_client=recording_client.client if recording_client else None,
    )
    return adapter, saved


def draft(text: str = "hello") -> PostDraft:
    return PostDraft(text=text, idempotency_key=BlueskyAdapter.new_idempotency_key())


def test_it_maps_429_to_rate_limited_with_the_reset_time(stand_in):
    stand_in.routes[PROFILE] = Reply(
        429,
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        {"ratelimit-reset": str(int(time.time()) + 120)},
    )
    adapter, _saved = adapter_for(stand_in)
    with pytest.raises(RateLimitedError) as caught:
        adapter.profile()
    assert caught.value.retry_after is not None and 110 <= caught.value.retry_after <= 121
    assert caught.value.status == 429
    assert "RateLimitExceeded" in caught.value.detail


def test_it_maps_429_with_retry_after(stand_in):
    stand_in.routes[CREATE] = Reply(429, {"error": "RateLimitExceeded"}, {"retry-after": "30"})
    adapter, _saved = adapter_for(stand_in)
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(draft())
    assert caught.value.retry_after == 30
    # A rate-limited create is not checked for an existing post: nothing was written.
    assert GET_RECORD not in stand_in.paths()


def test_it_maps_503_to_transient(stand_in):
    stand_in.routes[PROFILE] = Reply(503, b"Service Unavailable", content_type="text/plain")
    adapter, _saved = adapter_for(stand_in)
    with pytest.raises(TransientError) as caught:
        adapter.profile()
    assert type(caught.value) is TransientError
    assert caught.value.status == 503


def test_it_maps_a_5xx_on_create_to_transient_after_checking_for_the_post(stand_in):
    stand_in.routes[CREATE] = Reply(502, {"error": "UpstreamFailure", "message": "bad gateway"})
    stand_in.routes[GET_RECORD] = NOT_FOUND
    adapter, _saved = adapter_for(stand_in)
    with pytest.raises(TransientError):
        adapter.publish(draft())
    assert stand_in.paths() == [CREATE, GET_RECORD]


def test_it_maps_invalid_request_to_permanent_with_the_detail(stand_in):
    stand_in.routes[CREATE] = Reply(
        400, {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record: grapheme too big"}
    )
    stand_in.routes[GET_RECORD] = NOT_FOUND
    adapter, _saved = adapter_for(stand_in)
    with pytest.raises(PermanentError) as caught:
        adapter.publish(draft())
    assert caught.value.status == 400
    assert caught.value.detail == "InvalidRequest: Invalid app.bsky.feed.post record: grapheme too big"
    assert "grapheme too big" in caught.value.message


def test_it_maps_a_write_timeout_to_unknown_outcome(stand_in, recording_client):
    stand_in.routes[CREATE] = Reply(200, {"uri": "at://x/app.bsky.feed.post/y", "cid": "z"}, delay=1.5)
    stand_in.routes[GET_RECORD] = NOT_FOUND
    adapter, _saved = adapter_for(stand_in, recording_client(timeout=(1.0, 0.5)))
    with pytest.raises(UnknownOutcomeError) as caught:
        adapter.publish(draft())
    assert "ReadTimeout" in caught.value.detail


def test_it_maps_a_read_timeout_to_transient(stand_in, recording_client):
    stand_in.routes[PROFILE] = Reply(200, {}, delay=1.5)
    adapter, _saved = adapter_for(stand_in, recording_client(timeout=(1.0, 0.5)))
    with pytest.raises(TransientError):
        adapter.profile()


def test_it_maps_a_connection_lost_after_sending_to_unknown_outcome(stand_in):
    stand_in.routes[CREATE] = Reply(drop=True)
    stand_in.routes[GET_RECORD] = NOT_FOUND
    adapter, _saved = adapter_for(stand_in)
    with pytest.raises(UnknownOutcomeError):
        adapter.publish(draft())


def test_it_maps_a_refused_connection_to_transient():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    adapter = BlueskyAdapter(credentials=stand_in_credentials(f"http://127.0.0.1:{port}"), config={})
    with pytest.raises(TransientError) as caught:
        adapter.publish(draft())
    assert type(caught.value) is TransientError
    assert "ConnectError" in caught.value.detail


def test_it_refreshes_once_when_the_access_token_is_refused_and_saves_the_new_pair(stand_in, recording_client):
    fresh = session_body()
    stand_in.routes[PROFILE] = [
        Reply(400, {"error": "ExpiredToken", "message": "Token has expired"}),
        Reply(200, {"did": "did:plc:standin", "handle": "standin.test"}),
    ]
    stand_in.routes[REFRESH] = Reply(200, fresh)
    recording = recording_client()
    adapter, saved = adapter_for(stand_in, recording)
    assert adapter.profile().handle == "standin.test"
    assert recording.calls == [
        "app.bsky.actor.getProfile",
        "com.atproto.server.refreshSession",
        "app.bsky.actor.getProfile",
    ]
    assert [(item["access_jwt"], item["refresh_jwt"]) for item in saved] == [(fresh["accessJwt"], fresh["refreshJwt"])]
    assert saved[0]["app_password"] == "aaaa-bbbb-cccc-dddd"
    assert adapter.credentials == saved[0]


def test_it_raises_auth_error_when_neither_refresh_nor_login_helps(stand_in):
    stand_in.routes[PROFILE] = Reply(401, {"error": "ExpiredToken", "message": "Token has expired"})
    stand_in.routes[REFRESH] = Reply(400, {"error": "ExpiredToken", "message": "Token has been revoked"})
    stand_in.routes[CREATE_SESSION] = Reply(
        401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
    )
    adapter, saved = adapter_for(stand_in)
    with pytest.raises(AuthError) as caught:
        adapter.profile()
    assert "app password" in caught.value.message
    assert saved == []


def test_it_raises_auth_error_when_a_new_session_is_refused_too(stand_in):
    stand_in.routes[CREATE_SESSION] = Reply(200, session_body())
    stand_in.routes[PROFILE] = Reply(401, {"error": "InvalidToken", "message": "Bad token"})
    adapter, saved = adapter_for(stand_in, access_jwt="", refresh_jwt="")
    with pytest.raises(AuthError):
        adapter.profile()
    # The new session was saved, and only one was made.
    assert [path for path in stand_in.paths() if path == CREATE_SESSION] == [CREATE_SESSION]
    assert len(saved) == 1 and saved[0]["refresh_jwt"]


def test_it_never_saves_a_session_without_a_refresh_token(stand_in):
    stand_in.routes[CREATE_SESSION] = Reply(200, session_body(refreshJwt=""))
    stand_in.routes[PROFILE] = Reply(200, {"did": "did:plc:standin", "handle": "standin.test"})
    adapter, saved = adapter_for(stand_in, access_jwt="", refresh_jwt="")
    adapter.profile()
    assert saved == []


def test_it_maps_suspended_accounts_to_auth_error(stand_in):
    stand_in.routes[PROFILE] = Reply(400, {"error": "AccountTakedown", "message": "Account has been taken down"})
    adapter, _saved = adapter_for(stand_in)
    with pytest.raises(AuthError) as caught:
        adapter.profile()
    assert "suspended" in caught.value.message


def test_connect_reports_an_unreachable_server_plainly():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(TransientError) as caught:
        connect("alice.example.com", "aaaa-bbbb-cccc-dddd", f"http://127.0.0.1:{port}")
    assert "could not reach the Bluesky server" in caught.value.message


def test_connect_refuses_private_addresses_for_the_server_field(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with pytest.raises(UnsafeURLError) as caught:
        connect("alice.example.com", "aaaa-bbbb-cccc-dddd", "http://127.0.0.1:9")
    assert caught.value.code == "loopback"


def test_adapter_refuses_a_pds_that_turned_private(settings, stand_in):
    adapter, _saved = adapter_for(stand_in)
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with pytest.raises(PermanentError) as caught:
        adapter.profile()
    assert caught.value.detail == "loopback"
    assert stand_in.requests == []


def test_it_reads_retry_after_headers():
    now = time.time()
    reset = retry_after_seconds({"RateLimit-Reset": str(int(now) + 60)})
    assert reset is not None and 59 <= reset <= 60
    assert retry_after_seconds({"retry-after": "12"}) == 12
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert retry_after_seconds({}) is None


def test_it_normalizes_pds_addresses():
    assert normalize_pds_url("") == "https://bsky.social"
    assert normalize_pds_url(" bsky.social ") == "https://bsky.social"
    assert normalize_pds_url("https://pds.example/xrpc/") == "https://pds.example"
    assert normalize_pds_url("http://127.0.0.1:2583/") == "http://127.0.0.1:2583"


def test_it_imports_a_stored_session_without_any_request(stand_in):
    adapter, _saved = adapter_for(stand_in)
    assert adapter.did == "did:plc:standin"
    assert stand_in.requests == []


def test_it_logs_in_when_the_stored_refresh_token_has_expired(stand_in):
    stand_in.routes[CREATE_SESSION] = Reply(200, session_body())
    stand_in.routes[PROFILE] = Reply(200, {"did": "did:plc:standin", "handle": "standin.test"})
    adapter, saved = adapter_for(stand_in, refresh_jwt=fake_jwt(scope="com.atproto.refresh", exp=int(time.time()) - 5))
    adapter.profile()
    assert stand_in.paths() == [CREATE_SESSION, PROFILE]
    assert len(saved) == 1


def test_it_makes_valid_increasing_record_keys():
    keys = [BlueskyAdapter.new_idempotency_key() for _ in range(200)]
    assert all(TID.match(key) for key in keys)
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert keys[0] > "3l"  # a timestamp after 2024 in base32-sortable


def test_it_refuses_drafts_bluesky_cannot_take_before_sending(stand_in):
    adapter, _saved = adapter_for(stand_in)
    with pytest.raises(PermanentError):
        adapter.publish(PostDraft(text="hi", idempotency_key="not-a-tid"))
    with pytest.raises(PermanentError):
        adapter.publish(draft("👨‍👩‍👧‍👦" * 200))  # 200 graphemes, but 5000 bytes
    with pytest.raises(PermanentError):
        adapter.publish(PostDraft(text="cw", idempotency_key=BlueskyAdapter.new_idempotency_key(), content_warning="x"))
    assert stand_in.requests == []
