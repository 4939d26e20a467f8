"""Every topics page × persona × method (see tests/access.py): every member reads the topics;
members who publish (owners, admins, editors) add, change, check, try and delete them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from listening.models import Topic
from tests.access import ALL_MEMBERS, PUBLISHERS, Matrix, cases, check_access, check_post_only, client_for
from tests.access import slug_kwargs as _slug
from tests.fixtures import Personas


def _topic(p: Personas) -> dict[str, object]:
    topic = Topic.objects.create(workspace=p.workspace, name="Paulig", query="paulig", compiled={})
    return {"slug": p.workspace.slug, "topic_id": topic.pk}


TOPIC: dict[str, object] = {"name": "Kahvi", "category": "industry", "query": "kahvi* -tee", "active": "on"}

MATRIX: Matrix = {
    "listening:topics": (_slug, {"get": (ALL_MEMBERS, {})}),
    "listening:topic-new": (_slug, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, TOPIC)}),
    "listening:topic-edit": (_topic, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, TOPIC)}),
    "listening:topic-delete": (_topic, {"post": (PUBLISHERS, {})}),
    "listening:topic-check": (_slug, {"post": (PUBLISHERS, {"query": "kahvi OR tee"})}),
    "listening:topic-try": (_slug, {"post": (PUBLISHERS, {"query": "kahvi OR tee"})}),
}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)


def test_it_gives_404_for_another_workspaces_topics(personas: Personas) -> None:
    theirs = Topic.objects.create(workspace=personas.other_workspace, name="Theirs", query="rival", compiled={})
    slug = personas.workspace.slug
    client = client_for(personas, "owner")
    assert client.get(reverse("listening:topic-edit", args=[slug, theirs.pk])).status_code == 404
    assert client.post(reverse("listening:topic-edit", args=[slug, theirs.pk]), TOPIC).status_code == 404
    assert client.post(reverse("listening:topic-delete", args=[slug, theirs.pk])).status_code == 404
    # The try page's "topic" field names the topic whose form comes back: not another workspace's.
    data = {**TOPIC, "topic": theirs.pk}
    assert client.post(reverse("listening:topic-try", args=[slug]), data).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Theirs" and theirs.query == "rival"
    # Their topics are not listed here.
    listed = client.get(reverse("listening:topics", args=[slug]))
    assert b"Theirs" not in listed.content
