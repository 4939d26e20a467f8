"""RSS and Atom feed sources against a feed served by a local HTTP server: new entries become
mentions, a conditional GET answered 304 reads nothing, and the limits and errors are clear."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from listening.models import Mention, Source
from listening.services import sources as service
from listening.sources import feed as feed_reader
from tests.fixtures import Personas

ETAG = '"v1"'
LAST_MODIFIED = "Mon, 02 Mar 2026 10:00:00 GMT"


def rss(*entries: tuple[str, str, str]) -> bytes:
    items = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://news.example/{guid}</link>"
        f"<description>{text}</description><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate>"
        f"<author>toimitus@news.example (Toimitus)</author></item>"
        for guid, title, text in entries
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Uutiset</title>{items}</channel></rss>'.encode()


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><id>urn:blog</id><updated>2026-03-02T09:00:00Z</updated>
<entry><id>urn:blog:1</id><title>Coffee review</title><link href="https://blog.example/1"/>
<updated>2026-03-02T09:00:00Z</updated>
<content type="html">&lt;p&gt;The &lt;b&gt;best&lt;/b&gt; coffee&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;
</content>
<author><name>Blogger</name></author></entry></feed>"""


@dataclass
class FeedServer:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    location: str = ""
    seen: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def served() -> Iterator[FeedServer]:
    state = FeedServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
            return

        def do_GET(self) -> None:
            state.seen.append({name.lower(): value for name, value in self.headers.items()})
            if self.headers.get("If-None-Match") == ETAG:
                self.send_response(304)
                self.send_header("ETag", ETAG)
                self.end_headers()
                return
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Type", state.content_type)
            self.send_header("ETag", ETAG)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _loopback(settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True


def _feed(personas: Personas, url: str) -> Source:
    return Source.objects.create(workspace=personas.workspace, kind=Source.Kind.FEED, name="News", value=url)


def test_a_feed_is_collected_and_a_304_reads_nothing(personas: Personas, served: FeedServer) -> None:
    served.body = rss(("a1", "Kahvila avattiin", "Uusi kahvila on avattu keskustaan."), ("a2", "Second", "More news"))
    source = _feed(personas, served.url)
    first = service.source_collect(source=source)
    source.refresh_from_db()
    assert first.error == "" and first.stored == 2
    assert source.etag == ETAG and source.last_modified == LAST_MODIFIED and source.items_total == 2
    mention = Mention.objects.get(source=source, remote_id__endswith="a1")
    assert mention.network == "web" and mention.title == "Kahvila avattiin"
    assert mention.url == "https://news.example/a1" and mention.author_name
    assert "if-none-match" not in served.seen[0]

    second = service.source_collect(source=source)
    assert served.seen[1]["if-none-match"] == ETAG
    assert served.seen[1]["if-modified-since"] == LAST_MODIFIED
    assert second.not_modified is True and second.read == 0 and second.error == ""
    assert Mention.objects.filter(source=source).count() == 2


def test_a_feed_without_validators_is_deduplicated(personas: Personas, served: FeedServer) -> None:
    served.body = rss(("b1", "One", "First text of the feed"))
    source = _feed(personas, served.url)
    assert service.source_collect(source=source).stored == 1
    Source.objects.filter(pk=source.pk).update(etag="", last_modified="")
    source.refresh_from_db()
    served.body = rss(("b2", "Two", "Second text of the feed"), ("b1", "One", "First text of the feed"))
    again = service.source_collect(source=source)
    assert again.read == 2 and again.stored == 1


def test_atom_html_is_made_plain_text(personas: Personas, served: FeedServer) -> None:
    served.body, served.content_type = ATOM, "application/atom+xml"
    source = _feed(personas, served.url)
    assert service.source_collect(source=source).stored == 1
    mention = Mention.objects.get(source=source)
    assert mention.text == "The best coffee"
    assert mention.author_name == "Blogger"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "words"),
    [
        (404, b"gone", "text/plain", "There is no feed at this address"),
        (500, b"oops", "text/plain", "HTTP 500"),
        (200, b"<!doctype html><html><body>Hi</body></html>", "text/html", "does not give an RSS or Atom feed"),
    ],
)
def test_feed_errors_are_stored_on_the_source(
    personas: Personas, served: FeedServer, status: int, body: bytes, content_type: str, words: str
) -> None:
    served.status, served.body, served.content_type = status, body, content_type
    source = _feed(personas, served.url)
    result = service.source_collect(source=source)
    source.refresh_from_db()
    assert words in result.error and words in source.last_error
    assert source.last_success_at is None and source.etag == ""


def test_a_feed_too_large_is_not_read(personas: Personas, served: FeedServer, monkeypatch) -> None:
    monkeypatch.setattr(feed_reader, "MAX_FEED_BYTES", 1000)
    served.body = rss(*[(f"c{n}", "Title", "x" * 100) for n in range(20)])
    result = service.source_collect(source=_feed(personas, served.url))
    assert "larger than" in result.error
    assert not Mention.objects.exists()


def test_a_redirect_to_a_private_address_is_refused(personas: Personas, served: FeedServer) -> None:
    served.status, served.location, served.body = 302, "http://10.0.0.1/feed.xml", b""
    result = service.source_collect(source=_feed(personas, served.url))
    assert "smm did not fetch the feed" in result.error
    assert len(served.seen) == 1  # the private address was never asked
