"""Participation: the unified inbox (conversations, items, replies, moderation, rules, response
times) and the contacts behind the messages. See docs/participation.md."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


# Contacts ----------------------------------------------------------------------------------------
class Contact(models.Model):
    """One person (or organisation) the team talks with, across networks and accounts."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="contacts")
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    blocked = models.BooleanField(_("blocked"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Community (docs/community.md): segments and tags chosen by the team, and the participation
    # score computed from their interactions (services.community.score_compute) at score_at.
    segments = models.ManyToManyField("participation.Segment", blank=True, related_name="contacts")
    tags = models.ManyToManyField("participation.InboxTag", blank=True, related_name="contacts")
    score = models.FloatField(_("participation score"), default=0)
    score_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["workspace", "-score"], name="contact_score")]

    def __str__(self) -> str:
        return self.display_name or str(_("(no name)"))


class ContactIdentity(models.Model):
    """A contact's account on one network (the id is stable; the handle may change)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    network = models.CharField(max_length=20)
    remote_id = models.CharField(max_length=300)
    handle = models.CharField(_("handle"), max_length=300)
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    profile_url = models.URLField(max_length=1000, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)  # never loaded by our pages directly
    previous_handles = models.JSONField(default=list, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "network", "remote_id"], name="identity_once_per_workspace")
        ]

    def __str__(self) -> str:
        return self.handle


# Conversations and items -------------------------------------------------------------------------
class InboxTag(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="inbox_tags")
    name = models.CharField(_("name"), max_length=60)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")

    class Meta:
        verbose_name = _("inbox tag")
        verbose_name_plural = _("inbox tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="inbox_tag_unique")]

    def __str__(self) -> str:
        return self.name


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def for_workspace(self, workspace_id: int) -> ConversationQuerySet:
        return self.filter(workspace_id=workspace_id)


class Conversation(models.Model):
    class Kind(models.TextChoices):
        THREAD = "thread", _("Comments on our post")
        MENTION = "mention", _("Mention")
        DIRECT = "direct", _("Direct messages")
        SHARE = "share", _("Quotes and reposts")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("inbox status", "New")
        OPEN = "open", pgettext_lazy("inbox status", "Open")
        WAITING = "waiting", pgettext_lazy("inbox status", "Waiting for them")
        CLOSED = "closed", pgettext_lazy("inbox status", "Closed")

    class Priority(models.IntegerChoices):
        LOW = 0, _("Low")
        NORMAL = 1, _("Normal")
        HIGH = 2, _("High")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="conversations")
    account = models.ForeignKey("networks.ConnectedAccount", on_delete=models.CASCADE, related_name="conversations")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    # The thread's root (our post, a DM conversation id, or the mention itself).
    root_remote_id = models.CharField(max_length=300)
    root_url = models.URLField(max_length=1000, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        verbose_name=_("assigned to"),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    tags = models.ManyToManyField(InboxTag, blank=True, related_name="conversations", verbose_name=_("tags"))
    sentiment = models.CharField(_("sentiment"), max_length=8, choices=Sentiment.choices, blank=True)
    spam = models.BooleanField(_("spam"), default=False)
    lower_priority = models.BooleanField(default=False)  # only reposts, likes, follows
    item_count = models.PositiveIntegerField(default=0)
    # Response-time timers: the first customer item, our first reply, the last customer item
    # not yet answered, and when it was closed.
    first_item_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    waiting_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    breach_notified_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_activity_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["account", "kind", "root_remote_id"], name="conversation_once")]
        indexes = [
            # The inbox list: a workspace's conversations by status, newest activity first.
            models.Index(fields=["workspace", "status", "-last_activity_at", "-id"], name="inbox_status_activity"),
            models.Index(fields=["workspace", "-last_activity_at", "-id"], name="inbox_activity"),
            models.Index(fields=["workspace", "assignee", "-last_activity_at"], name="inbox_assignee"),
            models.Index(fields=["workspace", "account", "-last_activity_at"], name="inbox_account"),
            # The default list (not closed, no reposts, no spam): its count and its pages read only
            # these rows, however many closed ones pile up (bench/inbox.py).
            models.Index(
                fields=["workspace", "-last_activity_at", "-id"],
                include=["account"],
                condition=~models.Q(status="closed") & models.Q(spam=False, lower_priority=False),
                name="inbox_open",
            ),
        ]

    def __str__(self) -> str:
        return self.subject or str(self.get_kind_display())

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class InboxItem(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        REPLY = "reply", _("Reply")
        MENTION = "mention", _("Mention")
        DIRECT = "direct", _("Direct message")
        QUOTE = "quote", _("Quote")
        REPOST = "repost", _("Repost")
        LIKE = "like", _("Like")
        FOLLOW = "follow", _("Follow")
        OURS = "ours", _("Our reply")

    LOWER_PRIORITY = (Kind.REPOST, Kind.LIKE, Kind.FOLLOW)

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="inbox_items")
    account = models.ForeignKey("networks.ConnectedAccount", on_delete=models.CASCADE, related_name="inbox_items")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices)
    remote_id = models.CharField(max_length=300)
    parent_remote_id = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    identity = models.ForeignKey(
        ContactIdentity, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    author_handle = models.CharField(max_length=300, blank=True)  # as it was when the item came
    author_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)  # the network's own HTML: sanitised with nh3 when shown
    language = models.CharField(max_length=10, blank=True)
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField()  # on the network
    collected_at = models.DateTimeField(auto_now_add=True)
    hidden = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    sent_by = models.ForeignKey(  # for our own replies written in smm
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["account", "kind", "remote_id"], name="inbox_item_once")]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="inbox_item_thread"),
            # The inbox search (text__icontains is UPPER(text) LIKE UPPER('%word%')).
            GinIndex(OpClass(Upper("text"), name="gin_trgm_ops"), name="inbox_item_text_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:50]}"


class InboxNote(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:50]


class SavedReply(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(
        _("text"), help_text=_("You can use {author_name}, {handle} and {account}; they are filled in for each reply.")
    )
    is_warning = models.BooleanField(
        _("friendly warning"), default=False, help_text=_("Offered first when someone breaks the conversation rules.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["-is_warning", "title"]

    def __str__(self) -> str:
        return self.title


class Reply(models.Model):
    """A reply written in smm; sent through the network once (idempotency key), or says why not."""

    class Status(models.TextChoices):
        IN_REVIEW = "in_review", _("Waiting for approval")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        REJECTED = "rejected", _("Rejected")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="replies")
    in_reply_to = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("reply"))
    status = models.CharField(max_length=11, choices=Status.choices, default=Status.SENDING)
    idempotency_key = models.CharField(max_length=64)
    remote_id = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:50]


class ModerationAction(models.Model):
    class Action(models.TextChoices):
        HIDE = "hide", _("Hide the reply")
        UNHIDE = "unhide", _("Show the reply again")
        DELETE = "delete", _("Delete")
        BLOCK = "block", _("Block the author")
        UNBLOCK = "unblock", _("Unblock the author")
        MUTE = "mute", _("Mute the author")
        UNMUTE = "unmute", _("Unmute the author")
        REPORT = "report", _("Report to the network")

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="moderation")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices)
    succeeded = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.item_id}"


# Rules, targets, collection, presence ------------------------------------------------------------
class InboxRule(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="inbox_rules")
    name = models.CharField(_("name"), max_length=100)
    enabled = models.BooleanField(_("on"), default=False)
    position = models.PositiveSmallIntegerField(default=0)
    # {"words": [...], "authors": [...], "accounts": [ids], "networks": [...], "kinds": [...],
    #  "sentiments": [...], "languages": [...]}: every given condition must hold.
    conditions = models.JSONField(default=dict, blank=True)
    # {"tag": id, "assign": user id, "priority": 0-2, "spam": true, "hide": true, "notify": [user ids],
    #  "reply": saved reply id}
    actions = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inbox rule")
        verbose_name_plural = _("inbox rules")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class RuleFiring(models.Model):
    rule = models.ForeignKey(InboxRule, on_delete=models.CASCADE, related_name="firings")
    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    auto_replied = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["rule", "item"], name="rule_fires_once_per_item")]

    def __str__(self) -> str:
        return f"{self.rule_id} → {self.item_id}"


class ResponseTargets(models.Model):
    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="response_targets", primary_key=True
    )
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"), default=60)
    resolution_minutes = models.PositiveIntegerField(_("resolved within (minutes)"), default=24 * 60)

    class Meta:
        verbose_name = _("response-time targets")
        verbose_name_plural = _("response-time targets")

    def __str__(self) -> str:
        return str(self.workspace)

    @property
    def first_response(self) -> timedelta:
        return timedelta(minutes=self.first_response_minutes)

    @property
    def resolution(self) -> timedelta:
        return timedelta(minutes=self.resolution_minutes)


class CollectionState(models.Model):
    class Stream(models.TextChoices):
        NOTIFICATIONS = "notifications", _("Notifications")
        DIRECT = "direct", _("Direct messages")

    account = models.ForeignKey("networks.ConnectedAccount", on_delete=models.CASCADE, related_name="collection_states")
    stream = models.CharField(max_length=15, choices=Stream.choices)
    newest_remote_id = models.CharField(max_length=300, blank=True)
    newest_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    items_collected = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "stream"], name="collection_state_once")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.stream}"


class Presence(models.Model):
    """Who has a conversation open. `typing_at` is the last time their reply box told us they typed:
    a ping without typing does not clear it, so a poll between keystrokes does not hide it."""

    # Typing is shown for this long after the last keystroke ping.
    TYPING_TTL = timedelta(seconds=15)

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    typing_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="presence_once")]
        indexes = [models.Index(fields=["conversation", "seen_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.conversation_id}"

    @property
    def typing(self) -> bool:
        return self.typing_at is not None and self.typing_at >= timezone.now() - self.TYPING_TTL


class InboxView(models.Model):
    """A saved inbox filter (a column in the column view); shared with the team or one member's own."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="inbox_views")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="empty: shared with the whole team",
    )
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(max_length=1000, blank=True)  # the list page's filter query string
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("saved inbox view")
        verbose_name_plural = _("saved inbox views")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name
