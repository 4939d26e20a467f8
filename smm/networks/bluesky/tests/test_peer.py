"""BlueskyAdapter against a real local AT Protocol network (tests/peers/bluesky.py).

Write-path tests run on the PDS-only fallback too; the rest need the AppView and skip without it.
The AppView indexes records a moment after the PDS stores them, so reads are polled.
"""

from __future__ import annotations

import io
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from PIL import Image

from smm.networks.base import (
    AuthError,
    Capability,
    MediaItem,
    NotSupportedError,
    PermanentError,
    PostDraft,
)
from smm.networks.bluesky.adapter import TID, BlueskyAdapter
from smm.networks.bluesky.client import connect

from .standins import Reply, StandIn

pytestmark = pytest.mark.slow


def draft(text: str, **kwargs) -> PostDraft:
    return PostDraft(text=text, idempotency_key=BlueskyAdapter.new_idempotency_key(), **kwargs)


def get_record(network, uri: str) -> dict:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    response = network.xrpc(
        "GET", "com.atproto.repo.getRecord", params={"repo": repo, "collection": collection, "rkey": rkey}
    )
    assert response.status_code == 200, response.text
    return response.json()


def list_records(network, did: str, collection: str) -> list[dict]:
    response = network.xrpc("GET", "com.atproto.repo.listRecords", params={"repo": did, "collection": collection})
    assert response.status_code == 200, response.text
    return response.json()["records"]


def noisy_png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "PNG")
    return buffer.getvalue()


# Connecting ------------------------------------------------------------------------------------
def test_it_connects_with_an_app_password(bluesky_network):
    account = bluesky_network.create_account("conn")
    credentials, config = connect(f"@{account.handle}", account.app_password, bluesky_network.pds_url + "/")
    assert credentials["did"] == config["did"] == account.did
    assert credentials["identifier"] == config["handle"] == account.handle
    assert credentials["pds_url"] == config["pds_url"] == bluesky_network.pds_url
    assert credentials["app_password"] == account.app_password
    assert credentials["access_jwt"] and credentials["refresh_jwt"]
    assert config["limits"]["max_characters"] == 300


def test_it_refuses_a_wrong_app_password(bluesky_network):
    account = bluesky_network.create_account("wrong")
    with pytest.raises(AuthError) as caught:
        connect(account.handle, "aaaa-bbbb-cccc-dddd", bluesky_network.pds_url)
    assert "did not accept the app password" in caught.value.message


def test_it_refuses_an_unknown_handle(bluesky_network):
    with pytest.raises(PermanentError) as caught:
        connect("nobody-here.test", "aaaa-bbbb-cccc-dddd", bluesky_network.pds_url)
    assert "No Bluesky account has the handle nobody-here.test" in caught.value.message


def test_it_refuses_the_main_password_and_ends_that_session(bluesky_network):
    account = bluesky_network.create_account("main")
    with pytest.raises(PermanentError) as caught:
        connect(account.handle, account.password, bluesky_network.pds_url)
    assert "main password" in caught.value.message


# Sessions --------------------------------------------------------------------------------------
def test_two_adapters_reuse_the_stored_session(connect_account, recording_client):
    connected = connect_account("reuse")
    first = recording_client()
    second = recording_client()
    connected.adapter(http_client=first.client).publish(draft("first adapter"))
    connected.adapter(http_client=second.client).publish(draft("second adapter"))
    assert first.count("com.atproto.repo.createRecord") == second.count("com.atproto.repo.createRecord") == 1
    assert first.count("com.atproto.server.createSession") == second.count("com.atproto.server.createSession") == 0
    assert first.count("com.atproto.server.refreshSession") == second.count("com.atproto.server.refreshSession") == 0
    assert connected.saved == []


