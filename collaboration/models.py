"""Collaboration: approvals, comments and activity, tasks, notifications, guidelines and word
rules, strategy, and employee sharing. See docs/collaboration.md."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something a member should know about, shown in the app (and often also emailed)."""

    class Kind(models.TextChoices):
        PUBLISH_FAILED = "publish_failed", _("A post failed")
        PUBLISH_UNCONFIRMED = "publish_unconfirmed", _("A post is unconfirmed")
        PUBLISH_ATTENTION = "publish_attention", _("A post needs attention")
        PUBLISH_HELD = "publish_held", _("Posts were held")
        ACCOUNT_RECONNECT = "account_reconnect", _("An account needs reconnecting")
        IMPORT_DONE = "import_done", _("An import finished")
        APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
        APPROVAL_DECIDED = "approval_decided", _("Approval decided")
        MENTION = "mention", _("You were mentioned")
        TASK_ASSIGNED = "task_assigned", _("A task was assigned to you")
        LISTENING_ALERT = "listening_alert", _("Listening alert")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    message = models.TextField()  # already in the recipient's language
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.message[:60]


# Approvals ---------------------------------------------------------------------------------------
class ApprovalWorkflow(models.Model):
    """Who must approve posts: the workspace default, or the workflow of one account or campaign."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="approval_workflows")
    name = models.CharField(_("name"), max_length=100)
    account = models.OneToOneField(
        "networks.ConnectedAccount",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="approval_workflow",
        verbose_name=_("account"),
    )
    campaign = models.OneToOneField(
        "publishing.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="approval_workflow",
        verbose_name=_("campaign"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("approval workflow")
        verbose_name_plural = _("approval workflows")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=True) | Q(campaign__isnull=True), name="workflow_one_scope"
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(account__isnull=True, campaign__isnull=True),
                name="workflow_one_default_per_workspace",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_label(self) -> str:
        if self.account_id:
            return str(self.account)
        if self.campaign_id:
            return str(self.campaign)
        return str(_("Every post (default)"))


class ApprovalStep(models.Model):
    class Kind(models.TextChoices):
        ROLE = "role", _("A role and above")
        MEMBERS = "members", _("Named members")
        EXTERNAL = "external", _("External reviewers (by link)")

    class Rule(models.TextChoices):
        ANY = "any", _("Any one of them")
        ALL = "all", _("All of them")

    workflow = models.ForeignKey(ApprovalWorkflow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("who approves"), max_length=10, choices=Kind.choices, default=Kind.ROLE)
    role = models.CharField(_("role"), max_length=20, blank=True)
    members = models.ManyToManyField("accounts.Membership", blank=True, related_name="+", verbose_name=_("members"))
    external_emails = models.TextField(
        _("reviewer e-mail addresses"), blank=True, help_text=_("One per line. They get a link; no account needed.")
    )
    rule = models.CharField(_("rule"), max_length=3, choices=Rule.choices, default=Rule.ANY)

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["workflow", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.workflow} #{self.position}"

    @property
    def role_label(self) -> str:
        from smm.accounts.models import Membership

        return str(dict(Membership.Role.choices).get(self.role, self.role))


class ApprovalRequest(models.Model):
    """One round of review of a post, with a snapshot of the content under review."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        VOIDED = "voided", _("Voided by a change")
        EXPIRED = "expired", _("Expired")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="approval_requests")
    post = models.ForeignKey("publishing.Post", on_delete=models.CASCADE, related_name="approval_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # The steps as they were when the request was made: [{"kind", "role", "members", "emails", "rule", "label"}].
    steps = models.JSONField(default=list)
    current_step = models.PositiveSmallIntegerField(default=0)
    snapshot = models.JSONField(default=dict)  # what is being approved (publishing.services.snapshots)
    content_hash = models.CharField(max_length=64)
    diff = models.JSONField(default=list, blank=True)  # changes since the last approved version
    # "now": publish as soon as approved; otherwise the targets keep their times.
    publish_on_approval = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=Q(status="pending"), name="one_pending_approval_per_post"
            )
        ]

    def __str__(self) -> str:
        return f"{self.post} ({self.get_status_display()})"

    @property
    def step(self) -> dict[str, Any] | None:
        return self.steps[self.current_step] if self.current_step < len(self.steps) else None


