"""What the unified inbox asks of BlueskyAdapter, against the real local AT Protocol network.

One account is "ours" (connected with an app password, as the connect form does); others reply,
mention, get blocked, muted, reported and hidden. What the adapter did is checked on the network
itself with plain XRPC: records in the repositories, the AppView's views, Ozone's report queue.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from PIL import Image

from smm.networks.base import Capability, NotSupportedError, PermanentError, PostDraft, Thread
from smm.networks.bluesky.adapter import BlueskyAdapter

pytestmark = pytest.mark.slow


def draft(text: str, **kwargs) -> PostDraft:
    return PostDraft(text=text, idempotency_key=BlueskyAdapter.new_idempotency_key(), **kwargs)


def rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[1]


def records(network, did: str, collection: str) -> list[dict]:
    response = network.xrpc("GET", "com.atproto.repo.listRecords", params={"repo": did, "collection": collection})
    assert response.status_code == 200, response.text
    return response.json()["records"]


def threadgate(network, root_uri: str) -> dict | None:
    did = root_uri.removeprefix("at://").split("/")[0]
    response = network.xrpc(
        "GET",
        "com.atproto.repo.getRecord",
        params={"repo": did, "collection": "app.bsky.feed.threadgate", "rkey": rkey(root_uri)},
    )
    return response.json()["value"] if response.status_code == 200 else None


def indexed(network, viewer, *uris: str) -> dict[str, dict]:
    """The AppView's post views of `uris` as `viewer` sees them, once it has indexed them all."""

    def check():
        response = network.xrpc("GET", "app.bsky.feed.getPosts", token=viewer.access_jwt, params={"uris": list(uris)})
        posts = {post["uri"]: post for post in response.json().get("posts", [])}
        return posts if set(posts) == set(uris) else None

    return network.wait_for(check, what=f"the AppView to index {len(uris)} posts")


def thread_if(adapter, uri: str, wanted: Callable[[Thread], bool]) -> Thread | None:
    try:
        thread = adapter.thread(uri)
    except PermanentError as error:
        if "NotFound" in error.detail:
            return None  # not indexed by the AppView yet (it trails the PDS)
        raise
    return thread if wanted(thread) else None


def thread_when_indexed(network, adapter, uri: str, *, ancestors: int) -> Thread:
    """adapter.thread(uri) once the AppView shows the expected number of parents."""
    return network.wait_for(
        lambda: thread_if(adapter, uri, lambda thread: len(thread.ancestors) == ancestors),
        what=f"a thread with {ancestors} parents",
    )


def test_it_declares_what_bluesky_can_do_in_the_inbox():
    capabilities = BlueskyAdapter.capabilities
    assert {Capability.READ_INBOX, Capability.REPLY, Capability.LIKE, Capability.BOOST} <= capabilities
    assert {Capability.BLOCK, Capability.MUTE, Capability.REPORT, Capability.HIDE} <= capabilities
    assert Capability.DELETE_OTHERS not in capabilities
    # Through chat.bsky, which app passwords reach only when made with DM access (test_chat.py).
    assert Capability.DIRECT_MESSAGES in capabilities and BlueskyAdapter.chat