def test_it_refreshes_ahead_of_expiry_and_saves_the_new_tokens(connect_account, recording_client):
    connected = connect_account("refresh")
    recording = recording_client()
    adapter = connected.adapter(http_client=recording.client)
    # Access tokens live 2 hours; the library refreshes 15 minutes before they expire.
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1, minutes=50)):
        adapter.publish(draft("after a refresh"))
    assert recording.calls[:2] == ["com.atproto.server.refreshSession", "com.atproto.repo.createRecord"]
    assert recording.count("com.atproto.server.createSession") == 0
    assert len(connected.saved) == 1
    saved = connected.saved[0]
    assert saved["refresh_jwt"] and saved["refresh_jwt"] != connected.credentials["refresh_jwt"]
    # (The access token may come out identical: the PDS mints it from the same claims within a second.)
    assert {key: saved[key] for key in ("identifier", "app_password", "pds_url", "did")} == {
        key: connected.credentials[key] for key in ("identifier", "app_password", "pds_url", "did")
    }
    # The saved tokens work for the next adapter, with no new session.
    again = recording_client()
    BlueskyAdapter(credentials=saved, config=connected.config, http_client=again.client).publish(draft("reused"))
    assert again.calls == ["com.atproto.repo.createRecord"]


def test_it_logs_in_again_only_when_the_refresh_token_is_dead(bluesky_network, connect_account, recording_client):
    connected = connect_account("dead")
    revoked = bluesky_network.xrpc(
        "POST", "com.atproto.server.deleteSession", token=connected.credentials["refresh_jwt"]
    )
    assert revoked.status_code == 200, revoked.text
    recording = recording_client()
    adapter = connected.adapter(http_client=recording.client)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1, minutes=50)):
        adapter.publish(draft("after a new login"))
    assert recording.count("com.atproto.server.createSession") == 1
    assert recording.count("com.atproto.repo.createRecord") == 1
    assert connected.saved and all(saved["refresh_jwt"] for saved in connected.saved)


def test_it_raises_auth_error_once_the_app_password_is_revoked(bluesky_network, connect_account):
    connected = connect_account("revoked")
    response = bluesky_network.xrpc(
        "POST", "com.atproto.server.revokeAppPassword", token=connected.account.access_jwt, json={"name": "smm"}
    )
    assert response.status_code == 200, response.text
    adapter = connected.adapter()
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1, minutes=50)), pytest.raises(AuthError):
        adapter.publish(draft("never posted"))
    assert connected.saved == []


