"""Topics: saved with their parsed query and audited; the list with the last days' volume; the live
check and the try on collected mentions."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from listening import query as q
from listening.models import Mention, MentionTopic, Topic
from listening.services import topics
from smm.accounts.models import AuditEvent
from tests.access import client_for
from tests.fixtures import Personas

_ids = itertools.count(1)
HTMX = {"HX-Request": "true"}


def mention(workspace, text: str, *, minutes_ago: int = 0, **fields: object) -> Mention:
    values: dict[str, object] = {
        "network": "mastodon",
        "remote_id": str(next(_ids)),
        "author_handle": "@someone@mastodon.example",
        "published_at": timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    }
    return Mention.objects.create(workspace=workspace, text=text, **values)


def url(personas: Personas, name: str, *args: object) -> str:
    return reverse(f"listening:{name}", args=[personas.workspace.slug, *args])


# Services -----------------------------------------------------------------------------------------
def test_it_saves_a_topic_with_its_parsed_query_and_audits_it(personas: Personas) -> None:
    topic = topics.topic_create(
        workspace=personas.workspace,
        actor=personas.editor,
        name="  Kahvi   ja tee ",
        query=" kahvi* -tee ",
        category=Topic.Category.INDUSTRY,
        tone_goal_percent=60,
    )
    topic.refresh_from_db()
    assert topic.name == "Kahvi ja tee" and topic.query == "kahvi* -tee"
    assert q.from_json(topic.compiled) == q.parse("kahvi* -tee")
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOPIC_CREATED)
    assert event.workspace == personas.workspace and event.actor == personas.editor
    assert event.target == "Kahvi ja tee" and event.data["query"] == "kahvi* -tee"


def test_it_refuses_a_query_that_does_not_parse(personas: Personas) -> None:
    with pytest.raises(ValidationError) as caught:
        topics.topic_create(workspace=personas.workspace, actor=personas.owner, name="Bad", query="(kahvi")
    assert "never closed" in caught.value.message_dict["query"][0]
    assert "character 1" in caught.value.message_dict["query"][0]
    assert not Topic.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TOPIC_CREATED).exists()


def test_it_refuses_a_second_topic_of_the_same_name(personas: Personas) -> None:
    topics.topic_create(workspace=personas.workspace, actor=personas.owner, name="Paulig", query="paulig")
    with pytest.raises(ValidationError) as caught:
        topics.topic_create(workspace=personas.workspace, actor=personas.owner, name="PAULIG", query="x")
    assert "already" in caught.value.message_dict["name"][0]
    # Another workspace may use the name.
    topics.topic_create(workspace=personas.other_workspace, actor=personas.outsider, name="Paulig", query="paulig")


def test_a_change_recompiles_and_audits_what_changed(personas: Personas) -> None:
    topic = topics.topic_create(workspace=personas.workspace, actor=personas.owner, name="Paulig", query="paulig")
    topics.topic_update(topic=topic, actor=personas.admin, query="paulig OR @paulig", tone_goal_percent=70)
    topic.refresh_from_db()
    assert q.from_json(topic.compiled) == q.parse("paulig OR @paulig")
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOPIC_EDITED)
    assert event.data["changes"] == {
        "query": {"from": "paulig", "to": "paulig OR @paulig"},
        "tone_goal_percent": {"from": None, "to": 70},
    }
    # Saving without a change records nothing.
    topics.topic_update(topic=topic, actor=personas.admin, query="paulig OR @paulig")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TOPIC_EDITED).count() == 1
    with pytest.raises(ValidationError):
        topics.topic_update(topic=topic, actor=personas.admin, query="NOT paulig")
    topic.refresh_from_db()
    assert topic.query == "paulig OR @paulig"


def test_deleting_a_topic_keeps_the_mentions(personas: Personas) -> None:
    topic = topics.topic_create(workspace=personas.workspace, actor=personas.owner, name="Paulig", query="paulig")
    found = mention(personas.workspace, "Paulig")
    MentionTopic.objects.create(workspace=personas.workspace, mention=found, topic=topic, published_at=timezone.now())
    topics.topic_delete(topic=topic, actor=personas.owner)
    assert not Topic.objects.exists() and not MentionTopic.objects.exists()
    assert Mention.objects.filter(pk=found.pk).exists()
    assert AuditEvent.objects.get(action=AuditEvent.Action.TOPIC_DELETED).target == "Paulig"


def test_a_try_reads_only_the_latest_mentions_of_the_workspace(personas: Personas) -> None:
    mention(personas.workspace, "kahvila auki", minutes_ago=30)
    mention(personas.workspace, "vanha kahvi", minutes_ago=500)
    mention(personas.workspace, "teetä", minutes_ago=10)
    mention(personas.workspace, "Kahvin hinta", minutes_ago=1, title="Uutinen")
    mention(personas.other_workspace, "kahvi muualla")
    node = q.parse("kahvi*")
    result = topics.topic_try(workspace_id=personas.workspace.pk, node=node, scan=3)
    assert (result.scanned, result.count) == (3, 2)
    assert [tried.mention.text for tried in result.shown] == ["Kahvin hinta", "kahvila auki"]
    assert result.shown[0].text == "<mark>Kahvin</mark> hinta"
    everything = topics.topic_try(workspace_id=personas.workspace.pk, node=node, shown=1)
    assert (everything.scanned, everything.count, len(everything.shown)) == (4, 3, 1)


# Pages --------------------------------------------------------------------------------------------
def test_a_publisher_adds_a_topic(personas: Personas) -> None:
    client = client_for(personas, "editor")
    data = {"name": "Kahvi", "category": "industry", "query": "kahvi* -tee", "active": "on", "tone_goal_percent": "60"}
    response = client.post(url(personas, "topic-new"), data)
    assert response.status_code == 302 and response["Location"] == url(personas, "topics")
    topic = Topic.objects.get(workspace=personas.workspace)
    assert (topic.name, topic.category, topic.active, topic.tone_goal_percent) == ("Kahvi", "industry", True, 60)
    assert q.from_json(topic.compiled) == q.parse("kahvi* -tee")


@pytest.mark.parametrize(
    ("query", "says"),
    [("(kahvi", "never closed"), ("", "required"), ("NOT tee", "only leaves things out"), ("x" * 2001, "at most")],
)
def test_the_form_says_what_is_wrong_with_the_query(personas: Personas, query: str, says: str) -> None:
    client = client_for(personas, "owner")
    response = client.post(url(personas, "topic-new"), {"name": "Kahvi", "category": "brand", "query": query})
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Topic.objects.exists()


def test_the_form_refuses_a_tone_goal_over_100(personas: Personas) -> None:
    client = client_for(personas, "owner")
    data = {"name": "Kahvi", "category": "brand", "query": "kahvi", "tone_goal_percent": "150"}
    assert client.post(url(personas, "topic-new"), data).status_code == 400
    assert not Topic.objects.exists()


def test_a_publisher_changes_a_topic(personas: Personas) -> None:
    topic = topics.topic_create(workspace=personas.workspace, actor=personas.owner, name="Paulig", query="paulig")
    client = client_for(personas, "admin")
    page = client.get(url(personas, "topic-edit", topic.pk))
    assert page.status_code == 200 and b"paulig" in page.content
    assert "This topic finds:" in page.content.decode()  # the saved query is explained at once
    data = {"name": "Paulig Oy", "category": "competitor", "query": "paulig OR #paulig"}
    assert client.post(url(personas, "topic-edit", topic.pk), data).status_code == 302
    topic.refresh_from_db()
    assert (topic.name, topic.category, topic.active) == ("Paulig Oy", "competitor", False)
    assert q.from_json(topic.compiled) == q.parse("paulig OR #paulig")


def test_a_publisher_deletes_a_topic(personas: Personas) -> None:
    topic = topics.topic_create(workspace=personas.workspace, actor=personas.owner, name="Paulig", query="paulig")
    response = client_for(personas, "editor").post(url(personas, "topic-delete", topic.pk))
    assert response.status_code == 302
    assert not Topic.objects.exists()


def test_the_check_explains_or_says_where_it_goes_wrong(personas: Personas) -> None:
    client = client_for(personas, "editor")
    good = client.post(url(personas, "topic-check"), {"query": "kahvi OR tee"}, headers=HTMX)
    assert good.status_code == 200
    assert "the word “kahvi” or the word “tee”" in good.content.decode()
    bad = client.post(url(personas, "topic-check"), {"query": "kahvi AND"}, headers=HTMX)
    assert bad.status_code == 200
    assert "At character 10:" in bad.content.decode() and "ends where a word" in bad.content.decode()
    huge = client.post(url(personas, "topic-check"), {"query": "kahvi " * 5000}, headers=HTMX)
    assert huge.status_code == 200 and "too long" in huge.content.decode()
    empty = client.post(url(personas, "topic-check"), {"query": ""}, headers=HTMX)
    assert empty.status_code == 200 and "explained here" in empty.content.decode()


def test_the_check_escapes_what_was_typed(personas: Personas) -> None:
    client = client_for(personas, "editor")
    response = client.post(url(personas, "topic-check"), {"query": '<img src=x onerror=alert(1)> "x'}, headers=HTMX)
    assert b"<img" not in response.content
    response = client.post(url(personas, "topic-check"), {"query": "<b>kahvi</b>"}, headers=HTMX)
    assert b"<b>" not in response.content


def test_a_try_with_nothing_collected_says_so(personas: Personas) -> None:
    response = client_for(personas, "editor").post(url(personas, "topic-try"), {"query": "kahvi"}, headers=HTMX)
    assert response.status_code == 200
    assert "No mentions have been collected yet" in response.content.decode()


def test_a_try_shows_the_count_and_the_first_matches_highlighted(personas: Personas) -> None:
    for number in range(25):
        mention(personas.workspace, f"Kahvila numero {number} <script>x</script>", minutes_ago=number)
    mention(personas.workspace, "teetä vain")
    response = client_for(personas, "editor").post(url(personas, "topic-try"), {"query": "kahvi*"}, headers=HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "25 of the latest 26 mentions match." in content
    assert "The newest 20 are shown." in content
    assert content.count("<mark>Kahvila</mark>") == 20
    assert "<script>" not in content and "&lt;script&gt;" in content


def test_a_try_with_a_bad_query_says_what_is_wrong(personas: Personas) -> None:
    mention(personas.workspace, "kahvi")
    response = client_for(personas, "editor").post(url(personas, "topic-try"), {"query": "kahvi)"}, headers=HTMX)
    assert response.status_code == 400
    assert "no opening one" in response.content.decode()


def test_a_try_without_javascript_returns_the_form_with_the_results(personas: Personas) -> None:
    mention(personas.workspace, "Kahvila")
    response = client_for(personas, "editor").post(url(personas, "topic-try"), {"query": "kahvi*", "name": ""})
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="topic-form"' in content and "<mark>Kahvila</mark>" in content
    assert "This field is required" not in content  # a try needs no name yet


def test_the_list_shows_each_topics_mentions_of_the_last_seven_days(personas: Personas) -> None:
    now = timezone.now()
    paulig = topics.topic_create(workspace=personas.workspace, actor=personas.owner, name="Paulig", query="paulig")
    topics.topic_create(
        workspace=personas.workspace, actor=personas.owner, name="Kahvi", query="kahvi", tone_goal_percent=65
    )
    for days in (0, 1, 6, 8, 30):
        found = mention(personas.workspace, "Paulig", minutes_ago=days * 24 * 60)
        MentionTopic.objects.create(
            workspace=personas.workspace, mention=found, topic=paulig, published_at=now - timedelta(days=days)
        )
    response = client_for(personas, "viewer").get(url(personas, "topics"))
    assert response.status_code == 200
    content = response.content.decode()
    assert f'id="topic-{paulig.pk}"' in content
    assert 'data-recent="3"' in content and 'data-recent="0"' in content
    assert "≥ 65 % positive" in content
    # A read-only member gets no buttons to change anything.
    assert "topic-edit" not in content and url(personas, "topic-new") not in content


def test_the_list_makes_the_same_queries_for_many_topics(personas: Personas) -> None:
    client = client_for(personas, "owner")
    topics.topic_create(workspace=personas.workspace, actor=personas.owner, name="T0", query="a")
    with CaptureQueriesContext(connection) as few:
        client.get(url(personas, "topics"))
    for number in range(1, 15):
        topics.topic_create(workspace=personas.workspace, actor=personas.owner, name=f"T{number}", query="a")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(personas, "topics")).status_code == 200
    assert len(many) == len(few)


def test_the_list_paginates(personas: Personas) -> None:
    for number in range(30):
        Topic.objects.create(workspace=personas.workspace, name=f"Topic {number:02}", query="a", compiled={})
    client = client_for(personas, "owner")
    first = client.get(url(personas, "topics")).content.decode()
    second = client.get(url(personas, "topics"), {"page": 2}).content.decode()
    assert "Topic 00" in first and "Topic 29" not in first
    assert "Topic 29" in second and "Page 2 of 2" in second
