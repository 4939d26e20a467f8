"""Every ideas page × persona × method (see tests/access.py), and the public idea page: open to
anyone while the workspace has switched it on, a 404 otherwise."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from participation.models import Contact, Idea, IdeaStatusChange
from participation.models.ideas import IdeaBoardSettings
from participation.tests.inbox_data import make_item
from tests.access import (
    ADMINS,
    ALL_MEMBERS,
    DRAFTERS,
    PUBLISHERS,
    Matrix,
    cases,
    check_access,
    check_post_only,
    client_for,
)
from tests.access import slug_kwargs as _slug
from tests.fake_inbox import FakeInbox, install
from tests.fixtures import Personas


@pytest.fixture(autouse=True)
def box(monkeypatch) -> FakeInbox:
    """Messages to contributors go to the in-memory network."""
    return install(monkeypatch)


def _idea(p: Personas, **fields: object) -> Idea:
    item = make_item(p, text="Could you open on Sundays?")
    item.contact = Contact.objects.create(workspace=p.workspace, display_name="Anna")
    item.save(update_fields=["contact"])
    values = {"title": "Open on Sundays", "source_item": item, "contact": item.contact, **fields}
    return Idea.objects.create(workspace=p.workspace, **values)


def _idea_kwargs(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "idea_id": _idea(p).pk}


def _pending_idea(p: Personas) -> dict[str, object]:
    idea = Idea.objects.create(workspace=p.workspace, title="Longer hours", moderation=Idea.Moderation.PENDING)
    return {"slug": p.workspace.slug, "idea_id": idea.pk}


def _failed_change(p: Personas) -> dict[str, object]:
    idea = _idea(p, status=Idea.Status.PLANNED)
    change = IdeaStatusChange.objects.create(
        idea=idea, from_status="new", to_status="planned", note="We plan it!", tell_error="The server did not answer."
    )
    return {"slug": p.workspace.slug, "idea_id": idea.pk, "change_id": change.pk}


def _new_from_item(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"title": "Sunday hours", "text": "", "item": make_item(p).pk}


IDEA: dict[str, object] = {"title": "A loyalty card", "text": "Stamps for coffee."}
SETTINGS: dict[str, object] = {"public_page": "on", "intro": "Tell us!", "message_done": "Done, {name}!"}

MATRIX: Matrix = {
    # Every member reads the board, the ideas and the moderation queue; members who draft write
    # ideas down (also from an inbox message) and vote (read-only members do not write, not even a
    # vote); members who publish speak for the brand: they change the status (which tells the
    # contributor on the network), retry that message and moderate the public page; owners and
    # admins switch the public page on and write the messages.
    "ideas:board": (_slug, {"get": (ALL_MEMBERS, {"status": "new", "q": "Sunday", "sort": "newest"})}),
    "ideas:new": (_slug, {"get": (DRAFTERS, {}), "post": (DRAFTERS, IDEA)}),
    "ideas:moderation": (_slug, {"get": (ALL_MEMBERS, {})}),
    "ideas:settings": (_slug, {"get": (ADMINS, {}), "post": (ADMINS, SETTINGS)}),
    "ideas:detail": (_idea_kwargs, {"get": (ALL_MEMBERS, {})}),
    "ideas:edit": (_idea_kwargs, {"get": (DRAFTERS, {}), "post": (DRAFTERS, IDEA)}),
    "ideas:vote": (_idea_kwargs, {"post": (DRAFTERS, {"vote": "1"})}),
    "ideas:status": (_idea_kwargs, {"post": (PUBLISHERS, {"status": "planned", "tell": "on"})}),
    "ideas:moderate": (_pending_idea, {"post": (PUBLISHERS, {"decision": "approve"})}),
    "ideas:tell": (_failed_change, {"post": (PUBLISHERS, {})}),
}

FROM_ITEM: Matrix = {"ideas:new": (_slug, {"post": (DRAFTERS, _new_from_item)})}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize(("name", "method", "persona"), cases(FROM_ITEM))
def test_making_an_idea_of_a_message_needs_a_drafter(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(FROM_ITEM, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)


def test_it_gives_404_for_another_workspaces_ideas_and_items(personas: Personas) -> None:
    """Through their own workspace's slug, an owner reaches no idea, change or inbox item of another."""
    other = Idea.objects.create(workspace=personas.other_workspace, title="Theirs")
    change = IdeaStatusChange.objects.create(idea=other, from_status="new", to_status="done", note="Done!")
    their_item = make_item(personas, account=personas.other_account, text="Their customer")
    slug = personas.workspace.slug
    client = client_for(personas, "owner")
    assert client.get(reverse("ideas:detail", args=[slug, other.pk])).status_code == 404
    assert client.post(reverse("ideas:vote", args=[slug, other.pk]), {"vote": "1"}).status_code == 404
    assert client.post(reverse("ideas:status", args=[slug, other.pk]), {"status": "done"}).status_code == 404
    assert client.post(reverse("ideas:moderate", args=[slug, other.pk]), {"decision": "approve"}).status_code == 404
    assert client.post(reverse("ideas:tell", args=[slug, other.pk, change.pk])).status_code == 404
    assert client.get(reverse("ideas:new", args=[slug]), {"item": their_item.pk}).status_code == 404
    assert client.post(reverse("ideas:new", args=[slug]), {"title": "x", "item": their_item.pk}).status_code == 404
    other.refresh_from_db()
    assert other.votes_count == 0 and other.status == Idea.Status.NEW and other.moderation == Idea.Moderation.INTERNAL
    # A change of one idea is not reached through another idea's address.
    mine = _idea(personas)
    assert client.post(reverse("ideas:tell", args=[slug, mine.pk, change.pk])).status_code == 404