# Publishing ------------------------------------------------------------------------------------
def test_it_publishes_text_with_facets_and_language(bluesky_network, connect_account):
    alice = connect_account("alice")
    bob = bluesky_network.create_account("bob")
    text = f"Hyvää päivää @{bob.handle} ja @nobody.test! #kesä 👋🏽 https://example.com/ä"
    adapter = alice.adapter()
    published = adapter.publish(draft(text, language="fi"))
    assert published.remote_id.startswith(f"at://{alice.credentials['did']}/app.bsky.feed.post/")
    assert published.url.endswith("/post/" + published.remote_id.rsplit("/", 1)[1])
    record = get_record(bluesky_network, published.remote_id)["value"]
    assert record["text"] == text
    assert record["langs"] == ["fi"]
    encoded = text.encode()
    facets = [
        (encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode(), facet["features"][0])
        for facet in record["facets"]
    ]
    assert facets == [
        (f"@{bob.handle}", {"$type": "app.bsky.richtext.facet#mention", "did": bob.did}),
        ("#kesä", {"$type": "app.bsky.richtext.facet#tag", "tag": "kesä"}),
        ("https://example.com/ä", {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/%C3%A4"}),
    ]


def test_it_uses_the_idempotency_key_as_record_key_and_never_duplicates(
    bluesky_network, connect_account, recording_client
):
    connected = connect_account("idem")
    adapter = connected.adapter()
    attempt = draft("exactly once")
    assert TID.match(attempt.idempotency_key)
    first = adapter.publish(attempt)
    assert first.remote_id.endswith("/" + attempt.idempotency_key)
    # A retry of the same attempt (e.g. after UnknownOutcomeError): the PDS refuses the taken
    # record key, and the adapter answers with the post the first attempt made.
    recording = recording_client()
    retried = connected.adapter(http_client=recording.client).publish(attempt)
    assert recording.calls == ["com.atproto.repo.createRecord", "com.atproto.repo.getRecord"]
    assert retried.remote_id == first.remote_id
    assert retried.created_at is not None
    assert len(list_records(bluesky_network, connected.credentials["did"], "app.bsky.feed.post")) == 1


def test_it_publishes_images_with_alt_text_under_the_blob_limit(bluesky_network, connect_account):
    connected = connect_account("images")
    big = noisy_png(2400, 1600)
    small = Image.new("RGB", (30, 20), (10, 200, 10))
    buffer = io.BytesIO()
    small.save(buffer, "PNG")
    published = connected.adapter().publish(
        draft(
            "two pictures",
            media=(
                MediaItem(data=big, mime_type="image/png", alt_text="Noise, resized"),
                MediaItem(data=buffer.getvalue(), mime_type="image/png", alt_text="A green rectangle"),
            ),
        )
    )
    images = get_record(bluesky_network, published.remote_id)["value"]["embed"]["images"]
    assert [image["alt"] for image in images] == ["Noise, resized", "A green rectangle"]
    assert images[0]["image"]["mimeType"] == "image/jpeg" and images[0]["image"]["size"] <= 1_000_000
    ratio = images[0]["aspectRatio"]
    assert max(ratio["width"], ratio["height"]) <= 2000 and abs(ratio["width"] / ratio["height"] - 1.5) < 0.01
    assert images[1]["image"]["mimeType"] == "image/png"
    assert (images[1]["aspectRatio"]["width"], images[1]["aspectRatio"]["height"]) == (30, 20)
    blob = bluesky_network.xrpc(
        "GET",
        "com.atproto.sync.getBlob",
        params={"did": connected.credentials["did"], "cid": images[1]["image"]["ref"]["$link"]},
    )
    assert blob.content == buffer.getvalue()


def test_it_refuses_video_and_too_many_images_before_sending(connect_account):
    adapter = connect_account("novideo").adapter()
    with pytest.raises(NotSupportedError):
        adapter.publish(draft("clip", media=(MediaItem(data=b"x", mime_type="video/mp4"),)))
    picture = MediaItem(data=b"x", mime_type="image/png")
    with pytest.raises(PermanentError):
        adapter.publish(draft("five", media=(picture,) * 5))
    with pytest.raises(PermanentError):
        adapter.publish(draft("x" * 301))


def test_it_publishes_a_link_card_for_the_first_link(bluesky_network, connect_account):
    card = io.BytesIO()
    Image.new("RGB", (1200, 630), (0, 0, 200)).save(card, "PNG")
    page = (
        b'<html><head><meta property="og:title" content="Local page"><meta property="og:description" '
        b'content="Served on 127.0.0.1"><meta property="og:image" content="/card.png"></head></html>'
    )
    with StandIn() as site:
        site.routes["/page"] = Reply(200, page, content_type="text/html")
        site.routes["/card.png"] = Reply(200, card.getvalue(), content_type="image/png")
        published = connect_account("card").adapter().publish(draft(f"Read {site.url}/page and {site.url}/other"))
    embed = get_record(bluesky_network, published.remote_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    assert embed["external"]["uri"] == f"{site.url}/page"
    assert embed["external"]["title"] == "Local page"
    assert embed["external"]["description"] == "Served on 127.0.0.1"
    assert embed["external"]["thumb"]["mimeType"] == "image/png"


def test_it_publishes_without_a_card_when_the_page_fails(bluesky_network, connect_account):
    with StandIn() as site:
        site.routes["/broken"] = Reply(500, b"oops", content_type="text/html")
        published = connect_account("nocard").adapter().publish(draft(f"Broken {site.url}/broken"))
    record = get_record(bluesky_network, published.remote_id)["value"]
    assert "embed" not in record
    assert record["facets"][0]["features"][0]["uri"] == f"{site.url}/broken"


def test_it_publishes_threads_with_root_and_parent_references(bluesky_network, connect_account):
    adapter = connect_account("thread").adapter()
    root = adapter.publish(draft("1/3"))
    second = adapter.publish(draft("2/3", reply_to=root.remote_id))
    third = adapter.publish(draft("3/3", reply_to=second.remote_id))
    reply = get_record(bluesky_network, third.remote_id)["value"]["reply"]
    assert reply["root"]["uri"] == root.remote_id
    assert reply["parent"]["uri"] == second.remote_id
    assert reply["root"]["cid"] == get_record(bluesky_network, root.remote_id)["cid"]


def test_it_deletes_a_post(bluesky_network, connect_account):
    adapter = connect_account("delete").adapter()
    published = adapter.publish(draft("short-lived"))
    adapter.delete(published.remote_id)
    repo, _collection, rkey = published.remote_id.removeprefix("at://").split("/")
    response = bluesky_network.xrpc(
        "GET", "com.atproto.repo.getRecord", params={"repo": repo, "collection": "app.bsky.feed.post", "rkey": rkey}
    )
    assert response.status_code == 400
    adapter.delete(published.remote_id)  # deleting again is not an error


def test_it_does_not_delete_other_peoples_posts(connect_account):
    theirs = connect_account("theirs").adapter().publish(draft("mine"))
    with pytest.raises(NotSupportedError):
        connect_account("ours").adapter().delete(theirs.remote_id)


def test_it_likes_reposts_and_blocks(bluesky_network, connect_account):
    author = connect_account("author")
    fan = connect_account("fan")
    post = author.adapter().publish(draft("like me"))
    adapter = fan.adapter()
    adapter.like(post.remote_id)
    adapter.boost(post.remote_id)
    adapter.block(author.account.handle)
    did = fan.credentials["did"]
    [like] = list_records(bluesky_network, did, "app.bsky.feed.like")
    [repost] = list_records(bluesky_network, did, "app.bsky.feed.repost")
    [block] = list_records(bluesky_network, did, "app.bsky.graph.block")
    assert like["value"]["subject"]["uri"] == repost["value"]["subject"]["uri"] == post.remote_id
    assert like["value"]["subject"]["cid"] == get_record(bluesky_network, post.remote_id)["cid"]
    assert block["value"]["subject"] == author.credentials["did"]


# Reading (needs the AppView) -------------------------------------------------------------------
def test_it_reads_own_posts_with_counts_and_a_cursor(bluesky_network, connect_account):
    bluesky_network.require_appview()
    author = connect_account("feed")
    other = connect_account("other")
    adapter = author.adapter()
    posts = [adapter.publish(draft(f"post {number}")) for number in range(3)]
    target = posts[-1].remote_id
    fan = other.adapter()
    fan.like(target)
    fan.boost(target)
    fan.publish(draft("a reply", reply_to=target))
    adapter.boost(f"{target}")  # our own repost of our post is not a post of ours in the list

    def counted():
        page = adapter.own_posts(limit=10)
        newest = next((post for post in page.items if post.remote_id == target), None)
        return page if newest and newest.counts == {"likes": 1, "reposts": 2, "replies": 1, "quotes": 0} else None

    page = bluesky_network.wait_for(counted, what="like, repost and reply counts")
    assert [post.text for post in page.items] == ["post 2", "post 1", "post 0"]
    assert page.items[0].author_handle == author.account.handle
    assert page.items[0].created_at is not None

    # Paging: the repost takes a slot of the page, so pages may hold fewer than `limit` posts.
    texts, cursor, pages = [], None, 0
    while pages == 0 or cursor:
        page = adapter.own_posts(limit=2, cursor=cursor)
        texts += [post.text for post in page.items]
        cursor, pages = page.cursor, pages + 1
        assert pages < 5
    assert texts == ["post 2", "post 1", "post 0"] and pages >= 2


def test_it_lists_notifications_by_kind(bluesky_network, connect_account):
    bluesky_network.require_appview()
    me = connect_account("me")
    them = connect_account("them")
    mine = me.adapter().publish(draft("notice me"))
    adapter = them.adapter()
    adapter.like(mine.remote_id)
    adapter.boost(mine.remote_id)
    adapter.publish(draft("a reply to you", reply_to=mine.remote_id))
    adapter.publish(draft(f"hello @{me.account.handle}"))
    follow = bluesky_network.xrpc(
        "POST",
        "com.atproto.repo.createRecord",
        token=them.account.access_jwt,
        json={
            "repo": them.credentials["did"],
            "collection": "app.bsky.graph.follow",
            "record": {"subject": me.credentials["did"], "createdAt": datetime.now(UTC).isoformat()},
        },
    )
    assert follow.status_code == 200, follow.text
    expected = {"like", "repost", "reply", "mention", "follow"}
    page = bluesky_network.wait_for(
        lambda: (page := me.adapter().notifications()) and {item.kind for item in page.items} == expected and page,
        what="five notifications",
    )
    by_kind = {item.kind: item for item in page.items}
    assert all(item.author_handle == them.account.handle for item in page.items)
    assert by_kind["like"].post.remote_id == mine.remote_id and by_kind["like"].post.text == "notice me"
    assert by_kind["repost"].post.remote_id == mine.remote_id
    assert by_kind["reply"].post.text == "a reply to you" and by_kind["reply"].post.reply_to == mine.remote_id
    assert by_kind["mention"].post.text == f"hello @{me.account.handle}"
    assert by_kind["follow"].post is None
    assert all(item.created_at is not None for item in page.items)


def test_it_searches_posts(bluesky_network, connect_account):
    bluesky_network.require_appview()
    word = f"needle{int(time.time() * 1000)}"
    connect_account("search").adapter().publish(draft(f"find the {word} here"))
    searcher = connect_account("seeker").adapter()
    found = bluesky_network.wait_for(lambda: searcher.search(word), what="the post in search")
    assert [post.text for post in found] == [f"find the {word} here"]


def test_it_reads_the_profile(bluesky_network, connect_account):
    bluesky_network.require_appview()
    connected = connect_account("profile")
    adapter = connected.adapter()
    adapter.publish(draft("one post"))
    profile = bluesky_network.wait_for(
        lambda: (profile := adapter.profile()).posts_count == 1 and profile, what="the post count"
    )
    assert profile.remote_id == connected.credentials["did"]
    assert profile.handle == connected.account.handle
    assert profile.followers_count == 0 and profile.following_count == 0
    assert profile.url.endswith(f"/profile/{connected.account.handle}")


def test_it_mutes(bluesky_network, connect_account):
    bluesky_network.require_appview()
    muter = connect_account("muter")
    noisy = connect_account("noisy")
    muter.adapter().mute(noisy.account.handle)
    mutes = bluesky_network.xrpc("GET", "app.bsky.graph.getMutes", token=muter.account.access_jwt).json()
    assert [actor["did"] for actor in mutes["mutes"]] == [noisy.credentials["did"]]


def test_it_declares_what_it_can_do(connect_account):
    adapter = connect_account("caps").adapter()
    assert adapter.supports(Capability.PUBLISH_IMAGES) and adapter.supports(Capability.BOOST)
    assert adapter.supports(Capability.HIDE) and adapter.supports(Capability.REPORT)  # threadgate, createReport
    assert not adapter.supports(Capability.PUBLISH_VIDEO)
    assert not adapter.supports(Capability.DELETE_OTHERS)
    # The network has DMs, but this app password was made without DM access (test_chat_peer.py).
    assert adapter.supports(Capability.DIRECT_MESSAGES)
    assert list(adapter.unavailable_capabilities(adapter.config)) == [Capability.DIRECT_MESSAGES]
    limits = adapter.limits()
    assert (limits.max_characters, limits.max_images, limits.image_max_bytes, limits.alt_text_max_characters) == (
        300,
        4,
        1_000_000,
        2000,
    )
    assert limits.count("👋🏽" * 300) == 300


def test_workers_refreshing_at_once_spend_the_refresh_token_only_once(connect_account, recording_client, personas):
    """Two workers hold the same stored tokens; the second waits for the account's refresh lock and
    then uses the tokens the first one stored, instead of spending the rotated refresh token again."""
    from smm.networks import services
    from smm.networks.base import Profile

    connected = connect_account("serial")
    account = services.account_connect(
        workspace=personas.workspace,
        network="bluesky",
        profile=Profile(remote_id=connected.credentials["did"], handle=connected.config["handle"]),
        credentials=connected.credentials,
        config=connected.config,
        actor_membership=personas.membership(personas.owner),
    )

    def worker(recording):
        return BlueskyAdapter(
            credentials=account.credentials,
            config=account.config,
            save_credentials=lambda fresh: services.account_save_credentials(account=account, credentials=fresh),
            refresh_guard=lambda: services.account_refresh_guard(account_id=account.pk),
            http_client=recording.client,
        )

    first_calls, second_calls = recording_client(), recording_client()
    first, second = worker(first_calls), worker(second_calls)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1, minutes=50)):
        first.publish(draft("from the first worker"))
        second.publish(draft("from the second worker"))
    assert first_calls.count("com.atproto.server.refreshSession") == 1
    assert second_calls.count("com.atproto.server.refreshSession") == 0
    assert second_calls.count("com.atproto.repo.createRecord") == 1
    account.refresh_from_db()
    assert account.credentials["refresh_jwt"] != connected.credentials["refresh_jwt"]
