"""Replies below a post and account creation dates (for contests), against mastodon_mock and recorded
payloads, every exchange checked against the Mastodon OpenAPI spec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smm.networks.base import (
    AuthError,
    Capability,
    NetworkError,
    PermanentError,
    PostDraft,
    RateLimitedError,
    TransientError,
)
from smm.networks.mastodon import client
from smm.networks.mastodon.adapter import MastodonAdapter
from tests.peers.contract import ContractRecorder, KnownDeviation
from tests.peers.mastodon import MastodonMockServer, Reply, ScriptedServer, load_fixture

from .conftest import MakeAdapter

OUR_ID = "109302746302746300"


def draft(text: str, **fields: object) -> PostDraft:
    return PostDraft(text=text, idempotency_key=MastodonAdapter.new_idempotency_key(), **fields)  # type: ignore[arg-type]


def test_it_declares_that_it_reads_replies() -> None:
    assert Capability.READ_REPLIES in MastodonAdapter.capabilities


# Against mastodon_mock ---------------------------------------------------------------------------
def test_it_reads_every_reply_below_a_post_oldest_first(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter, mastodon_contract: ContractRecorder
) -> None:
    alice = mastodon_server.create_user("alice")
    bob = mastodon_server.create_user("bob", display_name="Bob B")
    carol, dave = mastodon_server.create_user("carol"), mastodon_server.create_user("dave")
    adapter = make_adapter(alice)
    root = adapter.publish(draft("Reply to enter our giveaway!"))
    first = mastodon_server.client(bob).status_post(f"@{alice.username} me!", in_reply_to_id=root.remote_id)
    second = mastodon_server.client(carol).status_post(f"@{alice.username} and me", in_reply_to_id=root.remote_id)
    nested = mastodon_server.client(dave).status_post(f"@{bob.username} me too", in_reply_to_id=first.id)
    ours = adapter.publish(draft("Good luck!", reply_to=str(second.id)))
    elsewhere = adapter.publish(draft("Another post"))
    mastodon_server.client(bob).status_post("not in the giveaway", in_reply_to_id=elsewhere.remote_id)

    replies = adapter.replies(root.remote_id)

    assert [post.remote_id for post in replies] == [str(first.id), str(second.id), str(nested.id), ours.remote_id]
    reply = replies[0]
    assert (reply.text, reply.author_id, reply.author_handle, reply.author_display_name) == (
        f"@{alice.username} me!",
        bob.id,
        f"@{bob.username}@127.0.0.1",
        "Bob B",
    )
    assert (reply.reply_to, reply.thread_root, reply.visibility) == (root.remote_id, root.remote_id, "public")
    assert reply.url.startswith(mastodon_server.base_url) and reply.raw_html.startswith("<p>")
    assert reply.created_at is not None and abs(reply.created_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert (replies[2].author_id, replies[2].reply_to, replies[2].thread_root) == (
        dave.id,
        str(first.id),  # a reply to a reply
        root.remote_id,
    )
    assert replies[3].author_id == alice.id  # the account's own replies are there too
    assert [post.remote_id for post in adapter.replies(root.remote_id, limit=2)] == [str(first.id), str(second.id)]
    assert [post.remote_id for post in adapter.replies(str(first.id))] == [str(nested.id)]  # from a reply down
    assert adapter.replies(str(nested.id)) == []
    assert set(mastodon_contract.operations()) >= {
        "GET /api/v1/statuses/{id}",
        "GET /api/v1/statuses/{id}/context",
    }


def test_it_tells_when_an_account_was_created(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter, mastodon_contract: ContractRecorder
) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")

    created = make_adapter(alice).author_created_at(bob.id)

    assert created is not None and created.tzinfo is not None
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=5)  # mastodon_mock keeps the exact time
    assert "GET /api/v1/accounts/{id}" in mastodon_contract.operations()


def test_it_cannot_read_replies_of_a_deleted_post(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(mastodon_server.create_user("alice"))
    post = adapter.publish(draft("Gone soon"))
    adapter.delete(post.remote_id)

    with pytest.raises(PermanentError) as caught:
        adapter.replies(post.remote_id)

    assert caught.value.status == 404


# Recorded payloads (tests/peers/fixtures/mastodon/) -----------------------------------------------
def adapter_for(server: ScriptedServer, recorder: ContractRecorder) -> MastodonAdapter:
    return MastodonAdapter(
        credentials={"access_token": "token"},
        config={"instance_url": server.base_url, "account_id": OUR_ID, "domain": "mastodon.example"},
        session=recorder.attach(client.new_session()),
    )


def test_it_reads_real_replies_oldest_first(scripted_mastodon: ScriptedServer) -> None:
    fixture = load_fixture("status_context_replies_mastodon_4_3.json")
    root_id = fixture["status"]["id"]
    scripted_mastodon.on("GET", f"/api/v1/statuses/{root_id}", Reply(body=fixture["status"]))
    scripted_mastodon.on("GET", f"/api/v1/statuses/{root_id}/context", Reply(body=fixture["context"]))
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())

    replies = adapter_for(scripted_mastodon, recorder).replies(root_id)

    recorder.assert_clean()
    # The server lists them depth-first (a reply, the one below it, then the next reply).
    assert [(post.author_handle, post.reply_to) for post in replies] == [
        ("@reader@fosstodon.org", root_id),
        ("@shy@social.example", root_id),
        ("@Gargron@mastodon.social", "113500100000000110"),
    ]
    assert [post.created_at for post in replies] == [
        datetime(2024, 11, 20, 10, 0, tzinfo=UTC),
        datetime(2024, 11, 20, 10, 5, tzinfo=UTC),
        datetime(2024, 11, 20, 10, 30, tzinfo=UTC),
    ]
    entry, quiet, nested = replies
    assert (entry.remote_id, entry.author_id, entry.author_display_name, entry.text) == (
        "113500100000000110",
        "110512345678901234",
        "A. Reader",
        "@acme Count me in!",
    )
    assert entry.url == "https://fosstodon.org/@reader/113500100000000110"
    assert entry.raw_html.startswith('<p><span class="h-card"')
    assert (quiet.visibility, quiet.text) == ("private", "@acme I'd like to enter, quietly.")  # followers-only
    assert nested.text == "@reader @acme Me too\nand good luck!"
    assert {post.thread_root for post in replies} == {root_id}
    assert [request.path for request in scripted_mastodon.requests] == [
        f"/api/v1/statuses/{root_id}",
        f"/api/v1/statuses/{root_id}/context",
    ]


def test_it_names_the_thread_root_of_replies_below_a_reply(scripted_mastodon: ScriptedServer) -> None:
    # Replies below someone's reply whose chain up has a gap: Mastodon still lists the root above it.
    fixture = load_fixture("status_context_gap_mastodon_4_3.json")
    below = load_fixture("status_context_replies_mastodon_4_3.json")["context"]["descendants"][0]
    status_id = fixture["status"]["id"]
    context = {**fixture["context"], "descendants": [{**below, "in_reply_to_id": status_id}]}
    scripted_mastodon.on("GET", f"/api/v1/statuses/{status_id}", Reply(body=fixture["status"]))
    scripted_mastodon.on(
        "GET",
        f"/api/v1/statuses/{status_id}/context",
        Reply(body=context),
        Reply(body={**context, "ancestors": []}),  # then the root is deleted: Mastodon lists nothing above
    )
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())
    adapter = adapter_for(scripted_mastodon, recorder)

    [reply] = adapter.replies(status_id)
    [orphan] = adapter.replies(status_id)

    recorder.assert_clean()
    assert (reply.reply_to, reply.thread_root) == (status_id, fixture["context"]["ancestors"][0]["id"])
    assert (orphan.reply_to, orphan.thread_root) == (status_id, None)  # the root cannot be told


def test_it_reads_a_real_accounts_creation_date(scripted_mastodon: ScriptedServer) -> None:
    account = load_fixture("account_mastodon_4_3.json")
    scripted_mastodon.on("GET", f"/api/v1/accounts/{account['id']}", Reply(body=account))
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())

    created = adapter_for(scripted_mastodon, recorder).author_created_at(account["id"])

    recorder.assert_clean()
    assert created == datetime(2022, 11, 5, tzinfo=UTC)  # Mastodon sends midnight UTC


def test_it_reads_a_creation_date_without_a_time(scripted_mastodon: ScriptedServer) -> None:
    account = {**load_fixture("account_mastodon_4_3.json"), "created_at": "2019-11-24"}
    scripted_mastodon.on("GET", f"/api/v1/accounts/{account['id']}", Reply(body=account))
    # The spec says date-time; a server that sends the day alone (as it does last_status_at) is read
    # as midnight UTC, the time Mastodon itself gives.
    date_only = KnownDeviation(
        "account.created_at is a date",
        "a server sending the day without a time",
        lambda operation, location, message: list(location) == ["created_at"] and "date-time" in message,
    )
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=(date_only,))

    created = adapter_for(scripted_mastodon, recorder).author_created_at(account["id"])

    recorder.assert_clean()
    assert [deviation.name for deviation, _violation in recorder.tolerated] == ["account.created_at is a date"]
    assert created == datetime(2019, 11, 24, tzinfo=UTC)


def test_it_gives_no_creation_date_when_the_server_sends_none(scripted_mastodon: ScriptedServer) -> None:
    account = {**load_fixture("account_mastodon_4_3.json"), "created_at": None}
    scripted_mastodon.on("GET", f"/api/v1/accounts/{account['id']}", Reply(body=account))
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=(), validate_responses=False)

    assert adapter_for(scripted_mastodon, recorder).author_created_at(account["id"]) is None
    recorder.assert_clean()


@pytest.mark.parametrize(
    ("reply", "error", "status"),
    [
        (Reply(404, {"error": "Record not found"}), PermanentError, 404),
        (Reply(410), PermanentError, 410),
        (Reply(401, {"error": "The access token is invalid"}), AuthError, 401),
        (Reply(429, {"error": "Too many requests"}, {"Retry-After": "30"}), RateLimitedError, 429),
    ],
    ids=["not-found", "gone", "token", "rate-limit"],
)
def test_it_maps_errors_when_reading_an_account(
    scripted_mastodon: ScriptedServer, reply: Reply, error: type[NetworkError], status: int
) -> None:
    scripted_mastodon.on("GET", "/api/v1/accounts/42", reply)
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())

    with pytest.raises(error) as caught:
        adapter_for(scripted_mastodon, recorder).author_created_at("42")

    assert caught.value.status == status
    recorder.assert_clean()


def test_it_maps_errors_when_reading_replies(scripted_mastodon: ScriptedServer) -> None:
    status = load_fixture("status_context_replies_mastodon_4_3.json")["status"]
    scripted_mastodon.on("GET", f"/api/v1/statuses/{status['id']}", Reply(body=status))
    scripted_mastodon.on(
        "GET", f"/api/v1/statuses/{status['id']}/context", Reply(503, {"error": "Service Unavailable"})
    )
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())

    with pytest.raises(PermanentError):
        adapter_for(scripted_mastodon, recorder).replies("missing")  # the status itself: 404
    with pytest.raises(TransientError) as caught:
        adapter_for(scripted_mastodon, recorder).replies(status["id"])

    assert caught.value.status == 503
    recorder.assert_clean()


def test_it_refuses_an_empty_account_id(scripted_mastodon: ScriptedServer) -> None:
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())

    with pytest.raises(PermanentError):
        adapter_for(scripted_mastodon, recorder).author_created_at(" ")

    assert scripted_mastodon.requests == []
