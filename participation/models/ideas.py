"""Customer ideas for product and service development. See docs/community.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from participation.models.inbox import Contact, InboxItem, Reply


class IdeaBoardSettings(models.Model):
    """A workspace's idea settings: the public page (off until switched on) and the messages that
    tell a contributor about a status change ({name}, {title} and {status} are filled in)."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="idea_settings", primary_key=True
    )
    public_page = models.BooleanField(
        _("public idea page"),
        default=False,
        help_text=_("Anyone can read the approved ideas, vote and send new ideas there, without signing in."),
    )
    intro = models.TextField(_("introduction on the public page"), max_length=2000, blank=True)
    # status -> the team's own message text; a status missing here uses the built-in message.
    messages = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("idea settings")
        verbose_name_plural = _("idea settings")

    def __str__(self) -> str:
        return str(self.workspace_id)


class Idea(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        UNDER_REVIEW = "under_review", _("Under review")
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        DECLINED = "declined", _("Declined")

    class Moderation(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        APPROVED = "approved", _("Shown on the public page")
        REJECTED = "rejected", _("Not shown")
        INTERNAL = "internal", _("Internal only")

    # Accepted: the contributor earns the "idea accepted" reward (once per idea).
    ACCEPTED = (Status.PLANNED, Status.DONE)

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="ideas")
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("description"), max_length=5000, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.NEW)
    moderation = models.CharField(max_length=10, choices=Moderation.choices, default=Moderation.INTERNAL)
    # Who gave it: a community member (from the inbox) or someone on the public page.
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="ideas")
    contributor_name = models.CharField(_("your name"), max_length=100, blank=True)
    contributor_email = models.EmailField(_("your e-mail address"), blank=True)
    # The public page's submitter agreed to hear back by e-mail, in this language.
    contact_consent = models.BooleanField(_("you may contact me about this idea"), default=False)
    contributor_language = models.CharField(max_length=10, blank=True)
    # A keyed hash of the submitter's IP address (never the address): the per-address rate limit.
    ip_hash = models.CharField(max_length=64, blank=True)
    source_item = models.ForeignKey(InboxItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="ideas")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    votes_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        ordering = ["-votes_count", "-created_at", "-pk"]
        indexes = [
            models.Index(fields=["workspace", "status", "-votes_count"], name="idea_board"),
            models.Index(
                fields=["workspace", "ip_hash", "created_at"], condition=~models.Q(ip_hash=""), name="idea_submitter"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class IdeaVote(models.Model):
    """One vote per member, or per visitor of the public page (a hashed cookie key)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    voter_key = models.CharField(max_length=64, blank=True)
    # A visitor's address, hashed (see Idea.ip_hash): the per-address rate limit of public votes.
    ip_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["ip_hash", "created_at"], condition=~models.Q(ip_hash=""), name="idea_vote_ip")]
        constraints = [
            models.UniqueConstraint(
                fields=["idea", "user"], condition=models.Q(user__isnull=False), name="idea_vote_once_per_member"
            ),
            models.UniqueConstraint(
                fields=["idea", "voter_key"], condition=~models.Q(voter_key=""), name="idea_vote_once_per_visitor"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(voter_key=""), name="idea_vote_has_voter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.idea_id} +1"


class IdeaStatusChange(models.Model):
    """A status change, and how the contributor was told ("we built your idea")."""

    class Told(models.TextChoices):
        REPLY = "reply", _("Reply on the network")
        DIRECT = "direct", _("Direct message")
        EMAIL = "email", _("E-mail")
        NOT_TOLD = "", _("Not told")

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=14, choices=Idea.Status.choices)
    to_status = models.CharField(max_length=14, choices=Idea.Status.choices)
    note = models.CharField(_("message to the contributor"), max_length=500, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    told = models.CharField(max_length=10, choices=Told.choices, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)
    tell_error = models.CharField(max_length=500, blank=True)
    # The reply that told them on the network (it may wait for approval or have failed).
    reply = models.ForeignKey(Reply, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.idea_id}: {self.from_status} → {self.to_status}"
