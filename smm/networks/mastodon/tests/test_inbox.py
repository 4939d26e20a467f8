"""What the unified inbox asks of MastodonAdapter, against mastodon_mock with the contract recorder.

Real-server shapes mastodon_mock cannot make (h-card mentions, /context with a gap, a report of a
deleted status) are in test_payloads.py.
"""

from __future__ import annotations

import pytest
import requests

from smm.networks.base import Capability, NotSupportedError, PostDraft
from smm.networks.mastodon.adapter import MastodonAdapter
from tests.peers.mastodon import MastodonMockServer, MockUser

from .conftest import MakeAdapter


def draft(text: str, **fields: object) -> PostDraft:
    return PostDraft(text=text, idempotency_key=MastodonAdapter.new_idempotency_key(), **fields)  # type: ignore[arg-type]


def as_user(server: MastodonMockServer, user: MockUser, method: str, path: str, **kwargs: object) -> requests.Response:
    """A plain request as `user` (set-up and checks, not smm's traffic)."""
    response = requests.request(
        method,
        f"{server.base_url}{path}",
        headers={"Authorization": f"Bearer {user.access_token}"},
        timeout=10,
        **kwargs,  # type: ignore[arg-type]
    )
    response.raise_for_status()
    return response


def test_it_declares_what_mastodon_can_do_in_the_inbox() -> None:
    capabilities = MastodonAdapter.capabilities
    assert {Capability.READ_INBOX, Capability.DIRECT_MESSAGES, Capability.REPLY, Capability.REPORT} <= capabilities
    assert {Capability.LIKE, Capability.BOOST, Capability.BLOCK, Capability.MUTE} <= capabilities
    # Mastodon has no API to hide a reply, and only moderators delete other people's statuses.
    assert Capability.HIDE not in capabilities
    assert Capability.DELETE_OTHERS not in capabilities


