"""Listening: topics with boolean queries, sources, and the mentions collected from them.

See docs/listening.md. Mentions are matched against every topic at ingest (MentionTopic rows),
so a topic's dashboard reads its own rows by time; both tables carry a BRIN index on the time.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex, GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from participation.models import Sentiment


class Topic(models.Model):
    class Category(models.TextChoices):
        BRAND = "brand", _("Own brand")
        COMPETITOR = "competitor", _("Competitor")
        INDUSTRY = "industry", _("Industry")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, default=Category.BRAND)
    query = models.TextField(_("query"), max_length=2000)
    # The parsed query (listening/query.py), kept so ingest does not parse it again.
    compiled = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Tone goal: at least this share (%) of non-neutral mentions positive, per period.
    tone_goal_percent = models.PositiveSmallIntegerField(_("tone goal (% positive)"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["category", "name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="topic_name_unique")]

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    """Where mentions come from: a network search or timeline through a connected account, a feed,
    the inbox, or imports."""

    class Kind(models.TextChoices):
        MASTODON_HASHTAG = "mastodon_hashtag", _("Mastodon hashtag timeline")
        MASTODON_PUBLIC = "mastodon_public", _("Mastodon public timeline")
        MASTODON_SEARCH = "mastodon_search", _("Mastodon search")
        BLUESKY_SEARCH = "bluesky_search", _("Bluesky search")
        FEED = "feed", _("RSS or Atom feed")
        INBOX = "inbox", _("Our inbox")
        IMPORT = "import", _("Import (CSV or HTTP)")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="listening_sources")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    # The connected account whose access reads the network (network sources).
    account = models.ForeignKey(
        "networks.ConnectedAccount", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The hashtag, the search terms or the feed's URL.
    value = models.CharField(_("what to read"), max_length=1000, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Incremental reading: the network's cursor / newest id, or the feed's ETag and Last-Modified.
    cursor = models.CharField(max_length=500, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    items_total = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Mention(models.Model):
    """One post, article or imported item, stored once per workspace (deduplicated at ingest)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="mentions")
    source = models.ForeignKey(Source, on_delete=models.SET_NULL, null=True, blank=True, related_name="mentions")
    network = models.CharField(max_length=20)  # mastodon, bluesky, web, import, …
    remote_id = models.CharField(max_length=500)
    url = models.URLField(max_length=2000, blank=True)
    canonical_url = models.CharField(max_length=2000, blank=True)
    author_id = models.CharField(max_length=300, blank=True)
    author_handle = models.CharField(max_length=300, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    author_followers = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(default=0)
    sentiment_corrected = models.BooleanField(default=False)
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    # 64-bit SimHash of the normalised text, for near-duplicates (signed to fit a bigint).
    simhash = models.BigIntegerField(default=0)
    search = SearchVectorField(null=True)
    published_at = models.DateTimeField()
    collected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "network", "remote_id"], name="mention_once"),
        ]
        indexes = [
            BrinIndex(fields=["published_at"], name="mention_published_brin"),
            models.Index(fields=["workspace", "-published_at", "-id"], name="mention_newest"),
            models.Index(fields=["workspace", "canonical_url"], name="mention_canonical_url"),
            models.Index(fields=["workspace", "simhash"], name="mention_simhash"),
            GinIndex(fields=["search"], name="mention_search"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class MentionTopic(models.Model):
    """A mention that matched a topic at ingest; carries the mention's time and sentiment so a topic's
    dashboard reads only these rows."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="topic_links")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="mention_links")
    published_at = models.DateTimeField()
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "mention"], name="mention_topic_once")]
        indexes = [
            BrinIndex(fields=["published_at"], name="mention_topic_published_brin"),
            models.Index(fields=["topic", "-published_at"], name="mention_topic_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}:{self.mention_id}"


class SentimentCorrection(models.Model):
    """A member's correction of a mention's sentiment; kept, and applied to the same text later."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    mention = models.ForeignKey(Mention, on_delete=models.SET_NULL, null=True, related_name="corrections")
    normalised_text = models.TextField()  # smm.lib.textanalysis.normalise_for_correction
    language = models.CharField(max_length=8, blank=True)
    from_sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    to_sentiment = models.CharField(max_length=8, choices=Sentiment.choices)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "normalised_text"], name="sentiment_correction_text")]

    def __str__(self) -> str:
        return f"{self.from_sentiment} → {self.to_sentiment}"


