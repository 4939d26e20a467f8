"""The reward pages: programmes and rules by owners and admins, awards and redemptions on a
member's page, reversals from the ledger, the leaderboard by period."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from participation.models import Contact, LedgerEntry, RewardAction, RewardProgramme, RewardRule
from participation.services import rewards
from smm.accounts.models import AuditEvent
from tests.access import client_for
from tests.fixtures import Personas


def test_an_admin_sets_up_a_programme_with_rules(personas: Personas) -> None:
    client = client_for(personas, "admin")
    slug = personas.workspace.slug
    response = client.post(
        reverse("community:programme-new", args=[slug]),
        {"name": "Ambassadors", "description": "Our most helpful customers", "active": "on"},
    )
    programme = RewardProgramme.objects.get(workspace=personas.workspace)
    assert response["Location"] == reverse("community:programme", args=[slug, programme.pk])
    twice = client.post(reverse("community:programme-new", args=[slug]), {"name": "ambassadors", "active": "on"})
    assert twice.status_code == 400 and "already a programme" in twice.content.decode()

    rules_url = reverse("community:rule-new", args=[slug, programme.pk])
    nothing = client.post(rules_url, {"action": RewardAction.IDEA_ACCEPTED, "points": "0", "badge": ""})
    assert nothing.status_code == 400 and "points, a badge, or both" in nothing.content.decode()
    client.post(rules_url, {"action": RewardAction.IDEA_ACCEPTED, "points": "20", "badge": "Innovator", "active": "on"})
    rule = RewardRule.objects.get(programme=programme)
    assert (rule.points, rule.badge, rule.active) == (20, "Innovator", True)

    client.post(reverse("community:rule-toggle", args=[slug, programme.pk, rule.pk]))
    rule.refresh_from_db()
    assert not rule.active
    page = client_for(personas, "viewer").get(reverse("community:programme", args=[slug, programme.pk]))
    assert "Idea accepted" in page.content.decode() and "Add rule" not in page.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REWARD_PROGRAMME_CHANGED).count() == 3


def test_what_awarded_is_kept_switch_it_off_instead(personas: Personas) -> None:
    programme = RewardProgramme.objects.create(workspace=personas.workspace, name="Ambassadors")
    rule = RewardRule.objects.create(programme=programme, action=RewardAction.CONTEST_ENTRY, points=5)
    anna = Contact.objects.create(workspace=personas.workspace, display_name="Anna")
    rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:1")
    client = client_for(personas, "owner")
    slug = personas.workspace.slug
    client.post(reverse("community:rule-delete", args=[slug, programme.pk, rule.pk]))
    client.post(reverse("community:programme-delete", args=[slug, programme.pk]))
    assert RewardRule.objects.filter(pk=rule.pk).exists() and RewardProgramme.objects.filter(pk=programme.pk).exists()
    unused = RewardProgramme.objects.create(workspace=personas.workspace, name="Draft")
    client.post(reverse("community:programme-delete", args=[slug, unused.pk]))
    assert not RewardProgramme.objects.filter(pk=unused.pk).exists()


def test_award_redeem_and_reverse_from_the_pages(personas: Personas) -> None:
    programme = RewardProgramme.objects.create(workspace=personas.workspace, name="Ambassadors")
    rule = RewardRule.objects.create(programme=programme, action=RewardAction.ANSWERED_CUSTOMER, points=5)
    anna = Contact.objects.create(workspace=personas.workspace, display_name="Anna")
    slug = personas.workspace.slug
    editor = client_for(personas, "editor")

    editor.post(reverse("community:member-award", args=[slug, anna.pk]), {"rule": rule.pk, "note": "Helped Bert"})
    editor.post(reverse("community:member-award", args=[slug, anna.pk]), {"rule": rule.pk, "note": "Helped Carl"})
    assert rewards.balance(contact=anna, programme=programme) == 10
    too_much = editor.post(
        reverse("community:member-redeem", args=[slug, anna.pk]),
        {"programme": programme.pk, "points": "11", "note": "Coat"},
    )
    assert too_much.status_code == 400 and "has 10 points" in too_much.content.decode()
    editor.post(
        reverse("community:member-redeem", args=[slug, anna.pk]),
        {"programme": programme.pk, "points": "4", "note": "Mug"},
    )
    assert rewards.balance(contact=anna, programme=programme) == 6

    first = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.AWARD).order_by("pk").first()
    assert first is not None
    url = reverse("community:entry-reverse", args=[slug, first.pk])
    assert editor.post(url, {"note": "Wrong person"}).status_code == 403
    owner = client_for(personas, "owner")
    assert owner.post(url, {"note": ""}).status_code == 302  # a message asks why; nothing reversed
    assert not LedgerEntry.objects.filter(reverses=first).exists()
    owner.post(url, {"note": "Wrong person"})
    owner.post(url, {"note": "Again"})
    assert LedgerEntry.objects.filter(reverses=first).count() == 1
    assert rewards.balance(contact=anna, programme=programme) == 1
    ledger = client_for(personas, "viewer").get(reverse("community:ledger", args=[slug, programme.pk]))
    text = ledger.content.decode()
    assert "Wrong person" in text and "Helped Carl" in text and "reversed" in text and "Reverse</button>" not in text


def test_the_leaderboard_counts_the_chosen_period(personas: Personas, time_machine) -> None:
    programme = RewardProgramme.objects.create(workspace=personas.workspace, name="Ambassadors")
    RewardRule.objects.create(programme=programme, action=RewardAction.CONTEST_ENTRY, points=5)
    anna = Contact.objects.create(workspace=personas.workspace, display_name="Anna")
    bert = Contact.objects.create(workspace=personas.workspace, display_name="Bert")
    time_machine.move_to(timezone.now() - timedelta(days=200))
    for number in range(3):  # long ago
        rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source=f"contest:{number}")
    time_machine.move_to(timezone.now() + timedelta(days=200))
    rewards.award(contact=bert, action=RewardAction.CONTEST_ENTRY, source="contest:9")
    rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:8")

    assert [(row.contact, row.points) for row in rewards.leaderboard(programme=programme)] == [(anna, 20), (bert, 5)]
    slug = personas.workspace.slug
    url = reverse("community:programme", args=[slug, programme.pk])
    page = client_for(personas, "viewer").get(url, {"period": "30"})
    assert [(row.contact, row.points) for row in page.context["leaderboard"]] == [(anna, 5), (bert, 5)]
    bad = client_for(personas, "viewer").get(url, {"period": "x"})
    assert bad.status_code == 200 and len(bad.context["leaderboard"]) == 2
