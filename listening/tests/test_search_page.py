"""The mention search page: text with highlights, every filter, newest first, pages, bad input as a
clear 400, and another workspace's mentions never shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from listening import query as q
from listening.models import Mention, Topic
from listening.services.pipeline import RawItem, ingest
from listening.services.search import PAGE_SIZE
from tests.access import client_for
from tests.fixtures import Personas

BASE = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def data(personas: Personas):
    ws = personas.workspace
    topic = Topic.objects.create(workspace=ws, name="Kahvi", query="kahvi*", compiled=q.to_json(q.parse("kahvi*")))
    rows = [
        ("fi1", "fi", "mastodon", 1, "Olen tyytyväinen palveluun ja kahviin, kiitos"),
        ("fi2", "fi", "bluesky", 2, "Palvelusta ei kuulunut mitään <script>alert(1)</script>"),
        ("en1", "en", "mastodon", 30, "The services were slow and the coffee was cold"),
    ]
    ingest(
        workspace_id=ws.pk,
        source=None,
        items=[
            RawItem(network=net, remote_id=rid, text=text, language=lang, published_at=BASE - timedelta(hours=hours))
            for rid, lang, net, hours, text in rows
        ],
    )
    ingest(
        workspace_id=personas.other_workspace.pk,
        source=None,
        items=[RawItem(network="mastodon", remote_id="x", text="Palvelu salainen kilpailija", published_at=BASE)],
    )
    return personas, topic


def _get(personas, params, persona="viewer"):
    return client_for(personas, persona).get(reverse("listening:search", args=[personas.workspace.slug]), params)


def _ids(response) -> list[str]:
    body = response.content.decode()
    found = [
        (body.index(f'id="mention-{m.pk}"'), m.remote_id)
        for m in Mention.objects.all()
        if f'id="mention-{m.pk}"' in body
    ]
    return [rid for _pos, rid in sorted(found)]


def test_all_newest_first_without_filters(data):
    personas, _topic = data
    response = _get(personas, {})
    assert response.status_code == 200
    assert _ids(response) == ["fi1", "fi2", "en1"]
    assert b"&lt;script&gt;" in response.content and b"<script>alert" not in response.content


def test_text_with_highlights(data):
    personas, _topic = data
    response = _get(personas, {"q": "palvelu"})
    assert _ids(response) == ["fi1", "fi2"]
    assert "<mark>palveluun</mark>" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sentiment": "negative"}, None),
        ({"language": "en"}, ["en1"]),
        ({"network": "bluesky"}, ["fi2"]),
        ({"date_from": "2026-11-19", "date_to": "2026-11-19"}, ["en1"]),
        ({"date_from": "2026-11-20"}, ["fi1", "fi2"]),
    ],
)
def test_filters(data, params, expected):
    personas, topic = data
    response = _get(personas, params)
    assert response.status_code == 200
    if expected is None:
        expected = [m.remote_id for m in Mention.objects.filter(workspace=personas.workspace, sentiment="negative")]
        assert _ids(response) == sorted(expected, key=["fi1", "fi2", "en1"].index)
    else:
        assert _ids(response) == expected


def test_topic_filter(data):
    personas, topic = data
    assert _ids(_get(personas, {"topic": topic.pk})) == ["fi1"]


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-11-20", "date_to": "2026-11-01"},
        {"date_from": "eilen"},
        {"topic": "999999"},
        {"sentiment": "x"},
    ],
)
def test_bad_filters_are_a_clear_400(data, params):
    personas, _topic = data
    response = _get(personas, params)
    assert response.status_code == 400
    assert b"invalid-feedback" in response.content


def test_pages(data):
    personas, _topic = data
    Mention.objects.bulk_create(
        Mention(
            workspace=personas.workspace,
            network="web",
            remote_id=f"p{n}",
            text=f"Sivu {n}",
            published_at=BASE - timedelta(days=3, minutes=n),
        )
        for n in range(PAGE_SIZE + 5)
    )
    first = _get(personas, {"network": "web"})
    assert _ids(first) == [f"p{n}" for n in range(PAGE_SIZE)]
    assert b'rel="next"' in first.content and b"page=2" in first.content and b"network=web" in first.content
    second = _get(personas, {"network": "web", "page": "2"})
    assert _ids(second) == [f"p{n}" for n in range(PAGE_SIZE, PAGE_SIZE + 5)]
    assert b'rel="next"' not in second.content and b"page=1" in second.content
    assert _get(personas, {"page": "zzz"}).status_code == 200


def test_other_workspaces_mentions_are_not_found(data):
    personas, _topic = data
    assert b"salainen" not in _get(personas, {"q": "palvelu"}).content
