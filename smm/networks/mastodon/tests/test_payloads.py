"""What real Mastodon-API servers send and mastodon_mock does not (tests/peers/fixtures/mastodon/)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest

from smm.networks.base import Limits, PermanentError, PostDraft
from smm.networks.mastodon import client
from smm.networks.mastodon.adapter import MastodonAdapter
from smm.networks.mastodon.content import html_to_text
from tests.peers.contract import ContractRecorder
from tests.peers.mastodon import Reply, ScriptedServer, load_fixture

OUR_ID = "109302746302746300"
MENTION_TEXT = (
    "@acme @reader thanks for the release notes! Details: https://blog.joinmastodon.org/2024/10/mastodon-4.3/"
    '\n\nTags: #Mastodon & #fediverse\nSecond line with "quotes" and an emoji :blobcat:'
)


def adapter_for(server: ScriptedServer, recorder: ContractRecorder) -> MastodonAdapter:
    return MastodonAdapter(
        credentials={"access_token": "token"},
        config={"instance_url": server.base_url, "account_id": OUR_ID, "domain": "mastodon.example"},
        session=recorder.attach(client.new_session()),
    )


def test_it_reads_real_notifications(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on("GET", "/api/v1/notifications", Reply(body=load_fixture("notifications_mastodon_4_3.json")))
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())

    page = adapter_for(scripted_mastodon, recorder).notifications(limit=9)

    recorder.assert_clean()  # the recorded payload is what the spec says Mastodon sends
    assert [(item.kind, item.author_handle) for item in page.items] == [
        ("mention", "@Gargron@mastodon.social"),
        ("follow_request", "@shy@social.example"),
        ("direct", "@reader@fosstodon.org"),
        ("reply", "@reader@fosstodon.org"),
        ("mention", "@Gargron@mastodon.social"),
        ("repost", "@reader@fosstodon.org"),
        ("like", "@Gargron@mastodon.social"),
        ("follow", "@reader@fosstodon.org"),
    ]  # the "update" notification (an edited status) is not for the inbox
    assert page.cursor == "34975820"  # a full page without a Link header: continue below the last one
    quote, request, direct, reply, mention, repost, *_ = page.items
    assert mention.post is not None
    assert mention.post.text == MENTION_TEXT
    assert mention.post.raw_html.startswith('<p><span class="h-card" translate="no">')
    assert mention.post.created_at == datetime(2024, 11, 20, 10, 15, 30, tzinfo=UTC)
    assert mention.post.language == "en"
    assert mention.author_display_name == "Eugen Rochko"
    assert quote.post is not None and quote.post.text == "Worth a read."  # the RE: fallback is hidden
    assert (request.post, request.author_id) == (None, "111998877665544332")
    assert direct.post is not None and direct.post.text == "@acme is the beta open to customers?"
    assert reply.post is not None and (reply.post.reply_to, reply.post.text) == (
        "113500000000000001",
        "@acme Congratulations! 🎉",
    )
    assert repost.post is not None and repost.post.author_handle == "@acme@mastodon.example"
    assert repost.post.counts == {"likes": 1, "reposts": 1, "replies": 1}
    # Who wrote it, for the inbox's contacts: stable id, the still avatar, the profile page.
    assert (direct.author_id, direct.author_url, direct.author_avatar_url) == (
        "110512345678901234",
        "https://fosstodon.org/@reader",
        "https://files.fosstodon.org/accounts/avatars/110512345678901234/original/avatar.png",
    )
    assert (direct.post.author_id, direct.post.visibility, direct.post.thread_root) == (
        "110512345678901234",
        "direct",
        None,  # Mastodon does not name a thread's root in a status: Adapter.thread() finds it
    )
    assert (mention.post.visibility, repost.post.author_id) == ("public", OUR_ID)
    # Filtered notifications (Mastodon 4.3 filters private mentions from strangers) are asked for too.
    assert scripted_mastodon.requests[0].query == {"limit": "9", "include_filtered": "true"}


def test_it_reads_a_real_profile(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Reply(body=load_fixture("account_verify_credentials_mastodon_4_3.json")),
    )
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())

    profile = adapter_for(scripted_mastodon, recorder).profile()

    recorder.assert_clean()
    assert (profile.remote_id, profile.handle, profile.bio) == (
        OUR_ID,
        "@acme@mastodon.example",
        "Official account of Acme Oy.",
    )
    assert (profile.followers_count, profile.following_count, profile.posts_count) == (10, 5, 20)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("", ""),
        ("plain, not HTML", "plain, not HTML"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<p>line<br>break<br/>twice</p>", "line\nbreak\ntwice"),
        ("<p>5 &lt; 6 &amp;&amp; &quot;yes&quot; &#39;ok&#39;</p>", "5 < 6 && \"yes\" 'ok'"),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n\n- b"),
        ('<p class="quote-inline">RE: <a href="x"><span>x</span></a></p><p>after</p>', "after"),
        ("<p>  spaced  </p>", "spaced"),
    ],
)
def test_it_turns_status_html_into_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def serve_instance(
    server: ScriptedServer, *, v2: str | None = None, v1: str | None = None, oauth: str | None = None
) -> None:
    if v2:
        server.on("GET", "/api/v2/instance", Reply(body=load_fixture(v2)))
    if v1:
        server.on("GET", "/api/v1/instance", Reply(body=load_fixture(v1)))
    if oauth:
        server.on("GET", "/.well-known/oauth-authorization-server", Reply(body=load_fixture(oauth)))


def test_it_reads_a_mastodon_fork_with_pkce(scripted_mastodon: ScriptedServer) -> None:
    serve_instance(
        scripted_mastodon, v2="instance_v2_glitch_4_4.json", oauth="oauth_authorization_server_glitch_4_4.json"
    )

    info = client.instance_info(scripted_mastodon.base_url)

    assert (info.version, info.api_version, info.supports_pkce, info.domain) == (
        "4.4.3+glitch",
        "4.4.3",
        True,
        "glitch.example",
    )
    assert info.limits == Limits(
        max_characters=5000,
        counting="mastodon",
        max_images=4,
        max_videos=1,
        max_media=4,
        image_max_bytes=16777216,
        video_max_bytes=103809024,
        url_length=23,
        alt_text_max_characters=1500,
        image_mime_types=(
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/heic",
            "image/heif",
            "image/webp",
            "image/avif",
        ),
        video_mime_types=("video/webm", "video/mp4", "video/quicktime", "video/ogg"),
    )
    assert [request.path for request in scripted_mastodon.requests] == [
        "/api/v2/instance",
        "/.well-known/oauth-authorization-server",
    ]


def test_it_falls_back_to_the_v1_instance_of_an_older_mastodon(scripted_mastodon: ScriptedServer) -> None:
    serve_instance(scripted_mastodon, v1="instance_v1_mastodon_3_5.json")  # v2 and the OAuth document: 404

    info = client.instance_info(scripted_mastodon.base_url)

    assert (info.version, info.api_version, info.supports_pkce, info.domain) == (
        "3.5.19",
        "3.5.19",
        False,
        "old.example",
    )
    assert (info.limits.max_characters, info.limits.max_media, info.limits.video_max_bytes) == (500, 4, 41943040)
    assert info.limits.alt_text_max_characters == 1500  # not reported before 4.4
    assert [request.path for request in scripted_mastodon.requests] == [
        "/api/v2/instance",
        "/api/v1/instance",
        "/.well-known/oauth-authorization-server",
    ]


def test_it_reads_takahe_which_has_no_trailing_slash_route(scripted_mastodon: ScriptedServer) -> None:
    serve_instance(scripted_mastodon, v1="instance_v1_takahe_0_11.json")

    info = client.instance_info(scripted_mastodon.base_url)

    assert (info.version, info.api_version, info.supports_pkce) == ("takahe/0.11.0", client.MODERN_API_VERSION, False)
    assert (info.limits.max_characters, info.limits.video_max_bytes, info.limits.video_mime_types) == (1000, None, ())
    # What Mastodon.py would have asked for (and Takahe answers with 404):
    assert all(not request.path.endswith("/") for request in scripted_mastodon.requests)


def test_it_reads_gotosocial(scripted_mastodon: ScriptedServer) -> None:
    serve_instance(scripted_mastodon, v2="instance_v2_gotosocial_0_20.json")

    info = client.instance_info(scripted_mastodon.base_url)

    assert (info.version, info.api_version, info.domain) == (
        "0.20.1 git-8d6a7b9",
        client.MODERN_API_VERSION,
        "example.org",
    )
    assert (info.limits.max_characters, info.limits.max_media, info.limits.url_length) == (5000, 6, 25)
    assert info.limits.video_mime_types == ("video/mp4", "video/webm")
    assert info.config() == {
        "instance_url": scripted_mastodon.base_url,
        "domain": "example.org",
        "version": "0.20.1 git-8d6a7b9",
        "limits": info.limits.to_dict(),
    }


def test_it_falls_back_when_v2_is_a_web_page(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on(
        "GET", "/api/v2/instance", Reply(body=b"<!doctype html><p>Welcome</p>", headers={"Content-Type": "text/html"})
    )
    serve_instance(scripted_mastodon, v1="instance_v1_takahe_0_11.json")

    assert client.instance_info(scripted_mastodon.base_url).version == "takahe/0.11.0"


def test_it_says_when_a_server_is_not_mastodon(scripted_mastodon: ScriptedServer) -> None:
    with pytest.raises(PermanentError):
        client.instance_info(scripted_mastodon.base_url)  # 404 everywhere


@pytest.mark.parametrize(
    ("version", "api_version"),
    [
        ("4.3.2", "4.3.2"),
        ("4.4.0-beta.1", "4.4.0"),
        ("4.2.10+glitch", "4.2.10"),
        ("4.0.2+hometown-1.1.1", "4.0.2"),
        ("3.5", "3.5.0"),
        ("2.7.2 (compatible; Pleroma 2.5.0)", "2.7.2"),
        ("takahe/0.11.0", "4.0.0"),
        ("0.20.1 git-8d6a7b9", "4.0.0"),
        ("", "4.0.0"),
    ],
)
def test_it_turns_server_versions_into_an_api_level(version: str, api_version: str) -> None:
    assert client.mastodon_api_version(version) == api_version


def test_it_reads_pleroma_style_limits() -> None:
    limits = client.limits_from_instance({"version": "2.7.2 (compatible; Akkoma 3.13.2)", "max_toot_chars": 8000})

    assert (limits.max_characters, limits.max_media, limits.url_length, limits.alt_text_max_characters) == (
        8000,
        4,
        23,
        1500,
    )


# The inbox ---------------------------------------------------------------------------------------
def test_it_reads_a_thread_whose_chain_has_a_gap(scripted_mastodon: ScriptedServer) -> None:
    # Mastodon leaves out of /context the ancestors the account may not see (followers-only, or
    # by someone it blocked or muted) and lists the rest: the parent chain breaks at the gap.
    fixture = load_fixture("status_context_gap_mastodon_4_3.json")
    status_id = fixture["status"]["id"]
    scripted_mastodon.on("GET", f"/api/v1/statuses/{status_id}", Reply(body=fixture["status"]))
    scripted_mastodon.on("GET", f"/api/v1/statuses/{status_id}/context", Reply(body=fixture["context"]))
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())

    thread = adapter_for(scripted_mastodon, recorder).thread(status_id)

    recorder.assert_clean()
    assert (thread.post.remote_id, thread.post.text) == (status_id, "@Gargron @acme Great, thanks!")
    assert [(post.remote_id, post.author_handle) for post in thread.ancestors] == [
        ("113500300000000030", "@Gargron@mastodon.social")  # the parent; its own parent is hidden
    ]
    assert not thread.complete
    # The thread's first status is listed above the gap: it is the root to group the reply under.
    assert (thread.root.remote_id, thread.root.text, thread.root.author_id) == (
        "113500000000000001",
        "Acme 2.0 is out today!",
        OUR_ID,
    )


def test_it_addresses_a_reply_to_everyone_in_the_conversation(scripted_mastodon: ScriptedServer) -> None:
    ours = load_fixture("status_direct_ours_mastodon_4_3.json")
    theirs = load_fixture("notifications_mastodon_4_3.json")[3]["status"]  # a direct mention of us
    scripted_mastodon.on("GET", f"/api/v1/statuses/{ours['id']}", Reply(body=ours))
    scripted_mastodon.on("GET", f"/api/v1/statuses/{theirs['id']}", Reply(body=theirs))
    scripted_mastodon.on("POST", "/api/v1/statuses", Reply(body={**theirs, "account": ours["account"]}))
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())
    adapter = adapter_for(scripted_mastodon, recorder)

    # Replying to their message: its author is addressed (not we, whom it mentions).
    adapter.publish(PostDraft(text="Yes, next week.", idempotency_key="a", reply_to=theirs["id"], visibility="direct"))
    # Replying to our own message to two people: both stay in the conversation, each named once.
    adapter.publish(
        PostDraft(
            text="@gargron@Mastodon.Social thanks, sent!",
            idempotency_key="b",
            reply_to=ours["id"],
            visibility="direct",
        )
    )
    # A public reply names its author too: Mastodon notifies only the accounts a status mentions.
    adapter.publish(PostDraft(text="Thanks!", idempotency_key="c", reply_to=theirs["id"]))

    recorder.assert_clean()
    sent = [
        dict(parse_qsl(request.body.decode())) for request in scripted_mastodon.requests if request.method == "POST"
    ]
    assert [(form["status"], form["visibility"], form["in_reply_to_id"]) for form in sent] == [
        ("@reader@fosstodon.org Yes, next week.", "direct", theirs["id"]),
        ("@reader@fosstodon.org @gargron@Mastodon.Social thanks, sent!", "direct", ours["id"]),
        ("@reader@fosstodon.org Thanks!", "public", theirs["id"]),
    ]


def test_it_reports_a_status_and_falls_back_to_the_account_when_the_status_is_gone(
    scripted_mastodon: ScriptedServer,
) -> None:
    report = load_fixture("report_mastodon_4_3.json")
    scripted_mastodon.on(
        "POST",
        "/api/v1/reports",
        Reply(body=report),
        Reply(404, {"error": "Record not found"}),  # Mastodon: a reported status that no longer exists
        Reply(body={**report, "status_ids": []}),
    )
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())
    adapter = adapter_for(scripted_mastodon, recorder)

    adapter.report(remote_id="113500400000000040", author_id="110512345678901234", reason=" Ads. ", category="spam")
    adapter.report(remote_id="113500400000000041", author_id="110512345678901234", reason="x" * 1200, category="rude")

    recorder.assert_clean()
    sent = [parse_qsl(request.body.decode()) for request in scripted_mastodon.requests]
    assert [request.path for request in scripted_mastodon.requests] == ["/api/v1/reports"] * 3  # no trailing slash
    assert sent[0] == [
        ("account_id", "110512345678901234"),
        ("category", "spam"),
        ("comment", "Ads."),
        ("status_ids[]", "113500400000000040"),
    ]
    assert ("status_ids[]", "113500400000000041") in sent[1] and ("category", "other") in sent[1]
    retried = dict(sent[2])
    assert "status_ids[]" not in retried and retried["account_id"] == "110512345678901234"
    assert len(retried["comment"]) == 1000 and retried["comment"].endswith("…")  # Mastodon's limit


def test_it_refuses_an_unknown_report_category(scripted_mastodon: ScriptedServer) -> None:
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())

    with pytest.raises(PermanentError):
        adapter_for(scripted_mastodon, recorder).report(remote_id=None, author_id="1", reason="", category="legal")

    assert scripted_mastodon.requests == []


def test_it_pages_notifications_newer_than_since_id(scripted_mastodon: ScriptedServer) -> None:
    notifications = load_fixture("notifications_mastodon_4_3.json")
    following = f"{scripted_mastodon.base_url}/api/v1/notifications?limit=2&include_filtered=true&max_id=34975880"
    scripted_mastodon.on(
        "GET",
        "/api/v1/notifications",
        Reply(body=notifications[1:3], headers={"Link": f'<{following}>; rel="next"'}),
        Reply(body=notifications[3:4]),
    )
    recorder = ContractRecorder(scripted_mastodon.base_url, known_deviations=())
    adapter = adapter_for(scripted_mastodon, recorder)

    first = adapter.notifications(limit=2, since_id="34975860")
    second = adapter.notifications(limit=2, since_id="34975860", cursor=first.cursor)

    recorder.assert_clean()
    assert [item.remote_id for item in first.items + second.items] == ["34975890", "34975880", "34975870"]
    assert (first.cursor, second.cursor) == ("34975880", None)
    assert [request.query for request in scripted_mastodon.requests] == [
        {"limit": "2", "include_filtered": "true", "since_id": "34975860"},
        {"limit": "2", "include_filtered": "true", "max_id": "34975880", "since_id": "34975860"},
    ]