class ImportToken(models.Model):
    """A secret for the import endpoint (another vendor's data into one workspace); stored hashed."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The endpoint's rate limit: requests in the current one-minute window (shared by all workers).
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_requests = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class ListeningSettings(models.Model):
    """A workspace's listening settings (one row, created when first changed)."""

    DEFAULT_RETENTION_DAYS = 365

    workspace = models.OneToOneField("accounts.Workspace", on_delete=models.CASCADE, related_name="listening_settings")
    # Mentions published longer ago than this are deleted by the nightly purge.
    retention_days = models.PositiveIntegerField(
        _("keep mentions for (days)"),
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(7), MaxValueValidator(3650)],
    )

    class Meta:
        verbose_name = _("listening settings")
        verbose_name_plural = _("listening settings")

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.retention_days} d"

    @classmethod
    def retention_days_for(cls, workspace_id: int) -> int:
        found = cls.objects.filter(workspace_id=workspace_id).values_list("retention_days", flat=True).first()
        return found if found is not None else cls.DEFAULT_RETENTION_DAYS


class AlertRule(models.Model):
    """When a topic's mentions should raise an alert (listening/services/alerts.py), and where to send it."""

    class Kind(models.TextChoices):
        VOLUME = "volume", _("Volume spike")
        NEGATIVE = "negative", _("Negative share spike")
        KEYWORD = "keyword", _("Crisis words")

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.VOLUME)
    # Spikes: how many standard deviations above the baseline (a z-score).
    sensitivity = models.FloatField(
        _("sensitivity (standard deviations)"), default=3.0, validators=[MinValueValidator(1.0), MaxValueValidator(10)]
    )
    # Spikes: the floor, so that a quiet topic does not alert on two mentions.
    min_mentions = models.PositiveIntegerField(
        _("at least this many mentions in 5 minutes"), default=10, validators=[MinValueValidator(1)]
    )
    keywords = models.TextField(_("crisis words"), max_length=2000, blank=True)
    notify_members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    send_email = models.BooleanField(_("also e-mail them"), default=False)
    slack_url = models.URLField(_("Slack incoming webhook"), max_length=500, blank=True)
    teams_url = models.URLField(_("Microsoft Teams incoming webhook"), max_length=500, blank=True)
    discord_url = models.URLField(_("Discord webhook"), max_length=500, blank=True)
    webhook_secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["topic__name", "name"]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One rule firing for one 5-minute bucket (at most once: the unique constraint)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=10, choices=AlertRule.Kind.choices)
    bucket_start = models.DateTimeField()
    mentions = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    # Volume: mentions; negative share: the share (0…1); keyword: matching mentions.
    observed = models.FloatField(default=0)
    baseline = models.FloatField(default=0)
    deviation = models.FloatField(default=0)
    keywords = models.JSONField(default=list, blank=True)
    mention_ids = models.JSONField(default=list, blank=True)
    # channel -> {"ok": bool, "error": str, "attempts": int}
    deliveries = models.JSONField(default=dict, blank=True)
    delivery_pending = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-bucket_start", "-pk"]
        constraints = [models.UniqueConstraint(fields=["rule", "bucket_start"], name="alert_once_per_bucket")]
        indexes = [
            models.Index(fields=["workspace", "-bucket_start"], name="alert_newest"),
            models.Index(
                fields=["delivery_pending"], name="alert_delivery_pending", condition=models.Q(delivery_pending=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.bucket_start:%Y-%m-%d %H:%M}"