class ApprovalDecision(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    step = models.PositiveSmallIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewer_email = models.EmailField(blank=True)
    reviewer_name = models.CharField(max_length=150, blank=True)
    decision = models.CharField(max_length=7, choices=Decision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.decision}"

    @property
    def who(self) -> str:
        if self.user is not None:
            return str(self.user.display_name)
        return f"{self.reviewer_name} <{self.reviewer_email}>" if self.reviewer_name else self.reviewer_email


class ReviewLink(models.Model):
    """An expiring link for one external reviewer to approve or reject one post or a batch."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="review_links")
    email = models.EmailField(_("reviewer's e-mail"))
    name = models.CharField(_("reviewer's name"), max_length=150, blank=True)
    requests = models.ManyToManyField(ApprovalRequest, related_name="review_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked = models.BooleanField(default=False)
    uses = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.created_at:%Y-%m-%d})"


# The conversation around work --------------------------------------------------------------------
class Comment(models.Model):
    """An internal comment on a post; never shown outside smm."""

    post = models.ForeignKey("publishing.Post", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("comment"), max_length=5000)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class PostActivity(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", _("created the post")
        EDITED = "edited", _("changed the post")
        SUBMITTED = "submitted", _("sent it for approval")
        APPROVED = "approved", _("approved it")
        REJECTED = "rejected", _("rejected it")
        VOIDED = "voided", _("changed it after approval, so it needs approval again")
        SCHEDULED = "scheduled", _("scheduled it")
        MOVED = "moved", _("moved it")
        PUBLISHED = "published", _("published it")
        FAILED = "failed", _("could not publish it")
        CANCELLED = "cancelled", _("cancelled it")
        COMMENTED = "commented", _("commented")

    post = models.ForeignKey("publishing.Post", on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)  # "smm" or an external reviewer
    kind = models.CharField(max_length=10, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.post_id} {self.kind}"


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("task status", "Open")
        DONE = "done", _("Done")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("assigned to"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=5, choices=Status.choices, default=Status.OPEN)
    post = models.ForeignKey(
        "publishing.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("post"),
    )
    campaign = models.ForeignKey(
        "publishing.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("campaign"),
    )
    link = models.CharField(
        _("link"), max_length=500, blank=True, help_text=_("A page in smm, such as an inbox thread.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["status", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    class Email(models.TextChoices):
        IMMEDIATE = "immediate", _("Right away")
        DIGEST = "digest", _("Once a day, in one e-mail")
        NONE = "none", _("Never (only in smm)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference", primary_key=True
    )
    email = models.CharField(
        _("e-mail me about notifications"), max_length=10, choices=Email.choices, default=Email.IMMEDIATE
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.email}"


# Rules and strategy ------------------------------------------------------------------------------
class Guidelines(models.Model):
    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="guidelines", primary_key=True
    )
    policy_html = models.TextField(_("social media policy"), blank=True)  # sanitised with nh3 on save
    voice = models.TextField(_("brand voice"), blank=True)
    disclosures = models.TextField(_("required disclosures"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("guidelines")
        verbose_name_plural = _("guidelines")

    def __str__(self) -> str:
        return str(self.workspace)


class WordRule(models.Model):
    class Level(models.TextChoices):
        BANNED = "banned", _("Banned: blocks the post")
        WARNED = "warned", _("Warned: shown as a warning")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="word_rules")
    phrase = models.CharField(_("word or phrase"), max_length=200)
    level = models.CharField(_("level"), max_length=6, choices=Level.choices, default=Level.WARNED)
    note = models.CharField(_("why (shown to the writer)"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("word rule")
        verbose_name_plural = _("word rules")
        ordering = ["level", "phrase"]
        constraints = [models.UniqueConstraint(fields=["workspace", "phrase"], name="word_rule_unique")]

    def __str__(self) -> str:
        return self.phrase


class Strategy(models.Model):
    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="strategy", primary_key=True
    )
    purpose = models.TextField(_("why we are in social media"), blank=True)
    voice = models.TextField(_("our voice"), blank=True)
    roles = models.TextField(_("who takes part, and in what role"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")

    def __str__(self) -> str:
        return str(self.workspace)


class Objective(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(_("objective"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class Audience(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="audiences")
    name = models.CharField(_("audience"), max_length=150)
    description = models.TextField(_("who they are and what they need"), blank=True)

    class Meta:
        verbose_name = _("target audience")
        verbose_name_plural = _("target audiences")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChannelPurpose(models.Model):
    account = models.OneToOneField(
        "networks.ConnectedAccount", on_delete=models.CASCADE, related_name="purpose", primary_key=True
    )
    purpose = models.TextField(_("what this channel is for"), blank=True)
    audiences = models.ManyToManyField(Audience, blank=True, related_name="channels", verbose_name=_("audiences"))

    class Meta:
        verbose_name = _("channel purpose")
        verbose_name_plural = _("channel purposes")

    def __str__(self) -> str:
        return str(self.account)


# Employee sharing --------------------------------------------------------------------------------
class ShareSuggestion(models.Model):
    """A post or link the team invites staff to share on their own accounts."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="share_suggestions")
    post = models.ForeignKey(
        "publishing.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="share_suggestions"
    )
    url = models.URLField(_("link"), max_length=1000, blank=True)
    title = models.CharField(_("title"), max_length=200)
    suggested_text = models.TextField(_("suggested text"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(_("shown to staff"), default=True)

    class Meta:
        verbose_name = _("share suggestion")
        verbose_name_plural = _("share suggestions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Share(models.Model):
    """One staff member's share of a suggestion: copied, or published to their own account."""

    class Kind(models.TextChoices):
        COPIED = "copied", _("Copied the text")
        PUBLISHED = "published", _("Published from smm")

    suggestion = models.ForeignKey(ShareSuggestion, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=9, choices=Kind.choices)
    account = models.ForeignKey(
        "networks.ConnectedAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    post = models.ForeignKey("publishing.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.suggestion_id} {self.kind}"


class NewsroomDigest(models.Model):
    """The weekly e-mail of the social newsroom to people inside the organisation."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="newsroom_digest", primary_key=True
    )
    enabled = models.BooleanField(_("send the weekly digest"), default=False)
    recipients = models.TextField(
        _("recipients"), blank=True, help_text=_("E-mail addresses inside the organisation, one per line.")
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("newsroom digest")
        verbose_name_plural = _("newsroom digests")

    def __str__(self) -> str:
        return str(self.workspace)

    @property
    def recipient_list(self) -> list[str]:
        return [line.strip() for line in self.recipients.replace(",", "\n").splitlines() if line.strip()]


class ReplyApproval(models.Model):
    """Members whose inbox replies wait for an approver before they are sent (the inbox uses this)."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="reply_approval", primary_key=True
    )
    members = models.ManyToManyField(
        "accounts.Membership", blank=True, related_name="+", verbose_name=_("members whose replies need approval")
    )

    class Meta:
        verbose_name = _("reply approval")
        verbose_name_plural = _("reply approvals")

    def __str__(self) -> str:
        return str(self.workspace)
