"""Every dashboard and search page × persona × method (see tests/access.py): every member reads a
topic's dashboard, its mentions, their CSV and the search; members who draft (owners, admins,
editors, contributors) correct a mention's sentiment and add an opinion leader to the community."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from listening.models import Mention, MentionTopic, Topic
from smm.accounts.models import Workspace
from tests.access import ALL_MEMBERS, DRAFTERS, Matrix, cases, check_access, check_post_only, client_for
from tests.access import slug_kwargs as _slug
from tests.fixtures import Personas


def _mention(workspace: Workspace, topic: Topic, remote_id: str = "m1") -> Mention:
    now = timezone.now()
    mention = Mention.objects.create(
        workspace=workspace,
        network="mastodon",
        remote_id=remote_id,
        author_id="42",
        author_handle="@kahvi@example.social",
        author_name="Kahvi Kaisa",
        text="Paulig kahvi on hyvää",
        language="fi",
        sentiment="positive",
        published_at=now,
    )
    MentionTopic.objects.create(
        workspace=workspace, mention=mention, topic=topic, published_at=now, sentiment="positive"
    )
    return mention


def _topic(p: Personas) -> dict[str, object]:
    topic = Topic.objects.create(workspace=p.workspace, name="Paulig", query="paulig", compiled={})
    mention = _mention(p.workspace, topic)
    return {"slug": p.workspace.slug, "topic_id": topic.pk, "_mention": mention.pk}


def _topic_mention(p: Personas) -> dict[str, object]:
    kwargs = _topic(p)
    return {"slug": kwargs["slug"], "topic_id": kwargs["topic_id"], "mention_id": kwargs["_mention"]}


LEADER: dict[str, object] = {
    "network": "mastodon",
    "author_id": "42",
    "handle": "@kahvi@example.social",
    "name": "Kahvi Kaisa",
}

MATRIX: Matrix = {
    "listening:topic-dashboard": (_topic, {"get": (ALL_MEMBERS, {})}),
    "listening:topic-mentions": (_topic, {"get": (ALL_MEMBERS, {})}),
    "listening:topic-mentions-csv": (_topic, {"get": (ALL_MEMBERS, {})}),
    "listening:topic-mention-sentiment": (_topic_mention, {"post": (DRAFTERS, {"sentiment": "negative"})}),
    "listening:topic-leader-add": (_topic, {"post": (DRAFTERS, LEADER)}),
    "listening:search": (_slug, {"get": (ALL_MEMBERS, {"q": "kahvi"})}),
}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)


def test_it_gives_404_for_another_workspaces_topic_and_mentions(personas: Personas) -> None:
    theirs = Topic.objects.create(workspace=personas.other_workspace, name="Theirs", query="rival", compiled={})
    their_mention = _mention(personas.other_workspace, theirs, "theirs")
    ours = Topic.objects.create(workspace=personas.workspace, name="Ours", query="ours", compiled={})
    slug = personas.workspace.slug
    client = client_for(personas, "owner")
    for name in ("listening:topic-dashboard", "listening:topic-mentions", "listening:topic-mentions-csv"):
        assert client.get(reverse(name, args=[slug, theirs.pk])).status_code == 404
    url = reverse("listening:topic-mention-sentiment", args=[slug, theirs.pk, their_mention.pk])
    assert client.post(url, {"sentiment": "negative"}).status_code == 404
    # Their mention through our topic: still not found.
    url = reverse("listening:topic-mention-sentiment", args=[slug, ours.pk, their_mention.pk])
    assert client.post(url, {"sentiment": "negative"}).status_code == 404
    their_mention.refresh_from_db()
    assert their_mention.sentiment == "positive"
    assert client.post(reverse("listening:topic-leader-add", args=[slug, theirs.pk]), LEADER).status_code == 404
    # An author who never wrote about our topic cannot be made into a contact from here.
    assert client.post(reverse("listening:topic-leader-add", args=[slug, ours.pk]), LEADER).status_code == 404
    # Their mentions are not found by our search.
    found = client.get(reverse("listening:search", args=[slug]), {"q": "kahvi"})
    assert b"Paulig kahvi" not in found.content
