"""Bluesky direct messages (chat.py) against the chat stand-in (tests/peers/bluesky_chat.py), which
also plays the PDS: app passwords with and without DM access, the proxy header, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from smm.networks.base import (
    AuthError,
    Capability,
    CapabilityUnavailableError,
    DirectMessages,
    Notification,
    NotSupportedError,
    PermanentError,
    RemotePost,
    UnknownOutcomeError,
)
from smm.networks.bluesky import chat
from smm.networks.bluesky.adapter import BlueskyAdapter
from smm.networks.bluesky.client import connect
from tests.peers.bluesky_chat import BlueskyChatStandIn, ChatAccount

PROXY = "did:web:api.bsky.chat#bsky_chat"


@pytest.fixture
def stand_in():
    with BlueskyChatStandIn() as server:
        yield server


def _connected(stand_in: BlueskyChatStandIn, account: ChatAccount) -> tuple[dict, dict]:
    return connect(account.handle, account.app_password, stand_in.url)


def _adapter(stand_in: BlueskyChatStandIn, account: ChatAccount, saved: list | None = None) -> BlueskyAdapter:
    credentials, config = _connected(stand_in, account)
    return BlueskyAdapter(
        credentials=credentials, config=config, save_credentials=(saved if saved is not None else []).append
    )


def _post(item: Notification) -> RemotePost:
    assert item.post is not None
    return item.post


def _texts(batch: DirectMessages) -> list[str]:
    return [_post(item).text for item in batch.items]


def _chat_calls(stand_in: BlueskyChatStandIn, nsid: str | None = None) -> list[dict]:
    return [
        request
        for request in stand_in.requests
        if request["nsid"].startswith("chat.") and (nsid is None or request["nsid"] == nsid)
    ]


@pytest.fixture
def brand(stand_in):
    return stand_in.add_account("brand.test", display_name="Brand")


@pytest.fixture
def anna(stand_in):
    return stand_in.add_account("anna.test", display_name="Anna A")


def test_connecting_records_whether_the_app_password_reaches_direct_messages(stand_in, brand) -> None:
    without = stand_in.add_account("nodms.test", dm_access=False)
    _credentials, config = _connected(stand_in, brand)
    assert BlueskyAdapter.unavailable_capabilities(config) == {}
    _credentials, config = _connected(stand_in, without)
    lacking = BlueskyAdapter.unavailable_capabilities(config)
    assert list(lacking) == [Capability.DIRECT_MESSAGES]
    assert "app password with direct-message access" in lacking[Capability.DIRECT_MESSAGES]
    assert Capability.DIRECT_MESSAGES in BlueskyAdapter.capabilities and BlueskyAdapter.chat


def test_new_messages_are_read_incrementally_as_direct_notifications(stand_in, brand, anna) -> None:
    convo, first = stand_in.dm(anna.did, brand.did, "Hi! Is the shop open on Sunday?")
    stand_in.send(anna.did, convo.id, "And do you sell gift cards?")
    adapter = _adapter(stand_in, brand)

    batch = adapter.direct_messages()
    assert batch.complete and batch.position == convo.rev
    assert _texts(batch) == [
        "Hi! Is the shop open on Sunday?",
        "And do you sell gift cards?",
    ]
    item = batch.items[0]
    assert (item.kind, item.remote_id, item.author_id, item.author_handle, item.author_display_name) == (
        "direct",
        f"chat:{convo.id}/{first.id}",
        anna.did,
        "anna.test",
        "Anna A",
    )
    assert _post(item).thread_root == convo.id and _post(item).visibility == "direct"
    assert _post(item).url == f"https://bsky.app/messages/{convo.id}"
    assert item.created_at is not None and item.created_at.tzinfo is not None
    # Every chat call went through the PDS to the chat service named in the proxy header.
    assert {request["proxy"] for request in _chat_calls(stand_in)} == {PROXY}

    assert adapter.direct_messages(since=batch.position).items == []  # nothing new
    stand_in.send(brand.did, convo.id, "Yes, 10 to 16.")  # our own message (from Bluesky's app) is not news
    again = adapter.direct_messages(since=batch.position)
    assert again.items == [] and str(again.position) > str(batch.position)
    stand_in.send(anna.did, convo.id, "Thanks!")
    newest = adapter.direct_messages(since=again.position)
    assert _texts(newest) == ["Thanks!"]


def test_message_requests_from_strangers_are_read_too(stand_in, brand, anna) -> None:
    convo, _message = stand_in.dm(anna.did, brand.did, "You don't follow me, but: refund?")
    view = httpx.get(
        f"{stand_in.url}/xrpc/chat.bsky.convo.listConvos",
        headers={"authorization": f"Bearer {stand_in.session_tokens(brand)['accessJwt']}", "atproto-proxy": PROXY},
    ).json()["convos"][0]
    assert (view["id"], view["status"], view["unreadCount"]) == (convo.id, "request", 1)
    assert _texts(_adapter(stand_in, brand).direct_messages()) == ["You don't follow me, but: refund?"]


def test_long_conversations_are_paged_and_many_changed_ones_come_in_bounded_batches(stand_in, brand, anna) -> None:
    adapter = _adapter(stand_in, brand)
    convo, _message = stand_in.dm(anna.did, brand.did, "first")
    position = adapter.direct_messages().position
    for number in range(130):
        stand_in.send(anna.did, convo.id, f"message {number}")
    before = len(_chat_calls(stand_in, "chat.bsky.convo.getMessages"))
    batch = adapter.direct_messages(since=position)
    assert _texts(batch) == [f"message {number}" for number in range(130)]
    assert len(_chat_calls(stand_in, "chat.bsky.convo.getMessages")) - before == 2  # 100 + 30, newest first
    position = batch.position

    # 130 people write at once: listConvos is paged, and 25 conversations are read per call.
    for number in range(130):
        person = stand_in.add_account(f"person{number}.test")
        stand_in.dm(person.did, brand.did, f"hello from {number}")
    seen: list[str] = []
    calls = 0
    while True:
        calls += 1
        batch = adapter.direct_messages(since=position)
        seen += _texts(batch)
        assert batch.position is not None and position is not None and batch.position > position
        position = batch.position
        if batch.complete:
            break
    assert calls == 6  # 5 × 25 + 5
    assert seen == [f"hello from {number}" for number in range(130)]  # oldest change first, none twice
    assert adapter.direct_messages(since=position).items == []


def test_a_first_read_brings_a_bounded_recent_history(stand_in, brand, anna) -> None:
    convo, _message = stand_in.dm(anna.did, brand.did, "message 0")
    for number in range(1, 40):
        stand_in.send(anna.did, convo.id, f"message {number}")
    batch = _adapter(stand_in, brand).direct_messages()
    assert _texts(batch) == [f"message {number}" for number in range(15, 40)]


def test_an_app_password_without_dm_access_is_not_asked_and_not_an_auth_error(stand_in, brand) -> None:
    without = stand_in.add_account("nodms.test", dm_access=False)
    stand_in.dm(brand.did, without.did, "hello")
    saved: list[dict] = []
    adapter = _adapter(stand_in, without, saved)
    with pytest.raises(CapabilityUnavailableError) as raised:
        adapter.direct_messages()
    assert raised.value.capability == Capability.DIRECT_MESSAGES
    assert _chat_calls(stand_in) == []  # the token's scope says so: no call
    with pytest.raises(CapabilityUnavailableError):
        adapter.send_direct(conversation_id="x", text="hi")


def test_the_pds_refusing_the_method_is_recognised_without_renewing_the_session(stand_in, brand, monkeypatch) -> None:
    """A PDS whose tokens do not name the scope the way the reference one does: its answer counts."""
    monkeypatch.setattr(chat, "APP_PASSWORD_SCOPE", "not-the-scope")
    without = stand_in.add_account("nodms.test", dm_access=False)
    adapter = _adapter(stand_in, without)
    sessions = sum(1 for request in stand_in.requests if request["nsid"].startswith("com.atproto.server."))
    with pytest.raises(CapabilityUnavailableError) as raised:
        adapter.direct_messages()
    assert raised.value.status == 400 and "Bad token method" in raised.value.detail
    assert [request["status"] for request in _chat_calls(stand_in)] == [400]
    # Not a dead token: no refresh, no new login (createSession is rate-limited hard).
    assert sum(1 for request in stand_in.requests if request["nsid"].startswith("com.atproto.server.")) == sessions


def test_a_dead_access_token_is_renewed_once_and_the_call_repeated(stand_in, brand, anna) -> None:
    stand_in.dm(anna.did, brand.did, "hello")
    credentials, config = _connected(stand_in, brand)
    saved: list[dict] = []
    forged = credentials["access_jwt"].rsplit(".", 1)[0] + ".AAAA"  # the PDS cannot verify it
    adapter = BlueskyAdapter(
        credentials={**credentials, "access_jwt": forged}, config=config, save_credentials=saved.append
    )
    assert _texts(adapter.direct_messages()) == ["hello"]
    assert [request["status"] for request in _chat_calls(stand_in, "chat.bsky.convo.listConvos")] == [400, 200]
    assert saved and saved[-1]["access_jwt"] != forged


def test_a_revoked_app_password_is_an_auth_error(stand_in, brand) -> None:
    credentials, config = _connected(stand_in, brand)
    brand.app_password = "revoked-password"
    adapter = BlueskyAdapter(
        credentials={**credentials, "access_jwt": "x.y.z", "refresh_jwt": "x.y.z"}, config=config, save_credentials=None
    )
    with pytest.raises(AuthError):
        adapter.direct_messages()


def test_the_stand_in_refuses_what_the_pds_and_the_chat_service_refuse(stand_in, brand, anna) -> None:
    convo, _message = stand_in.dm(anna.did, brand.did, "hi")
    token = stand_in.session_tokens(brand)["accessJwt"]
    list_url = f"{stand_in.url}/xrpc/chat.bsky.convo.listConvos"

    def call(url: str = list_url, **headers: str) -> tuple[int, str, str]:
        response = httpx.get(url, headers=headers)
        body = response.json()
        return response.status_code, body.get("error", ""), body.get("message", "")

    bearer = f"Bearer {token}"
    assert call(**{"atproto-proxy": PROXY}) == (401, "AuthMissing", "Authentication Required")
    assert call(authorization=bearer) == (501, "MethodNotImplemented", "Method Not Implemented")  # AppView
    assert call(authorization=bearer, **{"atproto-proxy": "did:web:api.bsky.chat"})[2] == (
        "no service id specified in proxy header"
    )
    assert call(authorization=bearer, **{"atproto-proxy": "did:web:elsewhere.example#bsky_chat"})[2] == (
        "could not resolve proxy did"
    )
    assert call(authorization=bearer, **{"atproto-proxy": "did:web:api.bsky.chat#bsky_appview"})[2] == (
        "could not resolve proxy did service url"
    )
    assert call(authorization=f"Bearer {stand_in.expired_token(brand)}", **{"atproto-proxy": PROXY}) == (
        400,
        "ExpiredToken",
        "Token has expired",
    )
    refresh = stand_in.session_tokens(brand)["refreshJwt"]
    assert call(authorization=f"Bearer {refresh}", **{"atproto-proxy": PROXY})[1:] == (
        "InvalidToken",
        "Token could not be verified",
    )
    without = stand_in.add_account("nodms.test", dm_access=False)
    no_dms = f"Bearer {stand_in.session_tokens(without)['accessJwt']}"
    assert call(authorization=no_dms, **{"atproto-proxy": PROXY}) == (400, "InvalidToken", "Bad token method")
    assert call(f"{list_url}?limit=0", authorization=bearer, **{"atproto-proxy": PROXY})[0] == 400
    assert call(f"{list_url}?limit=101", authorization=bearer, **{"atproto-proxy": PROXY})[0] == 400
    stranger = f"Bearer {stand_in.session_tokens(stand_in.add_account('x.test'))['accessJwt']}"
    messages_url = f"{stand_in.url}/xrpc/chat.bsky.convo.getMessages?convoId={convo.id}"
    assert call(messages_url, authorization=stranger, **{"atproto-proxy": PROXY})[1] == "InvalidConvo"
    response = httpx.get(
        f"{stand_in.url}/xrpc/chat.bsky.convo.sendMessage", headers={"authorization": bearer, "atproto-proxy": PROXY}
    )
    assert response.status_code == 400  # a procedure is a POST


def test_a_reply_goes_into_the_conversation_and_marks_it_read(stand_in, brand, anna) -> None:
    convo, _message = stand_in.dm(anna.did, brand.did, "Is the coat in stock? https://shop.example/coat")
    adapter = _adapter(stand_in, brand)
    sent = adapter.send_direct(conversation_id=convo.id, text="Yes! See https://shop.example/coat")
    last = convo.messages[-1]
    assert (last.sender, last.text) == (brand.did, "Yes! See https://shop.example/coat")
    assert sent.remote_id == f"chat:{convo.id}/{last.id}" and sent.url.endswith(f"/messages/{convo.id}")
    assert last.facets and last.facets[0]["features"][0]["uri"] == "https://shop.example/coat"
    assert [request["nsid"] for request in _chat_calls(stand_in)][-2:] == [
        "chat.bsky.convo.sendMessage",
        "chat.bsky.convo.updateRead",
    ]
    assert convo.last_read[brand.did] == last.rev
    # Our own message is never read back as news.
    assert _post(adapter.direct_messages().items[-1]).text.startswith("Is the coat")


def test_a_message_the_chat_would_refuse_is_refused_before_sending(stand_in, brand, anna) -> None:
    convo, _message = stand_in.dm(anna.did, brand.did, "hi")
    adapter = _adapter(stand_in, brand)
    with pytest.raises(PermanentError, match="1000"):
        adapter.send_direct(conversation_id=convo.id, text="x" * 1001)
    with pytest.raises(PermanentError):
        adapter.send_direct(conversation_id=convo.id, text="  ")
    assert _chat_calls(stand_in) == []
    with pytest.raises(PermanentError) as raised:
        adapter.send_direct(conversation_id="no-such-convo", text="hello")
    assert "InvalidConvo" in raised.value.detail


def test_a_send_without_an_answer_is_found_in_the_conversation(stand_in, brand, anna) -> None:
    convo, _message = stand_in.dm(anna.did, brand.did, "hi")
    adapter = _adapter(stand_in, brand)
    started = datetime.now(UTC)
    stand_in.fail_next["chat.bsky.convo.sendMessage"] = "drop"
    with pytest.raises(UnknownOutcomeError):
        adapter.send_direct(conversation_id=convo.id, text="Hello Anna")
    assert [message.text for message in convo.messages] == ["hi", "Hello Anna"]  # it did arrive
    found = adapter.find_direct(conversation_id=convo.id, text="Hello Anna", sent_after=started)
    assert found is not None and found.remote_id == f"chat:{convo.id}/{convo.messages[-1].id}"
    assert (
        adapter.find_direct(conversation_id=convo.id, text="Hello Anna", sent_after=started, exclude={found.remote_id})
        is None
    )
    assert adapter.find_direct(conversation_id=convo.id, text="Something else", sent_after=started) is None
    # A message older than the attempt (beyond the clock allowance) is not this one.
    later = datetime.now(UTC) + chat.CLOCK_SKEW + timedelta(seconds=5)
    assert adapter.find_direct(conversation_id=convo.id, text="Hello Anna", sent_after=later) is None


def test_likes_and_post_actions_on_a_direct_message_say_they_cannot(stand_in, brand) -> None:
    adapter = _adapter(stand_in, brand)
    for action in (adapter.like, adapter.boost, adapter.delete):
        with pytest.raises(NotSupportedError):
            action("chat:3abc/3def")
