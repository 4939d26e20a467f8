"""A topic's dashboard on a known data set: volumes per bucket in the member's time zone, the tone
against the goal, share of voice, sources and languages, opinion leaders in each order, themes
against the previous period; the drill-down with highlights and filters, its CSV, the correction of
a mention's sentiment, adding a leader to the community, and a query count that does not grow."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from listening.models import Mention, MentionTopic, SentimentCorrection, Topic
from listening.services import dashboard as service
from listening.services import themes
from participation.models import Contact, ContactIdentity
from participation.services.contacts import identity_upsert
from tests.access import client_for
from tests.fixtures import Personas

HELSINKI = ZoneInfo("Europe/Helsinki")
PERIOD = service.Period(date(2026, 11, 10), date(2026, 11, 16), HELSINKI)  # previous: 3.–9.11.


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


_counter = iter(range(1, 10_000))


def mention(
    workspace,
    topics,
    when,
    text,
    *,
    sentiment="",
    author="",
    followers=None,
    likes=0,
    reposts=0,
    replies=0,
    language="fi",
    network="mastodon",
) -> Mention:
    row = Mention.objects.create(
        workspace=workspace,
        network=network,
        remote_id=f"r{next(_counter)}",
        author_id=f"id-{author}" if author else "",
        author_handle=f"@{author}@example.social" if author else "",
        author_name=author.title(),
        author_followers=followers,
        text=text,
        language=language,
        sentiment=sentiment,
        likes=likes,
        reposts=reposts,
        replies=replies,
        published_at=when,
    )
    for topic in topics:
        MentionTopic.objects.create(
            workspace=workspace, mention=row, topic=topic, published_at=when, sentiment=sentiment
        )
    return row


@pytest.fixture
def data(personas: Personas):
    ws = personas.workspace
    for user in (personas.viewer, personas.contributor):
        user.timezone = "Europe/Helsinki"
        user.save(update_fields=["timezone"])
    brand = Topic.objects.create(
        workspace=ws, name="Paulig", query="paulig OR #kahvi", compiled={}, tone_goal_percent=60
    )
    rival = Topic.objects.create(workspace=ws, name="Juhla Mokka", query="mokka", category="competitor", compiled={})
    industry = Topic.objects.create(workspace=ws, name="Kahvi", query="kahvi", category="industry", compiled={})
    m = {}
    m["alice"] = mention(
        ws,
        [brand, industry],
        at(10, 10),
        "#kahvi Paulig kahvi maistuu aamulla",
        sentiment="positive",
        author="alice",
        followers=1000,
        likes=5,
    )
    # 23:30 UTC is already the 11th in Helsinki.
    m["bob1"] = mention(
        ws,
        [brand],
        at(10, 23, 30),
        "#kahvi Paulig myöhässä taas, huono palvelu",
        sentiment="negative",
        author="bob",
        followers=10,
        likes=50,
        reposts=10,
    )
    m["bob2"] = mention(
        ws,
        [brand],
        at(12, 8),
        "#kahvi huono palvelu jälleen",
        sentiment="positive",
        author="bob",
        followers=10,
        language="en",
    )
    m["carol"] = mention(
        ws, [brand], at(12, 9), "Paulig uutinen", sentiment="neutral", author="carol", followers=500, likes=1
    )
    # 21:30 UTC on the 9th is 23:30 in Helsinki: the previous period.
    m["old"] = mention(ws, [brand], at(9, 21, 30), "#kahvi Paulig ennen", sentiment="negative", author="dave")
    m["older"] = mention(ws, [brand], at(4, 12), "Paulig uutinen vanha", sentiment="positive", author="dave")
    mention(ws, [rival], at(11, 12), "Mokka hyvä", sentiment="positive")
    mention(ws, [rival], at(13, 12), "Mokka huono", sentiment="negative")
    mention(ws, [industry], at(14, 12), "kahvi yleensä")
    mention(ws, [brand], at(17, 12), "Paulig huomenna", sentiment="positive")  # after the period
    return personas, brand, rival, industry, m


def test_volumes_tone_and_goal(data):
    _p, brand, *_rest = data
    board = service.dashboard(topic=brand, period=PERIOD)
    assert board.labels[:3] == ["2026-11-10", "2026-11-11", "2026-11-12"] and len(board.labels) == 7
    assert board.volume == [1, 1, 2, 0, 0, 0, 0]
    assert board.positive_share == [100.0, 0.0, 100.0, None, None, None, None]
    assert board.sentiment_counts["neutral"] == [0, 0, 1, 0, 0, 0, 0]
    assert (board.totals.total, board.totals.positive, board.totals.neutral, board.totals.negative) == (4, 2, 1, 1)
    assert board.totals.positive_share == 66.7
    assert board.goal == 60 and board.goal_met is True
    assert board.previous.total == 2 and board.previous.positive_share == 50.0
    assert board.change == 100.0
    brand.tone_goal_percent = 70
    assert service.dashboard(topic=brand, period=PERIOD).goal_met is False
    brand.tone_goal_percent = None
    assert service.dashboard(topic=brand, period=PERIOD).goal_met is None


def test_hourly_buckets_for_two_days_or_less(data):
    _p, brand, *_rest = data
    board = service.dashboard(topic=brand, period=service.Period(date(2026, 11, 11), date(2026, 11, 11), HELSINKI))
    assert len(board.labels) == 24
    assert board.labels[1] == "2026-11-11 01:00" and board.volume[1] == 1 and sum(board.volume) == 1


def test_share_of_voice_against_brand_and_competitor_topics(data):
    _p, brand, rival, industry, _m = data
    rows = service.dashboard(topic=brand, period=PERIOD).share_of_voice
    assert [(row["name"], row["count"], row["percent"], row["this"]) for row in rows] == [
        ("Paulig", 4, 66.7, True),
        ("Juhla Mokka", 2, 33.3, False),
    ]
    # An industry topic's own dashboard lists itself against the brand and competitors.
    names = [row["name"] for row in service.dashboard(topic=industry, period=PERIOD).share_of_voice]
    assert sorted(names) == ["Juhla Mokka", "Kahvi", "Paulig"]


def test_sources_and_languages(data):
    _p, brand, *_rest = data
    board = service.dashboard(topic=brand, period=PERIOD)
    assert [(row["network"], row["count"]) for row in board.sources] == [("mastodon", 4)]
    assert [(row["language"], row["count"], row["percent"]) for row in board.languages] == [
        ("fi", 3, 75.0),
        ("en", 1, 25.0),
    ]


def test_opinion_leaders_in_each_order_with_community_links(data):
    personas, brand, *_rest, m = data
    contact = identity_upsert(
        workspace_id=personas.workspace.pk, network="mastodon", remote_id="id-alice", handle="@alice@example.social"
    ).contact

    def handles(order):
        return [
            row["handle"].split("@")[1]
            for row in service.dashboard(topic=brand, period=PERIOD, leaders_by=order).leaders
        ]

    assert handles("reach") == ["alice", "carol", "bob"]
    assert handles("engagement") == ["bob", "alice", "carol"]
    assert handles("frequency") == ["bob", "alice", "carol"]
    assert handles("nonsense") == handles("reach")
    leaders = {row["handle"]: row for row in service.dashboard(topic=brand, period=PERIOD).leaders}
    bob = leaders["@bob@example.social"]
    assert (bob["reach"], bob["engagement"], bob["frequency"]) == (10, 60, 2)
    assert leaders["@alice@example.social"]["contact_id"] == contact.pk
    assert bob["contact_id"] is None


def test_themes_compared_with_the_previous_period(data):
    _p, brand, *_rest = data
    found = {theme.text: theme for theme in service.dashboard(topic=brand, period=PERIOD).themes}
    assert found["#kahvi"].kind == "hashtag" and (found["#kahvi"].count, found["#kahvi"].previous) == (3, 1)
    assert found["#kahvi"].rising
    assert (found["paulig"].count, found["paulig"].previous) == (3, 2) and not found["paulig"].rising
    assert found["huono palvelu"].kind == "phrase" and found["huono palvelu"].new
    assert "taas" not in found and "ja" not in found  # stop words


def test_themes_lemmatise_and_count_once_per_mention():
    counted = themes.count_themes(
        [
            ("Kahvi kahvi kahvi #Kahvi https://example.com/x @someone", "fi"),
            ("Kahvia ja pullaa #kahvi", "fi"),
            ("The services were slow, service", "en"),
            ("Slow services!", "en"),
        ]
    )
    assert counted[("hashtag", "#kahvi")] == 2
    assert counted[("keyword", "kahvi")] == 2  # "kahvia" is "kahvi"; counted once per mention
    assert counted[("keyword", "service")] == 2 and counted[("phrase", "slow service")] == 2
    assert ("phrase", "kahvi kahvi") not in counted and ("keyword", "someone") not in counted
    assert ("keyword", "the") not in counted and ("keyword", "ja") not in counted


def test_the_query_count_does_not_grow_with_the_mentions(data):
    personas, brand, rival, industry, _m = data
    with CaptureQueriesContext(connection) as before:
        service.dashboard(topic=brand, period=PERIOD)
    for n in range(30):
        mention(
            personas.workspace,
            [brand],
            at(13, n % 24),
            f"Paulig #uusi{n}",
            sentiment="positive",
            author=f"user{n}",
            followers=n,
        )
    with CaptureQueriesContext(connection) as after:
        board = service.dashboard(topic=brand, period=PERIOD)
    assert board.totals.total == 34
    assert len(after.captured_queries) == len(before.captured_queries) <= 10


def _dashboard_url(personas, topic, name="listening:topic-dashboard"):
    return reverse(name, args=[personas.workspace.slug, topic.pk])


def test_dashboard_page_for_a_viewer(data):
    personas, brand, *_rest = data
    client = client_for(personas, "viewer")
    response = client.get(_dashboard_url(personas, brand), {"date_from": "2026-11-10", "date_to": "2026-11-16"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-goal="met"' in body and 'data-total="4"' in body
    assert 'id="listening-chart-data"' in body and "<script>" not in body.replace("</script>", "")
    assert "Add to the community" not in body  # a viewer cannot add people
    assert client.get(_dashboard_url(personas, brand), {"days": "7"}).status_code == 200
    assert client.get(_dashboard_url(personas, brand)).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-11-16", "date_to": "2026-11-10"},
        {"date_from": "2026-11-16"},
        {"date_from": "not a date", "date_to": "2026-11-10"},
        {"date_from": "2020-01-01", "date_to": "2026-11-10"},
        {"days": "5"},
    ],
)
def test_dashboard_bad_period_is_a_clear_400(data, params):
    personas, brand, *_rest = data
    response = client_for(personas, "viewer").get(_dashboard_url(personas, brand), params)
    assert response.status_code == 400
    assert b"invalid-feedback" in response.content or b"alert-danger" in response.content


def test_drill_down_newest_first_with_highlights_and_filters(data):
    personas, brand, *_rest, m = data
    evil = mention(personas.workspace, [brand], at(15, 12), "Paulig <script>alert(1)</script>", sentiment="negative")
    url = _dashboard_url(personas, brand, "listening:topic-mentions")
    period = {"date_from": "2026-11-10", "date_to": "2026-11-16"}
    response = client_for(personas, "contributor").get(url, period)
    body = response.content.decode()
    assert response.status_code == 200
    order = [f'id="mention-{row.pk}"' for row in (evil, m["carol"], m["bob2"], m["bob1"], m["alice"])]
    assert [body.index(marker) for marker in order] == sorted(body.index(marker) for marker in order)
    assert f'id="mention-{m["old"].pk}"' not in body
    assert "<mark>Paulig</mark>" in body and "&lt;script&gt;" in body and "<script>alert" not in body
    assert "Correct" in body
    negative = client_for(personas, "viewer").get(url, {**period, "sentiment": "negative"}).content.decode()
    assert f'id="mention-{m["bob1"].pk}"' in negative and f'id="mention-{m["alice"].pk}"' not in negative
    assert "Correct</button>" not in negative  # a viewer cannot correct
    english = client_for(personas, "viewer").get(url, {**period, "language": "en"}).content.decode()
    assert f'id="mention-{m["bob2"].pk}"' in english and f'id="mention-{m["bob1"].pk}"' not in english
    assert client_for(personas, "viewer").get(url, {"sentiment": "angry"}).status_code == 400


def test_csv_export_of_the_filtered_mentions(data):
    personas, brand, *_rest, m = data
    mention(personas.workspace, [brand], at(15, 12), '=HYPERLINK("http://evil") Paulig', sentiment="negative")
    url = _dashboard_url(personas, brand, "listening:topic-mentions-csv")
    response = client_for(personas, "viewer").get(
        url, {"date_from": "2026-11-10", "date_to": "2026-11-16", "sentiment": "negative"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    streamed = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    text = streamed.decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Published" and rows[0][-1] == "Text"
    assert [row[-1] for row in rows[1:]] == ['\'=HYPERLINK("http://evil") Paulig', m["bob1"].text]
    assert rows[2][0] == "2026-11-11 01:30"  # the member's time zone (Helsinki)
    assert rows[2][2] == "'@bob@example.social" and rows[2][7:10] == ["50", "10", "0"]


def test_correcting_a_mentions_sentiment(data):
    personas, brand, *_rest, m = data
    url = reverse("listening:topic-mention-sentiment", args=[personas.workspace.slug, brand.pk, m["bob2"].pk])
    back = _dashboard_url(personas, brand, "listening:topic-mentions") + "?sentiment=positive"
    response = client_for(personas, "contributor").post(url, {"sentiment": "negative", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    m["bob2"].refresh_from_db()
    assert m["bob2"].sentiment == "negative" and m["bob2"].sentiment_corrected
    assert MentionTopic.objects.get(mention=m["bob2"]).sentiment == "negative"
    assert SentimentCorrection.objects.filter(mention=m["bob2"], to_sentiment="negative").count() == 1
    assert service.dashboard(topic=brand, period=PERIOD).totals.negative == 2
    # Bad values are a message, not an error page; a foreign "next" is not followed.
    response = client_for(personas, "contributor").post(url, {"sentiment": "angry", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]
    m["bob2"].refresh_from_db()
    assert m["bob2"].sentiment == "negative"


def test_adding_an_opinion_leader_to_the_community(data):
    personas, brand, *_rest = data
    url = reverse("listening:topic-leader-add", args=[personas.workspace.slug, brand.pk])
    leader = {"network": "mastodon", "author_id": "id-carol", "handle": "@carol@example.social", "name": "Carol"}
    response = client_for(personas, "contributor").post(url, leader)
    identity = ContactIdentity.objects.get(workspace=personas.workspace, remote_id="id-carol")
    assert response.status_code == 302
    assert response["Location"] == reverse("community:member", args=[personas.workspace.slug, identity.contact_id])
    client_for(personas, "contributor").post(url, leader)
    assert Contact.objects.filter(workspace=personas.workspace, identities__remote_id="id-carol").count() == 1
    leaders = {row["handle"]: row for row in service.dashboard(topic=brand, period=PERIOD).leaders}
    assert leaders["@carol@example.social"]["contact_id"] == identity.contact_id
    assert client_for(personas, "contributor").post(url, {"network": ""}).status_code == 302


def test_topics_list_links_to_the_dashboard(data):
    personas, brand, *_rest = data
    body = client_for(personas, "viewer").get(reverse("listening:topics", args=[personas.workspace.slug])).content
    assert _dashboard_url(personas, brand).encode() in body


def test_period_helpers():
    period = service.last_days(7, today=date(2026, 11, 16), zone=HELSINKI)
    assert (period.start, period.end, period.days) == (date(2026, 11, 10), date(2026, 11, 16), 7)
    assert period.previous.end == date(2026, 11, 9) and period.previous.days == 7
    assert period.since == datetime(2026, 11, 10, tzinfo=HELSINKI)
    assert period.until - period.since == timedelta(days=7)
