"""Contests on posts smm published, with a verifiable draw. See docs/community.md ("The draw")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from participation.models.inbox import Contact


class Contest(models.Model):
    class Mechanic(models.TextChoices):
        REPLY = "reply", _("Reply to the post")
        ANSWER = "answer", _("Reply with the right answer")
        HASHTAG = "hashtag", _("Post with the hashtag")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")  # the seed's hash is public; entries are collected
        DRAWN = "drawn", _("Drawn")  # the entry list is fixed and hashed; winners picked
        REVEALED = "revealed", _("Seed revealed")  # anyone can verify the draw
        CANCELLED = "cancelled", _("Cancelled")

    class Notify(models.TextChoices):
        REPLY = "reply", _("Reply to the winning entry")
        DIRECT = "direct", _("Direct message")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="contests")
    title = models.CharField(_("title"), max_length=200)
    prize = models.CharField(_("prize"), max_length=300)
    rules_text = models.TextField(_("rules"), max_length=20000)
    mechanic = models.CharField(_("how to enter"), max_length=10, choices=Mechanic.choices, default=Mechanic.REPLY)
    # ANSWER: accepted answers, one per line, matched case- and accent-insensitively as whole words.
    answers = models.TextField(_("accepted answers"), blank=True, max_length=2000)
    hashtag = models.CharField(_("hashtag"), max_length=100, blank=True)
    targets = models.ManyToManyField("publishing.Target", blank=True, related_name="contests")
    opens_at = models.DateTimeField(_("entries open"))
    closes_at = models.DateTimeField(_("entries close"))
    timezone = models.CharField(max_length=64, default="Europe/Helsinki")  # the zone the window was set in
    # Eligibility.
    one_entry_per_person = models.BooleanField(_("one entry per person"), default=True)
    min_account_age_days = models.PositiveIntegerField(_("account at least this many days old"), null=True, blank=True)
    exclude_staff = models.BooleanField(_("exclude our own accounts and staff"), default=True)
    exclude_blocked = models.BooleanField(_("exclude blocked people"), default=True)
    required_keyword = models.CharField(_("required keyword"), max_length=100, blank=True)
    # Staff who are on no connected account: their handles, one per line (our own accounts are
    # always recognised).
    staff_handles = models.TextField(_("staff handles"), max_length=5000, blank=True)
    winners_count = models.PositiveSmallIntegerField(_("number of winners"), default=1)
    # The draw: seed (Fernet-encrypted until revealed), its public SHA-256 commitment, the hash of
    # the fixed entry list.
    seed_encrypted = models.TextField(blank=True)
    seed_hash = models.CharField(max_length=64, blank=True)
    seed_revealed = models.CharField(max_length=64, blank=True)
    list_hash = models.CharField(max_length=64, blank=True)
    commitment_url = models.URLField(_("post with the seed's hash"), max_length=1000, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    opened_at = models.DateTimeField(null=True, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    collect_error = models.TextField(blank=True)
    # Set while a collection runs (the page shows it in progress); what the last one found.
    collect_started_at = models.DateTimeField(null=True, blank=True)
    collect_summary = models.JSONField(default=dict, blank=True)
    notify_by = models.CharField(_("tell winners by"), max_length=10, choices=Notify.choices, default=Notify.REPLY)
    winner_template = models.TextField(
        _("message to winners"),
        max_length=1000,
        default=_("Congratulations {name}, you won {prize}! We will send you a direct message about the prize."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")), name="contest_window"),
            models.CheckConstraint(condition=models.Q(winners_count__gte=1), name="contest_has_winners"),
        ]

    def __str__(self) -> str:
        return self.title


class ContestEntry(models.Model):
    """A reply or post that took part; `ticket` is what the published entry list holds."""

    class Exclusion(models.TextChoices):
        OUTSIDE_WINDOW = "outside_window", _("Sent outside the entry window")
        DUPLICATE = "duplicate", _("Not this person's first entry")
        ACCOUNT_TOO_NEW = "account_too_new", _("Account too new")
        ACCOUNT_AGE_UNKNOWN = "account_age_unknown", _("The network does not tell the account's age")
        STAFF = "staff", _("Our own account or staff")
        BLOCKED = "blocked", _("Blocked person")
        KEYWORD_MISSING = "keyword_missing", _("Required keyword missing")
        WRONG_ANSWER = "wrong_answer", _("Wrong answer")
        MANUAL = "manual", _("Excluded by a member")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="entries")
    account = models.ForeignKey("networks.ConnectedAccount", on_delete=models.SET_NULL, null=True, related_name="+")
    network = models.CharField(max_length=20)
    remote_id = models.CharField(max_length=300)
    url = models.URLField(max_length=1000, blank=True)
    author_remote_id = models.CharField(max_length=300)
    author_handle = models.CharField(max_length=300)
    author_name = models.CharField(max_length=200, blank=True)
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="contest_entries"
    )
    text = models.TextField(blank=True)
    posted_at = models.DateTimeField()
    # Asked from the network once, when the contest has a minimum account age (None: it did not say).
    author_created_at = models.DateTimeField(null=True, blank=True)
    age_checked = models.BooleanField(default=False)
    # sha256(f"{network}:{remote_id}"): says which post without saying whose.
    ticket = models.CharField(max_length=64)
    eligible = models.BooleanField(default=True)
    exclusion = models.CharField(max_length=24, choices=Exclusion.choices, blank=True)
    exclusion_detail = models.CharField(max_length=300, blank=True)
    collected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contest entry")
        verbose_name_plural = _("contest entries")
        ordering = ["posted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "network", "remote_id"], name="contest_entry_once"),
            models.CheckConstraint(
                condition=models.Q(eligible=True, exclusion="") | models.Q(eligible=False) & ~models.Q(exclusion=""),
                name="contest_entry_exclusion_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_handle}: {self.text[:40]}"


class ContestWinner(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the winner")
        CLAIMED = "claimed", _("Prize claimed")
        UNCLAIMED = "unclaimed", _("Not claimed (redrawn)")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="winners")
    entry = models.ForeignKey(ContestEntry, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField(default=1)  # 1 = the draw, 2… = redraws
    position = models.PositiveSmallIntegerField()  # 1-based, within the round
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    notified_at = models.DateTimeField(null=True, blank=True)
    notice_url = models.URLField(max_length=1000, blank=True)
    notify_error = models.CharField(max_length=500, blank=True)
    # Chosen before the first attempt and reused by a retry, so the network can refuse a duplicate.
    notify_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contest winner")
        verbose_name_plural = _("contest winners")
        ordering = ["round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "entry"], name="contest_winner_once"),
            models.UniqueConstraint(fields=["contest", "round", "position"], name="contest_winner_position"),
        ]

    def __str__(self) -> str:
        return f"{self.contest_id} #{self.round}.{self.position}"