# The public page ---------------------------------------------------------------------------------
def _public_urls(personas: Personas, idea: Idea) -> list[tuple[str, str]]:
    slug = personas.workspace.slug
    return [
        ("get", reverse("public-ideas:board", args=[slug])),
        ("post", reverse("public-ideas:submit", args=[slug])),
        ("post", reverse("public-ideas:vote", args=[slug, idea.pk])),
    ]


def test_the_public_page_is_404_until_it_is_switched_on(personas: Personas) -> None:
    idea = Idea.objects.create(workspace=personas.workspace, title="Shown", moderation=Idea.Moderation.APPROVED)
    for method, url in _public_urls(personas, idea):
        assert getattr(Client(), method)(url, {"title": "Hello"}).status_code == 404, url
    IdeaBoardSettings.objects.create(workspace=personas.workspace, public_page=False)
    for method, url in _public_urls(personas, idea):
        assert getattr(Client(), method)(url, {"title": "Hello"}).status_code == 404, url
    assert Client().get(reverse("public-ideas:board", args=["no-such-workspace"])).status_code == 404
    assert not Idea.objects.exclude(pk=idea.pk).exists()
    idea.refresh_from_db()
    assert idea.votes_count == 0


def test_the_public_page_needs_no_login_once_on(personas: Personas) -> None:
    IdeaBoardSettings.objects.create(workspace=personas.workspace, public_page=True)
    idea = Idea.objects.create(workspace=personas.workspace, title="Shown", moderation=Idea.Moderation.APPROVED)
    anonymous = Client()
    assert anonymous.get(reverse("public-ideas:board", args=[personas.workspace.slug])).status_code == 200
    assert anonymous.post(reverse("public-ideas:vote", args=[personas.workspace.slug, idea.pk])).status_code == 302
    assert anonymous.get(reverse("public-ideas:submit", args=[personas.workspace.slug])).status_code == 405
    assert anonymous.get(reverse("public-ideas:vote", args=[personas.workspace.slug, idea.pk])).status_code == 405
    # Another workspace's page stays off, and its ideas are not reached through this one.
    theirs = Idea.objects.create(workspace=personas.other_workspace, title="Theirs", moderation="approved")
    assert anonymous.post(reverse("public-ideas:vote", args=[personas.workspace.slug, theirs.pk])).status_code == 404
    assert anonymous.get(reverse("public-ideas:board", args=[personas.other_workspace.slug])).status_code == 404


@pytest.mark.parametrize("moderation", ["pending", "rejected", "internal"])
def test_a_visitor_cannot_vote_for_an_idea_not_shown(personas: Personas, moderation: str) -> None:
    IdeaBoardSettings.objects.create(workspace=personas.workspace, public_page=True)
    idea = Idea.objects.create(workspace=personas.workspace, title="Not shown", moderation=moderation)
    response = Client().post(reverse("public-ideas:vote", args=[personas.workspace.slug, idea.pk]))
    assert response.status_code == 404
    idea.refresh_from_db()
    assert idea.votes_count == 0