def test_it_cannot_hide_a_reply(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    adapter = make_adapter(mastodon_server.create_user("alice"))

    with pytest.raises(NotSupportedError):
        adapter.hide_reply("1", "2")
    with pytest.raises(NotSupportedError):
        adapter.unhide_reply("1", "2")


# Threads -----------------------------------------------------------------------------------------
def test_it_reads_a_thread_up_to_its_root(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob", display_name="Bob B")
    adapter = make_adapter(alice)
    other = mastodon_server.client(bob)
    root = adapter.publish(draft("Our launch post"))
    question = other.status_post(f"@{alice.username} when?", in_reply_to_id=root.remote_id)
    answer = adapter.publish(draft("Tomorrow", reply_to=str(question.id)))
    thanks = other.status_post(f"@{alice.username} thanks", in_reply_to_id=answer.remote_id)

    thread = adapter.thread(str(thanks.id))

    assert thread.complete
    assert thread.root.remote_id == root.remote_id
    assert [post.remote_id for post in thread.ancestors] == [root.remote_id, str(question.id), answer.remote_id]
    assert (thread.post.remote_id, thread.post.text, thread.post.reply_to) == (
        str(thanks.id),
        f"@{alice.username} thanks",
        answer.remote_id,
    )
    assert (thread.post.author_id, thread.post.author_display_name, thread.post.visibility) == (
        bob.id,
        "Bob B",
        "public",
    )
    assert thread.post.thread_root is None  # Mastodon does not say; thread() is how to know
    assert thread.ancestors[0].author_id == alice.id


def test_it_reads_a_status_that_starts_a_thread(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    adapter = make_adapter(mastodon_server.create_user("alice"))
    post = adapter.publish(draft("On its own"))

    thread = adapter.thread(post.remote_id)

    assert (thread.root.remote_id, thread.post.remote_id, thread.ancestors, thread.complete) == (
        post.remote_id,
        post.remote_id,
        [],
        True,
    )


def test_it_stops_a_thread_at_a_deleted_parent(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    adapter = make_adapter(alice)
    other = mastodon_server.client(bob)
    root = adapter.publish(draft("Our post"))
    gone = other.status_post(f"@{alice.username} first", in_reply_to_id=root.remote_id)
    kept = adapter.publish(draft("An answer", reply_to=str(gone.id)))
    reply = other.status_post(f"@{alice.username} and then", in_reply_to_id=kept.remote_id)
    other.status_delete(gone.id)

    thread = adapter.thread(str(reply.id))

    assert not thread.complete
    assert [post.remote_id for post in thread.ancestors] == [kept.remote_id]
    assert thread.root.remote_id == kept.remote_id  # the highest status still there


# Notifications -----------------------------------------------------------------------------------
def test_it_gives_notifications_their_authors(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob", display_name="Bob B")
    adapter = make_adapter(alice)
    post = adapter.publish(draft("Hello"))
    mastodon_server.client(bob).status_post(f"@{alice.username} hi", in_reply_to_id=post.remote_id)

    [reply] = adapter.notifications().items

    assert (reply.kind, reply.author_id, reply.author_handle, reply.author_display_name) == (
        "reply",
        bob.id,
        f"@{bob.username}@127.0.0.1",
        "Bob B",
    )
    assert reply.author_avatar_url.startswith(mastodon_server.base_url)
    assert reply.author_url == f"{mastodon_server.base_url}/@{bob.username}"
    assert reply.post is not None
    assert (reply.post.author_id, reply.post.author_avatar_url, reply.post.visibility) == (
        bob.id,
        reply.author_avatar_url,
        "public",
    )


def test_it_collects_direct_messages_that_a_notification_policy_filters(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter
) -> None:
    # Mastodon 4.3+ filters private mentions from strangers out of the list unless asked for.
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    as_user(mastodon_server, alice, "PATCH", "/api/v1/notifications/policy", data={"for_private_mentions": "filter"})
    message = mastodon_server.client(bob).status_post(f"@{alice.username} can you help me?", visibility="direct")
    plain = as_user(mastodon_server, alice, "GET", "/api/v1/notifications").json()

    [direct] = make_adapter(alice).notifications().items

    assert plain == []  # what a client that does not ask for filtered notifications sees
    assert (direct.kind, direct.author_id) == ("direct", bob.id)
    assert direct.post is not None
    assert (direct.post.remote_id, direct.post.visibility) == (str(message.id), "direct")


def test_it_reads_only_notifications_newer_than_since_id(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter
) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    adapter = make_adapter(alice)
    other = mastodon_server.client(bob)
    other.status_post(f"@{alice.username} old news")
    [known] = adapter.notifications().items
    for number in range(3):
        other.status_post(f"@{alice.username} new {number}")

    collected, cursor = [], None
    for _page in range(5):  # the collector's loop: newest first, back to what it knows
        page = adapter.notifications(limit=2, cursor=cursor, since_id=known.remote_id)
        collected += page.items
        if page.cursor is None:
            break
        cursor = page.cursor

    assert [item.post.text for item in collected if item.post] == [
        f"@{alice.username} new 2",
        f"@{alice.username} new 1",
        f"@{alice.username} new 0",
    ]
    assert adapter.notifications(since_id=collected[0].remote_id).items == []


# Replying, liking, boosting -----------------------------------------------------------------------
def test_it_replies_to_a_direct_message_directly_and_addressed(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter
) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    other = mastodon_server.client(bob)
    message = other.status_post(f"@{alice.username} is the shop open?", visibility="direct")
    adapter = make_adapter(alice)

    reply = adapter.publish(draft("Yes, until six.", reply_to=str(message.id), visibility="direct"))
    again = adapter.publish(
        draft(f"@{bob.username} And on Sundays too.", reply_to=str(message.id), visibility="direct")
    )

    first, second = other.status(reply.remote_id), other.status(again.remote_id)
    assert (first.visibility, str(first.in_reply_to_id)) == ("direct", str(message.id))
    assert [mention.acct for mention in first.mentions] == [bob.username]  # Mastodon delivers to it
    assert first.content == f"<p>@{bob.username} Yes, until six.</p>"
    assert second.content == f"<p>@{bob.username} And on Sundays too.</p>"  # named once


def test_it_unlikes_and_unboosts(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    status = mastodon_server.client(bob).status_post("Nice day")
    adapter = make_adapter(alice)
    adapter.like(str(status.id))
    adapter.boost(str(status.id))

    adapter.unlike(str(status.id))
    adapter.unboost(str(status.id))

    seen = mastodon_server.client(bob).status(status.id)
    assert (seen.favourites_count, seen.reblogs_count) == (0, 0)


# Moderation --------------------------------------------------------------------------------------
def test_it_unblocks_and_unmutes(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    adapter = make_adapter(alice)
    adapter.block(bob.id)
    adapter.mute(bob.id)

    adapter.unblock(bob.id)
    adapter.unmute(bob.id)

    [relationship] = mastodon_server.client(alice).account_relationships(bob.id)
    assert not relationship.blocking and not relationship.muting


def test_it_reports_a_status_to_the_servers_moderators(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter
) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    spam = mastodon_server.client(bob).status_post(f"@{alice.username} cheap watches")
    adapter = make_adapter(alice)

    adapter.report(remote_id=str(spam.id), author_id=bob.id, reason="Advertising in our replies", category="spam")
    adapter.report(remote_id=None, author_id=bob.id, reason="Keeps insulting us", category="rude")

    # mastodon_mock lets any account read the moderators' queue; a real server would not.
    queue = as_user(mastodon_server, alice, "GET", "/api/v1/admin/reports", params={"target_account_id": bob.id})
    reports = sorted(queue.json(), key=lambda report: report["created_at"])
    assert [
        (report["category"], report["comment"], [status["id"] for status in report["statuses"]]) for report in reports
    ] == [("spam", "Advertising in our replies", [str(spam.id)]), ("other", "Keeps insulting us", [])]
