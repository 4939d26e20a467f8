"""Replies below a post and account creation dates (for contests), against the real local AT Protocol
network (tests.peers.bluesky). The AppView indexes a moment after the PDS stores a record, so reads
are retried with `bluesky_network.wait_for` until it has caught up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smm.networks.base import AuthError, Capability, PermanentError, PostDraft, RemotePost
from smm.networks.bluesky import adapter as bluesky_adapter
from smm.networks.bluesky.adapter import BlueskyAdapter

pytestmark = pytest.mark.slow


def draft(text: str, **kwargs) -> PostDraft:
    return PostDraft(text=text, idempotency_key=BlueskyAdapter.new_idempotency_key(), **kwargs)


def put_profile(network, account, **record) -> None:
    """Write the person's app.bsky.actor.profile record, as their Bluesky app would."""
    response = network.xrpc(
        "POST",
        "com.atproto.repo.putRecord",
        token=account.access_jwt,
        json={
            "repo": account.did,
            "collection": "app.bsky.actor.profile",
            "rkey": "self",
            "record": {"$type": "app.bsky.actor.profile", **record},
        },
    )
    assert response.status_code == 200, response.text


def replies_when(network, adapter, uri: str, count: int) -> list[RemotePost]:
    """adapter.replies(uri) once the AppView shows `count` of them."""

    def check() -> list[RemotePost] | None:
        try:
            found = adapter.replies(uri)
        except PermanentError as error:
            if "NotFound" in error.detail:
                return None  # the post itself is not indexed yet
            raise
        return found if len(found) == count else None

    return network.wait_for(check, what=f"{count} replies to be indexed")


def test_it_declares_that_it_reads_replies():
    assert Capability.READ_REPLIES in BlueskyAdapter.capabilities


