"""Every community and rewards page × persona × method (see tests/access.py): outsiders 404,
members without the role 403. Rows are built with the ORM and the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from participation.models import (
    Contact,
    ContactIdentity,
    ContactNote,
    LedgerEntry,
    RewardAction,
    RewardProgramme,
    RewardRule,
    Segment,
)
from participation.services import rewards
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
from tests.fixtures import Personas


def _person(p: Personas, name: str = "Anna Virtanen", *networks: str) -> Contact:
    contact = Contact.objects.create(workspace=p.workspace, display_name=name)
    for network in networks or ("mastodon",):
        ContactIdentity.objects.create(
            workspace=p.workspace,
            contact=contact,
            network=network,
            remote_id=f"{network}-{contact.pk}",
            handle=f"@anna{contact.pk}@{network}.example",
        )
    return contact


def _member(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "contact_id": _person(p).pk}


def _member_with_two_identities(p: Personas) -> dict[str, object]:
    contact = _person(p, "Anna Virtanen", "mastodon", "bluesky")
    identity = contact.identities.get(network="bluesky")
    return {"slug": p.workspace.slug, "contact_id": contact.pk, "identity_id": identity.pk}


def _owners_note(p: Personas) -> dict[str, object]:
    contact = _person(p)
    note = ContactNote.objects.create(workspace=p.workspace, contact=contact, author=p.owner, text="Met at the fair")
    return {"slug": p.workspace.slug, "contact_id": contact.pk, "note_id": note.pk}


def _segment(p: Personas) -> dict[str, object]:
    segment = Segment.objects.create(workspace=p.workspace, name="Beta testers")
    return {"slug": p.workspace.slug, "segment_id": segment.pk}


def _programme(p: Personas) -> dict[str, object]:
    programme = RewardProgramme.objects.create(workspace=p.workspace, name="Ambassadors")
    RewardRule.objects.create(programme=programme, action=RewardAction.CONTEST_ENTRY, points=5)
    return {"slug": p.workspace.slug, "programme_id": programme.pk}


def _rule(p: Personas) -> dict[str, object]:
    kwargs = _programme(p)
    rule = RewardRule.objects.get(programme_id=int(str(kwargs["programme_id"])))
    return {**kwargs, "rule_id": rule.pk}


def _entry(p: Personas) -> dict[str, object]:
    _programme(p)
    [entry] = rewards.award(contact=_person(p), action=RewardAction.CONTEST_ENTRY, source="contest:1")
    return {"slug": p.workspace.slug, "entry_id": entry.pk}


def _member_with_points(p: Personas) -> dict[str, object]:
    _programme(p)
    contact = _person(p)
    rewards.award(contact=contact, action=RewardAction.CONTEST_ENTRY, source="contest:1")
    return {"slug": p.workspace.slug, "contact_id": contact.pk}


def _pair(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    first = _person(p, "Anna Virtanen", "mastodon")
    second = _person(p, "Anna Virtanen", "bluesky")
    return {"first": first.pk, "second": second.pk}


def _other(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"other": _person(p, "Anna V").pk, "keep": "this"}


def _labels(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"segments": [Segment.objects.create(workspace=p.workspace, name="Fans").pk]}


def _award(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"rule": RewardRule.objects.get(programme__workspace=p.workspace).pk, "note": "Great help at the fair"}


def _redeem(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"programme": RewardProgramme.objects.get(workspace=p.workspace).pk, "points": "2", "note": "Mug"}


def _erase(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"name": "Anna Virtanen"}


PROGRAMME: dict[str, object] = {"name": "Helpers", "description": "For those who help", "active": "on"}
RULE: dict[str, object] = {"action": RewardAction.ANSWERED_CUSTOMER, "points": "3", "badge": "", "active": "on"}

MATRIX: Matrix = {
    # Members: every member reads; members who may draft write notes, labels and recompute scores;
    # members who publish merge, split and award or redeem; owners and admins export and erase.
    "community:members": (_slug, {"get": (ALL_MEMBERS, {"q": "anna", "sort": "seen"})}),
    "community:member": (_member, {"get": (ALL_MEMBERS, {})}),
    "community:member-conversations": (_member, {"get": (ALL_MEMBERS, {"exclude": "1"})}),
    "community:note-add": (_member, {"post": (DRAFTERS, {"text": "Prefers e-mail"})}),
    # A note is deleted by its author only (here the owner's).
    "community:note-delete": (_owners_note, {"post": ({"owner"}, {})}),
    "community:member-labels": (_member, {"post": (DRAFTERS, _labels)}),
    "community:member-score": (_member, {"post": (DRAFTERS, {})}),
    "community:member-merge": (_member, {"get": (PUBLISHERS, {"q": "anna"}), "post": (PUBLISHERS, _other)}),
    "community:member-split": (_member_with_two_identities, {"post": (PUBLISHERS, {})}),
    "community:member-export": (_member, {"post": (ADMINS, {})}),
    "community:member-erase": (_member, {"get": (ADMINS, {}), "post": (ADMINS, _erase)}),
    "community:member-award": (_member_with_points, {"post": (PUBLISHERS, _award)}),
    "community:member-redeem": (_member_with_points, {"post": (PUBLISHERS, _redeem)}),
    "community:merges": (_slug, {"get": (ALL_MEMBERS, {})}),
    "community:merge-pair": (_slug, {"post": (PUBLISHERS, _pair)}),
    "community:merge-dismiss": (_slug, {"post": (PUBLISHERS, _pair)}),
    "community:segments": (_slug, {"get": (ALL_MEMBERS, {})}),
    "community:segment-new": (_slug, {"post": (PUBLISHERS, {"name": "Beta testers", "color": "#198754"})}),
    "community:segment-delete": (_segment, {"post": (PUBLISHERS, {})}),
    # Rewards: every member reads programmes, the ledger and the leaderboard; owners and admins
    # manage programmes and rules and reverse entries.
    "community:rewards": (_slug, {"get": (ALL_MEMBERS, {})}),
    "community:programme-new": (_slug, {"get": (ADMINS, {}), "post": (ADMINS, PROGRAMME)}),
    "community:programme": (_programme, {"get": (ALL_MEMBERS, {"period": "30"})}),
    "community:programme-edit": (_programme, {"get": (ADMINS, {}), "post": (ADMINS, PROGRAMME)}),
    "community:programme-delete": (_programme, {"post": (ADMINS, {})}),
    "community:rule-new": (_programme, {"post": (ADMINS, RULE)}),
    "community:rule-toggle": (_rule, {"post": (ADMINS, {})}),
    "community:rule-delete": (_rule, {"post": (ADMINS, {})}),
    "community:ledger": (_programme, {"get": (ALL_MEMBERS, {})}),
    "community:entry-reverse": (_entry, {"post": (ADMINS, {"note": "Entered by mistake"})}),
}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)


def test_it_gives_404_for_another_workspaces_rows(personas: Personas) -> None:
    """Through their own workspace's slug, an owner reaches no member, programme, rule, entry or segment of another."""
    other = personas.other_workspace
    contact = Contact.objects.create(workspace=other, display_name="Theirs")
    programme = RewardProgramme.objects.create(workspace=other, name="Theirs")
    rule = RewardRule.objects.create(programme=programme, action=RewardAction.CONTEST_ENTRY, points=1)
    [entry] = rewards.award(contact=contact, action=RewardAction.CONTEST_ENTRY, source="contest:1")
    segment = Segment.objects.create(workspace=other, name="Theirs")
    slug = personas.workspace.slug
    client = client_for(personas, "owner")
    assert client.get(reverse("community:member", args=[slug, contact.pk])).status_code == 404
    assert client.post(reverse("community:member-export", args=[slug, contact.pk])).status_code == 404
    assert (
        client.post(reverse("community:member-erase", args=[slug, contact.pk]), {"name": "Theirs"}).status_code == 404
    )
    assert client.get(reverse("community:programme", args=[slug, programme.pk])).status_code == 404
    assert client.post(reverse("community:rule-delete", args=[slug, programme.pk, rule.pk])).status_code == 404
    assert client.post(reverse("community:entry-reverse", args=[slug, entry.pk]), {"note": "x"}).status_code == 404
    assert client.post(reverse("community:segment-delete", args=[slug, segment.pk])).status_code == 404
    # Nor can their members be merged into ours.
    ours = _person(personas)
    response = client.post(reverse("community:merge-pair", args=[slug]), {"first": ours.pk, "second": contact.pk})
    assert response.status_code == 302
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert Contact.objects.filter(pk=contact.pk).exists() and LedgerEntry.objects.filter(pk=entry.pk).exists()
    assert Segment.objects.filter(pk=segment.pk).exists() and RewardRule.objects.filter(pk=rule.pk).exists()


def test_a_rule_of_one_programme_is_not_found_under_another(personas: Personas) -> None:
    first = _rule(personas)
    second = RewardProgramme.objects.create(workspace=personas.workspace, name="Other")
    url = reverse("community:rule-delete", args=[personas.workspace.slug, second.pk, first["rule_id"]])
    assert client_for(personas, "owner").post(url).status_code == 404