# Threads -----------------------------------------------------------------------------------------
def test_it_reads_a_thread_up_to_its_root(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, them = connect_account("me"), connect_account("them")
    ours, theirs = me.adapter(), them.adapter()
    root = ours.publish(draft("Our launch post"))
    question = theirs.publish(draft("When does it ship?", reply_to=root.remote_id))
    answer = ours.publish(draft("Tomorrow!", reply_to=question.remote_id))
    thanks = theirs.publish(draft("Thanks", reply_to=answer.remote_id))

    thread = thread_when_indexed(bluesky_network, ours, thanks.remote_id, ancestors=3)

    assert thread.complete
    assert [post.remote_id for post in thread.ancestors] == [root.remote_id, question.remote_id, answer.remote_id]
    assert thread.root.remote_id == root.remote_id and thread.root.thread_root is None
    post = thread.post
    assert (post.remote_id, post.text, post.reply_to, post.thread_root) == (
        thanks.remote_id,
        "Thanks",
        answer.remote_id,
        root.remote_id,  # every Bluesky reply names its thread's root
    )
    assert (post.author_id, post.author_handle, post.visibility) == (
        them.credentials["did"],
        them.account.handle,
        "public",
    )
    assert post.author_url.endswith(f"/profile/{them.account.handle}")
    assert thread.ancestors[1].author_id == them.credentials["did"]
    started = ours.thread(root.remote_id)  # a post that starts a thread is its own root
    assert (started.root.remote_id, started.post.remote_id, started.ancestors, started.complete) == (
        root.remote_id,
        root.remote_id,
        [],
        True,
    )


def test_it_stops_a_thread_at_a_deleted_parent_and_still_finds_the_root(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, them = connect_account("me"), connect_account("them")
    ours, theirs = me.adapter(), them.adapter()
    root = ours.publish(draft("Our post"))
    gone = theirs.publish(draft("A reply they will delete", reply_to=root.remote_id))
    reply = theirs.publish(draft("A reply to that", reply_to=gone.remote_id))
    thread_when_indexed(bluesky_network, ours, reply.remote_id, ancestors=2)
    theirs.delete(gone.remote_id)

    thread = bluesky_network.wait_for(
        lambda: thread_if(ours, reply.remote_id, lambda thread: not thread.ancestors),
        what="the AppView to forget the deleted parent",
    )

    assert not thread.complete
    assert thread.post.remote_id == reply.remote_id
    assert thread.root.remote_id == root.remote_id  # read on its own, from the reply's root ref


def test_it_stops_a_thread_at_a_blocked_parent(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, troll, them = connect_account("me"), connect_account("troll"), connect_account("them")
    ours = me.adapter()
    root = ours.publish(draft("Our post"))
    rude = troll.adapter().publish(draft("Something rude", reply_to=root.remote_id))
    reply = them.adapter().publish(draft("That was rude", reply_to=rude.remote_id))
    thread_when_indexed(bluesky_network, ours, reply.remote_id, ancestors=2)
    ours.block(troll.account.handle)

    thread = bluesky_network.wait_for(
        lambda: thread_if(ours, reply.remote_id, lambda thread: not thread.ancestors),
        what="the AppView to apply the block",
    )

    assert not thread.complete
    assert (thread.post.remote_id, thread.root.remote_id) == (reply.remote_id, root.remote_id)


# Notifications -----------------------------------------------------------------------------------
def set_avatar(network, account) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(picture, "PNG")
    uploaded = network.xrpc(
        "POST",
        "com.atproto.repo.uploadBlob",
        token=account.access_jwt,
        content=picture.getvalue(),
        headers={"content-type": "image/png"},
    )
    assert uploaded.status_code == 200, uploaded.text
    profile = {"$type": "app.bsky.actor.profile", "displayName": "Them T", "avatar": uploaded.json()["blob"]}
    response = network.xrpc(
        "POST",
        "com.atproto.repo.putRecord",
        token=account.access_jwt,
        json={"repo": account.did, "collection": "app.bsky.actor.profile", "rkey": "self", "record": profile},
    )
    assert response.status_code == 200, response.text


def test_it_gives_notifications_their_authors(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, them = connect_account("me"), connect_account("them")
    set_avatar(bluesky_network, them.account)
    root = me.adapter().publish(draft("Hello"))
    # The dev AppView works out whom a reply notifies from the parent it has indexed: a reply
    # indexed before its parent notifies nobody. So the parent must be indexed first.
    indexed(bluesky_network, me.account, root.remote_id)
    reply = them.adapter().publish(draft("Hi there", reply_to=root.remote_id))

    notification = bluesky_network.wait_for(
        lambda: next(
            (item for item in me.adapter().notifications().items if item.author_avatar_url and item.kind == "reply"),
            None,
        ),
        what="the reply notification with the author's avatar",
    )

    did = them.credentials["did"]
    assert (notification.author_id, notification.author_handle, notification.author_display_name) == (
        did,
        them.account.handle,
        "Them T",
    )
    assert did in notification.author_avatar_url  # the AppView's image proxy: .../avatar/plain/<did>/<cid>
    assert notification.author_url.endswith(f"/profile/{them.account.handle}")
    post = notification.post
    assert (post.remote_id, post.author_id, post.author_avatar_url) == (
        reply.remote_id,
        did,
        notification.author_avatar_url,
    )
    assert (post.reply_to, post.thread_root, post.visibility) == (root.remote_id, root.remote_id, "public")


def test_it_stops_at_since_id(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, them = connect_account("me"), connect_account("them")
    theirs = them.adapter()
    theirs.publish(draft(f"first @{me.account.handle}"))
    adapter = me.adapter()
    [known] = bluesky_network.wait_for(lambda: adapter.notifications().items, what="the first mention")
    theirs.publish(draft(f"second @{me.account.handle}"))
    theirs.publish(draft(f"third @{me.account.handle}"))

    page = bluesky_network.wait_for(
        lambda: (page := adapter.notifications(since_id=known.remote_id)) and len(page.items) == 2 and page,
        what="two newer mentions",
    )

    assert [item.post.text for item in page.items] == [f"third @{me.account.handle}", f"second @{me.account.handle}"]
    assert page.cursor is None  # it met the known one: nothing older is wanted


# Replying, liking, boosting -----------------------------------------------------------------------
def test_it_replies_under_the_root_of_someone_elses_reply(bluesky_network, connect_account):
    me, them = connect_account("me"), connect_account("them")
    ours = me.adapter()
    root = ours.publish(draft("Our post"))
    question = them.adapter().publish(draft("A question", reply_to=root.remote_id))

    answer = ours.publish(draft("An answer", reply_to=question.remote_id))

    response = bluesky_network.xrpc(
        "GET",
        "com.atproto.repo.getRecord",
        params={"repo": me.credentials["did"], "collection": "app.bsky.feed.post", "rkey": rkey(answer.remote_id)},
    )
    reply = response.json()["value"]["reply"]
    assert (reply["root"]["uri"], reply["parent"]["uri"]) == (root.remote_id, question.remote_id)


def test_it_unlikes_and_unboosts(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, them = connect_account("me"), connect_account("them")
    post = them.adapter().publish(draft("Like and repost me"))
    adapter = me.adapter()
    adapter.like(post.remote_id)
    adapter.boost(post.remote_id)
    did = me.credentials["did"]
    assert len(records(bluesky_network, did, "app.bsky.feed.like")) == 1
    bluesky_network.wait_for(
        lambda: (
            (viewer := indexed(bluesky_network, me.account, post.remote_id)[post.remote_id]["viewer"]).get("like")
            and viewer.get("repost")
        ),
        what="the AppView to see our like and repost",
    )

    adapter.unlike(post.remote_id)
    adapter.unboost(post.remote_id)
    adapter.unlike(post.remote_id)  # nothing left to undo: not an error

    assert records(bluesky_network, did, "app.bsky.feed.like") == []
    assert records(bluesky_network, did, "app.bsky.feed.repost") == []


# Moderation --------------------------------------------------------------------------------------
def test_it_unblocks_even_a_block_made_twice(bluesky_network, connect_account):
    me, them, other = connect_account("me"), connect_account("them"), connect_account("other")
    adapter = me.adapter()
    adapter.block(them.account.handle)
    adapter.block(them.credentials["did"])  # the reference PDS replaces the first one
    adapter.block(other.credentials["did"])
    did = me.credentials["did"]
    assert len(records(bluesky_network, did, "app.bsky.graph.block")) == 2
    # A PDS that does not (here: unvalidated, so the reference PDS skips that) keeps both.
    twice = bluesky_network.xrpc(
        "POST",
        "com.atproto.repo.createRecord",
        token=me.account.access_jwt,
        json={
            "repo": did,
            "collection": "app.bsky.graph.block",
            "validate": False,
            "record": {
                "$type": "app.bsky.graph.block",
                "subject": them.credentials["did"],
                "createdAt": datetime.now(UTC).isoformat(),
            },
        },
    )
    assert twice.status_code == 200, twice.text
    assert len(records(bluesky_network, did, "app.bsky.graph.block")) == 3

    adapter.unblock(them.credentials["did"])

    [left] = records(bluesky_network, did, "app.bsky.graph.block")
    assert left["value"]["subject"] == other.credentials["did"]


def test_it_unmutes(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, them = connect_account("me"), connect_account("them")
    adapter = me.adapter()
    adapter.mute(them.account.handle)
    mutes = bluesky_network.xrpc("GET", "app.bsky.graph.getMutes", token=me.account.access_jwt).json()["mutes"]
    assert [actor["did"] for actor in mutes] == [them.credentials["did"]]

    adapter.unmute(them.credentials["did"])

    assert bluesky_network.xrpc("GET", "app.bsky.graph.getMutes", token=me.account.access_jwt).json()["mutes"] == []


def reports_about(network, subject: str) -> list[dict]:
    response = network.moderation_xrpc(
        "GET",
        "tools.ozone.moderation.queryEvents",
        params={"subject": subject, "types": ["tools.ozone.moderation.defs#modEventReport"]},
    )
    assert response.status_code == 200, response.text
    return response.json()["events"]


def test_it_reports_a_post_and_an_account_to_the_moderation_service(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, spammer = connect_account("me"), connect_account("spammer")
    spam = spammer.adapter().publish(draft("Cheap watches!"))
    gone = spammer.adapter().publish(draft("More cheap watches!"))
    spammer.adapter().delete(gone.remote_id)
    adapter = me.adapter()
    did = spammer.credentials["did"]

    adapter.report(remote_id=spam.remote_id, author_id=did, reason="Advertising in our replies", category="spam")
    adapter.report(remote_id=None, author_id=spammer.account.handle, reason="Keeps insulting us", category="rude")
    adapter.report(remote_id=gone.remote_id, author_id=did, reason="Deleted already", category="other")

    [post_report] = reports_about(bluesky_network, spam.remote_id)
    assert post_report["event"]["reportType"] == "com.atproto.moderation.defs#reasonSpam"
    assert post_report["event"]["comment"] == "Advertising in our replies"
    assert post_report["subject"]["cid"]  # a strong ref: exactly the version we saw
    assert post_report["createdBy"] == me.credentials["did"]
    account_reports = reports_about(bluesky_network, did)
    assert sorted((event["event"]["reportType"], event["event"]["comment"]) for event in account_reports) == [
        ("com.atproto.moderation.defs#reasonOther", "Deleted already"),  # the post was gone: its author
        ("com.atproto.moderation.defs#reasonRude", "Keeps insulting us"),
    ]


def replies_notified(adapter) -> set[str]:
    return {item.post.remote_id for item in adapter.notifications().items if item.kind == "reply" and item.post}


def test_it_hides_and_unhides_replies_keeping_who_may_reply(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me, them, other = connect_account("me"), connect_account("them"), connect_account("other")
    ours = me.adapter()
    root = ours.publish(draft("Our post"))
    indexed(bluesky_network, me.account, root.remote_id)  # see test_it_gives_notifications_their_authors
    rude = them.adapter().publish(draft("A rude reply", reply_to=root.remote_id))
    kind = other.adapter().publish(draft("A kind reply", reply_to=root.remote_id))
    bluesky_network.wait_for(
        lambda: replies_notified(ours) == {rude.remote_id, kind.remote_id}, what="both replies notified"
    )
    # Then replies get limited (to people mentioned and people we follow): that must stay.
    rules = [
        {"$type": "app.bsky.feed.threadgate#mentionRule"},
        {"$type": "app.bsky.feed.threadgate#followingRule"},
    ]
    created = bluesky_network.xrpc(
        "POST",
        "com.atproto.repo.createRecord",
        token=me.account.access_jwt,
        json={
            "repo": me.credentials["did"],
            "collection": "app.bsky.feed.threadgate",
            "rkey": rkey(root.remote_id),
            "record": {"post": root.remote_id, "createdAt": datetime.now(UTC).isoformat(), "allow": rules},
        },
    )
    assert created.status_code == 200, created.text

    ours.hide_reply(rude.remote_id, root.remote_id)
    ours.hide_reply(kind.remote_id, root.remote_id)
    ours.hide_reply(rude.remote_id, root.remote_id)  # already hidden: unchanged
    ours.unhide_reply(kind.remote_id, root.remote_id)

    gate = threadgate(bluesky_network, root.remote_id)
    assert gate is not None
    assert gate["hiddenReplies"] == [rude.remote_id]
    assert gate["allow"] == rules and gate["post"] == root.remote_id
    # The AppView honours it: the hidden reply no longer notifies us, the other one still does.
    bluesky_network.wait_for(
        lambda: replies_notified(ours) == {kind.remote_id}, what="the AppView to leave out the hidden reply"
    )


def test_it_makes_a_threadgate_to_hide_a_reply_where_there_was_none(bluesky_network, connect_account):
    me, them = connect_account("me"), connect_account("them")
    ours = me.adapter()
    root = ours.publish(draft("Our post"))
    reply = them.adapter().publish(draft("Hidden soon", reply_to=root.remote_id))
    ours.unhide_reply(reply.remote_id, root.remote_id)  # nothing hidden, nothing made
    assert threadgate(bluesky_network, root.remote_id) is None

    ours.hide_reply(reply.remote_id, root.remote_id)

    gate = threadgate(bluesky_network, root.remote_id)
    assert gate is not None
    assert gate["hiddenReplies"] == [reply.remote_id] and gate["post"] == root.remote_id
    assert "allow" not in gate  # no allow rules: everyone may still reply


def test_it_cannot_hide_replies_in_someone_elses_thread(connect_account):
    me, them = connect_account("me"), connect_account("them")
    root = them.adapter().publish(draft("Their post"))
    reply = me.adapter().publish(draft("Our reply", reply_to=root.remote_id))

    with pytest.raises(NotSupportedError):
        me.adapter().hide_reply(reply.remote_id, root.remote_id)


def hide_as_another_writer(network, account, root_uri: str, reply_uri: str) -> None:
    """A teammate (or the Bluesky app) hides a reply at the same time, with the main session."""
    current = threadgate(network, root_uri)
    record = current or {
        "$type": "app.bsky.feed.threadgate",
        "post": root_uri,
        "createdAt": datetime.now(UTC).isoformat(),
    }
    record = {**record, "hiddenReplies": [*record.get("hiddenReplies", []), reply_uri]}
    response = network.xrpc(
        "POST",
        "com.atproto.repo.putRecord",
        token=account.access_jwt,
        json={"repo": account.did, "collection": "app.bsky.feed.threadgate", "rkey": rkey(root_uri), "record": record},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("gate_before", [False, True], ids=["both-create-it", "both-edit-it"])
def test_it_hides_a_reply_while_someone_else_changes_the_threadgate(bluesky_network, connect_account, gate_before):
    me, them, other = connect_account("me"), connect_account("them"), connect_account("other")
    ours = me.adapter()
    root = ours.publish(draft("Our post"))
    first = them.adapter().publish(draft("One", reply_to=root.remote_id))
    second = other.adapter().publish(draft("Two", reply_to=root.remote_id))
    if gate_before:
        ours.hide_reply(first.remote_id, root.remote_id)
        ours.unhide_reply(first.remote_id, root.remote_id)
    read = ours._threadgate
    reads: list[dict | None] = []

    def raced(record_key):
        # Between the adapter's read and its write, the other writer changes the record.
        seen = read(record_key)
        if not reads:
            hide_as_another_writer(bluesky_network, me.account, root.remote_id, first.remote_id)
        reads.append(seen)
        return seen

    ours._threadgate = raced
    ours.hide_reply(second.remote_id, root.remote_id)

    assert len(reads) >= 2  # the write was refused once (taken record key / stale swap), then redone
    gate = threadgate(bluesky_network, root.remote_id)
    assert gate is not None
    assert gate["hiddenReplies"] == [first.remote_id, second.remote_id]  # neither writer's change is lost