def test_it_reads_every_reply_below_a_post_oldest_first(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, anna, bert, carl = (connect_account(name) for name in ("me", "anna", "bert", "carl"))
    put_profile(bluesky_network, anna.account, displayName="Anna A")
    ours = me.adapter()
    root = ours.publish(draft("Reply to enter our giveaway!"))
    first = anna.adapter().publish(draft("Me!", reply_to=root.remote_id))
    second = bert.adapter().publish(draft("Me too", reply_to=root.remote_id))
    nested = carl.adapter().publish(draft("And me", reply_to=first.remote_id))
    own = ours.publish(draft("Good luck!", reply_to=second.remote_id))
    elsewhere = ours.publish(draft("Another post"))
    anna.adapter().publish(draft("Not an entry", reply_to=elsewhere.remote_id))

    replies = replies_when(bluesky_network, ours, root.remote_id, 4)

    assert [post.remote_id for post in replies] == [first.remote_id, second.remote_id, nested.remote_id, own.remote_id]
    entry = replies[0]
    assert (entry.text, entry.author_id, entry.author_handle, entry.author_display_name) == (
        "Me!",
        anna.credentials["did"],
        anna.account.handle,
        "Anna A",
    )
    assert (entry.reply_to, entry.thread_root, entry.visibility, entry.raw_html) == (
        root.remote_id,
        root.remote_id,
        "public",
        "",
    )
    assert entry.url.endswith(f"/profile/{anna.account.handle}/post/{first.remote_id.rsplit('/', 1)[1]}")
    assert entry.created_at is not None and abs(entry.created_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert (replies[2].author_id, replies[2].reply_to, replies[2].thread_root) == (
        carl.credentials["did"],
        first.remote_id,  # a reply to a reply
        root.remote_id,
    )
    assert replies[3].author_id == me.credentials["did"]  # the account's own replies are there too
    assert [post.remote_id for post in ours.replies(root.remote_id, limit=2)] == [first.remote_id, second.remote_id]
    assert [post.remote_id for post in ours.replies(first.remote_id)] == [nested.remote_id]  # from a reply down
    assert ours.replies(nested.remote_id) == []


def test_it_reads_below_the_depth_one_request_reaches(bluesky_network, connect_account, recording_client, monkeypatch):
    # Bluesky's AppView answers 10 levels at most; here each request reads one, so the chain of
    # three replies takes a request anchored at each reply that has more below it.
    bluesky_network.require_appview()
    monkeypatch.setattr(bluesky_adapter, "THREAD_REPLY_DEPTH", 1)
    me, them = connect_account("me"), connect_account("them")
    root = me.adapter().publish(draft("Our post"))
    parent = root.remote_id
    chain = []
    for number in range(3):
        replier = them if number % 2 == 0 else me
        parent = replier.adapter().publish(draft(f"Level {number + 1}", reply_to=parent)).remote_id
        chain.append(parent)
    replies_when(bluesky_network, me.adapter(), root.remote_id, 3)  # indexed, with reply counts
    recording = recording_client()

    replies = me.adapter(http_client=recording.client).replies(root.remote_id)

    assert [post.remote_id for post in replies] == chain
    assert [post.reply_to for post in replies] == [root.remote_id, *chain[:2]]
    assert recording.count("app.bsky.feed.getPostThread") == 3  # the last reply has none below it


def test_it_leaves_out_blocked_and_deleted_replies(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, them, troll, gone = (connect_account(name) for name in ("me", "them", "troll", "gone"))
    ours = me.adapter()
    root = ours.publish(draft("Our post"))
    kept = them.adapter().publish(draft("A kind reply", reply_to=root.remote_id))
    rude = troll.adapter().publish(draft("A rude reply", reply_to=root.remote_id))
    below_rude = them.adapter().publish(draft("Do not feed the troll", reply_to=rude.remote_id))
    deleted = gone.adapter().publish(draft("Changed my mind", reply_to=root.remote_id))
    below_deleted = them.adapter().publish(draft("Why?", reply_to=deleted.remote_id))
    replies_when(bluesky_network, ours, root.remote_id, 5)

    ours.block(troll.credentials["did"])
    gone.adapter().delete(deleted.remote_id)

    [left] = replies_when(bluesky_network, ours, root.remote_id, 1)
    assert left.remote_id == kept.remote_id
    # What is below a blocked or deleted reply goes with it (the AppView shows no orphans).
    assert below_rude.remote_id and below_deleted.remote_id


def test_it_cannot_read_replies_of_a_post_that_is_not_there(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me = connect_account("me")
    adapter = me.adapter()
    post = adapter.publish(draft("Gone soon"))
    adapter.delete(post.remote_id)

    with pytest.raises(PermanentError):
        adapter.replies(post.remote_id)
    with pytest.raises(PermanentError):
        adapter.replies("https://bsky.app/profile/someone/post/3k")  # not an at:// post address


# Account creation dates ------------------------------------------------------------------------
def profile_view(network, viewer, did: str) -> dict:
    response = network.xrpc("GET", "app.bsky.actor.getProfile", token=viewer.access_jwt, params={"actor": did})
    assert response.status_code == 200, response.text
    return response.json()


def test_it_tells_when_an_account_was_created_if_the_appview_says(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, fresh, described = connect_account("me"), connect_account("fresh"), connect_account("described")
    adapter = me.adapter()
    did = fresh.credentials["did"]

    # The reference AppView takes createdAt from the person's profile record: a fresh account has
    # none, and the view's indexedAt (when the profile was indexed) is no creation date.
    assert "createdAt" not in profile_view(bluesky_network, me.account, did)
    assert adapter.author_created_at(did) is None
    put_profile(bluesky_network, fresh.account, displayName="Fresh")  # a profile without createdAt
    bluesky_network.wait_for(
        lambda: profile_view(bluesky_network, me.account, did).get("displayName") == "Fresh", what="the profile"
    )
    assert "indexedAt" in profile_view(bluesky_network, me.account, did)
    assert adapter.author_created_at(did) is None

    written = datetime.now(UTC).replace(microsecond=0)
    stamp = written.isoformat().replace("+00:00", "Z")
    put_profile(bluesky_network, described.account, displayName="Described", createdAt=stamp)
    created = bluesky_network.wait_for(
        lambda: adapter.author_created_at(described.credentials["did"]), what="createdAt in the profile view"
    )

    assert created == written
    assert adapter.author_created_at(described.account.handle) == written  # a handle works too


def test_it_says_an_account_is_gone_without_blaming_our_own(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, leaving = connect_account("me"), connect_account("leaving")
    adapter = me.adapter()
    deactivated = bluesky_network.xrpc(
        "POST", "com.atproto.server.deactivateAccount", token=leaving.account.access_jwt, json={}
    )
    assert deactivated.status_code == 200, deactivated.text

    def refused() -> PermanentError | None:
        try:
            adapter.author_created_at(leaving.credentials["did"])
        except PermanentError as error:
            return error
        return None

    error = bluesky_network.wait_for(refused, what="the AppView to see the deactivation")

    assert not isinstance(error, AuthError) and error.status == 404
    assert "AccountDeactivated" in error.detail
    with pytest.raises(PermanentError) as caught:
        adapter.author_created_at("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")  # nobody
    assert caught.value.status == 404
    assert me.adapter().profile().remote_id == me.credentials["did"]  # our account is fine
