"""MastodonAdapter against mastodon_mock, every exchange checked against the Mastodon OpenAPI spec."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
import requests
from PIL import Image

from smm.networks.base import (
    AuthError,
    Capability,
    Limits,
    MediaItem,
    PermanentError,
    PostDraft,
)
from smm.networks.mastodon.adapter import MastodonAdapter
from tests.peers.contract import ContractRecorder
from tests.peers.mastodon import MastodonMockServer

from .conftest import MakeAdapter


def png(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    return buffer.getvalue()


def draft(text: str, key: str = "", **fields: object) -> PostDraft:
    return PostDraft(text=text, idempotency_key=key or MastodonAdapter.new_idempotency_key(), **fields)  # type: ignore[arg-type]


def test_it_declares_what_mastodon_can_do() -> None:
    assert MastodonAdapter.network == "mastodon"
    assert MastodonAdapter.label == "Mastodon"
    assert Capability.DIRECT_MESSAGES in MastodonAdapter.capabilities
    assert Capability.REPORT in MastodonAdapter.capabilities
    assert Capability.HIDE not in MastodonAdapter.capabilities  # no API hides a reply
    assert Capability.DELETE_OTHERS not in MastodonAdapter.capabilities  # only moderators can


def test_it_publishes_text(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice = mastodon_server.create_user("alice")
    adapter = make_adapter(alice)

    published = adapter.publish(draft("Hello from smm & friends <3"))

    status = mastodon_server.client(alice).status(published.remote_id)
    assert status.content == "<p>Hello from smm &amp; friends &lt;3</p>"
    assert status.visibility == "public"
    assert published.url == status.url
    assert published.created_at is not None and published.created_at.utcoffset() is not None


def test_it_publishes_an_image_with_alt_text(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice = mastodon_server.create_user("alice")
    adapter = make_adapter(alice)
    image = MediaItem(data=png(), mime_type="image/png", alt_text="A red square", filename="square")

    published = adapter.publish(draft("With a picture", media=(image,)))

    attachments = mastodon_server.client(alice).status(published.remote_id).media_attachments
    assert [(media.type, media.description) for media in attachments] == [("image", "A red square")]


def test_it_publishes_a_video(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice = mastodon_server.create_user("alice")
    video = MediaItem(data=b"\x00\x00\x00\x18ftypmp42" + bytes(64), mime_type="video/mp4", alt_text="A clip")

    published = make_adapter(alice).publish(draft("With a clip", media=(video,)))

    attachments = mastodon_server.client(alice).status(published.remote_id).media_attachments
    assert [(media.type, media.description) for media in attachments] == [("video", "A clip")]


def test_it_publishes_with_content_warning_visibility_and_language(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter
) -> None:
    alice = mastodon_server.create_user("alice")

    published = make_adapter(alice).publish(
        draft("Spoilers ahead", content_warning="Film plot", visibility="unlisted", language="fi")
    )

    status = mastodon_server.client(alice).status(published.remote_id)
    assert (status.spoiler_text, status.visibility, status.language) == ("Film plot", "unlisted", "fi")


def test_it_refuses_an_unknown_visibility(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    adapter = make_adapter(mastodon_server.create_user("alice"))

    with pytest.raises(PermanentError):
        adapter.publish(draft("Hi", visibility="friends-only"))


def test_it_replies_in_a_thread(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice = mastodon_server.create_user("alice")
    adapter = make_adapter(alice)

    first = adapter.publish(draft("1/2 A thread"))
    second = adapter.publish(draft("2/2 The end", reply_to=first.remote_id))

    context = mastodon_server.client(alice).status_context(first.remote_id)
    assert [str(status.id) for status in context.descendants] == [second.remote_id]


def test_it_publishes_once_per_idempotency_key(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice = mastodon_server.create_user("alice")
    adapter = make_adapter(alice)

    first = adapter.publish(draft("Only once", key="attempt-1"))
    again = adapter.publish(draft("Only once", key="attempt-1"))
    other = adapter.publish(draft("Only once", key="attempt-2"))

    assert again.remote_id == first.remote_id
    assert other.remote_id != first.remote_id
    assert len(mastodon_server.client(alice).account_statuses(alice.id)) == 2


def test_it_maps_a_refused_post_to_a_permanent_error(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(mastodon_server.create_user("alice"))

    with pytest.raises(PermanentError) as caught:
        adapter.publish(draft("x" * 501))

    assert caught.value.status == 422
    assert caught.value.detail  # the server's own words


def test_it_deletes_a_post(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice = mastodon_server.create_user("alice")
    adapter = make_adapter(alice)
    published = adapter.publish(draft("Short-lived"))

    adapter.delete(published.remote_id)
    adapter.delete(published.remote_id)  # already gone: counts as deleted

    assert list(mastodon_server.client(alice).account_statuses(alice.id)) == []


def test_it_reads_own_posts_with_counts(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    adapter = make_adapter(alice)
    older = adapter.publish(draft("Older post"))
    newer = adapter.publish(draft("Newer post with <b>markup</b>"))
    other = mastodon_server.client(bob)
    other.status_favourite(newer.remote_id)
    other.status_reblog(newer.remote_id)
    other.status_post(f"@{alice.username} nice", in_reply_to_id=newer.remote_id)

    first_page = adapter.own_posts(limit=1)
    second_page = adapter.own_posts(limit=1, cursor=first_page.cursor)

    [post] = first_page.items
    assert post.remote_id == newer.remote_id
    assert post.text == "Newer post with <b>markup</b>"
    assert post.raw_html == "<p>Newer post with &lt;b&gt;markup&lt;/b&gt;</p>"
    assert post.counts == {"likes": 1, "reposts": 1, "replies": 1}
    assert post.author_handle.startswith(f"@{alice.username}@")
    assert post.created_at is not None and post.created_at.utcoffset() is not None
    assert [item.remote_id for item in second_page.items] == [older.remote_id]


def test_it_reads_notifications(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob", display_name="Bob B")
    adapter = make_adapter(alice)
    post = adapter.publish(draft("Anyone there?"))
    other = mastodon_server.client(bob)
    other.account_follow(alice.id)
    other.status_favourite(post.remote_id)
    other.status_reblog(post.remote_id)
    other.status_post(f"@{alice.username} hello there")
    other.status_post(f"@{alice.username} yes!", in_reply_to_id=post.remote_id)
    other.status_post(f"@{alice.username} psst", visibility="direct")

    page = adapter.notifications()

    kinds = [(item.kind, item.author_id, item.author_display_name) for item in page.items]
    assert kinds == [
        ("direct", bob.id, "Bob B"),
        ("reply", bob.id, "Bob B"),
        ("mention", bob.id, "Bob B"),
        ("repost", bob.id, "Bob B"),
        ("like", bob.id, "Bob B"),
        ("follow", bob.id, "Bob B"),
    ]
    by_kind = {item.kind: item for item in page.items}
    assert by_kind["mention"].post is not None and by_kind["mention"].post.text == f"@{alice.username} hello there"
    assert by_kind["reply"].post is not None and by_kind["reply"].post.reply_to == post.remote_id
    assert by_kind["like"].post is not None and by_kind["like"].post.remote_id == post.remote_id
    assert by_kind["follow"].post is None
    assert by_kind["follow"].author_handle.startswith(f"@{bob.username}@")


def test_it_reads_a_follow_request_of_a_locked_account(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter
) -> None:
    alice, bob = mastodon_server.create_user("alice", locked=True), mastodon_server.create_user("bob")
    mastodon_server.client(bob).account_follow(alice.id)

    [request] = make_adapter(alice).notifications().items

    assert (request.kind, request.author_id, request.post) == ("follow_request", bob.id, None)


def test_it_likes(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    status = mastodon_server.client(bob).status_post("Like me")

    make_adapter(alice).like(str(status.id))

    assert mastodon_server.client(bob).status(status.id).favourites_count == 1


def test_it_boosts(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    status = mastodon_server.client(bob).status_post("Boost me")

    make_adapter(alice).boost(str(status.id))

    assert mastodon_server.client(bob).status(status.id).reblogs_count == 1


def test_it_blocks(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")

    make_adapter(alice).block(bob.id)

    [relationship] = mastodon_server.client(alice).account_relationships(bob.id)
    assert relationship.blocking


def test_it_mutes(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")

    make_adapter(alice).mute(bob.id)

    [relationship] = mastodon_server.client(alice).account_relationships(bob.id)
    assert relationship.muting and relationship.muting_notifications


def test_it_searches_statuses(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    status = mastodon_server.client(bob).status_post("Rhubarb season is here")

    results = make_adapter(alice).search("rhubarb")

    assert [(post.remote_id, post.text) for post in results] == [(str(status.id), "Rhubarb season is here")]
    assert make_adapter(alice).search("   ") == []


def test_it_searches_a_hashtag(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice, bob = mastodon_server.create_user("alice"), mastodon_server.create_user("bob")
    tagged = mastodon_server.client(bob).status_post("Fresh bread #Baking")
    mastodon_server.client(bob).status_post("No tag here, baking anyway")

    results = make_adapter(alice).search("#baking")

    assert [post.remote_id for post in results] == [str(tagged.id)]


def test_it_reads_the_profile(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    alice = mastodon_server.create_user("alice", display_name="Alice A")
    mastodon_server.client(alice).account_update_credentials(note="Bakes bread & cakes")
    adapter = make_adapter(alice)
    adapter.publish(draft("One post"))

    profile = adapter.profile()

    assert profile.remote_id == alice.id
    assert profile.handle == f"@{alice.username}@127.0.0.1"
    assert profile.display_name == "Alice A"
    assert profile.bio == "Bakes bread & cakes"
    assert profile.url.endswith(f"/@{alice.username}")
    assert profile.avatar_url.startswith(mastodon_server.base_url)
    assert (profile.followers_count, profile.following_count, profile.posts_count) == (0, 0, 1)


def test_it_finds_its_account_id_when_config_has_none(
    mastodon_server: MastodonMockServer, contract_session: Callable[[], requests.Session]
) -> None:
    alice = mastodon_server.create_user("alice")
    adapter = MastodonAdapter(
        credentials={"access_token": alice.access_token},
        config={"instance_url": mastodon_server.base_url, "domain": "example.social"},
        session=contract_session(),
    )
    adapter.publish(draft("Mine"))

    [post] = adapter.own_posts().items

    assert post.author_handle == f"@{alice.username}@example.social"


def test_it_raises_auth_error_for_a_revoked_token(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter
) -> None:
    alice = mastodon_server.create_user("alice")
    adapter = make_adapter(alice)
    adapter.credentials = {"access_token": "revoked-token"}

    with pytest.raises(AuthError) as caught:
        adapter.profile()

    assert caught.value.status == 401


def test_it_reads_limits_from_the_instance(mastodon_server: MastodonMockServer, make_adapter: MakeAdapter) -> None:
    adapter = make_adapter(mastodon_server.create_user("alice"))

    limits = adapter.limits()

    assert limits == Limits(
        max_characters=500,
        counting="mastodon",
        max_images=4,
        max_videos=1,
        max_media=4,
        image_max_bytes=10485760,
        video_max_bytes=41943040,
        url_length=23,
        alt_text_max_characters=1500,
        image_mime_types=("image/jpeg", "image/png", "image/gif", "image/webp"),
        video_mime_types=("video/mp4",),
    )


def test_it_reads_limits_from_config_without_asking(
    mastodon_server: MastodonMockServer, make_adapter: MakeAdapter, mastodon_contract: ContractRecorder
) -> None:
    stored = Limits(max_characters=11000, counting="mastodon", url_length=30)
    adapter = make_adapter(mastodon_server.create_user("alice"), limits=stored.to_dict())

    assert adapter.limits() == stored
    assert mastodon_contract.exchanges == []
