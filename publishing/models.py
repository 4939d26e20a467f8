"""Posts, their per-account targets and attempts, media, campaigns, queues, short links, imports.

The schedule lives here: a Target row with status `scheduled` and `due_at` in the past is due.
See docs/publishing.md for the state machine.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from smm.lib.tz import validate_timezone


# Workspace-wide switches -------------------------------------------------------------------------
class PublishingSettings(models.Model):
    """A workspace's publishing policy and its "pause all publishing" switch (crisis mode)."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="publishing_settings", primary_key=True
    )
    paused = models.BooleanField(_("publishing paused"), default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pause_reason = models.CharField(_("reason"), max_length=300, blank=True)
    late_grace_minutes = models.PositiveIntegerField(
        _("publish late posts up to (minutes)"),
        default=15,
        validators=[MaxValueValidator(7 * 24 * 60)],
        help_text=_(
            "If publishing was held up (for example the workers were down), a post later than this "
            "is held for a person to decide instead of going out late."
        ),
    )
    require_alt_text = models.BooleanField(
        _("require alt text for images"),
        default=False,
        help_text=_("Images without a description cannot be scheduled."),
    )
    approval_expiry_days = models.PositiveIntegerField(
        _("approval requests expire after (days)"),
        default=7,
        validators=[MaxValueValidator(90)],
        help_text=_("A post nobody approved in this time returns to its author as a draft."),
    )
    duplicate_window_days = models.PositiveIntegerField(
        _("warn about repeated text within (days)"),
        default=30,
        validators=[MaxValueValidator(365)],
        help_text=_("0 turns the duplicate check off."),
    )

    class Meta:
        verbose_name = _("publishing settings")
        verbose_name_plural = _("publishing settings")

    def __str__(self) -> str:
        return str(self.workspace)


class GlobalPause(models.Model):
    """The operators' switch that holds publishing in every workspace (one row, id 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    paused = models.BooleanField(_("all publishing paused"), default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("global publishing pause")
        verbose_name_plural = _("global publishing pause")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="global_pause_single_row")]

    def __str__(self) -> str:
        return str(_("paused") if self.paused else _("running"))

    @classmethod
    def current(cls) -> GlobalPause:
        return cls.objects.get_or_create(id=1)[0]


# Content organisation ----------------------------------------------------------------------------
class Campaign(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    color = models.CharField(_("colour"), max_length=7, default="#0d6efd")
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    utm_campaign = models.CharField(
        _("UTM campaign"),
        max_length=100,
        blank=True,
        help_text=_("Added to links as utm_campaign. Leave empty to add no UTM parameters."),
    )
    utm_medium = models.CharField(_("UTM medium"), max_length=50, default="social")
    utm_content = models.CharField(_("UTM content"), max_length=100, blank=True)
    shorten_links = models.BooleanField(
        _("shorten links"),
        default=False,
        help_text=_("Replace links with smm short links that count clicks."),
    )
    archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["archived", "-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="campaign_name_unique"),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="campaign_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    """A content pillar ("product news", "behind the scenes") to balance the plan."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(_("name"), max_length=60)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="label_name_unique")]

    def __str__(self) -> str:
        return self.name


# Media -------------------------------------------------------------------------------------------
def _media_path(instance: MediaAsset, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"media/{instance.workspace_id}/{uuid.uuid4().hex}.{extension[:8]}"


def _thumbnail_path(instance: MediaAsset, filename: str) -> str:
    return f"media/{instance.workspace_id}/thumbnails/{uuid.uuid4().hex}.webp"


class MediaAssetQuerySet(models.QuerySet["MediaAsset"]):
    def for_workspace(self, workspace_id: int) -> MediaAssetQuerySet:
        return self.filter(workspace_id=workspace_id)

    def attachable(self) -> MediaAssetQuerySet:
        """Pictures and videos (subtitles travel with their video)."""
        return self.exclude(kind=MediaAsset.Kind.SUBTITLE)


class MediaAsset(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        SUBTITLE = "subtitle", _("Subtitles")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=_media_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    mime_type = models.CharField(_("type"), max_length=100)
    size_bytes = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, db_index=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    alt_text = models.TextField(
        _("alt text"), blank=True, help_text=_("Describe the picture for people who cannot see it.")
    )
    thumbnail = models.FileField(upload_to=_thumbnail_path, max_length=300, blank=True)
    # Subtitles belong to one video; a video may have one per language.
    video = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="subtitles", verbose_name=_("video")
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    source_url = models.URLField(_("fetched from"), max_length=1000, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = MediaAssetQuerySet.as_manager()

    class Meta:
        verbose_name = _("media file")
        verbose_name_plural = _("media files")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="subtitle") | Q(video__isnull=True), name="only_subtitles_belong_to_a_video"
            )
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def aspect_ratio(self) -> float | None:
        if self.width and self.height:
            return self.width / self.height
        return None


# Posts and their targets -------------------------------------------------------------------------
class PostQuerySet(models.QuerySet["Post"]):
    def for_workspace(self, workspace_id: int) -> PostQuerySet:
        return self.filter(workspace_id=workspace_id)


class Post(models.Model):
    """What the team wants to say, once; each account it goes to is a Target."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHING = "publishing", pgettext_lazy("post status", "Publishing")
        PUBLISHED = "published", _("Published")
        PARTIAL = "partial", _("Partly published")
        FAILED = "failed", _("Failed")
        ATTENTION = "attention", _("Needs attention")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        COMPOSER = "composer", _("Composer")
        CSV = "csv", _("CSV import")
        FEED = "feed", _("Feed")
        SHARE = "share", _("Employee share")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="posts", verbose_name=_("author")
    )
    text = models.TextField(_("text"), blank=True)
    # Per-network versions of the text ({"bluesky": "..."}); a network not listed uses `text`.
    network_texts = models.JSONField(_("texts per network"), default=dict, blank=True)
    media = models.ManyToManyField(MediaAsset, through="PostMedia", related_name="posts", blank=True)
    content_warning = models.CharField(_("content warning"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="posts", verbose_name=_("campaign")
    )
    labels = models.ManyToManyField(Label, related_name="posts", blank=True, verbose_name=_("labels"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.COMPOSER)
    # Kept by the approval services: whether this post needs approval, and the hash of the content
    # (publishing.services.snapshots) that was approved. The engine holds a target of a post that
    # needs approval unless the current content hash equals the approved one.
    approval_required = models.BooleanField(default=False)
    approved_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["workspace", "status"]),
            GinIndex(name="post_text_trgm", fields=["text"], opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        first_line = (self.text.strip().splitlines() or [""])[0]
        return first_line[:60] or str(_("(no text)"))

    def text_for(self, network: str) -> str:
        override = self.network_texts.get(network)
        return override if override else self.text


class PostMedia(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="post_media")
    asset = models.ForeignKey(MediaAsset, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["post", "asset"], name="post_media_once")]

    def __str__(self) -> str:
        return f"{self.post_id}:{self.position}"


class TargetQuerySet(models.QuerySet["Target"]):
    def for_workspace(self, workspace_id: int) -> TargetQuerySet:
        return self.filter(post__workspace_id=workspace_id)

    def due(self, now: datetime) -> TargetQuerySet:
        return self.filter(status__in=Target.CLAIMABLE, due_at__lte=now)

    def open(self) -> TargetQuerySet:
        """Targets that may still go out (used by the queue and the duplicate check)."""
        return self.filter(status__in=Target.OPEN)


class Target(models.Model):
    """One post on one account: its own schedule and state machine (docs/publishing.md)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHING = "publishing", pgettext_lazy("post status", "Publishing")
        RETRYING = "retrying", _("Retrying")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        ATTENTION = "attention", _("Needs attention")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    class HoldReason(models.TextChoices):
        WORKSPACE_PAUSED = "workspace_paused", _("Publishing is paused in this workspace.")
        GLOBAL_PAUSED = "global_paused", _("The operators paused all publishing.")
        LATE = "late", _("It was due a while ago and is held rather than sent late.")
        ACCOUNT = "account", _("The account needs to be reconnected.")
        NOT_APPROVED = "not_approved", _("It has not been approved in its current form.")

    CLAIMABLE = (Status.SCHEDULED, Status.RETRYING)
    OPEN = (Status.SCHEDULED, Status.RETRYING, Status.PUBLISHING, Status.UNCONFIRMED, Status.HELD)
    EDITABLE = (Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.HELD, Status.FAILED, Status.CANCELLED)

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    account = models.ForeignKey(
        "networks.ConnectedAccount", on_delete=models.PROTECT, related_name="targets", verbose_name=_("account")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    # When it should go out: the wall-clock time and zone as chosen (kept if the zone's rules
    # change), and the instant computed from them.
    local_date = models.DateField(null=True, blank=True)
    local_time = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_timezone])
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    from_queue = models.BooleanField(default=False)
    # When the engine should next act on it: the scheduled time, a retry time, a reconcile time.
    due_at = models.DateTimeField(null=True, blank=True)
    # One key for every attempt of this target, so a retried call cannot create a second post.
    idempotency_key = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    reconcile_count = models.PositiveIntegerField(default=0)
    hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("error"), blank=True)
    remote_id = models.CharField(max_length=300, blank=True)
    remote_url = models.URLField(max_length=1000, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["scheduled_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "account"], name="target_once_per_account"),
            models.CheckConstraint(
                condition=~Q(status__in=["scheduled", "retrying"])
                | Q(due_at__isnull=False, scheduled_at__isnull=False),
                name="scheduled_target_has_times",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | ~Q(remote_id=""), name="published_target_has_remote_id"
            ),
        ]
        indexes = [
            # The scheduler's query: due claimable rows, oldest first.
            models.Index(
                fields=["due_at"], name="target_due", condition=Q(status__in=["scheduled", "retrying", "unconfirmed"])
            ),
            models.Index(fields=["lease_expires_at"], name="target_lease", condition=Q(status="publishing")),
            models.Index(fields=["account", "scheduled_at"], name="target_account_time"),
        ]

    def __str__(self) -> str:
        return f"{self.post} → {self.account}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def local_datetime(self) -> datetime | None:
        """The chosen wall-clock time (naive, in `timezone`)."""
        if self.local_date is None or self.local_time is None:
            return None
        return datetime.combine(self.local_date, self.local_time)

    @property
    def lateness(self) -> timedelta | None:
        if self.published_at and self.scheduled_at:
            return self.published_at - self.scheduled_at
        return None


class Attempt(models.Model):
    """One try to publish a target, recorded before any network call and never deleted."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("In progress")
        PUBLISHED = "published", _("Published")
        RETRY = "retry", _("Temporary error; tried again")
        FAILED = "failed", _("Refused")
        UNKNOWN = "unknown", _("No answer; checking")
        NOT_SENT = "not_sent", _("Not sent (stopped before the call)")
        FOUND = "found", _("Found on the network")
        ABSENT = "absent", _("Not on the network; tried again")
        HELD = "held", _("Held before sending")

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=64)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    error = models.TextField(blank=True)
    network_status = models.PositiveSmallIntegerField(null=True, blank=True)
    remote_id = models.CharField(max_length=300, blank=True)
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["target", "number"]
        constraints = [models.UniqueConstraint(fields=["target", "number"], name="attempt_number_unique")]

    def __str__(self) -> str:
        return f"{self.target_id} #{self.number} {self.outcome}"


# Queues, rhythm and blackouts --------------------------------------------------------------------
class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class QueueSlot(models.Model):
    """A recurring time an account posts at, in the account's time zone (same wall time all year)."""

    account = models.ForeignKey("networks.ConnectedAccount", on_delete=models.CASCADE, related_name="queue_slots")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    time = models.TimeField(_("time"))

    class Meta:
        verbose_name = _("queue slot")
        verbose_name_plural = _("queue slots")
        ordering = ["weekday", "time"]
        constraints = [models.UniqueConstraint(fields=["account", "weekday", "time"], name="queue_slot_unique")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.time:%H:%M}"


class AccountPlan(models.Model):
    """The posting rhythm the team aims for on one account ("3 a week")."""

    class Period(models.TextChoices):
        DAY = "day", pgettext_lazy("rhythm", "a day")
        WEEK = "week", pgettext_lazy("rhythm", "a week")

    account = models.OneToOneField(
        "networks.ConnectedAccount", on_delete=models.CASCADE, related_name="plan", primary_key=True
    )
    posts_per_period = models.PositiveSmallIntegerField(
        _("posts"), default=0, validators=[MaxValueValidator(50)], help_text=_("0 means no rhythm is set.")
    )
    period = models.CharField(_("per"), max_length=4, choices=Period.choices, default=Period.WEEK)

    class Meta:
        verbose_name = _("posting rhythm")
        verbose_name_plural = _("posting rhythms")

    def __str__(self) -> str:
        return f"{self.posts_per_period} {self.get_period_display()}"


class Blackout(models.Model):
    """A window when nothing should go out (a holiday, a quiet period, an embargo)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="blackouts")
    title = models.CharField(_("title"), max_length=100)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    # Empty: every account of the workspace.
    accounts = models.ManyToManyField(
        "networks.ConnectedAccount", blank=True, related_name="blackouts", verbose_name=_("accounts")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("blackout")
        verbose_name_plural = _("blackouts")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="blackout_ends_after_start")
        ]

    def __str__(self) -> str:
        return self.title


# Short links -------------------------------------------------------------------------------------
class ShortLink(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="short_links")
    code = models.CharField(max_length=12, unique=True)
    url = models.URLField(max_length=2000)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, null=True, blank=True, related_name="short_links")
    account = models.ForeignKey(
        "networks.ConnectedAccount", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    clicks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("short link")
        verbose_name_plural = _("short links")
        constraints = [models.UniqueConstraint(fields=["post", "account", "url"], name="short_link_once")]

    def __str__(self) -> str:
        return self.code


class LinkClick(models.Model):
    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="click_rows")
    clicked_at = models.DateTimeField(default=timezone.now, db_index=True)
    referrer_host = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-clicked_at"]

    def __str__(self) -> str:
        return f"{self.link_id} {self.clicked_at:%Y-%m-%d %H:%M}"


# Batches -----------------------------------------------------------------------------------------
class CsvImport(models.Model):
    """An uploaded CSV of posts: checked in the background, previewed, then imported whole or not at all."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        READY = "ready", _("Ready to import")
        INVALID = "invalid", _("Has errors")
        IMPORTED = "imported", _("Imported")
        DISCARDED = "discarded", _("Discarded")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="csv_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    file_name = models.CharField(max_length=255)
    content = models.TextField()  # the decoded file, kept until imported or discarded
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    total_rows = models.PositiveIntegerField(default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    rows = models.JSONField(default=list, blank=True)  # normalised rows for the preview and import
    errors = models.JSONField(default=list, blank=True)  # [{"row": n, "message": "..."}]
    error = models.TextField(blank=True)  # a problem with the whole file
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    posts_created = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def progress_percent(self) -> int:
        return int(100 * self.checked_rows / self.total_rows) if self.total_rows else 0


class Feed(models.Model):
    """An RSS or Atom feed whose new entries become drafts or queue entries."""

    class Mode(models.TextChoices):
        DRAFT = "draft", _("Create drafts")
        QUEUE = "queue", _("Add to the queue")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="feeds")
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("feed address"), max_length=1000)
    accounts = models.ManyToManyField("networks.ConnectedAccount", related_name="feeds", verbose_name=_("accounts"))
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="feeds", verbose_name=_("campaign")
    )
    mode = models.CharField(_("new entries"), max_length=5, choices=Mode.choices, default=Mode.DRAFT)
    template = models.TextField(
        _("text template"),
        default="{title} {link}",
        help_text=_("Use {title}, {link}, {summary} and {author}."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feed")
        verbose_name_plural = _("feeds")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FeedEntry(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=500)  # the entry's id, else its link
    title = models.CharField(max_length=500, blank=True)
    link = models.URLField(max_length=2000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    post = models.ForeignKey(Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["feed", "key"], name="feed_entry_once")]

    def __str__(self) -> str:
        return self.title or self.key
