"""Community: segments, notes and merges of contacts, reward programmes and their ledger.
See docs/community.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from participation.models.inbox import Contact


class Segment(models.Model):
    """A group of community members the team picks by hand: advocates, critics, customers, journalists."""

    class Builtin(models.TextChoices):
        ADVOCATES = "advocates", _("Advocates")
        CRITICS = "critics", _("Critics")
        CUSTOMERS = "customers", _("Customers")
        JOURNALISTS = "journalists", _("Journalists")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("name"), max_length=60)
    builtin = models.CharField(max_length=20, choices=Builtin.choices, blank=True)
    color = models.CharField(_("colour"), max_length=7, default="#0d6efd")

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="segment_unique")]

    def __str__(self) -> str:
        return self.name


class ContactNote(models.Model):
    """A member's note about a person (the inbox's notes are about one conversation)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("note about a member")
        verbose_name_plural = _("notes about members")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.text[:50]


class MergeDismissal(models.Model):
    """ "These two are not the same person": the suggested merge is not shown again.
    Stored with the lower contact id first."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="merge_dismissal_once"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")), name="merge_dismissal_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"


class RewardAction(models.TextChoices):
    """What a community member did that a reward rule can award."""

    ANSWERED_CUSTOMER = "answered_customer", _("Answered another customer")
    CONTEST_ENTRY = "contest_entry", _("Took part in a contest")
    IDEA_ACCEPTED = "idea_accepted", _("Idea accepted")
    POSITIVE_MENTION = "positive_mention", _("Mentioned us positively")


class RewardProgramme(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="reward_programmes")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reward programme")
        verbose_name_plural = _("reward programmes")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="reward_programme_unique")]

    def __str__(self) -> str:
        return self.name


class RewardRule(models.Model):
    """An action earns points and/or a badge in a programme."""

    programme = models.ForeignKey(RewardProgramme, on_delete=models.CASCADE, related_name="rules")
    action = models.CharField(_("action"), max_length=30, choices=RewardAction.choices)
    points = models.PositiveIntegerField(_("points"), default=0)
    badge = models.CharField(_("badge"), max_length=60, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reward rule")
        verbose_name_plural = _("reward rules")
        ordering = ["action", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points__gt=0) | ~models.Q(badge=""), name="reward_rule_gives_something"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.points}"


class LedgerEntry(models.Model):
    """An award, a redemption or a reversal. Append-only: a trigger in the database (migration
    0005) refuses UPDATE except of `contact` alone (a merge, or NULL for an erasure), and DELETE unless the
    session set `smm.ledger_maintenance` (deleting a whole workspace). A mistake is undone by a
    reversal entry that points at the entry it cancels (`reverses`, at most one per entry)."""

    class Kind(models.TextChoices):
        AWARD = "award", _("Award")
        REDEMPTION = "redemption", _("Redemption")
        REVERSAL = "reversal", _("Reversal")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    # RESTRICT, not PROTECT: a programme, a rule or an entry that has a reversal cannot be deleted on its
    # own, but all go together when their workspace is deleted (participation/signals.py).
    programme = models.ForeignKey(RewardProgramme, on_delete=models.RESTRICT, related_name="ledger")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="ledger")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Signed: awards positive, redemptions negative, a reversal the opposite of what it reverses.
    points = models.IntegerField(_("points"), default=0)
    badge = models.CharField(_("badge"), max_length=60, blank=True)
    rule = models.ForeignKey(RewardRule, on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=30, choices=RewardAction.choices, blank=True)
    # What earned an award ("item:12", "contest:3", "idea:7"): a rule awards once per source and person.
    source = models.CharField(max_length=60, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="reversed_by"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "contact", "source"],
                condition=models.Q(kind="award") & ~models.Q(source=""),
                name="ledger_award_once_per_source",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="reversal") | models.Q(reverses__isnull=False),
                name="ledger_reversal_points_at_entry",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "contact", "-created_at"], name="ledger_contact")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}"
