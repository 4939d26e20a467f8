"""Mention search: full text in the three configurations, every filter, newest first, pages without
a count, and highlights that are escaped text with <mark> only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from listening import query as q
from listening.models import Topic
from listening.services.pipeline import RawItem, ingest
from listening.services.search import highlights, page, search
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    workspace = make_workspace("Haku Oy")
    other = make_workspace("Muu Oy")
    topic = Topic.objects.create(
        workspace=workspace, name="Kahvi", query="kahvi*", compiled=q.to_json(q.parse("kahvi*"))
    )
    now = timezone.now()
    rows = [
        ("fi1", "fi", "mastodon", 1, "Olen todella tyytyväinen palveluun ja kahviin, kiitos"),
        ("fi2", "fi", "bluesky", 2, "Palvelusta 1<2 ei kuulunut mitään, huono kokemus <script>alert(1)</script>"),
        ("en1", "en", "mastodon", 3, "The services were slow and the coffee was cold"),
        ("en2", "en", "web", 4, "Loved the new store in Tampere"),
        ("sv1", "sv", "mastodon", 5, "Vi älskar kaffet på Kahvila Oy"),
    ]
    items = [
        RawItem(network=network, remote_id=rid, text=text, language=lang, published_at=now - timedelta(hours=hours))
        for rid, lang, network, hours, text in rows
    ]
    ingest(workspace_id=workspace.pk, source=None, items=items)
    ingest(workspace_id=other.pk, source=None, items=items[:1])
    return workspace, topic, now


def ids(mentions) -> list[str]:
    return [mention.remote_id for mention in mentions]


def test_newest_first_and_only_the_workspace(data):
    workspace, _topic, _now = data
    assert ids(search(workspace_id=workspace.pk)) == ["fi1", "fi2", "en1", "en2", "sv1"]


def test_finnish_word_finds_inflected_finnish_mentions(data):
    workspace, _topic, _now = data
    assert ids(search(workspace_id=workspace.pk, q="palvelu")) == ["fi1", "fi2"]  # palveluun, palvelusta
    assert ids(search(workspace_id=workspace.pk, q="service")) == ["en1"]  # services, English stemming
    assert ids(search(workspace_id=workspace.pk, q="kaffet")) == ["sv1"]  # 'simple' for Swedish
    assert ids(search(workspace_id=workspace.pk, q='"coffee was cold"')) == ["en1"]
    assert ids(search(workspace_id=workspace.pk, q="palvelu -huono")) == ["fi1"]
    assert ids(search(workspace_id=workspace.pk, q="the")) == []  # a stop word alone finds nothing, no error
    assert ids(search(workspace_id=workspace.pk, q="((( & | ! :*")) == []


def test_filters(data):
    workspace, topic, now = data
    assert ids(search(workspace_id=workspace.pk, topic_id=topic.pk)) == ["fi1", "sv1"]  # kahviin, Kahvila
    assert ids(search(workspace_id=workspace.pk, language="en")) == ["en1", "en2"]
    assert ids(search(workspace_id=workspace.pk, network="mastodon")) == ["fi1", "en1", "sv1"]
    assert ids(search(workspace_id=workspace.pk, sentiment="negative", language="fi")) == ["fi2"]
    window = search(
        workspace_id=workspace.pk,
        since=now - timedelta(hours=3, minutes=30),
        until=now - timedelta(hours=1, minutes=30),
    )
    assert ids(window) == ["fi2", "en1"]


def test_pages_without_counting(data):
    workspace, _topic, _now = data
    mentions = search(workspace_id=workspace.pk)
    first = page(mentions, 1, size=2)
    assert ids(first.mentions) == ["fi1", "fi2"] and first.has_next and not first.has_previous
    last = page(mentions, 3, size=2)
    assert ids(last.mentions) == ["sv1"] and not last.has_next and last.has_previous
    assert page(mentions, 99, size=2).mentions == []
    assert page(mentions, -4, size=2).number == 1


def test_highlights_mark_matches_and_escape_the_rest(data):
    workspace, _topic, _now = data
    found = list(search(workspace_id=workspace.pk, q="palvelu"))
    marked = highlights(found, "palvelu")
    by_id = {mention.remote_id: marked[mention.pk] for mention in found}
    assert "<mark>palveluun</mark>" in by_id["fi1"]
    assert "<mark>Palvelusta</mark>" in by_id["fi2"]
    assert "<script>" not in by_id["fi2"] and "1&lt;2" in by_id["fi2"]
    assert highlights(found, "") == {}
