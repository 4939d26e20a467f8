"""RSS/Atom autopublish against a real HTTP server on 127.0.0.1 serving feeds written here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from publishing.models import Campaign, Feed, FeedEntry, Post, QueueSlot, Target
from publishing.services import feeds, queues
from publishing.services.feeds import FeedInput, feed_create, feed_poll, feed_update
from publishing.tasks import feeds_poll_task
from smm.accounts.models import Membership
from tests.fixtures import Personas
from tests.peers.mastodon import Reply, ScriptedServer

ADDED = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)  # when the feed is added (a Monday)
OLD = ADDED - timedelta(days=3)
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM_TYPE = {"Content-Type": "application/atom+xml; charset=utf-8"}


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    published: datetime
    summary: str = "<p>Plain summary.</p>"
    author: str = ""

    @property
    def link(self) -> str:
        return f"https://blog.example/{self.id}"


def rss(*items: Item) -> bytes:
    body = "".join(
        f"<item><title>{escape(item.title)}</title><link>{item.link}</link>"
        f'<guid isPermaLink="false">{escape(item.id)}</guid>'
        f"<description>{escape(item.summary)}</description>"
        f"<pubDate>{format_datetime(item.published)}</pubDate>"
        + (f"<dc:creator>{escape(item.author)}</dc:creator>" if item.author else "")
        + "</item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>Acme blog</title><link>https://blog.example/</link><description>News</description>"
        f"{body}</channel></rss>"
    ).encode()


def atom(*items: Item) -> bytes:
    body = "".join(
        f'<entry><id>urn:acme:{escape(item.id)}</id><title type="text">{escape(item.title)}</title>'
        f'<link rel="alternate" href="{item.link}"/>'
        f"<updated>{item.published.isoformat()}</updated><published>{item.published.isoformat()}</published>"
        f'<summary type="html">{escape(item.summary)}</summary>'
        + (f"<author><name>{escape(item.author)}</name></author>" if item.author else "")
        + "</entry>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Acme news</title><id>urn:acme</id>"
        f"<updated>{ADDED.isoformat()}</updated>{body}</feed>"
    ).encode()


OLD_ITEMS = (Item("old-1", "Last week", OLD), Item("old-2", "Even older", OLD - timedelta(days=1)))


@pytest.fixture(autouse=True)
def _loopback(settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(ADDED, tick=False)
    return time_machine


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer().start()
    try:
        yield scripted
    finally:
        scripted.stop()


def _feed(personas: Personas, server: ScriptedServer, path: str = "/feed.xml", **fields: object) -> Feed:
    data = FeedInput(name="Acme blog", url=server.base_url + path, accounts=[personas.account])
    for name, value in fields.items():
        setattr(data, name, value)
    return feed_create(membership=personas.membership(personas.owner), data=data)


def _serve(server: ScriptedServer, document: bytes, *, path: str = "/feed.xml", headers: dict | None = None) -> None:
    server.on("GET", path, Reply(200, document, headers or RSS_TYPE))


def _first_check(feed: Feed, server: ScriptedServer, clock, *items: Item) -> None:
    """The feed as it was when added, checked once (recorded, nothing posted)."""
    _serve(server, rss(*(items or OLD_ITEMS)))
    clock.move_to(ADDED + timedelta(minutes=1), tick=False)
    result = feed_poll(feed=feed)
    assert (result.first_check, result.posts_created, result.error) == (True, 0, "")


def _feed_posts() -> list[Post]:
    return list(Post.objects.filter(source=Post.Source.FEED).order_by("pk"))


# First check, new entries, templates --------------------------------------------------------------
def test_it_records_the_entries_of_the_first_check_without_posting(personas, server, clock) -> None:
    feed = _feed(personas, server)
    # Even an entry dated after the feed was added: the first check only takes stock.
    _serve(server, rss(Item("fresh", "Dated later", ADDED + timedelta(seconds=30)), *OLD_ITEMS))
    clock.move_to(ADDED + timedelta(minutes=1), tick=False)

    result = feed_poll(feed=feed)

    assert (result.first_check, result.new_entries, result.posts_created) == (True, 3, 0)
    assert set(feed.entries.values_list("key", "post")) == {("fresh", None), ("old-1", None), ("old-2", None)}
    assert _feed_posts() == []
    feed.refresh_from_db()
    assert feed.last_checked_at == ADDED + timedelta(minutes=1)
    assert feed.last_error == ""


def test_it_makes_a_draft_of_a_new_entry(personas, server, clock) -> None:
    campaign = Campaign.objects.create(workspace=personas.workspace, name="Blog")
    feed = _feed(personas, server, campaign=campaign, template="{title} by {author}: {summary} {link}")
    _first_check(feed, server, clock)
    new = Item("new-1", "Spring sale & more", ADDED + timedelta(hours=1), "<p>Up to <b>50%</b> off.</p>", "Ann")
    _serve(server, rss(new, *OLD_ITEMS))
    clock.move_to(ADDED + timedelta(hours=2), tick=False)

    result = feed_poll(feed=feed)

    assert (result.new_entries, result.posts_created, result.error, result.notes) == (1, 1, "", [])
    [post] = _feed_posts()
    assert post.text == "Spring sale & more by Ann: Up to 50% off. https://blog.example/new-1"
    assert (post.status, post.campaign, post.author) == (Post.Status.DRAFT, campaign, personas.owner)
    assert [(t.account, t.status) for t in post.targets.all()] == [(personas.account, Target.Status.DRAFT)]
    entry = feed.entries.get(key="new-1")
    assert (entry.post, entry.title, entry.link) == (post, "Spring sale & more", new.link)
    assert entry.published_at == new.published


def test_it_queues_a_new_entry_at_the_next_slot(personas, server, clock) -> None:
    QueueSlot.objects.create(account=personas.account, weekday=2, time=time(10, 0))  # Wednesdays 10:00
    feed = _feed(personas, server, mode=Feed.Mode.QUEUE)
    _first_check(feed, server, clock)
    _serve(
        server,
        rss(Item("new-1", "First", ADDED + timedelta(hours=1)), Item("new-2", "Second", ADDED + timedelta(hours=2))),
    )
    clock.move_to(ADDED + timedelta(hours=3), tick=False)
    first_slot = queues.queue_next_slot(account=personas.account)
    assert first_slot is not None

    result = feed_poll(feed=feed)

    assert (result.posts_created, result.notes) == (2, [])
    first = feed.entries.get(key="new-1").post
    second = feed.entries.get(key="new-2").post
    assert first is not None and second is not None
    first_target, second_target = first.targets.get(), second.targets.get()
    assert (first.status, first_target.status, first_target.from_queue) == (
        Post.Status.SCHEDULED,
        Target.Status.SCHEDULED,
        True,
    )
    # The older entry takes the first free time, the newer one the week after.
    assert first_target.scheduled_at == first_slot.at
    assert second_target.scheduled_at == first_slot.at + timedelta(weeks=1)


def test_it_falls_back_to_a_draft_when_an_account_has_no_queue_time(personas, server, clock) -> None:
    feed = _feed(personas, server, mode=Feed.Mode.QUEUE)
    _first_check(feed, server, clock)
    _serve(server, rss(Item("new-1", "First", ADDED + timedelta(hours=1))))
    clock.move_to(ADDED + timedelta(hours=2), tick=False)

    result = feed_poll(feed=feed)

    [post] = _feed_posts()
    assert post.status == Post.Status.DRAFT
    feed.refresh_from_db()
    assert "saved as a draft instead of being queued" in feed.last_error
    assert "has no free queue time" in feed.last_error
    assert result.posts_created == 1


def test_it_posts_the_same_entry_once(personas, server, clock) -> None:
    feed = _feed(personas, server)
    _first_check(feed, server, clock)
    new = Item("new-1", "Only once", ADDED + timedelta(hours=1))
    # Listed twice in the same document, and again at the next check.
    _serve(server, rss(new, new, *OLD_ITEMS))
    clock.move_to(ADDED + timedelta(hours=2), tick=False)
    assert feed_poll(feed=feed).posts_created == 1
    clock.move_to(ADDED + timedelta(hours=3), tick=False)
    again = feed_poll(feed=feed)

    assert (again.new_entries, again.posts_created) == (0, 0)
    assert len(_feed_posts()) == 1
    assert feed.entries.filter(key="new-1").count() == 1


def test_it_does_not_post_an_old_entry_that_reappears(personas, server, clock) -> None:
    feed = _feed(personas, server)
    _first_check(feed, server, clock)
    # The site changed its ids: the old entries look new, but they were published before the feed was added.
    _serve(server, rss(Item("renamed-1", "Last week", OLD)))
    clock.move_to(ADDED + timedelta(hours=1), tick=False)

    result = feed_poll(feed=feed)

    assert (result.new_entries, result.posts_created) == (1, 0)
    assert _feed_posts() == []


def test_it_reads_atom(personas, server, clock) -> None:
    feed = _feed(personas, server, path="/atom.xml", template="{title} {link}")
    server.on("GET", "/atom.xml", Reply(200, atom(*OLD_ITEMS), ATOM_TYPE))
    clock.move_to(ADDED + timedelta(minutes=1), tick=False)
    assert feed_poll(feed=feed).first_check
    server.on(
        "GET",
        "/atom.xml",
        Reply(200, atom(Item("new-1", "Atom news", ADDED + timedelta(hours=1)), *OLD_ITEMS), ATOM_TYPE),
    )
    clock.move_to(ADDED + timedelta(hours=2), tick=False)

    result = feed_poll(feed=feed)

    assert result.posts_created == 1
    [post] = _feed_posts()
    assert post.text == "Atom news https://blog.example/new-1"
    assert feed.entries.filter(key="urn:acme:new-1", post=post).exists()


# Conditional GET -----------------------------------------------------------------------------------
def test_it_sends_its_validators_and_a_304_changes_nothing(personas, server, clock) -> None:
    feed = _feed(personas, server)
    validators = {"ETag": '"v1"', "Last-Modified": "Mon, 06 May 2030 08:00:00 GMT"}
    server.on(
        "GET",
        "/feed.xml",
        Reply(200, rss(*OLD_ITEMS), {**RSS_TYPE, **validators}),
        Reply(304, b"", validators),
    )
    clock.move_to(ADDED + timedelta(minutes=1), tick=False)
    feed_poll(feed=feed)
    feed.refresh_from_db()
    assert (feed.etag, feed.last_modified) == ('"v1"', "Mon, 06 May 2030 08:00:00 GMT")
    clock.move_to(ADDED + timedelta(minutes=16), tick=False)

    result = feed_poll(feed=feed)

    assert (result.not_modified, result.new_entries, result.posts_created, result.error) == (True, 0, 0, "")
    first, second = server.requests
    assert "If-None-Match" not in first.headers
    assert second.headers["If-None-Match"] == '"v1"'
    assert second.headers["If-Modified-Since"] == "Mon, 06 May 2030 08:00:00 GMT"
    feed.refresh_from_db()
    assert (feed.etag, feed.last_error, feed.entries.count()) == ('"v1"', "", 2)
    assert feed.last_checked_at == ADDED + timedelta(minutes=16)


# Hostile content -----------------------------------------------------------------------------------
HOSTILE = (
    '<p>Hello <script>alert("x")</script>world<img src=x onerror="alert(1)"></p>'
    '<style>p{color:red}</style><a href="javascript:alert(2)">click</a> &lt;b&gt;literal&lt;/b&gt; &amp; more'
)


@pytest.mark.parametrize("document", [rss, atom], ids=["rss", "atom"])
def test_it_turns_a_hostile_summary_into_inert_plain_text(personas, server, clock, document) -> None:
    feed = _feed(personas, server, template="{summary}")
    server.on("GET", "/feed.xml", Reply(200, document(*OLD_ITEMS), RSS_TYPE))
    clock.move_to(ADDED + timedelta(minutes=1), tick=False)
    feed_poll(feed=feed)
    hostile = Item("evil", '<img src=x onerror="alert(3)">Title', ADDED + timedelta(hours=1), HOSTILE)
    server.on("GET", "/feed.xml", Reply(200, document(hostile, *OLD_ITEMS), RSS_TYPE))
    clock.move_to(ADDED + timedelta(hours=2), tick=False)

    assert feed_poll(feed=feed).posts_created == 1

    [post] = _feed_posts()
    assert "alert" not in post.text and "onerror" not in post.text and "color:red" not in post.text
    assert "javascript:" not in post.text
    # What was text stays text: the escaped tags in the source are shown, not interpreted.
    assert post.text == "Hello world click <b>literal</b> & more"
    # The page shows it escaped.
    client = Client()
    client.force_login(personas.owner)
    page = client.get(reverse("publishing:post-detail", args=[personas.workspace.slug, post.pk]))
    assert b"&lt;b&gt;literal&lt;/b&gt;" in page.content and b"<b>literal" not in page.content


def test_plain_text_and_templates_have_no_tricks() -> None:
    assert feeds.plain_text("<p>one</p><p>two</p><br>three &amp;&nbsp;four\x00") == "one two three & four"
    assert feeds.plain_text("AT&T <rocks>", is_html=False) == "AT&T <rocks>"
    values = {"title": "{summary} {title.__class__}", "link": "", "summary": "SECRET", "author": ""}
    assert feeds.feed_text_render(template="{title}!", values=values) == "{summary} {title.__class__}!"
    for template in ("{title.__class__}", "{0}", "{title} {body}", "{{title}} {{other}}", "no placeholders"):
        with pytest.raises(ValidationError):
            feeds.validate_feed_template(template)
    feeds.validate_feed_template("{title}: {summary} – {author} {link} {{title}} }{")
    assert feeds.shorten("one two three four", 12) == "one two…"


def test_it_shortens_the_summary_to_fit_the_account(personas, server, clock) -> None:
    feed = _feed(personas, server, template="{title}\n\n{summary}\n\n{link}")
    _first_check(feed, server, clock)
    _serve(server, rss(Item("long", "Long read", ADDED + timedelta(hours=1), "<p>" + "word " * 400 + "</p>")))
    clock.move_to(ADDED + timedelta(hours=2), tick=False)

    feed_poll(feed=feed)

    [post] = _feed_posts()
    assert len(post.text) <= 500  # Mastodon's default
    assert post.text.startswith("Long read\n\nword word") and post.text.endswith("…\n\nhttps://blog.example/long")


# Problems ------------------------------------------------------------------------------------------
def test_a_body_that_names_a_local_file_is_not_opened(personas, server, clock, tmp_path) -> None:
    # feedparser opens a str or bytes argument as a file name if it can; the poll hands it a stream.
    local = tmp_path / "local.xml"
    local.write_bytes(rss(Item("secret", "Read from the server's disk", ADDED)))
    feed = _feed(personas, server)
    _serve(server, str(local).encode(), headers={"Content-Type": "text/plain"})
    clock.move_to(ADDED + timedelta(minutes=1), tick=False)

    result = feed_poll(feed=feed)

    assert "does not give an RSS or Atom feed" in result.error
    assert not feed.entries.exists()


def test_external_entities_are_not_resolved(personas, server, clock, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    document = (
        rss(Item("x", "TITLE", ADDED - timedelta(days=1)))
        .replace(b"<rss ", f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]><rss '.encode())
        .replace(b"<title>TITLE</title>", b"<title>&xxe;</title>")
    )
    feed = _feed(personas, server)
    _serve(server, document)
    clock.move_to(ADDED + timedelta(minutes=1), tick=False)

    feed_poll(feed=feed)

    assert not FeedEntry.objects.filter(title__contains="TOP-SECRET").exists()


def test_it_refuses_a_feed_on_a_private_address(personas, settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    membership = personas.membership(personas.owner)
    for url in ("http://127.0.0.1:8000/feed.xml", "http://10.0.0.5/feed.xml", "http://[::1]/rss"):
        with pytest.raises(ValidationError) as refused:
            feed_create(membership=membership, data=FeedInput(name="Inside", url=url, accounts=[personas.account]))
        assert "url" in refused.value.message_dict
    assert not Feed.objects.exists()

    client = Client()
    client.force_login(personas.owner)
    response = client.post(
        reverse("publishing:feed-new", args=[personas.workspace.slug]),
        {
            "name": "Inside",
            "url": "http://192.168.1.1/feed",
            "accounts": [personas.account.pk],
            "mode": "draft",
            "template": "{title} {link}",
            "enabled": "on",
        },
    )
    assert response.status_code == 400
    assert "points to a private network" in response.content.decode()
    assert not Feed.objects.exists()


def test_it_does_not_fetch_a_feed_that_points_inside_any_more(personas, server, clock, settings) -> None:
    feed = _feed(personas, server)
    settings.OUTBOUND_ALLOW_LOOPBACK = False

    result = feed_poll(feed=feed)

    assert result.error.startswith("smm did not fetch the feed.")
    assert server.requests == []


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(200, b"<!DOCTYPE html><html><body><h1>Our blog</h1></body></html>", {"Content-Type": "text/html"}),
            "gives a web page, not an RSS or Atom feed",
        ),
        (Reply(500, b"oops", {"Content-Type": "text/plain"}), "had a problem of its own (HTTP 500)"),
        (Reply(404, b"", {}), "There is no feed at this address (HTTP 404)"),
        (
            Reply(200, b"\x00\x01 not xml at all", {"Content-Type": "application/octet-stream"}),
            "does not give an RSS or Atom feed",
        ),
    ],
    ids=["html", "500", "404", "garbage"],
)
def test_it_records_a_clear_error_for_a_broken_feed(personas, server, clock, reply, message) -> None:
    feed = _feed(personas, server)
    server.on("GET", "/feed.xml", reply)
    clock.move_to(ADDED + timedelta(minutes=1), tick=False)

    result = feed_poll(feed=feed)

    assert message in result.error
    feed.refresh_from_db()
    assert message in feed.last_error
    assert feed.last_checked_at == ADDED + timedelta(minutes=1)
    assert feed.enabled
    assert not feed.entries.exists()


def test_it_records_a_timeout(personas, server, clock, monkeypatch) -> None:
    monkeypatch.setattr(feeds, "FETCH_TIMEOUT", (1.0, 0.3))
    feed = _feed(personas, server)
    server.on("GET", "/feed.xml", Reply(hang=True))

    result = feed_poll(feed=feed)

    assert "did not answer in time" in result.error


def test_a_failing_feed_stays_on_and_recovers(personas, server, clock) -> None:
    feed = _feed(personas, server)
    server.on(
        "GET", "/feed.xml", Reply(503, b""), Reply(503, b""), Reply(503, b""), Reply(200, rss(*OLD_ITEMS), RSS_TYPE)
    )
    for minutes in (1, 16, 31):
        clock.move_to(ADDED + timedelta(minutes=minutes), tick=False)
        assert feed_poll(feed=feed).error
    feed.refresh_from_db()
    assert feed.enabled and "HTTP 503" in feed.last_error
    # It was never read, so the first successful check still only takes stock; entries dated
    # after the feed was added would become posts.
    clock.move_to(ADDED + timedelta(minutes=46), tick=False)
    result = feed_poll(feed=feed)
    assert (result.error, result.first_check, result.posts_created) == ("", False, 0)
    feed.refresh_from_db()
    assert feed.last_error == "" and feed.entries.count() == 2


def test_it_caps_the_posts_of_one_check(personas, server, clock) -> None:
    feed = _feed(personas, server)
    _first_check(feed, server, clock)
    flood = [Item(f"new-{n}", f"Entry {n}", ADDED + timedelta(minutes=n)) for n in range(1, 16)]
    _serve(server, rss(*reversed(flood)))
    clock.move_to(ADDED + timedelta(hours=1), tick=False)

    result = feed_poll(feed=feed)

    assert (result.new_entries, result.posts_created) == (15, feeds.MAX_POSTS_PER_POLL)
    posted = set(feed.entries.filter(post__isnull=False).values_list("key", flat=True))
    assert posted == {f"new-{n}" for n in range(6, 16)}  # the newest ten
    feed.refresh_from_db()
    assert "5 more new entries were recorded without posts" in feed.last_error
    # They are not posted later either.
    clock.move_to(ADDED + timedelta(hours=2), tick=False)
    assert feed_poll(feed=feed).posts_created == 0


def test_it_does_not_post_as_someone_who_left(personas, server, clock) -> None:
    feed = _feed(personas, server, mode=Feed.Mode.QUEUE)
    feed.created_by = personas.editor
    feed.save(update_fields=["created_by"])
    _first_check(feed, server, clock)
    Membership.objects.filter(workspace=personas.workspace, user=personas.editor).delete()
    _serve(server, rss(Item("new-1", "News", ADDED + timedelta(hours=1)), *OLD_ITEMS))
    clock.move_to(ADDED + timedelta(hours=2), tick=False)

    result = feed_poll(feed=feed)

    assert result.posts_created == 0
    feed.refresh_from_db()
    assert "is no longer a member of this workspace" in feed.last_error
    assert _feed_posts() == []

    # Saving it as someone who can post makes it post as them from now on.
    feed = feed_update(
        membership=personas.membership(personas.admin),
        feed=feed,
        data=FeedInput(name=feed.name, url=feed.url, accounts=[personas.account], mode=Feed.Mode.DRAFT),
    )
    assert feed.created_by == personas.admin


def test_a_contributor_cannot_add_a_feed(personas, server) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        feed_create(
            membership=personas.membership(personas.contributor),
            data=FeedInput(name="Mine", url=server.base_url + "/feed.xml", accounts=[personas.account]),
        )


# The periodic task ---------------------------------------------------------------------------------
def test_the_periodic_task_checks_every_enabled_feed_and_never_raises(personas, server, clock, monkeypatch) -> None:
    broken = _feed(personas, server, path="/broken.xml")
    working = _feed(personas, server, path="/feed.xml")
    off = _feed(personas, server, path="/off.xml", enabled=False)
    server.on("GET", "/broken.xml", Reply(500, b""))
    _serve(server, rss(*OLD_ITEMS))
    real_parse = feeds._parse

    def exploding_parse(fetched, *, base_url):
        if base_url.endswith("/broken.xml"):
            raise RuntimeError("a bug")
        return real_parse(fetched, base_url=base_url)

    server.on("GET", "/broken.xml", Reply(200, rss(), RSS_TYPE))
    monkeypatch.setattr(feeds, "_parse", exploding_parse)
    clock.move_to(ADDED + timedelta(minutes=15), tick=False)

    feeds_poll_task.delay()  # eager in tests

    for feed in (broken, working, off):
        feed.refresh_from_db()
    assert "internal error" in broken.last_error
    assert working.last_error == "" and working.entries.count() == 2
    assert off.last_checked_at is None
    assert {request.path for request in server.requests} == {"/broken.xml", "/feed.xml"}


def test_the_schedule_is_defined() -> None:
    from smm.accounts.management.commands.setup_periodic_tasks import SCHEDULES

    assert SCHEDULES["publishing-feeds"] == ("publishing.tasks.feeds_poll_task", {"minute": "*/15"})


# Pages ---------------------------------------------------------------------------------------------
def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_check_now_reports_what_it_found(personas, server, clock) -> None:
    feed = _feed(personas, server)
    _serve(server, rss(*OLD_ITEMS))
    url = reverse("publishing:feed-check", args=[personas.workspace.slug, feed.pk])
    client = _client(personas.editor)

    response = client.post(url, follow=True)
    assert "First check: 2 entries recorded and not posted." in response.content.decode()

    _serve(server, rss(Item("new-1", "Fresh", ADDED + timedelta(hours=1)), *OLD_ITEMS))
    clock.move_to(ADDED + timedelta(hours=2), tick=False)
    response = client.post(url, follow=True)
    content = response.content.decode()
    assert "Checked: 1 new entry, 1 post made." in content
    post = feed.entries.get(key="new-1").post
    assert post is not None
    assert reverse("publishing:post-detail", args=[personas.workspace.slug, post.pk]) in content

    server.on("GET", "/feed.xml", Reply(500, b""))
    response = client.post(url, follow=True)
    assert (
        "The feed could not be checked. The website had a problem of its own (HTTP 500)." in response.content.decode()
    )


def test_the_list_shows_times_counts_and_problems(personas, server, clock, django_assert_max_num_queries) -> None:
    personas.owner.timezone = "America/New_York"
    personas.owner.save(update_fields=["timezone"])
    feed = _feed(personas, server)
    _first_check(feed, server, clock)
    failing = _feed(personas, server, path="/gone.xml")
    failing.name = "Gone blog"
    failing.save(update_fields=["name"])
    server.on("GET", "/gone.xml", Reply(410, b""))
    feed_poll(feed=failing)
    client = _client(personas.owner)
    url = reverse("publishing:feeds", args=[personas.workspace.slug])

    client.get(url)  # warm up the session and caches
    with django_assert_max_num_queries(12):
        response = client.get(url)

    content = response.content.decode()
    assert "1 feed needs attention" not in content  # singular form
    assert "A feed needs attention" in content and "Gone blog" in content
    assert "There is no feed at this address (HTTP 410)" in content
    assert "05:01" in content  # 09:01 UTC in New York
    assert "When a feed is added, the entries it already lists are recorded but not posted" in content


def test_the_detail_page_lists_entries_with_their_posts(personas, server, clock) -> None:
    feed = _feed(personas, server)
    _first_check(feed, server, clock)
    _serve(server, rss(Item("new-1", "Fresh news", ADDED + timedelta(hours=1)), *OLD_ITEMS))
    clock.move_to(ADDED + timedelta(hours=2), tick=False)
    feed_poll(feed=feed)
    post = feed.entries.get(key="new-1").post
    assert post is not None

    response = _client(personas.viewer).get(reverse("publishing:feed-detail", args=[personas.workspace.slug, feed.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Fresh news" in content and "Last week" in content and "not posted" in content
    assert reverse("publishing:post-detail", args=[personas.workspace.slug, post.pk]) in content
    assert "Check now" not in content  # viewers read only


def test_the_form_adds_and_edits_a_feed(personas, server) -> None:
    client = _client(personas.editor)
    data = {
        "name": "Acme blog",
        "url": server.base_url + "/feed.xml",
        "accounts": [personas.account.pk],
        "mode": "queue",
        "template": "{title} {link}",
        "enabled": "on",
    }
    response = client.post(reverse("publishing:feed-new", args=[personas.workspace.slug]), data)
    feed = Feed.objects.get()
    assert response.status_code == 302
    assert (feed.created_by, feed.mode, list(feed.accounts.all())) == (personas.editor, "queue", [personas.account])

    response = client.post(
        reverse("publishing:feed-edit", args=[personas.workspace.slug, feed.pk]),
        {**data, "template": "{title} {body}"},
    )
    assert response.status_code == 400
    assert "Unknown placeholder {body}" in response.content.decode()

    response = client.post(
        reverse("publishing:feed-edit", args=[personas.workspace.slug, feed.pk]), {**data, "name": "Renamed"}
    )
    feed.refresh_from_db()
    assert (response.status_code, feed.name) == (302, "Renamed")

    response = client.post(reverse("publishing:feed-delete", args=[personas.workspace.slug, feed.pk]))
    assert response.status_code == 302
    assert not Feed.objects.exists() and not FeedEntry.objects.exists()
