"""Every contest page × persona × method (see tests/access.py), and the public pages (no login).

Every member reads contests; members who draft create and edit them, collect entries and exclude
them; members who publish open, post the hash, cancel, draw, reveal, redraw, mark and tell winners.
Contests are built with the ORM in the state each action needs; the network is the in-memory one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from participation.models import Contest, ContestEntry, ContestWinner
from participation.services import draw
from participation.tests.test_contests import install_network, published_target
from smm.lib import crypto
from tests.access import (
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
from tests.fake_inbox import FakeInbox
from tests.fixtures import Personas


@pytest.fixture(autouse=True)
def box(monkeypatch) -> FakeInbox:
    return install_network(monkeypatch)


def make(p: Personas, state: str = Contest.State.DRAFT, *, closed: bool = False, workspace=None) -> Contest:
    now = timezone.now()
    seed = draw.new_seed()
    contest = Contest.objects.create(
        workspace=workspace or p.workspace,
        title="Giveaway",
        prize="A coat",
        rules_text="Reply to enter.",
        opens_at=now - timedelta(days=2),
        closes_at=now - timedelta(hours=1) if closed else now + timedelta(days=1),
        state=state,
        seed_encrypted="" if state == Contest.State.DRAFT else crypto.encrypt_json({"seed": seed}),
        seed_hash="" if state == Contest.State.DRAFT else draw.commitment(seed),
    )
    if workspace is None:
        contest.targets.add(published_target(p, remote_id=f"our-{contest.pk}"))
    return contest


def add_entry(contest: Contest, *, eligible: bool = True, manual: bool = False) -> ContestEntry:
    number = contest.entries.count() + 1
    return ContestEntry.objects.create(
        contest=contest,
        network="mastodon",
        remote_id=f"r{number}",
        author_remote_id=f"id-{number}",
        author_handle=f"@fan{number}@fake.example",
        posted_at=contest.opens_at + timedelta(minutes=number),
        ticket=draw.ticket("mastodon", f"r{number}"),
        eligible=eligible and not manual,
        exclusion="manual" if manual else "",
        exclusion_detail="Spam" if manual else "",
    )


def drawn(p: Personas, state: str = Contest.State.DRAWN) -> Contest:
    contest = make(p, Contest.State.OPEN, closed=True)
    entry = add_entry(contest)
    add_entry(contest)
    contest.list_hash = draw.list_hash(draw.entry_list(contest.entries.values_list("ticket", flat=True)))
    contest.state = state
    contest.save()
    ContestWinner.objects.create(contest=contest, entry=entry, round=1, position=1)
    return contest


def _draft(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "contest_id": make(p).pk}


def _open(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "contest_id": make(p, Contest.State.OPEN).pk}


def _closed(p: Personas) -> dict[str, object]:
    contest = make(p, Contest.State.OPEN, closed=True)
    add_entry(contest)
    return {"slug": p.workspace.slug, "contest_id": contest.pk}


def _drawn(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "contest_id": drawn(p).pk}


def _unclaimed(p: Personas) -> dict[str, object]:
    contest = drawn(p)
    contest.winners.update(status=ContestWinner.Status.UNCLAIMED)
    return {"slug": p.workspace.slug, "contest_id": contest.pk}


def _winner(p: Personas) -> dict[str, object]:
    contest = drawn(p)
    return {"slug": p.workspace.slug, "contest_id": contest.pk, "winner_id": contest.winners.get().pk}


def _entry(p: Personas) -> dict[str, object]:
    contest = make(p, Contest.State.OPEN)
    return {"slug": p.workspace.slug, "contest_id": contest.pk, "entry_id": add_entry(contest).pk}


def _excluded_entry(p: Personas) -> dict[str, object]:
    contest = make(p, Contest.State.OPEN)
    return {"slug": p.workspace.slug, "contest_id": contest.pk, "entry_id": add_entry(contest, manual=True).pk}


def _form(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {
        "title": "Spring giveaway",
        "prize": "Flowers",
        "targets": [str(published_target(p, remote_id="spring").pk)],
        "mechanic": "reply",
        "opens_at": "2030-04-01T10:00",
        "closes_at": "2030-04-08T20:00",
        "one_entry_per_person": "on",
        "exclude_staff": "on",
        "winners_count": "1",
        "rules_text": "Reply to enter. One winner.",
        "notify_by": "reply",
        "winner_template": "Congratulations {name}!",
    }


MATRIX: Matrix = {
    "contests:list": (_slug, {"get": (ALL_MEMBERS, {})}),
    "contests:new": (_slug, {"get": (DRAFTERS, {}), "post": (DRAFTERS, _form)}),
    "contests:detail": (_drawn, {"get": (ALL_MEMBERS, {})}),
    "contests:edit": (_draft, {"get": (DRAFTERS, {}), "post": (DRAFTERS, _form)}),
    "contests:open": (_draft, {"post": (PUBLISHERS, {})}),
    "contests:commitment": (_open, {"post": (PUBLISHERS, {})}),
    "contests:cancel": (_open, {"post": (PUBLISHERS, {})}),
    "contests:collect": (_open, {"post": (DRAFTERS, {})}),
    "contests:collect-status": (_open, {"get": (ALL_MEMBERS, {})}),
    "contests:entries": (_drawn, {"get": (ALL_MEMBERS, {"status": "eligible"})}),
    "contests:entry-exclude": (_entry, {"post": (DRAFTERS, {"reason": "Bought followers"})}),
    "contests:entry-include": (_excluded_entry, {"post": (DRAFTERS, {})}),
    "contests:draw": (_closed, {"post": (PUBLISHERS, {})}),
    "contests:reveal": (_drawn, {"post": (PUBLISHERS, {})}),
    "contests:redraw": (_unclaimed, {"post": (PUBLISHERS, {})}),
    "contests:winner-mark": (_winner, {"post": (PUBLISHERS, {"status": "claimed"})}),
    "contests:notify": (_drawn, {"post": (PUBLISHERS, {})}),
    "contests:export-json": (_drawn, {"get": (ALL_MEMBERS, {})}),
    "contests:export-csv": (_drawn, {"get": (ALL_MEMBERS, {})}),
}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)


def test_the_actions_do_what_they_say_for_those_allowed(personas: Personas) -> None:
    """The matrix checks status codes; here the rows changed too."""
    client = client_for(personas, "editor")
    slug = personas.workspace.slug
    draft = make(personas)
    assert client.post(reverse("contests:open", args=[slug, draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.state == Contest.State.OPEN and draft.seed_hash
    closed = make(personas, Contest.State.OPEN, closed=True)
    add_entry(closed)
    client.post(reverse("contests:draw", args=[slug, closed.pk]))
    closed.refresh_from_db()
    assert closed.state == Contest.State.DRAWN and closed.winners.count() == 1
    client.post(reverse("contests:reveal", args=[slug, closed.pk]))
    closed.refresh_from_db()
    assert closed.state == Contest.State.REVEALED
    viewer = client_for(personas, "viewer")
    assert viewer.post(reverse("contests:cancel", args=[slug, draft.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.state == Contest.State.OPEN


def test_it_gives_404_for_another_workspaces_contests(personas: Personas) -> None:
    theirs = make(personas, Contest.State.OPEN, workspace=personas.other_workspace)
    entry = add_entry(theirs)
    slug = personas.workspace.slug
    client = client_for(personas, "owner")
    assert client.get(reverse("contests:detail", args=[slug, theirs.pk])).status_code == 404
    assert client.get(reverse("contests:export-json", args=[slug, theirs.pk])).status_code == 404
    assert client.post(reverse("contests:cancel", args=[slug, theirs.pk])).status_code == 404
    assert (
        client.post(reverse("contests:entry-exclude", args=[slug, theirs.pk, entry.pk]), {"reason": "x"}).status_code
        == 404
    )
    # An entry of another contest of the same workspace is not found through this one.
    ours = make(personas, Contest.State.OPEN)
    url = reverse("contests:entry-exclude", args=[slug, ours.pk, entry.pk])
    assert client.post(url, {"reason": "x"}).status_code == 404
    theirs.refresh_from_db()
    entry.refresh_from_db()
    assert theirs.state == Contest.State.OPEN and entry.eligible


def test_the_public_pages_need_no_login_and_hide_drafts(personas: Personas) -> None:
    anonymous = Client()
    slug = personas.workspace.slug
    draft = make(personas)
    opened = make(personas, Contest.State.OPEN)
    done = drawn(personas, Contest.State.REVEALED)
    assert anonymous.get(reverse("public-contests:detail", args=[slug, draft.pk])).status_code == 404
    assert anonymous.get(reverse("public-contests:verify-script", args=[slug, draft.pk])).status_code == 404
    assert anonymous.get(reverse("public-contests:detail", args=[slug, opened.pk])).status_code == 200
    assert anonymous.get(reverse("public-contests:list-txt", args=[slug, opened.pk])).status_code == 404
    assert anonymous.get(reverse("public-contests:list-txt", args=[slug, done.pk])).status_code == 200
    assert anonymous.get(reverse("public-contests:verify-script", args=[slug, done.pk])).status_code == 200
    assert anonymous.get(reverse("public-contests:detail", args=["no-such", opened.pk])).status_code == 404
    assert anonymous.post(reverse("public-contests:detail", args=[slug, opened.pk])).status_code == 405
